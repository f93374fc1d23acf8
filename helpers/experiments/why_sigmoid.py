r"""Notebook 01's maths beyond the single neuron: why a network needs a nonlinearity at all (XOR),
and the usual wrong derivations of the neuron's gradient under the quadratic cost.

Two linear layers collapse into one: :math:`(XW_1 + b_1)W_2 + b_2 = X(W_1W_2) + (b_1W_2 + b_2)`.
One linear unit :math:`[x\cdot w + b > 0]` classifies at most three of XOR's four points
correctly; a network with one hidden sigmoid layer classifies all four. Its sigmoid is passed
in (a student's, in the notebook), and it learns from finite differences, not backpropagation.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from helpers._validate import as_float_array, check_count, check_positive, check_shape
from helpers.activations import get_activation
from helpers.gradcheck import numerical_gradient
from helpers.init import xavier_normal

XOR_INPUTS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_LABELS = np.array([0.0, 1.0, 1.0, 0.0])

_sigmoid = get_activation("sigmoid").function


def collapse_linear(W1, b1, W2, b2) -> tuple[np.ndarray, np.ndarray]:
    """The one linear layer ``(W, b)`` equal to two stacked ones: ``X @ W1 + b1``, then ``@ W2 + b2``."""
    W1, W2 = as_float_array(W1, "W1", ndim=2), as_float_array(W2, "W2", ndim=2)
    check_shape(W2, (W1.shape[1], None), "W2 (one row per column of W1)")
    b1 = as_float_array(b1, "b1", ndim=1)
    b2 = as_float_array(b2, "b2", ndim=1)
    check_shape(b1, (W1.shape[1],), "b1")
    check_shape(b2, (W2.shape[1],), "b2")
    return W1 @ W2, b1 @ W2 + b2


def best_linear_unit(X, y, n_directions: int = 8) -> tuple[np.ndarray, float, int]:
    r"""The linear unit :math:`[x\cdot w + b > 0]` that classifies most rows of ``X`` (n, 2) as ``y``.

    Searches ``n_directions`` unit vectors :math:`w` evenly spread around the circle (every 45° by
    default: enough for four points on a square) and, for each, every threshold between two
    projected points. Returns ``(w, b, number correct)``; the first best one found wins.
    """
    X = as_float_array(X, "X", ndim=2)
    check_shape(X, (None, 2), "X (two inputs per row)")
    y = as_float_array(y, "y", ndim=1)
    check_shape(y, (X.shape[0],), "y (one label per row of X)")
    n_directions = check_count(n_directions, "n_directions", minimum=1)
    best = (np.zeros(2), 0.0, -1)
    for angle in np.linspace(0.0, 2 * np.pi, n_directions, endpoint=False):
        w = np.array([np.cos(angle), np.sin(angle)])
        projected = np.unique(X @ w)
        # Thresholds halfway between neighbouring projections, and one beyond each end.
        for threshold in np.concatenate([[projected[0] - 1], (projected[:-1] + projected[1:]) / 2,
                                         [projected[-1] + 1]]):
            correct = int(np.sum((X @ w - threshold > 0) == (y > 0.5)))
            if correct > best[2]:
                best = (w, float(-threshold), correct)
    return best


def xor_network(sigmoid: Callable, hidden: int = 3, seed: int = 0, epochs: int = 1000,
                learning_rate: float = 2.0) -> dict:
    r"""A 2-``hidden``-1 network with ``sigmoid`` hidden units, trained on XOR: its parameters
    ``{"W1": (2, hidden), "b1": (hidden,), "W2": (hidden, 1), "b2": (1,)}``.

    Glorot-normal weights and zero biases, then ``epochs`` steps of full-batch gradient descent
    on the binary cross-entropy of the output logit :math:`z`,
    :math:`C = \frac14\sum_i [\ln(1 + e^{z_i}) - y_i z_i]`. The gradient is estimated by central
    finite differences (``helpers.gradcheck``): backpropagation, the exact gradient, is
    notebook 02's exercise. ``sigmoid``: any function of an array, e.g. a student's.
    """
    hidden = check_count(hidden, "hidden")
    epochs = check_count(epochs, "epochs", minimum=0)
    learning_rate = check_positive(learning_rate, "learning_rate")
    rng = np.random.default_rng(seed)
    params = {"W1": xavier_normal(2, hidden, rng), "b1": np.zeros(hidden),
              "W2": xavier_normal(hidden, 1, rng), "b2": np.zeros(1)}

    def cost():
        z = _xor_logits(params, XOR_INPUTS, sigmoid)
        return float(np.mean(np.logaddexp(0.0, z) - XOR_LABELS * z))

    for _ in range(epochs):
        gradients = {key: numerical_gradient(cost, value) for key, value in params.items()}
        for key, gradient in gradients.items():
            params[key] -= learning_rate * gradient  # in place: cost() reads these arrays
    return params


def _xor_logits(params: dict, X, sigmoid: Callable) -> np.ndarray:
    return (sigmoid(X @ params["W1"] + params["b1"]) @ params["W2"] + params["b2"])[:, 0]


def xor_probabilities(params: dict, X, sigmoid: Callable) -> np.ndarray:
    """The trained network's probability of label 1 for each row of ``X`` (n, 2): shape (n,)."""
    return sigmoid(_xor_logits(params, as_float_array(X, "X", ndim=2), sigmoid))


# --- the usual wrong derivations of exercise B ----------------------------------------------

LEFT_OUT_SIGMA_PRIME = ("you left out σ'(z): a depends on z through the sigmoid, so the chain "
                        "∂C/∂a · ∂a/∂z · ∂z/∂w needs its middle link")
SIGMA_INSTEAD_OF_DERIVATIVE = "you multiplied by σ(z) where the chain rule needs its derivative σ'(z)"
SIGMA_PRIME_OF_OUTPUT = "you evaluated σ' at the output a instead of at z: the link ∂a/∂z is σ'(z)"


def neuron_wrong_derivations(X, y, w, b) -> dict:
    """``{sentence: (dw, db)}``: what each usual wrong derivation of the quadratic cost's gradient
    gives on these inputs (for ``checks.check_gradient``'s ``known_mistakes``)."""
    X = as_float_array(X, "X", ndim=2)
    z = X @ as_float_array(w, "w", ndim=1) + float(b)
    a = _sigmoid(z)
    error = a - as_float_array(y, "y", ndim=1)
    derivative = get_activation("sigmoid").derivative
    deltas = {LEFT_OUT_SIGMA_PRIME: error, SIGMA_INSTEAD_OF_DERIVATIVE: error * a,
              SIGMA_PRIME_OF_OUTPUT: error * derivative(a)}
    return {text: (X.T @ delta / len(z), float(np.mean(delta))) for text, delta in deltas.items()}
