r"""A single sigmoid neuron, the smallest network: :math:`a = \sigma(Xw + b)`.

``X``: (n, d) inputs (rows = samples), ``w``: (d,), ``b``: a number, ``y``: (n,) targets in [0, 1].
Two costs, both averaged over the batch: quadratic, :math:`C = \frac{1}{2n}\sum_i (a_i - y_i)^2`, and
cross-entropy, :math:`C = -\frac1n\sum_i [y_i\ln a_i + (1-y_i)\ln(1-a_i)]`. Their gradients differ
only in the output error :math:`\delta = \partial C_x/\partial z` (``helpers.losses.COSTS``), which
notebooks 01 and 02 ask students to derive: a staged bundle ships this text, so it does not say more.
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np

from helpers._validate import as_float_array, check_count, check_positive, check_shape
from helpers.activations import get_activation
from helpers.losses import Cost, get_cost

_sigmoid = get_activation("sigmoid").function  # the unchecked kernel: inputs are checked at the door


def forward(X, w, b):
    """Output :math:`a = \\sigma(Xw + b)` of shape (n,), for X (n, d), w (d,), b a number."""
    X, w, b = _check_inputs(X, w, b)
    return _sigmoid(X @ w + b)


def gradients(X, y, w, b, cost: str = "mse"):
    """Return ``(C, dC/dw, dC/db)`` for ``cost`` "mse" or "cross_entropy"; shapes (), (d,), ()."""
    X, w, b = _check_inputs(X, w, b)
    y = as_float_array(y, "y", ndim=1)
    check_shape(y, (X.shape[0],), "y (one target per row of X)")
    return _gradients(X, y, w, b, get_cost(cost))


def _gradients(X, y, w, b: float, cost: Cost):
    z = X @ w + b
    a = _sigmoid(z)
    delta = cost.delta(z, a, y)  # the one line where the two costs differ
    n = X.shape[0]
    return cost.value(z, a, y), X.T @ delta / n, float(np.sum(delta)) / n


class Trajectory(NamedTuple):
    """Where gradient descent went: parameters after the last step and the cost before each step."""

    w: np.ndarray
    b: float
    costs: np.ndarray


def gradient_descent(X, y, w, b, learning_rate: float, n_steps: int, cost: str = "mse",
                     gradient_function: Callable | None = None) -> Trajectory:
    """Plain gradient descent :math:`w \\leftarrow w - \\eta\\,\\partial C/\\partial w` (same for b).

    ``gradient_function(X, y, w, b)`` defaults to ``gradients`` with ``cost``; pass your own
    to train with it. ``costs[k]`` is the cost before step k, so it has ``n_steps`` entries.
    """
    learning_rate = check_positive(learning_rate, "learning_rate")
    n_steps = check_count(n_steps, "n_steps", minimum=0)
    w = as_float_array(w, "w", ndim=1).copy()
    b = _check_bias(b)
    if gradient_function is None:  # checked once here, then the unchecked kernel in the loop
        X, w, b = _check_inputs(X, w, b)
        y = as_float_array(y, "y", ndim=1)
        check_shape(y, (X.shape[0],), "y (one target per row of X)")
        rule = get_cost(cost)

        def gradient_function(X, y, w, b):
            return _gradients(X, y, w, b, rule)
    # Its own loop, not helpers.train's: it is the reference answer to notebook 01's exercise (the
    # loop a student writes), recording the cost before each full-batch step; train shuffles rows
    # (another rounding), records after each epoch, and trains an MLP, not (w, b).
    costs = []
    for _ in range(n_steps):
        value, dw, db = gradient_function(X, y, w, b)
        costs.append(value)
        w, b = w - learning_rate * np.asarray(dw), b - learning_rate * float(db)
    return Trajectory(w, b, np.array(costs))


def _check_inputs(X, w, b):
    X = as_float_array(X, "X", ndim=2)
    w = as_float_array(w, "w", ndim=1)
    check_shape(w, (X.shape[1],), "w (one weight per column of X)")
    return X, w, _check_bias(b)


def _check_bias(b) -> float:
    if np.ndim(b) != 0:
        raise ValueError(f"b must be a single number, got shape {np.shape(b)}")
    return float(b)
