"""Tests for helpers.viz.universal_approximation and notebook 08's widgets."""
from __future__ import annotations

import pytest

import numpy as np

from helpers.viz import universal_approximation as universal_approximation_figures, figures, widgets
from helpers.experiments import universal_approximation
from helpers import datasets


def test_steps_and_bump_draw():
    fig = universal_approximation_figures.steps_and_bump()
    assert len(fig.axes) == 2 and figures.figure_png(fig).startswith(b"\x89PNG")


@pytest.mark.parametrize("target", sorted(datasets.TARGET_FUNCTIONS))
def test_bump_view_reports_its_errors(target):
    fig = universal_approximation_figures.BumpView().draw(target=target, n_bumps=12, steepness=3000.0)
    top, bottom = fig.axes
    f = datasets.TARGET_FUNCTIONS[target]
    worst, mean = universal_approximation.approximation_errors(
        f, universal_approximation.bump_network(f, 12, 3000.0), universal_approximation.GRID)
    assert f"max error {worst:.3f}" in top.get_title() and f"mean error {mean:.4f}" in top.get_title()


@pytest.mark.parametrize("target", sorted(datasets.TARGET_FUNCTIONS))
def test_bump_view_limits_hold_every_network(target):
    """The top panel's y-limits are fixed per target (they live in the background): every bump
    network, however few or flat its bumps, must stay inside them; the error axis follows the error."""
    view = universal_approximation_figures.BumpView()
    f = datasets.TARGET_FUNCTIONS[target]
    for n_bumps in (1, 2, 7, 60):
        for steepness in (10.0, 300.0, 10000.0):
            view.update(target=target, n_bumps=n_bumps, steepness=steepness)
            output = universal_approximation.network_output(universal_approximation.bump_network(f, n_bumps, steepness), universal_approximation.GRID)
            low, high = view.top.get_ylim()
            assert low < output.min() and output.max() < high, (n_bumps, steepness)
            assert np.array_equal(view.output.get_ydata(), output)
            assert np.array_equal(view.truth.get_ydata(), f(universal_approximation.GRID))
            gap = np.abs(f(universal_approximation.GRID) - output)
            assert view.bottom.get_ylim()[1] >= 1.1 * gap.max() - 1e-12
            assert view.worst.get_ydata()[0] == pytest.approx(gap.max())
            assert np.allclose(view.error.get_xy()[:len(gap), 1], gap)
    assert view.background_key(target=target, n_bumps=3, steepness=5.0) == view.background_key(target=target)


def test_a_reused_bump_view_draws_what_a_fresh_one_draws():
    """An update must set everything the controls touch: after other values, the same picture."""
    reused = universal_approximation_figures.BumpView()
    reused.update(target="step", n_bumps=1, steepness=10.0)
    values = dict(target="wiggly", n_bumps=12, steepness=3000.0)
    assert figures.figure_png(reused.draw(**values)) == figures.figure_png(universal_approximation_figures.BumpView().draw(**values))
    assert reused.legend.get_texts()[1].get_text() == "12 bumps = 24 hidden neurons"


def test_error_against_bumps_is_log_log():
    counts = [5, 10, 20]
    maxima, means = universal_approximation.errors_against_bumps(datasets.TARGET_FUNCTIONS["sine"], counts)
    fig = universal_approximation_figures.error_against_bumps({"sine": (maxima, means)}, counts)
    ax = fig.axes[0]
    assert ax.get_xscale() == ax.get_yscale() == "log" and len(ax.get_lines()) == 3


def test_challenge_scores_and_best_heights():
    best = universal_approximation.challenge_heights("wiggly")
    assert best.shape == (universal_approximation.CHALLENGE_BUMPS,)
    best_score = universal_approximation.average_deviation(best)
    assert best_score < universal_approximation.average_deviation(best + 0.05)
    assert best_score < universal_approximation.average_deviation(best - 0.05)
    fig = universal_approximation_figures.ChallengeView("wiggly").draw(**{f"h{i}": h for i, h in enumerate(best)})
    assert f"average deviation {best_score:.3f}" in fig.axes[0].get_title()


def test_challenge_view_shows_the_bumps_it_scores():
    heights = {f"h{i}": 0.1 * i for i in range(universal_approximation.CHALLENGE_BUMPS)}
    view = universal_approximation_figures.ChallengeView("sine")
    view.update(h3=0.9)  # an earlier position of the sliders must leave no trace
    fig = view.draw(**heights)
    params = universal_approximation.bump_network(lambda c: 0.1 * np.arange(10), universal_approximation.CHALLENGE_BUMPS, 2000.0)
    output = universal_approximation.network_output(params, universal_approximation.GRID)
    assert np.array_equal(view.output.get_ydata(), output)
    assert np.array_equal(view.truth.get_ydata(), datasets.TARGET_FUNCTIONS["sine"](universal_approximation.GRID))
    score = np.mean(np.abs(datasets.TARGET_FUNCTIONS["sine"](universal_approximation.GRID) - output))
    best = universal_approximation.average_deviation(universal_approximation.challenge_heights("sine"), "sine")
    assert fig.axes[0].get_title() == f"average deviation {score:.3f}   (best possible with 10 bumps: {best:.3f})"
    low, high = fig.axes[0].get_ylim()
    assert low <= -0.1 and high >= 1.2  # every slider position stays in view


def test_challenge_widget_has_one_vertical_slider_per_bump():
    live = widgets.bump_challenge()
    assert len(live.controls) == universal_approximation.CHALLENGE_BUMPS
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
    fig = universal_approximation_figures.sawtooth_curves((1, 2))
    assert len(fig.axes[0].get_lines()) == 2
    fig = universal_approximation_figures.depth_and_width({"a": [2, 4]}, [2, 3], {"b": [2, 4]}, [1, 2])
    assert fig.axes[0].get_yscale() == "log"
    net = universal_approximation.tower_network(lambda x, y: x + y, 3, 500.0)
    assert figures.figure_png(universal_approximation_figures.towers(lambda x, y: x + y, net, samples_per_cell=4)).startswith(b"\x89PNG")
    networks = {"built": universal_approximation.bump_network(datasets.TARGET_FUNCTIONS["sine"], 5, 1000.0)}
    assert len(universal_approximation_figures.built_and_trained("sine", networks).axes[0].get_lines()) == 2


def test_tower_error_panel_shows_the_corner_maxima():
    """Where four towers meet, all are off and the output drops to about 0: the error there is |f|.
    Those corners must be sampled and the error's colour scale must reach them, not stop below."""
    f = lambda x, y: 1.0 + 0.0 * x  # noqa: E731 (|f| = 1: every corner is wrong by about 1)
    net = universal_approximation.tower_network(f, 5, 2000.0, output_steepness=40.0)
    error_panel = universal_approximation_figures.towers(f, net, samples_per_cell=4).axes[2]
    gap = np.asarray(error_panel.images[0].get_array())
    assert gap.max() > 0.9
    assert error_panel.images[0].norm.vmax >= gap.max()
    assert f"max {gap.max():.2f}" in error_panel.get_title()


def test_built_and_trained_draws_each_hidden_unit_s_share():
    built = universal_approximation.bump_network(datasets.TARGET_FUNCTIONS["sine"], 3, 1000.0)
    soft = universal_approximation.bump_network(datasets.TARGET_FUNCTIONS["sine"], 3, 30.0)
    fig = universal_approximation_figures.built_and_trained("sine", {"built": built, "soft": soft},
                                                            units={"built": built, "soft": soft})
    assert len(fig.axes) == 3 and len(fig.axes[0].get_lines()) == 3
    for line, params in zip(fig.axes[0].get_lines()[1:], (built, soft)):  # after the target: each network's output
        np.testing.assert_array_equal(line.get_ydata(), universal_approximation.network_output(params, universal_approximation.GRID))
    for panel, params in zip(fig.axes[1:], (built, soft)):
        shares = np.array([line.get_ydata() for line in panel.get_lines()])
        assert shares.shape == (6, universal_approximation.GRID.size)  # one line per hidden unit
        # the shares add up to the network's output (its output bias is 0)
        np.testing.assert_allclose(shares.sum(axis=0), universal_approximation.network_output(params, universal_approximation.GRID),
                                   atol=1e-12)


def _reversed_bump_network(f, n_bumps, steepness):
    """A student's bump network with its hidden units in the opposite order: the same function."""
    params = universal_approximation.bump_network(f, n_bumps, steepness)
    return {"W1": params["W1"][:, ::-1].copy(), "b1": params["b1"][::-1].copy(), "W2": params["W2"][::-1].copy(),
            "b2": params["b2"]}


def _flat_bump_network(f, n_bumps, steepness):
    """A wrong student answer: every height halved, so that a figure drawn with it can be told apart."""
    params = universal_approximation.bump_network(f, n_bumps, steepness)
    return {**params, "W2": params["W2"] / 2}


def test_steps_and_bump_draw_the_step_they_are_given():
    def ramp(x, position, steepness):  # a student's (wrong) step: a ramp
        return np.clip(0.5 + (x - position), 0.0, 1.0)

    left, right = universal_approximation_figures.steps_and_bump(step=ramp, steepnesses=(5,)).axes
    grid = universal_approximation.GRID
    np.testing.assert_array_equal(left.get_lines()[0].get_ydata(), ramp(grid, 0.4, 5))
    rising, falling, bump = (line.get_ydata() for line in right.get_lines())
    np.testing.assert_allclose(rising, 0.8 * ramp(grid, 0.3, 200))
    np.testing.assert_allclose(bump, 0.8 * (ramp(grid, 0.3, 200) - ramp(grid, 0.6, 200)))


def test_bump_views_and_widgets_draw_the_bump_network_they_are_given():
    grid, sine = universal_approximation.GRID, datasets.TARGET_FUNCTIONS["sine"]
    view = universal_approximation_figures.BumpView(bump_network=_flat_bump_network)
    view.update(target="sine", n_bumps=6, steepness=2000.0)
    expected = universal_approximation.network_output(_flat_bump_network(sine, 6, 2000.0), grid)
    np.testing.assert_array_equal(view.output.get_ydata(), expected)
    challenge = universal_approximation_figures.ChallengeView("sine", bump_network=_flat_bump_network)
    challenge.update(**{f"h{i}": 0.6 for i in range(universal_approximation.CHALLENGE_BUMPS)})
    np.testing.assert_allclose(challenge.output.get_ydata().max(), 0.3, rtol=1e-6)
    for live in (widgets.bump_explorer(bump_network=_flat_bump_network),
                 widgets.bump_challenge(bump_network=_flat_bump_network)):
        assert live.view.bump_network is _flat_bump_network


def _listed(bump_network):
    """A student's bump_network that returns lists, which notebook 08's tests accept."""
    return lambda f, n, k: {key: value.tolist() for key, value in bump_network(f, n, k).items()}


def test_a_bump_network_of_lists_draws_and_scores_as_one_of_arrays():
    listed, views = _listed(universal_approximation.bump_network), {}
    for name, given in (("arrays", universal_approximation.bump_network), ("lists", listed)):
        bumps = universal_approximation_figures.BumpView(bump_network=given)
        bumps.update(target="sine", n_bumps=6, steepness=2000.0)
        challenge = universal_approximation_figures.ChallengeView("wiggly", bump_network=given)
        challenge.update(**{f"h{i}": 0.1 * i for i in range(universal_approximation.CHALLENGE_BUMPS)})
        towers = universal_approximation.tower_network(lambda x, y: x * y, 3, 500.0, bump_network=given)
        views[name] = (bumps.output.get_ydata(), challenge.output.get_ydata(), challenge.best,
                       towers.predict(np.array([[0.5, 0.5]])))
    for arrays, lists in zip(views["arrays"], views["lists"]):
        np.testing.assert_array_equal(lists, arrays)
    with pytest.raises(TypeError, match="bump_network's 'W2' must hold numbers"):
        universal_approximation.average_deviation(np.ones(10), bump_network=lambda f, n, k: {
            **universal_approximation.bump_network(f, n, k), "W2": [["a"]]})
