r"""Notebook 04's cures for overfitting: the penalties and early stopping as its exercises state
them, exercise E's network with dropout and L2 (its cost, gradient and the usual wrong
derivations), more data for free (shifted digits), and every cure compared over several random draws.

One run on one data set cannot tell cures apart: with :math:`m` validation points an accuracy
near :math:`a` has a standard error of :math:`\sqrt{a(1-a)/m}` (1.5 points for 90 % on 400
points), and a new draw of the data, the initial weights or the dropout masks moves it by
about that much. So each seed draws its own moons (training, validation and test sets), its
own initial weights and its own dropout masks, and trains every cure on them:

* no regularisation, L2, L1 and dropout: one stack of networks from the same initial weights,
  trained for ``epochs`` full-batch steps;
* early stopping: the unregularised network, checked on the validation set every
  ``check_every`` epochs; its parameters at the best check are kept, and checking stops after
  ``patience`` checks in a row without a strict improvement.

Every choice (the epoch of early stopping) is made on the validation set; the test set is
used once, at the end, to score each cure's final network.
"""
from __future__ import annotations

from typing import Callable, NamedTuple, Sequence

import numpy as np

from helpers import datasets
from helpers.experiments import regularisation as regularisation_experiment
from helpers._validate import as_float_array, check_count, check_positive, check_probability
from helpers.gradcheck import numerical_gradient
from helpers.losses import categorical_cross_entropy_from_logits
from helpers.regularisation import (EarlyStopping, add_gradients, is_weight, l1_gradient, l1_penalty, l2_gradient,
                                    l2_penalty)


# --- the penalties as notebook 04's exercises state them, and early stopping ------------------

def add_l2_penalty(cost: float, grads: dict, params: dict, lam: float, n: int):
    r"""``(cost + λ/(2n) Σ w², grads + λ/n · W)`` over the weights (biases untouched), new dict."""
    return cost + l2_penalty(params, lam, n), add_gradients(grads, l2_gradient(params, lam, n))


def add_l1_penalty(cost: float, grads: dict, params: dict, lam: float, n: int):
    r"""``(cost + λ/n Σ |w|, grads + λ/n · sgn(W))`` over the weights (sgn(0) = 0), new dict."""
    return cost + l1_penalty(params, lam, n), add_gradients(grads, l1_gradient(params, lam, n))


def train_with_early_stopping(step: Callable, validate: Callable, params: dict, max_epochs: int,
                              patience: int):
    """Run ``params = step(params)`` up to ``max_epochs`` times, checking ``validate(params)``
    (higher is better) after each; stop after ``patience`` epochs without a strict improvement.

    Returns ``(best_epoch, best_params, history)``: the epoch (counting from 0) with the best
    validation score, a copy of the parameters then, and every score seen.
    """
    stopper = EarlyStopping(patience=patience, mode="max")
    history = []
    for epoch in range(max_epochs):
        params = step(params)
        history.append(float(validate(params)))
        if stopper.update(epoch, history[-1], params):
            break
    return stopper.best_epoch, stopper.best_params, history


# --- exercise E: the backward pass of a two-layer network with inverted dropout and L2 ---------

def dropout_l2_cost(X, labels, params, keep, drop_probability, lam, n) -> float:
    r"""Notebook 04's exercise E cost: the mean cross-entropy of the logits
    :math:`\big(\mathrm{relu}(XW_1 + b_1) \odot K/(1-p)\big)W_2 + b_2` against ``labels``, plus
    :math:`\frac{\lambda}{2n}\sum_w w^2` over W1 and W2. ``keep`` (K) is the 0/1 mask of the
    hidden units, shape (samples, hidden); ``n`` is the training-set size."""
    X, keep, p, lam, n = _exercise_inputs(X, keep, drop_probability, lam, n)
    logits = _forward(X, params, keep, p)[2]
    # the penalty written out, not l2_penalty: students get this cost before that exercise's deadline
    penalty = lam / (2 * n) * float(np.sum(params["W1"] ** 2) + np.sum(params["W2"] ** 2))
    return categorical_cross_entropy_from_logits(logits, labels)[0] + penalty


def dropout_l2_gradients(X, labels, params, keep, drop_probability, lam, n) -> dict:
    """The gradient of ``dropout_l2_cost`` with respect to W1, b1, W2 and b2 (a new dict)."""
    X, keep, p, lam, n = _exercise_inputs(X, keep, drop_probability, lam, n)
    Z, dropped, logits = _forward(X, params, keep, p)
    grad_logits = categorical_cross_entropy_from_logits(logits, labels)[1]
    grad_Z = grad_logits @ params["W2"].T * keep / (1.0 - p) * (Z > 0)
    data = {"W1": X.T @ grad_Z, "b1": grad_Z.sum(axis=0), "W2": dropped.T @ grad_logits, "b2": grad_logits.sum(axis=0)}
    return {key: grad + lam / n * params[key] if is_weight(key) else grad for key, grad in data.items()}


PENALTY_TWICE = ("the penalty's part is twice too large: the cost has λ/(2n) Σ w², and the 2 that comes "
                 "down from w² cancels the ½")
UNSCALED_MASK = ("you used the keep mask but not the factor 1/(1 - p): the forward pass divides every kept "
                 "unit by 1 - p, so the gradient that flows back through it is divided by 1 - p as well")
NO_MASK = ("you sent gradient to the hidden units that were dropped: a dropped unit contributed nothing "
           "to the cost, so its gradient is 0")
NO_RELU_DERIVATIVE = "you left out the ReLU's derivative between the hidden activations and Z = X W1 + b1"
PENALISED_BIASES = "you added a penalty gradient to a bias: only the weights W are in the penalty"


def wrong_derivations(X, labels, params, keep, drop_probability, lam, n, right) -> dict:
    """The usual wrong results of exercise E, each a gradient dict under the sentence a test cell shows,
    built on the ``right`` gradients that the test expects (not on ``dropout_l2_gradients``: a student's
    copy of helpers lacks it before 04's deadline)."""
    X, keep, p, lam, n = _exercise_inputs(X, keep, drop_probability, lam, n)
    right = {key: np.asarray(grad, dtype=float) for key, grad in right.items()}
    decay = {key: lam / n * value for key, value in params.items()}
    # without 1/(1 - p) the hidden layer's data gradient shrinks by 1 - p; the penalty's part stays
    unscaled = {"W1": (right["W1"] - decay["W1"]) * (1.0 - p) + decay["W1"], "b1": right["b1"] * (1.0 - p)}
    return {PENALTY_TWICE: {key: grad + decay[key] if is_weight(key) else grad for key, grad in right.items()},
            UNSCALED_MASK: {**right, **unscaled},
            NO_MASK: _hidden_layer_mistake(X, labels, params, keep, p, lam, n, right, mask=1.0 / (1.0 - p),
                                           activation=lambda Z: np.maximum(Z, 0.0)),
            NO_RELU_DERIVATIVE: _hidden_layer_mistake(X, labels, params, keep, p, lam, n, right,
                                                      mask=keep / (1.0 - p), activation=lambda Z: Z),
            PENALISED_BIASES: {key: grad if is_weight(key) else grad + decay[key] for key, grad in right.items()}}


def _hidden_layer_mistake(X, labels, params, keep, p, lam, n, right, *, mask, activation) -> dict:
    """``right`` with the first layer's gradients of a wrong backward pass, which sends the output error
    back through ``mask`` and ``activation``'s derivative: finite differences of a stand-in cost that is
    linear in the output error (held fixed) and has exactly that gradient."""
    grad_logits = categorical_cross_entropy_from_logits(_forward(X, params, keep, p)[2], labels)[1]
    W1, b1 = np.array(params["W1"], dtype=float), np.array(params["b1"], dtype=float)

    def stand_in():
        return float(np.sum(grad_logits * (activation(X @ W1 + b1) * mask @ params["W2"])))

    return {**right, "W1": numerical_gradient(stand_in, W1) + lam / n * W1, "b1": numerical_gradient(stand_in, b1)}


def _exercise_inputs(X, keep, drop_probability, lam, n):
    X, keep = as_float_array(X, "X", ndim=2), as_float_array(keep, "keep", ndim=2)
    if not np.all((keep == 0) | (keep == 1)):
        raise ValueError("keep must hold 0 (dropped) or 1 (kept) only")
    return (X, keep, check_probability(drop_probability, "drop_probability"),
            check_positive(lam, "lam (λ)", allow_zero=True), check_count(n, "n (the number of training samples)"))


def _forward(X, params, keep, p):
    """(Z, dropped hidden activations, logits) of exercise E's network."""
    Z = X @ params["W1"] + params["b1"]
    dropped = np.maximum(Z, 0.0) * keep / (1.0 - p)
    return Z, dropped, dropped @ params["W2"] + params["b2"]


# --- more data for free -------------------------------------------------------------------------

def shift_images(X, rows: int, columns: int, side: int = 8) -> np.ndarray:
    """Every image (a row of X, ``side`` × ``side`` pixels) moved down ``rows`` and right
    ``columns`` pixels (negative: up/left); pixels shifted in are 0. Shape of X."""
    images = as_float_array(X, "X", ndim=2).reshape(-1, side, side)
    shifted = np.zeros_like(images)
    target_r, source_r = _overlap(rows, side)
    target_c, source_c = _overlap(columns, side)
    shifted[:, target_r, target_c] = images[:, source_r, source_c]
    return shifted.reshape(X.shape)


def _overlap(offset: int, side: int) -> tuple[slice, slice]:
    if abs(offset) >= side:
        raise ValueError(f"a shift of {offset} pixels moves an image of side {side} out of view")
    return slice(max(offset, 0), side + min(offset, 0)), slice(max(-offset, 0), side - max(offset, 0))


def augment_with_shifts(X, labels, side: int = 8):
    """X with four copies shifted by one pixel (up, down, left, right), and the labels to match:
    five times the data, "for free"."""
    moves = [(0, 0), (1, 0), (-1, 0), (0, 1), (0, -1)]
    X_more = np.concatenate([shift_images(X, r, c, side) for r, c in moves])
    return X_more, np.tile(np.asarray(labels), len(moves))


# --- every cure, over several seeds ------------------------------------------------------------

class CureComparison(NamedTuple):
    """Accuracies of every cure (columns, in the order of ``cures``) for every seed (rows)."""

    cures: tuple[str, ...]
    val_accuracy: np.ndarray   # (S, K): on each seed's validation set
    test_accuracy: np.ndarray  # (S, K): on each seed's test set, looked at once
    stop_epochs: np.ndarray    # (S,): the epoch whose parameters early stopping kept


def mean_and_standard_error(values, axis: int = 0):
    r"""Mean and standard error :math:`s/\sqrt{S}` (sample standard deviation, ``ddof=1``) over ``axis``."""
    values = np.asarray(values, dtype=float)
    count = values.shape[axis]
    if count < 2:
        raise ValueError(f"a standard error needs at least 2 values along axis {axis}, got {count}")
    return values.mean(axis=axis), values.std(axis=axis, ddof=1) / np.sqrt(count)


def moons_split(seed_rng, n_train: int = 60, n_val: int = 400, n_test: int = 400, noise: float = 0.3):
    """A fresh draw of notebook 04's noisy moons, cut into training, validation and test sets."""
    X, y = datasets.make_moons(n_train + n_val + n_test, noise, seed_rng)
    cuts = np.cumsum([n_train, n_val])
    (X_train, X_val, X_test), (y_train, y_val, y_test) = np.split(X, cuts), np.split(y, cuts)
    return datasets.Split(X_train, y_train, X_val, y_val, X_test, y_test)


def compare_cures(seeds: Sequence[int], *, l2: float = 1.0, l1: float = 0.3, drop_probability: float = 0.5,
                  layer_sizes=(2, 32, 32, 2), epochs: int = 1000, check_every: int = 20, patience: int = 5,
                  lr: float = 0.5, early_stopping: Callable = train_with_early_stopping,
                  **split_sizes) -> CureComparison:
    """Train every cure on every seed's own data; see the module docstring. ``early_stopping``
    has the signature of ``train_with_early_stopping`` (the notebook passes the student's);
    ``split_sizes`` (``n_train``, ``n_val``, ``n_test``, ``noise``) go to ``moons_split``."""
    seeds = list(seeds)
    if len(seeds) < 2:
        raise ValueError(f"seeds must hold at least 2 seeds (for an error bar), got {len(seeds)}")
    if epochs % check_every:
        raise ValueError(f"epochs ({epochs}) must be a multiple of check_every ({check_every})")
    l2, l1 = check_positive(l2, "l2"), check_positive(l1, "l1")
    cures = ("no regularisation", "early stopping", f"L2, λ = {l2:g}", f"L1, λ = {l1:g}",
             f"dropout, p = {drop_probability:g}")
    val, test, stops = [], [], []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        split = moons_split(rng, **split_sizes)
        # models: 0 none, 1 L2, 2 L1, 3 dropout; plain gradient descent may train in chunks
        params = regularisation_experiment.init_params(list(layer_sizes), rng, n_models=4)
        settings = dict(epochs=check_every, rng=rng, lr=lr, record_every=check_every, l2=[0.0, l2, 0.0, 0.0],
                        l1=[0.0, 0.0, l1, 0.0], drop_probability=[0.0, 0.0, 0.0, drop_probability])
        latest = [params]  # the stack after the last chunk: early stopping returns only the best one

        def train_chunk(stack):
            latest[0] = regularisation_experiment.fit(stack, split.X_train, split.y_train, **settings)[0]
            return latest[0]

        def plain_accuracy(stack):
            return regularisation_experiment.accuracy(regularisation_experiment.select(stack, 0), split.X_val,
                                                      split.y_val)

        chunks = epochs // check_every
        best_check, best_stack, checked = early_stopping(train_chunk, plain_accuracy, params, chunks, patience)
        params = latest[0]
        for _ in range(chunks - len(checked)):  # once the checks stop, the other cures train on
            params, _ = regularisation_experiment.fit(params, split.X_train, split.y_train, **settings)
        final = [regularisation_experiment.select(params, 0), regularisation_experiment.select(best_stack, 0),
                 *(regularisation_experiment.select(params, m) for m in (1, 2, 3))]
        val.append([regularisation_experiment.accuracy(p, split.X_val, split.y_val) for p in final])
        test.append([regularisation_experiment.accuracy(p, split.X_test, split.y_test) for p in final])
        stops.append(check_every * (best_check + 1))
    return CureComparison(cures, np.array(val), np.array(test), np.array(stops))


def summary(result: CureComparison) -> str:
    """A table of every cure's validation accuracy, test accuracy and test-accuracy gain over no
    regularisation (the paired difference, seed by seed): mean ± standard error, in %."""
    gains = result.test_accuracy - result.test_accuracy[:, :1]
    lines = [f"{f'mean ± s.e. over {len(gains)} seeds':26s}{'validation':>14s}{'test':>14s}{'test gain':>14s}"]
    for k, name in enumerate(result.cures):
        columns = (result.val_accuracy[:, k], result.test_accuracy[:, k], gains[:, k])
        cells = [mean_and_standard_error(100 * values) for values in columns]
        lines.append(f"{name:26s}" + "".join(f"{mean:7.1f} ± {error:.1f}".rjust(14) for mean, error in cells))
    return "\n".join(lines)
