"""Tests for helpers.layers: the dense layer against finite differences (CS231n style: the
output contracted with a random upstream gradient), with and without leading model axes.
"""
from __future__ import annotations

import numpy as np
import pytest

from helpers import layers
from numgrad import numerical_gradient, rel_error

TOL = 1e-7

# (X, W, b) shapes: one layer; M = 2 models along a leading axis; a shared X (wide product);
# a shared W; a bias row per model; two model axes; X, or W and b, broadcast along a model axis
# of size 1 (their gradients are summed over it); one input per model (fan_in = 1, notebook 08's).
CASES = {
    "one layer": ((5, 3), (3, 4), (4,)),
    "one layer, bias as a row": ((5, 3), (3, 4), (1, 4)),
    "model axis": ((2, 5, 3), (2, 3, 4), (2, 4)),
    "shared X": ((5, 3), (2, 3, 4), (2, 4)),
    "shared W": ((2, 5, 3), (3, 4), (4,)),
    "bias rows": ((2, 5, 3), (2, 3, 4), (2, 1, 4)),
    "two model axes": ((2, 3, 5, 3), (2, 3, 3, 4), (2, 3, 4)),
    "X broadcast": ((1, 5, 3), (2, 3, 4), (2, 4)),
    "W and b broadcast": ((2, 5, 3), (1, 3, 4), (1, 4)),
    "one input per model": ((2, 5, 1), (2, 1, 4), (2, 4)),
}
by_case = pytest.mark.parametrize("shapes", CASES.values(), ids=CASES.keys())


def draw(rng, shapes):
    return [rng.normal(size=shape) for shape in shapes]


@by_case
def test_forward_is_x_w_plus_b_for_every_model(shapes, rng):
    X, W, b = draw(rng, shapes)
    Z, cache = layers.dense_forward(X, W, b)
    bias = b if b.ndim == 1 or b.shape[-2] == 1 else b[..., None, :]
    expected = np.einsum("...ni,...io->...no", X, W) + bias
    assert Z.shape == expected.shape
    np.testing.assert_allclose(Z, expected, rtol=1e-13, atol=1e-13)
    assert cache.inputs is X and cache.weights is W
    np.testing.assert_allclose(layers.affine(X, W, b), expected, rtol=1e-13, atol=1e-13)  # without a cache


@by_case
def test_backward_matches_finite_differences(shapes, rng):
    X, W, b = draw(rng, shapes)
    Z, cache = layers.dense_forward(X, W, b)
    upstream = rng.normal(size=Z.shape)

    def contracted():
        return np.sum(upstream * layers.dense_forward(X, W, b)[0])

    grad_X, grad_W, grad_b = layers.dense_backward(upstream, cache)
    assert grad_X.shape == X.shape and grad_W.shape == W.shape
    assert grad_b.shape == W.shape[:-2] + W.shape[-1:]  # one bias gradient row per model
    for name, array, analytic in (("X", X, grad_X), ("W", W, grad_W), ("b", b, grad_b.reshape(b.shape))):
        assert rel_error(analytic, numerical_gradient(contracted, array)) < TOL, name


@by_case
def test_parameter_gradients_alone_are_backwards_last_two(shapes, rng):
    X, W, b = draw(rng, shapes)
    Z, cache = layers.dense_forward(X, W, b)
    upstream = rng.normal(size=Z.shape)
    _, grad_W, grad_b = layers.dense_backward(upstream, cache)
    only_W, only_b = layers.dense_parameter_gradients(upstream, cache)
    np.testing.assert_array_equal(only_W, grad_W)
    np.testing.assert_array_equal(only_b, grad_b)


def test_inputs_are_not_changed(rng):
    for shapes in CASES.values():
        X, W, b = draw(rng, shapes)
        before = [a.copy() for a in (X, W, b)]
        Z, cache = layers.dense_forward(X, W, b)
        upstream = rng.normal(size=Z.shape)
        kept = upstream.copy()
        layers.dense_backward(upstream, cache)
        for array, copy in zip((X, W, b, upstream), before + [kept]):
            np.testing.assert_array_equal(array, copy)


# --- batch normalisation ----------------------------------------------------------------------

BATCH_SHAPES = [(1, 3), (2, 2), (5, 3), (17, 4)]


@pytest.mark.parametrize("shape", BATCH_SHAPES, ids=str)
def test_batch_norm_backward_matches_finite_differences(shape, rng):
    X = rng.normal(2.0, 3.0, size=shape)
    gamma, beta = rng.uniform(0.3, 2.0, size=shape[1]), rng.normal(size=shape[1])
    upstream = rng.normal(size=shape)

    def contracted():
        return np.sum(upstream * layers.batch_norm_forward(X, gamma, beta)[0])

    _, cache = layers.batch_norm_forward(X, gamma, beta)
    grads = layers.batch_norm_backward(upstream, cache)
    for name, array, analytic in zip(("X", "gamma", "beta"), (X, gamma, beta), grads):
        numeric = numerical_gradient(contracted, array)
        # a batch of one or two has an exact gradient of 0 (or ~eps) for X: compare absolutely there
        assert rel_error(analytic, numeric) < TOL or np.allclose(analytic, numeric, atol=1e-8), name


def test_batch_norm_normalises_each_column_with_the_batch_variance(rng):
    X = rng.normal(size=(50, 3)) * [0.1, 1.0, 30.0] + [5.0, -2.0, 1e3]
    Y, cache = layers.batch_norm_forward(X, np.ones(3), np.zeros(3))
    np.testing.assert_allclose(Y.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(Y.var(axis=0), X.var(axis=0) / (X.var(axis=0) + layers.BATCH_NORM_EPS), rtol=1e-12)
    np.testing.assert_allclose(cache.centred, X - X.mean(axis=0), atol=1e-9)
    np.testing.assert_allclose(cache.inverse_std, 1 / np.sqrt(X.var(axis=0) + layers.BATCH_NORM_EPS), rtol=1e-12)


def test_batch_norm_gamma_and_beta_can_undo_it(rng):
    X = rng.normal(size=(20, 4)) * 3.0 + 7.0
    Y, _ = layers.batch_norm_forward(X, np.sqrt(X.var(axis=0) + layers.BATCH_NORM_EPS), X.mean(axis=0))
    np.testing.assert_allclose(Y, X, rtol=1e-12)


def test_batch_norm_of_a_batch_of_one_is_beta_with_zero_gradient():
    Y, cache = layers.batch_norm_forward(np.array([[3.0, -1.0]]), np.array([2.0, 5.0]), np.array([0.5, -0.5]))
    np.testing.assert_array_equal(Y, [[0.5, -0.5]])
    grad_X, grad_gamma, grad_beta = layers.batch_norm_backward(np.array([[1.0, 2.0]]), cache)
    np.testing.assert_array_equal(grad_X, 0.0)
    np.testing.assert_array_equal(grad_beta, [1.0, 2.0])


def test_batch_norm_gradient_ignores_a_shift_and_a_scaling_of_the_batch(rng):
    X, upstream = rng.normal(size=(9, 2)), rng.normal(size=(9, 2))
    _, cache = layers.batch_norm_forward(X, np.ones(2), np.zeros(2), eps=1e-12)
    grad_X = layers.batch_norm_backward(upstream, cache)[0]
    np.testing.assert_allclose(grad_X.sum(axis=0), 0.0, atol=1e-12)        # shift: direction of ones
    np.testing.assert_allclose(np.sum(grad_X * cache.centred, axis=0), 0.0, atol=1e-9)  # scaling


def test_batch_norm_doors_name_the_bad_argument_and_leave_inputs_alone(rng):
    X = rng.normal(size=(4, 3))
    kept = X.copy()
    Y, cache = layers.batch_norm_forward(X, np.ones(3), np.zeros(3))
    layers.batch_norm_backward(np.ones_like(Y), cache)
    np.testing.assert_array_equal(X, kept)
    with pytest.raises(ValueError, match=r"^gamma \(one scale per column of X\) should have shape \(3,\)"):
        layers.batch_norm_forward(X, np.ones(2), np.zeros(3))
    with pytest.raises(ValueError, match=r"^beta \(one shift per column of X\) should have shape \(3,\)"):
        layers.batch_norm_forward(X, np.ones(3), np.zeros(4))
    with pytest.raises(TypeError, match="^gamma must hold numbers"):
        layers.batch_norm_forward(X, ["a"] * 3, np.zeros(3))
    with pytest.raises(TypeError, match="^beta must hold numbers"):
        layers.batch_norm_forward(X, np.ones(3), ["a"] * 3)
    with pytest.raises(ValueError, match=r"^X must have 2 dimension\(s\)"):
        layers.batch_norm_forward(np.ones(3), np.ones(3), np.zeros(3))
    with pytest.raises(ValueError, match="^X has no rows: batch normalisation needs a batch of at least one"):
        layers.batch_norm_forward(np.ones((0, 3)), np.ones(3), np.zeros(3))
    with pytest.raises(ValueError, match="^eps must be"):
        layers.batch_norm_forward(X, np.ones(3), np.zeros(3), eps=0.0)
    with pytest.raises(ValueError, match=r"^grad_Y \(shaped like the layer's output\) should have shape \(4, 3\)"):
        layers.batch_norm_backward(np.ones((5, 3)), cache)
    with pytest.raises(ValueError, match=r"^grad_Y must have 2 dimension\(s\)"):
        layers.batch_norm_backward(np.ones(3), cache)
    assert layers.batch_norm_forward.kernel is layers._batch_norm_forward
    assert layers.batch_norm_backward.kernel is layers._batch_norm_backward
