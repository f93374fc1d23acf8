"""Optional cross-check against PyTorch autograd (double precision), as micrograd does.

Skipped when torch is not installed; the course never depends on it. The network and
each loss are written again with torch operations, and torch's gradients must agree
with ``MLP.backward`` to ~1e-10.
"""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
F = torch.nn.functional

from helpers import losses  # noqa: E402
from helpers.network import MLP  # noqa: E402

TORCH_ACTIVATIONS = {
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": torch.relu,
    "leaky_relu": lambda z: F.leaky_relu(z, negative_slope=0.01),
    "identity": lambda z: z,
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
        A = TORCH_ACTIVATIONS[name](A @ tensors[f"W{layer}"] + tensors[f"b{layer}"])
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
    ]
]


@pytest.mark.parametrize("sizes, names, loss_name", CASES)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_forward_backward_and_loss_match_torch(sizes, names, loss_name, seed):
    rng = np.random.default_rng(seed)
    model = MLP.create(sizes, names, rng)
    for layer in range(1, len(names) + 1):
        model.params[f"b{layer}"] = rng.normal(scale=0.3, size=sizes[layer])
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


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "leaky_relu"])
def test_activation_derivatives_match_torch(name):
    from helpers import activations

    z = np.linspace(-6, 6, 49) + 0.0625  # no exact 0, away from the ReLU kink
    z_t = torch.tensor(z, dtype=torch.float64, requires_grad=True)
    TORCH_ACTIVATIONS[name](z_t).sum().backward()
    act = activations.get_activation(name)
    np.testing.assert_allclose(act.function(z), TORCH_ACTIVATIONS[name](z_t).detach().numpy(), rtol=1e-14, atol=1e-300)
    # 1 − a² and a(1 − a) lose ~eps/f' relative accuracy where f' is small (|z| ≈ 6)
    np.testing.assert_allclose(act.derivative(z), z_t.grad.numpy(), rtol=1e-9, atol=1e-300)
    np.testing.assert_allclose(act.derivative_from_output(act.function(z)), z_t.grad.numpy(), rtol=1e-9, atol=1e-300)


def test_softmax_and_log_softmax_match_torch():
    from helpers import activations

    rng = np.random.default_rng(3)
    z = rng.normal(scale=4.0, size=(5, 6))
    upstream = rng.normal(size=(5, 6))
    z_t = torch.tensor(z, dtype=torch.float64, requires_grad=True)
    p_t = torch.softmax(z_t, dim=1)
    (p_t * torch.tensor(upstream)).sum().backward()
    np.testing.assert_allclose(activations.softmax(z), p_t.detach().numpy(), rtol=1e-13)
    np.testing.assert_allclose(
        activations.softmax_backward(activations.softmax(z), upstream), z_t.grad.numpy(), rtol=1e-10, atol=1e-14
    )
    z_t.grad = None
    log_p_t = torch.log_softmax(z_t, dim=1)
    (log_p_t * torch.tensor(upstream)).sum().backward()
    np.testing.assert_allclose(activations.log_softmax(z), log_p_t.detach().numpy(), rtol=1e-13)
    np.testing.assert_allclose(
        activations.log_softmax_backward(activations.log_softmax(z), upstream),
        z_t.grad.numpy(), rtol=1e-10, atol=1e-14,
    )
