"""Widgets: how long one redraw of every live widget takes at its default settings.

A redraw is ``LiveFigure.render()``: the figure function called with the controls' current
values, then the figure turned into the PNG that the notebook shows. Widgets are found,
not listed: every public function of every ``helpers`` module that is annotated to return a
``LiveFigure`` (``def sigmoid_explorer(...) -> LiveFigure``), plus any public function of
``helpers.widgets`` itself that returns one when called with no arguments, plus every example
registered with ``@helpers.widgets.example`` (a function of no arguments that builds a widget
with its notebook's data). A factory whose arguments lack defaults, and that has no example
named after it, cannot be built alone and is listed as skipped.

Anchors: an empty axes of the course's usual size rendered the same way, the floor that
matplotlib sets for any widget; and, for each widget, a *lean* render of the same figure
(PNG without ``bbox_inches="tight"``, which costs a second full draw, and with zlib level 1
instead of 6), timed alternately with ``render()``, to show what ``plots.figure_png`` could
save.
"""
from __future__ import annotations

import importlib
import inspect
import io
import pkgutil
import struct

from common import median, now, percentile, repeated, section, target

NAME = "widgets"
TITLE = "4. Widgets: one redraw (LiveFigure.render) at default settings"
LIMIT_MS = 50.0


def _annotated_live_figure(function) -> bool:
    from helpers.widgets import LiveFigure

    try:
        annotation = inspect.signature(function).return_annotation
    except (TypeError, ValueError):
        return False
    if isinstance(annotation, str):  # `from __future__ import annotations` keeps them as text
        return annotation.strip("'\" ").rsplit(".", 1)[-1] == "LiveFigure"
    return inspect.isclass(annotation) and issubclass(annotation, LiveFigure)


def _needs_arguments(function) -> list[str]:
    return [p.name for p in inspect.signature(function).parameters.values()
            if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]


def discover() -> tuple[list[tuple[str, object]], list[dict]]:
    """``([(qualified name, factory)], [skipped rows])`` over every helpers module."""
    import helpers
    from helpers.widgets import LiveFigure

    factories, skipped = [], []
    for info in sorted(pkgutil.iter_modules(helpers.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module_name = f"helpers.{info.name}"
        try:
            module = importlib.import_module(module_name)
        except Exception as error:  # someone's module in progress must not stop the bench
            skipped.append({"widget": module_name, "note": f"import failed: {type(error).__name__}: {error}"[:120]})
            continue
        for name, function in sorted(vars(module).items()):
            if name.startswith("_") or not inspect.isfunction(function) or function.__module__ != module_name:
                continue
            qualified = f"{module_name}.{name}"
            if _annotated_live_figure(function):
                missing = _needs_arguments(function)
                if missing:
                    skipped.append({"widget": qualified, "note": f"skipped: needs {', '.join(missing)}"})
                else:
                    factories.append((qualified, function))
            elif module_name == "helpers.widgets" and not _needs_arguments(function):
                try:
                    made = function()
                except Exception:
                    continue
                if isinstance(made, LiveFigure):
                    factories.append((qualified, function))
    examples = getattr(importlib.import_module("helpers.widgets"), "EXAMPLES", {})
    for qualified, build in sorted(examples.items()):
        factories.append((f"example {qualified}", build))
    skipped = [row for row in skipped if not any(row["widget"].rsplit(".", 1)[-1] in name for name in examples)]
    for row in skipped:
        if row["note"].startswith("skipped"):
            row["note"] += " (register an example: @helpers.widgets.example)"
    return factories, skipped


def _png_size(png: bytes) -> str:
    width, height = struct.unpack(">II", png[16:24])  # the IHDR chunk of any PNG
    return f"{width}×{height}"


def _empty_axes():
    from matplotlib.figure import Figure

    figure = Figure(figsize=(5.0, 3.4))
    figure.add_subplot()
    return figure


def lean_png(figure) -> bytes:
    from helpers.plots import DPI

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, pil_kwargs={"compress_level": 1})
    return buffer.getvalue()


def alternate(first, second, calls: int, warmup: bool = True) -> tuple[list[float], list[float]]:
    """Seconds of ``calls`` single calls of each, alternating (after one warm-up call each)."""
    if warmup:
        first(), second()
    times = ([], [])
    for _ in range(calls):
        for function, record in ((first, times[0]), (second, times[1])):
            start = now()
            function()
            record.append(now() - start)
    return times


def run(quick: bool = False) -> dict:
    from helpers.plots import figure_png

    calls = 1 if quick else 15
    factories, skipped = discover()
    rows, targets = [], []
    for qualified, factory in factories:
        try:
            widget = factory()
            png = widget.render()
            times, lean = alternate(widget.render, lambda: lean_png(widget.draw(**widget.values())), calls,
                                    warmup=not quick)  # the first render() above warmed it up already
        except Exception as error:
            rows.append({"widget": qualified, "note": f"failed: {type(error).__name__}: {error}"[:120]})
            targets.append(target(f"widget {qualified} redraw (median ms)", None, f"≤ {LIMIT_MS:.0f}", False))
            continue
        med = median(times) * 1000
        rows.append({"widget": qualified, "controls": len(widget.controls), "PNG px": _png_size(png),
                     "median ms": med, "p95 ms": percentile(times, 95) * 1000,
                     f"≤ {LIMIT_MS:.0f} ms": med <= LIMIT_MS, "lean PNG ms": median(lean) * 1000,
                     "render / lean": median([t / l for t, l in zip(times, lean)])})
        targets.append(target(f"widget {qualified} redraw (median ms)", med, f"≤ {LIMIT_MS:.0f}",
                              med <= LIMIT_MS))
    floor = repeated(lambda: figure_png(_empty_axes()), calls=calls, warmup=0 if quick else 1)
    rows.append({"widget": "anchor: empty 5×3.4 in axes → figure_png", "controls": 0,
                 "PNG px": _png_size(figure_png(_empty_axes())), "median ms": median(floor) * 1000,
                 "p95 ms": percentile(floor, 95) * 1000})
    rows.extend(skipped)
    notes = [f"{calls} timed call(s) per widget after one warm-up call; median and 95th percentile; "
             "'lean PNG' calls alternate with render() calls, and 'render / lean' is the median of "
             "the ratios of neighbouring calls."]
    columns = ["widget", "controls", "PNG px", "median ms", "p95 ms", f"≤ {LIMIT_MS:.0f} ms",
               "lean PNG ms", "render / lean"]
    if any("note" in row for row in rows):
        columns.append("note")
    return section(NAME, TITLE, columns, rows, targets=targets, notes=notes)
