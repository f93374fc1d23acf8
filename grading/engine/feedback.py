"""The feedback notebook of one submission: what the student sees after grading.

It is the *released* notebook (no solutions, no hidden tests) with the student's answers
and free cells and their outputs, and below each test cell its result: the points, and for
a failure the message ``Type: message`` (no traceback, which could quote a hidden test).
A first cell sums up the score and the notes about the submission.
"""
from __future__ import annotations

import nbformat

from . import outputs as safe
from .repair import Cell, nbgrader, role
from .results import CellResult

HIDDEN = ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")


def released_source(source: str) -> str:
    """A test cell as nbgrader releases it: without the block between the hidden-test markers."""
    kept, hidden = [], False
    for line in source.splitlines():
        if line.strip() == HIDDEN[0]:
            hidden = True
        elif line.strip() == HIDDEN[1]:
            hidden = False
        elif not hidden:
            kept.append(line)
    return "\n".join(kept)


def build(release: nbformat.NotebookNode, cells: list[Cell], shown: dict[int, str],
          cell_outputs: dict[int, list], results: list[CellResult], notes: list[str]) -> nbformat.NotebookNode:
    """``shown[i]``: the student's own text of code cell ``i``; ``cell_outputs[i]``: its outputs."""
    released = {nbgrader(c)["grade_id"]: c for c in release.cells if role(c)}
    by_id = {result.grade_id: result for result in results}
    notebook = nbformat.v4.new_notebook(metadata=release.metadata)
    notebook.cells.append(nbformat.v4.new_markdown_cell(_summary(results, notes)))
    for index, cell in enumerate(cells):
        course = released.get(cell.grade_id)
        meta = {"nbgrader": dict(nbgrader(course))} if course is not None else {}
        if cell.kind in ("markdown", "answer-markdown"):
            new = nbformat.v4.new_markdown_cell(cell.source, metadata=meta)
        elif cell.kind == "test":
            source = course.source if course is not None else released_source(cell.source)
            new = nbformat.v4.new_code_cell(source, metadata=meta, outputs=_result(by_id[cell.grade_id]))
        else:
            source = course.source if cell.kind == "setup" and course is not None else shown.get(index, cell.source)
            new = nbformat.v4.new_code_cell(source, metadata=meta,
                                            outputs=[nbformat.from_dict(o) for o in cell_outputs.get(index, [])])
        notebook.cells.append(new)
    return notebook


def _result(result: CellResult) -> list:
    points = f"{result.points:g} of {result.max_points:g} point{'s' if result.max_points != 1 else ''}"
    if result.message is None:
        return [nbformat.v4.new_output("stream", name="stdout", text=f"✔ {result.grade_id} passed: {points}\n")]
    ename, _, evalue = result.message.partition(": ")
    return [nbformat.v4.new_output("stream", name="stdout", text=f"✘ {result.grade_id} failed: {points}\n"),
            nbformat.from_dict(safe.error(ename, evalue))]


def _summary(results: list[CellResult], notes: list[str]) -> str:
    score, top = sum(r.points for r in results), sum(r.max_points for r in results)
    lines = [f"# Feedback: {score:g} of {top:g} points", "",
             "Each test cell below shows its result. The grader ran more tests of the same kind "
             "(hidden tests) on other inputs; a failed cell says what went wrong. What your code "
             "printed while the tests called it is not shown (it could reveal the hidden inputs); "
             "what your cells print when they run is."]
    if notes:
        lines += ["", "**Notes about this submission:**", ""] + [f"* {note}" for note in notes]
    return "\n".join(lines)
