"""helpers.viz.figures (the shared figure utilities) and helpers.viz.widgets (controls wired to live
views: rendering, updating the notebook's output in place, menus that follow the registries).

Only ``matplotlib.figure.Figure`` is used (no pyplot), so no GUI backend is involved:
saving a Figure to PNG always goes through Agg.
"""
from __future__ import annotations

import ast
import inspect
import io
import struct

import ipywidgets
import numpy as np
import pytest
from IPython.display import Image
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, NullLocator
from PIL import Image as PILImage

from helpers import activations
from helpers.viz import figures, live, why_sigmoid as why_sigmoid_figures, widgets
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


# --- figures: the shared utilities ----------------------------------------------------------

@pytest.mark.parametrize("curves, options", [
    ({"train": [3.0, 2.0, 1.5], "validation": np.array([3.1, 2.5, 2.4])}, {}),
    ({"sgd": [1.0, 0.1, 0.01]}, {"xlabel": "epoch", "title": "t", "log_y": True}),
])
def test_loss_curves_returns_a_figure_that_draws(curves, options):
    fig = figures.loss_curves(curves, **options)
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    assert_png(figures.figure_png(fig))


def test_loss_curves_draws_a_group_of_runs_in_one_colour():
    curves = {"random": [[1.0, 0.5, 0.1], [2.0, 0.4]], "bumps": [[0.3, 0.01]], "single": [0.2, 0.1]}
    ax = figures.loss_curves(curves, log_y=True).axes[0]
    lines = ax.get_lines()
    assert [list(line.get_ydata()) for line in lines] == [[1.0, 0.5, 0.1], [2.0, 0.4], [0.3, 0.01], [0.2, 0.1]]
    assert [line.get_color() for line in lines] == ["C0", "C0", "C1", "C2"]
    assert [text.get_text() for text in ax.get_legend().get_texts()] == ["random", "bumps", "single"]


def test_loss_curves_one_line_per_curve():
    curves = {"a": [4.0, 2.0, 1.0, 0.5], "b": [1.0, 1.0]}
    (ax,) = figures.loss_curves(curves, log_y=True, ylabel="cost").axes
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["a", "b"]
    np.testing.assert_array_equal(lines[0].get_xdata(), [0, 1, 2, 3])
    np.testing.assert_array_equal(lines[0].get_ydata(), curves["a"])
    assert ax.get_yscale() == "log" and ax.get_ylabel() == "cost"


def test_figure_png_of_an_empty_figure():
    assert figures.figure_png(Figure(figsize=(2, 2))).startswith(PNG_SIGNATURE)


def test_panels_is_a_row_in_constrained_layout():
    fig, axes = figures.panels(3, width=2.0, height=1.5)
    assert len(axes) == 3 and list(fig.axes) == list(axes)
    np.testing.assert_allclose(fig.get_size_inches(), [6.0, 1.5])
    assert fig.get_dpi() == figures.DPI and fig.get_layout_engine() is not None


def test_fixed_panels_is_a_grid_with_a_fixed_layout():
    fig, axes = figures.fixed_panels(2, 3, 2.0, 1.5, left=0.2)
    assert axes.shape == (2, 3)
    np.testing.assert_allclose(fig.get_size_inches(), [6.0, 3.0])
    assert fig.get_layout_engine() is None  # a redraw needs no layout pass
    assert fig.subplotpars.left == 0.2 and fig.subplotpars.right == 0.98  # an override, and a default


def test_plain_log_y_labels_decades_as_plain_text():
    ax = Figure().subplots()
    ax.plot([1, 2, 3], [1e-6, 1e-3, 1.0])
    figures.plain_log_y(ax)
    assert ax.get_yscale() == "log"
    assert isinstance(ax.yaxis.get_minor_locator(), NullLocator)
    assert ax.yaxis.get_major_formatter()(1e-6, 0) == "1e-06"  # no mathtext: quick to draw


def test_few_ticks_leaves_a_log_axis_alone():
    ax = Figure().subplots()
    ax.set_yscale("log")
    figures.few_ticks(ax, 4)
    assert isinstance(ax.xaxis.get_major_locator(), MaxNLocator)
    assert not isinstance(ax.yaxis.get_major_locator(), MaxNLocator)
    ax.set_yscale("linear")
    figures.few_ticks(ax, 4)
    assert len(ax.yaxis.get_major_locator().tick_values(0.0, 1.0)) <= 6  # at most 4 intervals


@pytest.mark.parametrize("module", [figures, live, widgets])
def test_no_pyplot_import(module):
    # figures made in a loop or by a widget must not pile up in pyplot's global registry
    tree = ast.parse(open(module.__file__, encoding="utf-8").read())
    imported = [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]
    imported += [f"{node.module}.{alias.name}" for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) for alias in node.names]
    assert not [name for name in imported if "pyplot" in name]


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
    assert isinstance(explorer, live.LiveFigure)
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
    assert_shows_same_data(explorer, why_sigmoid_figures.SigmoidView().draw(w=1.0, b=1.5, steepness=1.0))


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
    drawn = []

    def draw(scale):
        drawn.append(scale)
        return figures.loss_curves({"x": [scale, 1.0, 0.5]})

    widget = live.LiveFigure(draw, {"scale": ipywidgets.FloatSlider(value=2.0, min=0, max=5)}).show()
    widget.controls["scale"].value = 4.0
    assert drawn == [2.0, 4.0] and len(handles[0].updates) == 1


# --- menus follow the registries: an activation added by one record ---------------------------

def _softplus(z):
    return np.logaddexp(0.0, z)


SOFTPLUS = activations.Activation("softplus", _softplus, activations.ACTIVATIONS["sigmoid"].function,
                                  None, (0.0, np.inf), 1.0, "C9")  # f' = σ(z) is no function of f's output


@pytest.fixture
def softplus(monkeypatch):
    monkeypatch.setitem(activations.ACTIVATIONS, "softplus", SOFTPLUS)


def _digits(n: int = 60):
    rng = np.random.default_rng(0)
    return rng.random((n, 64)), rng.integers(0, 10, n)


# the explorers that take an activation, each built small
EXPLORERS = {
    "gradient_norm_explorer": lambda: widgets.gradient_norm_explorer(*_digits(), depth=3),
    "init_variance_explorer": lambda: widgets.init_variance_explorer(depth=4, width=25),
}


def test_the_explorers_that_take_an_activation_are_all_here():
    takers = {name for name, factory in vars(widgets).items() if inspect.isfunction(factory)
              and factory.__module__ == widgets.__name__ and "activation" in inspect.signature(factory).parameters}
    assert takers == set(EXPLORERS)


@pytest.mark.parametrize("name", sorted(EXPLORERS))
def test_every_activation_menu_offers_a_new_activation(softplus, name):
    menu = EXPLORERS[name]().controls["activation"]
    assert list(menu.options) == activations.hidden_activations()
    assert "softplus" in menu.options and "identity" not in menu.options


@pytest.mark.parametrize("name", sorted(EXPLORERS))
def test_the_explorers_draw_with_a_new_activation(softplus, name):
    widget = EXPLORERS[name]()
    before = widget.render()
    widget.controls["activation"].value = "softplus"
    png = widget.render()
    assert_png(png)
    assert png != before
    fast, full = (np.asarray(PILImage.open(io.BytesIO(data)).convert("RGB"), dtype=int)
                  for data in (png, widget.render_full()))
    assert np.mean(np.abs(fast - full).max(axis=-1) > 40) < 0.0002  # the redraw is not stale


def test_gradient_norms_of_a_new_activation_are_drawn_in_its_colour(softplus):
    widget = EXPLORERS["gradient_norm_explorer"]()
    widget.controls["activation"].value = "softplus"
    widget.render()
    (line,) = widget.view.ax.get_lines()
    assert line.get_color() == SOFTPLUS.colour
    assert widget.view.ax.get_title().startswith("softplus")
    assert np.all(np.isfinite(line.get_ydata())) and np.all(line.get_ydata() > 0)
