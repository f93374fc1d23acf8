"""The feedback notebook of one submission: what the student sees after grading.

It is the *released* notebook (no solutions, no hidden tests) with the student's answers
and free cells and their outputs, and below each test cell its result: the points, and for
a failure the message ``Type: message`` (no traceback, which could quote a hidden test).
Below each written answer (a manually graded markdown cell) a note says that it is graded
by hand. A first cell sums up the score and the notes about the submission.
"""
from __future__ import annotations

import nbformat

from ..grader import outputs as safe
from .repair import Cell, differs, nbgrader, role
from .results import CellResult

HIDDEN = ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")


def clear_hidden_tests(source: str) -> str:
    """A test cell as nbgrader releases it: without the block between the hidden-test markers.

    nbgrader's ``ClearHiddenTests`` (which it runs at release, not at autograde): here for a
    test cell the release lacks. Ours takes a marker only as a whole line, and does not refuse
    a cell whose markers are nested or unclosed (nbgrader raises); the course's own cells come
    from ``solutions/``, where nbgrader's release has already checked them."""
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
    """The feedback notebook. ``shown[i]``: the student's own text of code cell ``i``;
    ``cell_outputs[i]``: its outputs.

    Where nbgrader's feedback is the autograded notebook, hidden tests and all, with the
    scores that its ``GetGrades`` reads back from the gradebook, ours is built from the release
    and the results, with each test cell's points and message below it."""
    released = {nbgrader(c)["grade_id"]: c for c in release.cells if role(c)}
    by_id = {result.grade_id: result for result in results}
    notebook = nbformat.v4.new_notebook(metadata=release.metadata)
    written = sum(float(nbgrader(c).get("points", 0)) for c in release.cells if _is_written(c))
    notebook.cells.append(nbformat.v4.new_markdown_cell(_summary(results, notes, written)))
    for index, cell in enumerate(cells):
        course = released.get(cell.grade_id)
        meta = {"nbgrader": dict(nbgrader(course))} if course is not None else {}
        if cell.kind in ("markdown", "answer-markdown"):
            new = nbformat.v4.new_markdown_cell(cell.source, metadata=meta)
        elif cell.kind == "test":
            source = course.source if course is not None else clear_hidden_tests(cell.source)
            new = nbformat.v4.new_code_cell(source, metadata=meta, outputs=_result(by_id[cell.grade_id]))
        else:
            source = course.source if cell.kind == "setup" and course is not None else shown.get(index, cell.source)
            new = nbformat.v4.new_code_cell(source, metadata=meta,
                                            outputs=[nbformat.from_dict(o) for o in cell_outputs.get(index, [])])
        notebook.cells.append(new)
        if course is not None and _is_written(course):
            notebook.cells.append(nbformat.v4.new_markdown_cell(_written_note(course, cell.source)))
    return notebook


def _is_written(cell) -> bool:
    """A written answer: a markdown answer cell with points, which nbgrader leaves to a human."""
    return cell.cell_type == "markdown" and role(cell) == "answer" and bool(nbgrader(cell).get("grade"))


def _written_note(released, answer: str) -> str:
    meta = nbgrader(released)
    points = _points(float(meta.get("points", 0)))
    if not differs(answer, released.source):
        return f"✎ `{meta['grade_id']}` was not answered: 0 of {points}."
    return (f"✎ `{meta['grade_id']}` is graded by hand ({points}): an instructor reads your answer above; "
            "its points are not in the score at the top yet.")


def _points(count: float) -> str:
    return f"{count:g} point{'s' if count != 1 else ''}"


def _result(result: CellResult) -> list:
    points = f"{result.points:g} of {_points(result.max_points)}"
    if result.message is None:
        return [nbformat.v4.new_output("stream", name="stdout", text=f"✔ {result.grade_id} passed: {points}\n")]
    ename, _, evalue = result.message.partition(": ")
    return [nbformat.v4.new_output("stream", name="stdout", text=f"✘ {result.grade_id} failed: {points}\n"),
            nbformat.from_dict(safe.error(ename, evalue))]


def _summary(results: list[CellResult], notes: list[str], written: float) -> str:
    score, top = sum(r.points for r in results), sum(r.max_points for r in results)
    by_hand = f"; written answers, worth up to {written:g} more, are graded by hand" if written else ""
    lines = [f"# Feedback: {score:g} of {top:g} points{by_hand}", "",
             "Each test cell below shows its result. The grader ran more tests of the same kind "
             "(hidden tests) on other inputs; a failed cell says what went wrong. What your code "
             "printed while the tests called it is not shown (it could reveal the hidden inputs); "
             "what your cells print when they run is."]
    if notes:
        lines += ["", "**Notes about this submission:**", ""] + [f"* {note}" for note in notes]
    return "\n".join(lines)
