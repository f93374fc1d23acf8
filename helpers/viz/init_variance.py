r"""Static figures of notebook 05 (the variance of the initial weights): a saturated neuron's
input and output, per-layer statistics against depth, Glorot & Bengio's per-layer histograms,
and training curves. Each function returns a matplotlib ``Figure`` (no pyplot); the live
explorer is ``helpers.experiments.init_variance.ExplorerView``.

A neuron with :math:`n` inputs :math:`x_i` and weights :math:`w_i \sim \mathcal N(0, \sigma^2)`
has :math:`z = \sum_i w_i x_i + b` with :math:`\mathrm{Var}\,z = \sigma^2 \sum_i x_i^2 + \mathrm{Var}\,b`.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

from helpers.activations import sigmoid
from helpers.experiments.init_variance import layer_colours, fixed_panels, back_propagate, propagate


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
    of weight matrices), per-layer histograms of the activations (top) and of δ = dC/dz (bottom)."""
    fig, axes = fixed_panels(2, len(weights), 4.3, 2.9, hspace=0.6, top=0.92, bottom=0.09)
    outputs = {name: propagate(X, Ws, "tanh") for name, Ws in weights.items()}
    deltas = {name: back_propagate(outputs[name], Ws, "tanh", grad_output) for name, Ws in weights.items()}
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
