"""Tests for helpers.neuron: the forward pass, both costs' gradients against finite
differences of costs written here from the textbook formulas, the missing σ′ in the
cross-entropy delta, gradient descent, and clear errors for bad input.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from helpers import losses, neuron
from numgrad import numerical_gradient, rel_error

TOL = 1e-6
SHAPES = [(1, 1), (2, 3), (7, 1), (10, 4), (25, 6)]


def sigma(z):
    return 1.0 / (1.0 + np.exp(-z))


def textbook_cost(X, y, w, b, cost):
    """C from the definitions: ½-mean of squares, or mean binary cross-entropy."""
    a = sigma(X @ w + b)
    if cost == "mse":
        return np.sum((a - y) ** 2) / (2 * len(y))
    return -np.mean(y * np.log(a) + (1 - y) * np.log(1 - a))


def problem(seed, n, d):
    rng = np.random.default_rng([seed, n, d])
    X = rng.normal(size=(n, d))
    y = rng.integers(0, 2, size=n).astype(float) if seed % 2 else rng.uniform(0, 1, size=n)
    return X, y, rng.normal(scale=0.7, size=d), float(rng.normal())


# --- forward -----------------------------------------------------------------------------

@pytest.mark.parametrize("n, d", SHAPES)
def test_forward_shape_and_values(n, d):
    X, _, w, b = problem(0, n, d)
    a = neuron.forward(X, w, b)
    assert a.shape == (n,)
    np.testing.assert_allclose(a, sigma(X @ w + b), rtol=1e-14)


def test_forward_accepts_lists_and_numpy_scalar_bias():
    a = neuron.forward([[0.0, 1.0], [2.0, -1.0]], [1.0, 2.0], np.float64(-2.0))
    np.testing.assert_allclose(a, [0.5, sigma(-2.0)], rtol=1e-14)


# --- gradients ---------------------------------------------------------------------------

@pytest.mark.parametrize("cost", ["mse", "cross_entropy"])
@pytest.mark.parametrize("n, d", SHAPES)
@pytest.mark.parametrize("seed", [1, 2])
def test_gradients_match_finite_differences(cost, n, d, seed):
    X, y, w, b = problem(seed, n, d)
    b_box = np.array([b])
    f = lambda: textbook_cost(X, y, w, b_box[0], cost)  # noqa: E731
    value, dw, db = neuron.gradients(X, y, w, b, cost)
    assert np.shape(dw) == (d,) and np.ndim(db) == 0 and np.ndim(value) == 0
    assert value == pytest.approx(textbook_cost(X, y, w, b, cost), rel=1e-12)
    assert rel_error(dw, numerical_gradient(f, w)) < TOL
    assert rel_error(db, numerical_gradient(f, b_box)[0]) < TOL


def test_default_cost_is_mse():
    X, y, w, b = problem(3, 6, 2)
    value, dw, db = neuron.gradients(X, y, w, b)
    ref = neuron.gradients(X, y, w, b, "mse")
    assert value == ref[0] and np.array_equal(dw, ref[1]) and db == ref[2]


def test_cross_entropy_delta_has_no_sigma_prime():
    X, y, w, b = problem(5, 9, 3)
    a = sigma(X @ w + b)
    _, dw, db = neuron.gradients(X, y, w, b, "cross_entropy")
    np.testing.assert_allclose(dw, X.T @ (a - y) / 9, rtol=1e-12, atol=1e-15)
    assert db == pytest.approx(np.mean(a - y), rel=1e-12, abs=1e-15)
    _, dw_mse, db_mse = neuron.gradients(X, y, w, b, "mse")
    np.testing.assert_allclose(dw_mse, X.T @ ((a - y) * a * (1 - a)) / 9, rtol=1e-12, atol=1e-15)
    assert db_mse == pytest.approx(np.mean((a - y) * a * (1 - a)), rel=1e-12, abs=1e-15)


def test_saturated_neuron_learns_with_cross_entropy_only():
    # z = 800 and target 0: σ′ ≈ 0 stalls the quadratic cost, cross-entropy still pushes
    X, y, w = np.array([[1.0]]), np.array([0.0]), np.array([800.0])
    value, dw, db = neuron.gradients(X, y, w, 0.0, "cross_entropy")
    assert value == pytest.approx(800.0) and dw[0] == pytest.approx(1.0) and db == pytest.approx(1.0)
    _, dw_mse, _ = neuron.gradients(X, y, w, 0.0, "mse")
    assert dw_mse[0] == 0.0


# --- gradient_descent --------------------------------------------------------------------

X_TOY = np.array([[-2.0], [-1.0], [1.0], [2.0]])
Y_TOY = np.array([0.0, 0.0, 1.0, 1.0])


@pytest.mark.parametrize("cost, first_cost", [("cross_entropy", math.log(2)), ("mse", 0.125)])
def test_gradient_descent_decreases_cost_on_separable_data(cost, first_cost):
    w0 = np.zeros(1)
    trajectory = neuron.gradient_descent(X_TOY, Y_TOY, w0, 0.0, learning_rate=0.5, n_steps=40, cost=cost)
    w, b, costs = trajectory
    assert costs.shape == (40,)
    assert costs[0] == pytest.approx(first_cost, rel=1e-12)  # σ(0) = ½ everywhere
    assert np.all(np.diff(costs) < 0)
    assert w.shape == (1,) and isinstance(b, float) and w[0] > 0
    assert np.array_equal(sigma(X_TOY @ w + b) > 0.5, Y_TOY == 1)
    assert np.array_equal(w0, [0.0])


def test_gradient_descent_one_step_by_hand():
    X, y, w0, b0 = problem(7, 8, 3)
    a = sigma(X @ w0 + b0)
    w, b, costs = neuron.gradient_descent(X, y, w0, b0, 0.3, 1, cost="cross_entropy")
    np.testing.assert_allclose(w, w0 - 0.3 * X.T @ (a - y) / 8, rtol=1e-12)
    assert b == pytest.approx(b0 - 0.3 * np.mean(a - y), rel=1e-12)
    assert costs.shape == (1,) and costs[0] == pytest.approx(textbook_cost(X, y, w0, b0, "cross_entropy"))


def test_gradient_descent_does_not_mutate_w():
    X, y, w0, b0 = problem(9, 5, 2)
    before = w0.copy()
    w, _, _ = neuron.gradient_descent(X, y, w0, b0, 1.0, 5)
    assert np.array_equal(w0, before)
    assert not np.shares_memory(w, w0)
    assert not np.array_equal(w, w0)


def test_gradient_descent_zero_steps():
    w, b, costs = neuron.gradient_descent(X_TOY, Y_TOY, np.ones(1), 0.5, 0.1, 0)
    assert np.array_equal(w, [1.0]) and b == 0.5 and costs.shape == (0,)


def test_gradient_descent_uses_a_custom_gradient_function():
    target_w, target_b = np.array([1.5, -2.0]), 0.25
    seen = []

    def bowl(X, y, w, b):
        """C = ½||w − t||² + ½(b − c)²: gradient descent with η = 0.5 halves the gap each step."""
        seen.append((X, y))
        return 0.5 * np.sum((w - target_w) ** 2) + 0.5 * (b - target_b) ** 2, w - target_w, b - target_b

    w, b, costs = neuron.gradient_descent(X_TOY, Y_TOY, np.zeros(2), 1.25, 0.5, 30,
                                          cost="not used", gradient_function=bowl)
    assert len(seen) == 30 and seen[0][0] is X_TOY and seen[0][1] is Y_TOY
    np.testing.assert_allclose(costs, (0.5 * (1.5**2 + 2.0**2 + 1.0)) * 0.25 ** np.arange(30), rtol=1e-12)
    np.testing.assert_allclose(w, target_w * (1 - 0.5**30), rtol=1e-12)
    assert b == pytest.approx(target_b + 0.5**30, rel=1e-12)


# --- bad input ---------------------------------------------------------------------------

def test_w_shape_mismatch():
    with pytest.raises(ValueError, match=r"w \(one weight per column of X\)"):
        neuron.forward(np.ones((3, 2)), np.ones(3), 0.0)
    with pytest.raises(ValueError, match=r"w must have 1 dimension\(s\), got shape \(2, 1\)"):
        neuron.gradients(np.ones((3, 2)), np.zeros(3), np.ones((2, 1)), 0.0)


@pytest.mark.parametrize("b", [np.array([0.5]), np.array([0.1, 0.2]), [0.0]])
def test_b_must_be_a_number(b):
    X, y, w = np.ones((2, 1)), np.zeros(2), np.ones(1)
    with pytest.raises(ValueError, match="b must be a single number"):
        neuron.forward(X, w, b)
    with pytest.raises(ValueError, match="b must be a single number"):
        neuron.gradients(X, y, w, b)
    with pytest.raises(ValueError, match="b must be a single number"):
        neuron.gradient_descent(X, y, w, b, 0.1, 3)


def test_unknown_cost():
    with pytest.raises(ValueError, match=r"unknown cost 'hinge'; choose one of: cross_entropy, mse"):
        neuron.gradients(np.ones((2, 1)), np.zeros(2), np.ones(1), 0.0, cost="hinge")
    with pytest.raises(ValueError, match="unknown cost"):
        neuron.gradient_descent(np.ones((2, 1)), np.zeros(2), np.ones(1), 0.0, 0.1, 3, cost="hinge")


def test_other_bad_inputs():
    with pytest.raises(ValueError, match=r"y \(one target per row of X\) should have shape \(3,\)"):
        neuron.gradients(np.ones((3, 1)), np.zeros(2), np.ones(1), 0.0)
    with pytest.raises(ValueError, match=r"X must have 2 dimension\(s\), got shape \(3,\)"):
        neuron.forward(np.ones(3), np.ones(3), 0.0)
    with pytest.raises(ValueError, match="learning_rate"):
        neuron.gradient_descent(X_TOY, Y_TOY, np.zeros(1), 0.0, 0.0, 3)
    with pytest.raises(ValueError, match="n_steps must be a whole number >= 0"):
        neuron.gradient_descent(X_TOY, Y_TOY, np.zeros(1), 0.0, 0.1, 2.5)


@pytest.mark.parametrize("cost", ["mse", "cross_entropy"])
def test_cost_value_is_the_textbook_cost_and_stays_finite_when_saturated(cost):
    X, y, w, b = problem(11, 9, 3)
    z = X @ w + b
    value = losses.get_cost(cost).value(z, sigma(z), y)
    assert value == pytest.approx(textbook_cost(X, y, w, b, cost), rel=1e-12)
    z_far = np.array([800.0, -800.0])  # σ(z) rounds to exactly 1 and 0: log(1 - a) would be -inf
    expected = {"mse": 0.5 * (1.0 + 0.0) / 2, "cross_entropy": 800.0 / 2}[cost]
    assert losses.get_cost(cost).value(z_far, np.array([1.0, 0.0]), np.zeros(2)) == pytest.approx(expected)
