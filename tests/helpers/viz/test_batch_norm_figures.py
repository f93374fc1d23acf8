"""Tests for helpers.viz.batch_norm and notebook 09's widget."""
from __future__ import annotations

import numpy as np
import pytest

from helpers.experiments.batch_norm import Run
from helpers.viz import batch_norm as batch_norm_figures, figures, widgets


def fake_runs(depths=(2, 4), rates=(1.0, 10.0)):
    """Runs with known numbers (no training): the plain loss of the largest rate diverges to inf."""
    runs = {}
    for depth in depths:
        for rate in rates:
            plain = np.array([2.3, 2.4, 5.0, np.inf]) if rate == max(rates) else np.array([2.3, 2.3, 2.3, 2.3])
            runs[(depth, rate)] = {
                "plain": Run(plain, 4.0 ** -np.arange(depth, -1, -1.0), None),
                "batch norm": Run(np.array([2.3, 1.0, 0.5, 0.2]) * rate ** 0.1, np.full(depth + 1, 0.3), None),
            }
    return runs


def test_comparison_draws_norms_and_leaves_out_diverged_losses():
    runs = fake_runs()
    fig = batch_norm_figures.comparison({rate: runs[(4, rate)] for rate in (1.0, 10.0)}, chance_loss=np.log(10))
    left, right = fig.axes
    norms = [line.get_ydata() for line in left.get_lines()]
    np.testing.assert_allclose(norms[0], runs[(4, 1.0)]["plain"].gradient_norms)
    np.testing.assert_allclose(norms[1], 0.3)
    diverged = next(line for line in right.get_lines() if line.get_label() == "plain, η = 10")
    np.testing.assert_allclose(diverged.get_ydata(), [2.3, 2.4, 5.0])  # the inf is not drawn ...
    crosses = [line for line in right.get_lines() if line.get_marker() == "x"]
    assert len(crosses) == 1 and list(crosses[0].get_ydata()) == [5.0]  # ... a cross marks the last finite loss
    assert left.get_yscale() == right.get_yscale() == "log"
    assert figures.figure_png(fig).startswith(b"\x89PNG")


def test_explorer_view_shows_the_chosen_run_on_fixed_axes():
    runs = fake_runs()
    view = batch_norm_figures.ExplorerView(runs)
    fig = view.draw(depth=2, learning_rate=10.0)
    left, right = fig.axes
    limits = (left.get_xlim(), left.get_ylim(), right.get_xlim(), right.get_ylim())
    np.testing.assert_allclose(view.norm_lines["plain"].get_ydata(), runs[(2, 10.0)]["plain"].gradient_norms)
    np.testing.assert_allclose(view.loss_lines["plain"].get_ydata(), [2.3, 2.4, 5.0])
    assert "2 hidden layers" in left.get_title() and "η = 10" in right.get_title()
    view.draw(depth=4, learning_rate=1.0)
    assert (left.get_xlim(), left.get_ylim(), right.get_xlim(), right.get_ylim()) == limits  # no background redraw
    assert left.get_xlim()[1] >= 5 and right.get_ylim()[0] < 0.2 < 5.0 < right.get_ylim()[1]
    assert "4 hidden layers" in left.get_title()


def test_batch_norm_explorer_offers_the_swept_values_and_redraws():
    live = widgets.batch_norm_explorer(fake_runs(), depth=2, learning_rate=1.0)
    assert set(live.controls) == {"depth", "learning_rate"}
    assert [value for _, value in live.controls["learning_rate"].options] == [1.0, 10.0]
    assert live.controls["depth"].description == "hidden layers"
    first = live.render()
    live.controls["learning_rate"].value = 10.0
    assert live.render() != first


def test_explorer_rejects_a_value_that_was_not_trained():
    with pytest.raises(ValueError, match="depth 3 and learning rate 1"):
        batch_norm_figures.ExplorerView(fake_runs()).update(depth=3, learning_rate=1.0)
