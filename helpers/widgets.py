"""Live explorers: ipywidgets controls wired to a function in ``helpers.plots``.

A ``LiveFigure`` shows its figure as an ordinary display output (so the notebook keeps a
static picture of it, e.g. in exported HTML or nbgrader feedback) and *updates that same
output* whenever a control moves. The maths lives in ``helpers``; this module only wires.
"""
from __future__ import annotations

from typing import Callable, Mapping

import ipywidgets as w
from IPython.display import Image, display
from matplotlib.figure import Figure

from . import plots


class LiveFigure:
    """Controls + a figure redrawn by ``draw(**values)`` whenever a control changes.

    ``controls`` maps ``draw``'s keyword names to ipywidgets value widgets.
    Call ``show()`` in a notebook cell; ``render()`` returns the PNG bytes for the
    current values (what a redraw sends, and what tests and benchmarks time).
    """

    def __init__(self, draw: Callable[..., Figure], controls: Mapping[str, w.ValueWidget]):
        self.draw = draw
        self.controls = dict(controls)
        self.box = w.VBox(list(self.controls.values()))
        self._handle = None
        for control in self.controls.values():
            control.observe(self._redraw, names="value")

    def values(self) -> dict:
        return {name: control.value for name, control in self.controls.items()}

    def render(self) -> bytes:
        return plots.figure_png(self.draw(**self.values()))

    def show(self) -> "LiveFigure":
        display(self.box)
        self._handle = display(Image(self.render()), display_id=True)
        return self

    def _redraw(self, _change) -> None:
        if self._handle is not None:
            self._handle.update(Image(self.render()))


def _slider(description: str, value: float, low: float, high: float, step: float, **kwargs) -> w.FloatSlider:
    return w.FloatSlider(value=value, min=low, max=high, step=step, description=description,
                         continuous_update=True, style={"description_width": "initial"},
                         layout=w.Layout(width="420px"), **kwargs)


def sigmoid_explorer(w_value: float = 1.0, b_value: float = 0.0, steepness: float = 1.0) -> LiveFigure:
    """Sliders for w, b and the steepness c of σ(c(wx + b)), beside the perceptron's step."""
    return LiveFigure(plots.sigmoid_vs_step, {
        "w": _slider("weight w", w_value, -3.0, 3.0, 0.05),
        "b": _slider("bias b", b_value, -3.0, 3.0, 0.05),
        "steepness": _slider("steepness c", steepness, 0.5, 50.0, 0.5),
    })
