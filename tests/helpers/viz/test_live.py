"""helpers.viz.live: every course widget's fast redraw (a cached background, only the moving artists
drawn over it) must look like a full draw of the same figure, after each control moves.

A view that forgets to return an artist it changed, or whose background depends on a value its
``background_key`` leaves out, shows a stale picture here: the pixels differ from the full draw.
"""
import io
import sys
from pathlib import Path

import ipywidgets
import numpy as np
import pytest
from matplotlib.figure import Figure
from PIL import Image

from helpers.viz import live, widgets

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))
import widgets_bench  # noqa: E402  (the bench's list of widgets: each built as its notebook builds it)


FOUND, SKIPPED = widgets_bench.discover()
# every widget factory of helpers, built by its defaults or by the bench's example of it
FACTORIES = {name.removesuffix(" (example)").rsplit(".", 1)[-1]: build for name, build in FOUND}


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=int)


def _differing(fast_png: bytes, widget) -> float:
    """Fraction of pixels where ``fast_png`` (a ``render()``) and ``render_full()`` of the current
    values visibly differ."""
    fast, full = _pixels(fast_png), _pixels(widget.render_full())
    assert fast.shape == full.shape
    return float(np.mean(np.abs(fast - full).max(axis=-1) > 40))


class OneLine(live.LiveView):
    """A figure with one line, for the views the tests below write."""

    def __init__(self):
        self.figure = Figure(figsize=(4, 3))
        self.ax = self.figure.subplots()
        self.line, = self.ax.plot([0, 1], [0, 1])


def _another_value(control):
    """A value the control can take, different from its current one and far from it."""
    if isinstance(control, (ipywidgets.Dropdown, ipywidgets.SelectionSlider)):
        values = [option[1] if isinstance(option, tuple) else option for option in control.options]
        return next(v for v in reversed(values) if v != control.value)
    if isinstance(control, ipywidgets.FloatLogSlider):
        low, high = control.base ** control.min, control.base ** control.max
        return low if control.value > np.sqrt(low * high) else high
    low, high = control.min, control.max
    far = low if control.value > (low + high) / 2 else high
    return type(control.value)(control.value + 0.8 * (far - control.value))


def test_every_course_widget_is_found():
    expected = {"sigmoid_explorer", "slowdown_explorer", "temperature_explorer", "digit_explorer",
                "regularisation_explorer", "init_variance_explorer", "optimiser_race", "gradient_norm_explorer",
                "bump_explorer", "bump_challenge", "batch_norm_explorer", "tuning_explorer"}
    public = {name for name in vars(widgets) if name.endswith(("_explorer", "_race", "_challenge"))}
    assert not SKIPPED, SKIPPED
    assert public == expected and set(FACTORIES) == expected, sorted(expected ^ set(FACTORIES))


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_fast_redraw_matches_a_full_draw_after_each_control_moves(name):
    widget = FACTORIES[name]()
    previous = widget.render()
    for control_name, control in widget.controls.items():
        control.value = _another_value(control)
        png = widget.render()
        assert png != previous, f"moving {control_name!r} changed nothing in the picture"
        differing = _differing(png, widget)
        assert differing < 0.0002, (f"after moving {control_name!r}, the fast redraw differs from a full "
                                   f"draw in {differing:.2%} of its pixels")
        previous = png


@pytest.mark.parametrize("value, steps, expected", [
    (0.047, (1, 2, 5, 10), 0.05), (0.3, (1, 2, 5, 10), 0.5), (2.0, (1, 2, 5, 10), 2.0), (8.1, (1, 2, 5, 10), 10.0),
    (0.1425, (1, 1.5, 2, 3, 5, 7.5, 10), 0.15), (37.0, (1, 2, 3, 5, 10), 50.0), (1e-7, (1, 2, 5, 10), 1e-7)])
def test_round_up_gives_the_next_nice_value(value, steps, expected):
    assert live.round_up(value, steps) == expected  # exact: a tick locator gets this value


def test_a_view_that_hides_a_change_is_caught():
    """The check above can fail: a view that changes a digit of its title without returning it."""
    class Forgetful(OneLine):
        def update(self, slope=1.0):
            self.line.set_ydata([0, slope])
            self.ax.set_title(f"slope {slope:.1f}")
            return [self.line]

    widget = live.LiveFigure(Forgetful(), {"slope": ipywidgets.FloatSlider(value=0.5, min=0, max=1)})
    widget.render()
    widget.controls["slope"].value = 0.9
    assert _differing(widget.render(), widget) > 0.0002  # one stale digit is enough


def test_background_key_redraws_the_background():
    class Keyed(OneLine):
        def update(self, colour="white"):
            self.ax.set_facecolor(colour)
            return [self.line]

        def background_key(self, colour="white"):
            return colour

    widget = live.LiveFigure(Keyed(), {"colour": ipywidgets.Dropdown(options=["white", "black"])})
    widget.render()
    widget.controls["colour"].value = "black"
    assert np.array_equal(_pixels(widget.render()), _pixels(widget.render_full()))


def test_bad_sources_and_updates_get_clear_errors():
    with pytest.raises(TypeError, match="LiveView or a function returning a Figure, got int"):
        live.LiveFigure(3, {})

    class Silent(OneLine):
        def update(self, x=0.0):
            pass  # forgot to return the moved artists

    widget = live.LiveFigure(Silent(), {"x": ipywidgets.FloatSlider()})
    with pytest.raises(TypeError, match=r"Silent.update must return the artists it moved.*got None"):
        widget.render()
