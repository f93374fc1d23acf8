r"""Figures for notebook 01 (why the sigmoid): a sigmoid neuron beside a perceptron's step with
:math:`\sigma'` under it (the view behind the sigmoid explorer), a gallery of activations and
their derivatives, and one neuron's fitted curve. Each returns a matplotlib ``Figure`` (no pyplot).
"""
from __future__ import annotations

from typing import Callable, Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

from helpers import activations
from helpers.activations import get_activation
from helpers.viz.figures import panels
from helpers.viz.live import LiveView


class SigmoidView(LiveView):
    r"""Left: a sigmoid neuron :math:`\sigma(c(wx + b))` beside a perceptron's step
    :math:`[wx + b > 0]`. Right: :math:`\sigma'(z)`, the factor every gradient through the
    neuron carries; as the steepness :math:`c` grows it collapses to a spike at :math:`x = -b/w`.
    Both panels keep their limits, so a slider only moves the curves, the threshold and a title.
    ``sigmoid`` and ``sigmoid_prime`` draw the curves (a student's own, in the notebook)."""

    def __init__(self, x_range=(-4.0, 4.0), *, sigmoid: Callable = activations.sigmoid,
                 sigmoid_prime: Callable = activations.sigmoid_derivative):
        self.sigmoid, self.sigmoid_prime = sigmoid, sigmoid_prime
        self.x = np.linspace(*x_range, 801)
        self.figure, (left, right) = panels(2)
        # Unicode, not mathtext, in live figures: mathtext is re-parsed on every redraw.
        self.step, = left.plot(self.x, self.x, color="0.55", lw=2, ls="--", label="perceptron: step")
        self.neuron, = left.plot(self.x, self.x, color="C0", lw=2.5, label="sigmoid neuron σ(c(wx + b))")
        self.threshold = left.axvline(0.0, color="C3", lw=0.8, ls=":", label="threshold x = −b/w")
        left.set(xlabel="input x", ylabel="output", xlim=x_range, ylim=(-0.05, 1.05), title=" ")
        self.overlays = [left.legend(loc="upper left", fontsize=8, framealpha=1.0)]  # the curves pass under it
        self.derivative, = right.plot(self.x, self.x, color="C1", lw=2.5)
        right.axhline(0.25, color="0.6", lw=0.8, ls=":")
        right.set(xlabel="input x", ylabel="σ′(z)", xlim=x_range, ylim=(-0.01, 0.27),
                  title="learning signal σ′(z) (never above 1/4)")
        self.title = left.title

    def update(self, w: float = 1.0, b: float = 0.0, steepness: float = 1.0):
        z = steepness * (w * self.x + b)
        self.step.set_ydata((w * self.x + b > 0).astype(float))
        self.neuron.set_ydata(self.sigmoid(z))
        self.threshold.set_visible(w != 0)
        if w != 0:
            self.threshold.set_xdata([-b / w, -b / w])
        self.derivative.set_ydata(self.sigmoid_prime(z))
        self.title.set_text(f"w = {w:.2f}, b = {b:.2f}, steepness c = {steepness:.1f}")
        return [self.step, self.neuron, self.threshold, self.derivative, self.title]


def activation_gallery(names: Sequence[str] = ("sigmoid", "tanh", "relu", "leaky_relu"),
                       z_range=(-5.0, 5.0), *, leaky_alpha: float = 0.1,
                       functions: Mapping[str, tuple[Callable, Callable]] | None = None) -> Figure:
    """Each named activation (solid) with its derivative (dashed), one panel each.

    ``functions``: ``{name: (f, f′)}`` drawn instead of the registry's, e.g. a student's own
    sigmoid and its derivative. Leaky ReLU is drawn with the slope ``leaky_alpha`` for z < 0:
    the usual default 0.01 would look exactly like ReLU at this scale.
    """
    z = np.linspace(*z_range, 501)
    fig, axes = panels(len(names), width=3.2, height=2.8)
    for ax, name in zip(axes, names):
        activation = get_activation(name)
        options = {"alpha": leaky_alpha} if name == "leaky_relu" else {}
        function, derivative = (functions or {}).get(name, (activation.function, activation.derivative))
        ax.plot(z, function(z, **options), lw=2.5, label="f(z)")
        ax.plot(z, derivative(z, **options), lw=2, ls="--", label="f′(z)")
        ax.axhline(0, color="0.7", lw=0.6)
        ax.set(title=f"{name} (α = {leaky_alpha:g})" if options else name, xlabel="z")
        ax.legend(fontsize=8, loc="upper left")
    return fig


def neuron_fit(x, y, w, b, title: str = "", *, sigmoid: Callable = activations.sigmoid) -> Figure:
    """A one-input sigmoid neuron's curve :math:`\\sigma(wx + b)` over the data points (x, y),
    drawn with ``sigmoid`` (a student's own, in the notebook)."""
    x = np.asarray(x, dtype=float).ravel()
    grid = np.linspace(x.min() - 0.5, x.max() + 0.5, 400)
    fig, (ax,) = panels(1, width=5.5)
    ax.scatter(x, np.ravel(y), color="C1", zorder=3, label="data")
    ax.plot(grid, sigmoid(w * grid + b), lw=2.5, label=rf"$\sigma({w:.2f}x {b:+.2f})$")
    ax.set(xlabel="x", ylabel="output", ylim=(-0.05, 1.05), title=title)
    ax.legend(loc="upper left")
    return fig


def xor_regions(X, y, linear_unit, network_probability, *, linear_correct: int, hidden_units: int,
                resolution: int = 201) -> Figure:
    r"""XOR's points over two decision regions: left, the linear unit ``(w, b)``'s half-planes
    :math:`x\cdot w + b > 0`; right, where ``network_probability`` (a function of an (m, 2) array)
    exceeds 1/2, shaded by the probability. ``linear_correct``: how many points the unit gets right;
    ``hidden_units``: the network's width, for the title."""
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    axis = np.linspace(-0.5, 1.5, resolution)
    grid = np.stack(np.meshgrid(axis, axis), axis=-1).reshape(-1, 2)
    w, b = linear_unit
    network = np.asarray(network_probability(grid)).reshape(resolution, resolution)
    network_correct = int(np.sum((np.asarray(network_probability(X)) > 0.5) == (y > 0.5)))
    fig, axes = panels(2, width=4.2, height=3.9)
    shading = {
        f"one linear unit: {linear_correct} of {len(y)} right at best": (grid @ w + b > 0).reshape(resolution, resolution),
        f"2-{hidden_units}-1 sigmoid network: {network_correct} of {len(y)} right": network,
    }
    for ax, (title, region) in zip(axes, shading.items()):
        ax.contourf(axis, axis, region.astype(float), levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.55)
        ax.contour(axis, axis, region.astype(float), levels=[0.5], colors="k", linewidths=1.5)
        for label, marker in ((0.0, "o"), (1.0, "s")):
            chosen = y == label
            ax.scatter(X[chosen, 0], X[chosen, 1], s=120, marker=marker, edgecolors="k", zorder=3,
                       color="C0" if label == 0 else "C3", label=f"label {label:g}")
        ax.set(xlabel="$x_1$", ylabel="$x_2$", title=title, aspect="equal")
    axes[0].legend(loc="center", fontsize=8, framealpha=1.0)
    return fig
