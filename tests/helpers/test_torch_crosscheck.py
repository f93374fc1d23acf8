"""Optional cross-check against PyTorch autograd (double precision), as micrograd does.

Skipped, with the reason, when torch is not installed; the course never depends on it, and
`make test` installs it (the ``oracle`` extra) under CI, so this runs there. The network and
each loss are written again with torch operations, and torch's gradients must agree
with ``MLP.backward`` to ~1e-10.
"""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip(
    "torch", reason="the PyTorch oracle is optional: pip install -e '.[oracle]' (make test does under CI)"
)
F = torch.nn.functional

from helpers import activations, layers, losses  # noqa: E402
from helpers.network import MLP, parameter_names  # noqa: E402
from toy_activation import SILU, with_silu  # noqa: E402, F401  (a fixture)

TORCH_ACTIVATIONS = {
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": torch.relu,
    "leaky_relu": lambda z: F.leaky_relu(z, negative_slope=0.01),
    "identity": lambda z: z,
    "silu": F.silu,  # the toy record of tests/toy_activation.py
}


def torch_loss(loss_name, output, targets):
    n = output.shape[0]
    if loss_name == "mse":
        return 0.5 * ((output - targets) ** 2).sum() / n
    if loss_name == "binary_cross_entropy":
        return F.binary_cross_entropy_with_logits(output, targets, reduction="sum") / n
    return F.cross_entropy(output, targets, reduction="mean")


def torch_value_and_gradients(params, activation_names, X, targets, loss_name):
    tensors = {key: torch.tensor(value, dtype=torch.float64, requires_grad=True) for key, value in params.items()}
    A = torch.tensor(X, dtype=torch.float64)
    for layer, name in enumerate(activation_names, start=1):
        W_key, b_key = parameter_names(layer)
        A = TORCH_ACTIVATIONS[name](A @ tensors[W_key] + tensors[b_key])
    if loss_name == "categorical_cross_entropy":
        target_tensor = torch.tensor(targets, dtype=torch.int64)
    else:
        target_tensor = torch.tensor(targets, dtype=torch.float64)
    value = torch_loss(loss_name, A, target_tensor)
    value.backward()
    return A.detach().numpy(), float(value.detach()), {key: t.grad.numpy() for key, t in tensors.items()}


CASES = [
    (sizes, names, loss_name)
    for loss_name in sorted(losses.LOSSES)
    for sizes, names in [
        ([4, 6, 3], ["sigmoid", "identity"]),
        ([4, 5, 5, 3], ["tanh", "tanh", "identity"]),
        ([4, 8, 6, 3], ["relu", "leaky_relu", "identity"]),
        ([4, 5, 3], ["relu", "sigmoid"]),
        ([4, 5, 5, 3], ["silu", "silu", "identity"]),
    ]
]


@pytest.mark.parametrize("sizes, names, loss_name", CASES)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_forward_backward_and_loss_match_torch(sizes, names, loss_name, seed, with_silu):
    rng = np.random.default_rng(seed)
    model = MLP.create(sizes, names, rng)
    for layer in range(1, len(names) + 1):
        model.params[parameter_names(layer)[1]] = rng.normal(scale=0.3, size=sizes[layer])
    n, k = 7, sizes[-1]
    X = rng.normal(size=(n, sizes[0]))
    if loss_name == "mse":
        targets = rng.normal(size=(n, k))
    elif loss_name == "binary_cross_entropy":
        targets = rng.uniform(0, 1, size=(n, k))
    else:
        targets = rng.integers(0, k, size=n)

    expected_output, expected_value, expected_grads = torch_value_and_gradients(
        model.params, names, X, targets, loss_name
    )
    np.testing.assert_allclose(model.predict(X), expected_output, rtol=1e-12, atol=1e-14)
    value, grads = model.loss_and_gradients(X, targets, losses.LOSSES[loss_name])
    assert value == pytest.approx(expected_value, rel=1e-12, abs=1e-14)
    assert set(grads) == set(expected_grads)
    for key in grads:
        np.testing.assert_allclose(grads[key], expected_grads[key], rtol=1e-10, atol=1e-13, err_msg=key)


@pytest.mark.parametrize("act", list(activations.ACTIVATIONS.values()) + [SILU], ids=lambda act: act.name)
def test_activation_derivatives_match_torch(act):
    z = np.linspace(-6, 6, 49) + 0.0625  # no exact 0, away from the ReLU kink
    z_t = torch.tensor(z, dtype=torch.float64, requires_grad=True)
    TORCH_ACTIVATIONS[act.name](z_t).sum().backward()
    np.testing.assert_allclose(act.function(z), TORCH_ACTIVATIONS[act.name](z_t).detach().numpy(),
                               rtol=1e-14, atol=1e-300)
    # 1 − a² and a(1 − a) lose ~eps/f' relative accuracy where f' is small (|z| ≈ 6)
    np.testing.assert_allclose(act.derivative(z), z_t.grad.numpy(), rtol=1e-9, atol=1e-300)
    if act.derivative_from_output is not None:
        np.testing.assert_allclose(act.derivative_from_output(act.function(z)), z_t.grad.numpy(),
                                   rtol=1e-9, atol=1e-300)


def test_softmax_and_log_softmax_match_torch():
    rng = np.random.default_rng(3)
    z = rng.normal(scale=4.0, size=(5, 6))
    upstream = rng.normal(size=(5, 6))
    z_t = torch.tensor(z, dtype=torch.float64, requires_grad=True)
    p_t = torch.softmax(z_t, dim=1)
    (p_t * torch.tensor(upstream)).sum().backward()
    np.testing.assert_allclose(layers.softmax(z), p_t.detach().numpy(), rtol=1e-13)
    np.testing.assert_allclose(
        layers.softmax_backward(layers.softmax(z), upstream), z_t.grad.numpy(), rtol=1e-10, atol=1e-14
    )
    z_t.grad = None
    log_p_t = torch.log_softmax(z_t, dim=1)
    (log_p_t * torch.tensor(upstream)).sum().backward()
    np.testing.assert_allclose(layers.log_softmax(z), log_p_t.detach().numpy(), rtol=1e-13)
    np.testing.assert_allclose(
        layers.log_softmax_backward(layers.log_softmax(z), upstream),
        z_t.grad.numpy(), rtol=1e-10, atol=1e-14,
    )
