"""Widgets: how long one redraw of every live widget takes at its default size.

A redraw is ``LiveFigure.render()``, what a control's callback runs: the view updates its
artists for the controls' values, and the figure becomes the PNG that the notebook shows.
The timed calls *drag* the widget's first slider across its range, one step per call, as a
student does (a view that caches results for repeated values gets no free ride), and every
redraw is timed whole: the maths, the drawing and the PNG.

Widgets are found, not listed: every public function of every ``helpers`` module that is
annotated to return a ``LiveFigure`` (``def sigmoid_explorer(...) -> LiveFigure``). One whose
arguments all have defaults is built as they are; one that needs its notebook's data is built
by its example in ``EXAMPLES`` below (keyed by the factory's name: small, seeded data, built
as the notebook builds it). A factory that needs data and has no example is listed as skipped.

Anchors, in the same run: for each widget, ``render_full()`` at the same values, timed
alternately with ``render()``: a full draw of the same figure (every artist, ticks and text),
which is what a redraw would cost without the cached background; and an empty axes of the
course's usual size drawn and encoded the same way, the floor matplotlib sets for a figure
drawn whole.
"""
from __future__ import annotations

import importlib
import inspect
import pkgutil
import struct
from typing import Callable

import ipywidgets
import numpy as np
from matplotlib.figure import Figure

from common import median, now, percentile, repeated, section, target

import helpers
from helpers.layers import softmax
from helpers.datasets import Split, load_digits, make_moons
from helpers.experiments import batch_norm as batch_norm_experiment, regularisation as regularisation_experiment
from helpers.experiments import tuning as tuning_experiment
from helpers.viz import widgets
from helpers.viz.live import LiveFigure

NAME = "widgets"
TITLE = "4. Widgets: one redraw (LiveFigure.render) at default settings"
LIMIT_MS = 50.0


# --- examples: a widget that needs data, built as its notebook builds it -----------------------

def _digit_explorer() -> LiveFigure:
    """Notebook 03's digit explorer on 30 digits, with probabilities from a softmax of seeded random
    logits that favour the true class, so some guesses are right and some wrong (no training:
    the bench times the redraw)."""
    X, labels = load_digits()
    rng = np.random.default_rng(3)
    rows = rng.choice(len(X), 30, replace=False)
    logits = 2 * rng.normal(size=(30, 10)) + 3 * np.eye(10)[labels[rows]]
    return widgets.digit_explorer(X[rows], labels[rows], softmax(logits))


def _regularisation_explorer() -> LiveFigure:
    """Notebook 04's explorer over its 5 × 3 grid of moons networks (trained for fewer epochs than in
    the notebook: the bench times the redraw, not the training)."""
    X, y = make_moons(860, 0.3, np.random.default_rng(0))
    split = Split(X[:60], y[:60], X[60:460], y[60:460], X[460:], y[460:])
    lams, drops = [0.0, 0.3, 1.0, 3.0, 10.0], [0.0, 0.25, 0.5]
    params, curves = regularisation_experiment.fit_grid(split.X_train, split.y_train, split.X_val, split.y_val, lams, drops,
                                             layer_sizes=[2, 32, 32, 2], epochs=100, rng=np.random.default_rng(2))
    return widgets.regularisation_explorer(params, curves, lams, drops, split, lam=1.0)


def _gradient_norm_explorer() -> LiveFigure:
    """Notebook 07's gradient-norm explorer on the 200 digits it uses."""
    X, labels = load_digits()
    batch = np.random.default_rng(1).choice(len(X), 1000, replace=False)[:200]
    return widgets.gradient_norm_explorer(X[batch], labels[batch])


def _batch_norm_explorer() -> LiveFigure:
    """Notebook 09's explorer over a small sweep (two depths, two learning rates, one epoch on 100
    digits: the bench times the redraw, not the training)."""
    X, labels = load_digits()
    runs = batch_norm_experiment.sweep(X[:100], labels[:100], depths=(2, 4), rates=(1.0, 10.0), epochs=1)
    return widgets.batch_norm_explorer(runs, depth=2, learning_rate=1.0)


def _tuning_explorer() -> LiveFigure:
    """Notebook 10's explorer over a small landscape (5 × 3 rates and L2 strengths, one epoch on 100
    digits: the bench times the redraw, not the training)."""
    X, labels = load_digits()
    data = Split(X[:100], labels[:100], X[100:300], labels[100:300], X[300:400], labels[300:400])
    grid = tuning_experiment.grid
    landscape = tuning_experiment.measure_landscape(data, grid(0.01, 1.0, 5), grid(0.01, 1.0, 3), epochs=1)
    return widgets.tuning_explorer(landscape)


EXAMPLES: dict[str, Callable[[], LiveFigure]] = {
    "digit_explorer": _digit_explorer,
    "regularisation_explorer": _regularisation_explorer,
    "gradient_norm_explorer": _gradient_norm_explorer,
    "batch_norm_explorer": _batch_norm_explorer,
    "tuning_explorer": _tuning_explorer,
}


# --- discovery ---------------------------------------------------------------------------------

def _annotated_live_figure(function) -> bool:
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


def discover() -> tuple[list[tuple[str, Callable[[], LiveFigure]]], list[dict]]:
    """``([(name, build)], [skipped rows])`` over every helpers module: ``build()`` makes the widget,
    by its factory's defaults or by its example (then the name ends in "(example)")."""
    factories, skipped = [], []
    for info in sorted(pkgutil.walk_packages(helpers.__path__, "helpers."), key=lambda m: m.name):
        if info.ispkg or any(part.startswith("_") for part in info.name.split(".")):
            continue
        try:
            module = importlib.import_module(info.name)
        except Exception as error:  # someone's module in progress must not stop the bench
            skipped.append({"widget": info.name, "note": f"import failed: {type(error).__name__}: {error}"[:120]})
            continue
        for name, function in sorted(vars(module).items()):
            if name.startswith("_") or not inspect.isfunction(function) or function.__module__ != info.name \
                    or not _annotated_live_figure(function):
                continue
            qualified, missing = f"{info.name}.{name}", _needs_arguments(function)
            if not missing:
                factories.append((qualified, function))
            elif name in EXAMPLES:
                factories.append((f"{qualified} (example)", EXAMPLES[name]))
            else:
                skipped.append({"widget": qualified, "note": f"skipped: needs {', '.join(missing)} "
                                                            "(add an example to bench/widgets_bench.EXAMPLES)"})
    return factories, skipped


def _png_size(png: bytes) -> str:
    width, height = struct.unpack(">II", png[16:24])  # the IHDR chunk of any PNG
    return f"{width}×{height}"


def _empty_axes_png() -> bytes:
    figure = Figure(figsize=(5.0, 3.4))
    figure.add_subplot()
    return LiveFigure(lambda: figure, {}).render()


def drag(widget, calls: int):
    """``calls`` values for the widget's first slider, across its range and back, or None."""
    for name, control in widget.controls.items():
        if isinstance(control, ipywidgets.SelectionSlider):
            options = [o[1] if isinstance(o, tuple) else o for o in control.options]
            path = [options[i % len(options)] for i in range(calls)]
        elif isinstance(control, ipywidgets.FloatLogSlider):
            path = list(control.base ** np.linspace(control.min, control.max, calls))
        elif isinstance(control, (ipywidgets.FloatSlider, ipywidgets.IntSlider)):
            path = [type(control.value)(v) for v in np.linspace(control.min, control.max, calls)]
        else:
            continue
        return name, [control.value, *path[1:]] if calls > 1 else [control.value]
    return None


def alternate(widget, calls: int) -> tuple[list[float], list[float], str]:
    """Seconds of ``render()`` and of ``render_full()`` at each of ``calls`` settings."""
    dragged = drag(widget, calls)
    name, path = dragged if dragged else ("(no slider)", [None] * calls)
    fast, full = [], []
    for value in path:
        if value is not None:
            widget.controls[name].value = value
        for function, record in ((widget.render, fast), (widget.render_full, full)):
            start = now()
            function()
            record.append(now() - start)
    return fast, full, name


def run(quick: bool = False) -> dict:
    calls = 1 if quick else 25
    factories, skipped = discover()
    rows, targets = [], []
    for qualified, factory in factories:
        try:
            widget = factory()
            png = widget.render()
            if not quick:
                widget.render(), widget.render_full()  # warm-up: first-call imports and caches
            times, full, dragged = alternate(widget, calls)
        except Exception as error:
            rows.append({"widget": qualified, "note": f"failed: {type(error).__name__}: {error}"[:120]})
            targets.append(target(f"widget {qualified} redraw (median ms)", None, f"≤ {LIMIT_MS:.0f}", False))
            continue
        med = median(times) * 1000
        rows.append({"widget": qualified, "controls": len(widget.controls), "dragged": dragged,
                     "PNG px": _png_size(png), "median ms": med, "p95 ms": percentile(times, 95) * 1000,
                     f"≤ {LIMIT_MS:.0f} ms": med <= LIMIT_MS, "full draw ms": median(full) * 1000,
                     "full / redraw": median([f / t for t, f in zip(times, full)])})
        targets.append(target(f"widget {qualified} redraw (median ms)", med, f"≤ {LIMIT_MS:.0f}",
                              med <= LIMIT_MS))
    floor = repeated(_empty_axes_png, calls=calls, warmup=0 if quick else 1)
    rows.append({"widget": "anchor: empty 5×3.4 in axes, drawn whole", "controls": 0,
                 "PNG px": _png_size(_empty_axes_png()), "median ms": median(floor) * 1000,
                 "p95 ms": percentile(floor, 95) * 1000})
    rows.extend(skipped)
    notes = [f"{calls} timed redraw(s) per widget after one warm-up, dragging the first slider across its "
             "range; median and 95th percentile. 'full draw' calls (render_full: the same figure drawn "
             "whole) alternate with the redraws, and 'full / redraw' is the median of the ratios of "
             "neighbouring calls."]
    columns = ["widget", "controls", "dragged", "PNG px", "median ms", "p95 ms", f"≤ {LIMIT_MS:.0f} ms",
               "full draw ms", "full / redraw"]
    if any("note" in row for row in rows):
        columns.append("note")
    return section(NAME, TITLE, columns, rows, targets=targets, notes=notes)
