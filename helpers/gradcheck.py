r"""Gradient checking: compare an analytic gradient with central differences, and say
what is probably wrong when they disagree.

Central difference for each coordinate :math:`x_j`:

.. math::
    \frac{\partial f}{\partial x_j} \approx \frac{f(x + \epsilon e_j) - f(x - \epsilon e_j)}{2\epsilon},

with error :math:`O(\epsilon^2)`. In float64, :math:`\epsilon = 10^{-6}` leaves a relative
error around :math:`10^{-9}` for smooth functions, far below the :math:`10^{-6}` we accept.
"""
from __future__ import annotations

from typing import Callable, Mapping

import numpy as np

from helpers._validate import as_float_array, check_count, check_positive, check_rng

DEFAULT_TOLERANCE = 1e-6

#: Relative agreement of a result computed in single precision (float32 keeps about 7
#: significant digits) with the float64 one.
SINGLE_PRECISION_AGREEMENT = 1e-5
SINGLE_PRECISION_HINT = (
    "it agrees to about 6 significant digits, which is what single-precision (float32) "
    "arithmetic gives: compute in float64, NumPy's default (no dtype=np.float32 or .astype(np.float32))"
)


def numerical_gradient(
    f: Callable[[], float],
    x: np.ndarray,
    *,
    eps: float = 1e-6,
    n_samples: int | None = None,
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """Central-difference gradient of the scalar ``f()`` with respect to the array ``x``.

    ``f`` takes no argument and reads ``x`` (e.g. a closure over a network's weights),
    because ``x`` is nudged *in place* one coordinate at a time and restored after.
    With ``n_samples`` only that many random coordinates are estimated (needs ``rng``),
    and the others are NaN, which ``relative_error`` skips. Result: shape of ``x``.
    """
    if not isinstance(x, np.ndarray) or x.dtype != np.float64:
        raise TypeError("x must be a float64 NumPy array that f reads (it is perturbed in place)")
    eps = check_positive(eps, "eps")
    grad = np.full(x.shape, np.nan)
    for index in _coordinates(x, n_samples, rng):
        original = x[index]
        try:
            x[index] = original + eps
            f_plus = float(f())
            x[index] = original - eps
            f_minus = float(f())
        finally:
            x[index] = original
        grad[index] = (f_plus - f_minus) / (2 * eps)
    return grad


def _coordinates(x: np.ndarray, n_samples, rng):
    all_indices = list(np.ndindex(x.shape))
    if n_samples is None or check_count(n_samples, "n_samples") >= len(all_indices):
        return all_indices
    chosen = check_rng(rng).choice(len(all_indices), size=int(n_samples), replace=False)
    return [all_indices[i] for i in sorted(chosen)]


def relative_error(analytic, numeric) -> float:
    r"""Relative error :math:`\lVert a - n\rVert / \max(\lVert a\rVert + \lVert n\rVert, 10^{-12})`.

    Norms over the coordinates where ``numeric`` is not NaN (sampled checks leave NaN).
    Two zero gradients have error 0. A norm-wise error does not blow up on the many
    near-zero entries a real gradient has, as an elementwise ratio would.
    """
    a = as_float_array(analytic, "analytic")
    n = as_float_array(numeric, "numeric")
    if a.shape != n.shape:
        raise ValueError(f"analytic has shape {a.shape} but numeric has shape {n.shape}")
    known = ~np.isnan(n)
    a, n = a[known], n[known]
    largest = max(np.max(np.abs(a), initial=0.0), np.max(np.abs(n), initial=0.0))
    if 1.0 < largest < np.inf:  # scale down first: squaring entries above ~1e154 would overflow the norms
        a, n, floor = a / largest, n / largest, 1e-12 / largest
    else:
        floor = 1e-12
    difference = np.linalg.norm(a - n)
    scale = np.linalg.norm(a) + np.linalg.norm(n)
    return float(difference / max(scale, floor))


def diagnose(
    analytic,
    numeric,
    *,
    name: str = "the gradient",
    batch_size: int | None = None,
    known_mistakes: Mapping[str, np.ndarray] | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
) -> str | None:
    """Return ``None`` if ``analytic`` matches ``numeric``, else a sentence naming the likely mistake.

    Checked in order: wrong shape (and whether it is the transpose), NaN/inf, all zeros,
    a constant factor (−1: wrong sign; 2 or ½; the batch size or its inverse), then any
    ``known_mistakes``: a dict from a description (e.g. "you left out σ′(z)") to the
    gradient that mistake would produce on the same inputs. Without a match it reports
    the size and place of the largest difference.
    """
    a = np.asarray(analytic, dtype=float)
    n = as_float_array(numeric, "numeric")
    if a.shape != n.shape:
        if a.shape == n.T.shape and a.ndim == 2:
            return f"{name} has shape {a.shape} but should be {n.shape}: it looks transposed."
        return f"{name} has shape {a.shape} but should have shape {n.shape}."
    known = ~np.isnan(n)
    a_known, n_known = a[known], n[known]
    if not np.all(np.isfinite(a_known)):
        return f"{name} contains NaN or inf: look for an overflow or a division by zero."
    if relative_error(a, n) < tolerance:
        return None
    if _single_precision(a_known, n_known):
        return f"{name} is slightly wrong (relative error {relative_error(a, n):.2e}): {SINGLE_PRECISION_HINT}."
    if not np.any(a_known) and np.any(n_known):
        return f"{name} is all zeros, but it should not be: is the result assigned and returned?"
    factor = _best_factor(a_known, n_known)
    if factor is not None:
        message = _describe_factor(factor, batch_size)
        if message:
            return f"{name} {message}"
    for description, mistaken in (known_mistakes or {}).items():
        mistaken = np.asarray(mistaken, dtype=float)
        if mistaken.shape == a.shape and relative_error(a, np.where(known, mistaken, np.nan)) < 1e-4:
            return f"{name} matches a common mistake: {description}."
    where = np.unravel_index(np.nanargmax(np.abs(np.where(known, a - n, np.nan))), a.shape)
    return (
        f"{name} is wrong: relative error {relative_error(a, n):.2e} (we accept "
        f"{tolerance:.0e}); the largest difference is at index {tuple(int(i) for i in where)}: "
        f"yours {a[where]:.6g}, expected {n[where]:.6g}."
    )


def _single_precision(a: np.ndarray, n: np.ndarray) -> bool:
    """Close to ``n`` at float32 precision, and every entry a float32 number (cast back)."""
    return relative_error(a, n) < SINGLE_PRECISION_AGREEMENT and holds_float32_numbers(a)


def holds_float32_numbers(values: np.ndarray) -> bool:
    """Whether every entry is exactly a float32 number (and not all are 0): what a result
    computed in single precision and cast back to float64 looks like."""
    with np.errstate(over="ignore"):  # beyond float32's range: inf, which does not compare equal
        return bool(np.any(values)) and np.array_equal(values, values.astype(np.float32))


def _best_factor(a: np.ndarray, n: np.ndarray) -> float | None:
    """The c that makes ``a ≈ c·n`` (both 1-D), if a single constant explains the difference."""
    largest = np.max(np.abs(n), initial=0.0)
    if largest == 0 or not np.isfinite(largest):
        return None
    c = float((a / largest) @ (n / largest)) / float((n / largest) @ (n / largest))  # scaled: no overflow
    if c != 0 and relative_error(a, c * n) < 1e-4:
        return c
    return None


def _describe_factor(c: float, batch_size: int | None) -> str | None:
    def near(target: float) -> bool:
        return abs(c - target) <= 1e-3 * abs(target)

    if near(1):
        return None  # no factor to blame: the differences are elsewhere
    if near(-1):
        return "has the wrong sign: check the order of (a − y) or a minus in the update."
    if near(2):
        return "is twice too large (factor 2): did you drop the ½ or count a term twice?"
    if near(0.5):
        return "is half what it should be (factor ½)."
    if batch_size and batch_size > 2:
        if near(batch_size):
            return (f"is off by a factor {batch_size} = batch size: average over the batch "
                    "(divide by n) instead of summing.")
        if near(1 / batch_size):
            return (f"is {batch_size} (= batch size) times too small: you divided by n "
                    "once too often.")
    if c < 0:
        return f"points the wrong way (it is {c:.3g} times the true gradient): check the signs."
    return f"is {c:.4g} times the true gradient: a constant factor is wrong."
