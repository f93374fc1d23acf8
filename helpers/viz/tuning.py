"""Figures for notebook 10 (tuning): log-uniform draws, grid against random search on a measured
landscape, the learning-rate range test, the learning rate's derivative over one step, batch size
against rate, L2 in Adam against decoupled weight decay, and the optimism of a search's winner.

Each function builds and returns a matplotlib ``Figure`` (no pyplot), like ``helpers.viz.figures``.
"""
from __future__ import annotations

from typing import Callable, Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, NullFormatter

from helpers.experiments import tuning
from helpers.viz.figures import panels
from helpers.viz.live import LiveView

GRID_COLOUR, RANDOM_COLOUR = "k", "C1"


def log_versus_uniform(uniform_draws, log_draws, low: float, high: float) -> Figure:
    """The share of each decade of [low, high] that uniform and log-uniform draws land in."""
    fig, (ax,) = panels(1, width=6.0, height=3.0)
    edges = np.geomspace(low, high, int(round(np.log10(high / low))) + 1)
    centres = np.arange(len(edges) - 1)
    for offset, (label, draws, colour) in enumerate((("uniform", uniform_draws, "C0"),
                                                     ("log-uniform", log_draws, RANDOM_COLOUR))):
        share = np.histogram(draws, edges)[0] / len(draws)
        ax.bar(centres + 0.2 * (2 * offset - 1), 100 * share, width=0.4, color=colour, label=f"{label} draws")
    ax.set_xticks(centres, [f"{a:g} to {b:g}" for a, b in zip(edges[:-1], edges[1:])])
    ax.set(xlabel="decade of the learning rate", ylabel="share of the draws (%)",
           title=f"{len(log_draws)} draws of a learning rate in [{low:g}, {high:g}]")
    ax.legend()
    return fig


def _log_axes(ax, landscape: tuning.Landscape) -> None:
    ax.set(xscale="log", yscale="log", xlim=(landscape.lrs[0], landscape.lrs[-1]),
           ylim=(landscape.l2s[0], landscape.l2s[-1]), xlabel="learning rate η", ylabel="L2 strength λ")


def _shade(ax, landscape: tuning.Landscape):
    """The landscape as a heat map (interpolated, darker = lower loss) with its colour bar."""
    lrs = np.geomspace(landscape.lrs[0], landscape.lrs[-1], 120)
    l2s = np.geomspace(landscape.l2s[0], landscape.l2s[-1], 90)
    values = landscape.at(*np.meshgrid(lrs, l2s, indexing="xy"))
    mesh = ax.pcolormesh(lrs, l2s, values, cmap="viridis", shading="auto", vmax=np.log(10), rasterized=True)
    ax.figure.colorbar(mesh, ax=ax, label="validation loss", pad=0.02)
    _log_axes(ax, landscape)


class LandscapeView(LiveView):
    """Grid against random search on a measured landscape (notebook 10). Left: the validation
    loss over (η, λ), with the grid's points (black squares) and the random ones (orange dots).
    Right: the loss along η (the average over λ, which hardly matters) with a tick for every η
    each search tried, and the best loss each found. Only the points, ticks, lines and title move."""

    def __init__(self, landscape: tuning.Landscape, sampler: Callable | None = None):
        self.landscape = landscape
        self.sampler = sampler or tuning.log_uniform  # what draws the random search (a notebook passes the student's)
        self.figure = Figure(figsize=(11.0, 3.9))
        self.figure.subplots_adjust(left=0.06, right=0.98, bottom=0.14, top=0.85, wspace=0.25)
        self.left, self.right = self.figure.subplots(1, 2, width_ratios=(1.25, 1))
        _shade(self.left, landscape)
        self.grid_points, = self.left.plot([], [], "s", color=GRID_COLOUR, ms=6, mfc="none", mew=1.8, label="grid")
        self.random_points, = self.left.plot([], [], "o", color=RANDOM_COLOUR, ms=6, mec="k", mew=0.6,
                                             label="random")
        left_legend = self.left.legend(loc="upper left", fontsize=8, framealpha=1.0)
        along = landscape.losses.mean(axis=1)
        self.right.plot(landscape.lrs, along, color="0.4", lw=2, label="loss along η (mean over λ)")
        top = float(np.log(10))
        self.right.set(xscale="log", xlim=(landscape.lrs[0], landscape.lrs[-1]), ylim=(0, top * 1.12),
                       xlabel="learning rate η", ylabel="validation loss")
        self.right.set_title(" \n ", fontsize=10)
        self.grid_ticks, = self.right.plot([], [], "|", color=GRID_COLOUR, ms=14, mew=2, label="η tried by the grid")
        self.random_ticks, = self.right.plot([], [], "|", color=RANDOM_COLOUR, ms=14, mew=2,
                                             label="η tried at random")
        self.grid_best = self.right.axhline(np.nan, color=GRID_COLOUR, ls="--", lw=1.2)
        self.random_best = self.right.axhline(np.nan, color=RANDOM_COLOUR, ls="--", lw=1.2)
        self.tick_heights = (top * 1.07, top * 1.0)
        # Opaque legends over the moving points and lines: pasted back from the background after each redraw.
        self.overlays = [left_legend, self.right.legend(loc="center right", fontsize=8, framealpha=1.0)]

    def update(self, n_trials: int = 9, seed: int = 0):
        on_grid, at_random = tuning.grid_and_random(self.landscape, n_trials, np.random.default_rng(seed), self.sampler)
        best = []
        for points, marks, ticks, line, height in (
                (on_grid, self.grid_points, self.grid_ticks, self.grid_best, self.tick_heights[0]),
                (at_random, self.random_points, self.random_ticks, self.random_best, self.tick_heights[1])):
            marks.set_data(points[:, 0], points[:, 1])
            ticks.set_data(points[:, 0], np.full(len(points), height))
            best.append(float(self.landscape.at(*points.T).min()))
            line.set_ydata([best[-1], best[-1]])
        distinct = len(np.unique(on_grid[:, 0]))
        self.right.title.set_text(f"{n_trials} trials. Grid: {distinct} values of η, best loss {best[0]:.3f}\n"
                                  f"Random: {n_trials} values of η, best loss {best[1]:.3f}")
        # In a full draw's order: the frames cover points that sit on the edges.
        return [self.grid_points, self.random_points, *self.left.spines.values(), self.grid_ticks,
                self.random_ticks, self.grid_best, self.random_best, *self.right.spines.values(), self.right.title]


def search_points(landscape: tuning.Landscape, searches: Mapping[str, Sequence]) -> Figure:
    """The trials of one or more searches (label → ``(settings, score)`` pairs) over the landscape,
    the best of each circled."""
    fig, (ax,) = panels(1, width=6.4, height=4.0)
    _shade(ax, landscape)
    for index, (label, trials) in enumerate(searches.items()):
        points = np.array([[s["lr"], s["l2"]] for s, _ in trials])
        colour = (RANDOM_COLOUR, "C3", "C0")[index % 3]
        ax.plot(points[:, 0], points[:, 1], "o", color=colour, mec="k", mew=0.6, label=label)
        best = int(np.argmin([score for _, score in trials]))
        ax.plot(*points[best], "o", ms=15, mfc="none", mec=colour, mew=2.5)
    ax.legend(loc="upper left", fontsize=8, framealpha=1.0)
    return fig


def range_test(rates, losses, suggestion: float) -> Figure:
    """The range test's training loss against the growing rate, its lowest point and the rate suggested."""
    fig, (ax,) = panels(1, width=6.0, height=3.4)
    ax.plot(rates, losses, "o-", ms=3, lw=1.8)
    lowest = int(np.nanargmin(losses))
    ax.axvline(rates[lowest], color="C3", ls="--", label=f"lowest loss at η = {rates[lowest]:.2g}")
    ax.axvline(suggestion, color="C2", ls="-", label=f"suggested η = {suggestion:.2g}")
    ax.set(xscale="log", ylim=(0, np.log(10) * 1.3), xlabel="learning rate η (growing every epoch)",
           ylabel="training loss", title="learning-rate range test")
    ax.legend(fontsize=8)
    return fig


def one_step_rate(rates, losses, slopes: Mapping[float, float], best: float) -> Figure:
    """The validation loss after one step against its rate, with a tangent of slope ``slopes[rate]``
    (the derivative with respect to the rate) at each of a few rates, and the rate ``best`` where it is 0."""
    fig, (ax,) = panels(1, width=6.0, height=3.4)
    rates, losses = np.asarray(rates, dtype=float), np.asarray(losses, dtype=float)
    ax.plot(rates, losses, lw=1.8, color="C0", label="validation loss after one step")
    half_width = 0.08 * (rates[-1] - rates[0])
    for index, (rate, slope) in enumerate(slopes.items()):
        at = np.interp(rate, rates, losses)
        ax.plot([rate - half_width, rate + half_width], [at - slope * half_width, at + slope * half_width],
                color="C3", lw=1.4, label="your derivative as a tangent" if index == 0 else None)
        ax.plot(rate, at, "o", color="C3", ms=4)
    ax.axvline(best, color="C2", ls="--", label=f"derivative 0 at η = {best:.3g}")
    ax.set(xlabel="learning rate η of the one step", ylabel="validation loss", title="a gradient for η, over one step")
    ax.legend(fontsize=8)
    return fig


def batch_size_rates(batch_sizes, lrs, losses) -> Figure:
    """Left: validation loss against η, one curve per batch size. Right: the best η for each batch
    size, with the linear-scaling rule drawn through the smallest batch's."""
    fig, (left, right) = panels(2, width=5.0, height=3.5)
    best = np.asarray(lrs)[np.argmin(losses, axis=1)]
    for index, (b, row) in enumerate(zip(batch_sizes, losses)):
        left.plot(lrs, np.minimum(row, np.log(10) * 1.2), "o-", ms=3, color=f"C{index}", label=f"B = {b}")
    left.set(xscale="log", ylim=(0, np.log(10) * 1.25), xlabel="learning rate η", ylabel="validation loss",
             title="same epochs, every batch size")
    left.legend(fontsize=7, ncol=2)
    sizes = np.asarray(batch_sizes, dtype=float)
    right.plot(sizes, best, "o-", color="k", lw=2, label="best η measured")
    right.plot(sizes, best[0] * sizes / sizes[0], "--", color="C3", label="linear scaling: η ∝ B")
    right.plot(sizes, best[0] * np.sqrt(sizes / sizes[0]), ":", color="C0", label="square-root scaling: η ∝ √B")
    right.set(xscale="log", yscale="log", xlabel="batch size B", ylabel="best learning rate η",
              title="the best rate grows with the batch")
    for axis in (right.xaxis, right.yaxis):
        axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
        axis.set_minor_formatter(NullFormatter())
    right.legend(fontsize=8)
    return fig


def decay_maps(maps: Mapping[str, np.ndarray], side: int = 8) -> Figure:
    """One image per entry (label → one number per input pixel), on one colour scale from 0 to 1.1."""
    fig, axes = panels(len(maps), width=2.9, height=3.0)
    for ax, (label, values) in zip(axes, maps.items()):
        image = ax.imshow(np.reshape(values, (side, side)), cmap="magma", vmin=0.0, vmax=1.1)
        ax.set(xticks=[], yticks=[], title=label)
    fig.colorbar(image, ax=list(axes), label="weight size / without decay", shrink=0.9)
    return fig


def optimism(n_trials: Sequence[int], gaps: Mapping[int, np.ndarray]) -> Figure:
    """The winner's validation minus test accuracy (mean ± standard error over repeats) against the
    number of trials, one line per validation-set size (``gaps[n_val]``: (len(n_trials), repeats))."""
    fig, (ax,) = panels(1, width=6.0, height=3.4)
    for index, (n_val, rows) in enumerate(gaps.items()):
        rows = 100 * np.asarray(rows)
        error = rows.std(axis=1, ddof=1) / np.sqrt(rows.shape[1])
        ax.errorbar(n_trials, rows.mean(axis=1), yerr=error, fmt="o-", capsize=3, color=f"C{index}",
                    label=f"{n_val} validation samples")
    ax.axhline(0.0, color="0.5", lw=1)
    ax.set(xscale="log", xlabel="settings tried", ylabel="validation − test accuracy of the winner (points)",
           title="the best of many validation scores flatters itself")
    ax.set_xticks(list(n_trials), [str(n) for n in n_trials])
    ax.legend(fontsize=8)
    return fig
