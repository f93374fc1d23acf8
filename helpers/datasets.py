r"""Small data sets, all offline: scikit-learn's bundled digits and its 2-D generators,
parity bits, and 1-D target functions for universal approximation; plus seeded splits.

Every loader returns ``(X, y)`` with rows = samples: ``X`` float64 of shape
(n_samples, n_features), ``y`` int64 class labels of shape (n_samples,) (or, for the 1-D
targets, float64 of shape (n, 1)). Randomness comes only from a ``numpy.random.Generator``
passed in by the caller, so the same seed gives the same data.
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np

from helpers._validate import as_float_array, check_count, check_positive, check_probability, check_rng, lookup


class Split(NamedTuple):
    """Training, validation and test parts of one data set (rows = samples)."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


def train_val_test_split(X, y, rng, val_fraction=0.2, test_fraction=0.2, stratify=True) -> Split:
    """Shuffle and cut ``(X, y)`` into a ``Split``; every sample lands in exactly one part.

    The validation and test parts get ``round(fraction · n)`` samples each; with
    ``stratify=True`` (``y`` must then be 1-D class labels) that rounding is done per class,
    so each part keeps the class proportions of ``y``. The training part gets the rest.
    """
    rng = check_rng(rng)
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim == 0 or y.ndim == 0 or X.shape[0] != y.shape[0]:
        raise ValueError(f"X and y need one row per sample, got shapes {X.shape} and {y.shape}")
    val_fraction = check_probability(val_fraction, "val_fraction")
    test_fraction = check_probability(test_fraction, "test_fraction")
    if val_fraction + test_fraction >= 1:
        total = val_fraction + test_fraction
        raise ValueError(f"val_fraction + test_fraction must be < 1 to leave training data, got {total}")
    if stratify and y.ndim != 1:
        raise ValueError(f"stratify needs 1-D class labels, got y of shape {y.shape}; use stratify=False")
    groups = [np.flatnonzero(y == label) for label in np.unique(y)] if stratify else [np.arange(len(y))]
    parts = ([], [], [])  # indices for train, validation, test
    for group in groups:
        group = rng.permutation(group)
        n_val, n_test = round(val_fraction * len(group)), round(test_fraction * len(group))
        parts[1].append(group[:n_val])
        parts[2].append(group[n_val:n_val + n_test])
        parts[0].append(group[n_val + n_test:])
    train, val, test = (rng.permutation(np.concatenate(part)) for part in parts)  # mix the classes
    return Split(X[train], y[train], X[val], y[val], X[test], y[test])


# --- classification data sets ------------------------------------------------------------

def load_digits(scale: bool = True):
    """scikit-learn's 8×8 handwritten digits (bundled, no download): 1797 images, 10 classes.

    Returns ``X`` float64 (1797, 64), pixels in [0, 1] if ``scale`` (raw values 0–16
    otherwise), and ``y`` int64 (1797,) with digits 0–9.
    """
    import sklearn.datasets  # 1.7 s to import: only the three loaders that need it pay for it

    digits = sklearn.datasets.load_digits()
    X = digits.data.astype(np.float64)
    return (X / 16.0 if scale else X), digits.target.astype(np.int64)


def make_moons(n: int, noise: float, rng):
    """Two interleaving half-moons in 2-D: ``X`` float64 (n, 2), ``y`` int64 (n,) in {0, 1}.

    ``noise`` is the standard deviation of Gaussian noise added to the points.
    """
    n, noise, seed = _generator_inputs(n, noise, rng)
    import sklearn.datasets

    X, y = sklearn.datasets.make_moons(n_samples=n, noise=noise, random_state=seed)
    return X.astype(np.float64), y.astype(np.int64)


def make_circles(n: int, noise: float, factor: float, rng):
    """A circle inside a circle: ``X`` float64 (n, 2), ``y`` int64 (n,), 1 for the inner one.

    ``factor`` in (0, 1) is the inner radius relative to the outer one; ``noise`` as in
    ``make_moons``. No straight line separates the classes.
    """
    n, noise, seed = _generator_inputs(n, noise, rng)
    factor = check_probability(factor, "factor")
    import sklearn.datasets

    X, y = sklearn.datasets.make_circles(n_samples=n, noise=noise, factor=factor, random_state=seed)
    return X.astype(np.float64), y.astype(np.int64)


def parity_bits(n_bits: int):
    """Every pattern of ``n_bits`` bits, labelled by parity (1 if an odd number of ones).

    Returns ``X`` float64 (2**n_bits, n_bits) of 0/1, row ``i`` being ``i`` in binary
    (most significant bit first), and ``y`` int64 (2**n_bits,). Flipping any single bit
    flips the label, which is what makes parity hard for a shallow network.
    """
    if check_count(n_bits, "n_bits") > 20:
        raise ValueError(f"n_bits must be an integer from 1 to 20, got {n_bits!r}")
    codes = np.arange(2**n_bits)
    shifts = np.arange(n_bits - 1, -1, -1)
    bits = (codes[:, None] >> shifts) & 1
    return bits.astype(np.float64), (bits.sum(axis=1) % 2).astype(np.int64)


def _generator_inputs(n, noise, rng):
    n = check_count(n, "n (number of samples)", minimum=2)
    noise = check_positive(noise, "noise", allow_zero=True)
    seed = int(check_rng(rng).integers(2**31 - 1))  # scikit-learn wants an int seed
    return n, noise, seed


# --- 1-D targets for universal approximation -------------------------------------------------

TARGET_FUNCTIONS: dict[str, Callable] = {
    # Nielsen's example from his visual proof of universality
    "wiggly": lambda x: 0.2 + 0.4 * x**2 + 0.3 * x * np.sin(15 * x) + 0.05 * np.cos(50 * x),
    "sine": lambda x: np.sin(2 * np.pi * x),
    "step": lambda x: np.where(x >= 0.5, 1.0, 0.0),
    "abs": lambda x: np.abs(x - 0.5),  # a kink in the middle of [0, 1]
}


def get_target_function(name: str) -> Callable:
    """Return the vectorised function ``f(x)`` on [0, 1] registered under ``name``."""
    return lookup(TARGET_FUNCTIONS, name, "target function")


def sample_1d(name: str, n: int, rng=None, noise: float = 0.0):
    """Sample the target ``name`` at ``n`` points of [0, 1]: ``(x, y)``, both float64 (n, 1).

    Without ``rng`` the points are evenly spaced (``np.linspace(0, 1, n)``); with one they
    are uniform draws, sorted. ``noise`` > 0 adds Gaussian noise of that standard deviation
    to ``y`` and needs ``rng``.
    """
    f = get_target_function(name)
    n = check_count(n, "n (number of points)")
    noise = check_positive(noise, "noise", allow_zero=True)
    if rng is None and noise > 0:
        raise ValueError("noise > 0 needs an rng (a numpy.random.Generator) to draw it from")
    x = np.linspace(0.0, 1.0, n) if rng is None else np.sort(check_rng(rng).uniform(0.0, 1.0, n))
    y = as_float_array(f(x), "target values")
    if noise > 0:
        y = y + rng.normal(0.0, noise, size=y.shape)
    return x[:, None], y[:, None]
