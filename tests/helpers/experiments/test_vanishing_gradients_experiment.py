"""Tests for helpers.experiments.vanishing_gradients: the chain's backprop against finite differences and the
product formula, per-layer norms against the network's own gradients, clipping by global norm,
dead units, the residual chain, and the measured vanishing in deep sigmoid networks."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpers import activations, losses, network
from helpers.experiments import vanishing_gradients
from helpers.gradcheck import numerical_gradient, relative_error

ACTIVATIONS = activations.hidden_activations()


def chain_cost(x, y, weights, biases, activation="sigmoid"):
    return 0.5 * (vanishing_gradients.chain_forward(x, weights, biases, activation)[1][-1] - y) ** 2


@given(length=st.integers(1, 8), seed=st.integers(0, 10_000), activation=st.sampled_from(["sigmoid", "tanh"]))
def test_chain_gradients_match_finite_differences_and_the_product(length, seed, activation):
    rng = np.random.default_rng(seed)
    x, y = float(rng.normal()), float(rng.uniform())
    weights, biases = rng.normal(0, 2, size=length), rng.normal(size=length)
    grads = vanishing_gradients.chain_gradients(x, y, weights, biases, activation)
    numeric = numerical_gradient(lambda: chain_cost(x, y, weights, biases, activation), biases)
    assert relative_error(grads, numeric) < 1e-6 or np.allclose(grads, numeric, atol=1e-10)
    assert vanishing_gradients.chain_product(x, y, weights, biases, activation) == pytest.approx(grads[0], rel=1e-10, abs=1e-300)


def test_chain_forward_by_hand():
    z, a = vanishing_gradients.chain_forward(1.0, [2.0, -1.0], [0.0, 0.5])
    assert z[0] == 2.0 and a[0] == pytest.approx(activations.sigmoid(2.0))
    assert z[1] == pytest.approx(-a[0] + 0.5)


def test_exploding_and_vanishing_chains():
    # every z = 0 and w = 8: each factor w·σ'(0) = 2, so the gradient doubles per layer going back
    exploding = vanishing_gradients.chain_gradients(1.0, 0.0, np.full(6, 8.0), np.array([-8.0] + [-4.0] * 5))
    np.testing.assert_allclose(exploding, [4.0, 2.0, 1.0, 0.5, 0.25, 0.125])
    vanishing = vanishing_gradients.chain_gradients(1.0, 0.0, np.ones(10), np.zeros(10))
    assert np.all(np.abs(vanishing[:-1] / vanishing[1:]) < 0.25 + 1e-12)  # |w σ'| <= 1/4


def test_chain_input_checks():
    with pytest.raises(ValueError, match="one entry per layer"):
        vanishing_gradients.chain_forward(1.0, [1.0, 2.0], [0.0])
    with pytest.raises(ValueError, match="one entry per layer"):
        vanishing_gradients.chain_gradients(1.0, 0.0, [], [])


def test_residual_chain_product_matches_finite_differences(rng):
    weights, biases = rng.normal(size=5), rng.normal(size=5)

    def output(x):
        a = x
        for w, b in zip(weights, biases):
            a = a + float(activations.sigmoid(w * a + b))
        return a

    numeric = (output(0.3 + 1e-6) - output(0.3 - 1e-6)) / 2e-6
    assert vanishing_gradients.residual_chain_product(0.3, weights, biases) == pytest.approx(numeric, rel=1e-6)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_layer_gradient_norms_match_the_network_gradients(activation, rng):
    net = network.MLP.create([5, 4, 4, 3], [activation, activation, "identity"], rng)
    X, labels = rng.normal(size=(9, 5)), rng.integers(0, 3, size=9)
    _, grads = net.loss_and_gradients(X, labels, losses.categorical_cross_entropy_from_logits)
    for parameter, norms in (("W", vanishing_gradients.layer_gradient_norms),
                             ("b", vanishing_gradients.bias_gradient_norms)):
        expected = [np.linalg.norm(grads[f"{parameter}{l}"]) for l in (1, 2, 3)]
        np.testing.assert_allclose(norms(net, X, labels), expected, rtol=1e-12)


def test_deep_network_shapes_and_scale():
    net = vanishing_gradients.deep_network(3, "relu", np.random.default_rng(0), width=200, n_inputs=100, weight_scale=2.0)
    assert net.layer_sizes == [100, 200, 200, 200, 10] and net.activations == ["relu"] * 3 + ["identity"]
    # He's variance 2/n_in, times weight_scale² = 4
    assert np.std(net.params["W2"]) == pytest.approx(2.0 * np.sqrt(2.0 / 200), rel=0.05)


def test_sigmoid_gradients_vanish_and_relu_with_he_does_not(rng):
    X, labels = rng.uniform(0, 1, size=(200, 64)), rng.integers(0, 10, size=200)
    sigmoid = vanishing_gradients.norm_profile(X, labels, 8, "sigmoid")
    relu = vanishing_gradients.norm_profile(X, labels, 8, "relu")
    assert sigmoid[0] < 1e-3 * sigmoid[-2]  # first hidden layer ≥ 1000× slower than the last
    assert 0.1 < relu[0] / relu[-2] < 10


def test_norm_profile_averages_the_norms_of_the_function_it_is_given(rng):
    X, labels = rng.uniform(0, 1, size=(20, 64)), rng.integers(0, 10, size=20)
    seen = []

    def student_norms(net, X_seen, labels_seen):  # a student's function: records its networks
        seen.append(net.layer_sizes)
        return np.full(net.n_layers, float(len(seen)))

    profile = vanishing_gradients.norm_profile(X, labels, 3, "tanh", seeds=(0, 1), gradient_norms=student_norms)
    assert seen == [[64, 30, 30, 30, 10]] * 2
    np.testing.assert_array_equal(profile, np.full(4, 1.5))


def test_chain_wrong_derivations_follow_the_right_gradient_they_are_given():
    x, y, weights, biases = 0.5, 1.0, np.array([2.0, -1.5, 0.5, 3.0]), np.array([0.1, -0.3, 0.2, -1.0])
    right = vanishing_gradients.chain_gradients(x, y, weights, biases)
    doubled = vanishing_gradients.chain_wrong_derivations(x, y, weights, biases, 2 * right)
    for message, mistaken in vanishing_gradients.chain_wrong_derivations(x, y, weights, biases, right).items():
        np.testing.assert_allclose(doubled[message], 2 * mistaken, rtol=1e-12)


def test_clip_by_global_norm():
    grads = {"W": np.array([3.0, 4.0]), "b": np.array([12.0])}
    clipped, norm = vanishing_gradients.clip_by_global_norm(grads, 6.5)
    assert norm == 13.0
    np.testing.assert_allclose(clipped["W"], [1.5, 2.0])
    np.testing.assert_allclose(clipped["b"], [6.0])
    assert grads["W"][0] == 3.0  # not modified
    same, _ = vanishing_gradients.clip_by_global_norm(grads, 100.0)
    np.testing.assert_array_equal(same["b"], [12.0])
    zero, norm = vanishing_gradients.clip_by_global_norm({"W": np.zeros(3)}, 1.0)
    assert norm == 0.0 and np.all(zero["W"] == 0.0)
    with pytest.raises(ValueError, match="max_norm"):
        vanishing_gradients.clip_by_global_norm(grads, 0.0)
    with pytest.raises(TypeError, match="dict"):
        vanishing_gradients.clip_by_global_norm([np.ones(2)], 1.0)


@given(seed=st.integers(0, 1000), max_norm=st.floats(0.01, 10.0))
def test_clipping_keeps_direction_and_caps_length(seed, max_norm):
    rng = np.random.default_rng(seed)
    grads = {"a": rng.normal(size=(3, 2)), "b": rng.normal(size=4)}
    clipped, norm = vanishing_gradients.clip_by_global_norm(grads, max_norm)
    flat = np.concatenate([g.ravel() for g in grads.values()])
    flat_clipped = np.concatenate([g.ravel() for g in clipped.values()])
    assert np.linalg.norm(flat_clipped) <= max_norm * (1 + 1e-12) or np.allclose(flat_clipped, flat)
    assert np.allclose(flat_clipped / np.linalg.norm(flat_clipped), flat / np.linalg.norm(flat))


def test_dead_fraction():
    net = network.MLP({"W1": np.array([[1.0, -1.0, 1.0]]), "b1": np.array([0.0, -5.0, 1.0]),
                       "W2": np.ones((3, 1)), "b2": np.zeros(1)}, ["relu", "identity"])
    X = np.array([[0.5], [1.0], [2.0]])  # unit 2 has z = -x - 5 < 0 for every input: dead
    np.testing.assert_allclose(vanishing_gradients.dead_fraction(net, X), [1 / 3])


def test_train_clipped_stops_an_overflowing_run_and_clipping_saves_it(rng):
    X, labels = rng.uniform(0, 1, size=(256, 64)), rng.integers(0, 10, size=256)

    def run(max_norm):
        net = vanishing_gradients.deep_network(10, "relu", np.random.default_rng(0), weight_scale=1.5)
        return vanishing_gradients.train_clipped(net, X, labels, 0.05, 2, np.random.default_rng(1), max_norm=max_norm)

    losses_free, norms_free = run(None)
    assert not np.isfinite(norms_free[-1]) or not np.isfinite(losses_free[-1])
    assert len(losses_free) < 16  # stopped early: 2 epochs would be 16 steps
    losses_clipped, norms_clipped = run(1.0)
    assert len(losses_clipped) == 16 and np.all(np.isfinite(losses_clipped))


def test_training_record_shapes_and_start():
    rng = np.random.default_rng(0)
    X, labels = rng.uniform(0, 1, size=(64, 8)), rng.integers(0, 3, size=64)
    net = vanishing_gradients.deep_network(2, "tanh", rng, width=5, n_inputs=8, n_outputs=3)
    norms, moved = vanishing_gradients.training_record(net, X, labels, (X[:16], labels[:16]), 3, 0.1, rng)
    assert norms.shape == moved.shape == (4, 3)
    assert np.all(moved[0] == 0.0) and np.all(moved[-1] > 0.0)


# --- issue 12: clipping huge and non-finite gradients, unknown names -----------------------------

@pytest.mark.parametrize("size", [1e200, 1e300, 1e-200])
def test_clipping_works_beyond_the_range_where_squares_overflow(size):
    clipped, norm = vanishing_gradients.clip_by_global_norm({"a": np.full(4, size), "b": np.array([0.0])}, 1.0)
    assert norm == pytest.approx(2 * size, rel=1e-12)
    expected = 0.5 if 2 * size > 1.0 else size  # a tiny gradient is left alone
    np.testing.assert_allclose(clipped["a"], np.full(4, expected), rtol=1e-12)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_clipping_rejects_non_finite_gradients(bad):
    with pytest.raises(ValueError, match=r"grads\['W'\] must be finite.*index \(1,\)"):
        vanishing_gradients.clip_by_global_norm({"b": np.ones(2), "W": np.array([1.0, bad])}, 1.0)


def test_unknown_loss_and_activation_names_list_the_choices(rng):
    net = vanishing_gradients.deep_network(2, "tanh", rng, width=4, n_inputs=3, n_outputs=2)
    with pytest.raises(ValueError, match="unknown loss 'hinge'; choose one of: binary_cross_entropy"):
        vanishing_gradients.layer_gradient_norms(net, rng.normal(size=(5, 3)), np.zeros(5, int), loss="hinge")
    with pytest.raises(ValueError, match="unknown activation 'swish'; choose one of: identity, leaky_relu"):
        vanishing_gradients.deep_network(2, "swish", rng)


@pytest.mark.parametrize("activation", list(activations.ACTIVATIONS))
def test_deep_network_weights_have_the_activations_gain(activation):
    """Var(W) = scale² · gain / n_in, the gain from the activation's record (He for the ReLU family)."""
    net = vanishing_gradients.deep_network(3, activation, np.random.default_rng(0), width=300, n_inputs=200,
                                     weight_scale=1.5)
    gain = activations.get_activation(activation).gain
    assert np.var(net.params["W1"]) == pytest.approx(1.5**2 * gain / 200, rel=0.03)
    assert np.var(net.params["W2"]) == pytest.approx(1.5**2 * gain / 300, rel=0.03)


def test_train_clipped_checks_its_data_once(rng):
    net = vanishing_gradients.deep_network(2, "relu", rng, width=4, n_inputs=3, n_outputs=2)
    with pytest.raises(ValueError, match="X must be finite"):
        vanishing_gradients.train_clipped(net, np.full((4, 3), np.nan), np.zeros(4, int), 0.1, 1, rng)
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 1\]"):
        vanishing_gradients.train_clipped(net, np.ones((4, 3)), np.full(4, 5), 0.1, 1, rng)


def test_train_clipped_stops_a_diverging_run_without_an_error(rng):
    X = rng.normal(size=(64, 3))
    labels = rng.integers(0, 2, 64)
    net = vanishing_gradients.deep_network(2, "relu", rng, width=8, n_inputs=3, n_outputs=2, weight_scale=30.0)
    losses_seen, norms = vanishing_gradients.train_clipped(net, X, labels, lr=1e30, epochs=5, rng=rng)
    assert not np.isfinite(norms[-1]) or not np.isfinite(losses_seen[-1])


# --- the wrong derivations notebook 07's test cells name --------------------------------------------

def _by_hand_chain(x, y, weights, biases, *, last_slope=True, weight_offset=1, slope_at_output=False):
    """The chain's dC/db written out from scratch, with one of the usual mistakes switched on."""
    z, a, previous = [], [], x
    for w, b in zip(weights, biases):
        z.append(w * previous + b)
        a.append(previous := 1.0 / (1.0 + np.exp(-z[-1])))
    slopes = [s * (1 - s) for s in (1.0 / (1.0 + np.exp(-np.array(a if slope_at_output else z))))]
    delta = [(a[-1] - y) * (slopes[-1] if last_slope else 1.0)]
    for layer in range(len(weights) - 2, -1, -1):
        delta.insert(0, delta[0] * weights[layer + weight_offset] * slopes[layer])
    return np.array(delta)


def test_chain_wrong_derivations_are_the_mistakes_they_name():
    x, y = 0.5, 1.0
    weights, biases = np.array([2.0, -1.5, 0.5, 3.0]), np.array([0.1, -0.3, 0.2, -1.0])
    np.testing.assert_allclose(_by_hand_chain(x, y, weights, biases),
                               vanishing_gradients.chain_gradients(x, y, weights, biases), rtol=1e-12)
    wrong = vanishing_gradients.chain_wrong_derivations(x, y, weights, biases,
                                                        vanishing_gradients.chain_gradients(x, y, weights, biases))
    for message, options in [(vanishing_gradients.LAST_SLOPE_MISSING, {"last_slope": False}),
                             (vanishing_gradients.OWN_LAYER_WEIGHT, {"weight_offset": 0}),
                             (vanishing_gradients.SLOPE_AT_OUTPUT, {"slope_at_output": True})]:
        np.testing.assert_allclose(wrong[message], _by_hand_chain(x, y, weights, biases, **options), rtol=1e-12)
        assert relative_error(wrong[message], vanishing_gradients.chain_gradients(x, y, weights, biases)) > 1e-2


@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
def test_norm_wrong_derivations_differ_from_the_norms_where_the_mistake_matters(activation):
    rng = np.random.default_rng(7)
    net = network.MLP.create([3, 5, 4, 2], [activation, activation, "identity"], rng)
    X, labels = rng.normal(size=(6, 3)), rng.integers(0, 2, size=6)
    right = vanishing_gradients.layer_gradient_norms(net, X, labels)
    wrong = vanishing_gradients.norm_wrong_derivations(net, X, labels)
    assert set(wrong) == {vanishing_gradients.NO_SLOPE, vanishing_gradients.SLOPE_OF_A_AS_Z,
                          vanishing_gradients.SLOPE_NOT_PASSED_BACK}
    for message, norms in wrong.items():
        assert norms[-1] == pytest.approx(right[-1])  # the linear output layer has f' = 1: no mistake there
        assert relative_error(norms, right) > 1e-3, message
    # leaving f' out of the pass back spares the layer it belongs to and changes every layer below
    assert wrong[vanishing_gradients.SLOPE_NOT_PASSED_BACK][1] == pytest.approx(right[1])
