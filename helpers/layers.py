r"""The dense layer, forward and backward side by side, with an explicit cache contract.

Rows are samples: :math:`Z = X W + b`. Backward, from the upstream gradient
:math:`G = \partial C/\partial Z`, it returns the gradients with respect to W, b and X
(notebook 02 derives them).

Both functions also run many models at once along leading axes (``np.matmul`` broadcasting):
X (..., n, fan_in) or one shared (n, fan_in); W (..., fan_in, fan_out); b (..., fan_out) or
(..., 1, fan_out). Each gradient comes back shaped like what it differentiates (summed over any
axis its array was broadcast along); ``grad_b`` has shape W.shape[:-2] + (fan_out,).

The dense functions are the inner maths of every network, so they check nothing: callers
validate once where the data come in (``helpers.network.dense_forward``/``dense_backward`` are
the checked doors). The softmax output layer and batch normalisation below are called by
students and test cells directly, so their public functions check their inputs and call
unchecked kernels.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from helpers._validate import as_float_array, check_positive, check_same_shape, check_shape


class DenseCache(NamedTuple):
    """What the backward pass needs: the layer's input and its weights."""

    inputs: np.ndarray   # X: (n, fan_in), or (..., n, fan_in)
    weights: np.ndarray  # W: (fan_in, fan_out), or (..., fan_in, fan_out)


def dense_forward(X, W, b):
    """Affine map ``Z = X @ W + b``; returns ``(Z, DenseCache(X, W))``, Z of shape (..., n, fan_out)."""
    return affine(X, W, b), DenseCache(X, W)


def affine(X, W, b):
    """``Z = X @ W + b`` alone, shapes as in ``dense_forward``: for a forward pass that keeps its own cache."""
    if W.ndim > 2:
        if b.ndim == W.ndim - 1:
            b = b[..., None, :]  # one bias row per model, broadcast over the samples
        if X.ndim == 2:
            return _shared_input_affine(X, W, b)
    Z = X @ W
    Z += b  # in place: b's axes are W's, so Z already has the broadcast shape
    return Z


def _shared_input_affine(X, W, b):
    """One input X (n, fan_in) meets every model's W in one wide product (a broadcast matmul
    would loop over the models)."""
    fan_in, fan_out = W.shape[-2:]
    wide = X @ np.moveaxis(W, -2, 0).reshape(fan_in, -1)
    return np.moveaxis(wide.reshape((X.shape[0],) + W.shape[:-2] + (fan_out,)), 0, -2) + b


def dense_backward(grad_Z, cache: DenseCache):
    """Gradients of the affine map from ``grad_Z`` (..., n, fan_out): ``(grad_X, grad_W, grad_b)``."""
    grad_W, grad_b = dense_parameter_gradients(grad_Z, cache)
    grad_X = grad_Z @ cache.weights.swapaxes(-1, -2)
    if grad_Z.ndim > 2:  # several models: X may have been shared by them all
        grad_X = _sum_to(grad_X, cache.inputs.shape)
    return grad_X, grad_W, grad_b


def dense_parameter_gradients(grad_Z, cache: DenseCache):
    """``(grad_W, grad_b)`` alone: the first layer of a network needs no gradient for its data."""
    X, W = cache
    grad_W = X.swapaxes(-1, -2) @ grad_Z
    grad_b = np.add.reduce(grad_Z, axis=-2)  # = grad_Z.sum(axis=-2), without the method's wrapper
    if grad_Z.ndim > 2:  # several models: W or b may have been shared by them all
        grad_W, grad_b = _sum_to(grad_W, W.shape), _sum_to(grad_b, W.shape[:-2] + W.shape[-1:])
    return grad_W, grad_b


def _sum_to(gradient: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum ``gradient`` over the axes along which an array of ``shape`` was broadcast."""
    if gradient.shape == shape:
        return gradient
    gradient = gradient.sum(axis=tuple(range(gradient.ndim - len(shape))))
    kept = tuple(i for i, size in enumerate(shape) if size == 1 and gradient.shape[i] != 1)
    return gradient.sum(axis=kept, keepdims=True) if kept else gradient


# --- softmax (row-wise) ----------------------------------------------------------------

def softmax(logits):
    r"""Row-wise softmax :math:`p_{ik} = e^{z_{ik}} / \sum_j e^{z_{ij}}`.

    ``logits``: shape (n_samples, n_classes) or (n_classes,). Each row is shifted by
    its maximum first; that changes nothing mathematically but keeps every exponent
    ≤ 0, so nothing overflows. Rows of the result are positive and sum to 1.
    """
    z = _as_logits(logits)
    shifted = z - z.max(axis=-1, keepdims=True)
    with np.errstate(under="ignore"):  # tiny probabilities rounding to 0 are fine
        e = np.exp(shifted)
    return e / e.sum(axis=-1, keepdims=True)


def log_softmax(logits):
    r"""Row-wise :math:`\log \mathrm{softmax}(z) = z - \log\sum_j e^{z_j}` (log-sum-exp, shifted).

    Finite for any finite logits, where ``np.log(softmax(z))`` would give ``-inf``.
    """
    z = _as_logits(logits)
    with np.errstate(under="ignore"):  # tiny probabilities rounding to 0 are fine
        return _log_softmax(z)


def _log_softmax(z):
    """``log_softmax``'s unchecked kernel (the losses' inner maths) for logits (k,) or (n, k): a
    new array. Its callers silence underflow, so that a loss needs one ``np.errstate`` for all
    its exponentials."""
    # each row's maximum, reduced over a transposed copy: along a short last axis (10 classes)
    # NumPy's reduction is slower than the copy and a reduction along the first axis
    shifted = z - np.maximum.reduce(z.T.copy(), axis=0)[..., None]
    shifted -= np.log(np.add.reduce(np.exp(shifted), axis=-1, keepdims=True))
    return shifted


log_softmax.kernel = _log_softmax  # the delegation guard blocks the kernel with the door


def softmax_backward(probs, grad_probs):
    r"""Vector–Jacobian product of softmax: :math:`\partial C/\partial z` from :math:`\partial C/\partial p`.

    The Jacobian is :math:`\partial p_k/\partial z_j = p_k(\delta_{kj} - p_j)`, so
    :math:`\partial C/\partial z_j = p_j (g_j - \sum_k g_k p_k)`. Shapes: both inputs and
    the result are (n_samples, n_classes).
    """
    p = _as_logits(probs, "probs")
    g = _as_logits(grad_probs, "grad_probs")
    check_same_shape(p, g, "probs", "grad_probs")
    return p * (g - np.sum(g * p, axis=-1, keepdims=True))


def log_softmax_backward(log_probs, grad_log_probs):
    r"""Vector–Jacobian product of log-softmax: :math:`g - p \sum_k g_k` with :math:`p = e^{\log p}`."""
    log_p = _as_logits(log_probs, "log_probs")
    g = _as_logits(grad_log_probs, "grad_log_probs")
    check_same_shape(log_p, g, "log_probs", "grad_log_probs")
    with np.errstate(under="ignore"):  # tiny probabilities rounding to 0 are fine
        p = np.exp(log_p)
    return g - p * np.sum(g, axis=-1, keepdims=True)


def _as_logits(x, name: str = "logits") -> np.ndarray:
    z = as_float_array(x, name, ndim=(1, 2))
    if z.shape[-1] == 0:
        raise ValueError(f"{name} needs at least one class (column), got shape {z.shape}")
    return z


# --- batch normalisation (each unit over the batch) -------------------------------------

BATCH_NORM_EPS = 1e-5  # keeps 1/√(σ² + ε) finite for a unit that is constant over the batch


class BatchNormCache(NamedTuple):
    """What the batch-norm backward pass needs."""

    centred: np.ndarray      # x − μ: (n, d)
    inverse_std: np.ndarray  # 1/√(σ² + ε): (d,)
    gamma: np.ndarray        # γ: (d,)


def batch_norm_forward(X, gamma, beta, eps: float = BATCH_NORM_EPS):
    r"""Training-mode batch normalisation of X (n, d), column by column over the batch's n rows:

    .. math::
        \mu = \tfrac1n \textstyle\sum_i x_i,\quad \sigma^2 = \tfrac1n \sum_i (x_i - \mu)^2,\quad
        \hat x_i = \frac{x_i - \mu}{\sqrt{\sigma^2 + \epsilon}},\quad y_i = \gamma \hat x_i + \beta.

    ``gamma``, ``beta``: (d,). Returns ``(Y, BatchNormCache)``, Y of shape (n, d).
    """
    X = as_float_array(X, "X", ndim=2)
    if X.shape[0] == 0:
        raise ValueError("X has no rows: batch normalisation needs a batch of at least one sample")
    gamma, beta = as_float_array(gamma, "gamma"), as_float_array(beta, "beta")
    check_shape(gamma, (X.shape[1],), "gamma (one scale per column of X)")
    check_shape(beta, (X.shape[1],), "beta (one shift per column of X)")
    return _batch_norm_forward(X, gamma, beta, check_positive(eps, "eps"))


def _batch_norm_forward(X, gamma, beta, eps=BATCH_NORM_EPS):
    centred = X - X.mean(axis=0)
    inverse_std = 1.0 / np.sqrt(np.mean(centred * centred, axis=0) + eps)
    return gamma * (centred * inverse_std) + beta, BatchNormCache(centred, inverse_std, gamma)


def batch_norm_backward(grad_Y, cache: BatchNormCache):
    r"""Gradients of the batch-norm forward pass from ``grad_Y`` (n, d): ``(grad_X, grad_gamma, grad_beta)``.

    With :math:`g = \partial C/\partial y` and the mean and variance depending on every row,

    .. math::
        \frac{\partial C}{\partial x} = \frac{\gamma}{\sqrt{\sigma^2+\epsilon}}
        \Big(g - \overline{g} - \hat x\,\overline{g \hat x}\Big),\quad
        \frac{\partial C}{\partial \gamma} = \textstyle\sum_i g_i \hat x_i,\quad
        \frac{\partial C}{\partial \beta} = \sum_i g_i,

    where a bar is the mean over the batch.
    """
    grad_Y = as_float_array(grad_Y, "grad_Y", ndim=2)
    check_shape(grad_Y, cache.centred.shape, "grad_Y (shaped like the layer's output)")
    return _batch_norm_backward(grad_Y, cache)


def _batch_norm_backward(grad_Y, cache: BatchNormCache):
    centred, inverse_std, gamma = cache
    normalised = centred * inverse_std
    n = grad_Y.shape[0]
    grad_gamma = np.sum(grad_Y * normalised, axis=0)
    grad_beta = grad_Y.sum(axis=0)
    grad_X = (gamma * inverse_std) * (grad_Y - grad_beta / n - normalised * (grad_gamma / n))
    return grad_X, grad_gamma, grad_beta


# the delegation guard blocks the kernels with the doors
batch_norm_forward.kernel = _batch_norm_forward
batch_norm_backward.kernel = _batch_norm_backward
