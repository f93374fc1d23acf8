"""Running one notebook cell as plain Python and keeping its outputs, within bounds.

Loaded inside the sandboxed student process (as ``capture``, next to ``student.py``): it
imports nothing from the course. A cell runs like IPython would run it: its last
expression, unless the line ends with ``;``, is shown as the cell's result; text written to
``sys.stdout``/``sys.stderr`` and anything passed to ``IPython.display.display`` is kept as
nbformat outputs; matplotlib figures become PNG images. Whatever a cell prints beyond its
budget is dropped and counted. Errors are kept as ``Type: message`` only.
"""
from __future__ import annotations

import ast
import base64
import io
import sys
import traceback


class Outputs:
    """nbformat outputs of one cell, at most ``limit`` characters (images count too).

    The first half of nbgrader's ``LimitOutput`` (the grader's ``limit_output`` is the second):
    the limit holds while the cell runs, so a flood never leaves this process. Ours counts
    characters, where nbgrader counts lines of text and of tracebacks; what is cut is counted
    in a note at the end, where nbgrader writes "... Output truncated ..." in its place."""

    def __init__(self, limit: int):
        self.items: list[dict] = []
        self.left = limit
        self.limit = limit
        self.dropped = 0

    def stream(self, name: str, text: str) -> None:
        kept = text[: max(self.left, 0)]
        self.dropped += len(text) - len(kept)
        self.left -= len(kept)
        if not kept:
            return
        last = self.items[-1] if self.items else None
        if last and last["output_type"] == "stream" and last["name"] == name:
            last["text"] += kept
        else:
            self.items.append({"output_type": "stream", "name": name, "text": kept})

    def rich(self, value, output_type: str = "display_data", count: int | None = None) -> None:
        data = {"text/plain": _short_repr(value)}
        png = _png(value)
        if png is not None:
            data["image/png"] = png
        size = sum(len(v) for v in data.values())
        if size > self.left:
            self.dropped += size
            return
        self.left -= size
        item = {"output_type": output_type, "data": data, "metadata": {}}
        if output_type == "execute_result":
            item["execution_count"] = count
        self.items.append(item)

    def error(self, exc: BaseException, filename: str) -> None:
        line = next((frame.lineno for frame in reversed(traceback.extract_tb(exc.__traceback__))
                     if frame.filename == filename), None)
        self.items.append(error_output(exc, f" (line {line} of this cell)" if line else ""))

    def finish(self) -> list[dict]:
        if self.dropped:
            self.items.append({"output_type": "stream", "name": "stderr", "text":
                               f"\n[{self.dropped} characters of output were cut: the limit is "
                               f"{self.limit // 1024} KB per cell]\n"})
        return self.items


def error_output(exc: BaseException, where: str = "") -> dict:
    ename, evalue = type(exc).__name__, _text(exc)[:2000]
    return {"output_type": "error", "ename": ename, "evalue": evalue + where,
            "traceback": [f"{ename}: {evalue}{where}"]}


class _Stream(io.TextIOBase):
    def __init__(self, outputs: Outputs, name: str):
        self.outputs, self.name = outputs, name

    def writable(self) -> bool:
        return True

    def write(self, text) -> int:
        text = str(text)
        self.outputs.stream(self.name, text)
        return len(text)


class capturing:
    """Context manager: ``sys.stdout``, ``sys.stderr`` and ``display`` feed ``outputs``."""

    current: Outputs | None = None

    def __init__(self, outputs: Outputs):
        self.outputs = outputs

    def __enter__(self):
        self.saved = sys.stdout, sys.stderr, capturing.current
        sys.stdout, sys.stderr = _Stream(self.outputs, "stdout"), _Stream(self.outputs, "stderr")
        capturing.current = self.outputs
        return self.outputs

    def __exit__(self, *exc_info):
        sys.stdout, sys.stderr, capturing.current = self.saved
        return False


def display(*objs, **kwargs):
    """Stand-in for ``IPython.display.display`` in a process without an IPython shell."""
    for obj in objs:
        if capturing.current is not None:
            capturing.current.rich(obj)
    return _Handle() if kwargs.get("display_id") else None


class _Handle:
    def update(self, obj, **kwargs) -> None:
        """Live updates have nowhere to go once the cell has run."""


def install_display() -> None:
    """Route IPython's ``display`` here (before any cell imports it by name)."""
    try:
        import IPython.core.display_functions as functions
        import IPython.display as public
    except ImportError:
        return
    functions.display = public.display = display


def run_cell(source: str, filename: str, namespace: dict, outputs: Outputs, count: int) -> None:
    """Execute ``source`` like a notebook cell: statements, then its last expression shown."""
    try:
        tree = ast.parse(source, filename)
        last = None
        if tree.body and isinstance(tree.body[-1], ast.Expr) and not source.rstrip().endswith(";"):
            last = ast.Expression(tree.body.pop().value)
        exec(compile(tree, filename, "exec"), namespace)
        if last is not None:
            value = eval(compile(last, filename, "eval"), namespace)
            if value is not None:
                outputs.rich(value, "execute_result", count)
    except BaseException as exc:  # a cell's own error is an output, whatever it is
        outputs.error(exc, filename)
    _show_open_figures(outputs)


def _show_open_figures(outputs: Outputs) -> None:
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is None:
        return
    try:
        for number in pyplot.get_fignums():
            outputs.rich(pyplot.figure(number))
        pyplot.close("all")
    except Exception:
        pass


def _png(value) -> str | None:
    """Base64 PNG of a matplotlib figure or of an object that renders itself as PNG."""
    try:
        if type(value).__module__.startswith("matplotlib") and hasattr(value, "savefig"):
            buffer = io.BytesIO()
            value.savefig(buffer, format="png", dpi=72)
            png = buffer.getvalue()
        else:
            render = getattr(type(value), "_repr_png_", None)
            png = render(value) if render else None
            png = png[0] if isinstance(png, tuple) else png  # (data, metadata)
    except Exception:
        return None
    if isinstance(png, bytes):
        return base64.b64encode(png).decode("ascii")
    return png if isinstance(png, str) else None  # IPython's Image already gives base64


def _short_repr(value, limit: int = 10_000) -> str:
    if type(value).__module__.startswith("ipywidgets"):
        return f"[{type(value).__name__}: interactive controls, live only in JupyterLab]"
    return _text(value, repr)[:limit]


def _text(value, convert=str) -> str:
    try:
        return convert(value)
    except Exception as exc:
        return f"<unprintable {type(value).__name__}: {type(exc).__name__}>"
