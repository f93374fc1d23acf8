r"""Figures for notebook 02: how hard each cost pushes a sigmoid output, and what that does
to learning. Each function builds and returns a matplotlib ``Figure`` (no pyplot).

For a target :math:`y = 0` and output :math:`a = \sigma(z)`, the push on :math:`z` is
:math:`|\partial C/\partial z| = a\,\sigma'(z) = a^2(1 - a)` for the quadratic cost, which
vanishes as :math:`a \to 1` (the most wrong), and :math:`a` for cross-entropy.
"""
from __future__ import annotations

from typing import Mapping

import numpy as np
from matplotlib.figure import Figure

from . import plots  # noqa: F401  (registers the PNG display of figures in Jupyter)
from .costs import COSTS, NeuronRun, TrainingRecord, neuron_run

COST_LABELS = {"mse": "quadratic", "cross_entropy": "cross-entropy"}
COST_STYLES = {"mse": "--", "cross_entropy": "-"}


def _panels(n_columns: int, width: float, height: float):
    # A fixed layout (no constrained layout) halves the drawing time of a slider's redraw;
    # figure_png's tight bounding box still keeps every label in the picture.
    fig = Figure(figsize=(width * n_columns, height))
    fig.subplots_adjust(left=0.1 / n_columns, right=0.98, bottom=0.16, top=0.88, wspace=0.3)
    return fig, fig.subplots(1, n_columns, squeeze=False)[0]


def push_versus_output() -> Figure:
    r"""Left: each cost as a function of the output :math:`a` when the target is 0.
    Right: the push :math:`|\partial C/\partial z|` it gives, which is what gradient descent feels."""
    a = np.linspace(0.001, 0.999, 400)
    fig, (left, right) = _panels(2, 4.2, 3.0)
    left.plot(a, 0.5 * a**2, "C1", ls=COST_STYLES["mse"], lw=2, label=r"quadratic $\frac{1}{2} a^2$")
    left.plot(a, -np.log1p(-a), "C0", lw=2, label=r"cross-entropy $-\ln(1-a)$")
    left.set(xlabel="output a (target 0)", ylabel="cost", ylim=(0, 4), title="cost")
    left.legend(fontsize=8, loc="upper left")
    right.plot(a, a**2 * (1 - a), "C1", ls=COST_STYLES["mse"], lw=2, label=r"quadratic $a\,\sigma'(z) = a^2(1-a)$")
    right.plot(a, a, "C0", lw=2, label="cross-entropy $a$")
    right.axvspan(0.9, 1.0, color="C3", alpha=0.12, label="saturated and wrong")
    right.set(xlabel="output a (target 0)", ylabel=r"$|\partial C/\partial z|$", ylim=(0, 1.02),
              title="push on z: what the gradient feels")
    right.legend(fontsize=8, loc="upper left")
    return fig


def learning_slowdown(runs: Mapping[str, Mapping[str, NeuronRun]]) -> Figure:
    """One neuron trained with both costs from one or more starts, side by side.

    ``runs`` maps a label (e.g. "start (2.0, 2.0)") to ``{"mse": NeuronRun, "cross_entropy": NeuronRun}``.
    Panels: quadratic cost, cross-entropy cost (one line per start), and the output ``a``
    (colour = start, line style = cost). Epochs on the x-axis.
    """
    fig, axes = _panels(3, 3.3, 2.8)
    several = len(runs) > 1  # with one start, its label goes in the title instead of three legends
    for colour, (label, by_cost) in enumerate(runs.items()):
        for panel, cost in zip(axes[:2], COSTS):
            costs = np.asarray(by_cost[cost].costs)
            panel.plot(np.arange(costs.size), costs, color=f"C{colour}", lw=2, label=label)
        for cost in COSTS:
            outputs = np.asarray(by_cost[cost].outputs)
            axes[2].plot(np.arange(outputs.size), outputs, color=f"C{colour}", lw=1.8, ls=COST_STYLES[cost],
                         label=f"{COST_LABELS[cost]}, {label}" if several else COST_LABELS[cost])
    for panel, cost in zip(axes[:2], COSTS):
        highest = max(float(np.max(by_cost[cost].costs)) for by_cost in runs.values())
        panel.set(xlabel="epoch", ylabel="cost", ylim=(0, 1.08 * highest or 1.0), title=f"{COST_LABELS[cost]} cost")
        if several:
            panel.legend(fontsize=7, loc="upper right")
    title = "output (target 0)" if several else f"output, {next(iter(runs))}"
    axes[2].set(xlabel="epoch", ylabel="output a", ylim=(-0.02, 1.02), title=title)
    axes[2].axhline(0.0, color="0.6", lw=0.8, ls=":")
    axes[2].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0))  # beside the panel, off the curves
    return fig


def learning_slowdown_from(w: float = 2.0, b: float = 2.0, learning_rate: float = 0.15,
                           epochs: int = 300) -> Figure:
    """``learning_slowdown`` for one start (w, b): input 1, target 0, both costs (a slider's figure)."""
    label = f"start ({w:.2f}, {b:.2f})"
    runs = {label: {cost: neuron_run(w, b, learning_rate, epochs, cost) for cost in COSTS}}
    return learning_slowdown(runs)


def training_comparison(records: Mapping[str, TrainingRecord]) -> Figure:
    """Networks trained with different costs: test accuracy per epoch, and each training
    cost relative to its starting value (the two costs have different units)."""
    fig, (left, right) = _panels(2, 4.2, 3.0)
    for label, record in records.items():
        style = COST_STYLES.get(label, "-")
        epochs = np.arange(len(record.test_accuracy))
        left.plot(epochs, 100 * np.asarray(record.test_accuracy), lw=2, ls=style,
                  label=COST_LABELS.get(label, label))
        cost = np.asarray(record.train_cost)
        right.plot(epochs, cost / cost[0], lw=2, ls=style, label=COST_LABELS.get(label, label))
    left.set(xlabel="epoch", ylabel="test accuracy (%)", ylim=(0, 100), title="test accuracy")
    right.set(xlabel="epoch", ylabel="cost / cost before training", yscale="log",
              title="training cost, relative")
    for panel in (left, right):
        panel.legend(fontsize=8)
    return fig
