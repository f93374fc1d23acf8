"""Tests for helpers.experiments.universal_approximation: steps and bumps, the bump network's layout and its 1/N
error, towers, the parity and sawtooth constructions on every input, and the bump network's gradient (against
finite differences and the network's own backward pass), its wrong derivations and the Adam fit that uses it."""
from __future__ import annotations

import re

import numpy as np
import pytest

from helpers.experiments import universal_approximation
from helpers import checks, datasets, losses, network, train
from numgrad import numerical_gradient, rel_error

TARGETS = datasets.TARGET_FUNCTIONS


def test_step_and_bump_values():
    assert universal_approximation.step(np.array([0.3]), 0.3, 50.0)[0] == 0.5
    far = universal_approximation.step(np.array([-1.0, 2.0]), 0.5, 1e6)  # no overflow at huge steepness
    np.testing.assert_array_equal(far, [0.0, 1.0])
    x = np.array([0.0, 0.5, 1.0])
    np.testing.assert_allclose(universal_approximation.bump(x, 0.3, 0.7, 2.0, 1000.0), [0.0, 2.0, 0.0], atol=1e-12)
    # the rise from 0.05 to 0.95 takes 2 ln 19 / k
    k = 100.0
    assert universal_approximation.step(np.array([0.5 + np.log(19) / k]), 0.5, k)[0] == pytest.approx(0.95)


def test_bump_edges():
    edges, centres = universal_approximation.bump_edges(4)
    np.testing.assert_allclose(centres, [0.125, 0.375, 0.625, 0.875])
    np.testing.assert_allclose(edges, [-0.125, 0.25, 0.5, 0.75, 1.125])
    with pytest.raises(ValueError, match="positive integer"):
        universal_approximation.bump_edges(0)
    with pytest.raises(ValueError, match="b > a"):
        universal_approximation.bump_edges(3, (1.0, 0.0))


@pytest.mark.parametrize("name", ["sine", "wiggly", "abs"])
def test_bump_network_is_flat_at_the_heights(name):
    f, n = TARGETS[name], 8
    params = universal_approximation.bump_network(f, n, 5000.0 * n)
    assert params["W1"].shape == (1, 16) and params["b1"].shape == (16,)
    assert params["W2"].shape == (16, 1) and params["b2"].shape == (1,)
    _, centres = universal_approximation.bump_edges(n)
    for offset in (-0.25 / n, 0.0, 0.25 / n):
        np.testing.assert_allclose(universal_approximation.network_output(params, centres + offset), f(centres), atol=1e-9)
    np.testing.assert_allclose(universal_approximation.network_output(params, [0.0, 1.0]), f(centres[[0, -1]]), atol=1e-9)


def test_error_falls_like_one_over_n():
    maxima, means = universal_approximation.errors_against_bumps(TARGETS["sine"], [10, 20, 40, 80])
    ratios = maxima[:-1] / maxima[1:]
    assert np.all((ratios > 1.8) & (ratios < 2.2))
    assert np.all(np.diff(means) < 0)
    step_max, step_mean = universal_approximation.errors_against_bumps(TARGETS["step"], [10, 40])
    assert step_max[-1] == pytest.approx(0.5, abs=1e-3)  # a jump is never matched in max error
    assert step_mean[-1] < step_mean[0]


def test_approximation_errors_by_hand():
    params = universal_approximation.bump_network(lambda c: np.ones_like(c), 2, 1e4)  # the constant 1
    worst, mean = universal_approximation.approximation_errors(lambda x: np.zeros_like(x), params, np.array([0.1, 0.4, 0.9]))
    assert worst == pytest.approx(1.0) and mean == pytest.approx(1.0)


def test_tower_network_approximates_a_smooth_surface():
    f = lambda x, y: np.sin(3 * x) * np.cos(2 * y)  # noqa: E731
    net = universal_approximation.tower_network(f, 10, 4000.0, 60.0)
    assert net.layer_sizes == [2, 40, 100, 1]
    _, centres = universal_approximation.bump_edges(10)
    cx, cy = np.meshgrid(centres, centres)
    out = net.predict(np.column_stack([cx.ravel(), cy.ravel()]))[:, 0]
    np.testing.assert_allclose(out, f(cx.ravel(), cy.ravel()), atol=1e-6)  # exact at the cell centres
    g = np.random.default_rng(0).uniform(0, 1, size=(2000, 2))
    assert np.mean(np.abs(net.predict(g)[:, 0] - f(g[:, 0], g[:, 1]))) < 0.1


def test_towers_and_the_challenge_are_built_of_the_bump_network_they_are_given():
    def reversed_units(f, n_bumps, steepness):  # a student's bump network: the same function, units reversed
        params = universal_approximation.bump_network(f, n_bumps, steepness)
        return {key: value[::-1] if key == "b1" else value[:, ::-1] if key == "W1" else
                value[::-1] if key == "W2" else value for key, value in params.items()}

    def doubled(f, n_bumps, steepness):  # a wrong one: every height doubled
        params = universal_approximation.bump_network(f, n_bumps, steepness)
        return {**params, "W2": 2 * params["W2"]}

    f = lambda x, y: np.sin(3 * x) * np.cos(2 * y)  # noqa: E731
    g = np.random.default_rng(0).uniform(0, 1, size=(500, 2))
    course = universal_approximation.tower_network(f, 6, 2000.0, 40.0).predict(g)
    np.testing.assert_allclose(universal_approximation.tower_network(f, 6, 2000.0, 40.0, bump_network=reversed_units)
                               .predict(g), course, atol=1e-12)
    assert not np.allclose(universal_approximation.tower_network(f, 6, 2000.0, 40.0, bump_network=doubled).predict(g),
                           course, atol=1e-3)
    heights = universal_approximation.challenge_heights("wiggly")
    assert universal_approximation.average_deviation(heights, bump_network=reversed_units) == pytest.approx(
        universal_approximation.average_deviation(heights), rel=1e-12)
    assert universal_approximation.average_deviation(heights, bump_network=doubled) > 0.1


@pytest.mark.parametrize("n", range(1, 9))
def test_parity_constructions_on_every_input(n):
    X, parity = datasets.parity_bits(n)
    for build, units in [(universal_approximation.parity_lookup_network, 2 ** (n - 1)),
                         (universal_approximation.parity_counting_network, n)]:
        net = build(n)
        assert universal_approximation.hidden_units(net) == units and net.n_layers == 2
        np.testing.assert_allclose(net.predict(X)[:, 0], parity, atol=1e-3)
    tree = universal_approximation.parity_tree_network(n)
    np.testing.assert_allclose(tree.predict(X)[:, 0], parity, atol=1e-3)
    assert tree.n_layers - 1 == max(1, int(np.ceil(np.log2(n))))
    if n & (n - 1) == 0 and n > 1:  # a power of two: exactly 2(n - 1) units
        assert universal_approximation.hidden_units(tree) == 2 * (n - 1)


@pytest.mark.parametrize("depth", [1, 2, 3, 5])
def test_sawtooth_has_two_to_the_depth_pieces(depth):
    net = universal_approximation.sawtooth_network(depth)
    assert universal_approximation.hidden_units(net) == 2 * depth
    # T^d is 0 at even multiples of 2^-d and 1 at odd ones, linear in between
    knots = np.arange(2**depth + 1) / 2**depth
    np.testing.assert_allclose(net.predict(knots[:, None])[:, 0], np.arange(2**depth + 1) % 2, atol=1e-12)
    midpoints = (knots[:-1] + knots[1:]) / 2
    np.testing.assert_allclose(net.predict(midpoints[:, None])[:, 0], 0.5, atol=1e-12)


def test_bump_network_needs_an_f_that_returns_one_value_per_point():
    with pytest.raises(ValueError, match="f must return one value per point.*5 bump centres returned 1 value"):
        universal_approximation.bump_network(lambda x: 0.5, 5, 50.0)


# --- training the bumps: the gradient notebook 08's students derive ------------------------------

def _random_network(rng, n_hidden, scale=1.0):
    return {"W1": scale * rng.normal(size=(1, n_hidden)), "b1": rng.normal(size=n_hidden),
            "W2": rng.normal(size=(n_hidden, 1)), "b2": rng.normal(size=1)}


def _cost(params, x, y):
    return 0.5 * np.mean((universal_approximation.network_output(params, x) - y) ** 2)


@pytest.mark.parametrize("n_hidden, m, scale", [(1, 1, 1.0), (3, 5, 1.0), (20, 40, 10.0)])
def test_bump_network_gradients_against_finite_differences(n_hidden, m, scale):
    rng = np.random.default_rng([8, n_hidden, m])
    params = _random_network(rng, n_hidden, scale)
    x, y = rng.uniform(-0.5, 1.5, size=m), rng.normal(size=m)
    grads = universal_approximation.bump_network_gradients(params, x, y)
    assert grads.keys() == params.keys()
    for key, value in params.items():
        numeric = numerical_gradient(lambda: _cost(params, x, y), value)
        assert rel_error(grads[key], numeric) < 1e-7, key


def test_bump_network_gradients_agree_with_the_network_s_backward_pass():
    rng = np.random.default_rng(81)
    params = _random_network(rng, 6)
    x, y = rng.uniform(size=9), rng.normal(size=9)
    net = network.MLP(params, ["sigmoid", "identity"])
    _, expected = net.loss_and_gradients(x[:, None], y[:, None], losses.mean_squared_error)
    grads = universal_approximation.bump_network_gradients(params, x, y)
    for key in params:
        np.testing.assert_allclose(grads[key], expected[key], rtol=1e-12, atol=1e-15)


def test_each_wrong_derivation_is_wrong_and_named_by_check_gradient():
    rng = np.random.default_rng(82)
    params = _random_network(rng, 5, 3.0)
    x, y = rng.uniform(size=11), rng.normal(size=11)
    right = universal_approximation.bump_network_gradients(params, x, y)
    wrong = universal_approximation.wrong_derivations(params, x, y)
    assert sum(map(len, wrong.values())) == 6
    for key, mistakes in wrong.items():
        for message, gradient in mistakes.items():
            assert gradient.shape == right[key].shape
            assert rel_error(gradient, right[key]) > 1e-2, message
            with pytest.raises(AssertionError, match=re.escape("common mistake: " + message)):
                checks.check_gradient(key, gradient, right[key], known_mistakes=mistakes)


def test_fit_is_full_batch_adam_on_the_given_gradient():
    x, y = datasets.sample_1d("wiggly", 50)
    y = y[:, 0]
    start = _random_network(np.random.default_rng(83), 4)
    fitted = universal_approximation.fit(universal_approximation.bump_network_gradients, start, x[:, 0], y, 30, 0.05)
    net = network.MLP({key: value.copy() for key, value in start.items()}, ["sigmoid", "identity"])
    train.train(net, x, y, rng=np.random.default_rng(0), loss="mse", optimiser="adam", lr=0.05, epochs=30,
                batch_size=50)
    for key in start:
        np.testing.assert_allclose(fitted[key], net.params[key], rtol=1e-9, atol=1e-12)
    assert _cost(fitted, x[:, 0], y) < _cost(start, x[:, 0], y)
    with pytest.raises(ValueError, match="steps"):
        universal_approximation.fit(universal_approximation.bump_network_gradients, start, x[:, 0], y, 0, 0.05)
