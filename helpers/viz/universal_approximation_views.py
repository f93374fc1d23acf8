r"""Notebook 08's live figures: a bump network against its target, and Nielsen's challenge.

Both are ``LiveView``\ s (see ``helpers.viz.live``): built once, then a slider only moves the network's
curve, its error and the scores; the target and the axes stay in the background.

A bump network's output never leaves the range of its heights and 0: it is
:math:`\sum_j h_j[\sigma(k(x - s_j)) - \sigma(k(x - s_{j+1}))]`, a combination of the :math:`h_j`
with non-negative weights that add up to at most 1. So the target's range with 0 fixes the
y-limits, whatever N and k.
"""
from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from helpers.experiments import universal_approximation as approximation
from helpers.viz.universal_approximation import CHALLENGE_BUMPS, GRID, average_deviation, challenge_heights
from helpers.datasets import get_target_function
from helpers.viz.live import LiveView

X_LIMITS = (-0.05, 1.05)  # [0, 1] with matplotlib's default 5 % margins


class BumpView(LiveView):
    r"""Top: the target f and the network of N bumps of steepness k that approximates it
    (heights :math:`h_j = f(c_j)` at the pieces' centres, see ``helpers.experiments.universal_approximation``); the
    title gives the max and mean of :math:`|f - \text{net}|` on [0, 1]. Bottom: that error.

    Moves the network's curve, the legend (its label counts the neurons), the title, the error,
    its max line and the error's y-axis, whose top follows the error (1.1 × its max): drawing
    that axis alone is cheaper than a new background. The background (the target, the axes and
    the x ticks) is redrawn only when the target changes.
    """

    def __init__(self):
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
        output = approximation.network_output(approximation.bump_network(f, n_bumps, steepness), GRID)
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
    medians of f over the pieces, see ``approx_plots.challenge_heights``).

    Moves the bumps' curve, the shading and the title. The target curve is redrawn too, over the
    shading as in a full draw; the axes and the (opaque) legend stay in the background.
    """

    def __init__(self, target: str = "wiggly"):
        self.truth_values = get_target_function(target)(GRID)
        self.best = average_deviation(challenge_heights(target), target)
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
        params = approximation.bump_network(lambda centres: values, CHALLENGE_BUMPS, 2000.0)
        output = approximation.network_output(params, GRID)
        score = float(np.mean(np.abs(self.truth_values - output)))
        self.output.set_ydata(output)
        self.gap.set_xy(np.concatenate([np.column_stack([GRID, self.truth_values]),
                                        np.column_stack([GRID[::-1], output[::-1]])]))
        self.title.set_text(f"average deviation {score:.3f}   "
                            f"(best possible with {CHALLENGE_BUMPS} bumps: {self.best:.3f})")
        # drawing order of a full draw: the shading (a patch) under both curves
        return [self.gap, self.truth, self.output, self.title]

