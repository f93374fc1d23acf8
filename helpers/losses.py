r"""Losses, each returning ``(value, gradient)``: the scalar cost averaged over the batch
and its gradient with respect to the loss's input (predictions or logits), same shape.

Rows are samples: with ``n`` rows, every gradient carries the factor ``1/n`` of the
average. The classification losses take *logits* (pre-activations), not probabilities,
so they can use the stable log-sum-exp form and never take ``log(0)``.
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np

from helpers._validate import as_float_array, check_finite, check_same_shape, lookup
from helpers.activations import sigmoid
from helpers.layers import _log_softmax


def mean_squared_error(predictions, targets):
    r"""Quadratic cost :math:`C = \frac{1}{2n}\sum_i \lVert a_i - y_i \rVert^2` (Nielsen's ½ convention).

    ``predictions`` and ``targets``: equal shapes, (n,) or (n, k).
    Returns ``(C, dC/da)`` with :math:`\partial C/\partial a = (a - y)/n`.
    """
    return _mse(*_pair(predictions, targets, "predictions"))


def binary_cross_entropy_from_logits(logits, targets):
    r"""Cross-entropy of sigmoid outputs, computed from the logits :math:`z`.

    :math:`C = -\frac1n\sum_i [y_i \ln\sigma(z_i) + (1 - y_i)\ln(1 - \sigma(z_i))]
    = \frac1n\sum_i [\mathrm{softplus}(z_i) - y_i z_i]`, summed over columns if there are
    several outputs. ``targets`` in [0, 1], same shape as ``logits``: (n,) or (n, k).
    Returns ``(C, dC/dz)`` with :math:`\partial C/\partial z = (\sigma(z) - y)/n`: no
    :math:`\sigma'` factor, which is the whole point of pairing the two.
    """
    z, y = _pair(logits, targets, "logits")
    _check_unit_interval(y, "targets")
    return _binary_cross_entropy(z, y)


def categorical_cross_entropy_from_logits(logits, labels):
    r"""Log-likelihood cost of softmax outputs, from the logits.

    ``logits``: (n, k), finite. ``labels``: integer classes of shape (n,) in [0, k), or one-hot
    (or any probability rows: entries ≥ 0 summing to 1, for which the gradient below is
    the gradient of the value) of shape (n, k).
    :math:`C = -\frac1n \sum_i \sum_k y_{ik}\log\mathrm{softmax}(z_i)_k`, and
    :math:`\partial C/\partial z = (\mathrm{softmax}(z) - y)/n`.
    With class indices :math:`c_i`, :math:`y` is one-hot, so the sum keeps one term per row,
    :math:`-\log\mathrm{softmax}(z_i)_{c_i}`, and :math:`p - y` subtracts 1 at :math:`(i, c_i)`:
    computed that way, without building :math:`y`.
    """
    z = check_finite(as_float_array(logits, "logits", ndim=2), "logits")
    n = z.shape[0]
    if n == 0:
        raise ValueError("logits is empty: a batch needs at least one sample")
    if np.ndim(labels) == 1:
        y = class_indices(labels, z.shape[1])
        if y.shape[0] != n:
            raise ValueError(f"labels needs one class per row of logits: logits have shape {z.shape}, "
                             f"labels shape {y.shape}")
    else:
        y = as_float_array(labels, "labels", ndim=2)
        check_same_shape(z, y, "logits", "one-hot labels")
        _check_probability_rows(y, "labels")
    return _categorical_cross_entropy(z, y)


# --- the kernels behind them: unchecked, for loops that checked their data once --------------

def _mse(a, y):
    n = a.shape[0]
    diff = a - y
    return 0.5 * float(np.sum(diff * diff)) / n, diff / n


def _binary_cross_entropy(z, y):
    n = z.shape[0]
    with np.errstate(under="ignore"):  # log1p(e^{-|z|}) → 0 is exact for large |z|
        softplus = np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))
    value = float(np.sum(softplus - y * z)) / n
    return value, (sigmoid(z) - y) / n


binary_cross_entropy_from_logits.kernel = _binary_cross_entropy  # the delegation guard blocks the kernel with the door


@np.errstate(under="ignore")  # tiny probabilities rounding to 0 are fine (a decorator: cheaper than ``with``)
def _categorical_cross_entropy(z, y):
    """``y``: integer classes (n,) or probability rows (n, k)."""
    n, k = z.shape
    log_p = _log_softmax(z)
    grad = np.exp(log_p, order="C")  # C order: reshape(-1) below is a view, written through
    if y.ndim == 1:
        at = np.arange(0, n * k, k) + y.astype(np.intp, copy=False)  # flat index of (i, y_i)
        value = -float(np.add.reduce(log_p.reshape(-1)[at])) / n
        grad.reshape(-1)[at] -= 1.0
    else:
        value = -float(np.sum(y * log_p)) / n
        grad -= y
    grad /= n
    return value, grad


categorical_cross_entropy_from_logits.kernel = _categorical_cross_entropy  # blocked with the door, as above


def class_indices(labels, n_classes: int, name: str = "labels") -> np.ndarray:
    """Integer labels of shape (n,), checked to lie in [0, n_classes), as an int64 array;
    errors name the argument ``name``."""
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"{name} must be 1-D integer classes, got shape {labels.shape}")
    kind = labels.dtype.kind  # "i"/"u": integers, "f": floats, "b": booleans
    if kind not in ("i", "u", "f", "b"):
        raise TypeError(f"{name} must be integer class indices, got dtype {labels.dtype}")
    if kind not in ("i", "u"):
        if not np.all(np.isfinite(labels)) or not np.all(np.equal(np.mod(labels, 1), 0)):
            raise TypeError(f"{name} must be whole numbers (class indices), got dtype {labels.dtype}")
    labels = labels.astype(np.int64, copy=False)
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(
            f"{name} must lie in [0, {n_classes - 1}] for {n_classes} classes, "
            f"got values from {labels.min()} to {labels.max()}"
        )
    return labels


def to_one_hot(labels, n_classes: int) -> np.ndarray:
    """Integer labels of shape (n,) → float one-hot rows of shape (n, n_classes)."""
    labels = class_indices(labels, n_classes)
    one_hot = np.zeros((labels.shape[0], n_classes))
    one_hot[np.arange(labels.shape[0]), labels] = 1.0
    return one_hot


# --- costs of a sigmoid output layer, Nielsen-style (notebook 02's lesson) ---------------

class Cost(NamedTuple):
    r"""A cost of a sigmoid output layer: logits ``z``, outputs ``a = σ(z)``, targets ``y`` in [0, 1],
    all (n, k) or (n,). Unchecked kernels, for loops whose inputs were checked at entry.

    ``value(z, a, y)``: the cost averaged over samples (summed over outputs); cross-entropy reads
    the logits, so it stays finite where a saturated output rounds to exactly 0 or 1.
    ``delta(z, a, y)``: per-sample :math:`\partial C_x/\partial z` at the output layer (no :math:`1/n`).
    """

    name: str
    value: Callable
    delta: Callable


def _quadratic_value(z, a, y) -> float:
    diff = a - y
    return 0.5 * float(np.sum(diff * diff)) / a.shape[0]


def _cross_entropy_value(z, a, y) -> float:
    return _binary_cross_entropy(z, y)[0]  # softplus(z) - y z: -[y ln a + (1 - y) ln(1 - a)] without logs of 0


def _quadratic_delta(z, a, y):
    r"""The quadratic cost's output error :math:`(a - y)\,\sigma'(z)`: a saturated neuron
    (:math:`\sigma' \approx 0`) learns slowly even when it is badly wrong."""
    return (a - y) * (a * (1.0 - a))


def _cross_entropy_delta(z, a, y):
    r"""Cross-entropy's output error :math:`a - y`: :math:`\sigma'` cancels, so the error alone drives learning."""
    return a - y


# The output errors are named functions, not lambdas, so that the exercises' tests can name them
# (01's neuron_gradients, 02's deltas): a staged bundle then ships them as stubs until the deadline.
COSTS: dict[str, Cost] = {
    "mse": Cost("mse", _quadratic_value, _quadratic_delta),
    "cross_entropy": Cost("cross_entropy", _cross_entropy_value, _cross_entropy_delta),
}


def get_cost(name: str) -> Cost:
    """The ``Cost`` registered under ``name``, or a ``ValueError`` listing the names."""
    return lookup(COSTS, name, "cost")


LOSSES = {
    "mse": mean_squared_error,
    "binary_cross_entropy": binary_cross_entropy_from_logits,
    "categorical_cross_entropy": categorical_cross_entropy_from_logits,
}
# the same losses unchecked, ``(outputs, targets) -> (value, grad)``: for loops whose data
# were checked at entry (integer labels as int arrays), and where a diverging run must show its NaN
UNCHECKED_LOSSES = {
    "mse": _mse,
    "binary_cross_entropy": _binary_cross_entropy,
    "categorical_cross_entropy": _categorical_cross_entropy,
}


def _pair(inputs, targets, input_name: str):
    x = check_finite(as_float_array(inputs, input_name, ndim=(1, 2)), input_name)
    y = check_finite(as_float_array(targets, "targets", ndim=(1, 2)), "targets")
    check_same_shape(x, y, input_name, "targets")
    if x.shape[0] == 0:
        raise ValueError(f"{input_name} is empty: a batch needs at least one sample")
    return x, y


def _check_unit_interval(y: np.ndarray, name: str) -> None:
    if y.size and not np.all((y >= 0) & (y <= 1)):  # written so that NaN fails too
        raise ValueError(f"{name} must lie in [0, 1], got values from {y.min()} to {y.max()}")


def _check_probability_rows(y: np.ndarray, name: str) -> None:
    """Rows of ``y`` must be probability vectors: (σ(z) − y)/n is the gradient only then."""
    _check_unit_interval(y, name)
    sums = y.sum(axis=1)
    wrong = np.flatnonzero(np.abs(sums - 1.0) > 1e-6)
    if wrong.size:
        row = int(wrong[0])
        raise ValueError(
            f"{name} rows must be probability vectors (entries in [0, 1] summing to 1), "
            f"but row {row} sums to {sums[row]:.6g}: pass one-hot rows or integer classes"
        )
