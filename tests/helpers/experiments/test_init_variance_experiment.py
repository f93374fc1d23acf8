"""Tests for helpers.experiments.init_variance and helpers.viz.init_variance: per-layer statistics against the MLP
and finite differences, the schemes' variances, the explorer's figure and widget (updates in
place, stays cheap), and the static figures of notebook 05."""
from __future__ import annotations

import time

import numpy as np
import pytest
from matplotlib.figure import Figure

from helpers.experiments import init_variance as ie
from helpers.viz import init_variance as init_plots, figures as plots, widgets
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
    assert fig is view.figure
    assert sum(artist.get_visible() for artist in view.stairs) == 4
    assert plots.figure_png(fig) != first
    assert isinstance(ie.explorer_figure(depth=3, activation="sigmoid"), Figure)


def test_explorer_view_returns_what_moves_and_keys_what_does_not():
    view = ie.ExplorerView()
    moving = view.update(depth=6)
    assert all(artist.figure is view.figure for artist in moving)
    assert [a for a in moving if a in view.stairs] == view.stairs[:6]  # hidden layers are not drawn
    assert {view.a_line, view.d_line, view.left.title, view.right.title} <= set(moving)
    key = view.background_key(depth=6)
    assert view.background_key(depth=6, width=50) == key  # same activation, histogram height, layer axis
    assert view.background_key(depth=6, activation="relu") != key
    assert view.background_key(depth=11) != key  # the layer axis now ends at 15


def test_the_summary_is_the_histogram_of_the_explorer_data():
    outputs, deltas = ie.explorer_data(1.3, 5, 25, "tanh", "LeCun 1/n_in")
    summary = ie.explorer_summary(1.3, 5, 25, "tanh", "LeCun 1/n_in")
    assert summary.fractions.shape == (5, ie.BINS)
    assert np.allclose(summary.fractions.sum(axis=1), 1.0)  # tanh's range holds every unit
    assert np.allclose(summary.fractions[2], np.histogram(outputs[2], ie.BINS, (-1.0, 1.0))[0] / outputs[2].size)
    assert np.allclose(summary.delta_std, [d.std() for d in deltas])
    relu = ie.explorer_summary(1.0, 5, 25, "relu", "He 2/n_in")
    assert np.all(relu.fractions.sum(axis=1) < 0.75)  # only the positive units are counted
    with pytest.raises(ValueError):
        summary.fractions[0, 0] = 1.0  # shared by the cache: read-only


@pytest.mark.parametrize("tallest, top", [(0.0, 1.0), (0.047, 0.05), (0.0477, 0.075), (0.08, 0.1), (0.29, 0.5),
                                          (0.5, 0.75), (0.99, 1.05)])
def test_the_histogram_height_is_quantised(tallest, top):
    assert ie.histogram_top(tallest) == pytest.approx(top)


def test_the_histogram_height_is_above_the_tallest_bin_and_changes_rarely():
    tallest = np.linspace(0.01, 1.0, 500)
    tops = np.array([ie.histogram_top(t) for t in tallest])
    assert np.all(tops >= np.minimum(1.05 * tallest, 1.05) - 1e-12) and np.all(tops <= 1.05)
    assert np.all(np.diff(tops) >= 0) and np.all(tallest / tops > 0.5)  # the tallest bin fills half the panel
    assert len(set(tops)) <= 15


def test_the_layer_axis_ends_at_a_multiple_of_five():
    assert [ie.layer_axis_end(d) for d in (2, 5, 6, 10, 11, 20)] == [5, 5, 10, 10, 15, 20]


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


def test_the_std_axis_fits_the_curves_shown():
    view = ie.ExplorerView()
    view.draw()  # the notebook's default view: tanh, Glorot, scale 1, stds between 0.2 and 1
    summary = ie.explorer_summary(1.0, 10, 100, "tanh", "Glorot 2/(n_in+n_out)")
    shown = np.concatenate([summary.activation_std, summary.delta_std])
    low, high = view.right.get_ylim()
    assert low <= shown.min() and shown.max() <= high
    assert np.log10(high / low) <= 2.001  # two decades, not sixteen: the curves' shape is visible
    key = view.background_key()
    assert view.background_key(scale=2.0, depth=20, activation="relu", scheme="He 2/n_in") != key  # 1 to 1e6
    view.draw(scale=2.0, depth=20, activation="relu", scheme="He 2/n_in")
    assert view.right.get_ylim()[1] >= view.a_line.get_ydata().max()


@pytest.mark.parametrize("stds, decades", [(([0.3, 0.9], [0.5]), (-1, 1)), (([2.0, 5.0],), (-1, 1)),
                                           (([1e-3], [1e5]), (-4, 8)), (([1e-9], [50.0]), (-12, 2)), (([1.0],), (-1, 1))])
def test_the_std_axis_is_whole_decades_with_room(stds, decades):
    assert ie.std_axis_decades(*map(np.array, stds)) == decades


def test_decade_ticks_are_at_most_seven_with_plain_labels():
    assert ie.decade_ticks(-1, 1) == ([0.1, 1.0, 10.0], ["0.1", "1", "10"])
    positions, labels = ie.decade_ticks(-12, 12)
    assert len(positions) <= 7 and "1e-12" in labels and "1" in labels


def test_layer_statistics_names_the_layer_whose_weights_do_not_chain(rng):
    X, G = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    weights = [rng.normal(size=(3, 4)), rng.normal(size=(5, 2))]
    with pytest.raises(ValueError, match=r"weights\[1\] \(layer 2\) has shape \(5, 2\).*needs shape \(4, any\)"):
        ie.layer_statistics(X, weights, "tanh", G)
    with pytest.raises(ValueError, match=r"grad_output should have shape \(5, 4\)"):
        ie.layer_statistics(X, weights[:1], "tanh", G)


def test_the_std_axis_ignores_a_dead_layer_and_an_overflowed_one():
    assert ie.std_axis_decades(np.array([0.0, 0.5, 2.0]), np.array([np.inf, 1.0])) == (-1, 1)
    assert ie.std_axis_decades(np.array([0.0]), np.array([np.nan])) == (-1, 1)
