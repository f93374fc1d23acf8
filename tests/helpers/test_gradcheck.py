"""Tests for helpers.gradcheck: central differences on functions whose gradient we know in
closed form, the input left exactly as it was, relative_error's properties, and that
diagnose names each typical mistake (and stays quiet when the gradient is right).
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from helpers import gradcheck as G


def quadratic(A, c, x):
    """f(x) = ½ xᵀAx + cᵀx for flat x; its gradient is ½(A + Aᵀ)x + c."""
    return lambda: 0.5 * x @ A @ x + c @ x


# --- numerical_gradient ----------------------------------------------------------------

@pytest.mark.parametrize("d", [1, 3, 8])
def test_numerical_gradient_of_quadratic(rng, d):
    A, c, x = rng.normal(size=(d, d)), rng.normal(size=d), rng.normal(size=d)
    expected = 0.5 * (A + A.T) @ x + c
    got = G.numerical_gradient(quadratic(A, c, x), x)
    assert got.shape == (d,)
    np.testing.assert_allclose(got, expected, rtol=1e-7, atol=1e-8)


def test_numerical_gradient_of_sin_on_a_matrix(rng):
    x = rng.uniform(-3, 3, size=(3, 4))
    got = G.numerical_gradient(lambda: np.sum(np.sin(x)), x)
    assert got.shape == (3, 4)
    np.testing.assert_allclose(got, np.cos(x), rtol=1e-7, atol=1e-8)


def test_numerical_gradient_of_scalar_array():
    x = np.array(0.3)
    got = G.numerical_gradient(lambda: float(x) ** 3, x)
    assert got.shape == ()
    assert got == pytest.approx(3 * 0.3**2, rel=1e-8)


def test_numerical_gradient_of_constant_is_zero(rng):
    x = rng.normal(size=5)
    assert np.array_equal(G.numerical_gradient(lambda: 4.0, x), np.zeros(5))


def test_sampled_coordinates_are_exact_and_others_nan(rng):
    x = rng.uniform(-2, 2, size=(3, 4))
    got = G.numerical_gradient(lambda: np.sum(np.sin(x)), x, n_samples=5, rng=rng)
    known = ~np.isnan(got)
    assert known.sum() == 5
    np.testing.assert_allclose(got[known], np.cos(x)[known], rtol=1e-7, atol=1e-8)


def test_sampled_coordinates_depend_only_on_the_seed():
    x = np.linspace(-1, 1, 20)
    draws = [~np.isnan(G.numerical_gradient(lambda: np.sum(x**2), x, n_samples=6,
                                            rng=np.random.default_rng(seed)))
             for seed in (5, 5, 6)]
    assert np.array_equal(draws[0], draws[1])
    assert not np.array_equal(draws[0], draws[2])


def test_sampled_coordinates_are_distinct(rng):
    """11 of 12 coordinates means 11 different ones: none is estimated twice."""
    x = rng.normal(size=(3, 4))
    got = G.numerical_gradient(lambda: np.sum(x**2), x, n_samples=11, rng=rng)
    assert np.count_nonzero(~np.isnan(got)) == 11


def test_sampling_needs_a_generator():
    x = np.zeros(10)
    with pytest.raises(TypeError, match="^rng must be a numpy.random.Generator.*; got NoneType$"):
        G.numerical_gradient(lambda: np.sum(x), x, n_samples=3)
    with pytest.raises(TypeError, match="^rng must be a numpy.random.Generator.*; got int$"):
        G.numerical_gradient(lambda: np.sum(x), x, n_samples=3, rng=0)


def test_n_samples_at_least_size_computes_everything():
    x = np.arange(4.0)
    got = G.numerical_gradient(lambda: np.sum(x**2), x, n_samples=4)
    np.testing.assert_allclose(got, 2 * x, atol=1e-8)


def test_x_is_restored_bit_for_bit(rng):
    # values like 0.1 are not recovered by (x + eps) - eps: the original must be stored
    x = np.array([[0.1, 1 / 3, -7.3e-5], [1e8, math.pi, -0.0]])
    before = x.copy()
    identity = id(x)
    G.numerical_gradient(lambda: np.sum(np.exp(np.tanh(x))), x)
    assert id(x) == identity
    assert x.tobytes() == before.tobytes()


def test_x_is_restored_when_f_raises():
    x = np.array([0.1, 0.2, 0.7])
    before = x.copy()
    calls = []

    def f():
        calls.append(x.copy())
        if len(calls) == 3:  # while the second coordinate is nudged
            raise ZeroDivisionError("boom")
        return float(np.sum(x))

    with pytest.raises(ZeroDivisionError, match="boom"):
        G.numerical_gradient(f, x)
    assert not np.array_equal(calls[2], before)  # it really was perturbed when f failed
    assert x.tobytes() == before.tobytes()


@pytest.mark.parametrize("bad", [np.zeros(3, dtype=np.float32), np.arange(3), [0.0, 1.0], 2.0])
def test_x_must_be_a_float64_array(bad):
    with pytest.raises(TypeError, match=r"^x must be a float64 NumPy array that f reads \(it is perturbed in place\)$"):
        G.numerical_gradient(lambda: 0.0, bad)


@pytest.mark.parametrize("eps", [0.0, -1e-6, np.nan])
def test_eps_must_be_positive(eps):
    with pytest.raises(ValueError, match="^eps must be a finite number"):
        G.numerical_gradient(lambda: 0.0, np.zeros(2), eps=eps)


# --- relative_error ----------------------------------------------------------------------

def test_relative_error_known_values():
    assert G.relative_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert G.relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert G.relative_error([1.0, 0.0], [0.0, 1.0]) == pytest.approx(math.sqrt(2) / 2)
    assert G.relative_error([3.0, 4.0], [0.0, 0.0]) == pytest.approx(1.0)
    assert G.relative_error([1.0], [-1.0]) == pytest.approx(1.0)
    assert G.relative_error([2.0], [1.0]) == pytest.approx(1 / 3)


def test_relative_error_is_symmetric_and_bounded(rng):
    for _ in range(20):
        a, b = rng.normal(size=(2, 4, 3)) * rng.uniform(0.01, 100, size=2)[:, None, None]
        e = G.relative_error(a, b)
        assert e == pytest.approx(G.relative_error(b, a), rel=1e-14)
        assert 0.0 <= e <= 1.0 + 1e-15


def test_relative_error_ignores_nan_in_numeric(rng):
    a, n = rng.normal(size=8), rng.normal(size=8)
    holes = np.array([0, 3, 4])
    n_with_holes = n.copy()
    n_with_holes[holes] = np.nan
    a_with_garbage = a.copy()
    a_with_garbage[holes] = 1e6  # ignored where numeric is unknown
    keep = np.setdiff1d(np.arange(8), holes)
    expected = np.linalg.norm(a[keep] - n[keep]) / (np.linalg.norm(a[keep]) + np.linalg.norm(n[keep]))
    assert G.relative_error(a_with_garbage, n_with_holes) == pytest.approx(expected, rel=1e-12)


def test_relative_error_shape_mismatch():
    with pytest.raises(ValueError, match=r"^analytic has shape \(2, 3\) but numeric has shape \(3, 2\)$"):
        G.relative_error(np.zeros((2, 3)), np.zeros((3, 2)))


@pytest.mark.parametrize("scale", [1e-9, 1e-3, 1e150])
def test_relative_error_does_not_depend_on_the_scale(scale):
    """Small gradients are judged as strictly as large ones, down to norms of 1e-12."""
    assert G.relative_error(scale * np.array([2.0, 1.0]), scale * np.array([1.0, 1.0])) == pytest.approx(1 / (math.sqrt(5) + math.sqrt(2)))


def test_relative_error_with_nothing_known_is_zero():
    """A sampled check that estimated no coordinate has nothing to disagree with."""
    assert G.relative_error(np.ones(3), np.full(3, np.nan)) == 0.0


@pytest.mark.parametrize("scale", [1e200, 1e300])
def test_diagnose_names_a_factor_beyond_the_square_root_of_the_largest_float(true_grad, scale):
    """Squares of entries above ~1e154 overflow: the error is still measured, not NaN."""
    grad = scale * true_grad
    assert G.relative_error(1.5 * grad, grad) == pytest.approx(0.2)
    assert G.diagnose(2 * grad / 2.5, grad / 2.5).endswith("(factor 2): did you drop the ½ or count a term twice?")


@pytest.mark.parametrize("argument", ["analytic", "numeric"])
def test_relative_error_names_an_argument_that_is_not_numbers(argument):
    values = {"analytic": np.ones(2), "numeric": np.ones(2), argument: "not numbers"}
    with pytest.raises(TypeError, match=f"^{argument} "):
        G.relative_error(**values)


# --- diagnose ----------------------------------------------------------------------------

@pytest.fixture
def true_grad(rng):
    return rng.normal(size=(4, 3))


def test_diagnose_accepts_a_correct_gradient(true_grad):
    assert G.diagnose(true_grad, true_grad) is None
    assert G.diagnose(true_grad * (1 + 1e-9), true_grad) is None
    assert G.diagnose(true_grad.tolist(), true_grad) is None


def test_diagnose_accepts_a_correct_gradient_with_sampled_nan(true_grad):
    numeric = true_grad.copy()
    numeric[1] = np.nan
    analytic = true_grad.copy()
    analytic[1] = 99.0  # not checked
    assert G.diagnose(analytic, numeric) is None


def test_diagnose_tolerance_is_respected(true_grad):
    slightly_off = true_grad * (1 + 1e-4) + 1e-4
    assert G.diagnose(slightly_off, true_grad) is not None
    assert G.diagnose(slightly_off, true_grad, tolerance=1e-2) is None


@pytest.mark.parametrize("factor, expected", [
    (-1.0, "dW2 has the wrong sign: check the order of (a − y) or a minus in the update."),
    (2.0, "dW2 is twice too large (factor 2): did you drop the ½ or count a term twice?"),
    (0.5, "dW2 is half what it should be (factor ½)."),
    (3.0, "dW2 is 3 times the true gradient: a constant factor is wrong."),
    (-4.0, "dW2 points the wrong way (it is -4 times the true gradient): check the signs."),
])
def test_diagnose_names_a_constant_factor(true_grad, factor, expected):
    assert G.diagnose(factor * true_grad, true_grad, name="dW2") == expected


def test_diagnose_reads_missing_entries_as_nan(true_grad):
    """A gradient built as a list with a None left in it is reported, not a crash."""
    analytic = true_grad.tolist()
    analytic[0][1] = None
    assert "contains NaN or inf" in G.diagnose(analytic, true_grad)


def test_diagnose_calls_it_the_gradient_by_default(true_grad):
    assert G.diagnose(-true_grad, true_grad).startswith("the gradient has the wrong sign")


def test_diagnose_names_the_numeric_argument_when_it_is_not_numbers(true_grad):
    with pytest.raises(TypeError, match="^numeric "):
        G.diagnose(true_grad, "not numbers")


def test_diagnose_a_gradient_where_the_true_one_is_zero(true_grad):
    """No factor turns zero into something else: the generic message, at the largest entry."""
    analytic = np.zeros_like(true_grad)
    analytic[1, 2] = 0.5
    message = G.diagnose(analytic, np.zeros_like(true_grad), name="db")
    assert message.startswith("db is wrong: relative error 1.00e+00") and "index (1, 2)" in message


def test_diagnose_blames_float32_only_when_the_values_agree_to_float32_precision(true_grad):
    wrong_sign = (-true_grad).astype(np.float32).astype(np.float64)  # float32 numbers, but the sign is wrong
    assert G.diagnose(wrong_sign, true_grad, name="dW").startswith("dW has the wrong sign")
    huge = 1e150 * true_grad  # beyond float32's range: these cannot be float32 numbers
    assert "float32" not in G.diagnose(huge * (1 + 3e-6), huge, tolerance=1e-9)


def test_diagnose_names_the_batch_size(true_grad):
    summed = G.diagnose(16 * true_grad, true_grad, batch_size=16)
    assert summed == ("the gradient is off by a factor 16 = batch size: average over the batch "
                      "(divide by n) instead of summing.")
    twice_averaged = G.diagnose(true_grad / 16, true_grad, batch_size=16)
    assert twice_averaged == "the gradient is 16 (= batch size) times too small: you divided by n once too often."
    assert "batch size" in G.diagnose(3 * true_grad, true_grad, batch_size=3)  # the smallest batch it names
    # without batch_size the same factor is only a factor
    assert "batch size" not in G.diagnose(16 * true_grad, true_grad)


@pytest.mark.parametrize("factor, batch_size, says, must_not_say", [
    (2.1, None, "is 2.1 times the true gradient", "factor 2"),
    (0.51, None, "is 0.51 times the true gradient", "½"),
    (-1.01, None, "points the wrong way (it is -1.01 times", "wrong sign"),
    (15.0, 16, "is 15 times the true gradient", "batch size"),
    (1 / 15, 16, "is 0.06667 times the true gradient", "batch size"),
    (2.0 * (1 + 2e-3), None, "is 2.004 times", "factor 2"),
    (2.0 * (1 + 5e-4), None, "factor 2", "times the true gradient"),
])
def test_diagnose_names_a_factor_only_when_it_is_that_factor(true_grad, factor, batch_size, says, must_not_say):
    """Near misses: a constant factor is blamed on ½, 2, −1 or the batch size only within 0.1 %."""
    message = G.diagnose(factor * true_grad, true_grad, name="dW", batch_size=batch_size)
    assert says in message and must_not_say not in message


def test_diagnose_blames_a_factor_only_when_one_constant_explains_the_error(rng, true_grad):
    """Twice the gradient plus noise of 1 % is not 'a factor 2': the generic message, with the worst entry."""
    noisy = 2.0 * true_grad * (1 + 0.01 * rng.standard_normal(true_grad.shape))
    message = G.diagnose(noisy, true_grad, name="dW")
    assert message.startswith("dW is wrong: relative error") and "factor" not in message
    nearly = 2.0 * true_grad * (1 + 1e-6 * rng.standard_normal(true_grad.shape))
    assert "factor 2" in G.diagnose(nearly, true_grad, name="dW")


@pytest.mark.parametrize("scale", [1e-8, 1e150])
def test_diagnose_at_tiny_and_huge_magnitudes(true_grad, scale):
    grad = scale * true_grad
    assert G.diagnose(grad, grad) is None
    assert "wrong sign" in G.diagnose(-grad, grad)
    assert "factor 2" in G.diagnose(2 * grad, grad)
    assert "all zeros" in G.diagnose(np.zeros_like(grad), grad)


def test_diagnose_default_tolerance_is_one_in_a_million(true_grad):
    assert G.DEFAULT_TOLERANCE == 1e-6
    assert G.diagnose(true_grad * (1 + 1.5e-6), true_grad) is None  # relative error 7.5e-7
    message = G.diagnose(true_grad * (1 + 2.5e-6) + 1e-6 * true_grad[::-1], true_grad, name="dW")
    assert message is not None and "we accept 1e-06" in message


def test_diagnose_transposed(true_grad):
    message = G.diagnose(true_grad.T, true_grad, name="dW")
    assert "transposed" in message and "(3, 4)" in message and "(4, 3)" in message


@pytest.mark.parametrize("shape", [(12,), (4, 3, 1), (2, 6)])
def test_diagnose_wrong_shape(true_grad, shape):
    message = G.diagnose(true_grad.reshape(shape), true_grad)
    assert "shape" in message and str(shape) in message and "transposed" not in message


def test_diagnose_all_zeros(true_grad):
    assert "all zeros" in G.diagnose(np.zeros_like(true_grad), true_grad)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_diagnose_nan_or_inf(true_grad, bad):
    analytic = true_grad.copy()
    analytic[2, 1] = bad
    assert "NaN or inf" in G.diagnose(analytic, true_grad)


def test_diagnose_matches_a_known_mistake(rng, true_grad):
    without_derivative = true_grad / rng.uniform(0.05, 0.25, size=true_grad.shape)  # not a constant factor
    message = G.diagnose(
        without_derivative, true_grad,
        known_mistakes={"something else": rng.normal(size=(4, 3)),
                        "you left out σ′(z)": without_derivative,
                        "wrong shape mistake": np.zeros(7)},
    )
    assert message.endswith("common mistake: you left out σ′(z).")


def test_diagnose_generic_message_points_at_largest_difference(true_grad):
    analytic = true_grad.copy()
    analytic[2, 1] += 5.0
    analytic[0, 0] += 0.5
    message = G.diagnose(analytic, true_grad, name="db")
    assert message.startswith("db is wrong")
    assert "index (2, 1)" in message
    assert f"{analytic[2, 1]:.6g}" in message and f"{true_grad[2, 1]:.6g}" in message


def test_diagnose_generic_message_skips_unknown_coordinates(true_grad):
    numeric = true_grad.copy()
    numeric[2, 1] = np.nan
    analytic = true_grad.copy()
    analytic[2, 1] += 50.0  # unknown there, so not the place to report
    analytic[3, 0] += 1.0
    assert "index (3, 0)" in G.diagnose(analytic, numeric)


# --- numerical_gradient and diagnose end to end ---------------------------------------------

def least_squares(rng, n=6, d=4, k=2):
    """C(W) = ||XW − Y||² / (2n), with dC/dW = Xᵀ(XW − Y)/n."""
    X, Y, W = rng.normal(size=(n, d)), rng.normal(size=(n, k)), rng.normal(size=(d, k))
    cost = lambda: np.sum((X @ W - Y) ** 2) / (2 * n)  # noqa: E731
    return cost, W, X.T @ (X @ W - Y) / n


def test_numerical_gradient_and_diagnose_end_to_end(rng):
    cost, W, grad = least_squares(rng)
    before = W.copy()
    numeric = G.numerical_gradient(cost, W)
    assert G.diagnose(grad, numeric) is None
    assert "batch size" in G.diagnose(6 * grad, numeric, name="dW", batch_size=6)
    assert "transposed" in G.diagnose(grad.T, numeric)
    assert "wrong sign" in G.diagnose(-grad, numeric)
    assert W.tobytes() == before.tobytes()


@pytest.mark.parametrize("bad", [0, -2, 2.5, True, "3"])
def test_n_samples_must_be_a_positive_integer(bad, rng):
    with pytest.raises(ValueError, match="n_samples must be a positive integer"):
        G.numerical_gradient(lambda: 0.0, np.zeros(4), n_samples=bad, rng=rng)


# --- issue 12: a gradient computed in float32 ------------------------------------------------------

def single_precision(x: np.ndarray, perturbation: float = 1e-7) -> np.ndarray:
    """What a student's float32 computation returns once cast back: float32 numbers near x."""
    return (x.astype(np.float32) * np.float32(1 + perturbation)).astype(np.float64)


def test_diagnose_says_when_a_gradient_looks_like_single_precision(true_grad):
    message = G.diagnose(single_precision(true_grad), true_grad, name="dW", tolerance=1e-9)
    assert message.startswith("dW is slightly wrong") and "single-precision (float32)" in message
    assert "compute in float64" in message


def test_diagnose_blames_no_factor_of_one(true_grad):
    message = G.diagnose(true_grad * (1 + 3e-5), true_grad, name="dW", tolerance=1e-9)
    assert message.startswith("dW is wrong: relative error") and "float32" not in message
    assert "1 times" not in message


@pytest.mark.parametrize("magnitude", [1e200, 1e-3, 1.0])
def test_diagnose_names_the_factor_at_any_magnitude(magnitude):
    """Gradients above ~1e154 used to overflow the norms (inf/inf) and be called "nan times" the true one."""
    g = np.random.default_rng(0).normal(size=(4, 3)) * magnitude
    assert "factor 2" in G.diagnose(2 * g, g)
    assert G.relative_error(g * (1 + 1e-9), g) == pytest.approx(0.5e-9, rel=1e-3)
