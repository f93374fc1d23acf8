"""Tests for helpers.viz.tuning and notebook 10's widget: every figure draws to a PNG and shows what
it claims, and the landscape explorer moves the points each search tried (on a made-up landscape, so
no network is trained here)."""
from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

from helpers.experiments import tuning
from helpers.viz import figures, tuning as tuning_figures, widgets


def _landscape():
    lrs, l2s = tuning.grid(1e-3, 1.0, 7), tuning.grid(1e-3, 10.0, 5)
    losses = (np.log10(lrs)[:, None] + 1.5) ** 2 + 0.01 * np.log10(l2s)[None, :]
    return tuning.Landscape(lrs, l2s, losses)


def _draws(fig: Figure) -> bytes:
    png = figures.figure_png(fig)
    assert png.startswith(b"\x89PNG")
    return png


def test_log_versus_uniform_shows_each_decades_share():
    rng = np.random.default_rng(0)
    fig = tuning_figures.log_versus_uniform(rng.uniform(1e-4, 1, 400), tuning.log_uniform(1e-4, 1, 400, rng), 1e-4, 1)
    bars = fig.axes[0].patches
    assert len(bars) == 8  # 4 decades, 2 samplers
    assert sum(bar.get_height() for bar in bars[:4]) == 100.0 and bars[3].get_height() > 80
    _draws(fig)


def test_landscape_view_marks_every_trial_and_the_learning_rates_each_search_tried():
    view = tuning_figures.LandscapeView(_landscape())
    view.update(n_trials=16, seed=3)
    assert len(view.grid_points.get_xdata()) == 16 and len(view.random_points.get_xdata()) == 16
    assert len(np.unique(view.grid_ticks.get_xdata())) == 4 and len(np.unique(view.random_ticks.get_xdata())) == 16
    assert "4 values of η" in view.right.title.get_text() and "16 values of η" in view.right.title.get_text()
    best_grid = view.grid_best.get_ydata()[0]
    on_grid, _ = tuning.grid_and_random(view.landscape, 16, np.random.default_rng(3))
    assert best_grid == view.landscape.at(*on_grid.T).min()
    _draws(view.figure)


def test_the_explorer_draws_the_random_search_with_the_sampler_it_is_given():
    def top_of_the_range(low, high, size, rng):
        return np.full(size, high)

    live = widgets.tuning_explorer(_landscape(), n_trials=4, sampler=top_of_the_range)
    live.render()
    view = live.view
    np.testing.assert_array_equal(view.random_points.get_xdata(), np.full(4, 1.0))
    np.testing.assert_array_equal(view.random_points.get_ydata(), np.full(4, 10.0))


def test_tuning_explorer_redraws_when_either_control_moves():
    live = widgets.tuning_explorer(_landscape())
    first = live.render()
    live.controls["n_trials"].value = 25
    second = live.render()
    live.controls["seed"].value = 7
    assert len({first, second, live.render()}) == 3


def test_search_points_circles_each_searchs_best():
    trials = [({"lr": 0.01, "l2": 0.1}, 0.3), ({"lr": 0.1, "l2": 1.0}, 0.2)]
    fig = tuning_figures.search_points(_landscape(), {"one search": trials})
    circled = [line for line in fig.axes[0].get_lines() if line.get_markersize() == 15]
    assert len(circled) == 1 and tuple(circled[0].get_xydata()[0]) == (0.1, 1.0)
    _draws(fig)


def test_range_test_marks_the_lowest_point_and_the_suggestion():
    rates = tuning.grid(1e-3, 10.0, 9)
    losses = np.array([2.3, 2.2, 1.8, 1.0, 0.5, 0.3, 0.9, 3.0, 5.0])
    fig = tuning_figures.range_test(rates, losses, rates[5] / 10)
    vertical = [line.get_xdata()[0] for line in fig.axes[0].get_lines()[1:]]
    np.testing.assert_allclose(vertical, [rates[5], rates[5] / 10])
    _draws(fig)


def test_batch_size_rates_draws_one_curve_per_batch_and_the_best_rates():
    lrs = tuning.grid(0.01, 1.0, 5)
    losses = np.array([[0.5, 0.4, 0.6, 1.0, 2.0], [0.9, 0.6, 0.4, 0.8, 2.0]])
    fig = tuning_figures.batch_size_rates([8, 16], lrs, losses)
    assert len(fig.axes[0].get_lines()) == 2
    np.testing.assert_allclose(fig.axes[1].get_lines()[0].get_ydata(), [lrs[1], lrs[2]])
    _draws(fig)


def test_decay_maps_one_image_per_method_on_one_scale():
    fig = tuning_figures.decay_maps({"a": np.linspace(0, 1, 64), "b": np.ones(64)})
    images = [ax.images[0] for ax in fig.axes if ax.images]
    assert len(images) == 2 and all(image.get_clim() == (0.0, 1.1) for image in images)
    _draws(fig)


def test_optimism_plots_the_mean_gap_per_number_of_trials():
    gaps = {50: np.array([[0.0, 0.02], [0.04, 0.06]])}
    fig = tuning_figures.optimism([1, 10], gaps)
    np.testing.assert_allclose(fig.axes[0].get_lines()[0].get_ydata(), [1.0, 5.0])
    _draws(fig)


def test_one_step_rate_draws_each_tangent_with_its_slope_through_the_curve():
    rates = np.linspace(0.0, 1.0, 11)
    losses = (rates - 0.4) ** 2
    fig = tuning_figures.one_step_rate(rates, losses, {0.2: -0.4, 0.8: 0.8}, best=0.4)
    lines = fig.axes[0].get_lines()
    tangents = [line.get_xydata() for line in lines if len(line.get_xdata()) == 2 and line.get_color() == "C3"]
    assert len(tangents) == 2
    for (start, end), (rate, slope) in zip(tangents, [(0.2, -0.4), (0.8, 0.8)]):
        assert (end[1] - start[1]) / (end[0] - start[0]) == pytest.approx(slope)
        assert (start + end)[0] / 2 == pytest.approx(rate)
        assert (start + end)[1] / 2 == pytest.approx((rate - 0.4) ** 2)
    assert lines[-1].get_xdata()[0] == 0.4  # the vertical line at the best rate
    _draws(fig)
