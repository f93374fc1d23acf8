"""Tests for helpers.approx_plots and notebook 08's widgets."""
from __future__ import annotations

import pytest

from helpers import approx_plots, approximation, datasets, plots, widgets


def test_steps_and_bump_draw():
    fig = approx_plots.steps_and_bump()
    assert len(fig.axes) == 2 and plots.figure_png(fig).startswith(b"\x89PNG")


@pytest.mark.parametrize("target", sorted(datasets.TARGET_FUNCTIONS))
def test_bump_approximation_reports_its_errors(target):
    fig = approx_plots.bump_approximation(target, 12, 3000.0)
    top, bottom = fig.axes
    f = datasets.TARGET_FUNCTIONS[target]
    worst, mean = approximation.approximation_errors(
        f, approximation.bump_network(f, 12, 3000.0), approx_plots.GRID)
    assert f"max error {worst:.3f}" in top.get_title() and f"mean error {mean:.4f}" in top.get_title()


def test_error_against_bumps_is_log_log():
    counts = [5, 10, 20]
    maxima, means = approximation.errors_against_bumps(datasets.TARGET_FUNCTIONS["sine"], counts)
    fig = approx_plots.error_against_bumps({"sine": (maxima, means)}, counts)
    ax = fig.axes[0]
    assert ax.get_xscale() == ax.get_yscale() == "log" and len(ax.get_lines()) == 3


def test_challenge_scores_and_best_heights():
    best = approx_plots.challenge_heights("wiggly")
    assert best.shape == (approx_plots.CHALLENGE_BUMPS,)
    best_score = approx_plots.average_deviation(best)
    assert best_score < approx_plots.average_deviation(best + 0.05)
    assert best_score < approx_plots.average_deviation(best - 0.05)
    fig = approx_plots.bump_challenge("wiggly", **{f"h{i}": h for i, h in enumerate(best)})
    assert f"average deviation {best_score:.3f}" in fig.axes[0].get_title()


def test_challenge_widget_has_one_vertical_slider_per_bump():
    live = widgets.bump_challenge()
    assert len(live.controls) == approx_plots.CHALLENGE_BUMPS
    assert all(control.orientation == "vertical" for control in live.controls.values())
    first = live.render()
    live.controls["h3"].value = 0.5
    assert live.render() != first


def test_bump_explorer_controls():
    live = widgets.bump_explorer()
    assert set(live.controls) == {"target", "n_bumps", "steepness"}
    first = live.render()
    live.controls["n_bumps"].value = 30
    assert live.render() != first


def test_depth_figures_draw():
    fig = approx_plots.sawtooth_curves((1, 2))
    assert len(fig.axes[0].get_lines()) == 2
    fig = approx_plots.depth_and_width({"a": [2, 4]}, [2, 3], {"b": [2, 4]}, [1, 2])
    assert fig.axes[0].get_yscale() == "log"
    net = approximation.tower_network(lambda x, y: x + y, 3, 500.0)
    assert plots.figure_png(approx_plots.towers(lambda x, y: x + y, net, resolution=21)).startswith(b"\x89PNG")
    outputs = {"built": approximation.network_output(
        approximation.bump_network(datasets.TARGET_FUNCTIONS["sine"], 5, 1000.0), approx_plots.GRID)}
    assert len(approx_plots.built_and_trained("sine", outputs).axes[0].get_lines()) == 2
