"""Figures for notebook 08 (universal approximation): steps, bumps, towers and depth.

Each function builds and returns a matplotlib ``Figure`` (no pyplot), like ``helpers.viz.figures``. The
widgets' figures (the bump explorer, Nielsen's challenge) are views in ``helpers.viz.universal_approximation_views``.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
from matplotlib.colors import PowerNorm
from matplotlib.figure import Figure

from helpers.experiments import universal_approximation as approximation
from helpers.datasets import get_target_function
from helpers.viz.optimisers import plain_log_y

GRID = np.linspace(0.0, 1.0, 601)
CHALLENGE_BUMPS = 10


def steps_and_bump(position: float = 0.4, steepnesses: Sequence[float] = (5, 20, 100),
                   bump_edges=(0.3, 0.6), height: float = 0.8) -> Figure:
    """Left: σ(k(x − s)) for growing k, turning into a step at s. Right: two steep steps,
    weighted +h and −h, and the bump they make."""
    fig = Figure(figsize=(10.0, 3.3), layout="constrained")
    left, right = fig.subplots(1, 2)
    for k in steepnesses:
        left.plot(GRID, approximation.step(GRID, position, k), lw=2, label=f"k = {k:g}")
    left.axvline(position, color="0.5", lw=0.8, ls=":")
    left.set(xlabel="x", ylabel="output", title=f"one neuron, w = k, b = −k·{position}: a step at x = {position}")
    left.legend(fontsize=8)
    s1, s2 = bump_edges
    right.plot(GRID, height * approximation.step(GRID, s1, 200), ls="--", lw=1.2, color="C0",
               label=f"+{height} × step at {s1}")
    right.plot(GRID, -height * approximation.step(GRID, s2, 200), ls="--", lw=1.2, color="C1",
               label=f"−{height} × step at {s2}")
    right.plot(GRID, approximation.bump(GRID, s1, s2, height, 200), lw=2.5, color="C2", label="their sum: a bump")
    right.set(xlabel="x", title="two neurons make a bump")
    right.legend(fontsize=8, loc="lower left")
    return fig


def bump_approximation(target: str = "sine", n_bumps: int = 10, steepness: float = 1000.0) -> Figure:
    """The widget's figure: the target, its N-bump network and (below) the absolute error; a
    static picture of ``approx_views.BumpView`` (see there)."""
    from helpers.viz.universal_approximation_views import BumpView  # here, not at the top: approx_views imports this module

    return BumpView().draw(target=target, n_bumps=n_bumps, steepness=steepness)


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


def challenge_heights(target: str = "wiggly") -> np.ndarray:
    """Heights that minimise the average deviation for the challenge's bumps: the median
    of the target over each piece (a median minimises a mean absolute deviation)."""
    f = get_target_function(target)
    pieces = np.linspace(0.0, 1.0, CHALLENGE_BUMPS + 1)
    return np.array([np.median(f(np.linspace(a, b, 201))) for a, b in zip(pieces[:-1], pieces[1:])])


def average_deviation(heights, target: str = "wiggly") -> float:
    """Mean |f − bumps| over [0, 1] for the challenge's bumps with these heights."""
    heights = np.asarray(heights, dtype=float)
    params = approximation.bump_network(lambda c: heights, CHALLENGE_BUMPS, 2000.0)
    return float(np.mean(np.abs(get_target_function(target)(GRID) - approximation.network_output(params, GRID))))


def bump_challenge(target: str = "wiggly", **heights) -> Figure:
    """Nielsen's challenge: bumps of the given heights (``h0`` … ``h9``) against the target,
    scored by the average deviation; the best score these bumps allow is shown for comparison.
    A static picture of ``approx_views.ChallengeView`` (see there)."""
    from helpers.viz.universal_approximation_views import ChallengeView  # here, not at the top: approx_views imports this module

    return ChallengeView(target).draw(**heights)


def towers(f, net, samples_per_cell: int = 10) -> Figure:
    """The 2-D target f(x, y), a tower network's output and the gap between them on the unit square.

    ``net`` is an ``approximation.tower_network`` of n × n towers. The image samples every cell at
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
    for ax, image, title in zip(axes, (truth, output), ("target f(x, y)", f"{approximation.hidden_units(net)} hidden neurons of towers")):
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
    """The output of ``approximation.sawtooth_network(d)`` on [0, 1] for each d."""
    fig = Figure(figsize=(6.4, 3.3), layout="constrained")
    ax = fig.subplots()
    for d in depths:
        ax.plot(GRID, approximation.sawtooth_network(int(d)).predict(GRID[:, None])[:, 0], lw=1.6,
                label=f"d = {d}: {2 * d} ReLUs, {2 ** d} pieces")
    ax.set(xlabel="x", ylabel="output", title="a deep ReLU network folding [0, 1] onto itself")
    fig.legend(fontsize=8, loc="outside lower center", ncol=2, frameon=False)
    return fig


def built_and_trained(target: str, curves: Mapping[str, np.ndarray], x=GRID) -> Figure:
    """The target with the outputs of several networks (label → outputs on ``x``)."""
    f = get_target_function(target)
    fig = Figure(figsize=(6.6, 3.4), layout="constrained")
    ax = fig.subplots()
    ax.plot(x, f(x), color="0.3", lw=3, label="target")
    for index, (label, output) in enumerate(curves.items()):
        ax.plot(x, output, lw=1.6, color=f"C{index + 1}", label=label)
    ax.set(xlabel="x", ylabel="output", title=f"the same architecture, built or trained ({target})")
    ax.legend(fontsize=8)
    return fig

