"""The grader's side of values that belong to the student's process.

``Remote`` stands in the grader's namespace for a function or object that lives in the
student's process (calls go through the ``Link``, which copies what a
call did to its arguments back with ``wire.copy_back``, so ``call_checked`` still sees in-place
mutation); ``student_error`` rebuilds an exception the student's code raised
as a plain exception of the grader's (a builtin type, or ``DelegationError``), never as an
object of the student's; ``numeric_context`` is what a call must run under.
"""
from __future__ import annotations

import builtins
import warnings
from typing import Protocol

import numpy as np

from ..student import wire


class Channel(Protocol):
    """What a ``Remote`` needs of the ``link.Link`` that made it (a protocol, so that ``link``
    imports this module and not the reverse)."""

    generation: int

    def call(self, remote: "Remote", args, kwargs): ...
    def handle_of(self, remote: "Remote") -> int: ...
    def encode(self, value): ...


class Remote:
    """A function of the submission, called through the ``Link``. Nothing else crosses: no
    answer cell defines a class or returns an object, so the grader never reads or sets an
    attribute in the student's process."""

    def __init__(self, link: Channel, handle: int, label: str):
        vars(self).update(_link=link, _handle=handle, _generation=link.generation, __name__=label)

    def __call__(self, *args, **kwargs):
        return self._link.call(self, args, kwargs)

    def __setattr__(self, name: str, value) -> None:
        raise AttributeError(f"{self.__name__} lives in the student's process: the grader only calls it")

    def __repr__(self) -> str:
        return f"<{self.__name__} of the submission>"

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self


def numeric_context() -> dict:
    """The grader's ``np.errstate`` and warning filters, which a call must run under."""
    filters = []
    for action, message, category, module, lineno in warnings.filters:
        name = wire.qualified_name(category)
        if name:
            filters.append([action, getattr(message, "pattern", message) or None, name,
                            getattr(module, "pattern", module) or None, lineno])
    return {"errstate": np.geterr(), "filters": filters}


def student_error(error) -> Exception:
    """The grader's version of an exception raised in the student's process."""
    from helpers.checks import DelegationError

    error = error if isinstance(error, dict) else {}
    name, message = str(error.get("type", "Exception")), str(error.get("message", ""))[:2000]
    if name == "DelegationError":
        return DelegationError(message)
    bases = [getattr(builtins, b, None) for b in error.get("bases", []) if isinstance(b, str)]
    base = next((b for b in bases if isinstance(b, type) and issubclass(b, Exception)), Exception)
    try:
        cls = base if base.__name__ == name or not name.isidentifier() else type(name, (base,), {})
        return cls(message)
    except Exception:
        return type(name if name.isidentifier() else "Error", (Exception,), {})(message)
