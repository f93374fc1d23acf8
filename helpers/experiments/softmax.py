r"""Notebook 03's own pieces: a gradient check of the student's kind, the digits network that the
student trains with a loop of their own, and the wrong results that a test cell names.

The network is 64 pixels → a tanh hidden layer → 10 logits → softmax, with parameters
``{"W1", "b1", "W2", "b2"}`` as in ``helpers.network.MLP``; the loop is plain mini-batch SGD on
the average log-likelihood cost.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from helpers import layers
from helpers._validate import as_float_array
from helpers.activations import get_activation
from helpers.gradcheck import numerical_gradient, relative_error
from helpers.losses import categorical_cross_entropy_from_logits
from helpers.network import MLP, DenseCache, dense_backward
from helpers.notebook import is_absent
from helpers.train import train

ACTIVATIONS = ("tanh", "identity")


def gradient_check(f: Callable, x, analytic, h: float = 1e-5, k: int | None = None, rng=None) -> float:
    """Relative error between ``analytic`` (shape of ``x``) and centred differences of the
    scalar ``f(x)`` with step ``h``, over every coordinate or over ``k`` random ones (``rng``)."""
    x = as_float_array(x, "x").copy()
    numeric = numerical_gradient(lambda: f(x), x, eps=h, n_samples=k, rng=rng)
    return relative_error(analytic, numeric)


# --- the course's answers to exercises B, D and E, for test cells and unfinished exercises -------

def cost(Z, labels) -> float:
    """Average log-likelihood cost of integer labels (n,) under softmax(Z), Z (n, k)."""
    return categorical_cross_entropy_from_logits(Z, labels)[0]


def logit_gradient(Z, labels) -> np.ndarray:
    """Gradient of ``cost`` with respect to the logits Z (n, k)."""
    return categorical_cross_entropy_from_logits(Z, labels)[1]


def layer_backward(H, W, b, labels):
    """``(dH, dW, db)`` of ``cost(H @ W + b, labels)``."""
    return dense_backward(logit_gradient(H @ W + b, labels), DenseCache(H, W))


# --- the digits network and its loop -----------------------------------------------------------

def initial_parameters(rng, n_inputs: int = 64, n_hidden: int = 32, n_classes: int = 10) -> dict:
    """Xavier-initialised ``{"W1", "b1", "W2", "b2"}`` of the 64-32-10 tanh network."""
    return MLP.create([n_inputs, n_hidden, n_classes], list(ACTIVATIONS), rng).params


def logits(params: dict, X) -> np.ndarray:
    """The network's logits (n, 10) for the images X (n, 64)."""
    return MLP(params, list(ACTIVATIONS)).predict(X)


def tanh_layer_backward(X, W, H, grad_H):
    """Gradients ``(grad_W, grad_b)`` of the hidden layer ``H = tanh(X @ W + b)``, X (n, d),
    W (d, h), from ``grad_H`` = ∂C/∂H (n, h), with tanh′ read from the layer's output H."""
    grad_Z = grad_H * get_activation("tanh").derivative_from_output(H)
    return layers.dense_parameter_gradients(grad_Z, layers.DenseCache(X, W))


def train_digits(params, X_train, y_train, X_test, y_test, rng, lr=0.05, epochs=20, batch_size=16):
    """The course's answer to the loop exercise, on ``helpers.train``: returns ``(trained params,
    training cost after each epoch, test accuracy)``."""
    net = MLP({key: np.array(value, dtype=float) for key, value in params.items()}, list(ACTIVATIONS))
    history = train(net, X_train, y_train, rng=rng, lr=lr, epochs=epochs, batch_size=batch_size,
                    X_val=X_test, y_val=y_test, progress=False)
    return net.params, history.train_loss, history.val_accuracy[-1]


def network_gradients(net: MLP, X, labels, cost: Callable, logit_gradient: Callable) -> dict:
    """``net``'s gradients of the log-likelihood cost on a batch X (n, 64) with integer ``labels`` (n,).

    The course's cost drives the backward pass; before notebook 03's deadline the student's copy of
    helpers lacks it, and the student's ``cost`` and ``logit_gradient`` (exercises B and D) drive it.
    """
    if is_absent(categorical_cross_entropy_from_logits):
        return net.loss_and_gradients(X, labels, lambda Z, y: (cost(Z, y), logit_gradient(Z, y)))[1]
    return net.loss_and_gradients(X, labels, categorical_cross_entropy_from_logits)[1]


def accuracy(params: dict, X, labels) -> float:
    return float(np.mean(logits(params, X).argmax(axis=1) == labels))


def training_problem(returned, initial: dict, data, calls: dict, rng_moved: bool, epochs: int,
                     batch_size: int, required: float = 0.95) -> str | None:
    """What is wrong with a ``train_digits`` result, as a sentence, or ``None``.

    ``data`` is ``(X_train, y_train, X_test, y_test)``; ``calls`` counts the calls of the
    student's functions by name; ``rng_moved`` says whether the loop drew from its ``rng``.
    """
    X_train, y_train, X_test, y_test = data
    if not isinstance(returned, tuple) or len(returned) != 3:
        return "train_digits must return the tuple (params, costs, test_accuracy)."
    params, costs, reported = returned
    if not isinstance(params, dict) or set(params) != set(initial):
        return f"train_digits must return the parameters as a dict with the keys {sorted(initial)}."
    steps = epochs * (len(y_train) // batch_size)
    for name, least in (("softmax_layer_backward", steps), ("cross_entropy", 1), ("softmax", 1)):
        if calls.get(name, 0) < least:
            return (f"train_digits called your {name} {calls.get(name, 0)} times; it should call it "
                    + ("once per mini-batch" if least > 1 else "at least once") + " (see the exercise).")
    if all(np.array_equal(params[key], initial[key]) for key in initial):
        return "the parameters never changed: after each backward pass, update them (W -= lr * dW, and so on)."
    if not rng_moved:
        return ("train_digits never drew from its rng: shuffle the training set at the start of every epoch "
                "with rng.permutation(n), so each epoch sees new mini-batches (and the run is seeded).")
    costs = np.asarray(costs, dtype=float).ravel()
    if costs.size != epochs:
        return f"costs must hold one training cost per epoch ({epochs} numbers), got {costs.size}."
    if not np.all(np.isfinite(costs)) or costs[-1] >= costs[0]:
        return ("the training cost went up, not down: step against the gradient (W -= lr * dW), "
                "not along it.")
    on_test, on_train = accuracy(params, X_test, y_test), accuracy(params, X_train, y_train)
    if not np.isclose(float(reported), on_test, atol=1e-9):
        where = "the training data" if np.isclose(float(reported), on_train, atol=1e-9) else "other data"
        return (f"the accuracy you returned, {float(reported):.1%}, is measured on {where}; the network's "
                f"accuracy on the held-out test images is {on_test:.1%}. Report the test images' accuracy.")
    if on_test < required:
        return f"the test accuracy is {on_test:.1%}, below {required:.0%}: check the update and the loop."
    return None


# --- wrong derivations that test cells name ----------------------------------------------------

DIAGONAL_ONLY = "you kept only the diagonal p(1 - p) of the softmax Jacobian"
NO_TARGETS = "you forgot to subtract the one-hot labels Y"


def wrong_logit_gradients(Z, labels) -> dict:
    """The usual wrong results for ∂C/∂Z of the average cost."""
    n, k = np.shape(Z)
    P, Y = layers.softmax(Z), np.eye(k)[labels]
    return {DIAGONAL_ONLY: -Y * (1 - P) / n, NO_TARGETS: P / n}


def wrong_layer_gradients(H, W, b, labels) -> dict:
    """The usual wrong results for each of ``("dH", "dW", "db")`` of a softmax layer."""
    without_targets = dense_backward(layers.softmax(H @ W + b) / H.shape[0], DenseCache(H, W))
    return {name: {NO_TARGETS: gradient} for name, gradient in zip(("dH", "dW", "db"), without_targets)}
