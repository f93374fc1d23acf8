"""Tests for what the notebooks show and wrap around exercises: helpers.viz.figures (Figure
objects, PNG bytes), helpers.viz.widgets (LiveFigure rendering and updating in place),
helpers.notebook.attempt and helpers.require_version.

Only ``matplotlib.figure.Figure`` is used (no pyplot), so no GUI backend is involved:
saving a Figure to PNG always goes through Agg.
"""
from __future__ import annotations

import ast
import struct

import numpy as np
import pytest
from IPython.display import Image
from matplotlib.figure import Figure

import helpers
from helpers.viz import live, figures as plots, widgets
from helpers import notebook
from figure_data import assert_shows_same_data

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) from the IHDR chunk, which always comes first after the signature."""
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def assert_png(data) -> None:
    assert isinstance(data, bytes) and data.startswith(PNG_SIGNATURE)
    width, height = png_size(data)
    assert 100 <= width <= 3000 and 100 <= height <= 3000


def sigma(z):
    return 1.0 / (1.0 + np.exp(-z))


# --- plots ---------------------------------------------------------------------------------

@pytest.mark.parametrize("make, n_axes", [
    (lambda: plots.sigmoid_vs_step(), 2),
    (lambda: plots.sigmoid_vs_step(w=0.0, b=1.0, steepness=20.0), 2),
    (lambda: plots.activation_gallery(), 4),
    (lambda: plots.activation_gallery(("relu",)), 1),
    (lambda: plots.activation_gallery(["sigmoid", "tanh", "identity"], z_range=(-2, 2)), 3),
    (lambda: plots.loss_curves({"train": [3.0, 2.0, 1.5], "validation": np.array([3.1, 2.5, 2.4])}), 1),
    (lambda: plots.loss_curves({"sgd": [1.0, 0.1, 0.01]}, xlabel="epoch", title="t", log_y=True), 1),
    (lambda: plots.neuron_fit([-1.0, 0.0, 2.0], [0.0, 1.0, 1.0], 1.5, -0.2, title="fit"), 1),
])
def test_plot_functions_return_figures_that_draw(make, n_axes):
    fig = make()
    assert isinstance(fig, Figure)
    assert len(fig.axes) == n_axes
    assert_png(plots.figure_png(fig))


def test_sigmoid_vs_step_draws_the_formula():
    w, b, c = 0.8, -0.4, 3.0
    fig = plots.sigmoid_vs_step(w=w, b=b, steepness=c)
    left, right = fig.axes
    sigmoid_line = next(line for line in left.get_lines() if "sigmoid" in line.get_label())
    x = sigmoid_line.get_xdata()
    np.testing.assert_allclose(sigmoid_line.get_ydata(), sigma(c * (w * x + b)), rtol=1e-12, atol=1e-15)
    step_line = next(line for line in left.get_lines() if "step" in line.get_label())
    np.testing.assert_array_equal(step_line.get_ydata(), (w * x + b > 0).astype(float))
    derivative = right.get_lines()[0].get_ydata()
    s = sigma(c * (w * x + b))
    np.testing.assert_allclose(derivative, s * (1 - s), rtol=1e-12, atol=1e-15)
    assert derivative.max() <= 0.25


def test_activation_gallery_titles_and_unknown_name():
    fig = plots.activation_gallery(("tanh", "relu"))
    assert [ax.get_title() for ax in fig.axes] == ["tanh", "relu"]
    tanh_ax = fig.axes[0]
    z = tanh_ax.get_lines()[0].get_xdata()
    np.testing.assert_allclose(tanh_ax.get_lines()[0].get_ydata(), np.tanh(z), rtol=1e-12)
    np.testing.assert_allclose(tanh_ax.get_lines()[1].get_ydata(), 1 - np.tanh(z) ** 2, rtol=1e-12, atol=1e-15)
    with pytest.raises(ValueError, match="unknown activation"):
        plots.activation_gallery(("swishy",))


@pytest.mark.parametrize("alpha", [None, 0.2])
def test_activation_gallery_draws_a_visible_leaky_slope(alpha):
    options = {} if alpha is None else {"leaky_alpha": alpha}
    fig = plots.activation_gallery(("relu", "leaky_relu"), z_range=(-5.0, 5.0), **options)
    leaky_ax = fig.axes[1]
    slope = 0.1 if alpha is None else alpha  # 0.01 would look exactly like ReLU at this scale
    z, f = leaky_ax.get_lines()[0].get_xdata(), leaky_ax.get_lines()[0].get_ydata()
    np.testing.assert_allclose(f[z < 0], slope * z[z < 0], rtol=1e-12)
    np.testing.assert_allclose(leaky_ax.get_lines()[1].get_ydata()[z < 0], slope)
    assert f"α = {slope:g}" in leaky_ax.get_title()
    assert fig.axes[0].get_title() == "relu"


def test_loss_curves_draws_a_group_of_runs_in_one_colour():
    curves = {"random": [[1.0, 0.5, 0.1], [2.0, 0.4]], "bumps": [[0.3, 0.01]], "single": [0.2, 0.1]}
    ax = plots.loss_curves(curves, log_y=True).axes[0]
    lines = ax.get_lines()
    assert [list(line.get_ydata()) for line in lines] == [[1.0, 0.5, 0.1], [2.0, 0.4], [0.3, 0.01], [0.2, 0.1]]
    assert [line.get_color() for line in lines] == ["C0", "C0", "C1", "C2"]
    assert [text.get_text() for text in ax.get_legend().get_texts()] == ["random", "bumps", "single"]


def test_loss_curves_one_line_per_curve():
    curves = {"a": [4.0, 2.0, 1.0, 0.5], "b": [1.0, 1.0]}
    fig = plots.loss_curves(curves, log_y=True, ylabel="cost")
    (ax,) = fig.axes
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["a", "b"]
    np.testing.assert_array_equal(lines[0].get_xdata(), [0, 1, 2, 3])
    np.testing.assert_array_equal(lines[0].get_ydata(), curves["a"])
    assert ax.get_yscale() == "log" and ax.get_ylabel() == "cost"


def test_neuron_fit_curve_covers_the_data():
    x = np.array([[-1.0], [0.5], [3.0]])  # a column, as X is in the notebooks
    fig = plots.neuron_fit(x, [0, 1, 1], 2.0, -1.0)
    (ax,) = fig.axes
    curve = ax.get_lines()[0]
    grid = curve.get_xdata()
    assert grid.min() < -1.0 and grid.max() > 3.0
    np.testing.assert_allclose(curve.get_ydata(), sigma(2.0 * grid - 1.0), rtol=1e-12)


@pytest.mark.parametrize("module", [plots, widgets])
def test_no_pyplot_import(module):
    # figures made in a loop or by a widget must not pile up in pyplot's global registry
    tree = ast.parse(open(module.__file__, encoding="utf-8").read())
    imported = [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]
    imported += [f"{node.module}.{alias.name}" for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) for alias in node.names]
    assert not [name for name in imported if "pyplot" in name]


def test_figure_png_of_an_empty_figure():
    assert plots.figure_png(Figure(figsize=(2, 2))).startswith(PNG_SIGNATURE)


# --- widgets -------------------------------------------------------------------------------

class FakeHandle:
    def __init__(self):
        self.updates = []

    def update(self, obj):
        self.updates.append(obj)


@pytest.fixture
def fake_display(monkeypatch):
    """Replace helpers.viz.live.display; record (objects, kwargs) and hand out handles."""
    calls, handles = [], []

    def display(*objs, **kwargs):
        calls.append((objs, kwargs))
        if kwargs.get("display_id"):
            handles.append(FakeHandle())
            return handles[-1]
        return None

    monkeypatch.setattr(live, "display", display)
    return calls, handles


def test_sigmoid_explorer_controls_and_defaults():
    explorer = widgets.sigmoid_explorer()
    assert isinstance(explorer, widgets.LiveFigure)
    assert explorer.values() == {"w": 1.0, "b": 0.0, "steepness": 1.0}
    assert widgets.sigmoid_explorer(0.5, -1.0, 2.0).values() == {"w": 0.5, "b": -1.0, "steepness": 2.0}
    assert list(explorer.box.children) == list(explorer.controls.values())


def test_render_is_png_and_follows_the_controls():
    explorer = widgets.sigmoid_explorer()
    first = explorer.render()
    assert_png(first)
    explorer.controls["b"].value = 1.5
    moved = explorer.render()
    assert_png(moved)
    assert moved != first
    assert_shows_same_data(explorer, plots.sigmoid_vs_step(w=1.0, b=1.5, steepness=1.0))


def test_show_then_control_change_updates_the_same_output(fake_display):
    calls, handles = fake_display
    explorer = widgets.sigmoid_explorer()
    explorer.controls["w"].value = 2.0  # before show(): nothing to update, nothing displayed
    assert calls == []
    assert explorer.show() is explorer
    assert len(calls) == 2
    (box,), _ = calls[0]
    assert box is explorer.box
    (image,), kwargs = calls[1]
    assert kwargs == {"display_id": True}
    assert isinstance(image, Image)
    assert_png(image.data)
    handle = handles[0]
    explorer.controls["steepness"].value = 10.0
    assert len(handle.updates) == 1 and len(calls) == 2  # updated in place, not displayed again
    update = handle.updates[0]
    assert isinstance(update, Image)
    assert_png(update.data)
    assert update.data != image.data
    explorer.controls["steepness"].value = 10.0  # same value: no redraw
    assert len(handle.updates) == 1


def test_show_outside_a_notebook_does_not_fail(capsys):
    explorer = widgets.sigmoid_explorer().show()
    explorer.controls["b"].value = -0.5  # no frontend: nothing to update, but no error
    assert capsys.readouterr().out  # IPython's display falls back to printing


def test_live_figure_with_any_draw_function(fake_display):
    _, handles = fake_display
    import ipywidgets

    drawn = []

    def draw(scale):
        drawn.append(scale)
        return plots.loss_curves({"x": [scale, 1.0, 0.5]})

    live = widgets.LiveFigure(draw, {"scale": ipywidgets.FloatSlider(value=2.0, min=0, max=5)}).show()
    live.controls["scale"].value = 4.0
    assert drawn == [2.0, 4.0] and len(handles[0].updates) == 1


# --- notebook.attempt ----------------------------------------------------------------------

def reference(x, *, scale=1.0):
    return ("reference", x * scale)


def test_attempt_returns_the_students_result(capsys):
    def student(x, *, scale=1.0):
        return ("student", x * scale)

    assert notebook.attempt(student, reference, 3, scale=2.0) == ("student", 6.0)
    assert capsys.readouterr().out == ""


def test_attempt_falls_back_on_not_implemented(capsys):
    def student_fit(x, *, scale=1.0):
        raise NotImplementedError

    assert notebook.attempt(student_fit, reference, 3, scale=2.0) == ("reference", 6.0)
    out = capsys.readouterr().out
    assert "student_fit" in out and "reference" in out


def test_attempt_lets_other_errors_through(capsys):
    called = []

    def student(x):
        raise ValueError("shapes do not match")

    with pytest.raises(ValueError, match="shapes do not match"):
        notebook.attempt(student, lambda x: called.append(x), 1)
    assert called == [] and capsys.readouterr().out == ""


# --- require_version -----------------------------------------------------------------------

def test_require_version_accepts_the_installed_version():
    assert helpers.require_version(helpers.__version__) is None


@pytest.mark.parametrize("wanted", ["0.0.1", "9.9.9", helpers.__version__ + ".1"])
def test_require_version_names_both_versions(wanted):
    with pytest.raises(RuntimeError) as error:
        helpers.require_version(wanted)
    message = str(error.value)
    assert f"helpers {wanted}" in message and f"helpers {helpers.__version__}" in message
