"""Tests for helpers.experiments.why_sigmoid: two linear layers equal one, no linear unit separates
XOR while the trained sigmoid network does, and each wrong derivation of the neuron's gradient is
wrong (against finite differences of the quadratic cost written here) in the way its sentence says."""
from __future__ import annotations

import numpy as np
import pytest

from helpers.experiments import why_sigmoid
from numgrad import numerical_gradient, rel_error


def sigma(z):
    return 1.0 / (1.0 + np.exp(-z))


def test_collapse_linear_equals_the_two_stacked_layers(rng):
    W1, b1, W2, b2 = rng.normal(size=(3, 5)), rng.normal(size=5), rng.normal(size=(5, 2)), rng.normal(size=2)
    W, b = why_sigmoid.collapse_linear(W1, b1, W2, b2)
    X = rng.normal(size=(7, 3))
    assert W.shape == (3, 2) and b.shape == (2,)
    np.testing.assert_allclose(X @ W + b, (X @ W1 + b1) @ W2 + b2, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("args, argument", [
    ((np.ones((3, 5)), np.ones(5), np.ones((4, 2)), np.ones(2)), "W2"),
    ((np.ones((3, 5)), np.ones(4), np.ones((5, 2)), np.ones(2)), "b1"),
    ((np.ones((3, 5)), np.ones(5), np.ones((5, 2)), np.ones(3)), "b2"),
    ((np.ones(3), np.ones(5), np.ones((5, 2)), np.ones(2)), "W1"),
])
def test_collapse_linear_names_a_misshaped_argument(args, argument):
    with pytest.raises(ValueError, match=argument):
        why_sigmoid.collapse_linear(*args)


def test_no_linear_unit_gets_all_four_xor_points_and_the_best_gets_three():
    w, b, correct = why_sigmoid.best_linear_unit(why_sigmoid.XOR_INPUTS, why_sigmoid.XOR_LABELS, n_directions=720)
    assert correct == 3
    predicted = why_sigmoid.XOR_INPUTS @ w + b > 0
    assert np.sum(predicted == (why_sigmoid.XOR_LABELS > 0.5)) == 3


def test_best_linear_unit_separates_a_separable_set_and_reports_its_line():
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([0.0, 1.0, 1.0, 1.0])  # OR
    w, b, correct = why_sigmoid.best_linear_unit(X, y)
    assert correct == 4
    np.testing.assert_array_equal(X @ w + b > 0, y > 0.5)


def test_best_linear_unit_checks_its_input():
    with pytest.raises(ValueError, match="X"):
        why_sigmoid.best_linear_unit(np.ones((4, 3)), np.ones(4))
    with pytest.raises(ValueError, match="y"):
        why_sigmoid.best_linear_unit(np.ones((4, 2)), np.ones(3))
    with pytest.raises(ValueError, match="n_directions"):
        why_sigmoid.best_linear_unit(np.ones((4, 2)), np.ones(4), n_directions=0)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_xor_network_classifies_all_four_points_confidently(seed):
    params = why_sigmoid.xor_network(sigma, hidden=3, seed=seed)
    probabilities = why_sigmoid.xor_probabilities(params, why_sigmoid.XOR_INPUTS, sigma)
    assert probabilities.shape == (4,)
    np.testing.assert_array_equal(probabilities > 0.5, why_sigmoid.XOR_LABELS > 0.5)
    assert np.all(np.abs(probabilities - why_sigmoid.XOR_LABELS) < 0.1)


def test_xor_network_is_deterministic():
    first, second = why_sigmoid.xor_network(sigma, seed=1), why_sigmoid.xor_network(sigma, seed=1)
    for key in first:
        np.testing.assert_array_equal(first[key], second[key])


def xor_cost(params):
    """XOR's mean binary cross-entropy, written from its definition with logs."""
    a = sigma(sigma(why_sigmoid.XOR_INPUTS @ params["W1"] + params["b1"]) @ params["W2"] + params["b2"])[:, 0]
    y = why_sigmoid.XOR_LABELS
    return float(-np.mean(y * np.log(a) + (1 - y) * np.log(1 - a)))


def test_xor_network_steps_down_the_cross_entropy_gradient():
    start = why_sigmoid.xor_network(sigma, hidden=2, seed=3, epochs=0)
    assert set(start) == {"W1", "b1", "W2", "b2"} and start["W1"].shape == (2, 2) and start["W2"].shape == (2, 1)
    np.testing.assert_array_equal(start["b1"], 0.0)
    one_step = why_sigmoid.xor_network(sigma, hidden=2, seed=3, epochs=1, learning_rate=0.5)
    for key, value in start.items():
        gradient = numerical_gradient(lambda: xor_cost(start), value)
        assert rel_error(one_step[key], value - 0.5 * gradient) < 1e-7, key


def test_xor_network_uses_the_sigmoid_it_is_given():
    calls = []

    def counting_sigmoid(z):
        calls.append(np.shape(z))
        return sigma(z)

    params = why_sigmoid.xor_network(counting_sigmoid, hidden=3, seed=0, epochs=2)
    assert calls and all(shape == (4, 3) for shape in calls)
    calls.clear()
    why_sigmoid.xor_probabilities(params, np.zeros((5, 2)), counting_sigmoid)
    assert calls == [(5, 3), (5,)]


def test_xor_network_checks_its_options():
    for options, name in (({"hidden": 0}, "hidden"), ({"epochs": -1}, "epochs"), ({"learning_rate": 0.0}, "learning_rate")):
        with pytest.raises(ValueError, match=name):
            why_sigmoid.xor_network(sigma, **options)


def quadratic_gradients(X, y, w, b):
    """(dC/dw, dC/db) of C = Σ (σ(Xw + b) − y)² / 2n, by finite differences."""
    w, b_array = w.copy(), np.array([b])

    def cost():
        return float(np.sum((sigma(X @ w + b_array[0]) - y) ** 2)) / (2 * len(y))

    return numerical_gradient(cost, w), numerical_gradient(cost, b_array)[0]


def test_each_wrong_derivation_is_wrong_and_distinct(rng):
    X, y = rng.normal(size=(6, 3)), (rng.uniform(size=6) < 0.5).astype(float)
    w, b = rng.normal(size=3), 0.4
    right_dw, right_db = quadratic_gradients(X, y, w, b)
    wrong = why_sigmoid.neuron_wrong_derivations(X, y, w, b)
    assert len(wrong) == 3
    for text, (dw, db) in wrong.items():
        assert dw.shape == (3,) and isinstance(db, float)
        assert rel_error(dw, right_dw) > 1e-2, text
    values = [np.append(dw, db) for dw, db in wrong.values()]
    assert all(rel_error(one, other) > 1e-2 for i, one in enumerate(values) for other in values[i + 1:])


def test_wrong_derivations_are_what_their_sentences_say(rng):
    X, y = rng.normal(size=(4, 2)), np.array([0.0, 1.0, 1.0, 0.0])
    w, b = rng.normal(size=2), -0.3
    z = X @ w + b
    a = sigma(z)
    expected = {
        why_sigmoid.LEFT_OUT_SIGMA_PRIME: a - y,
        why_sigmoid.SIGMA_INSTEAD_OF_DERIVATIVE: (a - y) * a,
        why_sigmoid.SIGMA_PRIME_OF_OUTPUT: (a - y) * sigma(a) * (1 - sigma(a)),
    }
    wrong = why_sigmoid.neuron_wrong_derivations(X, y, w, b)
    for text, delta in expected.items():
        np.testing.assert_allclose(wrong[text][0], X.T @ delta / 4, rtol=1e-12)
        np.testing.assert_allclose(wrong[text][1], np.mean(delta), rtol=1e-12)
