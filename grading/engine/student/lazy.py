"""Modules bound at import and run at their first use: the setup's drawing modules.

A notebook's setup imports its figures and widgets (``helpers.viz``, which bring matplotlib,
ipywidgets and SciPy), but the cells that grading runs seldom draw: importing them was most of
a grading process's start. ``LoadAtFirstUse`` binds such a module at once and runs its code when
something first reads, sets or deletes one of its attributes, as ``importlib.util.LazyLoader``
does, with two differences that matter here: two threads that first use a module at the same
time both see it whole (a lock), and a module whose code fails keeps failing, with the first
error named, as an import that failed would (it is not left half defined). Only pure-Python
source modules that are not packages wait; any other is imported as usual.

The sandboxed student's process loads this file beside ``student.py``; the grader imports it as
``grading.engine.student.lazy``. It imports nothing from the course.
"""
from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
import threading
import types

# The setup's drawing modules: graded cells seldom draw, and they bring matplotlib, ipywidgets and SciPy.
DRAWING_MODULES = ("helpers.viz.",)
_RUNNING = threading.RLock()


class LoadAtFirstUse(importlib.abc.MetaPathFinder):
    """A finder (for ``sys.meta_path``) that makes the modules whose names start with one of
    ``prefixes`` wait for their first use."""

    def __init__(self, prefixes: tuple[str, ...]):
        self.prefixes = prefixes

    def find_spec(self, name, path, target=None):
        if not name.startswith(self.prefixes):
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path, target)
        if spec is None or type(spec.loader) is not importlib.machinery.SourceFileLoader or (
                spec.submodule_search_locations is not None):
            return None  # the usual finders find it again, as they would have
        spec.loader = _BindNow(spec.loader)
        return spec


class _BindNow(importlib.abc.Loader):
    def __init__(self, loader):
        self.loader = loader

    def create_module(self, spec):
        return None  # an ordinary module object

    def exec_module(self, module) -> None:
        module.__spec__.loader = module.__loader__ = self.loader  # what runs it later
        module.__class__ = _Waiting


def _run(module: types.ModuleType) -> None:
    """Run a waiting module's code once (the caller holds ``_RUNNING``)."""
    if type(module) is not _Waiting:
        return  # another thread ran it while this one waited for the lock
    object.__setattr__(module, "__class__", _Running)  # not through _Waiting.__setattr__
    try:
        module.__spec__.loader.exec_module(module)
    except BaseException as error:
        sys.modules.pop(module.__name__, None)  # a later import tries again, as after a failed import
        module.__dict__["__failure__"] = f"{module.__name__} could not be imported ({type(error).__name__}: {error})"
        object.__setattr__(module, "__class__", _Failed)
        raise
    object.__setattr__(module, "__class__", types.ModuleType)


class _Waiting(types.ModuleType):
    def __getattribute__(self, name):
        with _RUNNING:
            _run(self)
        return getattr(self, name)

    def __setattr__(self, name, value):
        with _RUNNING:
            _run(self)
        setattr(self, name, value)

    def __delattr__(self, name):
        with _RUNNING:
            _run(self)
        delattr(self, name)


class _Running(types.ModuleType):
    """While its code runs: the thread running it goes through (the lock is re-entrant), any
    other waits until the module is whole."""

    def __getattribute__(self, name):
        with _RUNNING:
            return types.ModuleType.__getattribute__(self, name)

    def __setattr__(self, name, value):
        with _RUNNING:
            types.ModuleType.__setattr__(self, name, value)

    def __delattr__(self, name):
        with _RUNNING:
            types.ModuleType.__delattr__(self, name)


class _Failed(types.ModuleType):
    def __getattribute__(self, name):
        raise ImportError(object.__getattribute__(self, "__dict__")["__failure__"])
