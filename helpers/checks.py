"""What the notebooks' test cells call: checks whose failure messages a student can act on.

Every check raises ``AssertionError`` with a sentence that says what is wrong and, where
it can tell, why ("dW2 has the wrong sign", "off by a factor 64 = batch size"). nbgrader
marks a test cell failed when it raises, and shows the message in the feedback.
"""
from __future__ import annotations

import copy
import functools
import sys
import types
from typing import Callable, Iterator, Mapping

import numpy as np

from helpers.gradcheck import (
    DEFAULT_TOLERANCE,
    SINGLE_PRECISION_AGREEMENT,
    SINGLE_PRECISION_HINT,
    diagnose,
    holds_float32_numbers,
)
from helpers.notebook import is_absent

#: ``None`` in a notebook. While the course's sandboxed grader (``grading.engine``) runs a
#: test cell, the student's code runs in another process: this is then the grader's link to
#: it. ``substituted`` repeats itself there through its ``substitute``/``restore`` methods
#: (``substitute`` returns None to decline), and ``reference_unavailable`` asks it to
#: ``confirm_absent`` the functions it names.
remote = None


def check_array(name: str, actual, expected, *, rtol: float = 1e-7, atol: float = 1e-12) -> np.ndarray:
    """Assert that ``actual`` is a finite array equal to ``expected`` within tolerance."""
    actual = _returned_array(name, actual)
    expected = np.asarray(expected, dtype=float)
    if actual.shape != expected.shape:
        raise AssertionError(f"{name} has shape {actual.shape}, expected {expected.shape}.")
    if np.any(np.isnan(actual) & ~np.isnan(expected)):
        raise AssertionError(f"{name} contains NaN where a number is expected: look for 0/0 or inf − inf.")
    close = np.isclose(actual, expected, rtol=rtol, atol=atol, equal_nan=True)
    if not np.all(close):
        # blame the largest gap among entries that differ: matching NaN or inf must not win argmax
        with np.errstate(invalid="ignore", over="ignore"):  # inf − inf, 1e308 − (−1e308)
            gap = np.where(close, -1.0, np.nan_to_num(np.abs(actual - expected), nan=np.inf))
        where = np.unravel_index(np.argmax(gap), actual.shape)
        message = (f"{name} is wrong at index {tuple(int(i) for i in where)}: got {actual[where]:.10g}, "
                   f"expected {expected[where]:.10g}.")
        if holds_float32_numbers(actual) and np.all(
            np.isclose(actual, expected, rtol=SINGLE_PRECISION_AGREEMENT, atol=atol, equal_nan=True)
        ):
            message = message[:-1] + f"; {SINGLE_PRECISION_HINT}."
        raise AssertionError(message)
    return actual


def check_gradient(
    name: str,
    actual,
    expected,
    *,
    batch_size: int | None = None,
    known_mistakes: Mapping[str, np.ndarray] | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
) -> np.ndarray:
    """Assert that a gradient matches ``expected`` (a reference or a finite-difference estimate).

    On failure the message names the likely mistake (sign, factor, batch size, transpose,
    or one of ``known_mistakes``), see ``helpers.gradcheck.diagnose``.
    """
    if actual is None:
        raise AssertionError(f"{name} is None: did you forget to return it?")
    problem = diagnose(
        actual, expected, name=name, batch_size=batch_size,
        known_mistakes=known_mistakes, tolerance=tolerance,
    )
    if problem:
        raise AssertionError(problem)
    return np.asarray(actual, dtype=float)


def _returned_array(name: str, value) -> np.ndarray:
    if value is None:
        raise AssertionError(f"{name} is None: did you forget to return it?")
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise AssertionError(f"{name} should be a NumPy array of numbers, got {type(value).__name__}.") from None


def cases(seed: int, shapes) -> Iterator[tuple[np.random.Generator, tuple]]:
    """Yield ``(rng, shape)`` per shape, each rng seeded by ``(seed, case number)``.

    Each case has its own generator, so its inputs do not depend on how many random
    numbers the student's code (or an earlier case) drew.
    """
    for number, shape in enumerate(shapes):
        yield np.random.default_rng([seed, number]), tuple(shape)


def call_checked(name: str, function: Callable, *args):
    """Call ``function(*args)`` twice and return the result, failing if it mutates its
    inputs or returns something different the second time (hidden state, accumulation)."""
    originals = copy.deepcopy(args)
    first = function(*args)
    for position, (before, after) in enumerate(zip(originals, args)):
        if not _same(before, after):
            raise AssertionError(f"{name} changed its argument number {position + 1} in place: work on a copy.")
    second = function(*args)
    if not _same(first, second):
        raise AssertionError(f"{name} returned a different result when called twice with the same input: "
                             "does it keep state between calls?")
    return first


def _same(one, two) -> bool:
    """Equal numbers, looking inside dicts, lists and tuples (params and grads are dicts of
    arrays); NaN equals NaN. Other objects (a model, a function, an rng) are not compared."""
    for kind in (dict, (list, tuple)):
        if isinstance(one, kind) != isinstance(two, kind):
            return False  # a dict once and a list the next time is a different result
    if isinstance(one, dict):
        return one.keys() == two.keys() and all(_same(one[key], two[key]) for key in one)
    if isinstance(one, (list, tuple)):
        return len(one) == len(two) and all(map(_same, one, two))
    try:
        one, two = np.asarray(one, dtype=float), np.asarray(two, dtype=float)
    except (TypeError, ValueError):
        return True
    return np.array_equal(one, two, equal_nan=True)


class substituted:
    """Context manager: temporarily rebind names in a namespace (the notebook's, by default).

    Grading one exercise with the course's reference standing in for another exercise the
    student may have got wrong keeps the points independent: a wrong gradient costs the
    gradient's points, not also those of the training loop that calls it.
    """

    def __init__(self, namespace: dict | None = None, **replacements):
        self._namespace = namespace if namespace is not None else sys._getframe(1).f_globals
        # Before a deadline the student's copy of helpers has only a stub of the course's answer:
        # the check then runs with the student's own function, and says so.
        self._kept = [name for name, value in replacements.items() if is_absent(value)]
        self._replacements = {name: value for name, value in replacements.items() if name not in self._kept}
        self._saved: dict = {}

    def __enter__(self):
        if self._kept:
            names = ", ".join(self._kept)
            print(f"Note: this check runs with your own {names}: the course's version is not in your copy of "
                  "helpers before the deadline, so a mistake there shows here too (the grader uses the course's).")
        missing = object()
        self._saved = {name: self._namespace.get(name, missing) for name in self._replacements}
        self._namespace.update(self._replacements)
        self._missing = missing
        self._remote = remote
        self._token = remote.substitute(self._namespace, self._replacements) if remote else None
        return self

    def __exit__(self, *exc_info):
        if self._token is not None:
            self._remote.restore(self._token)
        for name, value in self._saved.items():
            if value is self._missing:
                self._namespace.pop(name, None)
            else:
                self._namespace[name] = value
        return False


class DelegationError(AssertionError):
    """Raised when a student's function calls the reference implementation it should replace."""


class reference_unavailable:
    """Context manager: while it is active, calling any of the given ``helpers`` functions
    raises ``DelegationError``, however the student's code reached it: a module attribute, a
    name imported into the notebook, a registry entry, a default argument, a closure. Each
    function's code (and that of the unchecked ``kernel`` behind a checked public function)
    is swapped for a tripwire, so every reference to the function leads there.

    >>> with reference_unavailable(helpers.activations.sigmoid):
    ...     student_sigmoid(z)   # fails if it calls helpers' sigmoid

    A tripwire raises ``DelegationError``; if the student's code swallows that exception,
    leaving the block raises it again, so delegating never earns credit. In the course's
    grader the student's code runs in another process whose ``helpers`` has none of these
    functions at all; there ``remote.confirm_absent`` checks that they are absent.
    """

    def __init__(self, *functions: Callable):
        self._functions = functions
        self._swapped: list[tuple] = []
        self._calls: list[str] = []

    def __enter__(self):
        if remote is not None:
            remote.confirm_absent(self._functions)
        targets = {}
        for function in self._functions:
            for target in (function, getattr(function, "kernel", None)):
                target = getattr(target, "__func__", target)  # a method reached through an instance
                if isinstance(target, types.FunctionType):
                    targets.setdefault(id(target), (target, f"{function.__module__}.{function.__qualname__}"))
        for target, qualified in targets.values():
            self._swapped.append((target, target.__code__, target.__defaults__, target.__kwdefaults__))
            target.__code__ = _tripwire_code(len(target.__code__.co_freevars))
            target.__defaults__ = None
            target.__kwdefaults__ = {"_delegated": functools.partial(self._trip, qualified)}
        return self

    def __exit__(self, *exc_info):
        for target, code, defaults, kwdefaults in reversed(self._swapped):
            target.__code__, target.__defaults__, target.__kwdefaults__ = code, defaults, kwdefaults
        self._swapped.clear()
        if self._calls and exc_info[0] is None:
            raise DelegationError(self._message(self._calls[0]))
        return False

    def _trip(self, qualified: str):
        self._calls.append(qualified)
        raise DelegationError(self._message(qualified))

    @staticmethod
    def _message(qualified: str) -> str:
        return (f"your code called {qualified}, the reference this exercise asks you to write "
                "yourself; it earns no credit. Use NumPy directly.")


@functools.lru_cache(maxsize=None)
def _tripwire_code(free_variables: int) -> types.CodeType:
    """The code of ``tripwire(*args, _delegated, **kwargs)``, which calls ``_delegated()``,
    with as many free variables as the function it replaces (Python requires it of a closure)."""
    names = [f"_free{i}" for i in range(free_variables)]
    source = ("def outer():\n" + "".join(f"    {name} = None\n" for name in names)
              + "    def tripwire(*args, _delegated, **kwargs):\n"
              + (f"        {', '.join(names)}\n" if names else "")
              + "        return _delegated()\n    return tripwire\n")
    scope: dict = {}
    exec(source, scope)
    return scope["outer"]().__code__
