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
# a shared W; a bias row per model; two model axes.
CASES = {
    "one layer": ((5, 3), (3, 4), (4,)),
    "model axis": ((2, 5, 3), (2, 3, 4), (2, 4)),
    "shared X": ((5, 3), (2, 3, 4), (2, 4)),
    "shared W": ((2, 5, 3), (3, 4), (4,)),
    "bias rows": ((2, 5, 3), (2, 3, 4), (2, 1, 4)),
    "two model axes": ((2, 3, 5, 3), (2, 3, 3, 4), (2, 3, 4)),
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
