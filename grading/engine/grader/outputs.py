"""Cell outputs that came from the student's process, made safe to put in a feedback notebook.

The student's process is untrusted, so its outputs are ``rebuilt`` field by field: only text
streams, plain-text results, PNG images and ``Type: message`` errors survive. No HTML, no
JavaScript, no tracebacks. Then ``limit_output`` keeps them within a size budget per cell.
"""
from __future__ import annotations

import re

_BASE64 = re.compile(r"^[A-Za-z0-9+/=\s]*$")


def error(ename: str, evalue: str) -> dict:
    """An nbformat error output whose traceback is the single line ``Type: message``."""
    ename, evalue = str(ename)[:100], str(evalue)[:2000]
    return {"output_type": "error", "ename": ename, "evalue": evalue, "traceback": [f"{ename}: {evalue}"]}


def not_run() -> dict:
    """What the feedback shows under a cell the grader skipped."""
    return {"output_type": "display_data", "metadata": {}, "data": {"text/plain": (
        "[Not run by the grader: no test cell depends on this cell, so it was skipped to save time. "
        "Run it in your own notebook to see its output.]")}}


def rebuilt(items) -> list[dict]:
    """The well-formed outputs of ``items``, each rebuilt field by field (no nbgrader counterpart:
    nbgrader trusts the outputs of its own kernel)."""
    if not isinstance(items, list):
        return []
    kept = [_rebuilt_one(item) for item in items if isinstance(item, dict)]
    return [item for item in kept if item is not None]


def limit_output(items: list[dict], limit: int) -> list[dict]:
    """Each of ``items`` that still fits, in order, at most about ``limit`` characters in all.

    nbgrader's ``LimitOutput``, on the grader's side. Ours counts characters (images too) and
    keeps or drops a whole output, where nbgrader counts lines of text and of tracebacks and
    cuts the text with "... Output truncated ..."; ours adds no marker, since the student's
    process notes what it cut from a cell, and ``link`` notes a cut in the submission's notes."""
    kept: list[dict] = []
    left = limit + 1000  # room for the note the student's process adds when it cuts output
    for item in items:
        size = len(str(item))
        if size > left:
            continue
        left -= size
        kept.append(item)
    return kept


def _rebuilt_one(item: dict) -> dict | None:
    kind = item.get("output_type")
    if kind == "stream" and item.get("name") in ("stdout", "stderr") and isinstance(item.get("text"), str):
        return {"output_type": "stream", "name": item["name"], "text": item["text"]}
    if kind == "error":
        return error(item.get("ename", "Error"), item.get("evalue", ""))
    if kind in ("display_data", "execute_result") and isinstance(item.get("data"), dict):
        data = {}
        if isinstance(item["data"].get("text/plain"), str):
            data["text/plain"] = item["data"]["text/plain"]
        png = item["data"].get("image/png")
        if isinstance(png, str) and _BASE64.match(png):
            data["image/png"] = png
        if not data:
            return None
        output = {"output_type": kind, "data": data, "metadata": {}}
        if kind == "execute_result":
            count = item.get("execution_count")
            output["execution_count"] = count if isinstance(count, int) and not isinstance(count, bool) else None
        return output
    return None
