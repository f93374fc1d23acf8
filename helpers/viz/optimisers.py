"""Figures for notebook 06 (optimisers): paths on cost surfaces, SGD's noise ball, Adam's bias.

Each function builds and returns a matplotlib ``Figure`` (no pyplot), like ``helpers.viz.figures``.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Mapping

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import LogLocator

from helpers.experiments import optimisers, loss_surfaces
from helpers.viz.figures import few_ticks, plain_log_y
from helpers.viz.live import LiveView

COLOURS = {"sgd": "C0", "momentum": "C1", "nesterov": "C2", "adagrad": "C4", "rmsprop": "C5", "adam": "C3"}


@lru_cache(maxsize=8)
def _contour_data(name: str, resolution: int = 100):
    """Grid and contour levels of a registered surface, computed once (widgets redraw often)."""
    surface = loss_surfaces.get_surface(name)
    xs, ys, values = loss_surfaces.grid(surface, resolution)
    low = min(float(surface.value(np.array(m))) for m in surface.minima)
    if surface.log_levels:
        levels = low + np.geomspace(0.05, float(values.max() - low), 14)
    else:
        levels = np.linspace(low, float(np.percentile(values, 90)), 16)[1:]
    return xs, ys, values, levels


def _draw_contours(ax, name: str):
    """Grey contour lines of surface ``name`` (negative levels solid too), under every line drawn
    on ``ax`` whenever they are added: the ContourSet."""
    xs, ys, values, levels = _contour_data(name)
    return ax.contour(xs, ys, values, levels=levels, colors="0.75", linewidths=0.7, negative_linestyles="solid",
                      zorder=1)


def draw_paths(ax, surface_name: str, paths: Mapping[str, np.ndarray], title: str = "") -> None:
    """Contours of the surface, its minima (stars) and one line per optimiser's path.

    ``paths`` maps an optimiser name (a key of ``optimisers.LABELS``) or any label to a
    (steps + 1, 2) array; rows of NaN (a diverged run) are simply not drawn.
    """
    surface = loss_surfaces.get_surface(surface_name)
    _draw_contours(ax, surface.name)
    for point in surface.minima:
        ax.plot(*point, marker="*", color="k", markersize=11, zorder=4)
    ax.plot(*surface.start, marker="o", color="k", markersize=5, zorder=4)
    for key, points in paths.items():
        label = optimisers.LABELS.get(key, key)
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


# The race's right panel: f − f_min from 1e-10 (converged, as far as the picture cares) to 1e4
# (above every surface's start: a run that leaves the top is diverging), fixed so that it stays
# in the background while the sliders move.
GAP_RANGE = (1e-10, 1e4)


class RaceView(LiveView):
    r"""The race widget's figure. Left: every optimiser's path on one surface (contours, minima as
    stars, the start as a dot). Right: how far above the minimum each one is after every step,
    :math:`f(\theta_t) - f_{\min}`, on a log scale, with each optimiser's rate η in the legend.

    The sliders (learning-rate multiplier, β) move only the lines, the rates in the legend and
    the right title; the surface menu swaps the contours and the limits, which the background
    keeps (``background_key``), so a slider move draws no tick, label or contour. ``steps`` maps
    an optimiser to a step in the exercises' form that replaces the course's rule (notebook 06: the
    student's, see ``optimisers.race``).
    """

    def __init__(self, steps: dict | None = None):
        self.steps = steps
        self.figure = Figure(figsize=(10.4, 3.8))
        # Margins that fit the widest tick labels of every surface and the legend (no tight crop: it costs a draw).
        self.figure.subplots_adjust(left=0.065, right=0.785, bottom=0.13, top=0.92, wspace=0.28)
        self.left, self.right = self.figure.subplots(1, 2, width_ratios=(1.15, 1))
        self.paths, self.gaps = {}, {}
        for name, label in optimisers.LABELS.items():
            self.paths[name], = self.left.plot([], [], lw=1.6, color=COLOURS[name], alpha=0.9)
            self.gaps[name], = self.right.plot([], [], lw=1.6, color=COLOURS[name], label=label)
        # Markers over the paths, as in draw_paths: they are drawn after them, on every redraw.
        self.minima, = self.left.plot([], [], ls="none", marker="*", color="k", markersize=11)
        self.start, = self.left.plot([], [], ls="none", marker="o", color="k", markersize=5)
        self.left.set(xlabel="x", ylabel="y")
        plain_log_y(self.right)
        self.right.yaxis.set_major_locator(LogLocator(base=100.0))  # 1e-10, 1e-08, …, 1e+04
        few_ticks(self.left)
        few_ticks(self.right)
        self.right.set(ylim=GAP_RANGE, xlabel="step", ylabel="f − f_min", title=" ")
        # The legend sits beside the panel, where no curve crosses it, so it stays in the background.
        # It reads "Adam (η = 0.3)", but only "0.3)" changes: that part is a text of its own, placed
        # after its label, so a slider redraws a few glyphs, not six labels (each glyph costs time).
        # zorder: drawn after the legend, whose layout places them.
        legend = self.right.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
        self.rates = {}
        for name, text in zip(optimisers.LABELS, legend.get_texts()):
            text.set_text(f"{optimisers.LABELS[name]} (η =")
            self.rates[name] = self.right.annotate("", xy=(1, 0), xycoords=text, xytext=(2.5, 0),
                                                   textcoords="offset points", fontsize=8, va="bottom", zorder=6)
        self.contours, self.surface, self.low = None, None, 0.0  # set by _show_surface
        # Runs already made, by (surface, optimiser, lr_scale, β or None where β is not used): a student
        # drags a slider back and forth over the same values, and a β move reruns only the optimisers
        # that use β. Emptied when full (a few MB).
        self.runs: dict[tuple, tuple[float, np.ndarray]] = {}

    def _show_surface(self, name: str) -> None:
        """Contours, markers and limits of surface ``name``: the background, redrawn when it changes."""
        surface = loss_surfaces.get_surface(name)
        if self.contours is not None:
            self.contours.remove()
        self.contours = _draw_contours(self.left, surface.name)
        self.minima.set_data(*np.transpose(surface.minima))
        self.start.set_data([surface.start[0]], [surface.start[1]])
        self.left.set(xlim=surface.x_range, ylim=surface.y_range, title=surface.title)
        self.right.set_xlim(0, optimisers.RACE_STEPS[surface.name])
        self.low = min(float(surface.value(np.array(m))) for m in surface.minima)
        self.surface = surface

    def update(self, surface: str = "valley", lr_scale: float = 1.0, beta: float = 0.9):
        if self.surface is None or loss_surfaces.get_surface(surface) is not self.surface:
            self._show_surface(surface)
        runs = self._runs(lr_scale, beta)
        for name, (lr, points) in runs.items():
            self.paths[name].set_data(points[:, 0], points[:, 1])
            gap = self.surface.value(points) - self.low
            self.gaps[name].set_data(np.arange(len(points)), np.maximum(gap, 1e-12))  # NaN (diverged): not drawn
            self.rates[name].set_text(f"{lr:.2g})")
        self.right.title.set_text(f"learning rates × {lr_scale:.2g}, β = {beta:.2f}")
        return [*self.paths.values(), self.minima, self.start, *self.gaps.values(), *self.rates.values(),
                self.right.title]

    def _runs(self, lr_scale: float, beta: float) -> dict:
        """``optimisers.race`` on the shown surface, running only the optimisers not remembered."""
        keys = {name: (self.surface.name, name, lr_scale, beta if name in optimisers.BETA_PARAMETER else None)
                for name in optimisers.LABELS}
        missing = [name for name, key in keys.items() if key not in self.runs]
        if missing:
            if len(self.runs) > 500:
                self.runs.clear()
            new = optimisers.race(self.surface.name, lr_scale, beta, optimisers=missing, steps=self.steps)
            self.runs.update({keys[name]: run for name, run in new.items()})
        return {name: self.runs[key] for name, key in keys.items()}

    def background_key(self, surface: str = "valley", lr_scale: float = 1.0, beta: float = 0.9):
        return loss_surfaces.get_surface(surface).name


def convergence_rates(panels: Mapping[str, Mapping[str, tuple[np.ndarray, float | None]]]) -> Figure:
    r"""One panel per title in ``panels``, each mapping a label to ``(excess, factor)``: the cost
    above its minimum after every step, :math:`f(\theta_t) - f_{\min}` (log scale), and the
    predicted factor by which the distance to the minimum shrinks per step. Where a factor is
    given, a dashed line of the same colour shows the prediction :math:`f_0 \cdot
    \text{factor}^{2t}` (the cost of a quadratic goes with the squared distance)."""
    fig = Figure(figsize=(5.0 * len(panels), 3.7), layout="constrained")
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, (title, runs) in zip(axes, panels.items()):
        for index, (label, (excess, factor)) in enumerate(runs.items()):
            steps = np.arange(len(excess))
            line, = ax.plot(steps, np.maximum(excess, 1e-300), lw=1.6, color=f"C{index}", label=label)
            if factor is not None:
                ax.plot(steps, excess[0] * factor ** (2.0 * steps), lw=1.0, ls="--", color=line.get_color())
        plain_log_y(ax)
        ax.set(xlabel="step", ylabel="f − f_min", title=title, ylim=(1e-16, None), xlim=(0, len(excess) - 1))
        ax.legend(fontsize=8, loc="lower left")
    return fig


def noise_ball(problem: optimisers.LeastSquares, runs: Mapping[str, tuple[np.ndarray, int]],
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


def cost_per_sample(problem: optimisers.LeastSquares, runs: Mapping[str, tuple[np.ndarray, int]]) -> Figure:
    """Cost above its minimum against the number of samples whose gradient was computed,
    for ``runs``: label → (weights after every step, batch size)."""
    fig = Figure(figsize=(6.2, 3.6), layout="constrained")
    ax = fig.subplots()
    floor = float(optimisers.least_squares_cost(problem, problem.w_best))
    for label, (points, batch_size) in runs.items():
        seen = np.arange(len(points)) * batch_size
        gap = optimisers.least_squares_cost(problem, points) - floor
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
