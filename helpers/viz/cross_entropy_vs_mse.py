r"""Figures for notebook 02: how hard each cost pushes a sigmoid output, and what that does
to learning. Each function builds and returns a matplotlib ``Figure`` (no pyplot).

For a target :math:`y = 0` and output :math:`a = \sigma(z)`, ``push_versus_output`` draws the
push on :math:`z`, :math:`|\partial C/\partial z|`, that each cost gives.
"""
from __future__ import annotations

import functools
from typing import Callable, Mapping

import numpy as np
from matplotlib.artist import Artist
from matplotlib.figure import Figure

from helpers.viz.figures import fixed_panels  # importing figures also registers the PNG display in Jupyter
from helpers.experiments.cross_entropy_vs_mse import COSTS, NeuronRun, TrainingRecord, neuron_run
from helpers.viz.live import LiveView, round_up

COST_LABELS = {"mse": "quadratic", "cross_entropy": "cross-entropy"}
COST_STYLES = {"mse": "--", "cross_entropy": "-"}


def _panels(n_columns: int, width: float, height: float):
    fig, (axes,) = fixed_panels(1, n_columns, width, height, left=0.1 / n_columns, bottom=0.16)
    return fig, axes


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


class SlowdownView(LiveView):
    r"""One neuron (input 1, target 0) trained with both costs from one or more starts.

    Panels: the quadratic cost, the cross-entropy cost (one line per start), and the output
    :math:`a` (colour = start, line style = cost), epochs on the x-axis. Every epoch moves
    :math:`z = w + b` by :math:`-2\eta\,\delta`, against the sign of :math:`\partial C/\partial z`:
    both costs only fall, so a panel's top is set by the start. ``delta_functions`` (cost → the
    notebook's ``delta_mse(Z, Y)`` or ``delta_cross_entropy(Z, Y)``, the student's) gives the
    slider's steps their :math:`\delta`; without it, the course's.

    With one start this is the slider's view (``update(w, b, learning_rate)``): the x-axis spans
    ``epochs``, the output panel is fixed to [0, 1], and each cost panel's top is rounded up to a
    round number (``background_key``), so most slider moves redraw only the curves and a title.
    """

    def __init__(self, n_starts: int = 1, epochs: int = 300, delta_functions: Mapping[str, Callable] | None = None):
        self.deltas = None if delta_functions is None else tuple(delta_functions[cost] for cost in COSTS)
        self.several = n_starts > 1  # with one start, its label goes in the title instead of three legends
        self.epochs = int(epochs)
        self.figure = Figure(figsize=(9.9, 2.8))
        # Fixed margins, not a layout engine: they fit the widest tick labels a start can need
        # (0.125) and the legend beside the last panel, so the picture holds still while w and b move.
        self.figure.subplots_adjust(left=0.07, right=0.875, bottom=0.16, top=0.88, wspace=0.4)
        axes = self.figure.subplots(1, 3)
        self.cost_panels = dict(zip(COSTS, axes[:2]))
        self.output_panel = axes[2]
        last = max(self.epochs - 1, 1)
        span = (-0.05 * last, 1.05 * last)  # matplotlib's usual 5 % margins
        self.output_panel.axhline(0.0, color="0.6", lw=0.8, ls=":")  # first: under the curves, as a redraw puts it
        self.cost_lines = {cost: [] for cost in COSTS}
        self.output_lines = []  # start by start, each cost in COSTS order
        for start in range(n_starts):
            for cost, panel in self.cost_panels.items():
                self.cost_lines[cost] += panel.plot([], [], color=f"C{start}", lw=2)
            for cost in COSTS:
                self.output_lines += self.output_panel.plot([], [], color=f"C{start}", lw=1.8, ls=COST_STYLES[cost],
                                                            label=COST_LABELS[cost])
        for cost, panel in self.cost_panels.items():
            panel.set(xlabel="epoch", ylabel="cost", xlim=span, title=f"{COST_LABELS[cost]} cost")
        self.output_panel.set(xlabel="epoch", ylabel="output a", xlim=span, ylim=(-0.02, 1.02), title=" ")
        self.title = self.output_panel.title
        self._output_legend()

    def show(self, runs: Mapping[str, Mapping[str, NeuronRun]]) -> list[Artist]:
        """Draw ``runs`` (label → {cost: NeuronRun}, ``n_starts`` of them); returns the artists that moved."""
        for start, (label, by_cost) in enumerate(runs.items()):
            for cost in COSTS:
                line = self.cost_lines[cost][start]
                line.set_data(np.arange(len(by_cost[cost].costs)), by_cost[cost].costs)
                line.set_label(label)
                output = self.output_lines[start * len(COSTS) + COSTS.index(cost)]
                output.set_data(np.arange(len(by_cost[cost].outputs)), by_cost[cost].outputs)
                if self.several:
                    output.set_label(f"{COST_LABELS[cost]}, {label}")
        for cost, top in zip(COSTS, _cost_tops(runs)):
            self.cost_panels[cost].set_ylim(0.0, top)
        if self.several:  # a static picture: legends name the starts
            for panel in self.cost_panels.values():
                panel.legend(fontsize=7, loc="upper right")
            self._output_legend()
        self.title.set_text("output (target 0)" if self.several else f"output, {next(iter(runs))}")
        return [*self.cost_lines["mse"], *self.cost_lines["cross_entropy"], *self.output_lines, self.title]

    def update(self, w: float = 2.0, b: float = 2.0, learning_rate: float = 0.15) -> list[Artist]:
        return self.show(_one_start(w, b, learning_rate, self.epochs, self.deltas))

    def background_key(self, w: float = 2.0, b: float = 2.0, learning_rate: float = 0.15):
        return _cost_tops(_one_start(w, b, learning_rate, self.epochs, self.deltas))

    def _output_legend(self) -> None:
        self.output_panel.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0))  # beside the panel, off the curves


@functools.lru_cache(maxsize=64)
def _one_start(w: float, b: float, learning_rate: float, epochs: int, deltas: tuple | None) -> dict:
    """Both costs' runs from (w, b): 2 × 300 epochs of a Python loop (a third of a millisecond),
    remembered because a redraw asks twice (curves, then background) and a slider comes back to
    the values it had. ``deltas``: one ``delta_function`` per cost of ``COSTS``, or None (the course's)."""
    deltas = deltas or (None,) * len(COSTS)
    return {f"start ({w:.2f}, {b:.2f})": {cost: neuron_run(w, b, learning_rate, epochs, cost, delta_function=delta)
                                          for cost, delta in zip(COSTS, deltas)}}


def _cost_tops(runs: Mapping[str, Mapping[str, NeuronRun]]) -> tuple:
    """Each cost panel's top: the highest cost of any start, rounded up to 1, 2 or 5 × a power of 10,
    and at least 0.1. Rounded coarsely, the axis stays put while a slider moves the start (a new
    top redraws the whole background: 60–80 ms); the curve still fills 40–100 % of the panel.
    Below 0.1, a start that is already right shows as a flat line near 0 rather than as tiny
    ticks (1e−8) that crowd the next panel."""
    tops = []
    for cost in COSTS:
        highest = max(0.1, 1.02 * max(float(np.max(by_cost[cost].costs)) for by_cost in runs.values()))
        tops.append(round_up(highest))
    return tuple(tops)


def learning_slowdown(runs: Mapping[str, Mapping[str, NeuronRun]]) -> Figure:
    """One neuron trained with both costs from one or more starts, side by side (see ``SlowdownView``).

    ``runs`` maps a label (e.g. "start (2.0, 2.0)") to ``{"mse": NeuronRun, "cross_entropy": NeuronRun}``.
    """
    epochs = max(len(run.costs) for by_cost in runs.values() for run in by_cost.values())
    view = SlowdownView(len(runs), epochs)
    view.show(runs)
    return view.figure


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
