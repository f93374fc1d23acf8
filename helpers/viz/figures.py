"""Figures the notebooks show. Each function builds and returns a matplotlib ``Figure``.

No pyplot: figures are not registered globally, so a function can be called in a loop
or from a widget without leaking figures or drawing twice. In Jupyter a returned figure
displays as a PNG (the formatter is registered on import when IPython is running).
"""
from __future__ import annotations

import io
from typing import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullLocator

DPI = 90


def figure_png(fig: Figure, crop=None) -> bytes:
    """Render ``fig`` to PNG bytes (what the notebook shows and the widgets update).

    The picture is cropped to ``crop`` (a Bbox in inches) if given, else to the figure's
    tight bounding box, which costs a second full draw.
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, bbox_inches=crop or "tight")
    return buffer.getvalue()


def _register_png_formatter() -> None:
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None:
        shell.display_formatter.formatters["image/png"].for_type(Figure, figure_png)


_register_png_formatter()


def panels(n_columns: int = 1, width: float = 5.0, height: float = 3.4):
    """``(figure, axes)``: ``n_columns`` axes in a row, each ``width`` × ``height`` inches, laid out
    by constrained layout (right for a figure drawn once)."""
    fig = Figure(figsize=(width * n_columns, height), dpi=DPI, layout="constrained")
    axes = fig.subplots(1, n_columns, squeeze=False)[0]
    return fig, axes


def fixed_panels(n_rows: int, n_columns: int, width: float, height: float, **spacing):
    """``(figure, axes)``: a grid of axes (always 2-D) in a fixed layout. Constrained layout would
    cost a live view's redraws a layout pass each; ``figure_png``'s tight bounding box still keeps
    every label in the picture. ``spacing``: ``subplots_adjust`` overrides."""
    fig = Figure(figsize=(width * n_columns, height * n_rows))
    fig.subplots_adjust(**{"left": 0.07, "right": 0.98, "bottom": 0.14, "top": 0.88, "wspace": 0.3,
                           "hspace": 0.5, **spacing})
    return fig, fig.subplots(n_rows, n_columns, squeeze=False)


def plain_log_y(ax) -> None:
    """Log-scaled y-axis with a few tick labels like 1e-06 and no minor ticks. Matplotlib's
    default 10^k labels go through its TeX-like parser, and laying out dozens of minor ticks
    takes most of a widget's redraw time."""
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(numticks=7))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:.0e}"))
    ax.yaxis.set_minor_locator(NullLocator())


def few_ticks(ax, n: int = 5) -> None:
    """At most ``n`` ticks per linear axis: fewer labels to lay out on every redraw."""
    ax.xaxis.set_major_locator(MaxNLocator(n))
    if ax.get_yscale() == "linear":
        ax.yaxis.set_major_locator(MaxNLocator(n))


def loss_curves(curves: Mapping[str, Sequence], *, xlabel: str = "step",
                ylabel: str = "loss", title: str = "", log_y: bool = False) -> Figure:
    """One line per entry of ``curves`` (label → values), e.g. training loss per step. An entry
    may instead hold several runs (label → a list of value lists): they share one colour and
    one legend entry."""
    fig, (ax,) = panels(1, width=6.0)
    for index, (label, values) in enumerate(curves.items()):
        runs = values if len(values) and np.ndim(values[0]) > 0 else [values]
        for number, run in enumerate(runs):
            ax.plot(np.arange(len(run)), run, lw=2 if len(runs) == 1 else 1.2, color=f"C{index}",
                    label=None if number else label)
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    if log_y:
        ax.set_yscale("log")
    ax.legend()
    return fig

