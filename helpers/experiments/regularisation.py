r"""Gradient descent on small softmax classifiers with L2, L1 and inverted dropout, several at once.

Notebook 04 compares regularisers, so the networks here differ *only* in their
regularisation: same data, same initial weights. Parameters are the usual dict
``{"W1", "b1", ...}``; give every array a leading **model axis** (``W``: (M, fan_in, fan_out),
``b``: (M, fan_out)) and M networks train side by side, one matrix product per layer for
all of them. Without that axis it is one ordinary network.

Hidden layers apply ``activation``; the last layer's outputs are logits for softmax
cross-entropy :math:`C_0`. Each epoch is one full-batch gradient-descent step, with
:math:`n` the training-set size (Nielsen's convention; biases are not penalised):

.. math::
    W \leftarrow \Big(1 - \frac{\eta\lambda_2}{n}\Big) W - \frac{\eta\lambda_1}{n}\,\mathrm{sgn}(W)
    - \eta\,\frac{\partial C_0}{\partial W},\qquad
    b \leftarrow b - \eta\,\frac{\partial C_0}{\partial b}.

Inverted dropout (drop probability :math:`p`) multiplies each hidden activation by a fresh
mask, :math:`1/(1-p)` with probability :math:`1-p` and 0 otherwise, in training only.
Plain gradient descent keeps no state besides the parameters, so ``fit`` for 20 epochs
twice is exactly ``fit`` for 40 (with the same ``rng``): early stopping can train in chunks.
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np

from helpers._validate import (
    as_float_array,
    check_finite,
    check_positive,
    check_probability,
    check_rng,
    check_shape,
)
from helpers.activations import get_activation
from helpers.init import he_normal
from helpers.layers import dense_backward, dense_forward, dense_parameter_gradients
from helpers.losses import categorical_cross_entropy_from_logits, class_indices
from helpers.network import parameter_names
from helpers.regularisation import is_weight
from helpers.threads import one_blas_thread


class Curves(NamedTuple):
    """Accuracies recorded during ``fit``: at ``epochs`` (R,), accuracies (R,) or (R, M)."""

    epochs: np.ndarray
    train_accuracy: np.ndarray
    val_accuracy: np.ndarray


def init_params(layer_sizes, rng, n_models: int | None = None) -> dict:
    r"""He-normal weights (:math:`\mathrm{Var}\,w = 2/n_{in}`, for ReLU) and zero biases.

    With ``n_models`` every array gets a leading model axis and all M networks start from
    the *same* weights, so that only their regularisation tells them apart.
    """
    rng = check_rng(rng)
    params = {}
    for layer, (fan_in, fan_out) in enumerate(zip(layer_sizes[:-1], layer_sizes[1:]), start=1):
        W_key, b_key = parameter_names(layer)
        params[W_key], params[b_key] = he_normal(fan_in, fan_out, rng), np.zeros(fan_out)
    if n_models is not None:
        params = {key: np.repeat(value[None], n_models, axis=0) for key, value in params.items()}
    return params


def select(params, model: int) -> dict:
    """Network number ``model`` of a stack of networks (a view of its arrays)."""
    return {key: value[model] for key, value in params.items()}


def _per_model(value) -> np.ndarray:
    """A setting (λ or p): a float, or one per model shaped to broadcast over (M, rows, units)."""
    value = np.asarray(value, dtype=float)
    return value[:, None, None] if value.ndim else value


def forward(params, X, activation: str = "relu", *, drop_probability=0.0, rng=None, dropout_forward=None):
    """Logits for X (n, features): (n, classes), or (M, n, classes) for M networks.

    Dropout acts on the hidden activations only when an ``rng`` is given (training) and
    ``drop_probability`` (a float, or one per model) is positive. ``dropout_forward``, with
    the signature of ``helpers.regularisation.dropout_forward``, may replace the built-in
    mask (one network only). Returns ``(logits, cache)`` for ``backward``.
    """
    f = get_activation(activation).function
    n_layers = len(params) // 2
    p = _per_model(drop_probability)
    dropping = rng is not None and bool(np.any(p > 0))
    A, layers, masks, hidden = X, [], [], []
    for layer in range(1, n_layers + 1):
        W_key, b_key = parameter_names(layer)
        Z, dense = dense_forward(A, params[W_key], params[b_key])  # one wide product for all M models
        layers.append(dense)
        if layer == n_layers:
            return Z, (layers, masks, hidden)
        A = f(Z)
        hidden.append(A)  # before dropout: what the activation's derivative needs
        mask = None
        if dropping and dropout_forward is not None:
            A, mask = dropout_forward(A, float(p), rng, True)
        elif dropping:
            mask = (rng.random(A.shape) >= p) / (1.0 - p)
            A = A * mask
        masks.append(mask)
    raise ValueError("params needs at least one layer (W1 and b1)")


def backward(params, cache, grad_logits, activation: str = "relu", *, dropout_backward=None) -> dict:
    """Gradients of the loss for every parameter from dC/d(logits); keys and shapes of ``params``."""
    derivative = get_activation(activation).derivative_from_output
    layers, masks, hidden = cache
    grads, grad = {}, grad_logits
    for layer in range(len(layers), 1, -1):
        W_key, b_key = parameter_names(layer)
        grad, grads[W_key], grads[b_key] = dense_backward(grad, layers[layer - 1])
        mask = masks[layer - 2]
        if mask is not None:  # the very mask the forward pass used
            grad = dropout_backward(grad, mask) if dropout_backward is not None else grad * mask
        grad = grad * derivative(hidden[layer - 2])
    W_key, b_key = parameter_names(1)
    grads[W_key], grads[b_key] = dense_parameter_gradients(grad, layers[0])  # the data need no gradient
    return {key: grads[key] for key in params}


def _softmax_cross_entropy(logits, labels):
    """Mean cross-entropy of softmax(logits) against integer ``labels`` (n,), and dC/d(logits), unchecked.

    ``logits`` (n, classes), or (M, n, classes) for M networks (then the value is (M,)): the course's
    kernel, one network at a time, since ``helpers.losses`` has no model axis.
    """
    kernel = categorical_cross_entropy_from_logits.kernel
    if logits.ndim == 2:
        return kernel(logits, labels)
    values, grads = zip(*(kernel(model_logits, labels) for model_logits in logits))
    return np.array(values), np.stack(grads)


def accuracy(params, X, labels, activation: str = "relu"):
    """Fraction of rows of X classified as ``labels``: a float, or (M,) for M networks."""
    X, labels = _data(_params(params), X, labels, "X", "labels")
    return _accuracy(params, X, labels, activation)


def _accuracy(params, X, labels, activation: str):
    logits, _ = forward(params, X, activation)
    return (logits.argmax(axis=-1) == labels).mean(axis=-1)


def fit(params, X, labels, X_val=None, labels_val=None, *, epochs: int, rng, lr: float = 0.5,
        activation: str = "relu", l2=0.0, l1=0.0, drop_probability=0.0, record_every: int = 20,
        penalty: Callable | None = None, dropout: tuple | None = None):
    """Full-batch gradient descent for ``epochs`` steps; returns ``(params, Curves)``.

    ``params`` is not changed. ``l2``, ``l1`` (λ) and ``drop_probability`` are floats or one
    value per model. Accuracies are recorded every ``record_every`` epochs (validation ones
    only if ``X_val`` is given). For one network, student code can take over:
    ``penalty(cost, grads, params, n) -> (cost, grads)`` replaces the built-in L1/L2 terms,
    and ``dropout = (dropout_forward, dropout_backward)`` the built-in mask.
    """
    rng = check_rng(rng)
    params = _params(params)
    X, labels = _data(params, X, labels, "X", "labels")
    if (X_val is None) != (labels_val is None):
        raise ValueError("pass both X_val and labels_val for validation, or neither")
    if X_val is not None:
        X_val, labels_val = _data(params, X_val, labels_val, "X_val", "labels_val")
    n, lr = X.shape[0], check_positive(lr, "lr")
    for name, value in (("l2", l2), ("l1", l1)):
        for lam in np.ravel(np.asarray(value, dtype=object)):
            check_positive(lam, f"{name} (λ)", allow_zero=True)
    l2, l1 = _per_model(l2), _per_model(l1)
    for p in np.ravel(np.asarray(drop_probability, dtype=object)):
        check_probability(p, "drop_probability")
    drop_forward, drop_backward = dropout if dropout is not None else (None, None)
    recorded, train_acc, val_acc = [], [], []
    with one_blas_thread():  # checked above; the loop runs unchecked kernels, so a run may diverge
        for epoch in range(1, epochs + 1):
            logits, cache = forward(params, X, activation, drop_probability=drop_probability,
                                    rng=rng, dropout_forward=drop_forward)
            cost, grad_logits = _softmax_cross_entropy(logits, labels)
            grads = backward(params, cache, grad_logits, activation, dropout_backward=drop_backward)
            if penalty is not None:
                cost, grads = penalty(cost, grads, params, n)
            for key, value in params.items():
                step = grads[key]
                if is_weight(key) and penalty is None:
                    step = step + (l2 / n) * value + (l1 / n) * np.sign(value)
                params[key] = value - lr * step
            if epoch % record_every == 0 or epoch == epochs:
                recorded.append(epoch)
                train_acc.append(_accuracy(params, X, labels, activation))
                if X_val is not None:
                    val_acc.append(_accuracy(params, X_val, labels_val, activation))
    return params, Curves(np.array(recorded), np.array(train_acc), np.array(val_acc))


def _params(params) -> dict:
    """A new dict of finite float arrays W1, b1, ..., WL, bL (with or without a model axis)."""
    if not isinstance(params, dict):
        raise TypeError(f"params must be a dict name -> array, got {type(params).__name__}")
    n_layers = len(params) // 2
    expected = {key for layer in range(1, n_layers + 1) for key in parameter_names(layer)}
    if n_layers == 0 or set(params) != expected:
        raise ValueError(f"params needs the keys W1, b1, ..., WL, bL of L layers, got {sorted(params)}")
    return {key: check_finite(as_float_array(value, f"params[{key!r}]"), f"params[{key!r}]")
            for key, value in params.items()}


def _data(params: dict, X, labels, name_X: str, name_labels: str):
    """X (n, the first layer's inputs), finite, and n integer class labels for the last layer."""
    X = check_finite(as_float_array(X, name_X, ndim=2), name_X)
    check_shape(X, (None, params[parameter_names(1)[0]].shape[-2]), f"{name_X} (samples × input features)")
    n_classes = params[parameter_names(len(params) // 2)[0]].shape[-1]
    labels = class_indices(labels, n_classes, name_labels)
    if labels.shape[0] != X.shape[0]:
        raise ValueError(f"{name_labels} needs one class per sample: got {labels.shape[0]} labels for "
                         f"{X.shape[0]} rows of {name_X}")
    return X, labels


def fit_grid(X, labels, X_val, labels_val, lams, drop_probabilities, *, layer_sizes, epochs: int,
             rng, **settings):
    """Train one network per pair (λ, p) of ``lams`` × ``drop_probabilities``, all at once.

    Returns ``(params, Curves)`` with model axis M = len(lams) · len(drop_probabilities),
    ordered λ-major: model ``i * len(drop_probabilities) + j`` has ``lams[i]`` and
    ``drop_probabilities[j]``. Every network starts from the same weights.
    """
    lams, drops = np.asarray(lams, dtype=float), np.asarray(drop_probabilities, dtype=float)
    params = init_params(layer_sizes, rng, n_models=lams.size * drops.size)
    return fit(params, X, labels, X_val, labels_val, epochs=epochs, rng=rng,
               l2=np.repeat(lams, drops.size), drop_probability=np.tile(drops, lams.size), **settings)
