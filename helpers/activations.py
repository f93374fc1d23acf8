r"""Activation functions, each beside its derivative, and one record per activation.

Every activation comes with two derivatives:

* ``*_derivative(z)``: :math:`f'(z)` from the pre-activation, the form the maths uses;
* ``*_derivative_from_output(a)``: the same number from :math:`a = f(z)`, the form
  backpropagation uses, because the forward pass already cached ``a`` (for the activations
  whose derivative the output alone determines).

All functions work elementwise on arrays of any shape (rows = samples); the row-wise softmax
of an output layer is in ``helpers.layers``.

The public functions check their input once and call an unchecked kernel (``_sigmoid``...);
the kernels are the inner maths of every forward pass and do not look for NaN or inf (NaN in
gives NaN out; ±inf gives the limit, e.g. σ(∞) = 1). ``ACTIVATIONS`` holds one ``Activation``
record per name, made of kernels: networks, menus, colours and tables all iterate over it, so
adding an activation is adding one record.
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np

from helpers._validate import as_float_array, check_positive, lookup


def _checks(kernel: Callable) -> Callable[[Callable], Callable]:
    """Mark a public function as the checked door to ``kernel`` (its ``.kernel``), so that
    ``helpers.checks.reference_unavailable`` can block the record's kernel too."""
    def mark(public: Callable) -> Callable:
        public.kernel = kernel
        return public
    return mark


# --- sigmoid -------------------------------------------------------------------------

# e^{-|z|} underflowing to 0 gives the exact limit. A decorator, not a ``with`` block: it costs
# half as much per call, and the training loop calls this kernel every step.
@np.errstate(under="ignore")
def _sigmoid(z):
    e = np.exp(-np.abs(z))
    # with e = e^{-|z|}: σ(z) = 1/(1 + e) for z ≥ 0, and e/(1 + e) for z < 0 (times e^z/e^z).
    # The numerator, 1 or e, is max(e, [z ≥ 0]) since e ≤ 1: cheaper than np.where.
    numerator = np.maximum(e, z >= 0)
    e += 1.0  # the denominator, in e's own buffer
    numerator /= e
    return numerator


def _sigmoid_derivative_from_output(a):
    derivative = 1.0 - a
    derivative *= a  # in place: one new array, not two
    return derivative


def _sigmoid_derivative(z):
    return _sigmoid_derivative_from_output(_sigmoid(z))


@_checks(_sigmoid)
def sigmoid(z):
    r"""Logistic sigmoid :math:`\sigma(z) = 1 / (1 + e^{-z})`, mapping ℝ onto (0, 1).

    Stable for any input: it only ever evaluates :math:`e^{-|z|} \le 1`, so nothing
    overflows, and for :math:`|z| \gtrsim 745` it returns the exact float limits 0 and 1.
    Shape in = shape out.
    """
    return _sigmoid(as_float_array(z, "z"))


@_checks(_sigmoid_derivative)
def sigmoid_derivative(z):
    r""":math:`\sigma'(z) = \sigma(z)(1 - \sigma(z))`, at most 1/4 (at z = 0)."""
    return _sigmoid_derivative(as_float_array(z, "z"))


@_checks(_sigmoid_derivative_from_output)
def sigmoid_derivative_from_output(a):
    r""":math:`\sigma'` written with the output :math:`a = \sigma(z)`: :math:`a(1 - a)`."""
    return _sigmoid_derivative_from_output(as_float_array(a, "a"))


# --- tanh ----------------------------------------------------------------------------

def _tanh_derivative_from_output(a):
    return 1.0 - a * a


def _tanh_derivative(z):
    return _tanh_derivative_from_output(np.tanh(z))


@_checks(np.tanh)
def tanh(z):
    r""":math:`\tanh z = 2\sigma(2z) - 1`, mapping ℝ onto (−1, 1)."""
    return np.tanh(as_float_array(z, "z"))


@_checks(_tanh_derivative)
def tanh_derivative(z):
    r""":math:`\tanh'(z) = 1 - \tanh^2 z`, in (0, 1], equal to 1 only at z = 0."""
    return _tanh_derivative(as_float_array(z, "z"))


@_checks(_tanh_derivative_from_output)
def tanh_derivative_from_output(a):
    r""":math:`\tanh'` from its output :math:`a`: :math:`1 - a^2`."""
    return _tanh_derivative_from_output(as_float_array(a, "a"))


# --- ReLU family -----------------------------------------------------------------------

def _relu(z):
    return np.maximum(z, 0.0)


def _relu_derivative(z):
    return (z > 0).astype(z.dtype)


@_checks(_relu)
def relu(z):
    r""":math:`\mathrm{relu}(z) = \max(0, z)`."""
    return _relu(as_float_array(z, "z"))


@_checks(_relu_derivative)
def relu_derivative(z):
    r"""1 for z > 0, else 0 (we take 0 at the kink z = 0, a valid subgradient)."""
    return _relu_derivative(as_float_array(z, "z"))


@_checks(_relu_derivative)
def relu_derivative_from_output(a):
    """From the output: 1 where a > 0, else 0 (a unit that outputs 0 passes no gradient)."""
    return _relu_derivative(as_float_array(a, "a"))


def _leaky_relu(z, alpha: float = 0.01):
    return np.where(z > 0, z, alpha * z)


def _leaky_relu_derivative(z, alpha: float = 0.01):
    return np.where(z > 0, 1.0, alpha).astype(z.dtype)


@_checks(_leaky_relu)
def leaky_relu(z, alpha: float = 0.01):
    r""":math:`\max(\alpha z, z)` for :math:`0 < \alpha < 1`: a small slope instead of a dead zone."""
    return _leaky_relu(as_float_array(z, "z"), _check_alpha(alpha))


@_checks(_leaky_relu_derivative)
def leaky_relu_derivative(z, alpha: float = 0.01):
    r"""1 for z > 0, :math:`\alpha` otherwise."""
    return _leaky_relu_derivative(as_float_array(z, "z"), _check_alpha(alpha))


@_checks(_leaky_relu_derivative)
def leaky_relu_derivative_from_output(a, alpha: float = 0.01):
    """From the output: the sign of ``a`` equals the sign of ``z`` because alpha > 0."""
    return _leaky_relu_derivative(as_float_array(a, "a"), _check_alpha(alpha))


def _check_alpha(alpha) -> float:
    alpha = check_positive(alpha, "alpha")
    if alpha >= 1:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha!r}")
    return alpha


# --- identity (a linear output layer) -------------------------------------------------

def _identity(z):
    return z


def _ones(z):
    return np.ones_like(z)


@_checks(_identity)
def identity(z):
    """The identity, used for an output layer whose loss takes logits."""
    return as_float_array(z, "z")


@_checks(_ones)
def identity_derivative(z):
    """Derivative of the identity: ones."""
    return np.ones_like(as_float_array(z, "z"))


identity_derivative_from_output = identity_derivative


# --- registry --------------------------------------------------------------------------

class Activation(NamedTuple):
    """Everything the course knows about one activation. Its functions are unchecked kernels, and
    the derivatives return a new array (``MLP.backward`` multiplies the upstream gradient into it)."""

    name: str
    function: Callable                        # f(z), elementwise
    derivative: Callable                      # f'(z)
    derivative_from_output: Callable | None   # f'(z) from a = f(z); None where f' is not a function of a
    output_range: tuple[float, float]         # bounds of f's range, ±inf where unbounded
    gain: float                               # c in Var(W) = c / fan_in that keeps the signal's scale
    colour: str                               # the matplotlib colour every figure draws it in


ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": Activation("sigmoid", _sigmoid, _sigmoid_derivative, _sigmoid_derivative_from_output,
                          (0.0, 1.0), 1.0, "C0"),
    "tanh": Activation("tanh", np.tanh, _tanh_derivative, _tanh_derivative_from_output,
                       (-1.0, 1.0), 1.0, "C1"),
    # f' > 0 exactly where f > 0, so the same kernel reads the sign from z or from a
    "relu": Activation("relu", _relu, _relu_derivative, _relu_derivative, (0.0, np.inf), 2.0, "C2"),
    "leaky_relu": Activation("leaky_relu", _leaky_relu, _leaky_relu_derivative, _leaky_relu_derivative,
                             (-np.inf, np.inf), 2.0, "C4"),
    "identity": Activation("identity", _identity, _ones, _ones, (-np.inf, np.inf), 1.0, "C7"),
}


def get_activation(name: str) -> Activation:
    """Return the ``Activation`` registered under ``name``, or say which names exist."""
    return lookup(ACTIVATIONS, name, "activation")


def hidden_activations() -> list[str]:
    """Every registered name except ``"identity"``, in registry order: what menus offer."""
    return [name for name in ACTIVATIONS if name != "identity"]
