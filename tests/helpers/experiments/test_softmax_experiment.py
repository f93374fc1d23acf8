"""Tests for helpers.experiments.softmax: the gradient check of exercise C, the course's answers
to exercises B, D and E against finite differences, the hidden layer the training loop borrows,
the wrong derivations the test cells name, and the diagnosis of a training loop's result."""
from __future__ import annotations

import numpy as np
import pytest

from helpers import datasets, losses
from helpers.experiments import softmax
from numgrad import numerical_gradient, rel_error


def logits_and_labels(rng, n=6, k=4):
    return rng.normal(0.0, 2.0, size=(n, k)), rng.integers(0, k, size=n)


# --- the gradient check ----------------------------------------------------------------------

def test_gradient_check_accepts_an_exact_gradient_and_rejects_a_doubled_one(rng):
    x = rng.normal(size=(3, 4))
    f = lambda v: float(np.sum(np.sin(v)))
    assert softmax.gradient_check(f, x, np.cos(x)) < 1e-9
    assert softmax.gradient_check(f, x, 2 * np.cos(x)) == pytest.approx(1 / 3, rel=1e-6)


def test_gradient_check_uses_its_step():
    x = np.linspace(-2.0, 3.0, 7)  # for sum(x**3) the centred difference is exactly 3 x^2 + h^2
    h = 1e-2
    expected = rel_error(3 * x ** 2, 3 * x ** 2 + h ** 2)
    assert softmax.gradient_check(lambda v: float(np.sum(v ** 3)), x, 3 * x ** 2, h=h) == pytest.approx(expected,
                                                                                                        rel=1e-6)


def test_gradient_check_samples_k_coordinates_and_leaves_x_alone(rng):
    x = rng.normal(size=(200, 300))
    before = x.copy()
    calls = []

    def f(v):
        calls.append(1)
        return 0.5 * float(np.sum(v ** 2))

    assert softmax.gradient_check(f, x, 2 * x, k=4, rng=np.random.default_rng(1)) == pytest.approx(1 / 3, rel=1e-6)
    assert len(calls) == 8
    np.testing.assert_array_equal(x, before)


# --- the course's answers, against finite differences ----------------------------------------

def test_logit_gradient_matches_finite_differences_of_the_cost(rng):
    Z, labels = logits_and_labels(rng)
    expected = numerical_gradient(lambda: softmax.cost(Z, labels), Z)
    assert rel_error(softmax.logit_gradient(Z, labels), expected) < 1e-8


def test_layer_backward_matches_finite_differences(rng):
    H, W, b = rng.normal(size=(5, 3)), rng.normal(size=(3, 4)), rng.normal(size=4)
    labels = rng.integers(0, 4, size=5)
    got = softmax.layer_backward(H, W, b, labels)
    for array, gradient in zip((H, W, b), got):
        expected = numerical_gradient(lambda: softmax.cost(H @ W + b, labels), array)
        assert rel_error(gradient, expected) < 1e-8


def test_tanh_layer_backward_matches_finite_differences(rng):
    X, W, b = rng.normal(size=(5, 3)), rng.normal(size=(3, 4)), rng.normal(size=4)
    G = rng.normal(size=(5, 4))
    H = np.tanh(X @ W + b)
    grad_W, grad_b = softmax.tanh_layer_backward(X, W, H, G)
    contracted = lambda: float(np.sum(G * np.tanh(X @ W + b)))  # its gradient with respect to H is G
    assert rel_error(grad_W, numerical_gradient(contracted, W)) < 1e-8
    assert rel_error(grad_b, numerical_gradient(contracted, b)) < 1e-8


# --- the wrong derivations ---------------------------------------------------------------------

def test_wrong_logit_gradients_are_wrong_in_the_way_they_say(rng):
    Z, labels = logits_and_labels(rng)
    right = softmax.logit_gradient(Z, labels)
    wrong = softmax.wrong_logit_gradients(Z, labels)
    off_true_class = np.eye(Z.shape[1])[labels] == 0
    assert np.all(wrong[softmax.DIAGONAL_ONLY][off_true_class] == 0)  # it never pushes a wrong class down
    np.testing.assert_allclose(wrong[softmax.NO_TARGETS] - right, np.eye(Z.shape[1])[labels] / len(labels), atol=1e-15)


def test_wrong_layer_gradients_differ_from_the_right_ones(rng):
    H, W, b = rng.normal(size=(5, 3)), rng.normal(size=(3, 4)), rng.normal(size=4)
    labels = rng.integers(0, 4, size=5)
    wrong = softmax.wrong_layer_gradients(H, W, b, labels)
    for name, right in zip(("dH", "dW", "db"), softmax.layer_backward(H, W, b, labels)):
        assert wrong[name][softmax.NO_TARGETS].shape == right.shape
        assert rel_error(wrong[name][softmax.NO_TARGETS], right) > 1e-2


# --- the training loop and its diagnosis ---------------------------------------------------------

@pytest.fixture(scope="module")
def digits():
    X, y = datasets.load_digits()
    split = datasets.train_val_test_split(X, y, np.random.default_rng(33), val_fraction=0.0, test_fraction=0.25)
    return split.X_train, split.y_train, split.X_test, split.y_test


@pytest.fixture(scope="module")
def trained(digits):
    initial = softmax.initial_parameters(np.random.default_rng(34))
    return initial, softmax.train_digits(initial, *digits, np.random.default_rng(35))


ENOUGH_CALLS = {"softmax_layer_backward": 20 * 84, "cross_entropy": 20, "softmax": 1}


def diagnose(result, initial, digits, calls=ENOUGH_CALLS, rng_moved=True):
    return softmax.training_problem(result, initial, digits, calls, rng_moved, epochs=20, batch_size=16)


def test_the_reference_loop_passes_its_own_diagnosis(trained, digits):
    initial, result = trained
    assert result[2] >= 0.95
    assert diagnose(result, initial, digits) is None
    assert not np.array_equal(initial["W1"], result[0]["W1"])  # the caller's parameters were copied, not trained


@pytest.mark.parametrize("change, message", [
    (lambda initial, result: (initial, result[1], result[2]), "never changed"),
    (lambda initial, result: (result[0], result[1][::-1], result[2]), "went up"),
    (lambda initial, result: (result[0], result[1][:-1], result[2]), "one training cost per epoch"),
    (lambda initial, result: (result[0], result[1]), "must return the tuple"),
    (lambda initial, result: ({"W": result[0]["W1"]}, result[1], result[2]), "keys"),
])
def test_a_wrong_result_is_named(trained, digits, change, message):
    initial, result = trained
    assert message in diagnose(change(initial, result), initial, digits)


def test_accuracy_on_the_training_data_is_named(trained, digits):
    initial, result = trained
    on_train = softmax.accuracy(result[0], digits[0], digits[1])
    assert "the training data" in diagnose((result[0], result[1], on_train), initial, digits)


def test_a_loop_that_skips_the_students_functions_or_the_shuffle_is_named(trained, digits):
    initial, result = trained
    too_few = {**ENOUGH_CALLS, "softmax_layer_backward": 3}
    assert "once per mini-batch" in diagnose(result, initial, digits, calls=too_few)
    assert "at least once" in diagnose(result, initial, digits, calls={**ENOUGH_CALLS, "softmax": 0})
    assert "rng" in diagnose(result, initial, digits, rng_moved=False)


# --- the network's own gradients, for the comparison with the student's layer ---------------------

def test_network_gradients_are_the_course_networks(rng):
    net = softmax.MLP.create([64, 32, 10], list(softmax.ACTIVATIONS), rng)
    X, labels = rng.uniform(size=(8, 64)), rng.integers(0, 10, size=8)
    expected = net.loss_and_gradients(X, labels, softmax.categorical_cross_entropy_from_logits)[1]
    never = lambda *args: pytest.fail("the student's functions are not needed where the course's cost exists")
    got = softmax.network_gradients(net, X, labels, never, never)
    for key in expected:
        np.testing.assert_array_equal(got[key], expected[key])


def test_network_gradients_use_the_students_cost_where_the_copy_lacks_the_courses(rng, monkeypatch):
    net = softmax.MLP.create([64, 32, 10], list(softmax.ACTIVATIONS), rng)
    X, labels = rng.uniform(size=(8, 64)), rng.integers(0, 10, size=8)
    expected = net.loss_and_gradients(X, labels, softmax.categorical_cross_entropy_from_logits)[1]

    def stub(*args):
        raise NotImplementedError("the course's answer, not due yet")

    twice_the_gradient = lambda Z, y: 2 * losses.categorical_cross_entropy_from_logits(Z, y)[1]
    monkeypatch.setattr(softmax, "categorical_cross_entropy_from_logits", stub)
    monkeypatch.setattr(softmax, "is_absent", lambda function: function is stub)
    doubled = softmax.network_gradients(net, X, labels, lambda Z, y: 0.0, twice_the_gradient)
    for key in expected:
        np.testing.assert_allclose(doubled[key], 2 * expected[key], rtol=1e-12, atol=1e-15)
