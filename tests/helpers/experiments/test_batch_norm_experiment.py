"""Tests for helpers.experiments.batch_norm: the batch-norm network's gradients against finite
differences, its running averages and test-time modes, the Jacobian of normalising, the wrong
derivations the test cells name, and the measured effect on notebook 07's deep sigmoid network."""
from __future__ import annotations

import numpy as np
import pytest

from helpers import datasets, layers, losses, train
from helpers.experiments import batch_norm, vanishing_gradients
from helpers.notebook import ExerciseUnfinished
from helpers.network import parameter_names
from numgrad import numerical_gradient, rel_error
from toy_activation import with_silu  # noqa: F401  (a fixture)

LOSS = losses.LOSSES["categorical_cross_entropy"]


def small_net(depth=2, seed=0, n_inputs=5):
    _, net = batch_norm.networks(depth, seed, n_inputs=n_inputs)
    net.params = {key: value + 0.3 * np.random.default_rng(seed + 1).normal(size=value.shape)
                  for key, value in net.params.items()}  # γ ≠ 1, β ≠ 0
    return net


def test_batch_norm_network_gradients_match_finite_differences(rng):
    net = small_net()
    X, labels = rng.normal(size=(7, 5)), rng.integers(0, 10, size=7)
    _, grads = net.loss_and_gradients(X, labels, LOSS)
    assert set(grads) == set(net.params) == {"W1", "gamma1", "beta1", "W2", "gamma2", "beta2", "W3", "b3"}

    def cost():
        return net.loss_and_gradients(X, labels, LOSS)[0]  # batch statistics, like the gradient

    for key, value in net.params.items():
        assert rel_error(grads[key], numerical_gradient(cost, value)) < 1e-7, key


def test_an_activation_whose_derivative_needs_z_backpropagates_too(with_silu, rng):
    """SiLU's f' is not a function of its output: the network reads it from the normalised Z."""
    net = batch_norm.BatchNormMLP.from_mlp(vanishing_gradients.deep_network(2, "silu", rng, n_inputs=4))
    X, labels = rng.normal(size=(6, 4)), rng.integers(0, 10, size=6)
    _, grads = net.loss_and_gradients(X, labels, LOSS)
    numeric = numerical_gradient(lambda: net.loss_and_gradients(X, labels, LOSS)[0], net.params["W1"])
    assert rel_error(grads["W1"], numeric) < 1e-7


def test_from_mlp_keeps_the_weights_and_starts_as_identity_normalisation():
    plain, net = batch_norm.networks(3, seed=4)
    for layer in range(1, 5):
        np.testing.assert_array_equal(net.params[parameter_names(layer)[0]], plain.params[parameter_names(layer)[0]])
    np.testing.assert_array_equal(net.params["gamma2"], 1.0)
    np.testing.assert_array_equal(net.params["beta3"], 0.0)
    assert "b1" not in net.params and net.layer_sizes == plain.layer_sizes == [64, 30, 30, 30, 10]


def test_running_averages_follow_the_batches_and_serve_predict(rng):
    net = small_net(depth=1)
    X = rng.normal(size=(40, 5)) * 4.0 + 2.0
    Z = X @ net.params["W1"]
    net.loss_and_gradients(X, np.zeros(40, dtype=int), LOSS)
    rate = batch_norm.RUNNING_MOMENTUM
    np.testing.assert_allclose(net.running[0].mean, rate * Z.mean(axis=0))
    np.testing.assert_allclose(net.running[0].variance, (1 - rate) + rate * Z.var(axis=0))
    for _ in range(300):  # the same batch again and again: the averages converge to its statistics
        net.loss_and_gradients(X, np.zeros(40, dtype=int), LOSS)
    np.testing.assert_allclose(net.predict(X), net.predict_with_batch_statistics(X), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(net.predict(X[:1]), net.predict(X)[:1])  # running: rows are independent


def test_batch_statistics_at_test_time_give_every_single_image_the_same_output(rng):
    net = small_net()
    outputs = np.vstack([net.predict_with_batch_statistics(row[None]) for row in rng.normal(size=(6, 5))])
    np.testing.assert_allclose(outputs, outputs[:1].repeat(6, axis=0))
    assert not np.allclose(net.predict(rng.normal(size=(6, 5))), net.predict(rng.normal(size=(6, 5))))


def test_normalisation_jacobian_matches_finite_differences_and_kills_shift_and_scale(rng):
    x = rng.normal(1.0, 2.0, size=6)

    def normalised(i):
        return lambda: layers.batch_norm_forward(x[:, None], np.ones(1), np.zeros(1))[0][i, 0]

    J = batch_norm.normalisation_jacobian(x)
    numeric = np.array([numerical_gradient(normalised(i), x) for i in range(6)])
    assert rel_error(J, numeric) < 1e-7
    np.testing.assert_allclose(J @ np.ones(6), 0.0, atol=1e-12)
    np.testing.assert_allclose(batch_norm.normalisation_jacobian(x, eps=1e-14) @ x, 0.0, atol=1e-6)
    np.testing.assert_allclose(batch_norm.normalisation_jacobian(np.array([1.0, 3.0]), eps=1e-14), 0.0, atol=1e-12)


def test_wrong_derivations_are_the_named_mistakes_and_all_wrong(rng):
    X, G = rng.normal(size=(8, 3)), rng.normal(size=(8, 3))
    gamma = np.array([0.5, 2.0, 1.5])
    _, cache = layers.batch_norm_forward(X, gamma, np.zeros(3))
    right = layers.batch_norm_backward(G, cache)[0]
    wrong = batch_norm.wrong_derivations(G, cache, right)
    assert list(wrong) == [batch_norm.CONSTANT_STATISTICS, batch_norm.N_MINUS_ONE, batch_norm.DROPPED_GAMMA]
    assert all(rel_error(value, right) > 1e-3 for value in wrong.values())
    np.testing.assert_allclose(wrong[batch_norm.CONSTANT_STATISTICS], gamma * cache.inverse_std * G)
    without_gamma = layers.batch_norm_backward(G, cache._replace(gamma=np.ones(3)))[0]
    np.testing.assert_allclose(wrong[batch_norm.DROPPED_GAMMA], without_gamma)
    # n - 1: the variance path of the staged derivation, computed here from scratch with 1/(n - 1)
    c, s, n = cache.centred, cache.inverse_std, 8
    grad_c = G * gamma * s + (-0.5 * s ** 3 * np.sum(G * gamma * c, axis=0)) * 2 * c / (n - 1)
    np.testing.assert_allclose(wrong[batch_norm.N_MINUS_ONE], grad_c - grad_c.mean(axis=0), atol=1e-12)


def test_wrong_jacobians_are_the_backward_pass_mistakes_one_sample_at_a_time(rng):
    """Row i of the Jacobian is ∂x̂_i/∂x: the backward pass of one unit with upstream e_i."""
    x = rng.normal(1.0, 2.0, size=5)
    _, cache = layers.batch_norm_forward(x[:, None], np.ones(1), np.zeros(1))
    right = batch_norm.normalisation_jacobian(x)
    wrong = batch_norm.wrong_jacobians(x, right)
    assert set(wrong) == {batch_norm.CONSTANT_STATISTICS, batch_norm.N_MINUS_ONE}
    for i, upstream in enumerate(np.eye(5)):
        by_backward = batch_norm.wrong_derivations(upstream[:, None], cache, right[i][:, None])
        for message, jacobian in wrong.items():
            np.testing.assert_allclose(jacobian[i], by_backward[message][:, 0], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(wrong[batch_norm.CONSTANT_STATISTICS], cache.inverse_std * np.eye(5))


def test_the_mistakes_need_no_course_answer(monkeypatch, rng):
    """A staged student copy has stubs for the course's passes: the test cells' mistakes still come."""
    X, G = rng.normal(size=(6, 2)), rng.normal(size=(6, 2))
    _, cache = layers.batch_norm_forward(X, np.array([2.0, 0.0]), np.zeros(2))
    right = layers.batch_norm_backward(G, cache)[0]
    J = batch_norm.normalisation_jacobian(X[:, 0])

    def stub(*args):
        raise NotImplementedError("the course's own answer")

    monkeypatch.setattr(layers, "batch_norm_forward", stub)
    monkeypatch.setattr(layers, "batch_norm_backward", stub)
    wrong = batch_norm.wrong_derivations(G, cache, right)
    np.testing.assert_allclose(wrong[batch_norm.DROPPED_GAMMA][:, 0], right[:, 0] / 2.0)
    assert not np.isfinite(wrong[batch_norm.DROPPED_GAMMA][:, 1]).any()  # γ = 0: no such mistake
    assert set(batch_norm.wrong_jacobians(X[:, 0], J)) == {batch_norm.CONSTANT_STATISTICS, batch_norm.N_MINUS_ONE}


def test_student_layer_keeps_written_passes_and_stands_in_for_unwritten_ones(monkeypatch, capsys):
    def unwritten(*args):
        raise NotImplementedError()

    def batch_norm_forward(X, gamma, beta):
        return layers.batch_norm_forward(X, gamma, beta)

    layer = batch_norm.student_layer(batch_norm_forward, unwritten)
    assert layer.forward is batch_norm_forward and layer.backward is batch_norm.COURSE_LAYER.backward
    assert "unwritten is not written yet" in capsys.readouterr().out
    stubs = batch_norm.BatchNormLayer(unwritten, unwritten)  # a staged copy: the course's passes are stubs too
    monkeypatch.setattr(batch_norm, "COURSE_LAYER", stubs)
    with pytest.raises(ExerciseUnfinished, match="finish unwritten"):
        batch_norm.student_layer(batch_norm_forward, unwritten)
    with pytest.raises(ExerciseUnfinished, match="finish unwritten"):
        batch_norm.student_layer(unwritten, batch_norm_forward)


@pytest.fixture(scope="module")
def digits():
    X, labels = datasets.load_digits()
    return X[:400], labels[:400]


def test_batch_norm_equalises_the_gradient_norms_of_the_deep_sigmoid_network(digits):
    runs = batch_norm.compare(*digits, depth=6, lr=1.0, epochs=1)
    plain, normed = runs["plain"].gradient_norms, runs["batch norm"].gradient_norms
    assert plain[0] / plain[5] < 1e-2          # notebook 07: about four per layer
    assert 0.3 < normed[0] / normed[5] < 3.0   # with batch normalisation: the same size
    assert runs["batch norm"].losses.shape == (2,) and runs["plain"].network is not runs["batch norm"].network


def test_with_batch_norm_the_deep_sigmoid_network_learns_where_the_plain_one_does_not(digits):
    runs = batch_norm.compare(*digits, depth=4, lr=1.0, epochs=6)
    assert runs["plain"].losses[-1] > 2.0 and runs["batch norm"].losses[-1] < 0.5 * runs["batch norm"].losses[0]
    net = runs["batch norm"].network
    assert train.accuracy(net.predict(digits[0]), digits[1]) > 0.8


def test_the_experiment_runs_on_the_layer_it_is_given(digits):
    """A notebook passes the student's two passes: the network must use them, not the course's."""
    calls = {"forward": 0, "backward": 0}

    def forward(X, gamma, beta):
        calls["forward"] += 1
        return layers.batch_norm_forward(X, gamma, beta)

    def backward(grad_Y, cache):
        calls["backward"] += 1
        return layers.batch_norm_backward(grad_Y, cache)

    X, labels = digits[0][:64], digits[1][:64]
    spies = batch_norm.BatchNormLayer(forward, backward)
    theirs = batch_norm.compare(X, labels, depth=2, lr=1.0, epochs=1, normaliser=spies)
    ours = batch_norm.compare(X, labels, depth=2, lr=1.0, epochs=1)
    assert calls["forward"] > 0 and calls["backward"] > 0
    np.testing.assert_allclose(theirs["batch norm"].losses, ours["batch norm"].losses, rtol=1e-12)
    noise = batch_norm.batch_noise(X, 0, 8, 3, np.random.default_rng(0), forward=forward)
    assert noise.shape == (3, 64) and calls["forward"] > 3


def test_sweep_keys_every_depth_and_rate(digits):
    runs = batch_norm.sweep(digits[0][:64], digits[1][:64], depths=(1, 2), rates=(0.5, 2.0), epochs=1)
    assert set(runs) == {(1, 0.5), (1, 2.0), (2, 0.5), (2, 2.0)}
    assert runs[(2, 0.5)]["plain"].gradient_norms.shape == (3,)


def test_batch_noise_shrinks_with_the_batch_size(digits):
    X = digits[0]
    small = batch_norm.batch_noise(X, 0, 16, 100, np.random.default_rng(0))
    large = batch_norm.batch_noise(X, 0, 256, 100, np.random.default_rng(0))
    assert small.shape == (100, 64)
    pixel = 20
    assert 1.5 < small[:, pixel].std() / large[:, pixel].std() < 8.0
