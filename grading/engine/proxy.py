"""The grader's side of values that belong to the student's process.

``Remote`` stands in the grader's namespace for a function or object that lives in the
student's process (calls and attribute access go through the ``Link``); ``copy_back`` writes
what a call did to its arguments into the grader's own objects, so ``call_checked`` still
sees in-place mutation; ``student_error`` rebuilds an exception the student's code raised
as a plain exception of the grader's (a builtin type, or ``DelegationError``), never as an
object of the student's; ``numeric_context`` is what a call must run under.
"""
from __future__ import annotations

import builtins
import warnings
from typing import Protocol

import numpy as np

from . import wire


class Channel(Protocol):
    """What a ``Remote`` needs of the ``link.Link`` that made it (a protocol, so that ``link``
    imports this module and not the reverse)."""

    generation: int

    def call(self, remote: "Remote", attr, args, kwargs): ...
    def request(self, message: dict, label: str = ...) -> dict: ...
    def request_value(self, message: dict, label: str): ...
    def handle_of(self, remote: "Remote") -> int: ...
    def encode(self, value): ...


class Remote:
    """A function or object of the submission, reached through the ``Link``."""

    def __init__(self, link: Channel, handle: int, label: str):
        vars(self).update(_link=link, _handle=handle, _generation=link.generation, __name__=label)

    def __call__(self, *args, **kwargs):
        return self._link.call(self, None, args, kwargs)

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        return self._link.request_value({"op": "getattr", "handle": self._link.handle_of(self), "name": name},
                                        f"{self.__name__}.{name}")

    def __setattr__(self, name: str, value) -> None:
        reply = self._link.request({"op": "setattr", "handle": self._link.handle_of(self), "name": name,
                                    "value": self._link.encode(value)})
        if "error" in reply:
            raise student_error(reply["error"])

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


def copy_back(original, returned) -> None:
    """Write what a call did to its arguments back into the grader's own objects."""
    if isinstance(original, np.random.Generator) and isinstance(returned, np.random.Generator):
        original.bit_generator.state = returned.bit_generator.state
    elif isinstance(original, np.random.RandomState) and isinstance(returned, np.random.RandomState):
        original.set_state(returned.get_state(legacy=False))
    elif isinstance(original, np.ndarray) and isinstance(returned, np.ndarray):
        if original.shape == returned.shape and original.flags.writeable:
            np.copyto(original, returned, casting="unsafe")
    elif isinstance(original, list) and isinstance(returned, list):
        if len(original) == len(returned):
            for index, (mine, theirs) in enumerate(zip(original, returned)):
                _copy_item(original, index, mine, theirs)
        else:
            original[:] = returned
    elif isinstance(original, dict) and isinstance(returned, dict):
        for key in [k for k in original if k not in returned]:
            del original[key]
        for key, theirs in returned.items():
            _copy_item(original, key, original.get(key), theirs)
    elif isinstance(original, tuple) and isinstance(returned, tuple) and len(original) == len(returned):
        for mine, theirs in zip(original, returned):
            copy_back(mine, theirs)
    elif (type(original) is type(returned) and hasattr(original, "__dict__")
          and not isinstance(original, (tuple, Remote))):
        copy_back(vars(original), vars(returned))


def _copy_item(container, key, mine, theirs) -> None:
    if isinstance(mine, (np.ndarray, list, dict, np.random.Generator)) and type(mine) is type(theirs):
        copy_back(mine, theirs)
    else:
        container[key] = theirs
