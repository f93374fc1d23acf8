r"""How the initial weights' variance carries through a deep network: per-layer statistics
of activations and back-propagated gradients, and what notebook 05's live explorer shows (drawn
by ``helpers.viz.init_variance``).

A network without biases computes :math:`Z^{[l]} = A^{[l-1]} W^{[l]}`, :math:`A^{[l]} = f(Z^{[l]})`
(rows = samples, :math:`A^{[0]} = X`). With independent, zero-mean weights of variance
:math:`\mathrm{Var}\,w` and :math:`n_{in}` inputs per unit,

.. math::
    \mathrm{Var}\,z = n_{in}\,\mathrm{Var}\,w\;\mathbb E[a^2]  \qquad\text{(forward)},\qquad
    \mathrm{Var}\,\frac{\partial C}{\partial a} = n_{out}\,\mathrm{Var}\,w\;
    \mathrm{Var}\,\frac{\partial C}{\partial z}  \qquad\text{(backward)},

so a scale that is off by a factor :math:`c` multiplies both by about :math:`c^2` per layer:
geometric shrinking or growth over depth. Backward, from :math:`G = \partial C/\partial A^{[L]}`,
the errors :math:`\delta^{[l]} = \partial C/\partial Z^{[l]}` (notebook 05 has students derive them).

The layers are plain products, not ``helpers.layers``' dense layer: the experiment is the linear
map without a bias, and only δ travels back (no weight gradient is needed, or computed).
``propagate``, ``back_propagate``, ``layer_statistics`` and ``wrong_derivations`` answer notebook
05's exercise (its hidden tests name them), so a student's copy of helpers lacks them before its
deadline: the explorer takes the student's ``layer_statistics`` and draws its histograms from
``zero_bias_network``, the course's ``MLP``; the test cells show the known mistakes as numbers.
"""
from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple, Sequence

import numpy as np

from helpers import init
from helpers._validate import as_float_array, check_positive
from helpers.activations import Activation, get_activation
from helpers.network import MLP, parameter_names
from helpers.threads import one_blas_thread

MAX_DEPTH = 20  # the explorer's deepest network
UNBOUNDED_RANGE = (-4.0, 4.0)  # histogram range of an activation unbounded on both sides
LOG_RANGE = (-10.0, 10.0)  # log10 of the positive outputs of an activation bounded only below (ReLU)
BINS = 40  # per histogram


class LayerStatistics(NamedTuple):
    """Per-layer summaries, each of shape (L,): entry l-1 describes layer l."""

    activation_mean: np.ndarray  # mean of every entry of A^[l]
    activation_std: np.ndarray   # standard deviation of every entry of A^[l]
    gradient_std: np.ndarray     # standard deviation of every entry of dC/dZ^[l]


class Propagation(NamedTuple):
    """A forward pass without biases: per layer, Z^[l] and A^[l] = f(Z^[l]), each (n, n_l)."""

    pre_activations: list
    outputs: list


def propagate(X, weights: Sequence[np.ndarray], activation: str) -> Propagation:
    """Forward pass without biases through the layers ``weights`` (W^[l]: (n_{l-1}, n_l))."""
    f = get_activation(activation).function
    A, pre_activations, outputs = as_float_array(X, "X", ndim=2), [], []
    for W in weights:
        Z = A @ W
        A = f(Z)
        pre_activations.append(Z)
        outputs.append(A)
    return Propagation(pre_activations, outputs)


def zero_bias_network(weights: Sequence[np.ndarray], activation: str) -> MLP:
    """The layers ``weights`` as the course's MLP, with zero biases: its forward pass is
    ``propagate``'s, number for number."""
    params = {}
    for layer, W in enumerate(weights, start=1):
        params.update(zip(parameter_names(layer), (W, np.zeros(np.shape(W)[1]))))
    return MLP(params, [activation] * len(weights))


def _local_derivative(record: Activation, Z: np.ndarray, A: np.ndarray) -> np.ndarray:
    """f'(Z), from the output A where the activation allows it (cheaper: no exponential)."""
    if record.derivative_from_output is not None:
        return record.derivative_from_output(A)
    return record.derivative(Z)


def back_propagate(forward: Propagation, weights: Sequence[np.ndarray], activation: str,
                   grad_output) -> list[np.ndarray]:
    """The errors δ^[l] = dC/dZ^[l] of every layer (list of L arrays shaped like A^[l]), given the
    forward pass ``forward`` and ``grad_output`` = dC/dA^[L]."""
    record = get_activation(activation)
    local = [_local_derivative(record, Z, A) for Z, A in zip(forward.pre_activations, forward.outputs)]
    return _chain(local, weights, as_float_array(grad_output, "grad_output"))


def _chain(local_derivatives, weights, grad, transposed: bool = True) -> list[np.ndarray]:
    """δ^[l] for l = L, ..., 1 from each layer's f'; ``transposed=False`` is a wrong derivation."""
    deltas = [None] * len(weights)
    for layer in range(len(weights) - 1, -1, -1):
        deltas[layer] = grad * local_derivatives[layer]
        if layer:  # the data X need no gradient
            grad = deltas[layer] @ (weights[layer].T if transposed else weights[layer])
    return deltas


NO_DERIVATIVE = ("you left out the activation's derivative: Z^[l] reaches the cost only through "
                 "A^[l] = f(Z^[l]), and that step has a local derivative too")
NOT_TRANSPOSED = ("you multiplied by W^[l] where its transpose belongs: the input a_i feeds unit j through "
                  "w_ij, and the sum on the way back runs over j, the second index")
DERIVATIVE_OF_OUTPUT = ("you applied f' to the activations A instead of the weighted inputs Z "
                        "(from A, use .derivative_from_output)")


def wrong_derivations(X, weights: Sequence[np.ndarray], activation: str, grad_output) -> dict:
    """Notebook 05's usual wrong results for the standard deviations of δ^[l] (one per layer),
    each under the sentence a test cell shows for it. Each is one token from the answer, so 05's
    hidden tests name it too: a student's copy of helpers lacks it before the deadline."""
    record = get_activation(activation)
    forward = propagate(X, weights, activation)
    grad_output = as_float_array(grad_output, "grad_output")
    local = [_local_derivative(record, Z, A) for Z, A in zip(forward.pre_activations, forward.outputs)]
    wrong = {NO_DERIVATIVE: _chain([np.ones_like(A) for A in forward.outputs], weights, grad_output),
             DERIVATIVE_OF_OUTPUT: _chain([record.derivative(A) for A in forward.outputs], weights, grad_output)}
    if all(W.shape[0] == W.shape[1] for W in weights[1:]):  # otherwise the shapes refuse it
        wrong[NOT_TRANSPOSED] = _chain(local, weights, grad_output, transposed=False)
    return {message: np.array([delta.std() for delta in deltas]) for message, deltas in wrong.items()}


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
    forward = propagate(X, weights, activation)
    deltas = back_propagate(forward, weights, activation, grad_output)
    return LayerStatistics(np.array([A.mean() for A in forward.outputs]),
                           np.array([A.std() for A in forward.outputs]), np.array([d.std() for d in deltas]))


def scheme_weights(standard_normals: Sequence[np.ndarray], scheme: str, scale: float = 1.0) -> list[np.ndarray]:
    """Turn N(0, 1) draws (one matrix per layer) into weights with the variance of ``scheme`` (a
    name in ``helpers.init.SCHEMES``), their standard deviation multiplied by ``scale``."""
    scale = check_positive(scale, "scale")
    return [Z * (scale * np.sqrt(init.variance(scheme, *Z.shape))) for Z in standard_normals]


@lru_cache(maxsize=8)
def _draws(width: int, n_samples: int, seed: int):
    """Inputs X ~ N(0, 1), upstream gradients G ~ N(0, 1) and MAX_DEPTH N(0, 1) weight matrices,
    drawn once per width so that a slider's redraw only rescales them."""
    rng = np.random.default_rng([seed, width])
    X = rng.standard_normal((n_samples, width))
    G = rng.standard_normal((n_samples, width))
    return X, G, [rng.standard_normal((width, width)) for _ in range(MAX_DEPTH)]


class ExplorerInputs(NamedTuple):
    """What the explorer pushes through its network."""

    X: np.ndarray                 # (n_samples, width): N(0, 1) inputs
    weights: list                 # depth matrices (width, width), with the scheme's variance × scale²
    grad_output: np.ndarray       # (n_samples, width): N(0, 1) upstream gradients dC/dA^[L]


def explorer_data(scale: float, depth: int, width: int, scheme: str, n_samples: int = 200,
                  seed: int = 0) -> ExplorerInputs:
    """The inputs, weights and upstream gradients of ``depth`` square layers of ``width`` units.
    ``scheme``: a name in ``helpers.init.SCHEMES``."""
    if not 1 <= depth <= MAX_DEPTH:
        raise ValueError(f"depth must lie between 1 and {MAX_DEPTH}, got {depth}")
    X, G, normals = _draws(int(width), int(n_samples), int(seed))
    return ExplorerInputs(X, scheme_weights(normals[:depth], scheme, scale), G)


class ExplorerSummary(NamedTuple):
    """What the explorer plots for one setting (arrays shared by a cache: read-only)."""

    fractions: np.ndarray       # (L, BINS): layer l's histogram, as fractions of its units
    activation_std: np.ndarray  # (L,): std of A^[l], clipped to [1e-12, 1e12] for the log axis
    delta_std: np.ndarray       # (L,): std of δ^[l] = dC/dZ^[l], clipped likewise


def log_histogram(activation: str) -> bool:
    """Whether the explorer histograms log10 of the positive outputs: for an activation bounded
    below only (ReLU), whose outputs span many orders of magnitude."""
    low, high = get_activation(activation).output_range
    return np.isfinite(low) and not np.isfinite(high)


def histogram_range(activation: str) -> tuple[float, float]:
    """The span of the explorer's histograms: the activation's output range where it is finite."""
    if log_histogram(activation):
        return LOG_RANGE
    low, high = get_activation(activation).output_range
    return (float(low), float(high)) if np.isfinite(low) and np.isfinite(high) else UNBOUNDED_RANGE


@lru_cache(maxsize=64)  # a student drags a slider back and forth: revisited settings cost nothing
def explorer_summary(scale: float, depth: int, width: int, activation: str, scheme: str,
                     statistics=layer_statistics) -> ExplorerSummary:
    """Histograms of the activations of ``explorer_data``'s layers, and the standard deviations
    that ``statistics`` (the student's ``layer_statistics`` in notebook 05) gives for them. The
    histograms span ``histogram_range``; values beyond it count in its end bins."""
    X, weights, G = explorer_data(scale, depth, width, scheme)
    low, high = histogram_range(activation)
    log = log_histogram(activation)
    # A huge scale may overflow: show it, not warn. One BLAS thread: these products are small.
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"), one_blas_thread():
        outputs = zero_bias_network(weights, activation).forward(X)[1].layer_outputs
        _, activation_std, delta_std = statistics(X, weights, activation, G)
        values = [np.log10(a[a > 0]) if log else a[np.isfinite(a)] for a in outputs]
        # bins as a count and a range: NumPy's fast path for equal bins (no sorting)
        fractions = np.array([np.histogram(np.clip(v, low, high), bins=BINS, range=(low, high))[0] / a.size
                              for v, a in zip(values, outputs)])
        stds = [np.clip(np.asarray(std, dtype=float), 1e-12, 1e12) for std in (activation_std, delta_std)]
    for array in (fractions, *stds):
        array.setflags(write=False)
    return ExplorerSummary(fractions, *stds)
