r"""How gradients travel back through depth: the one-neuron chain, per-layer gradient norms,
gradient clipping, dead units, and a residual chain for comparison.

**The chain.** One neuron per layer, :math:`z_l = w_l a_{l-1} + b_l`, :math:`a_l = f(z_l)`,
:math:`a_0 = x`, cost :math:`C = \tfrac12 (a_L - y)^2`. Going back one layer, backpropagation
multiplies the error by a weight and a slope :math:`f'`; for the sigmoid :math:`f' \le 1/4`, so
the gradient shrinks geometrically towards the input unless the weights are large. (The
derivation is notebook 07's exercise, so it is not written out here.) In a layer of many units
the factor is a matrix, and a product of such matrices can shrink or grow geometrically too.

**Clipping by global norm.** With :math:`\lVert g\rVert = \sqrt{\sum_{\text{tensors}} \lVert g_k\rVert^2}`
over *all* parameters, every tensor is multiplied by :math:`\min(1, c/\lVert g\rVert)`: the
step keeps its direction and its length is capped at :math:`c`.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from helpers._validate import as_float_array, check_finite, check_positive, check_rng, lookup
from helpers.activations import get_activation
from helpers.init import normal
from helpers.losses import LOSSES, UNCHECKED_LOSSES, class_indices
from helpers.network import MLP, parameter_names
from helpers.optim import RULES, map_rule
from helpers.train import iterate_minibatches, train


# --- the one-neuron-per-layer chain ---------------------------------------------------------

def _chain_inputs(weights, biases):
    w = as_float_array(weights, "weights", ndim=1)
    b = as_float_array(biases, "biases", ndim=1)
    if w.shape != b.shape or w.size == 0:
        raise ValueError(f"weights and biases need one entry per layer, got shapes {w.shape} and {b.shape}")
    return w, b


def chain_forward(x: float, weights, biases, activation: str = "sigmoid"):
    """Pre-activations ``z`` and outputs ``a`` of every layer of the chain, each of shape (L,)."""
    w, b = _chain_inputs(weights, biases)
    f = get_activation(activation).function
    z, a = np.empty_like(w), np.empty_like(w)
    previous = float(x)
    for layer in range(w.size):
        z[layer] = w[layer] * previous + b[layer]
        a[layer] = previous = float(f(z[layer]))
    return z, a


def chain_gradients(x: float, y: float, weights, biases, activation: str = "sigmoid") -> np.ndarray:
    r""":math:`\partial C/\partial b_l` for every layer (shape (L,)), by backpropagation, for
    :math:`C = \tfrac12(a_L - y)^2`. (:math:`\partial C/\partial w_l = \delta_l\, a_{l-1}`.)"""
    w, _ = _chain_inputs(weights, biases)
    z, a = chain_forward(x, weights, biases, activation)
    return _chain_backward(a[-1] - y, get_activation(activation).derivative(z), w)


def _chain_backward(error: float, slopes: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """δ_L = error · slopes[L], then back one layer at a time: δ_l = δ_{l+1} · weights[l+1] · slopes[l]."""
    delta = np.empty_like(slopes)
    delta[-1] = error * slopes[-1]
    for layer in range(slopes.size - 2, -1, -1):
        delta[layer] = delta[layer + 1] * weights[layer + 1] * slopes[layer]
    return delta


LAST_SLOPE_MISSING = "δ_L is missing its factor σ′(z_L): the output a_L = σ(z_L) changes with b_L through σ′ too"
OWN_LAYER_WEIGHT = ("going back from layer l + 1 to layer l you multiplied by w_l; the weight that carries a_l "
                    "into layer l + 1 is w_(l+1)")
SLOPE_AT_OUTPUT = "you evaluated σ′ at the output a = σ(z) instead of at z"


def chain_wrong_derivations(x: float, y: float, weights, biases, right) -> dict:
    """The usual wrong results of the sigmoid chain's ``chain_gradients``, under the sentence a test cell
    shows, from the right ones (finite differences will do): each mistake multiplies ``right`` by a
    factor that the forward pass gives."""
    w, _ = _chain_inputs(weights, biases)
    z, a = chain_forward(x, weights, biases)
    slope = get_activation("sigmoid").derivative
    right = as_float_array(right, "right", ndim=1)
    with np.errstate(divide="ignore", invalid="ignore"):  # w_L = 0 or σ′(z) = 0: that mistake cannot show
        # σ′(a_k)/σ′(z_k) for every layer from l up: the error is wrong from the top down to layer l
        at_output = np.cumprod((slope(a) / slope(z))[::-1])[::-1]
        return {LAST_SLOPE_MISSING: right / slope(z[-1]), OWN_LAYER_WEIGHT: right * w / w[-1],
                SLOPE_AT_OUTPUT: right * at_output}


def chain_product(x: float, y: float, weights, biases, activation: str = "sigmoid") -> float:
    r"""The unrolled product :math:`f'(z_1) \prod_{l=2}^{L} w_l f'(z_l)\,(a_L - y)`: equals
    ``chain_gradients(...)[0]``."""
    w, _ = _chain_inputs(weights, biases)
    z, a = chain_forward(x, weights, biases, activation)
    derivative = get_activation(activation).derivative(z)
    return float(derivative[0] * np.prod(w[1:] * derivative[1:]) * (a[-1] - y))


def residual_chain_product(x: float, weights, biases, activation: str = "sigmoid") -> float:
    r""":math:`\partial a_L/\partial a_0` for the residual chain :math:`a_l = a_{l-1} + f(w_l a_{l-1} + b_l)`:
    :math:`\prod_l (1 + w_l f'(z_l))`. The identity path adds 1 to every factor."""
    w, b = _chain_inputs(weights, biases)
    f = get_activation(activation)
    product, a = 1.0, float(x)
    for weight, bias in zip(w, b):
        z = weight * a + bias
        product *= 1.0 + weight * float(f.derivative(z))
        a = a + float(f.function(z))
    return product


# --- deep networks ------------------------------------------------------------------------------

def layer_gradient_norms(net: MLP, X, targets, loss: str = "categorical_cross_entropy") -> np.ndarray:
    r"""Frobenius norm of :math:`\partial C/\partial W^{[l]}` for every layer, on the batch
    ``(X, targets)``: shape (n_layers,)."""
    return _gradient_norms(net, X, targets, loss, index=0)


def bias_gradient_norms(net: MLP, X, targets, loss: str = "categorical_cross_entropy") -> np.ndarray:
    r"""Frobenius norm of :math:`\partial C/\partial b^{[l]}` (Nielsen's "speed of learning") for every
    layer, on the batch ``(X, targets)``: shape (n_layers,)."""
    return _gradient_norms(net, X, targets, loss, index=1)


def _gradient_norms(net: MLP, X, targets, loss: str, index: int) -> np.ndarray:
    _, grads = net.loss_and_gradients(X, targets, lookup(LOSSES, loss, "loss"))
    return np.array([np.linalg.norm(grads[parameter_names(l)[index]]) for l in range(1, net.n_layers + 1)])


NO_SLOPE = "you left out f′: a layer's output A = f(Z) changes with Z through f′"
SLOPE_OF_A_AS_Z = ("you applied f′ to the layer's output A as if it were Z; derivative_from_output(A) computes "
                   "f′(Z) from A")
SLOPE_NOT_PASSED_BACK = "you passed the gradient back to the layer below without the factor f′ of this layer"


def norm_wrong_derivations(net: MLP, X, labels) -> dict:
    """The usual wrong results of notebook 07's ``layer_gradient_norms`` (softmax cross-entropy), under the
    sentence a test cell shows for each."""
    output, cache = net.forward(X)
    top = LOSSES["categorical_cross_entropy"](output, labels)[1]

    def norms(slope, pass_back_slope=True):
        grad, result = top, np.zeros(net.n_layers)
        for layer in range(net.n_layers, 0, -1):
            delta = grad * slope(get_activation(net.activations[layer - 1]), cache.layer_outputs[layer - 1])
            result[layer - 1] = np.linalg.norm(cache.layer_inputs[layer - 1].T @ delta)
            grad = (delta if pass_back_slope else grad) @ net.params[parameter_names(layer)[0]].T
        return result
    return {NO_SLOPE: norms(lambda f, A: 1.0), SLOPE_OF_A_AS_Z: norms(lambda f, A: f.derivative(A)),
            SLOPE_NOT_PASSED_BACK: norms(lambda f, A: f.derivative_from_output(A), pass_back_slope=False)}


def deep_network(depth: int, activation: str, rng, width: int = 30, n_inputs: int = 64,
                 n_outputs: int = 10, weight_scale: float = 1.0) -> MLP:
    r"""``depth`` hidden layers of ``width`` units and a linear output layer. Weights
    :math:`\sim \mathcal N(0, s^2\,c/n_{in})` with :math:`c` the activation's ``gain`` (1: LeCun;
    2: He, for the ReLU family) and :math:`s` = ``weight_scale``."""
    check_rng(rng)
    scale = check_positive(weight_scale, "weight_scale")
    gain = get_activation(activation).gain

    def initialise(fan_in, fan_out, rng):
        return normal(fan_in, fan_out, rng, std=scale * np.sqrt(gain / fan_in))

    sizes = [n_inputs] + [width] * int(depth) + [n_outputs]
    return MLP.create(sizes, [activation] * int(depth) + ["identity"], rng, init=initialise)


def norm_profile(X, labels, depth: int, activation: str, weight_scale: float = 1.0,
                 seeds: Sequence[int] = (0, 1, 2), *, gradient_norms: Callable = layer_gradient_norms) -> np.ndarray:
    """Per-layer gradient norms ``gradient_norms(net, X, labels)`` (the student's, in the notebook) of fresh
    ``deep_network``s, averaged over ``seeds``: (depth + 1,)."""
    profiles = [gradient_norms(deep_network(depth, activation, np.random.default_rng(seed), n_inputs=X.shape[1],
                                            weight_scale=weight_scale), X, labels) for seed in seeds]
    return np.mean(profiles, axis=0)


def training_record(net: MLP, X, labels, probe, epochs: int, lr: float, rng, batch_size: int = 32,
                    optimiser: str = "sgd"):
    r"""Train ``net`` (in place) one epoch at a time and record, before training and after
    every epoch, each layer's :math:`\lVert\partial C/\partial b^{[l]}\rVert` on the batch
    ``probe = (X_probe, labels_probe)`` and how far each layer's weights have moved,
    :math:`\lVert W_t - W_0\rVert / \lVert W_0\rVert`. Returns ``(norms, moved)``, both
    (epochs + 1, n_layers)."""
    start = {key: value.copy() for key, value in net.params.items()}
    keys = [parameter_names(l)[0] for l in range(1, net.n_layers + 1)]

    def snapshot(net):
        moved = [np.linalg.norm(net.params[k] - start[k]) / np.linalg.norm(start[k]) for k in keys]
        return bias_gradient_norms(net, *probe), moved

    first = snapshot(net)
    history = train(net, X, labels, rng=rng, optimiser=optimiser, lr=lr, epochs=epochs, batch_size=batch_size,
                    recorders={"snapshot": snapshot})
    records = [first, *history.recorded["snapshot"]]
    return np.array([r[0] for r in records]), np.array([r[1] for r in records])


def dead_fraction(net: MLP, X) -> np.ndarray:
    """For each hidden layer, the fraction of units whose output is 0 for every row of X (dead)."""
    _, cache = net.forward(X)
    return np.array([float(np.mean(np.all(A == 0.0, axis=0))) for A in cache.layer_outputs[:-1]])


def clip_by_global_norm(grads: dict, max_norm: float):
    r"""Scale every gradient by :math:`\min(1, c/\lVert g\rVert)`, with :math:`\lVert g\rVert`
    the norm of all of them together. Returns ``(clipped grads, norm before clipping)``.

    The norm is computed as :math:`s\sqrt{\sum (g/s)^2}` with :math:`s = \max|g|`, so squares
    of gradients beyond :math:`10^{154}` do not overflow. Unlike
    ``torch.nn.utils.clip_grad_norm_``, which divides by :math:`\lVert g\rVert + 10^{-6}`,
    the factor has no :math:`10^{-6}`: a clipped step has length exactly :math:`c`.
    """
    if not isinstance(grads, dict):
        raise TypeError(f"grads must be a dict name -> array, got {type(grads).__name__}")
    max_norm = check_positive(max_norm, "max_norm")
    grads = {key: check_finite(as_float_array(value, f"grads[{key!r}]"), f"grads[{key!r}]")
             for key, value in grads.items()}
    scale = max((float(np.max(np.abs(g))) for g in grads.values() if g.size), default=0.0)
    if scale == 0.0:
        return {key: g.copy() for key, g in grads.items()}, 0.0
    root = float(np.sqrt(sum(np.sum(np.square(g / scale)) for g in grads.values())))  # in [1, √size]
    factor = min(1.0, max_norm / scale / root)
    return {key: g * factor for key, g in grads.items()}, scale * root


def train_clipped(net: MLP, X, labels, lr: float, epochs: int, rng, max_norm: float | None = None,
                  clip=clip_by_global_norm, batch_size: int = 32):
    """Plain mini-batch SGD on ``net`` (in place), clipping every gradient with
    ``clip(grads, max_norm)`` unless ``max_norm`` is None. Returns ``(losses, norms)``, one
    entry per step (norm before clipping); a run whose gradient overflows stops there.

    Its own loop, not ``helpers.train``'s: it records every step's batch loss and gradient norm
    and stops at the first overflow, where ``train`` records per epoch (a per-step hook in
    ``train`` would serve this one caller). The inputs are checked here, once."""
    X = check_finite(as_float_array(X, "X", ndim=2), "X")
    labels = class_indices(labels, net.layer_sizes[-1])
    lr, rng = check_positive(lr, "lr"), check_rng(rng)
    if max_norm is not None:
        max_norm = check_positive(max_norm, "max_norm")
    loss, sgd = UNCHECKED_LOSSES["categorical_cross_entropy"], RULES["sgd"]
    states = {key: sgd.init(value) for key, value in net.params.items()}
    losses, norms = [], []
    with np.errstate(over="ignore", invalid="ignore"):  # a diverging run is stopped below
        for _ in range(int(epochs)):
            for batch in iterate_minibatches(X.shape[0], batch_size, rng):
                value, grads = net.loss_and_gradients(X[batch], labels[batch], loss, checked=False)
                norm = float(np.sqrt(sum(np.sum(g * g) for g in grads.values())))
                losses.append(value)
                norms.append(norm)
                if not np.isfinite(norm) or not np.isfinite(value):
                    return np.array(losses), np.array(norms)
                if max_norm is not None:
                    grads = clip(grads, max_norm)[0]
                net.params, states = map_rule(sgd, net.params, grads, states, lr)
    return np.array(losses), np.array(norms)
