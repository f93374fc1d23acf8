"""Tests for helpers.datasets: shapes, dtypes, ranges, seeding, exact and stratified splits,
parity labels, the 1-D targets and clear errors for unknown names."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import datasets


# --- loaders -----------------------------------------------------------------------------

def test_load_digits_scaled():
    X, y = datasets.load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float64
    assert y.shape == (1797,) and np.issubdtype(y.dtype, np.integer)
    assert X.min() == 0.0 and X.max() == 1.0
    assert set(np.unique(y)) == set(range(10))


def test_load_digits_raw_pixels():
    X, _ = datasets.load_digits(scale=False)
    assert X.max() == 16.0
    np.testing.assert_allclose(X / 16.0, datasets.load_digits()[0])


@pytest.mark.parametrize(
    "make",
    [lambda rng: datasets.make_moons(150, 0.1, rng), lambda rng: datasets.make_circles(150, 0.1, 0.5, rng)],
)
def test_2d_generators_shapes_and_seeding(make):
    X, y = make(np.random.default_rng(1))
    assert X.shape == (150, 2) and X.dtype == np.float64
    assert y.shape == (150,) and np.issubdtype(y.dtype, np.integer)
    assert set(np.unique(y)) == {0, 1}
    X_again, y_again = make(np.random.default_rng(1))
    np.testing.assert_array_equal(X, X_again)
    np.testing.assert_array_equal(y, y_again)
    assert not np.array_equal(X, make(np.random.default_rng(2))[0])


@pytest.mark.parametrize("noise", [0.0, 0.05, 0.2])
def test_moons_noise_is_the_spread_around_the_half_circles(rng, noise):
    X, y = datasets.make_moons(4000, noise, rng)
    for label, centre in ((0, (0.0, 0.0)), (1, (1.0, 0.5))):  # two unit half-circles
        radii = np.linalg.norm(X[y == label] - centre, axis=1)
        assert radii.mean() == pytest.approx(1.0, abs=max(noise, 1e-12))
        assert radii.std() == pytest.approx(noise, rel=0.25, abs=1e-12)


def test_generators_draw_their_seed_from_a_wide_range():
    """A hundred generators give a hundred different data sets (no small pool of seeds)."""
    samples = {datasets.make_moons(10, 0.1, np.random.default_rng(seed))[0].tobytes() for seed in range(100)}
    assert len(samples) == 100


@pytest.mark.parametrize("noise", [0.05, 0.2])
def test_circles_noise_is_the_spread_of_the_radii(rng, noise):
    X, y = datasets.make_circles(4000, noise, 0.5, rng)
    radii = np.linalg.norm(X, axis=1)
    for label, radius in ((0, 1.0), (1, 0.5)):  # Gaussian noise in 2-D moves |x| by about noise
        assert radii[y == label].mean() == pytest.approx(radius, abs=noise)
        assert radii[y == label].std() == pytest.approx(noise, rel=0.25)


def test_circles_without_noise_lie_on_two_radii(rng):
    X, y = datasets.make_circles(100, 0.0, 0.3, rng)
    radii = np.linalg.norm(X, axis=1)
    np.testing.assert_allclose(radii[y == 0], 1.0)
    np.testing.assert_allclose(radii[y == 1], 0.3)


def test_generator_errors(rng):
    with pytest.raises(ValueError, match=r"^noise must be a finite number >= 0, got -0\.1"):
        datasets.make_moons(100, -0.1, rng)
    datasets.make_moons(100, 0.0, rng)  # no noise is allowed
    with pytest.raises(ValueError, match=r"n \(number of samples\) must be a whole number >= 2, got 1"):
        datasets.make_moons(1, 0.1, rng)
    with pytest.raises(TypeError, match="Generator"):
        datasets.make_circles(100, 0.1, 0.5, 0)
    with pytest.raises(ValueError, match=r"^factor must lie in \[0, 1\), got 1\.0"):
        datasets.make_circles(100, 0.1, 1.0, rng)


@pytest.mark.parametrize("n_bits", [1, 3, 6])
def test_parity_bits(n_bits):
    X, y = datasets.parity_bits(n_bits)
    assert X.shape == (2**n_bits, n_bits) and X.dtype == np.float64
    assert y.shape == (2**n_bits,) and y.dtype == np.int64
    assert len({tuple(row) for row in X}) == 2**n_bits, "every pattern exactly once"
    for row, label in zip(X, y):
        assert label == "".join(str(int(b)) for b in row).count("1") % 2
    for bit in range(n_bits):  # flipping any single bit flips the label
        flipped = X.copy()
        flipped[:, bit] = 1 - flipped[:, bit]
        lookup = {tuple(row): label for row, label in zip(X, y)}
        assert all(lookup[tuple(row)] != label for row, label in zip(flipped, y))


def test_parity_bits_go_up_to_20():
    X, y = datasets.parity_bits(20)  # the largest allowed: a million patterns
    assert X.shape == (2**20, 20) and y[-1] == 0  # twenty ones: even


def test_parity_row_order_is_binary_counting():
    X, _ = datasets.parity_bits(3)
    np.testing.assert_array_equal(X[5], [1, 0, 1])


@pytest.mark.parametrize("n_bits", [0, 21, 2.5, True])
def test_parity_bits_rejects_bad_sizes(n_bits):
    with pytest.raises(ValueError, match=r"^n_bits must be (a positive integer|an integer from 1 to 20), got"):
        datasets.parity_bits(n_bits)


# --- splits ------------------------------------------------------------------------------

@settings(max_examples=25)
@given(
    n=st.integers(10, 300),
    n_classes=st.integers(1, 5),
    val=st.floats(0.0, 0.45),
    test=st.floats(0.0, 0.45),
    stratify=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_split_is_an_exact_partition(n, n_classes, val, test, stratify, seed):
    X = np.arange(n, dtype=float)[:, None] * np.ones((1, 3))  # row i is recognisable by its value
    y = np.arange(n) % n_classes
    split = datasets.train_val_test_split(X, y, np.random.default_rng(seed), val, test, stratify)
    ids = np.concatenate([split.X_train[:, 0], split.X_val[:, 0], split.X_test[:, 0]]).astype(int)
    np.testing.assert_array_equal(np.sort(ids), np.arange(n))
    parts = ((split.X_train, split.y_train), (split.X_val, split.y_val), (split.X_test, split.y_test))
    for part_X, part_y in parts:  # rows and labels stay paired
        np.testing.assert_array_equal(part_y, part_X[:, 0].astype(int) % n_classes)
    if not stratify:
        assert len(split.y_val) == round(val * n) and len(split.y_test) == round(test * n)


def test_stratified_split_keeps_class_proportions():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 2], [500, 300, 200])
    X = rng.normal(size=(1000, 2))
    split = datasets.train_val_test_split(X, y, rng, val_fraction=0.2, test_fraction=0.1)
    for part, fraction in ((split.y_val, 0.2), (split.y_test, 0.1), (split.y_train, 0.7)):
        np.testing.assert_array_equal(np.bincount(part), [500 * fraction, 300 * fraction, 200 * fraction])


def test_split_defaults_are_a_stratified_60_20_20():
    """Two classes of 7: per class round(0.2 · 7) = 1 sample each for validation and test (2 in all),
    where an unstratified cut would take round(0.2 · 14) = 3."""
    y = np.repeat([0, 1], 7)
    split = datasets.train_val_test_split(np.zeros((14, 1)), y, np.random.default_rng(0))
    for part, counts in ((split.y_val, [1, 1]), (split.y_test, [1, 1]), (split.y_train, [5, 5])):
        np.testing.assert_array_equal(np.bincount(part, minlength=2), counts)


def test_split_shuffles_and_is_deterministic():
    X, y = datasets.load_digits()
    first = datasets.train_val_test_split(X, y, np.random.default_rng(3))
    again = datasets.train_val_test_split(X, y, np.random.default_rng(3))
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first.y_train[:20], np.sort(first.y_train[:20])), "classes should be mixed"
    other = datasets.train_val_test_split(X, y, np.random.default_rng(4))
    assert not np.array_equal(first.y_test, other.y_test)


def test_split_errors(rng):
    X, y = np.zeros((10, 2)), np.zeros(10, dtype=int)
    with pytest.raises(ValueError, match="one row per sample"):
        datasets.train_val_test_split(X, y[:9], rng)
    with pytest.raises(ValueError, match=r"^val_fraction \+ test_fraction must be < 1 to leave training data, got 1\.0"):
        datasets.train_val_test_split(X, y, rng, val_fraction=0.5, test_fraction=0.5)
    with pytest.raises(ValueError, match=r"^val_fraction must lie in \[0, 1\), got -0\.1"):
        datasets.train_val_test_split(X, y, rng, val_fraction=-0.1)
    with pytest.raises(ValueError, match=r"^test_fraction must lie in \[0, 1\), got 1\.0"):
        datasets.train_val_test_split(X, y, rng, test_fraction=1.0)
    with pytest.raises(ValueError, match="X and y need one row per sample"):
        datasets.train_val_test_split(np.float64(1.0), y, rng)
    with pytest.raises(ValueError, match="use stratify=False"):
        datasets.train_val_test_split(X, np.zeros((10, 1)), rng)
    with pytest.raises(TypeError, match="Generator"):
        datasets.train_val_test_split(X, y, 0)


# --- 1-D targets -------------------------------------------------------------------------

def test_wiggly_target_values():
    f = datasets.TARGET_FUNCTIONS["wiggly"]
    for x in (0.0, 0.5, 1.0):
        expected = 0.2 + 0.4 * x**2 + 0.3 * x * math.sin(15 * x) + 0.05 * math.cos(50 * x)
        assert f(np.array([x]))[0] == pytest.approx(expected, abs=1e-14)
    assert f(np.array([0.0]))[0] == pytest.approx(0.25)


def test_other_targets():
    x = np.array([0.0, 0.25, 0.5, 0.75, 1.0])
    np.testing.assert_allclose(datasets.TARGET_FUNCTIONS["sine"](x), [0, 1, 0, -1, 0], atol=1e-12)
    np.testing.assert_array_equal(datasets.TARGET_FUNCTIONS["step"](x), [0, 0, 1, 1, 1])
    np.testing.assert_allclose(datasets.TARGET_FUNCTIONS["abs"](x), [0.5, 0.25, 0, 0.25, 0.5])


@pytest.mark.parametrize("name", sorted(datasets.TARGET_FUNCTIONS))
def test_sample_1d_on_a_grid(name):
    x, y = datasets.sample_1d(name, 11)
    assert x.shape == y.shape == (11, 1) and x.dtype == y.dtype == np.float64
    np.testing.assert_allclose(x[:, 0], np.linspace(0, 1, 11))
    np.testing.assert_allclose(y[:, 0], datasets.TARGET_FUNCTIONS[name](x[:, 0]))


def test_sample_1d_random_points_and_noise():
    x, y = datasets.sample_1d("sine", 500, np.random.default_rng(0), noise=0.1)
    assert np.all(np.diff(x[:, 0]) >= 0) and x.min() >= 0 and x.max() <= 1
    assert x.min() < 0.02 and x.max() > 0.98  # uniform draws fill [0, 1]
    assert not np.allclose(x[:, 0], np.linspace(0, 1, 500), atol=1e-3)  # drawn, not a grid
    residual = y[:, 0] - np.sin(2 * np.pi * x[:, 0])
    assert residual.std() == pytest.approx(0.1, rel=0.15)
    assert abs(residual.mean()) < 3 * 0.1 / np.sqrt(500)  # zero-mean noise
    # the sorted uniform points first, then the noise, both from the one generator passed in
    draws = np.random.default_rng(0)
    points = np.sort(draws.uniform(0.0, 1.0, 500))
    np.testing.assert_array_equal(x[:, 0], points)
    np.testing.assert_allclose(y[:, 0], np.sin(2 * np.pi * points) + draws.normal(0.0, 0.1, 500), rtol=1e-15)
    x_again, y_again = datasets.sample_1d("sine", 500, np.random.default_rng(0), noise=0.1)
    np.testing.assert_array_equal(y, y_again)


def test_sample_1d_errors():
    with pytest.raises(ValueError, match="unknown target.*wiggly"):
        datasets.sample_1d("cosine", 10)
    with pytest.raises(ValueError, match=r"^noise > 0 needs an rng \(a numpy.random.Generator\) to draw it from$"):
        datasets.sample_1d("sine", 10, noise=0.1)
    with pytest.raises(ValueError, match=r"^n \(number of points\) must be a positive integer, got 0"):
        datasets.sample_1d("sine", 0)
    with pytest.raises(ValueError, match=r"^noise must be a finite number >= 0, got -1\.0"):
        datasets.sample_1d("sine", 10, np.random.default_rng(0), noise=-1.0)


def test_a_registered_target_must_give_numbers(monkeypatch):
    monkeypatch.setitem(datasets.TARGET_FUNCTIONS, "words", lambda x: np.array(["a"] * len(x)))
    with pytest.raises(TypeError, match="^target values must hold numbers"):
        datasets.sample_1d("words", 5)
