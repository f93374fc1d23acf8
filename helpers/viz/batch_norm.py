"""Figures for notebook 09 (batch normalisation): the deep sigmoid network with and without it.

Each function builds and returns a matplotlib ``Figure`` (no pyplot), like ``helpers.viz.figures``.
Losses that diverged (inf or NaN) are not drawn; a cross marks the last finite one.
"""
from __future__ import annotations

from typing import Mapping

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullLocator

from helpers.experiments.batch_norm import Run
from helpers.viz.figures import plain_log_y
from helpers.viz.live import LiveView

STYLES = {"plain": dict(color="C3", ls="--", marker="o"), "batch norm": dict(color="C0", ls="-", marker="o")}


def _layers_axes(ax, runs: Mapping[str, Run]) -> None:
    for label, run in runs.items():
        layers = np.arange(1, len(run.gradient_norms) + 1)
        ax.plot(layers, run.gradient_norms, ms=3.5, lw=1.8, label=label, **STYLES[label])
    ax.set(yscale="log", xlabel="layer (last = output layer)", ylabel=r"$\|\partial C/\partial W^{[l]}\|$",
           title="gradient norm of each layer, at initialisation")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(fontsize=8)


def comparison(by_rate: Mapping[float, Mapping[str, Run]], chance_loss: float | None = None) -> Figure:
    """Left: each layer's gradient norm at initialisation, without and with batch normalisation
    (the same for every learning rate: taken from the first). Right: the training loss per epoch
    for each learning rate η → ``{"plain": Run, "batch norm": Run}`` (dashed: plain; solid: batch norm)."""
    fig = Figure(figsize=(11.5, 3.8), layout="constrained")
    left, right = fig.subplots(1, 2)
    _layers_axes(left, next(iter(by_rate.values())))
    for index, (rate, runs) in enumerate(by_rate.items()):
        for label, run in runs.items():
            colour = f"C{index}"
            style = dict(STYLES[label], color=colour)
            _loss_line(right, run.losses, f"{label}, η = {rate:g}", style)
    if chance_loss is not None:
        right.axhline(chance_loss, color="0.4", lw=1.0, ls=":", label=f"uniform guess ({chance_loss:.2f})")
    _loss_axis(right)
    right.set(xlabel="epoch", ylabel="training loss (cross-entropy)", title="training: dashed plain, solid batch norm")
    right.legend(fontsize=7.5, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig


def _loss_axis(ax) -> None:
    """A log scale labelled 0.1, 0.2, 0.5, 1, 2, 5, … in plain numbers: losses span a decade or two."""
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    ax.yaxis.set_minor_locator(NullLocator())


def _loss_line(ax, losses: np.ndarray, label: str, style: dict):
    finite = np.isfinite(losses)
    line, = ax.plot(np.flatnonzero(finite), losses[finite], ms=3, lw=1.6, label=label, **style)
    if not finite.all() and finite.any():
        last = int(np.flatnonzero(finite)[-1])
        ax.plot(last, losses[last], "x", ms=9, mew=2, color=style["color"])
    return line


class ExplorerView(LiveView):
    """The explorer: for the networks ``batch_norm.sweep`` trained beforehand, each layer's gradient
    norm at initialisation (left) and the training loss per epoch (right), without and with batch
    normalisation, for the chosen depth and learning rate. The axes hold every run of the sweep,
    so a slider move only moves the four lines and the titles."""

    def __init__(self, runs: Mapping[tuple[int, float], Mapping[str, Run]], chance_loss: float = np.log(10)):
        self.runs = runs
        everything = [run for pair in runs.values() for run in pair.values()]
        norms = np.concatenate([run.gradient_norms for run in everything])
        losses = np.concatenate([run.losses for run in everything])
        losses = losses[np.isfinite(losses)]
        self.figure = Figure(figsize=(10.0, 3.6))
        self.figure.subplots_adjust(left=0.085, right=0.99, bottom=0.14, top=0.9, wspace=0.22)
        self.left, self.right = self.figure.subplots(1, 2)
        self.norm_lines = {label: self.left.plot([], [], ms=3.5, lw=1.8, label=label, **style)[0]
                           for label, style in STYLES.items()}
        self.loss_lines = {label: self.right.plot([], [], ms=3, lw=1.6, label=label, **style)[0]
                           for label, style in STYLES.items()}
        self.right.axhline(chance_loss, color="0.4", lw=1.0, ls=":", label="uniform guess")
        depth = max(len(run.gradient_norms) for run in everything)
        epochs = max(len(run.losses) for run in everything)
        self.left.xaxis.set_major_locator(MaxNLocator(integer=True))
        self.left.set(yscale="log", xlim=(0.5, depth + 0.5), ylim=(norms.min() / 3, norms.max() * 3),
                      xlabel="layer (last = output layer)", ylabel="gradient norm of W")
        self.right.set(yscale="log", xlim=(-0.3, epochs - 0.7), ylim=(losses.min() / 1.5, losses.max() * 1.5),
                       xlabel="epoch", ylabel="training loss")
        plain_log_y(self.left)
        _loss_axis(self.right)
        for ax in (self.left, self.right):
            ax.set_title(" ", fontsize=9.5)
        self.overlays = [self.left.legend(fontsize=8, loc="lower right", framealpha=1.0),
                         self.right.legend(fontsize=8, loc="lower left", framealpha=1.0)]  # below every loss curve

    def update(self, depth: int = 4, learning_rate: float = 1.0):
        key = (int(depth), float(learning_rate))
        if key not in self.runs:
            raise ValueError(f"no run was trained with depth {key[0]} and learning rate {key[1]:g}; "
                             f"the sweep holds {sorted(self.runs)}")
        runs = self.runs[key]
        for label, run in runs.items():
            self.norm_lines[label].set_data(np.arange(1, len(run.gradient_norms) + 1), run.gradient_norms)
            finite = np.isfinite(run.losses)
            self.loss_lines[label].set_data(np.flatnonzero(finite), run.losses[finite])
        plain, normed = runs["plain"].gradient_norms, runs["batch norm"].gradient_norms
        self.left.title.set_text(f"{int(depth)} hidden layers; layer 1 / last hidden layer: "
                                 f"plain {plain[0] / plain[-2]:.1e}, batch norm {normed[0] / normed[-2]:.2f}")
        finals = {label: run.losses[-1] for label, run in runs.items()}
        self.right.title.set_text(f"η = {float(learning_rate):g}: final loss plain {finals['plain']:.3g}, "
                                  f"batch norm {finals['batch norm']:.3g}")
        return [*self.norm_lines.values(), self.left.title, *self.loss_lines.values(), self.right.title]
