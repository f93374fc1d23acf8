"""Tests for helpers.regularisation: penalties against hand values and finite differences,
the weight-decay identity, L1's sign convention, inverted dropout, and early stopping."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import regularisation as reg
from numgrad import numerical_gradient, rel_error


def small_params():
    return {
        "W1": np.array([[1.0, 2.0], [3.0, -1.0]]),
        "b1": np.array([5.0, 5.0]),
        "W2": np.array([[2.0], [0.0]]),
        "b2": np.array([-7.0]),
    }


def random_params(rng, sizes=(3, 4, 2)):
    params = {}
    for layer, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        params[f"W{layer}"] = rng.normal(size=(fan_in, fan_out))
        params[f"b{layer}"] = rng.normal(size=fan_out)
    return params


def assert_gradient(key, analytic, numeric):
    """Weights: relative error against the oracle. Biases: exactly zero (not regularised),
    and the oracle agrees up to round-off (its values are then ~1e-12, not a ratio to trust)."""
    assert analytic.shape == numeric.shape, key
    if key.startswith("W"):
        assert rel_error(analytic, numeric) < 1e-7, key
    else:
        assert np.all(analytic == 0), f"{key}: biases are not regularised"
        assert np.abs(numeric).max() < 1e-8, key


# --- penalties -------------------------------------------------------------------------

def test_l2_penalty_by_hand():
    # weights only: 1 + 4 + 9 + 1 + 4 + 0 = 19; λ/(2n) = 0.5/20
    assert reg.l2_penalty(small_params(), lam=0.5, n=10) == pytest.approx(0.5 / 20 * 19)


def test_l1_penalty_by_hand():
    # weights only: 1 + 2 + 3 + 1 + 2 + 0 = 9; λ/n = 0.5/10
    assert reg.l1_penalty(small_params(), lam=0.5, n=10) == pytest.approx(0.05 * 9)


@settings(max_examples=15)
@given(
    seed=st.integers(0, 2**32 - 1),
    lam=st.floats(0.01, 10.0),
    n=st.integers(1, 5000),
    sizes=st.lists(st.integers(1, 4), min_size=2, max_size=4),
)
def test_l2_gradient_matches_finite_differences(seed, lam, n, sizes):
    params = random_params(np.random.default_rng(seed), sizes)
    grads = reg.l2_gradient(params, lam, n)
    assert grads.keys() == params.keys()
    for key, value in params.items():
        numeric = numerical_gradient(lambda: reg.l2_penalty(params, lam, n), value)
        assert_gradient(key, grads[key], numeric)


@settings(max_examples=15)
@given(seed=st.integers(0, 2**32 - 1), lam=st.floats(0.01, 10.0), n=st.integers(1, 5000))
def test_l1_gradient_matches_finite_differences_away_from_zero(seed, lam, n):
    params = random_params(np.random.default_rng(seed))
    for key in params:  # keep every weight at least 1e-2 from the kink
        params[key] = np.where(np.abs(params[key]) < 1e-2, 0.5, params[key])
    grads = reg.l1_gradient(params, lam, n)
    for key, value in params.items():
        numeric = numerical_gradient(lambda: reg.l1_penalty(params, lam, n), value)
        assert_gradient(key, grads[key], numeric)


def test_l1_gradient_sign_convention():
    params = {"W1": np.array([[-3.0, 0.0, 2.0]]), "b1": np.array([1.0, -1.0, 0.0])}
    grads = reg.l1_gradient(params, lam=2.0, n=4)
    np.testing.assert_array_equal(grads["W1"], [[-0.5, 0.0, 0.5]])  # λ/n = 0.5; sgn(0) = 0
    np.testing.assert_array_equal(grads["b1"], [0.0, 0.0, 0.0])


def test_l2_step_is_weight_decay():
    """w − η(∂C0/∂w + (λ/n)w) = (1 − ηλ/n) w − η ∂C0/∂w; biases only follow ∂C0."""
    rng = np.random.default_rng(3)
    params, data_grads = random_params(rng), random_params(rng)
    eta, lam, n = 0.3, 5.0, 50
    total = reg.add_gradients(data_grads, reg.l2_gradient(params, lam, n))
    for key in params:
        stepped = params[key] - eta * total[key]
        factor = 1 - eta * lam / n if key.startswith("W") else 1.0
        np.testing.assert_allclose(stepped, factor * params[key] - eta * data_grads[key], rtol=1e-13)


def test_add_gradients_returns_a_new_dict_and_leaves_inputs_alone():
    a, b = small_params(), small_params()
    total = reg.add_gradients(a, b)
    for key in a:
        np.testing.assert_array_equal(total[key], 2 * small_params()[key])
        np.testing.assert_array_equal(a[key], small_params()[key])
    assert total is not a


def test_add_gradients_checks_keys_and_shapes():
    with pytest.raises(ValueError, match=r"missing \['b2'\]"):
        reg.add_gradients(small_params(), {k: v for k, v in small_params().items() if k != "b2"})
    wrong = small_params()
    wrong["W1"] = np.zeros((3, 2))
    with pytest.raises(ValueError, match=r"W1.*\(2, 2\).*\(3, 2\)"):
        reg.add_gradients(small_params(), wrong)


@pytest.mark.parametrize("n", [0, -5, 2.5, True])
def test_n_must_be_a_positive_integer(n):
    with pytest.raises(ValueError, match=r"^n \(the number of training samples\) must be a positive integer, got"):
        reg.l2_penalty(small_params(), 1.0, n)


def test_lambda_must_not_be_negative():
    with pytest.raises(ValueError, match=r"^lam \(λ\) must be a finite number >= 0, got -1.0$"):
        reg.l1_gradient(small_params(), -1.0, 10)


# --- dropout -----------------------------------------------------------------------------

def test_dropout_mask_values_and_rate(rng):
    A = np.ones((400, 50))
    out, mask = reg.dropout_forward(A, 0.3, rng)
    assert set(np.unique(mask)) == {0.0, 1 / 0.7}
    assert np.mean(mask == 0) == pytest.approx(0.3, abs=0.01)  # 20,000 draws: σ ≈ 0.003
    np.testing.assert_array_equal(out, A * mask)


def test_dropout_keeps_the_expectation(rng):
    A = rng.normal(size=(1, 6))
    out, _ = reg.dropout_forward(np.repeat(A, 40_000, axis=0), 0.5, rng)
    # each column's mean over 40,000 draws: std = |a|·√(p/(1−p))/√40000 = |a|/200
    np.testing.assert_allclose(out.mean(axis=0), A[0], atol=5 * np.abs(A).max() / 200)


def test_dropout_backward_uses_the_forward_mask(rng):
    A, upstream = rng.normal(size=(5, 4)), rng.normal(size=(5, 4))
    out, mask = reg.dropout_forward(A, 0.4, rng)
    grad = reg.dropout_backward(upstream, mask)
    # with the mask fixed, output is linear in A: check d(sum(upstream · output))/dA numerically
    numeric = numerical_gradient(lambda: float(np.sum(upstream * (A * mask))), A)
    assert rel_error(grad, numeric) < 1e-8
    np.testing.assert_array_equal(grad, upstream * mask)


def test_dropout_at_test_time_is_the_identity(rng):
    A = rng.normal(size=(3, 4))
    out, mask = reg.dropout_forward(A, 0.9, None, training=False)
    np.testing.assert_array_equal(out, A)
    np.testing.assert_array_equal(mask, np.ones_like(A))


def test_dropout_with_p_zero_is_the_identity(rng):
    A = rng.normal(size=(3, 4))
    out, mask = reg.dropout_forward(A, 0.0, rng)
    np.testing.assert_array_equal(out, A)
    np.testing.assert_array_equal(mask, np.ones_like(A))


def test_dropout_is_reproducible_with_a_seed():
    A = np.ones((4, 5))
    first = reg.dropout_forward(A, 0.5, np.random.default_rng(7))[1]
    again = reg.dropout_forward(A, 0.5, np.random.default_rng(7))[1]
    np.testing.assert_array_equal(first, again)


@pytest.mark.parametrize("p", [1.0, -0.1, 1.5])
def test_dropout_probability_outside_unit_interval_is_an_error(p, rng):
    with pytest.raises(ValueError, match=r"^drop_probability must lie in \[0, 1\)"):
        reg.dropout_forward(np.ones((2, 2)), p, rng)


def test_dropout_needs_a_generator_in_training():
    with pytest.raises(TypeError, match="Generator"):
        reg.dropout_forward(np.ones((2, 2)), 0.5, 42)


@pytest.mark.parametrize("call, message", [
    (lambda: reg.l2_penalty(np.zeros(2), 0.1, 10), r"^params must be a dict name -> array, got ndarray$"),
    (lambda: reg.l1_gradient({"W1": "abc"}, 0.1, 10), r"^params\['W1'\] must hold numbers"),
    (lambda: reg.add_gradients(np.zeros(2), {}), r"^grads must be a dict name -> array, got ndarray$"),
    (lambda: reg.add_gradients({"W1": "ab"}, {"W1": np.ones(2)}), r"^grads\['W1'\] must hold numbers"),
    (lambda: reg.add_gradients({"W1": np.ones(2)}, {"W1": "ab"}), r"^extra\['W1'\] must hold numbers"),
    (lambda: reg.dropout_forward("ab", 0.5, None), r"^A must hold numbers"),
    (lambda: reg.dropout_backward("ab", np.ones(2)), r"^grad_output must hold numbers"),
    (lambda: reg.dropout_backward(np.ones(2), "ab"), r"^mask must hold numbers"),
    (lambda: reg.EarlyStopping().update(0, 0.5, "W1"), r"^params must be a dict name -> array, got str$"),
])
def test_each_argument_that_is_not_numbers_is_named(call, message):
    with pytest.raises(TypeError, match=message):
        call()


def test_add_gradients_names_both_dicts_when_keys_differ():
    with pytest.raises(ValueError, match=r"^extra needs the keys of grads: missing \['W1'\], unexpected \['W2'\]$"):
        reg.add_gradients({"W1": np.ones(2)}, {"W2": np.ones(2)})


def test_dropout_at_test_time_returns_a_mask_shaped_like_its_input():
    out, mask = reg.dropout_forward(np.ones((3, 4)), 0.5, None, training=False)
    assert out.shape == mask.shape == (3, 4) and mask.dtype == np.float64


def test_early_stopping_in_min_mode_wants_a_strictly_lower_metric():
    stopper = reg.EarlyStopping(patience=1, mode="min")
    assert [stopper.update(epoch, 1.0, {}) for epoch in range(2)] == [False, True]  # the same loss again
    assert (stopper.best_epoch, stopper.epochs_without_improvement) == (0, 1)


def test_early_stopping_reset_forgets_the_best_params():
    stopper = reg.EarlyStopping()
    stopper.update(0, 0.5, {"W1": np.ones(2)})
    stopper.reset()
    assert stopper.best_params is None


def test_dropout_backward_checks_shapes():
    with pytest.raises(ValueError, match="grad_output and mask"):
        reg.dropout_backward(np.ones((2, 3)), np.ones((3, 2)))


# --- early stopping ----------------------------------------------------------------------

def test_early_stopping_max_mode_finds_best_epoch_and_respects_patience():
    stopper = reg.EarlyStopping(patience=3, mode="max")
    accuracies = [0.5, 0.6, 0.55, 0.6, 0.58]  # 0.6 again is no improvement
    decisions = [stopper.update(epoch, acc, {"W1": np.full(1, acc)}) for epoch, acc in enumerate(accuracies)]
    assert decisions == [False, False, False, False, True]
    assert stopper.best_epoch == 1 and stopper.best_metric == 0.6
    np.testing.assert_array_equal(stopper.best_params["W1"], [0.6])


def test_early_stopping_min_mode():
    stopper = reg.EarlyStopping(patience=2, mode="min")
    losses = [1.0, 0.7, 0.8, 0.6, 0.65, 0.61]
    decisions = [stopper.update(epoch, loss, {"w": np.array(loss)}) for epoch, loss in enumerate(losses)]
    assert decisions == [False, False, False, False, False, True]
    assert (stopper.best_epoch, stopper.best_metric) == (3, 0.6)


def test_early_stopping_keeps_a_copy_of_the_params():
    stopper = reg.EarlyStopping(patience=5)
    params = {"W1": np.array([1.0, 2.0])}
    stopper.update(0, 0.9, params)
    params["W1"][:] = -1.0  # training continues in place
    np.testing.assert_array_equal(stopper.best_params["W1"], [1.0, 2.0])


def test_early_stopping_ignores_nan_and_can_be_reset():
    stopper = reg.EarlyStopping(patience=2, mode="min")
    assert stopper.update(0, float("nan"), {}) is False
    assert stopper.best_epoch is None
    stopper.update(1, 0.5, {})
    stopper.reset()
    assert (stopper.best_epoch, stopper.best_metric, stopper.epochs_without_improvement) == (None, None, 0)


def test_early_stopping_defaults_wait_ten_epochs_for_a_higher_metric():
    stopper = reg.EarlyStopping()
    decisions = [stopper.update(epoch, 0.5 - 0.01 * epoch, {}) for epoch in range(11)]  # only worse
    assert decisions == [False] * 10 + [True] and stopper.best_epoch == 0
    assert repr(stopper) == ("EarlyStopping(patience=10, mode='max', best_epoch=0, best_metric=0.5, "
                             "epochs_without_improvement=10)")


@pytest.mark.parametrize("patience, mode, message", [
    (0, "max", r"^patience \(epochs to wait\) must be a positive integer, got 0$"),
    (2.5, "max", r"^patience \(epochs to wait\) must be a positive integer, got 2.5$"),
    (3, "maximum", r"mode must be 'max' .* or 'min' .*, got 'maximum'"),
    (3, None, r"mode must be 'max' .* or 'min' .*, got None"),
])
def test_early_stopping_rejects_bad_settings(patience, mode, message):
    with pytest.raises(ValueError, match=message):
        reg.EarlyStopping(patience=patience, mode=mode)


# --- issue 12: NaN and inf, and penalties that are not numbers -----------------------------------

@pytest.mark.parametrize("penalty", [reg.l2_penalty, reg.l2_gradient, reg.l1_penalty, reg.l1_gradient])
def test_penalties_reject_non_finite_weights_and_non_numeric_lambda(penalty):
    params = {"W1": np.array([[1.0, np.nan]]), "b1": np.zeros(2)}
    with pytest.raises(ValueError, match=r"params\['W1'\] must be finite.*index \(0, 1\)"):
        penalty(params, 0.1, 10)
    params["W1"][0, 1] = 2.0
    with pytest.raises(TypeError, match=r"^lam \(λ\) must be a real number"):
        penalty(params, "0.1", 10)
    with pytest.raises(ValueError, match=r"^lam \(λ\) must be a finite number"):
        penalty(params, float("inf"), 10)


def test_dropout_rejects_non_finite_activations(rng):
    A = np.ones((2, 3))
    A[1, 2] = np.inf
    with pytest.raises(ValueError, match=r"A must be finite.*index \(1, 2\)"):
        reg.dropout_forward(A, 0.5, rng)
    with pytest.raises(TypeError, match="^drop_probability must be a real number"):
        reg.dropout_forward(np.ones(2), "0.5", rng)


# --- issue 13: the L2 term as train's gradient transform --------------------------------------

@settings(max_examples=10)
@given(seed=st.integers(0, 2**32 - 1), lam=st.floats(0.01, 10.0), n=st.integers(1, 5000))
def test_l2_transform_adds_the_gradient_of_the_penalty(seed, lam, n):
    rng = np.random.default_rng(seed)
    params, data_grads = random_params(rng), random_params(rng)
    total = reg.l2_transform(lam, n)(data_grads, params)
    assert total.keys() == params.keys()
    for key, value in params.items():
        numeric = numerical_gradient(lambda: reg.l2_penalty(params, lam, n), value)
        assert_gradient(key, total[key] - data_grads[key], numeric)


@pytest.mark.parametrize("lam, n, error", [(-1.0, 10, r"^lam \(λ\) must be a finite number >= 0"),
                                           (0.5, 0, r"^n \(the number of training samples\) must be a positive integer"),
                                           (0.5, 2.5, r"^n \(the number of training samples\) must be a positive integer")])
def test_l2_transform_checks_lambda_and_n_once(lam, n, error):
    with pytest.raises(ValueError, match=error):
        reg.l2_transform(lam, n)
