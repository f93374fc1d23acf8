"""Figures for notebook 06 (optimisers): paths on cost surfaces, SGD's noise ball, Adam's bias.

Each function builds and returns a matplotlib ``Figure`` (no pyplot), like ``helpers.plots``.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Mapping

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullLocator

from . import descent, surfaces
from . import plots as _plots  # noqa: F401  importing it makes notebooks show Figures as PNG

COLOURS = {"sgd": "C0", "momentum": "C1", "nesterov": "C2", "adagrad": "C4", "rmsprop": "C5", "adam": "C3"}


@lru_cache(maxsize=8)
def _contour_data(name: str, resolution: int = 100):
    """Grid and contour levels of a registered surface, computed once (widgets redraw often)."""
    surface = surfaces.get_surface(name)
    xs, ys, values = surfaces.grid(surface, resolution)
    low = min(float(surface.value(np.array(m))) for m in surface.minima)
    if surface.log_levels:
        levels = low + np.geomspace(0.05, float(values.max() - low), 14)
    else:
        levels = np.linspace(low, float(np.percentile(values, 90)), 16)[1:]
    return xs, ys, values, levels


def plain_log_y(ax) -> None:
    """Log-scaled y-axis with a few tick labels like 1e-06 and no minor ticks. Matplotlib's
    default 10^k labels go through its TeX-like parser, and laying out dozens of minor ticks
    takes most of a widget's redraw time."""
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(numticks=7))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:.0e}"))
    ax.yaxis.set_minor_locator(NullLocator())


def few_ticks(ax, n: int = 5) -> None:
    """At most ``n`` ticks per linear axis: fewer labels to lay out on every redraw."""
    ax.xaxis.set_major_locator(MaxNLocator(n))
    if ax.get_yscale() == "linear":
        ax.yaxis.set_major_locator(MaxNLocator(n))


def draw_paths(ax, surface_name: str, paths: Mapping[str, np.ndarray], title: str = "") -> None:
    """Contours of the surface, its minima (stars) and one line per optimiser's path.

    ``paths`` maps an optimiser name (a key of ``descent.LABELS``) or any label to a
    (steps + 1, 2) array; rows of NaN (a diverged run) are simply not drawn.
    """
    surface = surfaces.get_surface(surface_name)
    xs, ys, values, levels = _contour_data(surface.name)
    ax.contour(xs, ys, values, levels=levels, colors="0.75", linewidths=0.7,
               negative_linestyles="solid")
    for point in surface.minima:
        ax.plot(*point, marker="*", color="k", markersize=11, zorder=4)
    ax.plot(*surface.start, marker="o", color="k", markersize=5, zorder=4)
    for key, points in paths.items():
        label = descent.LABELS.get(key, key)
        ax.plot(points[:, 0], points[:, 1], lw=1.6, color=COLOURS.get(key), label=label, alpha=0.9)
    ax.set(xlim=surface.x_range, ylim=surface.y_range, xlabel="x", ylabel="y",
           title=title or surface.title)


def optimiser_paths(runs: Mapping[str, Mapping[str, np.ndarray]]) -> Figure:
    """One panel per surface: ``runs`` maps a surface name to ``{optimiser: path}``."""
    fig = Figure(figsize=(4.6 * len(runs), 4.3), layout="constrained")
    axes = fig.subplots(1, len(runs), squeeze=False)[0]
    for ax, (name, paths) in zip(axes, runs.items()):
        draw_paths(ax, name, paths)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=len(labels), fontsize=9, frameon=False)
    return fig


def optimiser_race(surface: str = "valley", lr_scale: float = 1.0, beta: float = 0.9) -> Figure:
    """The race widget's figure: every optimiser's path on ``surface`` (left) and how far
    above the minimum each one is after every step (right, log scale)."""
    runs = descent.race(surface, lr_scale, beta, n_steps=descent.RACE_STEPS[surface])
    fig = Figure(figsize=(9.6, 3.8))
    fig.subplots_adjust(left=0.06, right=0.99, bottom=0.13, top=0.92, wspace=0.22)
    left, right = fig.subplots(1, 2, width_ratios=(1.15, 1))
    draw_paths(left, surface, {name: points for name, (_, points) in runs.items()})
    low = min(float(surfaces.get_surface(surface).value(np.array(m))) for m in surfaces.get_surface(surface).minima)
    for name, (lr, points) in runs.items():
        gap = surfaces.get_surface(surface).value(points) - low
        right.plot(np.maximum(gap, 1e-12), color=COLOURS[name], lw=1.6,
                   label=f"{descent.LABELS[name]} (η = {lr:.2g})")
    few_ticks(left)
    few_ticks(right)
    plain_log_y(right)
    right.set(ylim=(1e-10, None), xlabel="step", ylabel="f − f_min",
              title=f"learning rates × {lr_scale:.2g}, β = {beta:.2f}")
    right.legend(fontsize=7.5, loc="lower left", framealpha=0.9)
    return fig


def noise_ball(problem: descent.LeastSquares, runs: Mapping[str, tuple[np.ndarray, int]],
               last_epochs: int = 5) -> Figure:
    """SGD runs on a least-squares problem, ``runs``: label → (weights after every step, batch size).

    Left: the iterates of the last ``last_epochs`` epochs, zoomed on the minimiser (a
    constant rate leaves a cloud, the noise ball). Right: distance to the minimiser
    against epochs (log scale)."""
    fig = Figure(figsize=(10.0, 3.9), layout="constrained")
    left, right = fig.subplots(1, 2)
    best, n = problem.w_best, problem.X.shape[0]
    for index, (label, (points, batch_size)) in enumerate(runs.items()):
        colour = f"C{index}"
        epochs = np.arange(len(points)) * batch_size / n
        tail = points[epochs >= epochs[-1] - last_epochs]
        left.plot(tail[:, 0] - best[0], tail[:, 1] - best[1], ".", ms=2.5, color=colour, alpha=0.6, label=label)
        right.plot(epochs, np.linalg.norm(points - best, axis=1), lw=1.0, color=colour, label=label)
    left.plot(0, 0, marker="*", color="k", markersize=12, zorder=4)
    left.set(xlabel=r"$w_1 - \hat w_1$", ylabel=r"$w_2 - \hat w_2$", aspect="equal",
             title=f"where the weights are during the last {last_epochs} epochs")
    right.set(yscale="log", xlabel="epoch", ylabel=r"$\|w_t - \hat w\|$", title="distance to the minimiser")
    right.legend(fontsize=8, loc="upper right")
    return fig


def cost_per_sample(problem: descent.LeastSquares, runs: Mapping[str, tuple[np.ndarray, int]]) -> Figure:
    """Cost above its minimum against the number of samples whose gradient was computed,
    for ``runs``: label → (weights after every step, batch size)."""
    fig = Figure(figsize=(6.2, 3.6), layout="constrained")
    ax = fig.subplots()
    floor = float(descent.least_squares_cost(problem, problem.w_best))
    for label, (points, batch_size) in runs.items():
        seen = np.arange(len(points)) * batch_size
        gap = descent.least_squares_cost(problem, points) - floor
        ax.plot(seen[1:], np.maximum(gap[1:], 1e-12), lw=1.5, label=label)
    ax.set(xscale="log", yscale="log", xlabel="samples processed (gradient evaluations)",
           ylabel=r"$C(w) - C(\hat w)$", title="progress per unit of work")
    ax.legend(fontsize=8)
    return fig


def bias_correction(beta1: float = 0.9, beta2: float = 0.999, n_steps: int = 3000) -> Figure:
    r"""Adam on a constant gradient: the step without bias correction, divided by the step
    with it, :math:`(1-\beta_1^t)/\sqrt{1-\beta_2^t}`, against the step number t."""
    t = np.arange(1, n_steps + 1)
    ratio = (1 - beta1**t) / np.sqrt(1 - beta2**t)
    fig = Figure(figsize=(6.2, 3.4), layout="constrained")
    ax = fig.subplots()
    ax.plot(t, ratio, lw=2, color="C3")
    ax.axhline(1.0, color="0.5", lw=0.8, ls=":")
    peak = int(np.argmax(ratio))
    ax.annotate(f"{ratio[peak]:.1f}× too large at t = {t[peak]}", (t[peak], ratio[peak]),
                xytext=(t[peak] * 3, ratio[peak] * 0.95), arrowprops={"arrowstyle": "->"}, fontsize=9)
    ax.set(xscale="log", xlabel="step t", ylabel="uncorrected / corrected step",
           title=rf"Adam without bias correction ($\beta_1$ = {beta1}, $\beta_2$ = {beta2})")
    return fig
