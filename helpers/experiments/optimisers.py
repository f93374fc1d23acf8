r"""Optimisers' paths on 2-D surfaces, their rates on a quadratic, and SGD's noise ball.

Every path takes the course's update rules, ``helpers.optim.RULES`` (one rule for one array,
unchecked: a widget runs every optimiser for hundreds of steps in milliseconds), or a student's
step in the form of notebook 06's exercises, the state spread out among the arguments:
``momentum_step(theta, grad, velocity, lr, momentum) -> (theta, velocity)``, ``adam_step(theta, grad,
m, s, t, lr, ...) -> (theta, m, s, t)``, ``sgd_step(theta, grad, lr) -> theta``. Notebook 06 passes
the student's steps (``exercise_rule``): a student's copy of helpers lacks the course's before 06's deadline.

On a quadratic with Hessian eigenvalues in :math:`[m, L]`, :math:`\kappa = L/m`, the best
constant settings are known in closed form (``tuned_rates``): gradient descent with
:math:`\eta = 2/(L+m)` shrinks the distance to the minimum by :math:`(\kappa-1)/(\kappa+1)` per
step, the heavy ball with :math:`\eta = 4/(\sqrt L+\sqrt m)^2`,
:math:`\mu = \big((\sqrt\kappa-1)/(\sqrt\kappa+1)\big)^2` by :math:`(\sqrt\kappa-1)/(\sqrt\kappa+1)`.

The least-squares part: :math:`C(w) = \frac{1}{2n}\lVert Xw - y\rVert^2` is convex with one
minimiser :math:`\hat w`. A mini-batch gradient is an unbiased but noisy estimate of
:math:`\nabla C`, so SGD with a constant rate keeps jittering in a "noise ball" around
:math:`\hat w` whose size grows with :math:`\eta`; with rates that obey Robbins–Monro
(:math:`\sum\eta_t = \infty,\ \sum\eta_t^2 < \infty`) it converges.
"""
from __future__ import annotations

import inspect
from typing import Callable, Collection, NamedTuple

import numpy as np

from helpers._validate import as_float_array, check_positive, check_probability, check_rng, lookup
from helpers.experiments.loss_surfaces import Surface, get_surface
from helpers.optim import RULES, Rule, check_options
from helpers.train import iterate_minibatches


# --- paths on a surface --------------------------------------------------------------------

LABELS = {"sgd": "gradient descent", "momentum": "momentum", "nesterov": "Nesterov",
          "adagrad": "Adagrad", "rmsprop": "RMSProp", "adam": "Adam"}


def exercise_rule(optimiser: str, step: Callable) -> Rule:
    """A step in the exercises' form (e.g. your ``adam_step``) as a ``Rule`` in place of the course's
    rule ``optimiser``, with its state (a tuple) and hyper-parameters: for ``paths`` and ``helpers.train``."""
    def update(theta, grad, state, lr, **hyper):
        result = step(theta, grad, *state, lr, **hyper)
        return (result[0], tuple(result[1:])) if isinstance(result, tuple) else (result, ())
    update.__signature__ = inspect.signature(RULES[optimiser].update)  # the hyper-parameters train checks
    return Rule(RULES[optimiser].init, update)


def course_step(optimiser: str) -> Callable:
    """The course's rule ``optimiser`` in the exercises' form: the reference an unwritten exercise
    falls back on."""
    rule, hyper_names = RULES[optimiser], list(inspect.signature(RULES[optimiser].update).parameters)[4:]
    n_state = len(rule.init(np.zeros(())))  # the state's arguments come between grad and lr

    def step(theta, grad, *state_lr_and_hyper, **hyper):
        state, (lr, *values) = state_lr_and_hyper[:n_state], state_lr_and_hyper[n_state:]
        new_theta, new_state = rule.update(theta, grad, state, lr, **dict(zip(hyper_names, values)), **hyper)
        return (new_theta, *new_state) if n_state else new_theta

    step.__name__ = f"{optimiser}_step"
    return step


def nesterov_from(momentum_step: Callable) -> Callable:
    r"""Nesterov's step in the exercises' form, built on a momentum step of that form (e.g. yours): both
    make :math:`v' = \mu v - \eta g`; momentum moves to :math:`\theta + v'`, Nesterov (``helpers.optim``'s
    form) a further :math:`\mu(v' - v)`, to :math:`\theta + \mu v' - \eta g`."""
    def nesterov_step(theta, grad, velocity, lr, momentum=0.9):
        moved, new_velocity = momentum_step(theta, grad, velocity, lr, momentum)
        return moved + momentum * (new_velocity - velocity), new_velocity
    return nesterov_step


class Run(NamedTuple):
    """One optimiser's run on a surface; ``step`` (exercises' form) replaces the course's rule if not None."""

    optimiser: str
    lr: float
    hyper: dict
    step: Callable | None = None


def paths(surface: Surface | str, runs: list[Run], n_steps: int, start=None) -> np.ndarray:
    """Points visited by each of ``runs`` from ``start`` (default: the surface's), all advanced
    together: shape (len(runs), n_steps + 1, 2). One gradient evaluation per step serves every
    run (a surface's gradient works row by row, so each path is the one its run makes alone),
    which makes a widget's race up to twice as fast as one run after another. A run that
    leaves a box 100 times the plot window is cut there, and its later rows are NaN (it diverged)."""
    surface = get_surface(surface) if isinstance(surface, str) else surface
    rules = [RULES[run.optimiser] if run.step is None else exercise_rule(run.optimiser, run.step) for run in runs]
    updates, states = [rule.update for rule in rules], [rule.init(np.zeros(2)) for rule in rules]
    thetas = np.tile(np.array(surface.start if start is None else start, dtype=float), (len(runs), 1))
    bound = 100.0 * max(abs(v) for v in surface.x_range + surface.y_range)
    points = np.full((len(runs), int(n_steps) + 1, 2), np.nan)
    points[:, 0] = thetas
    running = list(range(len(runs)))
    for k in range(1, int(n_steps) + 1):
        grads = surface.gradient(thetas)  # a diverged run's row stays at its last point: finite
        for i in tuple(running):
            theta, states[i] = updates[i](thetas[i], grads[i], states[i], runs[i].lr, **runs[i].hyper)
            points[i, k] = theta
            x, y = points[i, k]  # two float comparisons: np.all on a 2-vector costs as much as a step
            if abs(x) < bound and abs(y) < bound:  # (False for NaN too)
                thetas[i] = theta
            else:
                points[i, k] = np.nan
                running.remove(i)
        if not running:
            break
    return points


def path(surface: Surface | str, optimiser: str, lr: float, n_steps: int, start=None, step=None,
         **hyper) -> np.ndarray:
    """Points visited by ``optimiser`` (a key of ``LABELS``) from ``start`` (default: the
    surface's): shape (n_steps + 1, 2). ``step`` replaces the course's rule with a step in the
    form of notebook 06's exercises (e.g. your own). A run that leaves a box 100 times the plot
    window is cut there, and the rest of the rows are NaN (it diverged)."""
    lookup(LABELS, optimiser, "optimiser")
    hyper = hyper if step is not None else check_options(optimiser, hyper)
    return paths(surface, [Run(optimiser, check_positive(lr, "lr"), hyper, step)], n_steps, start)[0]


def excess_cost(surface: Surface | str, points) -> np.ndarray:
    """How far above its lowest minimum the surface is at ``points`` (..., 2): f - f_min."""
    surface = get_surface(surface) if isinstance(surface, str) else surface
    lowest = min(float(surface.value(np.array(point))) for point in surface.minima)
    return surface.value(np.asarray(points, dtype=float)) - lowest


def observed_factor(points, minimum, first: int, last: int) -> float:
    """The factor by which a path's distance to ``minimum`` shrank per step between steps
    ``first`` and ``last`` (geometric mean), to hold against ``shrink_factor``'s prediction."""
    distances = np.linalg.norm(np.asarray(points, dtype=float) - np.asarray(minimum, dtype=float), axis=-1)
    return float((distances[last] / distances[first]) ** (1.0 / (last - first)))


class TunedRates(NamedTuple):
    """The best constant settings on a quadratic, and the factor by which each shrinks the
    distance to the minimum per step (its worst direction, in the long run)."""

    gd_lr: float
    gd_factor: float
    heavy_ball_lr: float
    heavy_ball_momentum: float
    heavy_ball_factor: float


def tuned_rates(smallest_curvature: float, largest_curvature: float) -> TunedRates:
    r"""Tuned gradient descent and heavy ball for Hessian eigenvalues in [m, L] (see the module
    docstring): :math:`\eta = 2/(L+m)`; :math:`\eta = 4/(\sqrt L+\sqrt m)^2`,
    :math:`\mu = \big((\sqrt\kappa-1)/(\sqrt\kappa+1)\big)^2`."""
    low = check_positive(smallest_curvature, "smallest_curvature")
    high = check_positive(largest_curvature, "largest_curvature")
    if high < low:
        raise ValueError(f"largest_curvature must be >= smallest_curvature, got {high!r} < {low!r}")
    root_kappa = np.sqrt(high / low)
    heavy_ball_factor = float((root_kappa - 1.0) / (root_kappa + 1.0))
    return TunedRates(gd_lr=2.0 / (high + low), gd_factor=float((high - low) / (high + low)),
                      heavy_ball_lr=float(4.0 / (np.sqrt(high) + np.sqrt(low)) ** 2),
                      heavy_ball_momentum=heavy_ball_factor**2, heavy_ball_factor=heavy_ball_factor)


def shrink_factor(lr: float, curvatures, momentum: float = 0.0) -> float:
    r"""The factor by which gradient descent (``momentum = 0``) or the heavy ball shrinks the
    distance to the minimum per step, in the long run, on a quadratic whose Hessian has the
    eigenvalues ``curvatures``: along an eigenvalue :math:`\lambda` the iterates go like
    :math:`r^t` with :math:`r^2 - (1 + \mu - \eta\lambda)\,r + \mu = 0`; the largest
    :math:`|r|` over all eigenvalues. Above 1: the run diverges."""
    lr, momentum = check_positive(lr, "lr"), check_probability(momentum, "momentum")
    curvatures = as_float_array(curvatures, "curvatures")
    if curvatures.size == 0:
        raise ValueError("curvatures must hold at least one eigenvalue")
    trace = 1.0 + momentum - lr * curvatures
    root = np.sqrt((trace * trace - 4.0 * momentum).astype(complex))
    return float(np.max(np.maximum(np.abs(trace + root), np.abs(trace - root))) / 2.0)


# A typical rate per optimiser and surface (none diverges, each shows its character);
# the race widget's learning-rate slider multiplies them. RACE_STEPS: steps per run.
_VALLEY_RATES = {"sgd": 0.07, "momentum": 0.02, "nesterov": 0.02, "adagrad": 1.0, "rmsprop": 0.1, "adam": 0.3}
RACE_RATES = {
    "valley": _VALLEY_RATES,
    "tilted valley": _VALLEY_RATES,
    "rosenbrock": {"sgd": 0.002, "momentum": 0.002, "nesterov": 0.0015, "adagrad": 1.0,
                   "rmsprop": 0.01, "adam": 0.5},
    "saddle": {"sgd": 0.15, "momentum": 0.05, "nesterov": 0.05, "adagrad": 0.5, "rmsprop": 0.05, "adam": 0.1},
}


RACE_STEPS = {"valley": 150, "tilted valley": 150, "rosenbrock": 400, "saddle": 150}


# The race's β: the hyper-parameter it sets for each optimiser that has one (the others ignore β).
BETA_PARAMETER = {"momentum": "momentum", "nesterov": "momentum", "adam": "beta1"}


def race(surface: str, lr_scale: float = 1.0, beta: float = 0.9, n_steps: int | None = None,
         optimisers: Collection[str] | None = None, steps: dict | None = None) -> dict:
    r"""Every optimiser's path on ``surface`` with its ``RACE_RATES`` rate times ``lr_scale``.

    ``beta`` is the momentum :math:`\mu` (momentum, Nesterov) and Adam's :math:`\beta_1`.
    ``n_steps`` defaults to ``RACE_STEPS[surface]``; ``optimisers`` (default: all) picks some;
    ``steps`` maps an optimiser to a step in the exercises' form that replaces the course's rule
    (notebook 06: the student's). Returns ``{optimiser: (lr, path)}``.
    """
    name = get_surface(surface).name
    steps = steps or {}
    runs = [Run(optimiser, rate * lr_scale,
                {BETA_PARAMETER[optimiser]: beta} if optimiser in BETA_PARAMETER else {}, steps.get(optimiser))
            for optimiser, rate in RACE_RATES[name].items() if optimisers is None or optimiser in optimisers]
    points = paths(surface, runs, RACE_STEPS[name] if n_steps is None else n_steps)
    return {run.optimiser: (run.lr, run_points) for run, run_points in zip(runs, points)}


# --- SGD on least squares: the noise ball ------------------------------------------------------

class LeastSquares(NamedTuple):
    """Data ``X`` (n, d), targets ``y`` (n,) and the exact minimiser ``w_best`` (d,)."""

    X: np.ndarray
    y: np.ndarray
    w_best: np.ndarray


def least_squares_problem(n: int, rng, scales=(1.0, 2.5), noise: float = 0.5) -> LeastSquares:
    """A linear regression with ``len(scales)`` features of those spreads, and label noise."""
    rng = check_rng(rng)
    X = rng.normal(size=(int(n), len(scales))) * np.asarray(scales, dtype=float)
    y = X @ np.linspace(1.0, -1.0, len(scales)) + rng.normal(0.0, noise, size=int(n))
    return LeastSquares(X, y, np.linalg.lstsq(X, y, rcond=None)[0])


def least_squares_cost(problem: LeastSquares, w) -> np.ndarray:
    r""":math:`C(w) = \frac{1}{2n}\lVert Xw - y\rVert^2` for w of shape (d,) or for each row of (T, d)."""
    residuals = np.asarray(w, dtype=float) @ problem.X.T - problem.y
    return 0.5 * np.mean(residuals**2, axis=-1)


def least_squares_sgd(problem: LeastSquares, w0, batch_size: int, lr, epochs: int, rng,
                      batches: Callable = iterate_minibatches) -> np.ndarray:
    """Mini-batch SGD on the least-squares cost: the weights after every step, shape (steps + 1, d).

    ``lr``: a number, or a schedule ``step number -> rate`` (e.g. from ``helpers.schedules``).
    ``batches(n_samples, batch_size, rng)`` yields each epoch's index arrays (default: the
    course's ``iterate_minibatches``). ``batch_size = n`` is full-batch gradient descent.
    """
    rng = check_rng(rng)
    X, y = problem.X, problem.y
    w = np.array(w0, dtype=float)
    visited, step = [w.copy()], 0
    for _ in range(int(epochs)):
        for batch in batches(X.shape[0], batch_size, rng):
            rate = lr(step) if callable(lr) else lr
            w = w - rate * X[batch].T @ (X[batch] @ w - y[batch]) / len(batch)
            visited.append(w.copy())
            step += 1
    return np.array(visited)
