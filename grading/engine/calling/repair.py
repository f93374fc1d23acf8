"""From what a student handed in to the notebook that is graded, as nbgrader intends.

Cells are matched to the course's source notebook by nbgrader ``grade_id``:

* the course's cells come first and in the course's order: locked markdown and setup
  cells with the course's text, answer cells with the student's text, test cells with the
  course's text (hidden tests included; a submission's test cells are never run, so
  edited or deleted tests change nothing);
* a grade_id seen twice (a copy-pasted cell): the first is kept, the others are ignored;
* every other code cell of the submission (new cells, the notebook's free cells,
  cells whose metadata was stripped) is the student's code and runs where it stood:
  after the last course cell above it.

Edits of locked cells and test cells, and duplicates, are flagged for a human. Manually
graded markdown answers (written questions) are listed for the instructor, not graded.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import nbformat

from .results import Flag, WrittenAnswer


@dataclass
class Cell:
    kind: str                 # "markdown", "answer-markdown", "setup", "code" (the student's), "test"
    source: str               # what runs (for a test: with its hidden tests)
    label: str = ""           # grade_id, or "cell N" (N counts the submission's cells from 1)
    grade_id: str | None = None
    points: float = 0.0


@dataclass
class Repaired:
    cells: list[Cell] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)
    written: list[WrittenAnswer] = field(default_factory=list)


def nbgrader(cell) -> dict:
    meta = cell.get("metadata", {}).get("nbgrader")
    return meta if isinstance(meta, dict) else {}


def role(cell) -> str | None:
    """What a cell of the course's notebook is: "answer", "test", "locked", or None (free)."""
    meta = nbgrader(cell)
    if not meta.get("grade_id"):
        return None
    if meta.get("solution"):
        return "answer"
    if meta.get("grade"):
        return "test"
    return "locked" if meta.get("locked") else None


def repair(source: nbformat.NotebookNode, release: nbformat.NotebookNode,
           submission: nbformat.NotebookNode) -> Repaired:
    out = Repaired()
    course = {nbgrader(c)["grade_id"]: (i, c) for i, c in enumerate(source.cells) if role(c)}
    released = {nbgrader(c).get("grade_id"): c.source for c in release.cells if role(c)}
    handed_in: dict[str, tuple[int, object]] = {}
    extras: dict[int, list[Cell]] = {}
    anchor = -1
    for number, cell in enumerate(submission.cells, 1):
        grade_id = nbgrader(cell).get("grade_id")
        if grade_id in course:
            if grade_id in handed_in:
                out.notes.append(f"cell {number} repeats the grade_id '{grade_id}' of cell "
                                 f"{handed_in[grade_id][0]}; the copy was ignored")
                out.flags.append(Flag(grade_id, 1, "duplicate-cell", _first_line(cell.source)))
                continue
            handed_in[grade_id] = number, cell
            anchor = course[grade_id][0]
        elif cell.get("cell_type") == "code":
            if grade_id:
                out.notes.append(f"cell {number} has a grade_id '{grade_id}' that the assignment does not "
                                 "have; it runs as ordinary code")
            extras.setdefault(anchor, []).append(Cell("code", cell.source, f"cell {number}"))
    out.cells += extras.get(-1, [])
    for index, cell in enumerate(source.cells):
        kind = role(cell)
        if kind is not None:
            grade_id = nbgrader(cell)["grade_id"]
            _course_cell(out, cell, kind, grade_id, released.get(grade_id, cell.source), handed_in.get(grade_id))
        out.cells += extras.get(index, [])
    return out


def _course_cell(out: Repaired, cell, kind: str, grade_id: str, released: str, handed_in) -> None:
    theirs = handed_in[1] if handed_in else None
    if kind == "answer":
        if theirs is None or theirs.get("cell_type") != cell.cell_type:
            out.notes.append(f"answer cell '{grade_id}' was not found (deleted, or its metadata stripped); "
                             "any code that took its place ran as ordinary code")
        elif cell.cell_type == "code":
            out.cells.append(Cell("code", theirs.source, grade_id, grade_id))
        else:
            out.cells.append(Cell("answer-markdown", theirs.source, grade_id, grade_id))
        if cell.cell_type == "markdown" and nbgrader(cell).get("grade"):
            answered = theirs is not None and theirs.get("cell_type") == "markdown" \
                and differs(theirs.source, released)
            out.written.append(WrittenAnswer(grade_id, float(nbgrader(cell).get("points", 0)), answered))
        return
    if theirs is not None and cell.cell_type == "code" and differs(theirs.source, released):
        what = "test" if kind == "test" else "locked"
        out.notes.append(f"the {what} cell '{grade_id}' was edited; the course's version was used")
        out.flags.append(Flag(grade_id, 1, f"edited-{what}-cell", _first_change(theirs.source, released)))
    if kind == "test":
        if theirs is None:
            out.notes.append(f"test cell '{grade_id}' was missing from the submission; the course's was used")
        out.cells.append(Cell("test", cell.source, grade_id, grade_id, float(nbgrader(cell).get("points", 0))))
    elif cell.cell_type == "code":
        out.cells.append(Cell("setup", cell.source, grade_id, grade_id))
    else:
        out.cells.append(Cell("markdown", released, grade_id, grade_id))


def differs(theirs: str, ours: str) -> bool:
    """Whether a cell's text differs from the course's, blank lines around it aside."""
    return theirs.strip().splitlines() != ours.strip().splitlines()


def _first_line(text: str) -> str:
    return next((line for line in text.splitlines() if line.strip()), "")[:200]


def _first_change(theirs: str, ours: str) -> str:
    ours_lines = set(ours.splitlines())
    return next((line for line in theirs.splitlines() if line not in ours_lines and line.strip()),
                "(lines deleted)")[:200]
