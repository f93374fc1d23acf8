r"""Batch normalisation inside a deep network: notebook 07's deep sigmoid network retrained with
a batch-norm layer between every hidden layer's weights and its sigmoid.

Hidden layer :math:`l` computes :math:`Z = A^{[l-1]} W^{[l]}`, then
:math:`\tilde Z = \gamma^{[l]} \hat Z + \beta^{[l]}` (``helpers.layers.batch_norm_forward``), then
:math:`A^{[l]} = f(\tilde Z)`. No bias: :math:`\beta` takes its place (a bias would be removed
with the batch mean). The output layer is the plain dense layer. While training, each layer
keeps running averages of its batch means and variances,
:math:`m \leftarrow (1 - \rho)\, m + \rho\, \mu_B` with momentum :math:`\rho`; ``predict``
normalises with them, so a prediction does not depend on the other samples in its batch.
"""
from __future__ import annotations

import copy
from typing import Callable, NamedTuple, Sequence

import numpy as np

from helpers import layers
from helpers._validate import as_float_array, check_finite, check_probability
from helpers.activations import get_activation
from helpers.experiments.vanishing_gradients import deep_network, layer_gradient_norms
from helpers.losses import LOSSES
from helpers.network import MLP, parameter_names
from helpers.notebook import student_or_reference
from helpers.train import train

RUNNING_MOMENTUM = 0.1  # PyTorch's default: the running averages forget with a time scale of ~10 steps


def norm_parameter_names(layer: int) -> tuple[str, str]:
    """Keys of hidden layer ``layer``'s batch-norm scale and shift (counting from 1)."""
    return f"gamma{layer}", f"beta{layer}"


class BatchNormLayer(NamedTuple):
    """The two passes of batch normalisation, as ``helpers.layers`` writes them: the course's kernels
    (``COURSE_LAYER``), or a student's (``student_layer``), and the experiments then run on those."""
    forward: Callable   # (X, gamma, beta) -> (Y, cache)
    backward: Callable  # (grad_Y, cache) -> (grad_X, grad_gamma, grad_beta)


COURSE_LAYER = BatchNormLayer(layers.batch_norm_forward.kernel, layers.batch_norm_backward.kernel)


def student_layer(forward: Callable, backward: Callable) -> BatchNormLayer:
    """The layer with a student's two passes; one not written yet is replaced by the course's, or, where
    this copy of helpers lacks that too, the cell stops and names the exercise (``student_or_reference``)."""
    batch = np.array([[0.0], [1.0]]), np.ones(1), np.zeros(1)
    forward = student_or_reference(forward, COURSE_LAYER.forward, *batch)
    backward = student_or_reference(backward, COURSE_LAYER.backward, np.ones((2, 1)), forward(*batch)[1])
    return BatchNormLayer(forward, backward)


class RunningStatistics(NamedTuple):
    """One hidden layer's running averages of its batch means and variances, each (width,)."""
    mean: np.ndarray
    variance: np.ndarray


class BatchNormMLP:
    """A deep network with batch normalisation before every hidden activation.

    It trains through ``helpers.train.train`` like an ``MLP`` (``params``, ``layer_sizes``,
    ``activations``, ``loss_and_gradients``, ``predict``). ``running`` holds each hidden
    layer's ``RunningStatistics``: state that training updates on purpose, since test time needs it.
    ``normaliser``: the ``BatchNormLayer`` every hidden layer uses.
    """

    def __init__(self, params: dict, activations: Sequence[str], normaliser: BatchNormLayer = COURSE_LAYER,
                 momentum: float = RUNNING_MOMENTUM):
        self.params = params
        self.normaliser = normaliser
        self.activations = list(activations)
        self.momentum = check_probability(momentum, "momentum")
        self._functions = [get_activation(name) for name in self.activations]
        widths = self.layer_sizes[1:-1]
        self.running = [RunningStatistics(np.zeros(width), np.ones(width)) for width in widths]

    @classmethod
    def from_mlp(cls, net: MLP, normaliser: BatchNormLayer = COURSE_LAYER,
                 momentum: float = RUNNING_MOMENTUM) -> "BatchNormMLP":
        """The same weights as ``net`` (its hidden biases dropped), with γ = 1 and β = 0."""
        params = {}
        for layer in range(1, net.n_layers + 1):
            W_key, b_key = parameter_names(layer)
            params[W_key] = net.params[W_key].copy()
            if layer < net.n_layers:
                width = params[W_key].shape[1]
                params.update(zip(norm_parameter_names(layer), (np.ones(width), np.zeros(width))))
            else:
                params[b_key] = net.params[b_key].copy()
        return cls(params, net.activations, normaliser, momentum)

    @property
    def n_layers(self) -> int:
        return len(self.activations)

    @property
    def layer_sizes(self) -> list[int]:
        weights = [self.params[parameter_names(layer)[0]] for layer in range(1, self.n_layers + 1)]
        return [weights[0].shape[0]] + [W.shape[1] for W in weights]

    def _forward(self, A, normalise):
        """The whole network, with ``normalise(layer, Z) -> (Y, cache or None)`` as each hidden layer's
        batch normalisation: the batch's statistics in training, the running averages at test time."""
        caches = []
        for layer in range(1, self.n_layers):
            W = self.params[parameter_names(layer)[0]]
            Z = A @ W  # the dense layer without its bias
            Y, norm = normalise(layer, Z)
            A_next = self._functions[layer - 1].function(Y)
            caches.append((A, W, norm, Y, A_next))
            A = A_next
        W_key, b_key = parameter_names(self.n_layers)
        output, _ = layers.dense_forward(A, self.params[W_key], self.params[b_key])
        return output, caches, A

    def _scale_and_shift(self, layer: int):
        return (self.params[key] for key in norm_parameter_names(layer))

    def _with_batch_statistics(self, layer: int, Z):
        return self.normaliser.forward(Z, *self._scale_and_shift(layer))

    def _training(self, layer: int, Z):
        """Batch statistics, and a step of the running averages towards them."""
        old, rate = self.running[layer - 1], self.momentum
        self.running[layer - 1] = RunningStatistics((1 - rate) * old.mean + rate * Z.mean(axis=0),
                                                    (1 - rate) * old.variance + rate * Z.var(axis=0))
        return self._with_batch_statistics(layer, Z)

    def _with_running_averages(self, layer: int, Z):
        gamma, beta = self._scale_and_shift(layer)
        mean, variance = self.running[layer - 1]
        return gamma * (Z - mean) / np.sqrt(variance + layers.BATCH_NORM_EPS) + beta, None

    def loss_and_gradients(self, X, targets, loss, *, checked: bool = True):
        """Training step maths: forward with batch statistics (updating the running averages),
        ``loss(output, targets) -> (value, grad)``, and every parameter's gradient."""
        if checked:
            X = check_finite(as_float_array(X, "X", ndim=2), "X")
        output, caches, last_hidden = self._forward(X, self._training)
        value, grad = loss(output, targets)
        grads = {}
        W_key, b_key = parameter_names(self.n_layers)
        grad_A, grads[W_key], grads[b_key] = layers.dense_backward(
            grad, layers.DenseCache(last_hidden, self.params[W_key]))
        for layer in range(self.n_layers - 1, 0, -1):
            A, W, norm, Y, A_next = caches[layer - 1]
            f = self._functions[layer - 1]
            slope = f.derivative_from_output(A_next) if f.derivative_from_output is not None else f.derivative(Y)
            grad_Z, *grads_norm = self.normaliser.backward(grad_A * slope, norm)
            grads.update(zip(norm_parameter_names(layer), grads_norm))
            grad_A, grads[parameter_names(layer)[0]], _ = layers.dense_backward(grad_Z, layers.DenseCache(A, W))
        return value, {key: grads[key] for key in self.params}

    def predict(self, X) -> np.ndarray:
        """Test-time output: every layer normalised with its running averages."""
        return self._forward(check_finite(as_float_array(X, "X", ndim=2), "X"), self._with_running_averages)[0]

    def predict_with_batch_statistics(self, X) -> np.ndarray:
        """The test-time bug: normalise with the statistics of the batch ``X`` itself."""
        return self._forward(check_finite(as_float_array(X, "X", ndim=2), "X"), self._with_batch_statistics)[0]


# --- the gradient, seen whole ------------------------------------------------------------------

def normalisation_jacobian(x, eps: float = layers.BATCH_NORM_EPS) -> np.ndarray:
    r"""The Jacobian :math:`J_{ij} = \partial \hat x_i / \partial x_j` of normalising one unit's batch
    ``x`` (n,): (n, n). Column k of ``batch_norm_backward`` with upstream gradient :math:`e_k` is
    row k, so n copies of ``x`` side by side and the identity as upstream give all rows at once."""
    return layers.batch_norm_backward(np.eye(np.size(x)), _copies(x, eps))[0].T


def wrong_jacobians(x, right, eps: float = layers.BATCH_NORM_EPS) -> dict:
    """The ``right`` Jacobian of ``x`` as each of ``wrong_derivations`` gets it (γ = 1: no dropped γ)."""
    wrong = wrong_derivations(np.eye(np.size(x)), _copies(x, eps), np.asarray(right, dtype=float).T)
    return {message: wrong[message].T for message in (CONSTANT_STATISTICS, N_MINUS_ONE)}


def _copies(x, eps) -> layers.BatchNormCache:
    """The batch-norm cache of n copies of the batch ``x`` (n,) side by side, with γ = 1."""
    x = as_float_array(x, "x", ndim=1)
    ones = np.ones(x.size)
    return layers.BatchNormCache(np.repeat(x[:, None] - x.mean(), x.size, axis=1), ones / np.sqrt(x.var() + eps), ones)


CONSTANT_STATISTICS = ("you treated the batch mean μ and variance σ² as constants, but both depend on every x "
                       "in the batch: follow the paths through μ and σ² too")
N_MINUS_ONE = ("you divided by n - 1 in the derivative of the variance; the forward pass divides by n "
               "(σ² is the batch's own variance, not an unbiased estimate)")
DROPPED_GAMMA = "you dropped γ: y = γ x̂ + β, so ∂C/∂x̂ is γ times ∂C/∂y"


def wrong_derivations(grad_Y, cache: layers.BatchNormCache, right) -> dict:
    """The usual wrong results for ∂C/∂X, each under the sentence a test cell shows for it, from
    the ``right`` ∂C/∂X (a test's expected value: the course's answer may not be in this copy)."""
    centred, inverse_std, gamma = cache
    n = grad_Y.shape[0]
    variance_path = -gamma * inverse_std ** 3 * np.sum(grad_Y * centred, axis=0) * centred / n
    with np.errstate(divide="ignore", invalid="ignore"):  # a unit with γ = 0 has no such mistake to show
        return {
            CONSTANT_STATISTICS: gamma * inverse_std * grad_Y,
            N_MINUS_ONE: right + variance_path * (n / max(n - 1, 1) - 1),
            DROPPED_GAMMA: right / gamma,  # every path to x̂ starts with the factor γ
        }


# --- the experiment: notebook 07's network, with and without batch normalisation ---------------

class Run(NamedTuple):
    """One training run: the training loss before training and after every epoch (inf or NaN
    once it diverged), each layer's gradient norm ‖∂C/∂W‖ at initialisation, and the trained network."""
    losses: np.ndarray          # (epochs + 1,)
    gradient_norms: np.ndarray  # (depth + 1,)
    network: MLP | BatchNormMLP


def networks(depth: int, seed: int, n_inputs: int = 64, normaliser: BatchNormLayer = COURSE_LAYER):
    """Notebook 07's deep sigmoid network and its batch-norm twin, with the same initial weights."""
    plain = deep_network(depth, "sigmoid", np.random.default_rng(seed), n_inputs=n_inputs)
    return plain, BatchNormMLP.from_mlp(plain, normaliser)


def compare(X, labels, depth: int, lr: float, epochs: int, seed: int = 0, batch_size: int = 32,
            normaliser: BatchNormLayer = COURSE_LAYER) -> dict:
    """Train both networks of ``networks(depth, seed)`` with plain SGD on (X, labels), the same
    mini-batches for both: ``{"plain": Run, "batch norm": Run}``."""
    runs = {}
    for label, net in zip(("plain", "batch norm"), networks(depth, seed, X.shape[1], normaliser)):
        norms = layer_gradient_norms(copy.deepcopy(net), X, labels)  # a copy: it would move the running averages
        loss = LOSSES["categorical_cross_entropy"]
        start = loss(net.predict(X), labels)[0]
        with np.errstate(over="ignore", invalid="ignore"):  # a diverging run records inf or NaN
            history = train(net, X, labels, rng=np.random.default_rng(seed + 1), lr=lr, epochs=epochs,
                            batch_size=batch_size)
        runs[label] = Run(np.array([start, *history.train_loss]), norms, net)
    return runs


def sweep(X, labels, depths: Sequence[int], rates: Sequence[float], epochs: int, seed: int = 0,
          normaliser: BatchNormLayer = COURSE_LAYER) -> dict:
    """``compare`` for every depth and learning rate: ``{(depth, lr): {"plain": Run, "batch norm": Run}}``,
    what the explorer looks up."""
    return {(depth, lr): compare(X, labels, depth, lr, epochs, seed, normaliser=normaliser) for depth in depths for lr in rates}


def batch_noise(X, row: int, batch_size: int, n_batches: int, rng,
                forward: Callable = COURSE_LAYER.forward) -> np.ndarray:
    r"""The normalised value :math:`\hat x` of sample ``row`` (every column) when it sits in
    ``n_batches`` random batches of ``batch_size`` rows of X: (n_batches, d). Its spread is
    the noise batch normalisation adds to every sample. ``forward``: the layer's forward pass."""
    X = as_float_array(X, "X", ndim=2)
    others = np.delete(np.arange(X.shape[0]), row)
    values = []
    for _ in range(n_batches):
        batch = np.concatenate([[row], rng.choice(others, batch_size - 1, replace=False)])
        normalised, _ = forward(X[batch], np.ones(X.shape[1]), np.zeros(X.shape[1]))
        values.append(normalised[0])
    return np.array(values)
