"""Input checks shared by every module: turn bad input into one clear error.

A student who passes a list, an int array or the wrong shape should read what was
expected, not a broadcasting traceback from deep inside NumPy.
"""
from __future__ import annotations

import math

import numpy as np

_FLOAT_DTYPES = (np.dtype(np.float64), np.dtype(np.float32))


def as_float_array(x, name: str, ndim: int | tuple[int, ...] | None = None) -> np.ndarray:
    """Return ``x`` as a float64 array, or raise a ``TypeError``/``ValueError`` naming ``name``.

    ``ndim`` restricts the number of dimensions (an int or a tuple of allowed ints).
    Float32 stays float32 so a caller can ask for it on purpose; everything else
    numeric becomes float64.
    """
    if type(x) is np.ndarray and x.dtype in _FLOAT_DTYPES:
        array = x  # already right: the common case inside training loops, so it stays cheap
    else:
        try:
            array = np.asarray(x)
        except Exception as error:  # ragged lists and the like
            raise TypeError(f"{name} must be array-like of numbers, got {type(x).__name__}") from error
        if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
            raise TypeError(f"{name} must hold numbers, got dtype {array.dtype}")
        if np.issubdtype(array.dtype, np.complexfloating):
            raise TypeError(f"{name} must be real, got dtype {array.dtype}")
        if array.dtype not in _FLOAT_DTYPES:
            array = array.astype(np.float64)
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if array.ndim not in allowed:
            wanted = " or ".join(str(d) for d in allowed)
            raise ValueError(f"{name} must have {wanted} dimension(s), got shape {array.shape}")
    return array


def check_shape(array: np.ndarray, expected: tuple, name: str) -> None:
    """Raise ``ValueError`` unless ``array.shape`` matches ``expected`` (``None`` = any size)."""
    shape = np.shape(array)
    matches = len(shape) == len(expected) and all(
        want is None or want == got for want, got in zip(expected, shape)
    )
    if not matches:
        shown = tuple("any" if want is None else want for want in expected)
        raise ValueError(f"{name} should have shape {shown}, got {shape}")


def check_same_shape(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    """Raise ``ValueError`` unless ``a`` and ``b`` have equal shapes."""
    if np.shape(a) != np.shape(b):
        raise ValueError(
            f"{name_a} and {name_b} must have the same shape, got {np.shape(a)} and {np.shape(b)}"
        )


def check_dict(value, name: str) -> dict:
    """Return ``value`` if it is a dict (name → array), else raise ``TypeError`` naming ``name``."""
    if not isinstance(value, dict):
        raise TypeError(f"{name} must be a dict name -> array, got {type(value).__name__}")
    return value


def arrays_like(reference: dict, other, name: str, reference_name: str = "params") -> dict:
    """``other`` as float arrays, after checking that it has the keys and shapes of the dict of
    arrays ``reference``; errors name ``name[key]`` and the keys missing or unexpected."""
    other = check_dict(other, name)
    if other.keys() != reference.keys():
        missing, extra = sorted(set(reference) - set(other)), sorted(set(other) - set(reference))
        raise ValueError(f"{name} needs the keys of {reference_name}: missing {missing}, unexpected {extra}")
    arrays = {}
    for key, value in other.items():
        if not (type(value) is np.ndarray and value.dtype == np.float64):  # else already right: no names to format
            value = as_float_array(value, f"{name}[{key!r}]")
        if value.shape != getattr(reference[key], "shape", None):  # cheap for arrays; the check is exact
            check_same_shape(reference[key], value, f"{reference_name}[{key!r}]", f"{name}[{key!r}]")
        arrays[key] = value
    return arrays


def check_finite(array: np.ndarray, name: str) -> np.ndarray:
    """Return ``array``, or raise ``ValueError`` naming ``name`` and its first NaN or inf."""
    if not np.isfinite(array).all():
        _raise_not_finite(array, name)
    return array


def _raise_not_finite(array: np.ndarray, name: str):
    bad = np.argwhere(~np.isfinite(array))[0]
    index = tuple(int(i) for i in bad)
    raise ValueError(
        f"{name} must be finite, but it holds {array[index]} at index {index}: "
        "look for a NaN or inf in the data or a diverging computation before this call"
    )


def check_real(value, name: str) -> float:
    """Return ``value`` as a finite float; a ``TypeError`` naming ``name`` if it is not a real
    number (a string, a bool, an array of several values), a ``ValueError`` if NaN or inf."""
    if type(value) is float:
        number = value  # the common case, every optimiser step: keep it cheap
    else:
        if np.ndim(value) != 0:
            raise TypeError(f"{name} must be a single real number, got an array of shape {np.shape(value)}")
        if isinstance(value, (str, bytes, bool, np.bool_)):
            raise TypeError(f"{name} must be a real number, got {value!r} ({type(value).__name__})")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise TypeError(f"{name} must be a real number, got {value!r} ({type(value).__name__})") from None
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return number


def check_count(value, name: str, minimum: int = 1) -> int:
    """Return ``value`` as an int, or raise ``ValueError`` if it is not a whole number >= ``minimum``
    (a bool, a float such as 3.0 or a string is not a count)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        wanted = "a positive integer" if minimum == 1 else f"a whole number >= {minimum}"
        raise ValueError(f"{name} must be {wanted}, got {value!r}")
    return int(value)


def check_positive(value, name: str, allow_zero: bool = False) -> float:
    """Return ``value`` as a float, or raise ``ValueError`` if it is not (strictly) positive."""
    number = check_real(value, name)
    if number < 0 or (number == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be a finite number {bound}, got {value!r}")
    return number


def check_probability(value, name: str, *, include_one: bool = False) -> float:
    """Return ``value`` as a float in [0, 1) (or [0, 1]), else raise ``ValueError``."""
    number = check_real(value, name)
    upper_ok = number <= 1 if include_one else number < 1
    if not (0 <= number and upper_ok):
        interval = "[0, 1]" if include_one else "[0, 1)"
        raise ValueError(f"{name} must lie in {interval}, got {value!r}")
    return number


def check_rng(rng) -> np.random.Generator:
    """Insist on a ``numpy.random.Generator`` so every random draw is seeded by its caller."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            "rng must be a numpy.random.Generator, e.g. np.random.default_rng(0); "
            f"got {type(rng).__name__}"
        )
    return rng


def lookup(registry: dict, name, kind: str):
    """``registry[name]``, or a ``ValueError`` naming the ``kind`` and the names that exist."""
    try:
        return registry[name]
    except (KeyError, TypeError):
        known = ", ".join(sorted(registry))
        raise ValueError(f"unknown {kind} {name!r}; choose one of: {known}") from None
