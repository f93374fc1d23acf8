r"""Figures for notebook 08 (universal approximation): steps, bumps, towers and depth, and the
widgets' live views (the bump explorer, Nielsen's challenge).

Each function builds and returns a matplotlib ``Figure`` (no pyplot), like ``helpers.viz.figures``.
The views are ``LiveView``\ s (see ``helpers.viz.live``): built once, then a slider only moves the
network's curve, its error and the scores; the target and the axes stay in the background.

A bump network's output never leaves the range of its heights and 0: it is
:math:`\sum_j h_j[\sigma(k(x - s_j)) - \sigma(k(x - s_{j+1}))]`, a combination of the :math:`h_j`
with non-negative weights that add up to at most 1. So the target's range with 0 fixes the
y-limits, whatever N and k.
"""
from __future__ import annotations

from typing import Callable, Mapping, Sequence

import numpy as np
from matplotlib.colors import PowerNorm
from matplotlib.figure import Figure

from helpers.datasets import get_target_function
from helpers.network import MLP
from helpers.experiments import universal_approximation
from helpers.experiments.universal_approximation import CHALLENGE_BUMPS, GRID
from helpers.viz.live import LiveView
from helpers.viz.figures import plain_log_y

X_LIMITS = (-0.05, 1.05)  # [0, 1] with matplotlib's default 5 % margins


def _output(params: dict, x=GRID) -> np.ndarray:
    """The one-hidden-layer sigmoid network ``params`` (the layout of a bump network) at the points x."""
    net = MLP(universal_approximation.as_network_params(params), ["sigmoid", "identity"])
    return net.predict(np.reshape(x, (-1, 1)))[:, 0]


def steps_and_bump(position: float = 0.4, steepnesses: Sequence[float] = (5, 20, 100),
                   bump_edges=(0.3, 0.6), height: float = 0.8, *,
                   step: Callable = universal_approximation.step) -> Figure:
    """Left: σ(k(x − s)) for growing k, turning into a step at s. Right: two steep steps,
    weighted +h and −h, and the bump they make. ``step(x, position, steepness)`` computes each
    step (the student's own, in the notebook)."""
    fig = Figure(figsize=(10.0, 3.3), layout="constrained")
    left, right = fig.subplots(1, 2)
    for k in steepnesses:
        left.plot(GRID, step(GRID, position, k), lw=2, label=f"k = {k:g}")
    left.axvline(position, color="0.5", lw=0.8, ls=":")
    left.set(xlabel="x", ylabel="output", title=f"one neuron, w = k, b = −k·{position}: a step at x = {position}")
    left.legend(fontsize=8)
    s1, s2 = bump_edges
    rising, falling = height * step(GRID, s1, 200), -height * step(GRID, s2, 200)
    right.plot(GRID, rising, ls="--", lw=1.2, color="C0", label=f"+{height} × step at {s1}")
    right.plot(GRID, falling, ls="--", lw=1.2, color="C1", label=f"−{height} × step at {s2}")
    right.plot(GRID, rising + falling, lw=2.5, color="C2", label="their sum: a bump")
    right.set(xlabel="x", title="two neurons make a bump")
    right.legend(fontsize=8, loc="lower left")
    return fig


def error_against_bumps(results: Mapping[str, tuple[np.ndarray, np.ndarray]], counts) -> Figure:
    """Max (solid) and mean (dashed) error against the number of bumps, log–log, for each
    target label → ``(max errors, mean errors)``; a dotted line shows the slope 1/N."""
    counts = np.asarray(counts, dtype=float)
    fig = Figure(figsize=(6.4, 3.8), layout="constrained")
    ax = fig.subplots()
    for index, (label, (max_errors, mean_errors)) in enumerate(results.items()):
        ax.plot(counts, max_errors, marker="o", lw=2, color=f"C{index}", label=f"{label}: max")
        ax.plot(counts, mean_errors, marker=".", lw=1.2, ls="--", color=f"C{index}", label=f"{label}: mean")
    first = max(r[0][0] for r in results.values())
    ax.plot(counts, first * counts[0] / counts, ls=":", color="0.3", label="∝ 1/N")
    ax.set(xscale="log", yscale="log", xlabel="number of bumps N", ylabel="error on [0, 1]",
           title="error as bumps are added (steepness k = 200 N)")
    ax.legend(fontsize=7.5, ncol=2)
    return fig


def towers(f, net, samples_per_cell: int = 10) -> Figure:
    """The 2-D target f(x, y), a tower network's output and the gap between them on the unit square.

    ``net`` is an ``universal_approximation.tower_network`` of n × n towers. The image samples every cell at
    ``samples_per_cell`` points per side, so every corner of the grid is sampled: there all four
    towers that meet are off and the output falls to about 0, the largest errors. The error's
    colour scale (a square root, so that the small errors inside the cells stay visible) reaches
    that maximum.
    """
    cells = int(round(np.sqrt(net.layer_sizes[2])))
    g = np.linspace(0.0, 1.0, samples_per_cell * cells + 1)
    X, Y = np.meshgrid(g, g)
    truth = f(X, Y)
    output = net.predict(np.column_stack([X.ravel(), Y.ravel()]))[:, 0].reshape(X.shape)
    fig = Figure(figsize=(10.0, 3.4), layout="constrained")
    axes = fig.subplots(1, 3)
    low, high = float(truth.min()), float(truth.max())
    for ax, image, title in zip(axes, (truth, output), ("target f(x, y)", f"{universal_approximation.hidden_units(net)} hidden neurons of towers")):
        shown = ax.imshow(image, origin="lower", extent=(0, 1, 0, 1), vmin=low, vmax=high, cmap="viridis")
        ax.set(title=title, xlabel="x", ylabel="y")
    fig.colorbar(shown, ax=axes[:2], shrink=0.85)
    gap = np.abs(truth - output)
    error = axes[2].imshow(gap, origin="lower", extent=(0, 1, 0, 1), cmap="magma",
                           norm=PowerNorm(0.5, vmin=0.0, vmax=float(gap.max())))
    axes[2].set(title=f"|error|: mean {gap.mean():.3f}, max {gap.max():.2f}", xlabel="x")
    fig.colorbar(error, ax=axes[2], shrink=0.85)
    return fig


def depth_and_width(parity: Mapping[str, Sequence[int]], bits: Sequence[int],
                    sawtooth: Mapping[str, Sequence[int]], depths: Sequence[int]) -> Figure:
    """Hidden units needed against problem size, log scale: parity of n bits (left) and the
    sawtooth with 2^d pieces (right); each mapping is construction → unit counts."""
    fig = Figure(figsize=(10.0, 3.6), layout="constrained")
    left, right = fig.subplots(1, 2)
    for ax, table, xs, xlabel, title in ((left, parity, bits, "number of bits n", "n-bit parity"),
                                         (right, sawtooth, depths, "d (the sawtooth has 2^d pieces)",
                                          "sawtooth: the tent map composed d times")):
        for label, units in table.items():
            ax.plot(xs, units, marker="o", lw=2, label=label)
        plain_log_y(ax)
        ax.set(xlabel=xlabel, ylabel="hidden units", title=title)
        ax.legend(fontsize=8)
    return fig


def sawtooth_curves(depths: Sequence[int] = (1, 2, 3, 4)) -> Figure:
    """The output of ``universal_approximation.sawtooth_network(d)`` on [0, 1] for each d."""
    fig = Figure(figsize=(6.4, 3.3), layout="constrained")
    ax = fig.subplots()
    for d in depths:
        ax.plot(GRID, universal_approximation.sawtooth_network(int(d)).predict(GRID[:, None])[:, 0], lw=1.6,
                label=f"d = {d}: {2 * d} ReLUs, {2 ** d} pieces")
    ax.set(xlabel="x", ylabel="output", title="a deep ReLU network folding [0, 1] onto itself")
    fig.legend(fontsize=8, loc="outside lower center", ncol=2, frameon=False)
    return fig


def built_and_trained(target: str, networks: Mapping[str, dict], units: Mapping[str, dict] | None = None,
                      x=GRID) -> Figure:
    """Top: the target with the outputs on ``x`` of one-hidden-layer sigmoid networks (label → params).
    Below, one panel per network in ``units`` (label → its params): what each hidden unit adds to the
    output, v σ(w x + b)."""
    units = units or {}
    f = get_target_function(target)
    fig = Figure(figsize=(6.6, 3.4 + 2.4 * bool(units)), layout="constrained")
    grid = fig.add_gridspec(1 + bool(units), max(1, len(units)), height_ratios=(3.4, 2.4)[:1 + bool(units)])
    ax = fig.add_subplot(grid[0, :])
    ax.plot(x, f(x), color="0.3", lw=3, label="target")
    for index, (label, params) in enumerate(networks.items()):
        ax.plot(x, _output(params, x), lw=1.6, color=f"C{index + 1}", label=label)
    ax.set(xlabel="x", ylabel="output", title=f"the same architecture, built or trained ({target})")
    ax.legend(fontsize=8)
    for column, (label, params) in enumerate(units.items()):
        panel = fig.add_subplot(grid[1, column], sharey=fig.axes[-1] if column else None)
        _, cache = MLP(params, ["sigmoid", "identity"]).forward(x[:, None])
        panel.plot(x, cache.layer_outputs[0] * params[universal_approximation.W2][:, 0], lw=1.0)
        panel.set(xlabel="x", title=f"{label}: each hidden unit's share", xlim=X_LIMITS)
        panel.title.set_fontsize(9)
    return fig


# --- live views ------------------------------------------------------------------------------

class BumpView(LiveView):
    r"""Top: the target f and the network of N bumps of steepness k that approximates it
    (heights :math:`h_j = f(c_j)` at the pieces' centres, see ``helpers.experiments.universal_approximation``); the
    title gives the max and mean of :math:`|f - \text{net}|` on [0, 1]. Bottom: that error.

    Moves the network's curve, the legend (its label counts the neurons), the title, the error,
    its max line and the error's y-axis, whose top follows the error (1.1 × its max): drawing
    that axis alone is cheaper than a new background. The background (the target, the axes and
    the x ticks) is redrawn only when the target changes.
    """

    def __init__(self, *, bump_network: Callable = universal_approximation.bump_network):
        self.bump_network = bump_network  # the student's own, in the notebook
        self.figure = Figure(figsize=(6.6, 4.4))
        self.figure.subplots_adjust(left=0.1, right=0.98, bottom=0.1, top=0.91, hspace=0.08)
        self.top, self.bottom = self.figure.subplots(2, 1, sharex=True, height_ratios=(2.2, 1))
        self.truth, = self.top.plot(GRID, GRID, color="0.3", lw=2.5, label="target f(x)")
        self.output, = self.top.plot(GRID, GRID, color="C3", lw=1.6, label=" ")
        self.legend = self.top.legend(fontsize=8, loc="upper left")
        self.top.set(ylabel="output", xlim=X_LIMITS, title=" ")
        self.title = self.top.title
        # a polygon, not fill_between, so that an update can move its outline
        self.error = self.bottom.fill(GRID, GRID, color="C3", alpha=0.4, lw=0)[0]
        self.worst = self.bottom.axhline(0.0, color="C3", lw=0.8, ls=":")
        self.bottom.set(xlabel="x", ylabel="|error|")

    def update(self, target: str = "sine", n_bumps: int = 10, steepness: float = 1000.0):
        n_bumps = int(n_bumps)
        f = get_target_function(target)
        truth = f(GRID)
        output = _output(self.bump_network(f, n_bumps, steepness))
        gap = np.abs(truth - output)
        self.truth.set_ydata(truth)  # the background: it changes with the target only (background_key)
        low, high = min(0.0, truth.min()), max(0.0, truth.max())  # the network stays in there
        self.top.set_ylim(low - 0.05 * (high - low), high + 0.05 * (high - low))
        self.output.set_ydata(output)
        self.legend.get_texts()[1].set_text(f"{n_bumps} bumps = {2 * n_bumps} hidden neurons")
        self.title.set_text(f"{target}: max error {gap.max():.3f}, mean error {gap.mean():.4f} (k = {steepness:.0f})")
        self.error.set_xy(np.concatenate([np.column_stack([GRID, gap]), [[1.0, 0.0], [0.0, 0.0]]]))
        self.worst.set_ydata([gap.max()] * 2)
        self.bottom.set_ylim(0.0, max(0.05, 1.1 * gap.max()))
        # the legend over the curve that may cross it, as in a full draw
        return [self.output, self.legend, self.title, self.error, self.worst, self.bottom.yaxis]

    def background_key(self, target: str = "sine", n_bumps: int = 10, steepness: float = 1000.0):
        return target


class ChallengeView(LiveView):
    r"""Nielsen's challenge: ten bumps of heights :math:`h_0, \dots, h_9` on the tenths of [0, 1]
    against a target f, the gap between them shaded, and the title scoring the average deviation
    :math:`\frac{1}{|x|}\sum_x |f(x) - \text{net}(x)|` beside the best these bumps allow (the
    medians of f over the pieces, see ``helpers.experiments.universal_approximation.challenge_heights``).

    Moves the bumps' curve, the shading and the title. The target curve is redrawn too, over the
    shading as in a full draw; the axes and the (opaque) legend stay in the background.
    """

    def __init__(self, target: str = "wiggly", *, bump_network: Callable = universal_approximation.bump_network):
        self.bump_network = bump_network  # the student's own, in the notebook
        self.truth_values = get_target_function(target)(GRID)
        self.best = universal_approximation.average_deviation(universal_approximation.challenge_heights(target), target,
                                                              bump_network=bump_network)
        self.figure = Figure(figsize=(6.6, 3.3))
        self.figure.subplots_adjust(left=0.1, right=0.98, bottom=0.14, top=0.88)
        ax = self.figure.subplots()
        self.truth, = ax.plot(GRID, self.truth_values, color="0.3", lw=2.5, label="target")
        self.output, = ax.plot(GRID, GRID, color="C3", lw=2, label="your bumps")
        self.gap = ax.fill(GRID, GRID, color="C3", alpha=0.15, lw=0)[0]
        ax.set(xlabel="x", xlim=X_LIMITS, ylim=(-0.1, 1.3), title=" ")
        self.overlays = [ax.legend(fontsize=8, loc="upper left", framealpha=1.0)]  # opaque: curves pass under it
        self.title = ax.title

    def update(self, **heights):
        values = np.array([heights.get(f"h{i}", 0.0) for i in range(CHALLENGE_BUMPS)], dtype=float)
        output = _output(self.bump_network(lambda centres: values, CHALLENGE_BUMPS, 2000.0))
        score = float(np.mean(np.abs(self.truth_values - output)))
        self.output.set_ydata(output)
        self.gap.set_xy(np.concatenate([np.column_stack([GRID, self.truth_values]),
                                        np.column_stack([GRID[::-1], output[::-1]])]))
        self.title.set_text(f"average deviation {score:.3f}   "
                            f"(best possible with {CHALLENGE_BUMPS} bumps: {self.best:.3f})")
        # drawing order of a full draw: the shading (a patch) under both curves
        return [self.gap, self.truth, self.output, self.title]

