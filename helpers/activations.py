r"""Activation functions, each beside its derivative.

Every activation comes with two derivatives:

* ``*_derivative(z)``: :math:`f'(z)` from the pre-activation, the form the maths uses;
* ``*_derivative_from_output(a)``: the same number from :math:`a = f(z)`, the form
  backpropagation uses, because the forward pass already cached ``a``
  (e.g. :math:`\sigma'(z) = a(1 - a)`).

All functions work elementwise on arrays of any shape (rows = samples), except
softmax and log-softmax, which act on each row of a 2-D array of logits.
``ACTIVATIONS`` maps a name to its three functions, so a widget can switch by name.

They are the inner maths of every forward pass, so they do not look for NaN or inf (NaN in
gives NaN out; ±inf gives the limit, e.g. σ(∞) = 1): the data are checked where they
enter, by ``MLP``, the losses, ``train``, ``fit`` and the optimisers.
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np

from helpers._validate import as_float_array, check_positive, check_same_shape, lookup


# --- sigmoid -------------------------------------------------------------------------

def sigmoid(z):
    r"""Logistic sigmoid :math:`\sigma(z) = 1 / (1 + e^{-z})`, mapping ℝ onto (0, 1).

    Stable for any input: it only ever evaluates :math:`e^{-|z|} \le 1`, so nothing
    overflows, and for :math:`|z| \gtrsim 745` it returns the exact float limits 0 and 1.
    Shape in = shape out.
    """
    z = as_float_array(z, "z")
    with np.errstate(under="ignore"):  # e^{-|z|} underflowing to 0 is the exact limit
        e = np.exp(-np.abs(z))
    # with e = e^{-|z|}: σ(z) = 1/(1 + e) for z ≥ 0, and e/(1 + e) for z < 0 (times e^z/e^z).
    # The numerator, 1 or e, is max(e, [z ≥ 0]) since e ≤ 1: cheaper than np.where.
    numerator = np.maximum(e, z >= 0)
    e += 1.0  # the denominator, in e's own buffer
    numerator /= e
    return numerator


def sigmoid_derivative(z):
    r""":math:`\sigma'(z) = \sigma(z)(1 - \sigma(z))`, at most 1/4 (at z = 0)."""
    return sigmoid_derivative_from_output(sigmoid(z))


def sigmoid_derivative_from_output(a):
    r""":math:`\sigma'` written with the output :math:`a = \sigma(z)`: :math:`a(1 - a)`."""
    a = as_float_array(a, "a")
    return a * (1.0 - a)


# --- tanh ----------------------------------------------------------------------------

def tanh(z):
    r""":math:`\tanh z = 2\sigma(2z) - 1`, mapping ℝ onto (−1, 1)."""
    return np.tanh(as_float_array(z, "z"))


def tanh_derivative(z):
    r""":math:`\tanh'(z) = 1 - \tanh^2 z`, in (0, 1], equal to 1 only at z = 0."""
    return tanh_derivative_from_output(tanh(z))


def tanh_derivative_from_output(a):
    r""":math:`\tanh'` from its output :math:`a`: :math:`1 - a^2`."""
    a = as_float_array(a, "a")
    return 1.0 - a * a


# --- ReLU family -----------------------------------------------------------------------

def relu(z):
    r""":math:`\mathrm{relu}(z) = \max(0, z)`."""
    z = as_float_array(z, "z")
    return np.maximum(z, 0.0)


def relu_derivative(z):
    r"""1 for z > 0, else 0 (we take 0 at the kink z = 0, a valid subgradient)."""
    z = as_float_array(z, "z")
    return (z > 0).astype(z.dtype)


def relu_derivative_from_output(a):
    """From the output: 1 where a > 0, else 0 (a unit that outputs 0 passes no gradient)."""
    a = as_float_array(a, "a")
    return (a > 0).astype(a.dtype)


def leaky_relu(z, alpha: float = 0.01):
    r""":math:`\max(\alpha z, z)` for :math:`0 < \alpha < 1`: a small slope instead of a dead zone."""
    z = as_float_array(z, "z")
    alpha = _check_alpha(alpha)
    return np.where(z > 0, z, alpha * z)


def leaky_relu_derivative(z, alpha: float = 0.01):
    r"""1 for z > 0, :math:`\alpha` otherwise."""
    z = as_float_array(z, "z")
    alpha = _check_alpha(alpha)
    return np.where(z > 0, 1.0, alpha).astype(z.dtype)


def leaky_relu_derivative_from_output(a, alpha: float = 0.01):
    """From the output: the sign of ``a`` equals the sign of ``z`` because alpha > 0."""
    return leaky_relu_derivative(a, alpha)


def _check_alpha(alpha) -> float:
    alpha = check_positive(alpha, "alpha")
    if alpha >= 1:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha!r}")
    return alpha


# --- identity (a linear output layer) -------------------------------------------------

def identity(z):
    """The identity, used for an output layer whose loss takes logits."""
    return as_float_array(z, "z")


def identity_derivative(z):
    """Derivative of the identity: ones."""
    return np.ones_like(as_float_array(z, "z"))


identity_derivative_from_output = identity_derivative


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
    shifted = z - z.max(axis=-1, keepdims=True)
    with np.errstate(under="ignore"):
        log_sum = np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    return shifted - log_sum


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


# --- registry --------------------------------------------------------------------------

class Activation(NamedTuple):
    """An activation's three functions, looked up by name in ``ACTIVATIONS``."""

    function: Callable
    derivative: Callable
    derivative_from_output: Callable


ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": Activation(sigmoid, sigmoid_derivative, sigmoid_derivative_from_output),
    "tanh": Activation(tanh, tanh_derivative, tanh_derivative_from_output),
    "relu": Activation(relu, relu_derivative, relu_derivative_from_output),
    "leaky_relu": Activation(leaky_relu, leaky_relu_derivative, leaky_relu_derivative_from_output),
    "identity": Activation(identity, identity_derivative, identity_derivative_from_output),
}


def get_activation(name: str) -> Activation:
    """Return the ``Activation`` registered under ``name``, or say which names exist."""
    return lookup(ACTIVATIONS, name, "activation")
