"""Tests for helpers.init_explorer and helpers.init_plots: per-layer statistics against the MLP
and finite differences, the schemes' variances, the explorer's figure and widget (updates in
place, stays cheap), and the static figures of notebook 05."""
from __future__ import annotations

import time

import numpy as np
import pytest
from matplotlib.figure import Figure

from helpers import init_explorer as ie
from helpers import init_plots, plots, widgets
from helpers.network import MLP
from numgrad import numerical_gradient


def small_network(rng, widths=(3, 5, 4, 2)):
    weights = [rng.normal(size=(a, b)) for a, b in zip(widths[:-1], widths[1:])]
    return rng.normal(size=(6, widths[0])), weights, rng.normal(size=(6, widths[-1]))


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu", "identity"])
def test_forward_statistics_match_the_mlp(rng, activation):
    X, weights, G = small_network(rng)
    params = {}
    for layer, W in enumerate(weights, start=1):
        params[f"W{layer}"], params[f"b{layer}"] = W, np.zeros(W.shape[1])
    _, cache = MLP(params, [activation] * len(weights)).forward(X)
    stats = ie.layer_statistics(X, weights, activation, G)
    assert np.allclose(stats.activation_mean, [A.mean() for A in cache.layer_outputs])
    assert np.allclose(stats.activation_std, [A.std() for A in cache.layer_outputs])


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
def test_deltas_match_finite_differences(rng, activation):
    """δ^[l] = dC/dZ^[l] for C = sum(G * A^[L]), by perturbing Z^[l] and finishing the forward pass."""
    X, weights, G = small_network(rng)
    f = {"tanh": np.tanh, "sigmoid": lambda z: 1 / (1 + np.exp(-z)), "relu": lambda z: np.maximum(z, 0)}[activation]
    outputs = ie.propagate(X, weights, activation)
    deltas = ie.back_propagate(outputs, weights, activation, G)
    inputs = [X] + outputs[:-1]
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
    expected = {"N(0, 1)": 1.0, "LeCun 1/n_in": 1 / 400, "Glorot 2/(n_in+n_out)": 2 / 1000, "He 2/n_in": 2 / 400}
    for scheme, variance in expected.items():
        (W,) = ie.scheme_weights(normals, scheme, scale=2.0)
        assert np.var(W) == pytest.approx(4 * variance, rel=0.02), scheme
    with pytest.raises(ValueError, match="unknown scheme"):
        ie.scheme_weights(normals, "Kaiming", 1.0)


def test_scale_is_geometric_over_depth_for_relu():
    """ReLU is positively homogeneous: weights × c multiply layer l's activations by c^l."""
    base, _ = ie.explorer_data(1.0, 12, 50, "relu", "He 2/n_in")
    scaled, deltas = ie.explorer_data(1.5, 12, 50, "relu", "He 2/n_in")
    for layer, (a, b) in enumerate(zip(base, scaled), start=1):
        assert np.allclose(b, 1.5 ** layer * a)
    assert all(np.all(np.isfinite(d)) for d in deltas)


def test_explorer_data_is_deterministic_and_survives_huge_scales():
    first, _ = ie.explorer_data(1.0, 5, 25, "tanh", "N(0, 1)")
    again, _ = ie.explorer_data(1.0, 5, 25, "tanh", "N(0, 1)")
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    with np.errstate(all="raise"):  # the explorer silences its own overflow; nothing may escape
        outputs, _ = ie.explorer_data(10.0, 20, 400, "relu", "N(0, 1)")
    assert len(outputs) == 20
    with pytest.raises(ValueError, match="depth"):
        ie.explorer_data(1.0, ie.MAX_DEPTH + 1, 25, "tanh", "N(0, 1)")


def test_explorer_view_updates_one_figure_in_place():
    view = ie.ExplorerView()
    first = plots.figure_png(view.draw())
    fig = view.draw(scale=3.0, depth=4, activation="relu", scheme="He 2/n_in")
    assert fig is view.fig
    assert sum(artist.get_visible() for artist in view.stairs) == 4
    assert plots.figure_png(fig) != first
    assert isinstance(ie.explorer_figure(depth=3, activation="sigmoid"), Figure)


def test_the_widget_has_a_log_weight_scale_slider_and_redraws_quickly():
    import ipywidgets

    live = widgets.init_variance_explorer()
    slider = live.controls["scale"]
    assert isinstance(slider, ipywidgets.FloatLogSlider) and slider.description == "weight scale"
    before = live.render()
    slider.value = 2.0
    after = live.render()
    assert before != after
    times = []
    for value in np.logspace(-0.5, 0.5, 7):  # a generous bound: the target is well under 0.1 s
        slider.value = float(value)
        start = time.process_time()
        live.render()
        times.append(time.process_time() - start)
    assert np.median(times) < 0.5, f"a redraw took {np.median(times):.2f} s of CPU time"


def test_static_figures_build(rng):
    X, weights, G = small_network(rng, widths=(8, 8, 8))
    stats = {"a": ie.layer_statistics(X, weights, "relu", G), "b": ie.layer_statistics(X, weights, "tanh", G)}
    figures = [
        init_plots.saturation_histograms({"wide": rng.normal(0, 20, 500), "narrow": rng.normal(0, 1, 500)}),
        init_plots.depth_profiles(stats),
        init_plots.glorot_picture(X, {"one": weights, "two": [0.5 * W for W in weights]}, G),
        init_plots.training_curves({"run": [0.7, 0.5, 0.2]}, {"run": [0.5, 0.7, 0.9]}),
    ]
    for figure in figures:
        assert isinstance(figure, Figure) and plots.figure_png(figure)[:4] == b"\x89PNG"
