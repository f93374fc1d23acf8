"""Tests for helpers.network: a hand-computed example, an independent reference forward
pass, MLP.backward against finite differences (several depths, every registered activation,
a toy one added by one record, every loss), the shape contract and its error messages, the
checked dense-layer doors, and copy().
"""
from __future__ import annotations

import copy as copy_module

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from helpers import init, layers, losses
from helpers.activations import ACTIVATIONS
from helpers.network import MLP, DenseCache, dense_backward, dense_forward, parameter_names
from numgrad import numerical_gradient, rel_error
from toy_activation import SILU, with_silu  # noqa: F401  (a fixture)

TOL = 1e-6
ACTIVATION_NAMES = list(ACTIVATIONS)
KINKED = {"relu", "leaky_relu"}
KINK_MARGIN = 1e-3  # pre-activations closer than this to 0 are skipped for ReLU layers

seeds = st.integers(0, 2**32 - 1)


# --- an independent reference ------------------------------------------------------------

REFERENCE_ACTIVATIONS = {
    "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)),  # |z| stays small in these tests
    "tanh": np.tanh,
    "relu": lambda z: np.where(z > 0, z, 0.0),
    "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z),
    "identity": lambda z: z,
}


def test_every_registered_activation_has_a_reference():
    assert set(REFERENCE_ACTIVATIONS) == set(ACTIVATIONS)


def reference_forward(params, activation_names, X):
    """A plain loop over layers; returns the output and every layer's pre-activation."""
    A, pre_activations = np.asarray(X, dtype=np.float64), []
    for layer, name in enumerate(activation_names, start=1):
        W_key, b_key = parameter_names(layer)
        Z = A @ params[W_key] + params[b_key]
        pre_activations.append(Z)
        A = REFERENCE_ACTIVATIONS[name](Z)
    return A, pre_activations


def far_from_kinks(params, activation_names, X):
    _, pre_activations = reference_forward(params, activation_names, X)
    return all(
        np.min(np.abs(Z)) > KINK_MARGIN
        for Z, name in zip(pre_activations, activation_names)
        if name in KINKED
    )


def random_network(rng, sizes, activation_names):
    """An MLP with Xavier weights and non-zero biases (so the bias path is exercised)."""
    model = MLP.create(sizes, activation_names, rng)
    for layer in range(1, len(activation_names) + 1):
        b_key = parameter_names(layer)[1]
        model.params[b_key] = rng.normal(scale=0.5, size=model.params[b_key].shape)
    return model


def random_targets(rng, loss_name, n, k):
    if loss_name == "mse":
        return rng.normal(size=(n, k))
    if loss_name == "binary_cross_entropy":
        return rng.integers(0, 2, size=(n, k)).astype(float)
    return rng.integers(0, k, size=n)


@st.composite
def architectures(draw, hidden=None, max_depth=4):
    """(sizes, activation names, n): depth 1–max_depth, widths 1–4, batch 1–4."""
    depth = draw(st.integers(1, max_depth))
    sizes = draw(st.lists(st.integers(1, 4), min_size=depth + 1, max_size=depth + 1))
    if hidden is None:
        names = draw(st.lists(st.sampled_from(ACTIVATION_NAMES), min_size=depth, max_size=depth))
    else:  # every hidden layer uses ``hidden``; the output layer is drawn
        names = [hidden] * (depth - 1) + [draw(st.sampled_from(ACTIVATION_NAMES))]
    return sizes, names, draw(st.integers(1, 4))


def step_for(activation_names):
    # smooth networks: h = 1e-4 (error ~1e-12); with kinks keep every stencil point
    # (±2h times inputs of order 1) well inside the KINK_MARGIN
    return 1e-5 if KINKED & set(activation_names) else 1e-4


# --- a hand-computed example ------------------------------------------------------------

def hand_network():
    params = {
        "W1": np.array([[1.0, -1.0], [0.0, 2.0]]),
        "b1": np.array([0.0, 1.0]),
        "W2": np.array([[2.0], [5.0]]),
        "b2": np.array([0.5]),
    }
    return MLP(params, ["relu", "identity"])


def test_hand_computed_forward_and_backward():
    model = hand_network()
    X = np.array([[1.0, -1.0]])
    # Z1 = [1, -3] + [0, 1] = [1, -2], A1 = [1, 0], Z2 = 2 + 0.5
    output, cache = model.forward(X)
    np.testing.assert_array_equal(output, [[2.5]])
    np.testing.assert_array_equal(cache.layer_outputs[0], [[1.0, 0.0]])
    # MSE against 0.5: C = 2² / 2 = 2, dC/da = 2
    value, grads = model.loss_and_gradients(X, np.array([[0.5]]), losses.mean_squared_error)
    assert value == 2.0
    np.testing.assert_array_equal(grads["W2"], [[2.0], [0.0]])
    np.testing.assert_array_equal(grads["b2"], [2.0])
    np.testing.assert_array_equal(grads["W1"], [[4.0, 0.0], [-4.0, 0.0]])  # δ1 = [4, 10]·[1, 0]
    np.testing.assert_array_equal(grads["b1"], [4.0, 0.0])


def test_dense_forward_hand_computed():
    X = np.array([[1.0, 2.0], [0.0, -1.0]])
    W = np.array([[1.0, 0.0, 2.0], [0.0, 1.0, 3.0]])
    b = np.array([1.0, 1.0, 1.0])
    Z, cache = dense_forward(X, W, b)
    np.testing.assert_array_equal(Z, [[2.0, 3.0, 9.0], [1.0, 0.0, -2.0]])
    assert isinstance(cache, DenseCache)
    np.testing.assert_array_equal(cache.inputs, X)
    np.testing.assert_array_equal(cache.weights, W)
    grad_X, grad_W, grad_b = dense_backward(np.ones((2, 3)), cache)
    np.testing.assert_array_equal(grad_X, [[3.0, 4.0], [3.0, 4.0]])
    np.testing.assert_array_equal(grad_W, [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]])
    np.testing.assert_array_equal(grad_b, [2.0, 2.0, 2.0])


@given(seeds, architectures())
@settings(max_examples=30)
def test_forward_matches_reference_and_has_the_right_shapes(seed, architecture):
    sizes, names, n = architecture
    rng = np.random.default_rng(seed)
    model = random_network(rng, sizes, names)
    X = rng.normal(size=(n, sizes[0]))
    output, cache = model.forward(X)
    expected, pre_activations = reference_forward(model.params, names, X)
    assert output.shape == (n, sizes[-1])
    np.testing.assert_allclose(output, expected, rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(model.predict(X), output)
    assert len(cache.layer_inputs) == len(cache.pre_activations) == len(cache.layer_outputs) == len(names)
    np.testing.assert_array_equal(cache.layer_inputs[0], X)
    for layer in range(1, len(names)):
        assert cache.layer_inputs[layer] is cache.layer_outputs[layer - 1]
    for got, want in zip(cache.pre_activations, pre_activations):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
    assert model.n_layers == len(names)
    assert model.layer_sizes == sizes


# --- gradients against finite differences ----------------------------------------------------

@pytest.mark.parametrize("hidden", ACTIVATION_NAMES)
@given(seed=seeds, architecture=st.data())
@settings(max_examples=25)
def test_mlp_backward_with_random_upstream_gradient(hidden, seed, architecture):
    sizes, names, n = architecture.draw(architectures(hidden=hidden))
    rng = np.random.default_rng(seed)
    model = random_network(rng, sizes, names)
    X = rng.normal(size=(n, sizes[0]))
    assume(far_from_kinks(model.params, names, X))
    upstream = rng.normal(size=(n, sizes[-1]))
    _, cache = model.forward(X)
    grads = model.backward(cache, upstream)
    assert list(grads) == list(model.params)
    for key, value in model.params.items():
        numeric = numerical_gradient(
            lambda: np.sum(upstream * model.forward(X)[0]), value, h=step_for(names)
        )
        assert grads[key].shape == value.shape
        assert rel_error(grads[key], numeric) < TOL, f"{key} of {sizes} {names}"


@pytest.mark.parametrize("loss_name", sorted(losses.LOSSES))
@pytest.mark.parametrize("hidden", ["sigmoid", "tanh", "relu"])
@given(seed=seeds, architecture=st.data())
@settings(max_examples=15)
def test_mlp_loss_gradients_match_finite_differences(loss_name, hidden, seed, architecture):
    sizes, names, n = architecture.draw(architectures(hidden=hidden))
    rng = np.random.default_rng(seed)
    model = random_network(rng, sizes, names)
    X = rng.normal(size=(n, sizes[0]))
    assume(far_from_kinks(model.params, names, X))
    targets = random_targets(rng, loss_name, n, sizes[-1])
    loss = losses.LOSSES[loss_name]
    _, grads = model.loss_and_gradients(X, targets, loss)
    for key, value in model.params.items():
        numeric = numerical_gradient(lambda: loss(model.forward(X)[0], targets)[0], value, h=step_for(names))
        assert rel_error(grads[key], numeric) < TOL, f"{key} of {sizes} {names}"


@pytest.mark.parametrize("loss_name", sorted(losses.LOSSES))
def test_unchecked_loss_and_gradients_is_the_checked_one_without_checks(loss_name, rng):
    model = random_network(rng, [4, 5, 3], ["tanh", "identity"])
    X = rng.normal(size=(6, 4))
    targets = random_targets(rng, loss_name, 6, 3)
    loss = losses.LOSSES[loss_name]
    value, grads = model.loss_and_gradients(X, targets, loss)
    fast_value, fast_grads = model.loss_and_gradients(X, targets, loss, checked=False)
    assert fast_value == value
    for key in grads:
        np.testing.assert_array_equal(fast_grads[key], grads[key])
    X[0, 0] = np.nan  # unchecked: a diverged run shows its NaN instead of stopping
    with np.errstate(invalid="ignore"):
        _, fast_grads = model.loss_and_gradients(X, targets, lambda out, t: (0.0, out), checked=False)
    assert np.isnan(fast_grads["W1"][0]).all()
    with pytest.raises(ValueError, match="X must be finite"):
        model.loss_and_gradients(X, targets, loss)


# --- a toy activation added by one registry record -----------------------------------------------

@pytest.mark.parametrize("seed, depth", [(0, 1), (1, 2), (2, 3), (3, 3)])
def test_an_activation_without_derivative_from_output_trains(with_silu, seed, depth):
    # SiLU's f' cannot be read from its output: backward must use the cached Z
    rng = np.random.default_rng(seed)
    sizes = [3] + [4] * depth + [2]
    model = random_network(rng, sizes, ["silu"] * depth + ["identity"])
    X = rng.normal(size=(5, 3))
    upstream = rng.normal(size=(5, 2))
    _, cache = model.forward(X)
    grads = model.backward(cache, upstream)
    for key, value in model.params.items():
        numeric = numerical_gradient(lambda: np.sum(upstream * model.forward(X)[0]), value)
        assert rel_error(grads[key], numeric) < TOL, key


def test_a_toy_activation_initialises_with_its_gain(with_silu):
    def by_gain(fan_in, fan_out, rng):  # Var(w) = gain / n_in
        return init.normal(fan_in, fan_out, rng, std=np.sqrt(SILU.gain / fan_in))

    model = MLP.create([400, 300, 1], ["silu", "identity"], np.random.default_rng(0), init=by_gain)
    assert np.var(model.params["W1"]) == pytest.approx(SILU.gain / 400, rel=0.03)
    assert model.predict(np.ones((2, 400))).shape == (2, 1)


def test_symmetric_initialisation_gives_symmetric_gradients(rng):
    # constant weights: every hidden unit computes the same thing and gets the same gradient,
    # so gradient descent can never tell them apart
    model = MLP.create([3, 4, 2], ["sigmoid", "identity"], rng, init="constant")
    X = rng.normal(size=(5, 3))
    y = rng.normal(size=(5, 2))
    for _ in range(3):
        _, grads = model.loss_and_gradients(X, y, losses.mean_squared_error)
        assert np.all(grads["W1"] == grads["W1"][:, :1])
        assert np.all(grads["b1"] == grads["b1"][0])
        assert np.all(grads["W2"] == grads["W2"][:1, :])
        model.params = {key: value - 0.5 * grads[key] for key, value in model.params.items()}
    assert np.all(model.params["W1"] == model.params["W1"][:, :1])
    # zeros: the hidden layer gets no gradient at all (W2 = 0 blocks it)
    model = MLP.create([3, 4, 2], ["sigmoid", "identity"], rng, init="zeros")
    _, grads = model.loss_and_gradients(X, y, losses.mean_squared_error)
    np.testing.assert_array_equal(grads["W1"], np.zeros((3, 4)))


# --- contract: keys, shapes, no mutation, copies --------------------------------------------

def test_backward_returns_params_keys_and_shapes_and_mutates_nothing(rng):
    model = MLP.create([3, 5, 4, 2], ["tanh", "relu", "identity"], rng)
    params_before = copy_module.deepcopy(model.params)
    X = rng.normal(size=(6, 3))
    X_before = X.copy()
    output, cache = model.forward(X)
    cache_before = copy_module.deepcopy(cache)
    upstream = rng.normal(size=output.shape)
    upstream_before = upstream.copy()
    grads = model.backward(cache, upstream)
    assert list(grads) == ["W1", "b1", "W2", "b2", "W3", "b3"] == list(model.params)
    for key in model.params:
        assert grads[key].shape == model.params[key].shape
        assert not np.shares_memory(grads[key], model.params[key])
        np.testing.assert_array_equal(model.params[key], params_before[key])
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(upstream, upstream_before)
    for before, after in zip(cache_before.layer_outputs, cache.layer_outputs):
        np.testing.assert_array_equal(before, after)


def test_create_shapes_biases_and_seed():
    model = MLP.create([4, 3, 2], ["sigmoid", "identity"], np.random.default_rng(5))
    assert {key: value.shape for key, value in model.params.items()} == {
        "W1": (4, 3), "b1": (3,), "W2": (3, 2), "b2": (2,)
    }
    np.testing.assert_array_equal(model.params["b1"], np.zeros(3))
    np.testing.assert_array_equal(model.params["b2"], np.zeros(2))
    again = MLP.create([4, 3, 2], ["sigmoid", "identity"], np.random.default_rng(5))
    for key in model.params:
        np.testing.assert_array_equal(model.params[key], again.params[key])
    assert model.activations == ["sigmoid", "identity"]


def test_create_accepts_an_initialiser_function():
    calls = []

    def ones(fan_in, fan_out, rng):
        calls.append((fan_in, fan_out))
        return np.ones((fan_in, fan_out))

    model = MLP.create([2, 3, 1], ["relu", "identity"], np.random.default_rng(0), init=ones)
    assert calls == [(2, 3), (3, 1)]
    np.testing.assert_array_equal(model.params["W1"], np.ones((2, 3)))
    np.testing.assert_array_equal(model.predict([[1.0, 2.0]]), [[9.0]])
    # whatever array-like the function returns, the weights are float64 arrays, ready to train
    listed = MLP.create([2, 1], ["identity"], np.random.default_rng(0), init=lambda i, o, rng: [[1]] * i)
    assert type(listed.params["W1"]) is np.ndarray and listed.params["W1"].dtype == np.float64


def test_copy_is_independent(rng):
    model = MLP.create([3, 4, 2], ["tanh", "identity"], rng)
    X = rng.normal(size=(5, 3))
    twin = model.copy()
    np.testing.assert_array_equal(twin.predict(X), model.predict(X))
    assert twin.activations == model.activations
    original_W1 = model.params["W1"].copy()
    twin.params["W1"][0, 0] += 1.0
    twin.params["b2"] = np.ones(2)
    twin.activations[0] = "relu"
    np.testing.assert_array_equal(model.params["W1"], original_W1)
    np.testing.assert_array_equal(model.params["b2"], np.zeros(2))
    assert model.activations == ["tanh", "identity"]
    for key in model.params:
        assert not np.shares_memory(model.params[key], twin.params[key])


# --- errors: shapes named in the message -------------------------------------------------------

def test_forward_rejects_wrong_input_shape_naming_both_shapes(rng):
    model = MLP.create([3, 4, 2], ["tanh", "identity"], rng)
    with pytest.raises(ValueError, match=r"^X \(samples × input features\) should have shape \('any', 3\), got \(5, 2\)"):
        model.forward(np.zeros((5, 2)))
    with pytest.raises(ValueError, match=r"^X must have 2 dimension.*got shape \(3,\)"):
        model.forward(np.zeros(3))
    with pytest.raises(ValueError, match=r"dimension.*\(1, 2, 3\)"):
        model.forward(np.zeros((1, 2, 3)))
    with pytest.raises(TypeError, match="^X must hold numbers"):
        model.forward([["a", "b", "c"]])
    with pytest.raises(TypeError, match="^X must be real"):
        model.forward(np.zeros((2, 3), dtype=complex))
    with pytest.raises(TypeError, match="^X must hold numbers"):
        model.forward(np.zeros((2, 3), dtype=object))


def test_backward_rejects_wrong_grad_output_shape_naming_both_shapes(rng):
    model = MLP.create([3, 4, 2], ["tanh", "identity"], rng)
    _, cache = model.forward(np.zeros((5, 3)))
    with pytest.raises(ValueError, match=r"^grad_output \(must match the network's output\) should have shape \(5, 2\), got \(5, 3\)"):
        model.backward(cache, np.zeros((5, 3)))
    with pytest.raises(ValueError, match=r"grad_output.*shape \(5, 2\), got \(4, 2\)"):
        model.backward(cache, np.zeros((4, 2)))
    with pytest.raises(ValueError, match=r"grad_output.*shape \(5, 2\), got \(10,\)"):
        model.backward(cache, np.zeros(10))
    with pytest.raises(TypeError, match="^grad_output must hold numbers"):
        model.backward(cache, "gradient")
    with pytest.raises(ValueError, match=r"^grad_output must have 1 or 2 dimension\(s\), got shape \(5, 2, 1\)"):
        model.backward(cache, np.zeros((5, 2, 1)))
    deep = MLP.create([3, 4, 6, 2], ["tanh", "relu", "identity"], rng)  # the output's shape, not a hidden layer's
    _, cache = deep.forward(np.zeros((5, 3)))
    with pytest.raises(ValueError, match=r"should have shape \(5, 2\), got \(5, 6\)"):
        deep.backward(cache, np.zeros((5, 6)))


def _params(rng, sizes):
    params = {}
    for layer, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        W_key, b_key = parameter_names(layer)
        params[W_key] = rng.normal(size=(fan_in, fan_out))
        params[b_key] = np.zeros(fan_out)
    return params


BAD_PARAMS = {  # id: (change to a valid [3, 4, 2] network's params, its activations, message)
    "b1 too short": (lambda p: dict(p, b1=np.zeros(3)), 2, r"^b1 should have shape \(4,\), got \(3,\)"),
    "b1 a row": (lambda p: dict(p, b1=np.zeros((1, 4))), 2, r"^b1 should have shape \(4,\), got \(1, 4\)"),
    "W2 mismatched": (lambda p: dict(p, W2=np.zeros((5, 2))), 2, r"^W2 should have shape \(4, 'any'\), got \(5, 2\)"),
    "W1 a vector": (lambda p: dict(p, W1=np.zeros(3)), 2, r"^W1 should have shape \('any', 'any'\), got \(3,\)"),
    "b2 missing": (lambda p: {k: v for k, v in p.items() if k != "b2"}, 2, r"^params lacks 'b2' for layer 2 of 2"),
    "W3 extra": (lambda p: dict(p, W3=np.zeros((2, 2))), 2, r"no layer uses"),
    "too few activations": (lambda p: p, 1, r"no layer uses"),
    "too many activations": (lambda p: p, 3, r"params lacks 'W3'"),
}


@pytest.mark.parametrize("change, depth, message", BAD_PARAMS.values(), ids=BAD_PARAMS.keys())
def test_params_with_wrong_shapes_or_keys_are_rejected(rng, change, depth, message):
    params = _params(rng, [3, 4, 2])
    MLP(params, ["sigmoid", "identity"])  # the valid one is accepted
    with pytest.raises(ValueError, match=message):
        MLP(change(params), ["sigmoid"] * (depth - 1) + ["identity"])


def test_params_that_are_not_numeric_arrays_are_rejected(rng):
    names = ["sigmoid", "identity"]
    params = _params(rng, [3, 4, 2])
    with pytest.raises(TypeError, match=r"^params\['W1'\] must be a NumPy array, got list"):
        MLP(dict(params, W1=params["W1"].tolist()), names)
    with pytest.raises(TypeError, match=r"^params\['b2'\] must hold numbers"):
        MLP(dict(params, b2=np.array(["0", "0"])), names)
    with pytest.raises(TypeError, match=r"^params\['W2'\] must be real"):
        MLP(dict(params, W2=params["W2"] + 0j), names)


def test_create_rejects_mismatched_sizes_unknown_names_and_bad_rng(rng):
    with pytest.raises(ValueError, match=r"one entry more than activations: got 3 sizes and 1 activations"):
        MLP.create([3, 4, 2], ["sigmoid"], rng)
    with pytest.raises(ValueError, match=r"got 2 sizes and 2 activations"):
        MLP.create([3, 2], ["sigmoid", "identity"], rng)
    with pytest.raises(ValueError, match="unknown activation 'swish'") as info:
        MLP.create([3, 4, 2], ["swish", "identity"], rng)
    for known in ("identity", "leaky_relu", "relu", "sigmoid", "tanh"):
        assert known in str(info.value)
    with pytest.raises(ValueError, match="unknown activation 'softmax'"):
        MLP(_params(rng, [3, 2]), ["softmax"])
    with pytest.raises(ValueError, match="unknown initialiser 'glorot'"):
        MLP.create([3, 4, 2], ["sigmoid", "identity"], rng, init="glorot")
    with pytest.raises(ValueError, match="fan_out must be a positive integer"):
        MLP.create([3, 0, 2], ["sigmoid", "identity"], rng)
    for bad_rng in (0, None):
        with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
            MLP.create([3, 4, 2], ["sigmoid", "identity"], bad_rng)


def test_the_checked_dense_doors_lead_to_the_layer_kernels(rng):
    assert dense_forward.kernel is layers.dense_forward and dense_backward.kernel is layers.dense_backward
    assert DenseCache is layers.DenseCache  # notebooks build one: network.DenseCache(H, W)
    X, W, b = rng.normal(size=(4, 3)), rng.normal(size=(3, 2)), rng.normal(size=2)
    Z, cache = dense_forward(X.tolist(), W, b)
    np.testing.assert_array_equal(Z, layers.dense_forward(X, W, b)[0])
    for got, want in zip(dense_backward(np.ones((4, 2)), cache), layers.dense_backward(np.ones((4, 2)), cache)):
        np.testing.assert_array_equal(got, want)


def test_dense_layer_rejects_wrong_shapes_naming_both(rng):
    W = rng.normal(size=(4, 5))
    b = np.zeros(5)
    with pytest.raises(ValueError, match=r"^X \(samples × inputs of this layer\) should have shape \('any', 4\), got \(2, 3\)"):
        dense_forward(np.zeros((2, 3)), W, b)
    with pytest.raises(ValueError, match=r"^b should have shape \(5,\), got \(4,\)"):
        dense_forward(np.zeros((2, 4)), W, np.zeros(4))
    with pytest.raises(ValueError, match=r"^X must have 2 dimension"):
        dense_forward(np.zeros(4), W, b)
    with pytest.raises(TypeError, match=r"^b must hold numbers"):
        dense_forward(np.zeros((2, 4)), W, ["0"] * 5)
    with pytest.raises(ValueError, match=r"^W must have 2 dimension"):
        dense_forward(np.zeros((2, 4)), np.zeros(4), b)
    with pytest.raises(TypeError, match=r"^W must hold numbers"):
        dense_forward(np.zeros((2, 4)), [["a"] * 5] * 4, b)
    with pytest.raises(ValueError, match=r"^grad_Z must have 2 dimension"):
        dense_backward(np.zeros(5), dense_forward(np.zeros((2, 4)), W, b)[1])
    _, cache = dense_forward(np.zeros((2, 4)), W, b)
    with pytest.raises(ValueError, match=r"^grad_Z should have shape \(2, 5\), got \(2, 4\)"):
        dense_backward(np.zeros((2, 4)), cache)
    with pytest.raises(TypeError, match="^grad_Z must hold numbers"):
        dense_backward("grad", cache)
    # array-likes are accepted, as everywhere else
    from_list = dense_backward(np.ones((2, 5)).tolist(), cache)
    from_array = dense_backward(np.ones((2, 5)), cache)
    for a, b_ in zip(from_list, from_array):
        np.testing.assert_array_equal(a, b_)


# --- issue 12: NaN and inf in parameters and data -----------------------------------------------

@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_building_a_network_rejects_non_finite_parameters(rng, bad):
    params = MLP.create([3, 4, 2], ["tanh", "identity"], rng).params
    params["W2"][3, 1] = bad
    with pytest.raises(ValueError, match=r"^params\['W2'\] must be finite.*index \(3, 1\)"):
        MLP(params, ["tanh", "identity"])


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_forward_rejects_non_finite_data_naming_the_first_bad_index(rng, bad):
    net = MLP.create([3, 4, 2], ["sigmoid", "identity"], rng)
    X = rng.normal(size=(5, 3))
    X[2, 1] = bad
    with pytest.raises(ValueError, match=r"^X must be finite.*index \(2, 1\)"):
        net.forward(X)
    with pytest.raises(ValueError, match=r"^X must be finite"):
        net.loss_and_gradients(X, np.array([0, 1, 0, 1, 0]), losses.categorical_cross_entropy_from_logits)


def test_forward_runs_a_network_that_overflows_on_finite_data(rng):
    net = MLP.create([2, 2], ["identity"], rng)
    net.params["W1"] = np.full((2, 2), 1e308)  # diverged weights, set after building
    with np.errstate(over="ignore"):
        output = net.predict(np.ones((1, 2)))
    assert np.all(np.isposinf(output))  # shown, not refused: the data were fine
