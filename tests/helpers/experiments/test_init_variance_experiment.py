"""Tests for helpers.experiments.init_variance: per-layer statistics against the MLP and finite
differences, the schemes' variances, and what the explorer shows (its data and histograms)."""
from __future__ import annotations

import numpy as np
import pytest

from helpers.activations import ACTIVATIONS
from helpers.experiments import init_variance
from helpers.network import MLP, parameter_names
from numgrad import numerical_gradient
from toy_activation import with_silu  # noqa: F401  (a fixture)


def small_network(rng, widths=(3, 5, 4, 2)):
    weights = [rng.normal(size=(a, b)) for a, b in zip(widths[:-1], widths[1:])]
    return rng.normal(size=(6, widths[0])), weights, rng.normal(size=(6, widths[-1]))


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_forward_statistics_match_the_mlp(rng, activation):
    X, weights, G = small_network(rng)
    params = {}
    for layer, W in enumerate(weights, start=1):
        params.update(zip(parameter_names(layer), (W, np.zeros(W.shape[1]))))
    _, cache = MLP(params, [activation] * len(weights)).forward(X)
    stats = init_variance.layer_statistics(X, weights, activation, G)
    assert np.allclose(stats.activation_mean, [A.mean() for A in cache.layer_outputs])
    assert np.allclose(stats.activation_std, [A.std() for A in cache.layer_outputs])


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_deltas_match_finite_differences(rng, activation):
    """δ^[l] = dC/dZ^[l] for C = sum(G * A^[L]), by perturbing Z^[l] and finishing the forward pass."""
    X, weights, G = small_network(rng)
    f = ACTIVATIONS[activation].function
    forward = init_variance.propagate(X, weights, activation)
    deltas = init_variance.back_propagate(forward, weights, activation, G)
    inputs = [X] + forward.outputs[:-1]
    for layer, W in enumerate(weights):
        Z = inputs[layer] @ W

        def cost(layer=layer, Z=Z):
            A = f(Z)
            for later in weights[layer + 1:]:
                A = f(A @ later)
            return float(np.sum(G * A))

        assert np.allclose(deltas[layer], numerical_gradient(cost, Z), atol=1e-8), layer


def test_schemes_have_their_variances(rng):
    normals = [rng.standard_normal((400, 600))]
    expected = {"normal": 1.0, "lecun": 1 / 400, "xavier": 2 / 1000, "he": 2 / 400}
    for scheme, variance in expected.items():
        (W,) = init_variance.scheme_weights(normals, scheme, scale=2.0)
        assert np.var(W) == pytest.approx(4 * variance, rel=0.02), scheme
    with pytest.raises(ValueError, match="variance scheme"):
        init_variance.scheme_weights(normals, "Kaiming", 1.0)


def test_scale_is_geometric_over_depth_for_relu():
    """ReLU is positively homogeneous: weights × c multiply layer l's activations by c^l."""
    base = init_variance.propagate(*init_variance.explorer_data(1.0, 12, 50, "he")[:2], "relu").outputs
    X, weights, G = init_variance.explorer_data(1.5, 12, 50, "he")
    scaled = init_variance.propagate(X, weights, "relu")
    for layer, (a, b) in enumerate(zip(base, scaled.outputs), start=1):
        assert np.allclose(b, 1.5 ** layer * a)
    assert all(np.all(np.isfinite(d)) for d in init_variance.back_propagate(scaled, weights, "relu", G))


def test_explorer_data_is_deterministic_and_its_summary_survives_huge_scales():
    first, again = (init_variance.explorer_data(1.0, 5, 25, "normal") for _ in range(2))
    assert all(np.array_equal(a, b) for a, b in zip([first.X, first.grad_output, *first.weights],
                                                      [again.X, again.grad_output, *again.weights]))
    assert len(first.weights) == 5 and first.weights[0].shape == (25, 25)
    with np.errstate(all="raise"):  # the explorer silences its own overflow; nothing may escape
        summary = init_variance.explorer_summary(10.0, 20, 400, "relu", "normal")
    assert summary.fractions.shape == (20, init_variance.BINS)
    with pytest.raises(ValueError, match="depth"):
        init_variance.explorer_data(1.0, init_variance.MAX_DEPTH + 1, 25, "normal")


def test_the_summary_is_the_histogram_of_the_explorer_data():
    X, weights, G = init_variance.explorer_data(1.3, 5, 25, "lecun")
    outputs = init_variance.propagate(X, weights, "tanh").outputs
    summary = init_variance.explorer_summary(1.3, 5, 25, "tanh", "lecun")
    assert summary.fractions.shape == (5, init_variance.BINS)
    assert np.allclose(summary.fractions.sum(axis=1), 1.0)  # tanh's range holds every unit
    assert np.allclose(summary.fractions[2], np.histogram(outputs[2], init_variance.BINS, (-1.0, 1.0))[0] / outputs[2].size)
    expected = init_variance.layer_statistics(X, weights, "tanh", G)
    assert np.allclose(summary.activation_std, expected.activation_std)
    assert np.allclose(summary.delta_std, expected.gradient_std)
    relu = init_variance.explorer_summary(1.0, 5, 25, "relu", "he")
    assert np.all(relu.fractions.sum(axis=1) < 0.75)  # only the positive units are counted
    with pytest.raises(ValueError, match="read-only"):
        summary.fractions[0, 0] = 1.0  # shared by the cache: read-only


def test_the_summary_shows_the_standard_deviations_of_the_statistics_it_is_given():
    """Notebook 05 passes the student's layer_statistics: its numbers are the ones drawn."""
    def constant_statistics(X, weights, activation, grad_output):
        return np.zeros(len(weights)), np.full(len(weights), 0.5), np.arange(1.0, len(weights) + 1)

    summary = init_variance.explorer_summary(1.0, 4, 25, "tanh", "xavier", constant_statistics)
    assert np.array_equal(summary.activation_std, [0.5] * 4) and np.array_equal(summary.delta_std, [1, 2, 3, 4])


@pytest.mark.parametrize("activation", ["tanh", "relu", "identity"])
def test_the_zero_bias_network_computes_propagates_forward_pass(rng, activation):
    """The same numbers, bit for bit: the explorer's histograms show what the course's answer would."""
    X, weights, _ = small_network(rng)
    forward = init_variance.propagate(X, weights, activation)
    _, cache = init_variance.zero_bias_network(weights, activation).forward(X)
    for mine, theirs in [(cache.layer_outputs, forward.outputs), (cache.pre_activations, forward.pre_activations)]:
        assert all(np.array_equal(a, b) for a, b in zip(mine, theirs))


def test_nothing_but_the_exercise_needs_notebook_05s_answers(rng, monkeypatch):
    """A student's copy of helpers lacks propagate, back_propagate, layer_statistics and
    wrong_derivations before 05's deadline: the figure and the explorer (given the student's
    function) still work."""
    X, weights, G = small_network(rng, widths=(4, 4, 4, 4))
    from helpers.viz import init_variance as figures

    for module, name in [(init_variance, "propagate"), (init_variance, "back_propagate"),
                         (init_variance, "layer_statistics"), (init_variance, "wrong_derivations"),
                         (figures, "layer_statistics")]:
        monkeypatch.setattr(module, name, _absent)
    figures.glorot_picture(X, {"one": weights}, G)
    view = figures.ExplorerView(_students_layer_statistics)
    view.draw(scale=0.77, depth=3)  # a setting of its own: not one the explorer's cache has seen
    X, weights, G = init_variance.explorer_data(0.77, 3, 100, "xavier")
    assert np.allclose(view.d_line.get_ydata(), _students_layer_statistics(X, weights, "tanh", G)[2])


def _absent(*args, **kwargs):
    raise NotImplementedError("the course's answer is not in this copy")


def _students_layer_statistics(X, weights, activation, grad_output):
    """A student's answer to notebook 05's exercise, for tanh."""
    outputs = [X]
    for W in weights:
        outputs.append(np.tanh(outputs[-1] @ W))
    grad, deltas = grad_output, []
    for W, A in zip(weights[::-1], outputs[:0:-1]):
        deltas.insert(0, grad * (1 - A ** 2))
        grad = deltas[0] @ W.T
    return (np.array([A.mean() for A in outputs[1:]]), np.array([A.std() for A in outputs[1:]]),
            np.array([delta.std() for delta in deltas]))


def test_layer_statistics_names_the_layer_whose_weights_do_not_chain(rng):
    X, G = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    weights = [rng.normal(size=(3, 4)), rng.normal(size=(5, 2))]
    with pytest.raises(ValueError, match=r"weights\[1\] \(layer 2\) has shape \(5, 2\).*needs shape \(4, any\)"):
        init_variance.layer_statistics(X, weights, "tanh", G)
    with pytest.raises(ValueError, match=r"grad_output should have shape \(5, 4\)"):
        init_variance.layer_statistics(X, weights[:1], "tanh", G)


def test_an_activation_without_derivative_from_output_back_propagates(rng, with_silu):
    """One registry record is enough: SiLU's f' is not a function of its output, so δ uses Z."""
    X, weights, G = small_network(rng)
    forward = init_variance.propagate(X, weights, "silu")
    deltas = init_variance.back_propagate(forward, weights, "silu", G)
    Z = forward.pre_activations[-1]
    assert np.allclose(deltas[-1], numerical_gradient(lambda: float(np.sum(G * with_silu.function(Z))), Z), atol=1e-8)
    assert init_variance.histogram_range("silu") == init_variance.LOG_RANGE  # bounded below only: log10 of the positive outputs
    assert init_variance.explorer_summary(1.0, 3, 25, "silu", "he").fractions.shape == (3, init_variance.BINS)


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_histogram_range_follows_the_registry(name):
    low, high = ACTIVATIONS[name].output_range
    expected = init_variance.LOG_RANGE if np.isfinite(low) and not np.isfinite(high) else (
        (low, high) if np.isfinite(high) else init_variance.UNBOUNDED_RANGE)
    assert init_variance.histogram_range(name) == expected


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])  # relu'(a) = relu'(z): one mistake is harmless there
def test_each_wrong_derivation_is_the_backward_pass_with_that_mistake(rng, activation):
    """Each entry, recomputed by hand with its one mistake, and different from the right standard deviations."""
    X, weights, G = small_network(rng, widths=(3, 4, 4, 4))
    record = ACTIVATIONS[activation]
    right = init_variance.layer_statistics(X, weights, activation, G).gradient_std
    wrong = init_variance.wrong_derivations(X, weights, activation, G)
    outputs = init_variance.propagate(X, weights, activation).outputs
    pre_activations = init_variance.propagate(X, weights, activation).pre_activations

    def by_hand(derivative, transposed=True):
        stds, grad = [], G
        for layer in (2, 1, 0):
            delta = grad * derivative(pre_activations[layer], outputs[layer])
            stds.insert(0, delta.std())
            if layer:
                grad = delta @ (weights[layer].T if transposed else weights[layer])
        return np.array(stds)

    expected = {init_variance.NO_DERIVATIVE: by_hand(lambda Z, A: 1.0),
                init_variance.DERIVATIVE_OF_OUTPUT: by_hand(lambda Z, A: record.derivative(A)),
                init_variance.NOT_TRANSPOSED: by_hand(lambda Z, A: record.derivative(Z), transposed=False)}
    assert set(wrong) == set(expected)
    for message, stds in expected.items():
        np.testing.assert_allclose(wrong[message], stds, err_msg=message)
        assert not np.allclose(wrong[message], right), message


def test_a_transpose_mistake_is_only_listed_where_the_shapes_allow_it(rng):
    X, weights, G = small_network(rng)  # 3 -> 5 -> 4 -> 2: no square layer after the first
    assert init_variance.NOT_TRANSPOSED not in init_variance.wrong_derivations(X, weights, "tanh", G)
