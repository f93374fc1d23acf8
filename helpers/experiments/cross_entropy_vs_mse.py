r"""Why the cost must match the output unit: the output error of each cost, and the two
experiments of notebook 02 (one saturated neuron; a small sigmoid network on digits).

For a sigmoid output :math:`a = \sigma(z)` and one sample's cost :math:`C_x`, quadratic
:math:`\tfrac12\lVert a - y\rVert^2` or cross-entropy :math:`-\sum_k [y_k\ln a_k + (1 - y_k)\ln(1 - a_k)]`,
the output error is :math:`\delta = \partial C_x/\partial z` (``output_delta``; deriving it is
the notebook's exercise B, so its formulas are not written here: a staged bundle ships this text).

A cost averaged over a batch of :math:`n` rows has :math:`\partial C/\partial z = \delta/n`.
The network here has one sigmoid hidden layer and sigmoid outputs, rows = samples:
:math:`A_1 = \sigma(XW_1 + b_1)`, :math:`Z_2 = A_1W_2 + b_2`, :math:`A_2 = \sigma(Z_2)`.
"""
from __future__ import annotations

import math
from typing import Callable, NamedTuple

import numpy as np

from helpers._validate import as_float_array, check_count, check_positive, check_real, check_same_shape, check_shape
from helpers.activations import get_activation
from helpers.gradcheck import numerical_gradient
from helpers.losses import Cost, get_cost
from helpers.network import MLP, parameter_names
from helpers.train import train

COSTS = ("mse", "cross_entropy")
_sigmoid = get_activation("sigmoid").function  # the unchecked kernel: inputs are checked at the door


def output_delta(z, y, cost: str) -> np.ndarray:
    r"""Per-sample output error :math:`\delta = \partial C_x/\partial z` of a sigmoid output layer.

    ``z`` (pre-activations) and ``y`` (targets in [0, 1]): equal shapes, e.g. (n, k).
    ``cost`` "mse": :math:`(a - y)\,\sigma'(z)`; "cross_entropy": :math:`a - y` (``helpers.losses.COSTS``).
    No :math:`1/n`.
    """
    rule = get_cost(cost)
    z = as_float_array(z, "z")
    y = as_float_array(y, "y")
    check_same_shape(z, y, "z", "y")
    return _output_delta(z, y, rule)


def _output_delta(z, y, rule: Cost) -> np.ndarray:
    return rule.delta(z, _sigmoid(z), y)


def mse_output_delta(Z, Y) -> np.ndarray:
    """``output_delta(Z, Y, "mse")``, called as the notebook's ``delta_mse(Z, Y)`` is."""
    return output_delta(Z, Y, "mse")


def cross_entropy_output_delta(Z, Y) -> np.ndarray:
    """``output_delta(Z, Y, "cross_entropy")``, called as the notebook's ``delta_cross_entropy(Z, Y)`` is."""
    return output_delta(Z, Y, "cross_entropy")


WRONG_DELTAS = {
    "mse": "you left out σ'(z): a depends on z through the sigmoid, so δ needs the link ∂a/∂z after ∂C_x/∂a",
    "cross_entropy": ("you kept a factor σ'(z): multiply ∂C_x/∂a by σ'(z) written in terms of a, "
                      "then simplify: it cancels"),
}


def wrong_output_deltas(z, y, cost: str) -> dict:
    """``{sentence: δ}``: the usual wrong derivation of ``cost``'s output error (``output_delta``),
    for ``checks.check_gradient``'s ``known_mistakes``: the other cost's treatment of σ'(z), that is,
    its output error. Finite differences of the other cost, so that no exercise's answer is needed."""
    other = COSTS[1 - COSTS.index(get_cost(cost).name)]
    z, y = as_float_array(z, "z"), as_float_array(y, "y")
    check_same_shape(z, y, "z", "y")
    probe = z.copy()  # nudged in place
    return {WRONG_DELTAS[cost]: numerical_gradient(lambda: probe.shape[0] * defined_cost(probe, y, other), probe)}


def defined_cost(z, y, cost: str) -> float:
    r"""The cost averaged over the rows of ``z`` (summed over columns), as the notebook defines it:
    quadratic :math:`\tfrac12(a - y)^2`, cross-entropy :math:`-[y\ln a + (1 - y)\ln(1 - a)]`, unchecked.

    Written with :math:`1 - a = \sigma(-z)`, it keeps its digits for :math:`|z|` up to about 700 and
    no further (the overflow-free form is exercise A): enough for finite differences and records.
    """
    a = _sigmoid(z)
    if cost == "mse":
        return 0.5 * float(np.sum((a - y) ** 2)) / z.shape[0]
    return -float(np.sum(y * np.log(a) + (1.0 - y) * np.log(_sigmoid(-z)))) / z.shape[0]


def bias_gradient(w: float, b: float, cost: str, x: float = 1.0, y: float = 0.0) -> float:
    r""":math:`\partial C/\partial b` of one sigmoid neuron :math:`a = \sigma(wx + b)` on the sample (x, y),
    by finite differences of ``cost`` (``defined_cost``): no output error is assumed."""
    get_cost(cost)
    w, b, x, y = (check_real(value, name) for value, name in ((w, "w"), (b, "b"), (x, "x"), (y, "y")))
    bias = np.array([b])
    return float(numerical_gradient(lambda: defined_cost(np.array([w * x + bias[0]]), np.array([y]), cost), bias)[0])

# --- one neuron, one input: Nielsen's slowdown experiment -----------------------------------

class NeuronRun(NamedTuple):
    """Gradient descent on one neuron: the cost and the output *before* each epoch, and the end point."""

    costs: np.ndarray    # (epochs,)
    outputs: np.ndarray  # (epochs,)
    w: float
    b: float


def neuron_run(w: float, b: float, learning_rate: float, epochs: int, cost: str,
               x: float = 1.0, y: float = 0.0, delta_function: Callable | None = None) -> NeuronRun:
    r"""Train one sigmoid neuron on the single sample (x, y), from (w, b), with ``cost``.

    Each epoch takes the step :math:`w \leftarrow w - \eta\,\delta x`, :math:`b \leftarrow b - \eta\,\delta`.
    ``delta_function(z, y)`` (arrays of shape (1, 1) in and out) replaces the course's
    :math:`\delta` for ``cost``, e.g. to run a student's formula. Without it the loop is
    plain Python on floats, about half a millisecond for 300 epochs: fast enough for a slider
    (``helpers.neuron.gradient_descent`` on arrays would take ten times as long).
    """
    rule = get_cost(cost)
    learning_rate = check_positive(learning_rate, "learning_rate")
    w, b, x, y = (check_real(value, name) for value, name in ((w, "w"), (b, "b"), (x, "x"), (y, "y")))
    epochs = check_count(epochs, "epochs", minimum=0)
    costs, outputs = np.empty(epochs), np.empty(epochs)
    for epoch in range(epochs):
        z = w * x + b
        a = _sigmoid_scalar(z)
        if rule.name == "mse":
            costs[epoch] = 0.5 * (a - y) ** 2
        else:  # softplus(z) - y z, the log-free form of -[y ln a + (1 - y) ln(1 - a)]
            costs[epoch] = max(z, 0.0) + math.log1p(math.exp(-abs(z))) - y * z
        outputs[epoch] = a
        if delta_function is None:
            delta = rule.delta(z, a, y)  # Cost.delta is elementwise arithmetic: floats work too
        else:
            delta = float(np.asarray(delta_function(np.array([[z]]), np.array([[y]]))).reshape(-1)[0])
        w, b = w - learning_rate * delta * x, b - learning_rate * delta
    return NeuronRun(costs, outputs, w, b)


def _sigmoid_scalar(z: float) -> float:
    e = math.exp(-abs(z))
    return 1.0 / (1.0 + e) if z >= 0 else e / (1.0 + e)


# --- a network with one sigmoid hidden layer and sigmoid outputs -------------------------
# The core's MLP with an identity output layer gives the logits Z2; A2 = σ(Z2) and the cost's
# δ are applied here, so that the backward pass starts from δ/n, the cost's own dC/dZ2.

def _network(params: dict, X):
    """The ``MLP`` of ``params`` (checked: W1 (d, h), b1 (h,), W2 (h, k), b2 (k,)) and X (n, d)."""
    if not isinstance(params, dict):
        raise TypeError(f"params must be a dict name -> array, got {type(params).__name__}")
    net = MLP({key: np.asarray(value, dtype=float) for key, value in params.items()}, ["sigmoid", "identity"])
    X = as_float_array(X, "X", ndim=2)
    check_shape(X, (None, net.layer_sizes[0]), "X (samples × the inputs of params['W1'])")
    return net, X


def two_layer_cost(X, Y, params: dict, cost: str) -> float:
    """Batch-averaged cost of the network, quadratic (½ convention) or cross-entropy (``defined_cost``)."""
    get_cost(cost)
    net, X = _network(params, X)
    return defined_cost(net.predict(X), as_float_array(Y, "Y", ndim=2), cost)


def two_layer_gradients(X, Y, params: dict, cost: str) -> dict:
    r"""Gradients of ``two_layer_cost``: a dict with the keys and shapes of ``params``.

    ``X`` (n, d), ``Y`` (n, k), params ``W1`` (d, h), ``b1`` (h,), ``W2`` (h, k), ``b2`` (k,).
    :math:`\Delta_2 = \delta/n`, :math:`\Delta_1 = (\Delta_2 W_2^\top)\odot A_1(1 - A_1)`,
    :math:`\partial C/\partial W_l = A_{l-1}^\top\Delta_l`, :math:`\partial C/\partial b_l = \sum_i \Delta_{l,i}`.
    """
    rule = get_cost(cost)
    net, X = _network(params, X)

    def on_logits(Z2, Y):  # the cost as a loss of the logits: (value, dC/dZ2 = δ/n)
        A2 = _sigmoid(Z2)
        return rule.value(Z2, A2, Y), rule.delta(Z2, A2, Y) / Z2.shape[0]

    return net.loss_and_gradients(X, as_float_array(Y, "Y", ndim=2), on_logits, checked=False)[1]


def two_layer_mistakes(X, Y, params: dict, cost: str) -> dict:
    """Gradients that two common slips produce, keyed by a sentence naming the slip.

    For ``checks.check_gradient``'s ``known_mistakes`` (per key: ``{text: grads[key]}``).
    Wrong signs, factors such as the batch size, and transposes are recognised without help.
    The output error and the other cost's gradients are finite differences: they are exercises.
    """
    get_cost(cost)
    net, X = _network(params, X)
    Y = as_float_array(Y, "Y", ndim=2)
    Z2 = net.predict(X)
    delta2 = numerical_gradient(lambda: defined_cost(Z2, Y, cost), Z2)  # ∂C/∂Z2 = δ/n
    (W1, b1), (W2, _) = parameter_names(1), parameter_names(2)
    hidden_error = delta2 @ net.params[W2].T  # without the hidden layer's sigma'(Z1)
    other = COSTS[1 - COSTS.index(cost)]
    probe = {key: value.copy() for key, value in net.params.items()}  # nudged in place

    def other_cost():
        return two_layer_cost(X, Y, probe, other)

    return {
        "the hidden layer's error lacks sigma'(Z1), the hidden sigmoid's derivative": {
            W1: X.T @ hidden_error, b1: hidden_error.sum(axis=0)},
        f"these are the gradients of the {other} cost: check which output error you use for {cost!r}":
            {key: numerical_gradient(other_cost, value) for key, value in probe.items()},
    }


class TrainingRecord(NamedTuple):
    """Per-epoch records; index k = after k epochs, so index 0 is the untrained network."""

    train_cost: list
    test_accuracy: list


class _GivenGradients(MLP):
    """The network, its training steps taking their gradients from ``gradient_function(X, Y,
    params, cost)`` (a student's): the one method of an ``MLP`` that ``train`` calls to learn."""

    def __init__(self, net: MLP, gradient_function: Callable, cost: str):
        super().__init__(net.params, net.activations)
        self._gradient_function, self._cost = gradient_function, cost

    def loss_and_gradients(self, X, Y, loss, *, checked=True):
        return None, self._gradient_function(X, Y, self.params, self._cost)  # train uses only the gradients


def train_two_layer(params: dict, X, Y, cost: str, *, learning_rate: float, epochs: int,
                    batch_size: int, rng: np.random.Generator, X_test, y_test,
                    gradient_function: Callable | None = None):
    """Mini-batch gradient descent from ``params`` (not modified); returns ``(params, TrainingRecord)``.

    ``Y`` (n, k) one-hot targets, ``y_test`` integer classes. ``gradient_function(X, Y, params,
    cost)`` returns the gradient dict (default: the course's ``two_layer_gradients``). The steps
    are the core's ``train`` with plain SGD. The recorded costs are ``defined_cost``'s.
    """
    get_cost(cost)
    learning_rate = check_positive(learning_rate, "learning_rate")
    net, X = _network(params, X)
    Y = as_float_array(Y, "Y", ndim=2)
    check_shape(Y, (X.shape[0], net.layer_sizes[-1]), "Y (one row of targets per row of X)")
    X_test, y_test = as_float_array(X_test, "X_test", ndim=2), np.asarray(y_test)
    net = _GivenGradients(net, gradient_function or two_layer_gradients, cost)

    def loss(Z2, Y):  # train records the value; the gradients come from gradient_function
        return defined_cost(Z2, Y, cost), None

    def test_accuracy(net):  # σ is increasing: the largest output unit is the largest logit
        return float(np.mean(net.predict(X_test).argmax(axis=1) == y_test))

    first_cost, first_accuracy = float(loss(net.predict(X), Y)[0]), test_accuracy(net)  # untrained
    history = train(net, X, Y, rng=rng, loss=loss, lr=learning_rate, epochs=epochs, batch_size=batch_size,
                    progress=False, recorders={"test_accuracy": test_accuracy})
    return net.params, TrainingRecord([first_cost, *history.train_loss],
                                      [first_accuracy, *history.recorded["test_accuracy"]])
