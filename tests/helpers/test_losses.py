"""Tests for helpers.losses: values from hand calculation and naive formulas, gradients
against finite differences, batch averaging, stability at huge logits, and clear errors.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import losses as L
from numgrad import numerical_gradient, rel_error

TOL = 1e-6
LN2 = math.log(2.0)

seeds = st.integers(0, 2**32 - 1)


def naive_bce(z, y):
    """Reference: −(1/n) Σ [y ln σ + (1 − y) ln(1 − σ)] with the textbook σ.

    Only for |z| ≤ 12, where 1 − σ is still computed to ~1e-11 relative accuracy.
    """
    assert np.all(np.abs(z) <= 12)
    s = 1.0 / (1.0 + np.exp(-z))
    return -np.sum(y * np.log(s) + (1 - y) * np.log(1 - s)) / z.shape[0]


def naive_cce(z, one_hot):
    """Reference: −(1/n) Σ_i Σ_k y_ik ln(exp z_ik / Σ_j exp z_ij) (|z| < 30 only)."""
    assert np.all(np.abs(z) < 30)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    return -np.sum(one_hot * np.log(p)) / z.shape[0]


def random_problem(loss_name, seed, n, k, one_d=False, scale=2.0):
    """Inputs (predictions or logits) and valid targets for a loss, drawn from ``seed``."""
    rng = np.random.default_rng(seed)
    shape = (n,) if one_d else (n, k)
    x = rng.normal(scale=scale, size=shape)
    if loss_name == "mse":
        y = rng.normal(size=shape)
    elif loss_name == "binary_cross_entropy":
        y = rng.uniform(0, 1, size=shape)  # soft targets are allowed
        y[rng.uniform(size=shape) < 0.5] = rng.integers(0, 2)  # and hard ones
    else:
        y = rng.integers(0, k, size=n)
    return x, y


# --- known values ------------------------------------------------------------------------

def test_mse_is_half_the_summed_squared_error_over_n():
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    y = np.zeros((2, 2))
    value, grad = L.mean_squared_error(a, y)
    assert value == pytest.approx((1 + 4 + 9 + 16) / (2 * 2), rel=1e-15)  # not / (2·n·k)
    np.testing.assert_allclose(grad, a / 2, rtol=1e-15)
    value, grad = L.mean_squared_error([1.0, 2.0, 3.0], [1.0, 0.0, 0.0])
    assert value == pytest.approx((0 + 4 + 9) / (2 * 3), rel=1e-15)
    np.testing.assert_allclose(grad, [0.0, 2 / 3, 1.0], rtol=1e-15)
    assert isinstance(value, float)


def test_binary_cross_entropy_known_values():
    value, grad = L.binary_cross_entropy_from_logits([0.0], [1.0])
    assert value == pytest.approx(LN2, rel=1e-15)
    np.testing.assert_allclose(grad, [-0.5], rtol=1e-15)
    # two outputs per sample: summed over columns, averaged over the 2 rows
    z = np.array([[0.0, 0.0], [math.log(3.0), 0.0]])
    y = np.array([[1.0, 0.0], [1.0, 1.0]])
    expected = (LN2 + LN2 + math.log(4 / 3) + LN2) / 2
    value, grad = L.binary_cross_entropy_from_logits(z, y)
    assert value == pytest.approx(expected, rel=1e-14)
    np.testing.assert_allclose(grad, [[-0.25, 0.25], [-0.125, -0.25]], rtol=1e-14)
    assert isinstance(value, float)


def test_categorical_cross_entropy_known_values():
    z = np.array([[0.0, 0.0, 0.0], [0.0, math.log(2.0), math.log(5.0)]])
    value, grad = L.categorical_cross_entropy_from_logits(z, [1, 2])
    assert value == pytest.approx((math.log(3.0) + math.log(8 / 5)) / 2, rel=1e-14)
    np.testing.assert_allclose(
        grad, [[1 / 6, -1 / 3, 1 / 6], [1 / 16, 2 / 16, -3 / 16]], rtol=1e-14
    )
    assert isinstance(value, float)


def test_to_one_hot():
    np.testing.assert_array_equal(L.to_one_hot([2, 0, 1, 2], 3), [[0, 0, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1]])
    np.testing.assert_array_equal(L.to_one_hot(np.array([1.0, 0.0]), 2), [[0, 1], [1, 0]])
    assert L.to_one_hot([], 4).shape == (0, 4)


@given(seeds, st.integers(1, 6), st.integers(1, 4), st.floats(0.1, 20))
@settings(max_examples=30)
def test_classification_losses_match_naive_formulas(seed, n, k, scale):
    z, y = random_problem("binary_cross_entropy", seed, n, k, scale=scale)
    z = np.clip(z, -12, 12)
    assert L.binary_cross_entropy_from_logits(z, y)[0] == pytest.approx(naive_bce(z, y), rel=1e-9, abs=1e-12)
    labels = np.random.default_rng(seed).integers(0, k, size=n)
    one_hot = np.eye(k)[labels]
    value = L.categorical_cross_entropy_from_logits(z, labels)[0]
    assert value == pytest.approx(naive_cce(z, one_hot), rel=1e-10, abs=1e-12)


# --- gradients against finite differences -------------------------------------------------

@pytest.mark.parametrize("loss_name", sorted(L.LOSSES))
@given(seed=seeds, n=st.integers(1, 5), k=st.integers(1, 4), one_d=st.booleans())
@settings(max_examples=30)
def test_gradient_matches_finite_differences(loss_name, seed, n, k, one_d):
    loss = L.LOSSES[loss_name]
    one_d = one_d and loss_name != "categorical_cross_entropy"  # CCE takes (n, k) logits
    x, y = random_problem(loss_name, seed, n, k, one_d=one_d)
    value, grad = loss(x, y)
    assert grad.shape == x.shape
    numeric = numerical_gradient(lambda: loss(x, y)[0], x)
    assert rel_error(grad, numeric) < TOL


@given(seed=seeds, n=st.integers(1, 5), k=st.integers(1, 4))
@settings(max_examples=20)
def test_categorical_cross_entropy_gradient_with_soft_labels(seed, n, k):
    rng = np.random.default_rng(seed)
    z = rng.normal(scale=2.0, size=(n, k))
    y = rng.dirichlet(np.ones(k), size=n)
    numeric = numerical_gradient(lambda: L.categorical_cross_entropy_from_logits(z, y)[0], z)
    assert rel_error(L.categorical_cross_entropy_from_logits(z, y)[1], numeric) < TOL


# --- labels, batch averaging -------------------------------------------------------------

@given(seed=seeds, n=st.integers(1, 6), k=st.integers(1, 5))
@settings(max_examples=30)
def test_integer_labels_and_one_hot_agree(seed, n, k):
    rng = np.random.default_rng(seed)
    z = rng.normal(scale=3.0, size=(n, k))
    labels = rng.integers(0, k, size=n)
    one_hot = np.zeros((n, k))
    one_hot[np.arange(n), labels] = 1.0
    value_int, grad_int = L.categorical_cross_entropy_from_logits(z, labels)
    value_hot, grad_hot = L.categorical_cross_entropy_from_logits(z, one_hot)
    value_list, grad_list = L.categorical_cross_entropy_from_logits(z.tolist(), labels.tolist())
    assert value_int == pytest.approx(value_hot, rel=1e-14, abs=1e-300)
    assert value_list == pytest.approx(value_hot, rel=1e-14, abs=1e-300)
    np.testing.assert_allclose(grad_int, grad_hot, rtol=1e-14, atol=1e-300)
    np.testing.assert_allclose(grad_list, grad_hot, rtol=1e-14, atol=1e-300)


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8, np.uint64])
@pytest.mark.parametrize("order", ["C", "F"])
def test_integer_labels_of_any_dtype_and_logits_in_any_memory_order(dtype, order, rng):
    """The kernel subtracts 1 at flat indices i·k + c_i: right for every integer dtype (uint64 + int64
    is float64 in NumPy) and for logits in Fortran order (the gradient must be written, not a copy)."""
    z = np.asarray(rng.normal(scale=3.0, size=(7, 4)), order=order)
    labels = rng.integers(0, 4, size=7)
    one_hot = np.eye(4)[labels]
    value, grad = L.categorical_cross_entropy_from_logits(z, labels.astype(dtype))
    value_hot, grad_hot = L.categorical_cross_entropy_from_logits(z, one_hot)
    assert value == pytest.approx(value_hot, rel=1e-14)
    np.testing.assert_allclose(grad, grad_hot, rtol=1e-14, atol=1e-17)
    np.testing.assert_allclose(grad.sum(axis=1), 0.0, atol=1e-15)  # p - y sums to 0 in every row


@pytest.mark.parametrize("loss_name", sorted(L.LOSSES))
@given(seed=seeds, n=st.integers(1, 5), k=st.integers(1, 4))
@settings(max_examples=20)
def test_value_is_averaged_over_the_batch(loss_name, seed, n, k):
    loss = L.LOSSES[loss_name]
    x, y = random_problem(loss_name, seed, n, k)
    value, grad = loss(x, y)
    doubled_value, doubled_grad = loss(np.concatenate([x, x]), np.concatenate([y, y]))
    assert doubled_value == pytest.approx(value, rel=1e-12, abs=1e-15)
    # each copy of a sample now weighs 1/(2n) instead of 1/n
    np.testing.assert_allclose(doubled_grad, np.concatenate([grad, grad]) / 2, rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("loss_name", sorted(L.LOSSES))
def test_inputs_are_not_mutated(loss_name, rng):
    x, y = random_problem(loss_name, 7, 4, 3)
    x_before, y_before = x.copy(), y.copy()
    L.LOSSES[loss_name](x, y)
    np.testing.assert_array_equal(x, x_before)
    np.testing.assert_array_equal(y, y_before)


def test_zero_loss_at_perfect_predictions():
    y = np.array([[0.5, -1.0], [2.0, 3.0]])
    value, grad = L.mean_squared_error(y, y)
    assert value == 0.0
    np.testing.assert_array_equal(grad, np.zeros((2, 2)))


# --- stability at huge logits ----------------------------------------------------------------

def test_binary_cross_entropy_is_finite_at_huge_logits():
    z = np.array([[1000.0], [-1000.0]])
    with np.errstate(all="raise"):
        right_value, right_grad = L.binary_cross_entropy_from_logits(z, [[1.0], [0.0]])
        wrong_value, wrong_grad = L.binary_cross_entropy_from_logits(z, [[0.0], [1.0]])
        half_value, half_grad = L.binary_cross_entropy_from_logits(z, [[0.5], [0.5]])
    assert right_value == pytest.approx(0.0, abs=1e-12)
    assert wrong_value == pytest.approx(1000.0, rel=1e-12)  # each sample costs |z| = 1000
    assert half_value == pytest.approx(500.0, rel=1e-12)
    np.testing.assert_allclose(right_grad, [[0.0], [0.0]], atol=1e-15)
    np.testing.assert_allclose(wrong_grad, [[0.5], [-0.5]], rtol=1e-15)
    np.testing.assert_allclose(half_grad, [[0.25], [-0.25]], rtol=1e-15)


def test_categorical_cross_entropy_is_finite_at_huge_logits():
    z = np.array([[1000.0, -1000.0], [-1000.0, 1000.0]])
    with np.errstate(all="raise"):
        right_value, right_grad = L.categorical_cross_entropy_from_logits(z, [0, 1])
        wrong_value, wrong_grad = L.categorical_cross_entropy_from_logits(z, [1, 0])
        hot_value, _ = L.categorical_cross_entropy_from_logits(z, [[0.0, 1.0], [1.0, 0.0]])
    assert right_value == pytest.approx(0.0, abs=1e-12)
    assert wrong_value == pytest.approx(2000.0, rel=1e-12)  # −log softmax = 1000 − (−1000)
    assert hot_value == pytest.approx(2000.0, rel=1e-12)
    np.testing.assert_allclose(right_grad, np.zeros((2, 2)), atol=1e-15)
    np.testing.assert_allclose(wrong_grad, [[0.5, -0.5], [-0.5, 0.5]], rtol=1e-15)


# --- bad input ---------------------------------------------------------------------------------

@pytest.mark.parametrize("loss_name, first", [("mse", "predictions"), ("binary_cross_entropy", "logits")])
def test_elementwise_losses_reject_bad_inputs_naming_the_argument(loss_name, first):
    loss = L.LOSSES[loss_name]
    ok = np.full((3, 2), 0.5)
    with pytest.raises(ValueError, match=rf"{first} and targets must have the same shape.*\(3, 2\).*\(2, 3\)"):
        loss(ok, np.full((2, 3), 0.5))
    with pytest.raises(ValueError, match=r"same shape.*\(3,\).*\(3, 1\)"):
        loss(np.zeros(3), np.zeros((3, 1)))  # (n,) vs (n, 1) must not broadcast
    with pytest.raises(ValueError, match=rf"{first} must have 1 or 2 dimension"):
        loss(np.zeros((2, 2, 2)), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="targets must have 1 or 2 dimension"):
        loss(np.zeros((2, 2)), np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match="dimension"):
        loss(0.5, 0.5)
    with pytest.raises(ValueError, match=rf"{first} is empty.*at least one sample"):
        loss(np.zeros((0, 2)), np.zeros((0, 2)))
    with pytest.raises(TypeError, match=f"{first} must hold numbers"):
        loss("abc", ok)
    with pytest.raises(TypeError, match="targets must hold numbers"):
        loss(ok, np.array([[0.5, None]] * 3, dtype=object))
    with pytest.raises(TypeError, match=f"{first} must be real"):
        loss(ok + 1j, ok)
    with pytest.raises(TypeError, match="targets must be real"):
        loss(ok, ok + 0j)


@pytest.mark.parametrize("bad", [1.5, -0.1, -1.0, 2.0])
def test_binary_cross_entropy_rejects_targets_outside_unit_interval(bad):
    targets = np.array([[0.0], [1.0], [bad]])
    with pytest.raises(ValueError, match=r"targets must lie in \[0, 1\]"):
        L.binary_cross_entropy_from_logits(np.zeros((3, 1)), targets)


def test_categorical_cross_entropy_rejects_bad_labels():
    z = np.zeros((3, 4))
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\].*4 classes.*from 0 to 4"):
        L.categorical_cross_entropy_from_logits(z, [0, 4, 1])
    with pytest.raises(ValueError, match=r"from -1 to 2"):
        L.categorical_cross_entropy_from_logits(z, [-1, 2, 1])
    with pytest.raises(TypeError, match="whole numbers"):
        L.categorical_cross_entropy_from_logits(z, [0.5, 1.0, 2.0])
    with pytest.raises(TypeError, match="whole numbers"):
        L.categorical_cross_entropy_from_logits(z, [np.nan, 1.0, 2.0])
    with pytest.raises(TypeError, match="whole numbers"):
        L.categorical_cross_entropy_from_logits(z, [np.inf, 1.0, 2.0])
    with pytest.raises(TypeError, match="class indices"):
        L.categorical_cross_entropy_from_logits(z, ["a", "b", "c"])
    with pytest.raises(TypeError, match="class indices"):
        L.categorical_cross_entropy_from_logits(z, np.array([0, None, 1], dtype=object))
    with pytest.raises(TypeError, match="class indices"):
        L.categorical_cross_entropy_from_logits(z, np.array([0j, 1j, 2j]))
    with pytest.raises(ValueError, match=r"one class per row.*\(3, 4\).*\(2,\)"):
        L.categorical_cross_entropy_from_logits(z, [0, 1])  # too few labels
    with pytest.raises(ValueError, match=r"logits and one-hot labels must have the same shape.*\(3, 4\).*\(3, 3\)"):
        L.categorical_cross_entropy_from_logits(z, np.eye(3))  # wrong one-hot width
    with pytest.raises(ValueError, match="logits must have 2 dimension"):
        L.categorical_cross_entropy_from_logits(np.zeros(4), [1])  # logits must be (n, k)
    with pytest.raises(ValueError, match="labels must have 2 dimension"):
        L.categorical_cross_entropy_from_logits(z, np.zeros((3, 4, 1)))
    with pytest.raises(TypeError, match="labels must hold numbers"):
        L.categorical_cross_entropy_from_logits(z, [["a"] * 4] * 3)
    with pytest.raises(ValueError, match="^logits is empty: a batch needs at least one sample$"):
        L.categorical_cross_entropy_from_logits(np.zeros((0, 4)), np.array([], dtype=int))
    with pytest.raises(TypeError, match="logits must hold numbers"):
        L.categorical_cross_entropy_from_logits("logits", [0, 1, 2])
    with pytest.raises(TypeError, match="logits must be real"):
        L.categorical_cross_entropy_from_logits(z + 1j, [0, 1, 2])


@pytest.mark.parametrize("labels", [
    [2, 0, 1], np.array([2, 0, 1], dtype=np.int32), np.array([2, 0, 1], dtype=np.uint8), [2.0, 0.0, 1.0],
])
def test_class_indices_are_int64_whatever_whole_numbers_came_in(labels):
    classes = L.class_indices(labels, 3)
    assert classes.dtype == np.int64
    np.testing.assert_array_equal(classes, [2, 0, 1])


def test_class_indices_read_booleans_as_classes_0_and_1():
    classes = L.class_indices(np.array([True, False, True]), 2)
    assert classes.dtype == np.int64
    np.testing.assert_array_equal(classes, [1, 0, 1])
    np.testing.assert_array_equal(L.to_one_hot([False, True], 2), [[1.0, 0.0], [0.0, 1.0]])


def test_class_indices_errors_name_the_argument():
    with pytest.raises(ValueError, match=r"^y_val must lie in \[0, 2\] for 3 classes, got values from 0 to 3$"):
        L.class_indices([0, 3], 3, "y_val")
    with pytest.raises(ValueError, match=r"^y_val must be 1-D integer classes, got shape \(1, 2\)$"):
        L.class_indices([[0, 1]], 3, "y_val")
    with pytest.raises(TypeError, match=r"^y_val must be whole numbers \(class indices\), got dtype float64$"):
        L.class_indices([0.5], 3, "y_val")
    with pytest.raises(TypeError, match=r"^y_val must be integer class indices, got dtype <U1$"):
        L.class_indices(["a"], 3, "y_val")


def test_to_one_hot_rejects_two_dimensional_labels():
    with pytest.raises(ValueError, match=r"1-D.*\(2, 2\)"):
        L.to_one_hot([[0, 1], [1, 0]], 2)


def test_registry_names():
    assert L.LOSSES == {
        "mse": L.mean_squared_error,
        "binary_cross_entropy": L.binary_cross_entropy_from_logits,
        "categorical_cross_entropy": L.categorical_cross_entropy_from_logits,
    }


# --- issue 12: labels that are not probability rows, NaN and inf ------------------------------

@pytest.mark.parametrize("labels, message", [
    ([[0.5, 0.5, 0.5]], r"labels rows must be probability vectors .* row 0 sums to 1\.5: pass one-hot"),
    ([[1.0, 0.0, 0.0], [0.2, 0.2, 0.2]], r"labels rows must be probability vectors .* row 1 sums to 0\.6:"),
    ([[-0.5, 1.5, 0.0]], r"labels must lie in \[0, 1\], got values from -0\.5 to 1\.5"),
])
def test_categorical_cross_entropy_rejects_label_rows_that_are_not_probabilities(labels, message):
    # with such rows (softmax − y)/n is not the gradient of the value: refuse them
    logits = np.ones((len(labels), 3))
    with pytest.raises(ValueError, match=message):
        L.categorical_cross_entropy_from_logits(logits, np.array(labels))


@pytest.mark.parametrize("off", [3e-7, -3e-7])
def test_label_rows_summing_to_one_up_to_rounding_are_probabilities(off):
    """Rows that sum to 1 within 1e-6 (e.g. computed soft labels) are accepted; 9e-6 off is not."""
    z = np.zeros((1, 3))
    value, _ = L.categorical_cross_entropy_from_logits(z, np.array([[0.5 + off, 0.25, 0.25]]))
    assert value == pytest.approx(math.log(3.0), rel=1e-6)
    with pytest.raises(ValueError, match="probability vectors"):
        L.categorical_cross_entropy_from_logits(z, np.array([[0.5 + 30 * off, 0.25, 0.25]]))


def test_categorical_cross_entropy_keeps_soft_probability_labels(rng):
    z = rng.normal(size=(4, 3))
    y = rng.dirichlet(np.ones(3), size=4)  # soft labels: rows ≥ 0 summing to 1
    value, grad = L.categorical_cross_entropy_from_logits(z, y)
    numeric = numerical_gradient(lambda: L.categorical_cross_entropy_from_logits(z, y)[0], z)
    assert rel_error(grad, numeric) < 1e-7


@pytest.mark.parametrize("loss, first, second", [
    (L.mean_squared_error, "predictions", "targets"),
    (L.binary_cross_entropy_from_logits, "logits", "targets"),
    (L.categorical_cross_entropy_from_logits, "logits", "labels"),
])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_losses_reject_non_finite_input_naming_the_array_and_index(loss, first, second, bad):
    z, y = np.zeros((3, 2)), np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    z[2, 1] = bad
    with pytest.raises(ValueError, match=rf"{first} must be finite.*index \(2, 1\)"):
        loss(z, y)
    z[2, 1], y[1, 0] = 0.0, bad
    with pytest.raises(ValueError, match=rf"^{second} must (be finite.*index \(1, 0\)|lie in \[0, 1\])"):
        loss(z, y)


# --- issue 13: cost records of a sigmoid output layer, and the unchecked kernels -------------

def naive_sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


@pytest.mark.parametrize("name, reference", [
    ("mse", lambda z, y: 0.5 * np.sum((naive_sigmoid(z) - y) ** 2) / z.shape[0]),
    ("cross_entropy", naive_bce),
])
@settings(max_examples=15)
@given(seed=seeds, n=st.integers(1, 5), k=st.integers(1, 3))
def test_cost_value_is_the_mean_over_samples(name, reference, seed, n, k):
    rng = np.random.default_rng(seed)
    z, y = rng.normal(scale=3.0, size=(n, k)), rng.uniform(size=(n, k))
    assert L.get_cost(name).value(z, naive_sigmoid(z), y) == pytest.approx(reference(z, y), rel=1e-10)


@pytest.mark.parametrize("name", sorted(L.COSTS))
@settings(max_examples=15)
@given(seed=seeds, n=st.integers(1, 5), k=st.integers(1, 3))
def test_cost_delta_is_n_times_the_gradient_of_the_value(name, seed, n, k):
    """delta is the per-sample dC_x/dz: the gradient of the mean, times n (finite differences)."""
    rng = np.random.default_rng(seed)
    z, y = rng.normal(scale=2.0, size=(n, k)), rng.uniform(size=(n, k))
    cost = L.get_cost(name)
    numeric = numerical_gradient(lambda: cost.value(z, naive_sigmoid(z), y), z) * n
    assert rel_error(cost.delta(z, naive_sigmoid(z), y), numeric) < TOL


def test_the_cross_entropy_lesson_a_saturated_wrong_neuron():
    """Output near 1, target 0: the quadratic cost's delta vanishes with σ'; cross-entropy's does not."""
    z, y = np.array([[8.0]]), np.array([[0.0]])
    a = naive_sigmoid(z)
    assert L.get_cost("mse").delta(z, a, y)[0, 0] < 1e-3
    assert L.get_cost("cross_entropy").delta(z, a, y)[0, 0] > 0.99


def test_costs_registry_and_unknown_name():
    assert {name: cost.name for name, cost in L.COSTS.items()} == {"mse": "mse", "cross_entropy": "cross_entropy"}
    with pytest.raises(ValueError, match="unknown cost 'hinge'.*cross_entropy, mse"):
        L.get_cost("hinge")


@pytest.mark.parametrize("loss_name", sorted(L.LOSSES))
def test_unchecked_kernels_agree_with_the_public_losses(loss_name, rng):
    x, y = random_problem(loss_name, 3, 6, 4)
    value, grad = L.LOSSES[loss_name](x, y)
    kernel_value, kernel_grad = L.UNCHECKED_LOSSES[loss_name](x, y)
    assert kernel_value == value
    np.testing.assert_array_equal(kernel_grad, grad)


@pytest.mark.parametrize("loss_name", sorted(L.LOSSES))
def test_unchecked_kernels_let_a_diverging_run_show_its_nan(loss_name):
    x, y = random_problem(loss_name, 3, 6, 4)
    x[0, 0] = np.nan
    with np.errstate(invalid="ignore"):
        value, _ = L.UNCHECKED_LOSSES[loss_name](x, y)
    assert np.isnan(value)
    with pytest.raises(ValueError, match="must be finite"):
        L.LOSSES[loss_name](x, y)
