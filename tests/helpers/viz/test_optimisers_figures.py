"""Tests for helpers.viz.optimisers and notebook 06's widget: every figure draws to a PNG and shows
what it claims (one line per optimiser, log axes where promised), and the race widget's
controls change the picture."""
from __future__ import annotations

import ast
import pkgutil

import numpy as np

import helpers.viz
import pytest
from matplotlib.figure import Figure

from helpers.experiments import optimisers
from helpers.viz import optimisers as optimisers_figures, figures, widgets


def lines_with_data(ax):
    return [line for line in ax.get_lines() if len(line.get_xdata()) > 2]


def test_optimiser_paths_one_panel_per_surface_one_line_per_optimiser():
    runs = {name: {opt: optimisers.path(name, opt, lr, 20) for opt, lr in optimisers.RACE_RATES[name].items()}
            for name in ("valley", "saddle")}
    fig = optimisers_figures.optimiser_paths(runs)
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    assert len(lines_with_data(fig.axes[0])) == len(optimisers.LABELS)
    assert fig.legends and len(fig.legends[0].get_texts()) == len(optimisers.LABELS)
    assert figures.figure_png(fig).startswith(b"\x89PNG")


@pytest.mark.parametrize("surface", list(optimisers.RACE_RATES))
def test_race_figure_follows_its_settings(surface):
    fig = optimisers_figures.RaceView().draw(surface=surface, lr_scale=2.0, beta=0.5)
    paths, gaps = fig.axes
    assert gaps.get_yscale() == "log" and "× 2" in gaps.get_title() and "0.50" in gaps.get_title()
    # Each legend row reads "Adam (η = 1)": the label, then the rate, a text placed after it.
    labels = gaps.get_legend().get_texts()
    rates = {text.xycoords: text.get_text() for text in gaps.texts}
    rows = [f"{label.get_text()} {rates[label]}" for label in labels]
    rate = 2.0 * optimisers.RACE_RATES[surface]["adam"]
    assert f"Adam (η = {rate:.2g})" in rows and len(rows) == len(optimisers.LABELS)
    lines = [line.get_ydata() for line in gaps.get_lines()]
    assert len(lines) == len(optimisers.LABELS) and all(len(y) == optimisers.RACE_STEPS[surface] + 1 for y in lines)
    assert gaps.get_xlim() == (0, optimisers.RACE_STEPS[surface])
    assert figures.figure_png(fig).startswith(b"\x89PNG")


def test_noise_ball_and_cost_per_sample_draw(rng):
    problem = optimisers.least_squares_problem(50, rng)
    runs = {"batch 1": (optimisers.least_squares_sgd(problem, np.zeros(2), 1, 0.02, 3, rng), 1),
            "batch 10": (optimisers.least_squares_sgd(problem, np.zeros(2), 10, 0.02, 3, rng), 10)}
    ball = optimisers_figures.noise_ball(problem, runs, last_epochs=1)
    assert ball.axes[1].get_yscale() == "log" and len(ball.axes[1].get_lines()) == 2
    work = optimisers_figures.cost_per_sample(problem, runs)
    assert work.axes[0].get_xscale() == "log" and len(work.axes[0].get_lines()) == 2
    for fig in (ball, work):
        assert figures.figure_png(fig).startswith(b"\x89PNG")


def test_bias_correction_curve():
    fig = optimisers_figures.bias_correction(0.9, 0.999, n_steps=100)
    (line,) = fig.axes[0].get_lines()[:1]
    t, ratio = line.get_xdata(), line.get_ydata()
    assert ratio[0] == pytest.approx(0.1 / np.sqrt(0.001))  # first step 3.16× too large
    assert np.allclose(ratio, (1 - 0.9**t) / np.sqrt(1 - 0.999**t))


def test_race_widget_controls_redraw():
    live = widgets.optimiser_race()
    assert set(live.controls) == {"surface", "lr_scale", "beta"}
    first = live.render()
    live.controls["surface"].value = "rosenbrock"
    assert live.render() != first
    assert live.controls["lr_scale"].min < 0 < live.controls["lr_scale"].max  # a log slider: exponents


def test_race_widget_shows_the_race_of_its_current_settings():
    """The view remembers runs (a β move reruns only momentum, Nesterov and Adam): what it shows
    after any sequence of moves is still the race for the current values."""
    live = widgets.optimiser_race()
    settings = [("lr_scale", 2.0), ("beta", 0.5), ("lr_scale", 1.0), ("surface", "saddle"), ("beta", 0.9),
                ("surface", "valley"), ("beta", 0.5)]
    for name, value in settings:
        live.controls[name].value = value
        live.render()
        values = live.values()
        runs = optimisers.race(values["surface"], values["lr_scale"], values["beta"])
        paths, gaps = live.view.figure.axes
        shown = {line.get_color(): np.column_stack(line.get_data()) for line in paths.get_lines()}
        for optimiser, (_, points) in runs.items():
            np.testing.assert_array_equal(shown[optimisers_figures.COLOURS[optimiser]], points,
                                          err_msg=f"{optimiser} after moving {name}")


@pytest.mark.parametrize("module", [m.name for m in pkgutil.iter_modules(helpers.viz.__path__)])
def test_no_pyplot(module):
    """pyplot keeps every figure alive in a global registry; the course draws on Figure objects."""
    import importlib

    path = importlib.import_module(f"helpers.viz.{module}").__file__
    tree = ast.parse(open(path, encoding="utf-8").read())
    names = [alias.name for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))
             for alias in node.names] + [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    assert not [name for name in names if "pyplot" in name]


def test_convergence_rates_draws_runs_and_their_predictions():
    steps = np.arange(31)
    panels = {"κ = 25": {"predicted": (5.0 * 0.9 ** (2 * steps), 0.9), "no prediction": (np.full(31, 1e-3), None)},
              "κ = 1000": {"one run": (np.geomspace(10.0, 1e-20, 31), 0.5)}}
    fig = optimisers_figures.convergence_rates(panels)
    left, right = fig.axes
    assert left.get_yscale() == "log" and left.get_title() == "κ = 25"
    solid, dashed, flat = left.get_lines()
    assert dashed.get_linestyle() == "--" and dashed.get_color() == solid.get_color()
    np.testing.assert_allclose(dashed.get_ydata(), solid.get_ydata())  # the prediction of an exact run
    assert flat.get_label() == "no prediction" and len(right.get_lines()) == 2
    assert np.all(right.get_lines()[0].get_ydata() > 0)  # values below the axis stay drawable on a log scale
    assert figures.figure_png(fig).startswith(b"\x89PNG")


def test_the_race_widget_runs_the_steps_it_is_given():
    """Notebook 06 passes the student's steps: the race draws their paths."""
    calls = []

    def my_sgd(theta, grad, lr):
        calls.append(1)
        return theta - lr * grad

    live = widgets.optimiser_race("saddle", steps={"sgd": my_sgd})
    live.render()
    assert len(calls) == optimisers.RACE_STEPS["saddle"]
    expected = optimisers.race("saddle", optimisers=["sgd"])["sgd"][1]
    np.testing.assert_allclose(live.view.paths["sgd"].get_xdata(), expected[:, 0])
