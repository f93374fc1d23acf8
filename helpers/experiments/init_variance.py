r"""How the initial weights' variance carries through a deep network: per-layer statistics
of activations and back-propagated gradients, and the live explorer of notebook 05 (its static
figures are in ``helpers.viz.init_variance``).

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

from helpers.viz import figures  # noqa: F401  (registers the PNG display of figures in Jupyter)
from helpers._validate import as_float_array, check_positive
from helpers.activations import get_activation
from helpers.viz.live import LiveView, round_up
from helpers.threads import one_blas_thread

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
BINS = 40  # per histogram


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
    layer's δ = dC/dZ, for the batch X (n, n_0) and the upstream gradient ``grad_output`` (n, n_L).
    ``weights[l - 1]`` maps layer l's inputs to its outputs: shape (n_{l-1}, n_l)."""
    X = as_float_array(X, "X", ndim=2)
    width = X.shape[1]
    for layer, W in enumerate(weights, start=1):
        W = as_float_array(W, f"weights[{layer - 1}]", ndim=2)
        if W.shape[0] != width:
            raise ValueError(f"weights[{layer - 1}] (layer {layer}) has shape {W.shape}, but layer {layer} "
                             f"receives {width} inputs: it needs shape ({width}, any)")
        width = W.shape[1]
    if np.shape(grad_output) != (X.shape[0], width):
        raise ValueError(f"grad_output should have shape {(X.shape[0], width)} (samples × last layer's "
                         f"units), got {np.shape(grad_output)}")
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


class ExplorerSummary(NamedTuple):
    """What the explorer plots for one setting (arrays shared by a cache: read-only)."""

    fractions: np.ndarray       # (L, BINS): layer l's histogram, as fractions of its units
    activation_std: np.ndarray  # (L,): std of A^[l], clipped to [1e-12, 1e12] for the log axis
    delta_std: np.ndarray       # (L,): std of δ^[l] = dC/dZ^[l], clipped likewise


def histogram_axis(activation: str):
    """(low, high, x label, x ticks) of the explorer's activation histograms. ReLU's outputs span
    many orders of magnitude, so its histogram shows log10 of the positive units."""
    if activation == "relu":
        return (*RELU_LOG_RANGE, "log10 relu(z), over the units with z > 0", [-8, -4, 0, 4, 8])
    if activation in HISTOGRAM_RANGE:
        low, high = HISTOGRAM_RANGE[activation]
        return low, high, f"activation {activation}(z)", [low, (low + high) / 2, high]
    raise ValueError(f"the explorer shows {', '.join(['relu', *HISTOGRAM_RANGE])}, not {activation!r}")


@lru_cache(maxsize=64)  # a student drags a slider back and forth: revisited settings cost nothing
def explorer_summary(scale: float, depth: int, width: int, activation: str, scheme: str) -> ExplorerSummary:
    """Histograms and standard deviations of ``explorer_data``'s layers. The histograms span
    ``histogram_axis``'s range; values beyond it count in its end bins."""
    outputs, deltas = explorer_data(scale, depth, width, activation, scheme)
    low, high = histogram_axis(activation)[:2]
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        values = [np.log10(a[a > 0]) if activation == "relu" else a[np.isfinite(a)] for a in outputs]
        # bins as a count and a range: NumPy's fast path for equal bins (no sorting)
        fractions = np.array([np.histogram(np.clip(v, low, high), bins=BINS, range=(low, high))[0] / a.size
                              for v, a in zip(values, outputs)])
        stds = [np.clip([np.std(x) for x in arrays], 1e-12, 1e12) for arrays in (outputs, deltas)]
    for array in (fractions, *stds):
        array.setflags(write=False)
    return ExplorerSummary(fractions, *stds)


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
    Plain tick labels (no mathtext) keep it quick to draw."""

    def __init__(self):
        from matplotlib.ticker import MaxNLocator, NullLocator

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
               scheme: str = "Glorot 2/(n_in+n_out)"):
        summary = explorer_summary(scale, depth, width, activation, scheme)
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
        self.right.title.set_text(f"{scheme}, std × {scale:.2f}")
        # The spines go over the histograms' end and zero bins, and over curves leaving the panel.
        return [*self.stairs[:depth], *self.left.spines.values(), self.left.title, self.a_line, self.d_line,
                *self.right.spines.values(), self.right.title]

    def background_key(self, scale: float = 1.0, depth: int = 10, width: int = 100, activation: str = "tanh",
                       scheme: str = "Glorot 2/(n_in+n_out)"):
        summary = explorer_summary(scale, depth, width, activation, scheme)
        return (activation, histogram_top(summary.fractions.max()), layer_axis_end(depth),
                std_axis_decades(summary.activation_std, summary.delta_std))


def explorer_figure(scale: float = 1.0, depth: int = 10, width: int = 100, activation: str = "tanh",
                    scheme: str = "Glorot 2/(n_in+n_out)") -> Figure:
    """A static picture of the explorer (see ``ExplorerView``) for the given settings."""
    return ExplorerView().draw(scale=scale, depth=depth, width=width, activation=activation, scheme=scheme)
