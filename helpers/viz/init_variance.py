r"""Static figures of notebook 05 (the variance of the initial weights): a saturated neuron's
input and output, per-layer statistics against depth, Glorot & Bengio's per-layer histograms,
and training curves (each function returns a matplotlib ``Figure``, no pyplot), and the live
explorer's ``ExplorerView``.

A neuron with :math:`n` inputs :math:`x_i` and weights :math:`w_i \sim \mathcal N(0, \sigma^2)`
has :math:`z = \sum_i w_i x_i + b` with :math:`\mathrm{Var}\,z = \sigma^2 \sum_i x_i^2 + \mathrm{Var}\,b`.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, NullLocator

from helpers import init
from helpers.activations import sigmoid
from helpers.experiments.init_variance import (BINS, MAX_DEPTH, explorer_summary, histogram_range, layer_statistics,
                                               log_histogram, zero_bias_network)
from helpers.viz.figures import fixed_panels
from helpers.viz.live import LiveView, round_up


def layer_colours(depth: int) -> np.ndarray:
    """One RGBA colour per layer, (depth, 4): viridis from dark (layer 1) to yellow (the last)."""
    return colormaps["viridis"](np.linspace(0.0, 0.9, depth))


def _plain_log_y(ax) -> None:
    """Log y axis labelled 0.001, 1, 1e+03...: plain text, since mathtext labels are slow to draw."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(base=10, numticks=6))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    ax.yaxis.set_minor_locator(NullLocator())


def saturation_histograms(z_samples: Mapping[str, np.ndarray]) -> Figure:
    """Histograms of a unit's weighted input z under different initialisations (left) and of its
    sigmoid output σ(z) (right): a wide z piles the outputs up at 0 and 1, where σ' ≈ 0."""
    fig, ((left, right),) = fixed_panels(1, 2, 4.3, 3.0, left=0.08)
    limit = max(float(np.max(np.abs(z))) for z in z_samples.values())
    for colour, (name, z) in enumerate(z_samples.items()):
        style = dict(histtype="step", lw=2, color=f"C{colour}", density=True)
        left.hist(z, bins=np.linspace(-limit, limit, 61), label=f"{name}: std {np.std(z):.1f}", **style)
        right.hist(sigmoid(z), bins=np.linspace(0, 1, 41), **style)
    left.set(xlabel="weighted input z", ylabel="density", title="z = w·x + b over many neurons")
    left.legend(fontsize=8)
    right.set(xlabel="output σ(z)", ylabel="density", title="their outputs")
    return fig


def depth_profiles(statistics: Mapping[str, Sequence[np.ndarray]]) -> Figure:
    """Per-layer standard deviation of the activations (left) and of the back-propagated errors
    δ = dC/dz (right), log scale, one line per entry: ``name → (means, stds, gradient stds)``."""
    fig, ((left, right),) = fixed_panels(1, 2, 4.3, 3.1, left=0.08)
    for colour, (name, (_, a_std, d_std)) in enumerate(statistics.items()):
        layers = np.arange(1, len(a_std) + 1)
        left.plot(layers, a_std, "o-", ms=3, lw=2, color=f"C{colour}", label=name)
        right.plot(layers, d_std, "s--", ms=3, lw=2, color=f"C{colour}", label=name)
    left.set(xlabel="layer l", ylabel="std of the activations", title="forward: activations")
    right.set(xlabel="layer l", ylabel="std of dC/dz", title="backward: gradients")
    for ax in (left, right):
        _plain_log_y(ax)
        ax.grid(alpha=0.3)
    left.legend(fontsize=8)
    return fig


def _stairs_per_layer(ax, arrays: Sequence[np.ndarray], value_range, bins: int = 50) -> None:
    edges = np.linspace(*value_range, bins + 1)
    for layer, (values, colour) in enumerate(zip(arrays, layer_colours(len(arrays))), start=1):
        finite = values[np.isfinite(values)]
        counts, _ = np.histogram(finite, bins=edges)
        ax.stairs(counts / max(finite.size, 1), edges, color=colour, lw=1.6, label=f"layer {layer}")


def glorot_picture(X, weights: Mapping[str, Sequence[np.ndarray]], grad_output) -> Figure:
    """Glorot & Bengio's picture, for a tanh network: one column per initialisation (name → list
    of weight matrices), per-layer histograms of the activations (top) and of δ = dC/dz (bottom).

    It runs the course's MLP (notebook 05's answers are not in a student's copy of helpers before
    its deadline): δ^[l] is the weight gradient of a network that is fed the identity matrix and
    whose first weights are Z^[l]. One network per layer: for the few layers of a figure."""
    fig, axes = fixed_panels(2, len(weights), 4.3, 2.9, hspace=0.6, top=0.92, bottom=0.09)
    identity, outputs, deltas = np.eye(len(grad_output)), {}, {}
    for name, Ws in weights.items():
        _, cache = zero_bias_network(Ws, "tanh").forward(X)
        rests = [zero_bias_network([Z, *Ws[layer + 1:]], "tanh") for layer, Z in enumerate(cache.pre_activations)]
        outputs[name] = cache.layer_outputs
        deltas[name] = [rest.backward(rest.forward(identity)[1], grad_output)["W1"] for rest in rests]
    limit = max(float(np.quantile(np.abs(np.concatenate([d.ravel() for d in ds])), 0.995)) for ds in deltas.values())
    for column, name in enumerate(weights):
        top, bottom = axes[0, column], axes[1, column]
        _stairs_per_layer(top, outputs[name], (-1.0, 1.0))
        top.set(xlabel="activation tanh(z)", ylabel="fraction of units", title=f"{name}: activations")
        _stairs_per_layer(bottom, deltas[name], (-limit, limit))
        bottom.set(xlabel="back-propagated gradient dC/dz", ylabel="fraction of units", title=f"{name}: gradients")
    axes[0, 0].legend(fontsize=7)
    return fig


def training_curves(losses: Mapping[str, Sequence[float]], accuracies: Mapping[str, Sequence[float]],
                    accuracy_label: str = "test accuracy (%)") -> Figure:
    """Training loss (left, log scale) and an accuracy (right) after every epoch, one line per run."""
    fig, ((left, right),) = fixed_panels(1, 2, 4.3, 3.1, left=0.08)
    for colour, name in enumerate(losses):
        epochs = np.arange(1, len(losses[name]) + 1)
        left.plot(epochs, losses[name], lw=2, color=f"C{colour}", label=name)
        right.plot(epochs, 100 * np.asarray(accuracies[name]), lw=2, color=f"C{colour}", label=name)
    _plain_log_y(left)
    left.set(xlabel="epoch", ylabel="training loss (log scale)", title="training loss")
    right.set(xlabel="epoch", ylabel=accuracy_label, title=accuracy_label.split(" (")[0])
    left.legend(fontsize=8)
    right.grid(alpha=0.3)
    return fig


# --- the live explorer ---------------------------------------------------------------------

def histogram_axis(activation: str):
    """(low, high, x label, x ticks) of the explorer's activation histograms (``histogram_range``)."""
    low, high = histogram_range(activation)
    if log_histogram(activation):
        return low, high, f"log10 {activation}(z), over the units with z > 0", [-8, -4, 0, 4, 8]
    return low, high, f"activation {activation}(z)", [low, (low + high) / 2, high]


def histogram_top(tallest: float) -> float:
    """The histogram panel's y-limit for a tallest bin of ``tallest``: 5 % above it, rounded up to
    1, 1.5, 2, 3, 5 or 7.5 × 10^k (at most 1.05: a fraction never exceeds 1). Most slider moves
    then keep the limit, and the ticks and the rest of the background with it; the tallest bin
    still reaches above half the panel's height."""
    if not tallest > 0:
        return 1.0
    return min(round_up(1.05 * tallest, (1.0, 1.5, 2.0, 3.0, 5.0, 7.5, 10.0)), 1.05)


def std_axis_decades(*stds: np.ndarray) -> tuple[int, int]:
    """The right panel's y-range as powers of ten, ``(low, high)``: whole decades around every
    value of ``stds`` with a tenth of a decade to spare, and at least two decades, so that the
    default view is readable. An end beyond 10^±2 goes out to a multiple of four decades, so that
    most slider moves keep the axis (a new axis costs a full redraw)."""
    values = np.concatenate([np.ravel(s) for s in stds])
    values = values[(values > 0) & np.isfinite(values)]  # a dead layer's 0 has no decade
    if values.size == 0:
        return -1, 1
    exponents = np.log10(values)
    low, high = int(np.floor(exponents.min() - 0.1)), int(np.ceil(exponents.max() + 0.1))
    low = min(low, high - 2)
    return (4 * (low // 4) if low < -2 else low), (-4 * (-high // 4) if high > 2 else high)


def decade_ticks(low: int, high: int) -> tuple[list[float], list[str]]:
    """At most 7 ticks on the decades from 10^low to 10^high, with short plain labels (no mathtext)."""
    step = -(-(high - low) // 6)
    exponents = [k for k in range(low, high + 1) if k % step == 0]
    names = {-1: "0.1", 0: "1", 1: "10"}
    return [10.0 ** k for k in exponents], [names.get(k, f"1e{k}") for k in exponents]


def layer_axis_end(depth: int) -> int:
    """The last layer on the right panel's axis: ``depth`` rounded up to a multiple of 5, so the
    curves span most of the panel and the axis changes at only three depths."""
    return -(-depth // 5) * 5


class ExplorerView(LiveView):
    """The init explorer's figure (notebook 05). Left: per-layer histograms of the activations
    (dark = first layer, yellow = last). Right: per layer, the standard deviation of the
    activations and of the back-propagated errors δ = dC/dz, on a log scale.

    A control moves the histograms, the two curves and the titles. The axes are background, and
    ``background_key`` names what they follow: the activation (the histograms' range and label),
    the histograms' height (``histogram_top``), the layer axis (``layer_axis_end``) and the
    decades of the std axis (``std_axis_decades``), all quantised so that most moves keep them.
    Plain tick labels (no mathtext) keep it quick to draw. The standard deviations are what
    ``statistics`` gives: in notebook 05, the student's ``layer_statistics`` (None: the course's)."""

    def __init__(self, statistics=None):
        self.statistics = statistics or layer_statistics
        # Margins set by hand to fit every label: the layout stays fixed whatever the values.
        self.figure, ((self.left, self.right),) = fixed_panels(1, 2, 3.9, 3.0, left=0.085, right=0.985,
                                                               bottom=0.17, top=0.9, wspace=0.36)
        self.stairs = [self.left.stairs(np.zeros(BINS), np.linspace(0, 1, BINS + 1), lw=1.5)
                       for _ in range(MAX_DEPTH)]
        self.left.set(ylabel="fraction of units", title=" ")
        # 3 to 5 short tick labels (steps of 1, 2 or 5: no 0.025, whose width would push the label out)
        self.left.yaxis.set_major_locator(MaxNLocator(4, steps=[1, 2, 5, 10]))
        self.a_line, = self.right.plot([], [], "o-", lw=2, ms=4, color="C0")
        self.d_line, = self.right.plot([], [], "s--", lw=2, ms=4, color="C3")
        self.right.set_yscale("log")
        self.right.set(xlabel="layer", ylabel="std: activations (blue), dC/dz (red)", title=" ")
        self.right.xaxis.set_major_locator(MaxNLocator(4, integer=True))
        self.right.yaxis.set_minor_locator(NullLocator())
        self.right.grid(alpha=0.3)

    def update(self, scale: float = 1.0, depth: int = 10, width: int = 100, activation: str = "tanh",
               scheme: str = "xavier"):
        summary = explorer_summary(scale, depth, width, activation, scheme, self.statistics)
        low, high, xlabel, ticks = histogram_axis(activation)
        top = histogram_top(summary.fractions.max())  # background: background_key follows it
        self.left.set(xlim=(low, high), ylim=(0, top), xticks=ticks, xlabel=xlabel)
        self.right.set_xlim(0.5, layer_axis_end(depth) + 0.5)  # background too
        low_decade, high_decade = std_axis_decades(summary.activation_std, summary.delta_std)  # and this
        self.right.set_ylim(10.0 ** low_decade, 10.0 ** high_decade)
        self.right.set_yticks(*decade_ticks(low_decade, high_decade))
        edges = np.linspace(low, high, BINS + 1)
        for layer, artist in enumerate(self.stairs):
            artist.set_visible(layer < depth)
        for artist, fraction, colour in zip(self.stairs, summary.fractions, layer_colours(depth)):
            artist.set_data(fraction, edges)
            artist.set_color(colour)
        self.left.title.set_text(f"activations, layer 1 (dark) to {depth} (yellow)")
        layers = np.arange(1, depth + 1)
        self.a_line.set_data(layers, summary.activation_std)
        self.d_line.set_data(layers, summary.delta_std)
        self.right.title.set_text(f"{init.SCHEMES[scheme].label}, std × {scale:.2f}")
        # The spines go over the histograms' end and zero bins, and over curves leaving the panel.
        return [*self.stairs[:depth], *self.left.spines.values(), self.left.title, self.a_line, self.d_line,
                *self.right.spines.values(), self.right.title]

    def background_key(self, scale: float = 1.0, depth: int = 10, width: int = 100, activation: str = "tanh",
                       scheme: str = "xavier"):
        summary = explorer_summary(scale, depth, width, activation, scheme, self.statistics)
        return (activation, histogram_top(summary.fractions.max()), layer_axis_end(depth),
                std_axis_decades(summary.activation_std, summary.delta_std))
