"""Figures for notebook 07 (vanishing and exploding gradients).

Each function builds and returns a matplotlib ``Figure`` (no pyplot), like ``helpers.viz.figures``.
"""
from __future__ import annotations

from functools import lru_cache, partial
from typing import Callable, Mapping

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullLocator

from helpers.activations import get_activation
from helpers.experiments import vanishing_gradients
from helpers.viz.live import LiveView, round_up
from helpers.viz.figures import plain_log_y



def chain_gradients(cases: Mapping[str, np.ndarray]) -> Figure:
    r""":math:`|\partial C/\partial b_l|` against the layer l for each chain in ``cases``
    (label → array of the L bias gradients), on a log scale."""
    fig = Figure(figsize=(6.4, 3.5), layout="constrained")
    ax = fig.subplots()
    for index, (label, grads) in enumerate(cases.items()):
        layers = np.arange(1, len(grads) + 1)
        ax.plot(layers, np.abs(grads), marker="o", lw=2, color=f"C{index}", label=label)
    ax.set(yscale="log", xlabel="layer l (1 = nearest the input)", ylabel=r"$|\partial C/\partial b_l|$",
           title="one neuron per layer: the gradient of each bias")
    ax.legend(fontsize=8)
    return fig


def _profile_axes(ax, profile: np.ndarray, colour: str, label: str) -> None:
    layers = np.arange(1, len(profile) + 1)
    ax.plot(layers, profile, marker="o", ms=3.5, lw=1.8, color=colour, label=label)


def norm_profiles(profiles: Mapping[str, Mapping[int, np.ndarray]]) -> Figure:
    r"""One panel per activation: :math:`\lVert\partial C/\partial W^{[l]}\rVert` against the
    layer, one line per depth. ``profiles``: activation → {depth: norms (depth + 1,)}."""
    fig = Figure(figsize=(4.2 * len(profiles), 3.6), layout="constrained")
    axes = fig.subplots(1, len(profiles), sharey=True, squeeze=False)[0]
    for ax, (activation, by_depth) in zip(axes, profiles.items()):
        for index, (depth, profile) in enumerate(by_depth.items()):
            _profile_axes(ax, profile, f"C{index}", f"{depth} hidden layers")
        ax.set(yscale="log", xlabel="layer (last = output layer)", title=activation)
        ax.legend(fontsize=8)
    axes[0].set_ylabel(r"$\|\partial C/\partial W^{[l]}\|$")
    return fig


def _nice_decades(decades: float) -> int:
    """The smallest of 1, 2, 3, 5, 10, 20, 30, 50, 100, 200, 300, 500 that is at least ``decades``
    (a float64 spans about 600 decades)."""
    return int(round_up(max(decades, 1.0), (1.0, 2.0, 3.0, 5.0, 10.0)))


class GradientNormView(LiveView):
    r"""The explorer's figure: :math:`\lVert\partial C/\partial W^{[l]}\rVert` against the layer l
    for a fresh deep network on the batch (X, labels), three initialisations averaged
    (``vanishing_gradients.norm_profile``), with the chosen depth, activation and weight scale;
    ``gradient_norms(net, X, labels)`` computes the norms (the student's own, in the notebook).

    The axes follow the data in coarse steps, so most slider moves only move the line and the
    title (``background_key`` is the limits): x ends at the next power of two of the number of
    layers, and y, a log scale, at the powers of ten 1e-3, 1e-5, 1e-10, 1e-20, 1e-30, 1e-50, … below
    and 1e1, 1e2, 1e3, 1e5, 1e10, 1e20, … above, the first beyond the data with a factor 3 to spare.
    """

    def __init__(self, X, labels, *, gradient_norms: Callable = vanishing_gradients.layer_gradient_norms):
        # Profiles computed so far: dragging a slider back and forth repeats values, and each costs
        # three forward and backward passes through up to 31 layers.
        self.profile = lru_cache(maxsize=256)(partial(vanishing_gradients.norm_profile, X, labels,
                                                      gradient_norms=gradient_norms))
        self.figure = Figure(figsize=(6.4, 3.4))
        self.figure.subplots_adjust(left=0.13, right=0.98, bottom=0.15, top=0.89)  # fits the longest title
        self.ax = self.figure.subplots()
        self.line, = self.ax.plot([], [], marker="o", ms=3.5, lw=1.8)
        plain_log_y(self.ax)
        self.ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # layers are whole numbers
        self.ax.set(xlabel="layer (last = output layer)", ylabel="gradient norm of W")
        self.ax.set_title(" ", fontsize=10)

    def _limits(self, profile: np.ndarray):
        """Quantised axis limits for ``profile``: (last layer shown, lowest decade, highest decade)."""
        # Bounded so that a zero norm (every unit of a layer dead) or an overflow still has a log.
        low = max(float(np.min(profile)) / 3, 1e-300)
        high = min(float(np.max(profile)) * 3, 1e300)
        below = _nice_decades(max(-np.floor(np.log10(low)), 3))
        above = _nice_decades(max(np.ceil(np.log10(high)), 1))
        return 2 ** int(np.ceil(np.log2(len(profile)))), -below, above

    def update(self, depth: int = 6, activation: str = "sigmoid", weight_scale: float = 1.0):
        depth = int(depth)
        profile = self.profile(depth, activation, weight_scale)
        self.line.set_data(np.arange(1, depth + 2), profile)
        self.line.set_color(get_activation(activation).colour)
        last, low, high = self._limits(profile)
        self.ax.set(xlim=(0.5, last + 0.5), ylim=(10.0**low, 10.0**high))
        ratio = profile[0] / profile[-2] if depth > 1 else 1.0
        self.ax.title.set_text(f"{activation}, {depth} hidden layers, weights × {weight_scale:.2g}: "
                               f"first / last hidden = {ratio:.1e}")
        return [self.line, self.ax.title]

    def background_key(self, depth: int = 6, activation: str = "sigmoid", weight_scale: float = 1.0):
        return self._limits(self.profile(int(depth), activation, weight_scale))


def training_speed(records: Mapping[str, tuple[np.ndarray, np.ndarray]]) -> Figure:
    r"""For each label → ``(norms, moved)`` from ``vanishing_gradients.training_record``: top,
    :math:`\lVert\partial C/\partial b^{[l]}\rVert` per epoch for every hidden layer; bottom,
    how far each hidden layer's weights have moved, :math:`\lVert W_t - W_0\rVert/\lVert W_0\rVert`."""
    fig = Figure(figsize=(4.8 * len(records), 6.2), layout="constrained")
    axes = fig.subplots(2, len(records), squeeze=False)
    for column, (label, (norms, moved)) in enumerate(records.items()):
        top, bottom = axes[0, column], axes[1, column]
        epochs = np.arange(norms.shape[0])
        for layer in range(norms.shape[1] - 1):  # hidden layers only
            colour = f"C{layer}"
            top.plot(epochs, norms[:, layer], lw=1.8, color=colour, label=f"hidden layer {layer + 1}")
            bottom.plot(epochs, moved[:, layer], lw=1.8, color=colour, label=f"hidden layer {layer + 1}")
        top.set(yscale="log", title=f"{label}: gradient of each layer's biases", xlabel="epoch")
        bottom.set(title=f"{label}: how far each layer's weights moved", xlabel="epoch")
        top.legend(fontsize=7.5)
    axes[0, 0].set_ylabel(r"$\|\partial C/\partial b^{[l]}\|$")
    axes[1, 0].set_ylabel(r"$\|W_t - W_0\| \,/\, \|W_0\|$")
    return fig


def clipping_runs(runs: Mapping[str, tuple[np.ndarray, np.ndarray]], chance_loss: float | None = None) -> Figure:
    """Gradient norm before clipping (left, log scale) and training loss (right) per step, for
    each label → ``(losses, norms)`` from ``vanishing_gradients.train_clipped``. A run that overflowed
    ends early with a cross on the left and is left out on the right, so that its astronomical
    losses do not flatten the others. ``chance_loss`` (e.g. ln 10 for ten classes): a dotted
    line at the loss of a uniform guess."""
    fig = Figure(figsize=(10.0, 3.6), layout="constrained")
    left, right = fig.subplots(1, 2)
    for index, (label, (losses, norms)) in enumerate(runs.items()):
        colour = f"C{index}"
        finite = np.isfinite(norms) & np.isfinite(losses)
        steps = np.arange(len(losses))
        if finite.all():
            left.plot(steps, norms, lw=1.4, color=colour, label=label)
            right.plot(steps, losses, lw=1.4, color=colour, label=label)
        else:
            last = int(np.flatnonzero(finite)[-1])
            left.plot(steps[finite], norms[finite], lw=1.4, color=colour, label=f"{label} (overflowed)")
            left.plot(last, norms[last], "x", ms=10, mew=2, color=colour)
    if chance_loss is not None:
        right.axhline(chance_loss, color="0.4", lw=1.0, ls=":", label=f"uniform guess ({chance_loss:.2f})")
    plain_log_y(left)
    right.set_yscale("log")  # losses span one or two decades: label 1, 2, 5, 10, … in plain numbers
    right.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    right.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    right.yaxis.set_minor_locator(NullLocator())
    left.set(xlabel="step", ylabel="global gradient norm", title="gradient norm before clipping (× last finite)")
    right.set(xlabel="step", ylabel="training loss (cross-entropy)", title="loss of the runs that did not overflow")
    left.legend(fontsize=8)
    right.legend(fontsize=8)
    return fig
