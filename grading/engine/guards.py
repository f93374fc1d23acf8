"""What surrounds a call in the student's process (loaded there as ``guards``).

``numeric_context`` applies the caller's ``np.errstate`` and warning filters for one call, so
a test that turns overflow into an error sees it as it would in one process. ``Tripwires``
makes helpers functions unavailable (``helpers.checks.reference_unavailable`` of a test
cell): it swaps each function's code object, so every path to the function leads to the
tripwire, aliases and default arguments included.

The functions are found by name in ``ORIGINALS``, filled as each helpers module is first
imported (before the student's code can rebind anything in it), so replacing
``helpers.activations.sigmoid`` after keeping the original aside does not move the tripwire.

These run in the untrusted process: code that rewrites them can defeat them, but not
without constructs the static scan flags (``sys.modules``, ``gc``, dunder attributes, ...).
"""
from __future__ import annotations

import builtins
import importlib.abc
import importlib.machinery
import re
import sys
import types
import warnings

import wire

LIBRARIES = ("helpers", "numpy", "math", "builtins", "warnings")
ORIGINALS: dict[str, object] = {}  # "helpers.module:qualname" -> the function as first imported


class _RememberHelpers(importlib.abc.MetaPathFinder):
    """Finds helpers modules as usual, and records their functions once each has run."""

    def find_spec(self, name, path, target=None):
        if name.split(".")[0] != "helpers":
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is not None and spec.loader is not None and hasattr(spec.loader, "exec_module"):
            run = spec.loader.exec_module

            def exec_module(module):
                run(module)
                _remember(name, module)

            spec.loader.exec_module = exec_module
        return spec


def _remember(name: str, module) -> None:
    for key, value in list(vars(module).items()):
        if isinstance(value, types.FunctionType) and value.__module__ == name:
            ORIGINALS[f"{name}:{value.__qualname__}"] = value
        elif isinstance(value, type) and value.__module__ == name:
            for attribute in vars(value).values():
                if isinstance(attribute, types.FunctionType):
                    ORIGINALS[f"{name}:{attribute.__qualname__}"] = attribute


def remember_helpers() -> None:
    """Install the recorder; call before any of the student's code runs."""
    sys.meta_path.insert(0, _RememberHelpers())


def original(name: str):
    """The library object ``module:qualname``, as first imported if it is a helpers function."""
    module = name.split(":")[0]
    if module.split(".")[0] == "helpers" and name not in ORIGINALS:
        importlib.import_module(module)
    return ORIGINALS.get(name) or wire.library_object(name, LIBRARIES)


class Tripwires:
    """Every call of the given functions fails while this is in place, however it is reached.

    The notebook-level guard of ``helpers.checks`` is added for functions with closures
    (whose code cannot be swapped) and for registries.
    """

    def __init__(self, functions: list, namespace: dict):
        import helpers.checks as grading

        self.calls: list[str] = []
        self.codes = []
        for function in functions:
            qualified = f"{function.__module__}.{function.__qualname__}"
            # a checked public function keeps its unchecked core as ``kernel``: that route trips too
            for target in (function, getattr(function, "kernel", None)):
                if isinstance(target, types.FunctionType) and target.__closure__ is None:
                    self.codes.append((target, target.__code__))
                    target.__code__ = _tripwire_code(qualified)
        builtins.__engine_tripwire__ = self.trip
        self.error, self.message = grading.DelegationError, grading.reference_unavailable._message
        self.guard = grading.reference_unavailable(*functions, namespace=namespace)
        self.guard.__enter__()

    def trip(self, qualified: str):
        self.calls.append(qualified)
        raise self.error(self.message(qualified))

    def remove(self) -> list[str]:
        for function, code in self.codes:
            function.__code__ = code
        try:
            self.guard.__exit__(None, None, None)
        except self.error:
            pass
        return self.calls + self.guard._calls


def _tripwire_code(qualified: str) -> types.CodeType:
    scope: dict = {}
    exec(f"def tripwire(*args, **kwargs):\n    return __engine_tripwire__({qualified!r})\n", scope)
    return scope["tripwire"].__code__


class numeric_context:
    """The caller's ``np.errstate`` and warning filters, for the duration of one call."""

    def __init__(self, context: dict):
        self.context = context

    def __enter__(self):
        import numpy

        self.numpy = numpy
        self.errstate = numpy.seterr(**self.context["errstate"])
        self.warnings = warnings.catch_warnings()
        self.warnings.__enter__()
        warnings.filters[:] = [rule for rule in map(_filter, self.context["filters"]) if rule]
        warnings._filters_mutated()

    def __exit__(self, *exc_info):
        self.warnings.__exit__(*exc_info)
        self.numpy.seterr(**self.errstate)
        return False


def _filter(rule):
    action, message, category, module, lineno = rule
    try:
        category = original(category)
    except Exception:
        return None
    return (action, re.compile(message, re.I) if message else None, category,
            re.compile(module) if module else None, lineno)
