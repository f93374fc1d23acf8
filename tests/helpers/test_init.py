"""Tests for helpers.init: variances against the formulas, bounds, shapes, seeding,
symmetric initialisers, and clear errors for bad sizes and generators.
"""
from __future__ import annotations

import numpy as np
import pytest

from helpers import init

RANDOM = ["normal", "lecun", "xavier_normal", "xavier_uniform", "he"]
DETERMINISTIC = ["zeros", "constant"]

# (name, fan_in, fan_out, the variance the formula asks for). Non-square shapes so that
# 1/n_in, 2/n_in and 2/(n_in + n_out) are all different numbers.
VARIANCE_CASES = [
    ("lecun", 300, 500, 1 / 300),
    ("xavier_normal", 300, 500, 2 / 800),
    ("xavier_uniform", 300, 500, 2 / 800),
    ("he", 500, 300, 2 / 500),
    ("normal", 400, 400, 1.0),
]


@pytest.mark.parametrize("name, fan_in, fan_out, variance", VARIANCE_CASES, ids=[c[0] for c in VARIANCE_CASES])
def test_empirical_variance_matches_the_formula(name, fan_in, fan_out, variance):
    W = init.get_initialiser(name)(fan_in, fan_out, np.random.default_rng(0))
    assert W.shape == (fan_in, fan_out)
    # 150 000 draws: the sample variance is within ~0.4 % (one standard error) of the truth
    assert np.var(W) == pytest.approx(variance, rel=0.03)
    assert abs(np.mean(W)) < 5 * np.sqrt(variance / W.size)


@pytest.mark.parametrize("std", [0.01, 0.5, 3.0])
def test_normal_has_the_requested_std(std):
    W = init.normal(400, 400, np.random.default_rng(1), std=std)
    assert np.var(W) == pytest.approx(std**2, rel=0.03)


def test_normal_with_std_zero_is_all_zeros():
    np.testing.assert_array_equal(init.normal(3, 4, np.random.default_rng(0), std=0.0), np.zeros((3, 4)))


def test_xavier_uniform_stays_within_its_limit_and_reaches_it():
    fan_in, fan_out = 300, 500
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    W = init.xavier_uniform(fan_in, fan_out, np.random.default_rng(2))
    assert np.all(np.abs(W) <= limit)
    assert W.max() > 0.99 * limit and W.min() < -0.99 * limit
    # uniform, not bell-shaped: about a quarter of the draws in each quarter of [-a, a]
    counts, _ = np.histogram(W, bins=4, range=(-limit, limit))
    np.testing.assert_allclose(counts / W.size, 0.25, atol=0.01)


def test_he_is_lecun_scaled_by_sqrt_two():
    # with a common seed the draws are the same standard normals, only the scale differs
    rng_a, rng_b = np.random.default_rng(3), np.random.default_rng(3)
    he, lecun = init.he_normal(400, 400, rng_a), init.lecun_normal(400, 400, rng_b)
    np.testing.assert_allclose(he, np.sqrt(2.0) * lecun, rtol=1e-12)  # same draws, scaled


@pytest.mark.parametrize("name", RANDOM + DETERMINISTIC)
@pytest.mark.parametrize("fan_in, fan_out", [(1, 1), (3, 5), (5, 3), (np.int64(2), np.int32(7))])
def test_shape_and_dtype(name, fan_in, fan_out):
    W = init.get_initialiser(name)(fan_in, fan_out, np.random.default_rng(0))
    assert W.shape == (int(fan_in), int(fan_out))
    assert W.dtype == np.float64
    assert np.all(np.isfinite(W))


@pytest.mark.parametrize("name", RANDOM)
def test_same_seed_same_draw_and_different_seed_different_draw(name):
    f = init.get_initialiser(name)
    first = f(6, 4, np.random.default_rng(42))
    again = f(6, 4, np.random.default_rng(42))
    other = f(6, 4, np.random.default_rng(43))
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
    # the draw comes from the caller's generator: it advances it
    rng = np.random.default_rng(42)
    f(6, 4, rng)
    assert not np.array_equal(f(6, 4, rng), first)


@pytest.mark.parametrize("name", RANDOM)
def test_random_initialisers_break_symmetry(name):
    W = init.get_initialiser(name)(4, 5, np.random.default_rng(0))
    assert len(np.unique(W)) == W.size  # every weight different


def test_zeros_and_constant_are_symmetric():
    np.testing.assert_array_equal(init.zeros(3, 4), np.zeros((3, 4)))
    np.testing.assert_array_equal(init.constant(3, 4), np.full((3, 4), 0.1))
    np.testing.assert_array_equal(init.constant(2, 2, value=-0.5), np.full((2, 2), -0.5))
    for W in (init.zeros(3, 4), init.constant(3, 4, np.random.default_rng(0), value=2.0)):
        # every unit (column) has exactly the same incoming weights
        assert np.all(W == W[:, :1])
    # they take a generator only to share the signature, and ignore it
    rng = np.random.default_rng(0)
    state = rng.bit_generator.state
    init.zeros(3, 4, rng)
    init.constant(3, 4, rng)
    assert rng.bit_generator.state == state


@pytest.mark.parametrize("name", RANDOM + DETERMINISTIC)
@pytest.mark.parametrize("bad", [0, -1, 2.5, True, False, "3", None, 3.0, np.float64(2.0)])
def test_bad_fan_in_and_fan_out_raise_a_clear_error(name, bad):
    f = init.get_initialiser(name)
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=r"fan_in must be a positive integer, got"):
        f(bad, 3, rng)
    with pytest.raises(ValueError, match=r"fan_out must be a positive integer, got"):
        f(3, bad, rng)


@pytest.mark.parametrize("name", RANDOM)
@pytest.mark.parametrize("bad_rng", [0, 42, None, "seed", np.random.RandomState(0)])
def test_random_initialisers_insist_on_a_generator(name, bad_rng):
    with pytest.raises(TypeError, match=r"rng must be a numpy.random.Generator.*default_rng"):
        init.get_initialiser(name)(3, 4, bad_rng)


@pytest.mark.parametrize("bad_std", [-1.0, float("nan"), float("inf")])
def test_normal_rejects_a_bad_std(bad_std):
    with pytest.raises(ValueError, match=rf"^std must be a finite number(, | >= 0, )got {bad_std}$"):
        init.normal(3, 4, np.random.default_rng(0), std=bad_std)


def test_registry_and_unknown_names():
    assert set(init.INITIALISERS) == {"zeros", "constant", "normal", "lecun", "xavier_normal", "xavier_uniform", "he"}
    assert init.get_initialiser("he") is init.he_normal
    assert init.get_initialiser("lecun") is init.lecun_normal
    for bad in ("kaiming", "Xavier", None):
        with pytest.raises(ValueError, match="unknown initialiser") as info:
            init.get_initialiser(bad)
        for known in init.INITIALISERS:
            assert known in str(info.value)


# --- the one table of variance rules ----------------------------------------------------------

def test_schemes_state_their_labels_and_variances():
    fan_in, fan_out = 300, 500
    table = {name: (scheme.label, init.variance(name, fan_in, fan_out)) for name, scheme in init.SCHEMES.items()}
    assert table == {
        "normal": ("N(0, 1)", 1.0),
        "lecun": ("LeCun 1/n_in", 1 / 300),
        "xavier": ("Glorot 2/(n_in+n_out)", 2 / 800),
        "he": ("He 2/n_in", 2 / 300),
    }


@pytest.mark.parametrize("fans", [(7, 5), (1, 1), (3, 700), (300, 300), (1000, 3)])
@pytest.mark.parametrize("scheme, initialiser", [("lecun", "lecun"), ("xavier", "xavier_normal"), ("he", "he")])
def test_normal_initialisers_draw_with_the_tables_variance(scheme, initialiser, fans):
    # Each initialiser states its rule itself (05's answers are stubs in a student's copy): the same draws.
    drawn = init.get_initialiser(initialiser)(*fans, np.random.default_rng(4))
    expected = np.random.default_rng(4).normal(0.0, np.sqrt(init.variance(scheme, *fans)), size=fans)
    np.testing.assert_array_equal(drawn, expected)


def test_variance_names_an_unknown_scheme_and_bad_fans():
    with pytest.raises(ValueError, match="unknown variance scheme 'kaiming'") as info:
        init.variance("kaiming", 3, 4)
    for known in init.SCHEMES:
        assert known in str(info.value)
    with pytest.raises(ValueError, match="fan_in must be a positive integer, got 0"):
        init.variance("he", 0, 4)
    with pytest.raises(ValueError, match="fan_out must be a positive integer, got 2.0"):
        init.variance("xavier", 3, 2.0)
