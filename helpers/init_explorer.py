r"""How the initial weights' variance carries through a deep network: per-layer statistics
of activations and back-propagated gradients, and the live explorer of notebook 05 (its static
figures are in ``helpers.init_plots``).

A network without biases computes :math:`Z^{[l]} = A^{[l-1]} W^{[l]}`, :math:`A^{[l]} = f(Z^{[l]})`
(rows = samples, :math:`A^{[0]} = X`). With independent, zero-mean weights of variance
:math:`\mathrm{Var}\,w` and :math:`n_{in}` inputs per unit,

.. math::
    \mathrm{Var}\,z = n_{in}\,\mathrm{Var}\,w\;\mathbb E[a^2]  \qquad\text{(forward)},\qquad
    \mathrm{Var}\,\frac{\partial C}{\partial a} = n_{out}\,\mathrm{Var}\,w\;
    \mathrm{Var}\,\frac{\partial C}{\partial z}  \qquad\text{(backward)},

so a scale that is off by a factor :math:`c` multiplies both by about :math:`c^2` per layer:
geometric shrinking or growth over depth. Backward, from :math:`G = \partial C/\partial A^{[L]}`:
:math:`\delta^{[l]} = \partial C/\partial Z^{[l]} = (\partial C/\partial A^{[l]}) \odot f'(Z^{[l]})`
and :math:`\partial C/\partial A^{[l-1]} = \delta^{[l]} W^{[l]\top}`.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Callable, NamedTuple, Sequence

import numpy as np
from matplotlib.figure import Figure

from . import plots  # noqa: F401  (registers the PNG display of figures in Jupyter)
from ._validate import as_float_array, check_positive
from .activations import get_activation
from .threads import one_blas_thread

# Weight variance of each scheme for a layer with fan_in inputs and fan_out outputs.
SCHEMES: dict[str, Callable[[int, int], float]] = {
    "N(0, 1)": lambda fan_in, fan_out: 1.0,
    "LeCun 1/n_in": lambda fan_in, fan_out: 1.0 / fan_in,
    "Glorot 2/(n_in+n_out)": lambda fan_in, fan_out: 2.0 / (fan_in + fan_out),
    "He 2/n_in": lambda fan_in, fan_out: 2.0 / fan_in,
}
MAX_DEPTH = 20  # the explorer's deepest network
HISTOGRAM_RANGE = {"tanh": (-1.0, 1.0), "sigmoid": (0.0, 1.0), "identity": (-4.0, 4.0)}
RELU_LOG_RANGE = (-10.0, 10.0)  # log10 of positive ReLU outputs


class LayerStatistics(NamedTuple):
    """Per-layer summaries, each of shape (L,): entry l-1 describes layer l."""

    activation_mean: np.ndarray  # mean of every entry of A^[l]
    activation_std: np.ndarray   # standard deviation of every entry of A^[l]
    gradient_std: np.ndarray     # standard deviation of every entry of dC/dZ^[l]


def propagate(X, weights: Sequence[np.ndarray], activation: str) -> list[np.ndarray]:
    """Forward pass without biases: the list of activations A^[1] ... A^[L], each (n, n_l)."""
    f = get_activation(activation).function
    A, outputs = as_float_array(X, "X", ndim=2), []
    for W in weights:
        A = f(A @ W)
        outputs.append(A)
    return outputs


def back_propagate(outputs: Sequence[np.ndarray], weights: Sequence[np.ndarray], activation: str,
                   grad_output) -> list[np.ndarray]:
    """The errors δ^[l] = dC/dZ^[l] of every layer (list of L arrays shaped like A^[l]), given the
    forward pass's ``outputs`` and ``grad_output`` = dC/dA^[L]."""
    derivative = get_activation(activation).derivative_from_output
    grad, deltas = as_float_array(grad_output, "grad_output"), [None] * len(weights)
    for layer in range(len(weights) - 1, -1, -1):
        deltas[layer] = grad * derivative(outputs[layer])
        grad = deltas[layer] @ weights[layer].T
    return deltas


def layer_statistics(X, weights: Sequence[np.ndarray], activation: str, grad_output) -> LayerStatistics:
    """Mean and standard deviation of every layer's activations, and standard deviation of every
    layer's δ = dC/dZ, for the batch X (n, n_0) and the upstream gradient ``grad_output`` (n, n_L)."""
    outputs = propagate(X, weights, activation)
    deltas = back_propagate(outputs, weights, activation, grad_output)
    return LayerStatistics(np.array([A.mean() for A in outputs]), np.array([A.std() for A in outputs]),
                           np.array([d.std() for d in deltas]))


def scheme_weights(standard_normals: Sequence[np.ndarray], scheme: str, scale: float = 1.0) -> list[np.ndarray]:
    """Turn N(0, 1) draws (one matrix per layer) into weights with the ``scheme``'s variance,
    their standard deviation multiplied by ``scale``."""
    try:
        variance = SCHEMES[scheme]
    except KeyError:
        raise ValueError(f"unknown scheme {scheme!r}; choose one of: {', '.join(SCHEMES)}") from None
    scale = check_positive(scale, "scale")
    return [Z * (scale * np.sqrt(variance(*Z.shape))) for Z in standard_normals]


@lru_cache(maxsize=8)
def _draws(width: int, n_samples: int, seed: int):
    """Inputs X ~ N(0, 1), upstream gradients G ~ N(0, 1) and MAX_DEPTH N(0, 1) weight matrices,
    drawn once per width so that a slider's redraw only rescales them."""
    rng = np.random.default_rng([seed, width])
    X = rng.standard_normal((n_samples, width))
    G = rng.standard_normal((n_samples, width))
    return X, G, [rng.standard_normal((width, width)) for _ in range(MAX_DEPTH)]


def explorer_data(scale: float, depth: int, width: int, activation: str, scheme: str,
                  n_samples: int = 200, seed: int = 0):
    """Forward and backward pass through ``depth`` square layers of ``width`` units, from
    N(0, 1) inputs and upstream gradients: returns (activations, deltas), lists of L arrays."""
    if not 1 <= depth <= MAX_DEPTH:
        raise ValueError(f"depth must lie between 1 and {MAX_DEPTH}, got {depth}")
    X, G, normals = _draws(int(width), int(n_samples), int(seed))
    weights = scheme_weights(normals[:depth], scheme, scale)
    # A huge scale may overflow: show it, not warn. One BLAS thread: these products are small.
    with np.errstate(over="ignore", invalid="ignore"), one_blas_thread():
        outputs = propagate(X, weights, activation)
        deltas = back_propagate(outputs, weights, activation, G)
    return outputs, deltas


# --- figures -------------------------------------------------------------------------------------

def fixed_panels(n_rows: int, n_columns: int, width: float, height: float, **spacing):
    """A figure with a grid of axes (always 2-D) in a fixed layout: no constrained layout, which
    would cost a slider's redraw an extra layout pass. ``spacing``: ``subplots_adjust`` overrides."""
    fig = Figure(figsize=(width * n_columns, height * n_rows))
    fig.subplots_adjust(**{"left": 0.07, "right": 0.98, "bottom": 0.14, "top": 0.88, "wspace": 0.3,
                           "hspace": 0.5, **spacing})
    return fig, fig.subplots(n_rows, n_columns, squeeze=False)


def layer_colours(depth: int) -> np.ndarray:
    """One RGBA colour per layer, (depth, 4): viridis from dark (layer 1) to yellow (the last)."""
    from matplotlib import colormaps

    return colormaps["viridis"](np.linspace(0.0, 0.9, depth))


class ExplorerView:
    """The init explorer's figure, built once and updated in place by ``draw`` (what a slider
    calls): left, per-layer histograms of the activations (dark = first layer, yellow = last);
    right, per layer, the standard deviation of the activations and of the back-propagated
    errors δ = dC/dz on a log scale. Updating artists instead of building a new figure, and
    plain tick labels (no mathtext), keep a redraw cheap."""

    BINS = 40

    def __init__(self):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.ticker import FixedFormatter, FixedLocator, MaxNLocator, NullLocator

        # Margins wide enough for every label: the widget saves this figure without a tight bounding box.
        self.fig, ((self.left, self.right),) = fixed_panels(1, 2, 3.9, 3.0, left=0.085, right=0.985, bottom=0.17,
                                                            top=0.9, wspace=0.36)
        FigureCanvasAgg(self.fig)  # a canvas of its own keeps one renderer, and its text caches, across redraws
        self.stairs = [self.left.stairs(np.zeros(self.BINS), np.linspace(0, 1, self.BINS + 1), lw=1.5)
                       for _ in range(MAX_DEPTH)]
        self.left.set(ylabel="fraction of units")
        self.left.yaxis.set_major_locator(MaxNLocator(3))  # few tick labels: text is most of a redraw's cost
        self.a_line, = self.right.plot([], [], "o-", lw=2, ms=4, color="C0")
        self.d_line, = self.right.plot([], [], "s--", lw=2, ms=4, color="C3")
        self.right.set_yscale("log")
        self.right.set(ylim=(1e-8, 1e8), xlabel="layer",
                       ylabel="std: activations (blue), dC/dz (red)")
        self.right.xaxis.set_major_locator(MaxNLocator(4, integer=True))
        self.right.yaxis.set_major_locator(FixedLocator([1e-8, 1e-4, 1.0, 1e4, 1e8]))
        self.right.yaxis.set_major_formatter(FixedFormatter(["1e-8", "", "1", "", "1e8"]))
        self.right.yaxis.set_minor_locator(NullLocator())
        self.right.grid(alpha=0.3)

    def draw(self, scale: float = 1.0, depth: int = 10, width: int = 100, activation: str = "tanh",
             scheme: str = "Glorot 2/(n_in+n_out)") -> Figure:
        outputs, deltas = explorer_data(scale, depth, width, activation, scheme)
        if activation == "relu":  # sizes span many orders of magnitude: histogram log10 of the positive units
            values = [np.log10(a[a > 0]) for a in outputs]
            low, high = RELU_LOG_RANGE
            xlabel, ticks = "log10 relu(z), over the units with z > 0", [-8, -4, 0, 4, 8]
        elif activation in HISTOGRAM_RANGE:
            values = [a[np.isfinite(a)] for a in outputs]
            low, high = HISTOGRAM_RANGE[activation]
            xlabel, ticks = f"activation {activation}(z)", [low, (low + high) / 2, high]
        else:
            raise ValueError(f"the explorer shows {', '.join(['relu', *HISTOGRAM_RANGE])}, not {activation!r}")
        edges = np.linspace(low, high, self.BINS + 1)
        colours = layer_colours(depth)
        tallest = 0.0
        for layer, artist in enumerate(self.stairs):
            artist.set_visible(layer < depth)
            if layer < depth:
                inside = np.clip(values[layer], low, high)  # values beyond the range pile up at its ends
                # bins as a count and a range: NumPy's fast path for equal bins (no sorting)
                fraction = np.histogram(inside, bins=self.BINS, range=(low, high))[0] / max(outputs[layer].size, 1)
                artist.set_data(fraction, edges)
                artist.set_color(colours[layer])
                tallest = max(tallest, float(fraction.max(initial=0.0)))
        self.left.set(xlim=(low, high), ylim=(0, 1.1 * tallest or 1.0), xticks=ticks, xlabel=xlabel,
                      title=f"activations, layer 1 (dark) to {depth} (yellow)")
        layers = np.arange(1, depth + 1)
        with np.errstate(over="ignore", invalid="ignore"):
            self.a_line.set_data(layers, np.clip([np.std(a) for a in outputs], 1e-12, 1e12))
            self.d_line.set_data(layers, np.clip([np.std(d) for d in deltas], 1e-12, 1e12))
        self.right.set(xlim=(0.5, depth + 0.5), title=f"{scheme}, std × {scale:.2f}")
        return self.fig


def explorer_figure(scale: float = 1.0, depth: int = 10, width: int = 100, activation: str = "tanh",
                    scheme: str = "Glorot 2/(n_in+n_out)") -> Figure:
    """A static picture of the explorer (see ``ExplorerView``) for the given settings."""
    return ExplorerView().draw(scale, depth, width, activation, scheme)
