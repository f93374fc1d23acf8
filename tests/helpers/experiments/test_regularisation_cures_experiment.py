"""Tests for helpers.experiments.regularisation_cures: notebook 04's cures over several seeds, each seed's columns
reproduced by training the same networks separately, and the mean ± standard error summary."""
from __future__ import annotations

import numpy as np
import pytest

from helpers.experiments import regularisation_cures
from helpers.gradcheck import numerical_gradient
from helpers.experiments import regularisation as regularisation_experiment

SMALL = dict(layer_sizes=(2, 6, 2), epochs=60, check_every=20, patience=1, n_train=20, n_val=30, n_test=40)


@pytest.fixture(scope="module")
def small():
    return regularisation_cures.compare_cures([3, 4, 5], **SMALL)


def test_mean_and_standard_error_use_the_sample_standard_deviation():
    mean, error = regularisation_cures.mean_and_standard_error([[1.0, 2.0], [3.0, 2.0], [5.0, 2.0]])
    np.testing.assert_allclose(mean, [3.0, 2.0])
    np.testing.assert_allclose(error, [2.0 / np.sqrt(3), 0.0])  # sample std of 1, 3, 5 is 2
    with pytest.raises(ValueError, match="at least 2"):
        regularisation_cures.mean_and_standard_error([0.9])


def test_each_seed_draws_its_own_data_of_the_requested_sizes():
    first, second = regularisation_cures.moons_split(np.random.default_rng(0)), regularisation_cures.moons_split(np.random.default_rng(1))
    assert [len(first.y_train), len(first.y_val), len(first.y_test)] == [60, 400, 400]
    assert not np.array_equal(first.X_train, second.X_train)


def test_the_columns_are_the_cures_trained_separately_on_each_seed(small):
    assert small.val_accuracy.shape == small.test_accuracy.shape == (3, len(small.cures))
    for row, seed in enumerate([3, 4, 5]):
        rng = np.random.default_rng(seed)
        split = regularisation_cures.moons_split(rng, n_train=20, n_val=30, n_test=40)
        start = regularisation_experiment.init_params([2, 6, 2], rng)
        plain, _ = regularisation_experiment.fit(start, split.X_train, split.y_train, epochs=60, rng=np.random.default_rng(0))
        l2, _ = regularisation_experiment.fit(start, split.X_train, split.y_train, epochs=60, rng=np.random.default_rng(0), l2=1.0)
        l1, _ = regularisation_experiment.fit(start, split.X_train, split.y_train, epochs=60, rng=np.random.default_rng(0), l1=0.3)
        for column, params in ((0, plain), (2, l2), (3, l1)):
            assert small.test_accuracy[row, column] == regularisation_experiment.accuracy(params, split.X_test, split.y_test)
            assert small.val_accuracy[row, column] == regularisation_experiment.accuracy(params, split.X_val, split.y_val)
        # early stopping: the checks of the plain network every 20 epochs, patience 1
        chunk_rng = np.random.default_rng(0)
        best, kept, _ = regularisation_cures.train_with_early_stopping(
            lambda p: regularisation_experiment.fit(p, split.X_train, split.y_train, epochs=20, rng=chunk_rng)[0],
            lambda p: regularisation_experiment.accuracy(p, split.X_val, split.y_val), start, 3, 1)
        assert small.stop_epochs[row] == 20 * (best + 1)
        assert small.test_accuracy[row, 1] == regularisation_experiment.accuracy(kept, split.X_test, split.y_test)


def test_compare_cures_stops_early_with_the_function_it_is_given(small):
    calls = []

    def recorded(*args):
        calls.append(args[3:])  # max_epochs (checks) and patience
        return regularisation_cures.train_with_early_stopping(*args)

    again = regularisation_cures.compare_cures([3, 4, 5], **SMALL, early_stopping=recorded)
    assert calls == [(3, 1)] * 3
    np.testing.assert_array_equal(again.test_accuracy, small.test_accuracy)
    np.testing.assert_array_equal(again.stop_epochs, small.stop_epochs)

    def first_check(step, validate, params, max_epochs, patience):
        params = step(params)
        return 0, {key: value.copy() for key, value in params.items()}, [validate(params)]

    hasty = regularisation_cures.compare_cures([3, 4, 5], **SMALL, early_stopping=first_check)
    np.testing.assert_array_equal(hasty.stop_epochs, [20, 20, 20])
    others = [0, 2, 3, 4]  # every other cure still trains all its epochs
    np.testing.assert_array_equal(hasty.test_accuracy[:, others], small.test_accuracy[:, others])


def test_the_summary_lists_every_cure_with_its_paired_gain(small):
    lines = regularisation_cures.summary(small).splitlines()
    assert "3 seeds" in lines[0] and len(lines) == 1 + len(small.cures)
    gain = 100 * (small.test_accuracy[:, 2] - small.test_accuracy[:, 0])
    mean, error = regularisation_cures.mean_and_standard_error(gain)
    assert lines[3].startswith(small.cures[2]) and lines[3].endswith(f"{mean:7.1f} ± {error:.1f}".rjust(14))


@pytest.mark.parametrize("bad, message", [(dict(seeds=[1]), "at least 2"),
                                          (dict(seeds=[1, 2], epochs=50), "multiple of check_every"),
                                          (dict(seeds=[1, 2], l2=-1.0), "l2")])
def test_compare_cures_rejects_bad_settings(bad, message):
    with pytest.raises(ValueError, match=message):
        regularisation_cures.compare_cures(**{**SMALL, **bad})


# --- the exercises' references: early stopping; more data by shifting -----------------------------

def test_early_stopping_returns_the_first_best_epoch_and_a_copy():
    scores = [0.1, 0.5, 0.4, 0.5, 0.3, 0.2, 0.9]

    def step(params):
        params["W1"] += 1  # in place, like a careless training loop
        return params

    best, params, history = regularisation_cures.train_with_early_stopping(step, lambda p: scores[int(p["W1"][0]) - 1],
                                                         {"W1": np.zeros(1)}, 10, 3)
    assert (best, float(params["W1"][0]), history) == (1, 2.0, scores[:5])


def test_shift_images_moves_pixels_and_fills_with_zeros():
    image = np.arange(1.0, 10.0).reshape(1, 9)  # one 3×3 image: rows 1 2 3 / 4 5 6 / 7 8 9
    down = regularisation_cures.shift_images(image, 1, 0, side=3).reshape(3, 3)
    left = regularisation_cures.shift_images(image, 0, -1, side=3).reshape(3, 3)
    assert np.array_equal(down, [[0, 0, 0], [1, 2, 3], [4, 5, 6]])
    assert np.array_equal(left, [[2, 3, 0], [5, 6, 0], [8, 9, 0]])
    with pytest.raises(ValueError, match="a shift of 3 pixels moves an image of side 3 out of view"):
        regularisation_cures.shift_images(image, 3, 0, side=3)


def test_augment_with_shifts_keeps_labels_aligned(rng):
    X, labels = rng.random((4, 64)), np.array([3, 1, 4, 1])
    X_more, labels_more = regularisation_cures.augment_with_shifts(X, labels)
    assert X_more.shape == (20, 64) and list(labels_more) == list(labels) * 5
    assert np.array_equal(X_more[:4], X)


def test_early_stopping_keeps_a_first_score_of_minus_infinity():
    best, params, history = regularisation_cures.train_with_early_stopping(lambda p: {"W1": p["W1"] + 1}, lambda p: -np.inf,
                                                         {"W1": np.zeros(1)}, 5, 2)
    assert (best, float(params["W1"][0]), len(history)) == (0, 1.0, 3)


def _dropout_l2_case(seed, p=0.4):
    rng = np.random.default_rng(seed)
    params = {"W1": rng.normal(size=(3, 6)), "b1": rng.normal(size=6), "W2": rng.normal(size=(6, 4)),
              "b2": rng.normal(size=4)}
    X, labels = rng.normal(size=(5, 3)), rng.integers(0, 4, size=5)
    return X, labels, params, (rng.random((5, 6)) >= p).astype(float), p, 2.0, 10


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_dropout_l2_gradients_match_finite_differences(seed):
    case = _dropout_l2_case(seed)
    params = case[2]
    grads = regularisation_cures.dropout_l2_gradients(*case)
    for key, value in params.items():
        numeric = numerical_gradient(lambda: regularisation_cures.dropout_l2_cost(*case), value)
        np.testing.assert_allclose(grads[key], numeric, rtol=1e-6, atol=1e-8, err_msg=key)


def test_dropout_l2_cost_is_the_cross_entropy_of_the_scaled_network_plus_the_penalty():
    X, labels, params, keep, p, lam, n = _dropout_l2_case(3)
    hidden = np.maximum(X @ params["W1"] + params["b1"], 0.0) * keep / (1 - p)
    logits = hidden @ params["W2"] + params["b2"]
    log_probs = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    expected = -log_probs[np.arange(5), labels].mean() + lam / (2 * n) * (np.sum(params["W1"] ** 2) + np.sum(params["W2"] ** 2))
    assert regularisation_cures.dropout_l2_cost(X, labels, params, keep, p, lam, n) == pytest.approx(expected)


def test_dropout_l2_cost_needs_no_answer_of_notebook_04(monkeypatch):
    case = _dropout_l2_case(3)
    expected = regularisation_cures.dropout_l2_cost(*case)

    def stub(*args):
        raise NotImplementedError("l2_penalty answers an exercise of 04: not in a student's copy before its deadline")

    monkeypatch.setattr(regularisation_cures, "l2_penalty", stub)
    assert regularisation_cures.dropout_l2_cost(*case) == expected


def test_each_wrong_derivation_differs_where_its_mistake_acts():
    case = _dropout_l2_case(4)
    right = regularisation_cures.dropout_l2_gradients(*case)
    wrong = regularisation_cures.wrong_derivations(*case, right)
    changed = {message: {key for key in right if not np.allclose(grads[key], right[key])} for message, grads in wrong.items()}
    assert changed == {regularisation_cures.PENALTY_TWICE: {"W1", "W2"},
                       regularisation_cures.UNSCALED_MASK: {"W1", "b1"},
                       regularisation_cures.NO_MASK: {"W1", "b1"},
                       regularisation_cures.NO_RELU_DERIVATIVE: {"W1", "b1"},
                       regularisation_cures.PENALISED_BIASES: {"b1", "b2"}}


def _wrong_backward(X, labels, params, keep, p, lam, n, *, penalty_factor=1.0, mask=None, relu_derivative=True,
                    penalise_biases=False):
    """Each wrong backward pass written out, independently of wrong_derivations' finite differences."""
    Z = X @ params["W1"] + params["b1"]
    dropped = np.maximum(Z, 0.0) * keep / (1 - p)
    probabilities = np.exp(dropped @ params["W2"] + params["b2"])
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    grad_logits = (probabilities - np.eye(probabilities.shape[1])[labels]) / len(labels)
    mask = keep / (1 - p) if mask is None else mask
    grad_Z = grad_logits @ params["W2"].T * mask * ((Z > 0) if relu_derivative else 1.0)
    data = {"W1": X.T @ grad_Z, "b1": grad_Z.sum(axis=0), "W2": dropped.T @ grad_logits, "b2": grad_logits.sum(axis=0)}
    return {key: grad + penalty_factor * lam / n * params[key] if penalise_biases or key.startswith("W") else grad
            for key, grad in data.items()}


@pytest.mark.parametrize("seed, p", [(6, 0.4), (7, 0.0), (8, 0.75)])
def test_wrong_derivations_are_the_wrong_backward_passes_they_name(seed, p):
    case = _dropout_l2_case(seed, p)
    X, labels, params, keep = case[:4]
    options = {regularisation_cures.PENALTY_TWICE: dict(penalty_factor=2.0),
               regularisation_cures.UNSCALED_MASK: dict(mask=keep),
               regularisation_cures.NO_MASK: dict(mask=np.ones_like(keep) / (1 - p)),
               regularisation_cures.NO_RELU_DERIVATIVE: dict(relu_derivative=False),
               regularisation_cures.PENALISED_BIASES: dict(penalise_biases=True)}
    wrong = regularisation_cures.wrong_derivations(*case, _wrong_backward(*case))
    assert set(wrong) == set(options)
    for message, option in options.items():
        expected = _wrong_backward(*case, **option)
        for key in params:
            np.testing.assert_allclose(wrong[message][key], expected[key], rtol=1e-6, atol=1e-9,
                                       err_msg=f"{message}: {key}")


def test_wrong_derivations_follow_the_right_gradients_they_are_given():
    """They are built on the right result they are passed, so the module needs no right backward pass of its own."""
    case = _dropout_l2_case(9)
    right = _wrong_backward(*case)
    shifted = {key: grad + 1.0 for key, grad in right.items()}
    by_right, by_shifted = (regularisation_cures.wrong_derivations(*case, given) for given in (right, shifted))
    for message in by_right:
        np.testing.assert_allclose(by_shifted[message]["W2"], by_right[message]["W2"] + 1.0, err_msg=message)


@pytest.mark.parametrize("keep, p, lam, n, message", [(np.full((5, 6), 0.5), 0.4, 2.0, 10, "keep must hold 0"),
                                                       (np.ones((5, 6)), 1.0, 2.0, 10, "drop_probability must lie in"),
                                                       (np.ones((5, 6)), 0.4, -1.0, 10, "lam"),
                                                       (np.ones((5, 6)), 0.4, 2.0, 0, "n \\(the number of training")])
def test_dropout_l2_gradients_reject_bad_input(keep, p, lam, n, message):
    X, labels, params = _dropout_l2_case(5)[:3]
    with pytest.raises(ValueError, match=message):
        regularisation_cures.dropout_l2_gradients(X, labels, params, keep, p, lam, n)
