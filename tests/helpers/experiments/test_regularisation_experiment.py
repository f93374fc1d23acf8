"""Tests for helpers.experiments.regularisation: backward against finite differences (with and without
dropout), M stacked networks against M separate ones, the student hooks against the built-in
penalties, chunked training, early stopping, and the shifted-digit augmentation."""
from __future__ import annotations

import numpy as np
import pytest

from helpers.experiments import regularisation as regularisation_experiment, regularisation_cures
from helpers import regularisation as reg
from helpers.losses import categorical_cross_entropy_from_logits
from numgrad import numerical_gradient, rel_error


def moons_like(rng, n=30):
    X = rng.normal(size=(n, 2))
    return X, (X[:, 0] * X[:, 1] > 0).astype(int)


def test_softmax_cross_entropy_matches_the_losses_module_model_by_model(rng):
    logits, labels = rng.normal(size=(2, 7, 3)), rng.integers(0, 3, size=7)
    values, grads = regularisation_experiment._softmax_cross_entropy(logits, labels)
    assert values.shape == (2,) and grads.shape == logits.shape
    for model in range(2):
        expected_value, expected_grad = categorical_cross_entropy_from_logits(logits[model], labels)
        assert values[model] == pytest.approx(expected_value, rel=1e-12)
        assert np.allclose(grads[model], expected_grad, atol=1e-14)


def test_softmax_cross_entropy_is_the_course_kernel_so_it_goes_with_03s_answer(rng, monkeypatch):
    """Bundles 1-3 stub the kernel (03's cross-entropy gradient); this loop must not hold a copy of it."""
    def stub(*args):
        raise NotImplementedError("_categorical_cross_entropy answers an exercise of 03")

    monkeypatch.setattr(categorical_cross_entropy_from_logits, "kernel", stub)
    for shape in ((7, 3), (2, 7, 3)):
        with pytest.raises(NotImplementedError, match="03"):
            regularisation_experiment._softmax_cross_entropy(rng.normal(size=shape), rng.integers(0, 3, size=7))


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_backward_matches_finite_differences(rng, activation):
    params = regularisation_experiment.init_params([3, 5, 4, 2], rng)
    X, labels = rng.normal(size=(6, 3)), rng.integers(0, 2, size=6)

    def cost():
        return float(regularisation_experiment._softmax_cross_entropy(regularisation_experiment.forward(params, X, activation)[0], labels)[0])

    logits, cache = regularisation_experiment.forward(params, X, activation)
    grads = regularisation_experiment.backward(params, cache, regularisation_experiment._softmax_cross_entropy(logits, labels)[1], activation)
    for key in params:
        assert rel_error(grads[key], numerical_gradient(cost, params[key])) < 1e-6, key


def test_backward_through_dropout_uses_the_forward_mask(rng):
    params = regularisation_experiment.init_params([3, 6, 2], rng)
    X, labels = rng.normal(size=(5, 3)), rng.integers(0, 2, size=5)
    masks = {}

    def fixed_dropout(A, p, _rng, training):  # the same mask on every call: a fixed function of A
        mask = masks.setdefault(A.shape, (np.random.default_rng(3).random(A.shape) >= p) / (1 - p))
        return A * mask, mask

    def cost():
        logits, _ = regularisation_experiment.forward(params, X, "relu", drop_probability=0.5, rng=rng, dropout_forward=fixed_dropout)
        return float(regularisation_experiment._softmax_cross_entropy(logits, labels)[0])

    logits, cache = regularisation_experiment.forward(params, X, "relu", drop_probability=0.5, rng=rng, dropout_forward=fixed_dropout)
    grads = regularisation_experiment.backward(params, cache, regularisation_experiment._softmax_cross_entropy(logits, labels)[1], "relu")
    for key in params:
        assert rel_error(grads[key], numerical_gradient(cost, params[key])) < 1e-6, key


def test_stacked_networks_train_exactly_like_separate_ones(rng):
    X, labels = moons_like(rng)
    lams = np.array([0.0, 0.5, 2.0])
    stacked, curves = regularisation_experiment.fit(regularisation_experiment.init_params([2, 8, 2], np.random.default_rng(1), n_models=3), X, labels, X, labels,
                             epochs=30, rng=np.random.default_rng(2), l2=lams, l1=lams / 2, record_every=10)
    assert curves.train_accuracy.shape == (3, 3) and list(curves.epochs) == [10, 20, 30]
    for model, lam in enumerate(lams):
        alone, _ = regularisation_experiment.fit(regularisation_experiment.init_params([2, 8, 2], np.random.default_rng(1)), X, labels, epochs=30,
                          rng=np.random.default_rng(2), l2=lam, l1=lam / 2)
        for key in alone:
            assert np.allclose(regularisation_experiment.select(stacked, model)[key], alone[key], atol=1e-12), (model, key)


def test_the_penalty_hooks_reproduce_the_built_in_penalties(rng):
    X, labels = moons_like(rng)
    start = regularisation_experiment.init_params([2, 8, 2], rng)
    for name, hook in (("l2", regularisation_cures.add_l2_penalty), ("l1", regularisation_cures.add_l1_penalty)):
        built_in, _ = regularisation_experiment.fit(start, X, labels, epochs=25, rng=rng, **{name: 0.7})
        hooked, _ = regularisation_experiment.fit(start, X, labels, epochs=25, rng=rng,
                           penalty=lambda cost, grads, params, n, hook=hook: hook(cost, grads, params, 0.7, n))
        for key in start:
            assert np.allclose(built_in[key], hooked[key], atol=1e-12), (name, key)


def test_dropout_hooks_reproduce_the_built_in_mask(rng):
    X, labels = moons_like(rng)
    start = regularisation_experiment.init_params([2, 8, 8, 2], rng)
    built_in, _ = regularisation_experiment.fit(start, X, labels, epochs=15, rng=np.random.default_rng(4), drop_probability=0.3)
    hooked, _ = regularisation_experiment.fit(start, X, labels, epochs=15, rng=np.random.default_rng(4), drop_probability=0.3,
                       dropout=(reg.dropout_forward, reg.dropout_backward))
    for key in start:
        assert np.allclose(built_in[key], hooked[key], atol=1e-12), key


def test_fit_leaves_its_input_alone_and_chunks_compose(rng):
    X, labels = moons_like(rng)
    start = regularisation_experiment.init_params([2, 8, 2], rng)
    copy = {key: value.copy() for key, value in start.items()}
    once, _ = regularisation_experiment.fit(start, X, labels, epochs=40, rng=rng, l2=0.3)
    half, _ = regularisation_experiment.fit(start, X, labels, epochs=20, rng=rng, l2=0.3)
    twice, _ = regularisation_experiment.fit(half, X, labels, epochs=20, rng=rng, l2=0.3)
    for key in start:
        assert np.array_equal(start[key], copy[key])
        assert np.allclose(once[key], twice[key], atol=1e-13)


def test_weight_decay_shrinks_weights_by_the_stated_factor(rng):
    """With the data gradient removed (all-zero inputs and a balanced pair of labels), one step
    multiplies every weight by exactly 1 - lr * lam / n, and leaves the biases alone."""
    params = regularisation_experiment.init_params([2, 3, 2], rng)
    params["W2"] = np.zeros((3, 2))  # no signal reaches W1 either
    X, labels = np.zeros((2, 2)), np.array([0, 1])
    stepped, _ = regularisation_experiment.fit(params, X, labels, epochs=1, lr=0.5, rng=rng, l2=2.0)
    assert np.allclose(stepped["W1"], (1 - 0.5 * 2.0 / 2) * params["W1"])
    assert np.array_equal(stepped["b1"], params["b1"])


def test_fit_grid_orders_models_lambda_major(rng):
    X, labels = moons_like(rng)
    params, curves = regularisation_experiment.fit_grid(X, labels, X, labels, [0.0, 50.0], [0.0, 0.5], layer_sizes=[2, 6, 2],
                                 epochs=40, rng=rng, record_every=40)
    assert params["W1"].shape == (4, 2, 6) and curves.val_accuracy.shape == (1, 4)
    sizes = [np.abs(regularisation_experiment.select(params, m)["W1"]).mean() for m in range(4)]
    assert sizes[2] < sizes[0] and sizes[3] < sizes[1]  # models 2 and 3 have λ = 50


@pytest.mark.parametrize("bad", [{"l2": -1.0}, {"drop_probability": 1.0}, {"lr": 0.0}])
def test_fit_rejects_bad_settings(rng, bad):
    X, labels = moons_like(rng)
    settings = {"epochs": 1, "rng": rng, **bad}
    with pytest.raises(ValueError, match=rf"^{next(iter(bad))}\b.* must"):  # names the setting
        regularisation_experiment.fit(regularisation_experiment.init_params([2, 3, 2], rng), X, labels, **settings)


# --- issue 12: labels and inputs that do not fit the network ---------------------------------------

@pytest.mark.parametrize("change, error, words", [
    (lambda X, labels: (X, labels[:-1]), ValueError, "labels needs one class per sample: got 29 labels"),
    (lambda X, labels: (X, labels + 1), ValueError, r"labels must lie in \[0, 1\]"),
    (lambda X, labels: (X, labels + 0.5), TypeError, "labels must be whole numbers"),
    (lambda X, labels: (X[:, :1], labels), ValueError, r"X \(samples × input features\) should have shape"),
    (lambda X, labels: (np.where(np.arange(2) == 1, np.inf, X), labels), ValueError,
     r"X must be finite.*index \(0, 1\)"),
])
def test_fit_and_accuracy_reject_data_that_does_not_fit_the_network(rng, change, error, words):
    X, labels = change(*moons_like(rng))
    params = regularisation_experiment.init_params([2, 3, 2], rng)
    with pytest.raises(error, match=words):
        regularisation_experiment.fit(params, X, labels, epochs=1, rng=rng)
    with pytest.raises(error, match=words):
        regularisation_experiment.accuracy(params, X, labels)
    with pytest.raises(error, match=words.replace("X", "X_val").replace("labels needs", "labels_val needs")
                       .replace("labels must", "labels_val must")):
        regularisation_experiment.fit(params, *moons_like(rng), X_val=X, labels_val=labels, epochs=1, rng=rng)


@pytest.mark.parametrize("bad, error", [({"lr": "0.5"}, TypeError), ({"l2": "0.1"}, TypeError),
                                        ({"l1": float("nan")}, ValueError),
                                        ({"drop_probability": [0.2, "x"]}, TypeError)])
def test_fit_rejects_settings_that_are_not_finite_numbers(rng, bad, error):
    X, labels = moons_like(rng)
    with pytest.raises(error, match=next(iter(bad))):
        regularisation_experiment.fit(regularisation_experiment.init_params([2, 3, 2], rng), X, labels, epochs=1, rng=rng, **bad)
