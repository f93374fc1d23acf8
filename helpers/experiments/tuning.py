r"""Choosing hyper-parameters (notebook 10): samplers, searches, the landscape they explore, the
learning-rate range test, the learning rate's gradient over one step, batch size against learning
rate, decoupled weight decay, and how optimistic the best of many validation scores is.

Every trial trains a small ``MLP`` on a subset of scikit-learn's digits through ``helpers.train``,
so one trial costs a few hundredths of a second and a search of dozens of them stays cheap. A run
that diverges scores ``inf``, so that ``min`` and ``argmin`` pass over it.
"""
from __future__ import annotations

import math
from typing import Callable, NamedTuple

import numpy as np
from scipy.interpolate import RegularGridInterpolator

from helpers import optim
from helpers._validate import as_float_array, check_count, check_positive, check_rng
from helpers.datasets import Split
from helpers.gradcheck import numerical_gradient
from helpers.network import MLP
from helpers.train import train

HIDDEN_UNITS = 32
MOMENTUM = 0.9


def log_uniform(low: float, high: float, size, rng) -> np.ndarray:
    r"""``size`` draws whose logarithm is uniform: :math:`\ln x \sim U[\ln a, \ln b]`, so each decade
    of ``[low, high]`` gets the same share of the draws."""
    low, high = check_positive(low, "low"), check_positive(high, "high")
    if high <= low:
        raise ValueError(f"high must exceed low, got low={low!r}, high={high!r}")
    return np.exp(check_rng(rng).uniform(math.log(low), math.log(high), size))


def random_search(objective: Callable, ranges: dict, n_trials: int, rng):
    """``n_trials`` settings, each hyper-parameter drawn log-uniformly from its ``ranges[name] = (low,
    high)``, each scored by ``objective(settings)`` (lower is better). Returns ``(best_settings,
    best_score, trials)``, ``trials`` the ``(settings, score)`` pairs in the order tried."""
    n_trials, rng = check_count(n_trials, "n_trials"), check_rng(rng)
    trials = []
    for _ in range(n_trials):
        settings = {name: float(log_uniform(low, high, None, rng)) for name, (low, high) in ranges.items()}
        trials.append((settings, float(objective(settings))))
    best_settings, best_score = min(trials, key=lambda trial: trial[1])
    return best_settings, best_score, trials


def grid(low: float, high: float, n: int) -> np.ndarray:
    """``n`` values evenly spaced on a log scale from ``low`` to ``high``: a grid search's axis."""
    return np.geomspace(check_positive(low, "low"), check_positive(high, "high"), check_count(n, "n"))


# --- the objective: validation loss of a small network ---------------------------------------

def validation_loss(data: Split, lr: float, l2: float = 0.0, *, epochs: int = 4, batch_size: int = 32,
                    seed: int = 0, optimiser: str = "momentum", gradient_transforms=()) -> float:
    """Train a fresh [64, 32, 10] ReLU network (initialised from ``seed``) on ``data``'s training
    part and return its validation loss after ``epochs`` (``inf`` if it diverged)."""
    history = fit(data, lr, l2, epochs=epochs, batch_size=batch_size, seed=seed, optimiser=optimiser,
                  gradient_transforms=gradient_transforms)[1]
    loss = history.val_loss[-1]
    return loss if math.isfinite(loss) else math.inf


def fit(data: Split, lr, l2: float = 0.0, *, epochs: int = 4, batch_size: int = 32, seed: int = 0,
        optimiser: str = "momentum", gradient_transforms=()):
    """``(net, history)`` of the network ``validation_loss`` trains (same weights and batches for a
    given ``seed``, whatever the hyper-parameters)."""
    net = MLP.create([data.X_train.shape[1], HIDDEN_UNITS, 10], ["relu", "identity"],
                     np.random.default_rng(seed), init="he")
    options = {"momentum": MOMENTUM} if optimiser == "momentum" else None
    with np.errstate(all="ignore"):  # a diverging run records inf or NaN, as it should
        history = train(net, data.X_train, data.y_train, rng=np.random.default_rng(seed + 1), optimiser=optimiser,
                        lr=lr, epochs=epochs, batch_size=batch_size, X_val=data.X_val, y_val=data.y_val, l2=l2,
                        optimiser_options=options, gradient_transforms=gradient_transforms)
    return net, history


def subset(data: Split, n_train: int, rng) -> Split:
    """``data`` with a random ``n_train`` of its training samples (validation and test unchanged)."""
    rows = check_rng(rng).choice(len(data.y_train), check_count(n_train, "n_train"), replace=False)
    return data._replace(X_train=data.X_train[rows], y_train=data.y_train[rows])


class Landscape(NamedTuple):
    """Validation loss measured on a log grid: ``losses[i, j]`` at ``lrs[i]``, ``l2s[j]``."""
    lrs: np.ndarray
    l2s: np.ndarray
    losses: np.ndarray

    def at(self, lrs, l2s) -> np.ndarray:
        """The loss between the measured points, interpolated linearly in log η and log λ."""
        lookup = RegularGridInterpolator((np.log(self.lrs), np.log(self.l2s)), self.losses)
        return lookup(np.stack([np.log(lrs), np.log(l2s)], axis=-1))


def measure_landscape(data: Split, lrs, l2s, **fit_options) -> Landscape:
    """``validation_loss`` at every (η, λ) of the grid ``lrs`` × ``l2s`` (diverged runs capped at the
    loss of a uniform guess, ln 10, so that the picture keeps its scale)."""
    losses = np.array([[min(validation_loss(data, lr, l2, **fit_options), math.log(10)) for l2 in l2s]
                       for lr in lrs])
    return Landscape(np.asarray(lrs, dtype=float), np.asarray(l2s, dtype=float), losses)


def grid_and_random(landscape: Landscape, n_trials: int, rng, sampler: Callable = log_uniform):
    """The points (η, λ) of a √n × √n grid and of ``n_trials`` log-uniform random draws inside the
    landscape, each an array (n_trials, 2); ``n_trials`` must be a square. The grid's values sit one
    per equal cell of each log axis, all at the same place in their cells, drawn from ``rng``: a
    grid whose position no one could have chosen knowing the landscape. ``sampler``: the
    ``log_uniform`` that draws the random points (a notebook passes the student's)."""
    side = math.isqrt(check_count(n_trials, "n_trials"))
    if side * side != n_trials:
        raise ValueError(f"n_trials must be a square (a side × side grid), got {n_trials}")
    rng = check_rng(rng)
    offset = rng.uniform(size=2)
    axes = [np.exp(np.log(axis[0]) + (np.arange(side) + u) * np.log(axis[-1] / axis[0]) / side)
            for axis, u in zip((landscape.lrs, landscape.l2s), offset)]
    on_grid = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, 2)
    at_random = np.column_stack([sampler(landscape.lrs[0], landscape.lrs[-1], n_trials, rng),
                                 sampler(landscape.l2s[0], landscape.l2s[-1], n_trials, rng)])
    return on_grid, at_random


def grid_against_random(landscape: Landscape, n_trials: int, n_seeds: int, seed: int = 0,
                        sampler: Callable = log_uniform) -> np.ndarray:
    """Best loss found by the grid (column 0) and by random search (column 1), one row per seed
    (the seed places the grid and draws the random points with ``sampler``)."""
    rows = []
    for s in range(check_count(n_seeds, "n_seeds")):
        on_grid, at_random = grid_and_random(landscape, n_trials, np.random.default_rng([seed, s]), sampler)
        rows.append([landscape.at(*on_grid.T).min(), landscape.at(*at_random.T).min()])
    return np.array(rows)


# --- learning rate: the range test, and its link with the batch size --------------------------

def range_test(data: Split, lr_low: float, lr_high: float, epochs: int, *, batch_size: int = 64, seed: int = 0):
    """Smith's learning-rate range test: one run whose rate grows geometrically from ``lr_low`` to
    ``lr_high`` over ``epochs`` short epochs. Returns ``(rates, training losses)``, one per epoch."""
    rates = grid(lr_low, lr_high, epochs)
    history = fit(data, lambda epoch: rates[epoch], epochs=epochs, batch_size=batch_size, seed=seed)[1]
    return rates, np.array(history.train_loss)


def suggested_rate(rates, losses) -> float:
    """A range test's usual reading: a tenth of the rate at which the training loss was lowest."""
    return float(np.asarray(rates)[int(np.nanargmin(losses))] / 10)


def best_rates(data: Split, batch_sizes, lrs, *, epochs: int = 4, seed: int = 0) -> np.ndarray:
    """Validation loss for every batch size (rows) and rate (columns), the same epochs each."""
    return np.array([[validation_loss(data, lr, epochs=epochs, batch_size=b, seed=seed) for lr in lrs]
                     for b in batch_sizes])


# --- a gradient for the learning rate: one step on L2-regularised least squares ------------------

def _training_gradient(w, l2, X, y):
    return X.T @ (X @ w - y) / len(y) + l2 * w


def stepped_validation_loss(w, lr, l2, X_train, y_train, X_val, y_val, steps: int = 1) -> float:
    r""":math:`\frac{1}{2m}\lVert X_v w_k - y_v\rVert^2` after ``steps`` steps :math:`w_{t+1} = w_t - \eta\nabla C(w_t)`
    on the training cost :math:`C = \frac{1}{2n}\lVert Xw - y\rVert^2 + \frac\lambda2\lVert w\rVert^2`."""
    for _ in range(check_count(steps, "steps")):
        w = w - lr * _training_gradient(w, l2, X_train, y_train)
    return 0.5 * float((X_val @ w - y_val) @ (X_val @ w - y_val)) / len(y_val)


def learning_rate_gradient(w, lr, l2, X_train, y_train, X_val, y_val) -> float:
    """The derivative of one step's ``stepped_validation_loss`` with respect to ``lr`` (notebook 10's exercise D)."""
    grad = _training_gradient(w, l2, X_train, y_train)
    return -float((X_val @ (w - lr * grad) - y_val) @ (X_val @ grad)) / len(y_val)


def wrong_learning_rate_gradients(w, lr, l2, X_train, y_train, X_val, y_val) -> dict:
    """The usual wrong derivatives, each under the sentence a test cell shows for it. Finite
    differences of ``stepped_validation_loss`` (a quadratic in η: exact up to rounding), since a
    student's copy of helpers may not have the course's ``learning_rate_gradient`` yet."""
    def derivative(lr, l2, X_v, y_v):
        rate = np.array([float(lr)])
        return numerical_gradient(lambda: stepped_validation_loss(w, rate[0], l2, X_train, y_train, X_v, y_v), rate)[0]

    return {
        "the sign is wrong: a larger η moves w₁ further along −∇C, so ∂w₁/∂η = −∇C(w)":
            -derivative(lr, l2, X_val, y_val),
        "∇C lacks the L2 term λw: the step is taken on the regularised training cost":
            derivative(lr, 0.0, X_val, y_val),
        "the validation residual is taken at w instead of w₁ = w − η∇C(w)": derivative(0.0, l2, X_val, y_val),
        "the validation loss is measured on the training data: w₁ is judged on X_val, y_val":
            derivative(lr, l2, X_train, y_train),
    }


# --- Adam with L2, and decoupled weight decay -----------------------------------------------

def _adamw(param, grad, state, lr, weight_decay=0.0, beta1=0.9, beta2=0.999, eps=1e-8):
    """AdamW (Loshchilov and Hutter): Adam's step on the loss gradient alone, and the weights
    shrunk by their own factor, outside Adam's rescaling. ``state``: Adam's ``(m, s, t)``."""
    shrunk = param * (1.0 - lr * weight_decay)
    adam_step, state = optim.RULES["adam"].update(param, grad, state, lr, beta1, beta2, eps)
    return shrunk + (adam_step - param), state


RULES = {"adamw": optim.Rule(optim.RULES["adam"].init, _adamw)}  # a registry, like ``optim.RULES``


def adamw_reference_step(theta, grad, m, s, t, lr, weight_decay, beta1=0.9, beta2=0.999, eps=1e-8):
    """``RULES["adamw"]``'s update in the exercise's signature: returns ``(theta, m, s, t + 1)``."""
    theta, (m, s, t) = RULES["adamw"].update(theta, grad, (m, s, t), lr, weight_decay, beta1, beta2, eps)
    return theta, m, s, t


def as_transform(step: Callable, lr: float, weight_decay: float, decayed: Callable = lambda key: key.startswith("W")):
    """Adam-family ``step(theta, grad, m, s, t, lr, weight_decay)`` as a gradient transform of
    ``train``: it returns the step to take, so ``train`` with plain SGD at rate 1 takes exactly it.
    Keys for which ``decayed(key)`` is false (the biases) get no decay. Keeps ``(m, s, t)`` per key."""
    lr, weight_decay, states = check_positive(lr, "lr"), check_positive(weight_decay, "weight_decay", True), {}

    def transform(grads, params):
        steps = {}
        for key, theta in params.items():
            m, s, t = states.get(key, (np.zeros_like(theta), np.zeros_like(theta), 0))
            new, m, s, t = step(theta, grads[key], m, s, t, lr, weight_decay if decayed(key) else 0.0)
            states[key], steps[key] = (m, s, t), theta - np.asarray(new)
        return steps

    return transform


# --- validation hygiene ------------------------------------------------------------------------

def held_out_hits(data: Split, settings: dict, **fit_options) -> np.ndarray:
    """Whether the network ``fit`` trains with ``settings`` (``lr``, ``l2``) classifies each held-out
    sample right: (n_val + n_test,) booleans, the validation samples first, then the test ones."""
    net = fit(data, settings["lr"], settings.get("l2", 0.0), **fit_options)[0]
    X, y = np.concatenate([data.X_val, data.X_test]), np.concatenate([data.y_val, data.y_test])
    return net.predict(X).argmax(axis=1) == y


def winners_optimism(hits, n_trials: int, n_val: int, n_repeats: int, rng) -> np.ndarray:
    """How much the winner of a search flatters itself. ``hits``: (settings, held-out samples), as
    ``held_out_hits`` rows. Each repeat draws ``n_trials`` of the settings and a fresh split of the
    held-out samples into ``n_val`` for validation and the rest for test, keeps the setting with the
    best validation accuracy, and records its validation minus its test accuracy."""
    hits = as_float_array(hits, "hits", ndim=2)
    n_settings, n_samples = hits.shape
    n_trials, n_val, rng = check_count(n_trials, "n_trials"), check_count(n_val, "n_val"), check_rng(rng)
    n_repeats = check_count(n_repeats, "n_repeats")
    # One row per repeat: random sort keys pick the settings tried and the validation samples.
    tried = np.argsort(rng.random((n_repeats, n_settings)), axis=1)[:, :n_trials]
    in_val = np.argsort(np.argsort(rng.random((n_repeats, n_samples)), axis=1), axis=1) < n_val
    val = in_val @ hits.T / n_val                      # (repeats, settings)
    test = ~in_val @ hits.T / (n_samples - n_val)
    winner = tried[np.arange(n_repeats), np.argmax(np.take_along_axis(val, tried, axis=1), axis=1)]
    return val[np.arange(n_repeats), winner] - test[np.arange(n_repeats), winner]
