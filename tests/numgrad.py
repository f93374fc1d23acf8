"""A small, independent finite-difference oracle for the test suite.

Deliberately separate from ``helpers.gradcheck``: the tests must not trust the code
they check. Everything here is float64 central differences written from scratch.
"""
from __future__ import annotations

import numpy as np


def numerical_gradient(f, x: np.ndarray, h: float = 1e-4) -> np.ndarray:
    r"""Gradient of the scalar function ``f`` at ``x`` by fourth-order central differences.

    :math:`f'(x) \approx [-f(x+2h) + 8f(x+h) - 8f(x-h) + f(x-2h)] / (12h)`, truncation
    error :math:`O(h^4)`, so ``h = 1e-4`` leaves both truncation (~1e-16) and round-off
    (~1e-12 · |f|) far below the 1e-6 tolerance. ``x`` is perturbed in place and restored.
    """
    x = np.asarray(x)
    assert x.dtype == np.float64, "the oracle works in float64 only"
    grad = np.zeros_like(x)
    flat_x, flat_g = x.reshape(-1), grad.reshape(-1)  # views: x is contiguous here
    assert np.shares_memory(flat_x, x)
    for i in range(flat_x.size):
        original = flat_x[i]
        values = []
        for step in (2 * h, h, -h, -2 * h):
            flat_x[i] = original + step
            values.append(float(f()))
        flat_x[i] = original
        f_p2, f_p1, f_m1, f_m2 = values
        # differences first: a function that does not move gives exactly 0
        flat_g[i] = (8.0 * (f_p1 - f_m1) - (f_p2 - f_m2)) / (12.0 * h)
    return grad


def elementwise_derivative(f, z: np.ndarray, h: float = 1e-4) -> np.ndarray:
    """Derivative of an elementwise function at every entry of ``z`` (one vectorised stencil)."""
    z = np.asarray(z, dtype=np.float64)
    return (8.0 * (f(z + h) - f(z - h)) - (f(z + 2 * h) - f(z - 2 * h))) / (12.0 * h)


def rel_error(analytic, numeric, floor: float = 1e-5) -> float:
    """Relative error ``||a − n|| / max(||a|| + ||n||, floor)`` over the whole array.

    A norm over the array (not entry by entry) so an entry that is ~0 on both sides does
    not turn round-off into a huge ratio. ``floor`` (CS231n uses the same idea) lets a
    gradient that is exactly 0 agree with a finite difference that is 0 up to round-off
    (~1e-12): with the 1e-6 tolerance, it forgives an absolute error below 1e-11 only.
    """
    a = np.asarray(analytic, dtype=np.float64)
    n = np.asarray(numeric, dtype=np.float64)
    assert a.shape == n.shape, f"shapes differ: {a.shape} vs {n.shape}"
    return float(np.linalg.norm(a - n) / max(np.linalg.norm(a) + np.linalg.norm(n), floor))
