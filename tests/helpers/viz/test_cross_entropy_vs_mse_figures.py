"""Tests for helpers.viz.cross_entropy_vs_mse (notebook 02's figures) and its widget, slowdown_explorer:
each figure draws the data or formula it claims to, renders to PNG, and the widget follows
its sliders.
"""
from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

from helpers.viz import cross_entropy_vs_mse as cross_entropy_vs_mse_figures, figures, widgets
from helpers.experiments import cross_entropy_vs_mse
from figure_data import assert_shows_same_data

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def runs_for(starts, epochs=50):
    return {f"start {start}": {cost: cross_entropy_vs_mse.neuron_run(*start, 0.15, epochs, cost) for cost in cross_entropy_vs_mse.COSTS}
            for start in starts}


def test_push_versus_output_draws_both_costs_and_their_push():
    fig = cross_entropy_vs_mse_figures.push_versus_output()
    left, right = fig.axes
    quadratic_cost, cross_entropy_cost = left.get_lines()
    a = quadratic_cost.get_xdata()
    assert a.min() > 0 and a.max() < 1
    np.testing.assert_allclose(quadratic_cost.get_ydata(), a**2 / 2, rtol=1e-14)
    np.testing.assert_allclose(cross_entropy_cost.get_ydata(), -np.log(1 - a), rtol=1e-12)
    quadratic_push, cross_entropy_push = right.get_lines()
    np.testing.assert_allclose(quadratic_push.get_ydata(), a**2 * (1 - a), rtol=1e-14)
    np.testing.assert_allclose(cross_entropy_push.get_ydata(), a, rtol=1e-14)
    assert figures.figure_png(fig).startswith(PNG_SIGNATURE)


def test_learning_slowdown_draws_every_run():
    runs = runs_for([(0.6, 0.9), (2.0, 2.0)])
    fig = cross_entropy_vs_mse_figures.learning_slowdown(runs)
    quadratic, cross_entropy, outputs = fig.axes
    for panel, cost in ((quadratic, "mse"), (cross_entropy, "cross_entropy")):
        lines = panel.get_lines()
        assert [line.get_label() for line in lines] == list(runs)
        for line, by_cost in zip(lines, runs.values()):
            np.testing.assert_array_equal(line.get_ydata(), by_cost[cost].costs)
    drawn = [line.get_ydata() for line in outputs.get_lines() if line.get_label().startswith(("quad", "cross"))]
    assert len(drawn) == 4
    np.testing.assert_array_equal(drawn[0], runs["start (0.6, 0.9)"]["mse"].outputs)
    assert figures.figure_png(fig).startswith(PNG_SIGNATURE)


def test_slowdown_view_from_one_start():
    fig = cross_entropy_vs_mse_figures.SlowdownView(1, 20).draw(w=1.5, b=-0.5, learning_rate=0.3)
    assert isinstance(fig, Figure) and len(fig.axes) == 3
    expected = cross_entropy_vs_mse.neuron_run(1.5, -0.5, 0.3, 20, "mse").costs
    np.testing.assert_array_equal(fig.axes[0].get_lines()[0].get_ydata(), expected)


def test_training_comparison_shows_accuracy_in_percent_and_relative_cost():
    records = {"mse": cross_entropy_vs_mse.TrainingRecord([2.0, 1.0, 0.5], [0.1, 0.5, 0.8]),
               "cross_entropy": cross_entropy_vs_mse.TrainingRecord([4.0, 1.0, 0.1], [0.1, 0.7, 0.9])}
    fig = cross_entropy_vs_mse_figures.training_comparison(records)
    accuracy, relative = fig.axes
    np.testing.assert_allclose(accuracy.get_lines()[1].get_ydata(), [10.0, 70.0, 90.0])
    np.testing.assert_allclose(relative.get_lines()[0].get_ydata(), [1.0, 0.5, 0.25])
    assert [line.get_label() for line in accuracy.get_lines()] == ["quadratic", "cross-entropy"]
    assert relative.get_yscale() == "log"
    assert figures.figure_png(fig).startswith(PNG_SIGNATURE)


def test_slowdown_explorer_follows_its_sliders():
    explorer = widgets.slowdown_explorer()
    assert explorer.values() == pytest.approx({"w": 2.0, "b": 2.0, "learning_rate": 0.15})
    first = explorer.render()
    assert first.startswith(PNG_SIGNATURE)
    explorer.controls["learning_rate"].value = 0.5
    assert explorer.render() != first
    assert_shows_same_data(explorer, cross_entropy_vs_mse_figures.SlowdownView().draw(w=2.0, b=2.0, learning_rate=0.5))


def test_slowdown_view_rounds_each_cost_panel_top_so_small_moves_keep_the_axes():
    view = cross_entropy_vs_mse_figures.SlowdownView()
    key = view.background_key(w=2.0, b=2.0, learning_rate=0.15)
    assert view.background_key(w=2.1, b=2.0, learning_rate=0.15) == key  # a slider step: background kept
    assert view.background_key(w=2.0, b=2.0, learning_rate=0.9) == key   # η does not move the start's cost
    assert view.background_key(w=-1.0, b=-1.0, learning_rate=0.15) != key
    for w, b in [(2.0, 2.0), (0.3, -0.2), (4.0, 4.0), (-4.0, -4.0)]:
        view.update(w=w, b=b, learning_rate=0.15)
        for panel, cost in zip(view.figure.axes, cross_entropy_vs_mse.COSTS):
            highest = cross_entropy_vs_mse.neuron_run(w, b, 0.15, 300, cost).costs.max()
            bottom, top = panel.get_ylim()
            assert bottom == 0 and highest < top <= 2.6 * max(highest, 0.1), (w, b, cost, top)  # 1, 2, 5: ≤ 2.5×
    assert view.figure.axes[2].get_title() == "output, start (-4.00, -4.00)"
