"""Tests for helpers.viz.init_variance: the explorer's view (updates in place, stays cheap, keys its
background), its quantised axes, its widget, and the static figures of notebook 05."""
from __future__ import annotations

import time

import numpy as np
import pytest
from matplotlib.figure import Figure

from helpers.activations import hidden_activations
from helpers.experiments import init_variance
from helpers.viz import init_variance as init_variance_figures, figures, widgets


def small_network(rng, widths=(3, 5, 4, 2)):
    weights = [rng.normal(size=(a, b)) for a, b in zip(widths[:-1], widths[1:])]
    return rng.normal(size=(6, widths[0])), weights, rng.normal(size=(6, widths[-1]))


def test_explorer_view_updates_one_figure_in_place():
    view = init_variance_figures.ExplorerView()
    first = figures.figure_png(view.draw())
    fig = view.draw(scale=3.0, depth=4, activation="relu", scheme="he")
    assert fig is view.figure
    assert sum(artist.get_visible() for artist in view.stairs) == 4
    assert figures.figure_png(fig) != first


def test_explorer_view_returns_what_moves_and_keys_what_does_not():
    view = init_variance_figures.ExplorerView()
    moving = view.update(depth=6)
    assert all(artist.figure is view.figure for artist in moving)
    assert [a for a in moving if a in view.stairs] == view.stairs[:6]  # hidden layers are not drawn
    assert {view.a_line, view.d_line, view.left.title, view.right.title} <= set(moving)
    key = view.background_key(depth=6)
    assert view.background_key(depth=6, width=50) == key  # same activation, histogram height, layer axis
    assert view.background_key(depth=6, activation="relu") != key
    assert view.background_key(depth=11) != key  # the layer axis now ends at 15


@pytest.mark.parametrize("tallest, top", [(0.0, 1.0), (0.047, 0.05), (0.0477, 0.075), (0.08, 0.1), (0.29, 0.5),
                                          (0.5, 0.75), (0.99, 1.05)])
def test_the_histogram_height_is_quantised(tallest, top):
    assert init_variance_figures.histogram_top(tallest) == pytest.approx(top)


def test_the_histogram_height_is_above_the_tallest_bin_and_changes_rarely():
    tallest = np.linspace(0.01, 1.0, 500)
    tops = np.array([init_variance_figures.histogram_top(t) for t in tallest])
    assert np.all(tops >= np.minimum(1.05 * tallest, 1.05) - 1e-12) and np.all(tops <= 1.05)
    assert np.all(np.diff(tops) >= 0) and np.all(tallest / tops > 0.5)  # the tallest bin fills half the panel
    assert len(set(tops)) <= 15


def test_the_layer_axis_ends_at_a_multiple_of_five():
    assert [init_variance_figures.layer_axis_end(d) for d in (2, 5, 6, 10, 11, 20)] == [5, 5, 10, 10, 15, 20]


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
    stats = {"a": init_variance.layer_statistics(X, weights, "relu", G), "b": init_variance.layer_statistics(X, weights, "tanh", G)}
    built = [
        init_variance_figures.saturation_histograms({"wide": rng.normal(0, 20, 500), "narrow": rng.normal(0, 1, 500)}),
        init_variance_figures.depth_profiles(stats),
        init_variance_figures.glorot_picture(X, {"one": weights, "two": [0.5 * W for W in weights]}, G),
        init_variance_figures.training_curves({"run": [0.7, 0.5, 0.2]}, {"run": [0.5, 0.7, 0.9]}),
    ]
    for figure in built:
        assert isinstance(figure, Figure) and figures.figure_png(figure)[:4] == b"\x89PNG"


def test_the_std_axis_fits_the_curves_shown():
    view = init_variance_figures.ExplorerView()
    view.draw()  # the notebook's default view: tanh, Glorot, scale 1, stds between 0.2 and 1
    summary = init_variance.explorer_summary(1.0, 10, 100, "tanh", "xavier")
    shown = np.concatenate([summary.activation_std, summary.delta_std])
    low, high = view.right.get_ylim()
    assert low <= shown.min() and shown.max() <= high
    assert np.log10(high / low) <= 2.001  # two decades, not sixteen: the curves' shape is visible
    key = view.background_key()
    assert view.background_key(scale=2.0, depth=20, activation="relu", scheme="he") != key  # 1 to 1e6
    view.draw(scale=2.0, depth=20, activation="relu", scheme="he")
    assert view.right.get_ylim()[1] >= view.a_line.get_ydata().max()


@pytest.mark.parametrize("stds, decades", [(([0.3, 0.9], [0.5]), (-1, 1)), (([2.0, 5.0],), (-1, 1)),
                                           (([1e-3], [1e5]), (-4, 8)), (([1e-9], [50.0]), (-12, 2)), (([1.0],), (-1, 1))])
def test_the_std_axis_is_whole_decades_with_room(stds, decades):
    assert init_variance_figures.std_axis_decades(*map(np.array, stds)) == decades


def test_decade_ticks_are_at_most_seven_with_plain_labels():
    assert init_variance_figures.decade_ticks(-1, 1) == ([0.1, 1.0, 10.0], ["0.1", "1", "10"])
    positions, labels = init_variance_figures.decade_ticks(-12, 12)
    assert len(positions) <= 7 and "1e-12" in labels and "1" in labels


def test_the_std_axis_ignores_a_dead_layer_and_an_overflowed_one():
    assert init_variance_figures.std_axis_decades(np.array([0.0, 0.5, 2.0]), np.array([np.inf, 1.0])) == (-1, 1)
    assert init_variance_figures.std_axis_decades(np.array([0.0]), np.array([np.nan])) == (-1, 1)



@pytest.mark.parametrize("activation", hidden_activations())
def test_the_explorer_draws_every_registered_activation(activation):
    view = init_variance_figures.ExplorerView()
    view.draw(depth=3, activation=activation, scheme="he")
    low, high = init_variance.histogram_range(activation)
    assert view.left.get_xlim() == (low, high) and activation in view.left.get_xlabel()
    assert view.right.get_title() == "He 2/n_in, std × 1.00"


def test_the_explorer_widget_draws_the_statistics_it_is_given():
    """Notebook 05 passes the student's layer_statistics: the curves are its numbers."""
    def halved(X, weights, activation, grad_output):
        means, stds, gradient_stds = init_variance.layer_statistics(X, weights, activation, grad_output)
        return means, stds / 2, gradient_stds / 2

    live = widgets.init_variance_explorer(depth=4, width=25, statistics=halved)
    live.render()
    X, weights, G = init_variance.explorer_data(1.0, 4, 25, "xavier")
    expected = init_variance.layer_statistics(X, weights, "tanh", G)
    assert np.allclose(live.view.a_line.get_ydata(), expected.activation_std / 2)
    assert np.allclose(live.view.d_line.get_ydata(), expected.gradient_std / 2)


def test_the_glorot_picture_draws_propagate_and_back_propagate(rng):
    """It runs the course's MLP (05's answers are stubs in a student's copy before the deadline):
    its histograms are those of propagate's activations and back_propagate's errors, bin for bin."""
    X, weights, G = small_network(rng, widths=(6, 6, 6, 6))
    fig = init_variance_figures.glorot_picture(X, {"only": weights}, G)
    forward = init_variance.propagate(X, weights, "tanh")
    deltas = init_variance.back_propagate(forward, weights, "tanh", G)
    top, bottom = fig.axes[0], fig.axes[1]
    for ax, arrays in ((top, forward.outputs), (bottom, deltas)):
        drawn = [patch.get_data() for patch in ax.patches]
        assert len(drawn) == len(arrays)
        for (fractions, edges, _), values in zip(drawn, arrays):
            np.testing.assert_array_equal(fractions, np.histogram(values, bins=edges)[0] / values.size)
