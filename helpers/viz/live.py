"""A figure that follows ipywidgets controls: ``LiveFigure``, and ``LiveView``, the fast way to feed it.

A ``LiveFigure`` shows its figure as an ordinary display output (so the notebook keeps a
static picture of it, e.g. in exported HTML or nbgrader feedback) and *replaces that same
output's PNG* whenever a control moves.

A redraw must feel instant, and building a matplotlib figure, laying it out and drawing every
tick label costs 50–150 ms. So a widget's figure is a ``LiveView``: built once, then
``update(**values)`` changes only what the controls move and returns those artists. The
``LiveFigure`` draws everything else once, keeps that picture as a background (matplotlib's
"blitting"), and on each redraw pastes the background and draws only the moving artists over
it. The background is drawn again only when ``background_key(**values)`` changes (say, a menu
that swaps the surface under some paths).
"""
from __future__ import annotations

import io
import math
from typing import Callable, Hashable, Mapping, Sequence

import ipywidgets as w
import numpy as np
from IPython.display import Image, display
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image as PILImage

from helpers.viz.figures import DPI


class LiveView:
    """A figure built once (in ``__init__``, as ``self.figure``) and updated in place.

    Subclasses implement ``update(**values)``: set the artists to the controls' values and
    return the ones that moved: lines, texts, images, or a whole ``Axes`` whose limits or ticks
    change, in drawing order (a legend that a curve may cross comes after the curve). What is
    not returned must not change, unless ``background_key`` says so.
    """

    figure: Figure
    overlays: Sequence[Artist] = ()
    """Unmoving artists drawn over the moving ones, with an opaque box (a legend with
    ``framealpha=1``): their pixels are pasted back from the background after each redraw,
    which costs nothing, where drawing a legend's text costs 5–20 ms."""

    def update(self, **values) -> list[Artist]:
        raise NotImplementedError(f"{type(self).__name__} must define update(**values)")

    def background_key(self, **values) -> Hashable:
        """What the unmoving part of the figure depends on (default: nothing, it never changes)."""
        return None

    def draw(self, **values) -> Figure:
        """The whole figure for ``values``: a static picture (and what tests inspect)."""
        self.update(**values)
        return self.figure


def round_up(value: float, steps: Sequence[float] = (1.0, 2.0, 5.0, 10.0)) -> float:
    """The smallest ``step × 10^k`` at or above ``value`` (> 0), with ``step`` from ``steps`` (ascending,
    from 1 to 10). An axis limit rounded this way stays put while the data moves a little, so a
    view whose ``background_key`` holds it redraws its background rarely."""
    power = 10.0 ** math.floor(math.log10(value))
    step = next(step for step in steps if step * power >= value * (1 - 1e-12))  # 1e-12: 0.3 / 0.1 is 2.9999…
    return round(step * power, 12)  # 0.15, not 0.15000000000000002: tick locators need the exact value


class LiveFigure:
    """Controls + a figure that follows them.

    ``source`` is a ``LiveView`` (fast: only the moving artists are redrawn), or any function
    ``draw(**values) -> Figure`` (simple: a whole new figure per redraw). ``controls`` maps the
    keyword names to ipywidgets value widgets. Call ``show()`` in a notebook cell; ``render()``
    returns the PNG bytes for the current values (what a redraw sends, and what tests and
    ``make bench`` time).
    """

    def __init__(self, source: LiveView | Callable[..., Figure], controls: Mapping[str, w.ValueWidget]):
        if not (isinstance(source, LiveView) or callable(source)):
            raise TypeError(f"LiveFigure needs a LiveView or a function returning a Figure, got {type(source).__name__}")
        self.view = source if isinstance(source, LiveView) else None
        self.draw = source.draw if self.view is not None else source
        self.controls = dict(controls)
        self.box = w.VBox(list(self.controls.values()))
        self._handle = None
        self._blit = _Blitter(self.view.figure) if self.view is not None else None
        self._layout = None  # a draw function's first figure's axes positions, reused by later ones
        for control in self.controls.values():
            control.observe(self._redraw, names="value")

    def values(self) -> dict:
        return {name: control.value for name, control in self.controls.items()}

    def render(self) -> bytes:
        """PNG of the figure for the controls' current values."""
        values = self.values()
        if self.view is not None:
            moving = self.view.update(**values)
            if not isinstance(moving, (list, tuple)) or not all(isinstance(artist, Artist) for artist in moving):
                raise TypeError(f"{type(self.view).__name__}.update must return the artists it moved "
                                f"(a list of matplotlib artists), got {moving!r}")
            return self._blit.render(moving, self.view.background_key(**values), self.view.overlays)
        return self._render_new_figure(self.draw(**values))

    def render_full(self) -> bytes:
        """PNG of a full draw of the current figure, every artist in its place: what ``render()``
        must look like, at the cost ``render()`` avoids (tests and ``make bench`` compare the two)."""
        if self.view is None:
            return self.render()
        self.view.update(**self.values())
        return self._blit.render_full()

    def show(self) -> "LiveFigure":
        display(self.box)
        self._handle = display(Image(self.render()), display_id=True)
        return self

    def _redraw(self, _change) -> None:
        if self._handle is not None:
            self._handle.update(Image(self.render()))

    def _render_new_figure(self, fig: Figure) -> bytes:
        """The first figure is laid out (constrained layout, if it has one); later ones take its
        axes positions, so a redraw costs one draw and the picture keeps still while a slider moves."""
        if self._layout is not None and len(fig.axes) == len(self._layout):
            fig.set_layout_engine(None)
            for ax, position in zip(fig.axes, self._layout):
                ax.set_position(position)
        canvas = FigureCanvasAgg(fig)
        fig.set_dpi(DPI)
        canvas.draw()
        self._layout = [ax.get_position() for ax in fig.axes]
        return _png(canvas)


class _Blitter:
    """Draws a ``LiveView``'s figure: the background once per key, then the moving artists over it."""

    def __init__(self, figure: Figure):
        self.figure = figure
        self.canvas = FigureCanvasAgg(figure)
        figure.set_dpi(DPI)
        self.background = None
        self.key = None
        self.moving: list[Artist] = []

    def render(self, moving: Sequence[Artist], key: Hashable, overlays: Sequence[Artist] = ()) -> bytes:
        moving = list(moving)
        stopped = [artist for artist in self.moving if artist not in moving and artist.figure is not None]
        for artist in stopped:  # moved last time, not now: back into the background
            artist.set_animated(False)
        for artist in moving:
            artist.set_animated(True)  # a normal draw skips animated artists
        if self.background is None or stopped or key != self.key:
            self.canvas.draw()
            if self.background is None:  # the first layout is kept: later draws need no layout pass
                self.figure.set_layout_engine(None)
            self.background, self.key = self.canvas.copy_from_bbox(self.figure.bbox), key
        else:
            self.canvas.restore_region(self.background)
        for artist in moving:
            self.figure.draw_artist(artist)
        for artist in overlays:  # static, opaque, over the moving artists: paste its background pixels back
            self._paste(artist)
        self.moving = moving
        return _png(self.canvas)

    def _paste(self, artist: Artist) -> None:
        if not artist.get_visible():
            return
        box = artist.get_window_extent(self.canvas.get_renderer())
        width, height = self.figure.bbox.width, self.figure.bbox.height
        x0, x1 = max(int(np.floor(box.x0)) - 1, 0), min(int(np.ceil(box.x1)) + 1, int(width))
        # Agg counts rows from the top, the display from the bottom
        y0, y1 = max(int(np.floor(height - box.y1)) - 1, 0), min(int(np.ceil(height - box.y0)) + 1, int(height))
        # xy is an offset in Agg's copy, not a position: (0, 0) puts the pixels back where they were
        self.canvas.restore_region(self.background, bbox=(x0, y0, x1, y1), xy=(0, 0))

    def render_full(self) -> bytes:
        for artist in self.moving:
            artist.set_animated(False)
        self.canvas.draw()
        for artist in self.moving:
            artist.set_animated(True)
        return _png(self.canvas)


def _png(canvas: FigureCanvasAgg) -> bytes:
    """The canvas as PNG. zlib level 1: a redraw's PNG is shown once and replaced, and level 1
    encodes it in about 10 ms where the default (6) takes 15, for a file about 5 % larger."""
    rgb = np.asarray(canvas.buffer_rgba())[..., :3]  # figures are opaque: alpha only adds bytes
    buffer = io.BytesIO()
    PILImage.fromarray(np.ascontiguousarray(rgb)).save(buffer, format="png", compress_level=1)
    return buffer.getvalue()
