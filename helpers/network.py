r"""A multilayer perceptron composed from dense layers and registry activations.

Rows are samples. Layer :math:`l` computes :math:`Z^{[l]} = A^{[l-1]} W^{[l]} + b^{[l]}` and
:math:`A^{[l]} = f_l(Z^{[l]})`, with :math:`A^{[0]} = X`. Parameters live in a plain dict
``{"W1": (n_0, n_1), "b1": (n_1,), "W2": ...}`` (``parameter_names`` is the one place that
spells the keys) and gradients come back in a dict with the same keys and shapes, so an
optimiser can treat every parameter alike.

Backward, layer by layer from the output, each layer turns the upstream gradient
:math:`\partial C/\partial A^{[l]}` into the gradients of its own weights and bias and the
gradient :math:`\partial C/\partial A^{[l-1]}` it passes down (notebook 02 derives the formulas).
The activation's derivative :math:`f'` is read from the cached output :math:`A^{[l]}` where the
activation allows it (the sigmoid, tanh, the ReLUs), else from :math:`Z^{[l]}` (SiLU, GELU): the
cache keeps both.
"""
from __future__ import annotations

from typing import Callable, NamedTuple, Sequence

import numpy as np

from helpers import layers
from helpers._validate import as_float_array, check_finite, check_rng, check_shape
from helpers.activations import get_activation
from helpers.init import get_initialiser
from helpers.layers import DenseCache  # also what notebooks build: network.DenseCache(H, W)


def dense_forward(X, W, b):
    """Affine map ``Z = X @ W + b``. Shapes: X (n, fan_in), W (fan_in, fan_out), b (fan_out,).

    Returns ``(Z, cache)`` with Z of shape (n, fan_out). The checked door to
    ``helpers.layers.dense_forward``, for data from a notebook.
    """
    X = as_float_array(X, "X", ndim=2)
    W = as_float_array(W, "W", ndim=2)
    b = as_float_array(b, "b")
    check_shape(X, (None, W.shape[0]), "X (samples × inputs of this layer)")
    check_shape(b, (W.shape[1],), "b")
    return layers.dense_forward(X, W, b)


def dense_backward(grad_Z, cache: DenseCache):
    """Gradients of an affine map. ``grad_Z``: (n, fan_out).

    Returns ``(grad_X, grad_W, grad_b)`` shaped like X, W and b. The checked door to
    ``helpers.layers.dense_backward``.
    """
    grad_Z = as_float_array(grad_Z, "grad_Z", ndim=2)
    check_shape(grad_Z, (cache.inputs.shape[0], cache.weights.shape[1]), "grad_Z")
    return layers.dense_backward(grad_Z, cache)


# the delegation guard (helpers.checks.reference_unavailable) blocks the kernels with the doors
dense_forward.kernel = layers.dense_forward
dense_backward.kernel = layers.dense_backward


def parameter_names(layer: int) -> tuple[str, str]:
    """Keys of layer ``layer``'s weights and biases (counting from 1, as in the maths)."""
    return f"W{layer}", f"b{layer}"


class MLPCache(NamedTuple):
    """What ``MLP.backward`` needs, per layer l = 1..L (entry l-1)."""

    layer_inputs: list     # A^[l-1], so layer_inputs[0] = X
    pre_activations: list  # Z^[l]
    layer_outputs: list    # A^[l] = f_l(Z^[l])


class MLP:
    """A multilayer perceptron: ``params`` (a dict of arrays) plus one activation name per layer.

    Create one with ``MLP.create([64, 30, 10], ["sigmoid", "identity"], rng)``; the output
    layer is usually ``"identity"`` so a loss that takes logits can follow it.
    """

    def __init__(self, params: dict, activations: Sequence[str]):
        activations = list(activations)
        keys = [parameter_names(layer) for layer in range(1, len(activations) + 1)]
        for layer, pair in enumerate(keys, start=1):
            for key in pair:
                if key not in params:
                    raise ValueError(f"params lacks {key!r} for layer {layer} of {len(keys)}")
        extra = set(params) - {key for pair in keys for key in pair}
        if extra:
            raise ValueError(f"params has keys {sorted(extra)} that no layer uses")
        for key, value in params.items():
            if not isinstance(value, np.ndarray):
                raise TypeError(f"params[{key!r}] must be a NumPy array, got {type(value).__name__}")
            # numbers only (no strings, objects, complex), and finite
            check_finite(as_float_array(value, f"params[{key!r}]"), f"params[{key!r}]")
        for layer, (W_key, b_key) in enumerate(keys, start=1):
            W = params[W_key]
            check_shape(W, (None, None), W_key)
            check_shape(params[b_key], (W.shape[1],), b_key)
            if layer > 1:
                check_shape(W, (params[keys[layer - 2][0]].shape[1], None), W_key)
        self._activations = [get_activation(name) for name in activations]
        self._keys = keys
        self.activations = activations
        self.params = params

    @classmethod
    def create(
        cls,
        layer_sizes: Sequence[int],
        activations: Sequence[str],
        rng: np.random.Generator,
        init: str | Callable = "xavier_normal",
    ) -> "MLP":
        """Initialise weights with ``init`` (a name from ``helpers.init`` or a function
        ``(fan_in, fan_out, rng) -> array``) and biases with zeros.

        ``layer_sizes`` lists the widths from input to output, so it has one more entry
        than ``activations``.
        """
        check_rng(rng)
        if len(layer_sizes) != len(activations) + 1:
            raise ValueError(
                f"layer_sizes (input, hidden..., output) needs one entry more than activations: "
                f"got {len(layer_sizes)} sizes and {len(activations)} activations"
            )
        initialise = get_initialiser(init) if isinstance(init, str) else init
        params = {}
        for layer, (fan_in, fan_out) in enumerate(zip(layer_sizes[:-1], layer_sizes[1:]), start=1):
            W_key, b_key = parameter_names(layer)
            params[W_key] = np.asarray(initialise(fan_in, fan_out, rng), dtype=float)
            params[b_key] = np.zeros(fan_out)
        return cls(params, activations)

    @property
    def n_layers(self) -> int:
        return len(self.activations)

    @property
    def layer_sizes(self) -> list[int]:
        return [self.params[self._keys[0][0]].shape[0]] + [self.params[W].shape[1] for W, _ in self._keys]

    def forward(self, X):
        """Run the network on X (n, n_inputs). Returns ``(output, cache)``; output is (n, n_outputs).

        X must be finite; the hidden values are not checked, so a diverging network can
        still be run and inspected.
        """
        X = check_finite(as_float_array(X, "X", ndim=2), "X")
        n_inputs = self.params[self._keys[0][0]].shape[0]
        if X.shape[1] != n_inputs:
            check_shape(X, (None, n_inputs), "X (samples × input features)")
        return self._forward(X)

    def _forward(self, A):
        params = self.params
        inputs, pre_activations, outputs = [], [], []
        for (W_key, b_key), activation in zip(self._keys, self._activations):
            inputs.append(A)
            Z = layers.affine(A, params[W_key], params[b_key])
            A = activation.function(Z)
            pre_activations.append(Z)
            outputs.append(A)
        return A, MLPCache(inputs, pre_activations, outputs)

    def backward(self, cache: MLPCache, grad_output):
        """Gradients of the loss w.r.t. every parameter, from ``grad_output`` = dC/d(output).

        ``grad_output`` must have the output's shape (n, n_outputs). Returns a dict keyed
        like ``params`` with arrays of the same shapes.
        """
        grad_A = as_float_array(grad_output, "grad_output", ndim=(1, 2))
        if grad_A.shape != cache.layer_outputs[-1].shape:
            check_shape(grad_A, cache.layer_outputs[-1].shape, "grad_output (must match the network's output)")
        return self._backward(cache, grad_A)

    def _backward(self, cache: MLPCache, grad_A):
        params = self.params
        grads = dict.fromkeys(params)  # filled from the output back, returned in params' order
        inputs, pre_activations, outputs = cache
        for i in reversed(range(len(self._keys))):  # layer l = i + 1, from the output back
            (W_key, b_key), activation = self._keys[i], self._activations[i]
            if activation.name == "identity":  # f' = 1: δ is the upstream gradient itself
                delta = grad_A
            else:  # f' is a new array: multiply into it
                if activation.derivative_from_output is not None:
                    delta = activation.derivative_from_output(outputs[i])
                else:
                    delta = activation.derivative(pre_activations[i])
                delta *= grad_A
            dense = DenseCache(inputs[i], params[W_key])
            if i:
                grad_A, grads[W_key], grads[b_key] = layers.dense_backward(delta, dense)
            else:  # the data X need no gradient
                grads[W_key], grads[b_key] = layers.dense_parameter_gradients(delta, dense)
        return grads

    def loss_and_gradients(self, X, targets, loss: Callable, *, checked: bool = True):
        """Forward, loss and backward in one call. ``loss(output, targets) -> (value, grad)``.

        ``checked=False`` skips every check of X and of the loss's gradient: for loops
        whose data were validated once where they came in (``helpers.train``).
        """
        if checked:
            output, cache = self.forward(X)
            value, grad_output = loss(output, targets)
            return value, self.backward(cache, grad_output)
        output, cache = self._forward(X)
        value, grad_output = loss(output, targets)
        return value, self._backward(cache, grad_output)

    def predict(self, X) -> np.ndarray:
        """The network's output for X, without keeping a cache."""
        return self.forward(X)[0]

    def copy(self) -> "MLP":
        """An independent copy (arrays copied), e.g. to keep the best parameters seen."""
        return MLP({key: value.copy() for key, value in self.params.items()}, self.activations)
