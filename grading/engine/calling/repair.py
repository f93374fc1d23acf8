"""From what a student handed in to the notebook that is graded, as nbgrader intends.

``repair`` runs the steps of nbgrader's "sanitising" pass that this engine needs, in
nbgrader's order, each named after its preprocessor: ``deduplicate_ids``, then
``overwrite_cells``. Cells are matched to the course's source notebook by nbgrader
``grade_id``:

* a grade_id seen twice (a copy-pasted cell): the first is kept, the others are ignored;
* the course's cells come first and in the course's order: locked markdown and setup
  cells with the course's text, answer cells with the student's text, test cells with the
  course's text (hidden tests included; a submission's test cells are never run, so
  edited or deleted tests change nothing);
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
    """The cells to grade, with notes, flags and written answers: ``deduplicate_ids``, then
    ``overwrite_cells``, as nbgrader's autograde runs its ``DeduplicateIds`` and ``OverwriteCells``."""
    out = Repaired()
    course_ids = {nbgrader(cell)["grade_id"] for cell in source.cells if role(cell)}
    overwrite_cells(source, release, deduplicate_ids(submission, course_ids, out), out)
    return out


def deduplicate_ids(submission: nbformat.NotebookNode, course_ids: set[str],
                    out: Repaired) -> list[tuple[int, object]]:
    """The submission's cells, each numbered from 1, with one cell per course grade_id.

    nbgrader's ``DeduplicateIds``, except that ours keeps the first cell of a grade_id and drops
    the later ones (each noted, and flagged ``duplicate-cell`` for a human), where nbgrader keeps
    the last and strips the others' metadata, so that they run as ordinary cells. A grade_id
    the course does not have is left to ``overwrite_cells``."""
    first: dict[str, int] = {}
    kept = []
    for number, cell in enumerate(submission.cells, 1):
        grade_id = nbgrader(cell).get("grade_id")
        if grade_id in first:
            out.notes.append(f"cell {number} repeats the grade_id '{grade_id}' of cell "
                             f"{first[grade_id]}; the copy was ignored")
            out.flags.append(Flag(grade_id, 1, "duplicate-cell", _first_line(cell.source)))
            continue
        if grade_id in course_ids:
            first[grade_id] = number
        kept.append((number, cell))
    return kept


def overwrite_cells(source: nbformat.NotebookNode, release: nbformat.NotebookNode,
                    handed_in: list[tuple[int, object]], out: Repaired) -> None:
    """Add to ``out`` the course's cells, in the course's order, each followed by the student's
    own code cells that stood after it; ``handed_in``: the numbered cells of ``deduplicate_ids``.

    nbgrader's ``OverwriteCells`` with ``add_missing_cells`` (as this course configures it): a
    locked or test cell gets the course's text, a deleted test cell is put back, and a cell
    with a grade_id the course does not have is an ordinary cell. Ours also flags an edited
    locked or test cell for a human (nbgrader only logs a warning), puts the cells in the
    course's order (nbgrader keeps the submission's), keeps only each cell's text, dropping the
    outputs the student saved (nbgrader's ``ClearOutput``), and lists each written answer with
    whether it was answered."""
    course = {nbgrader(c)["grade_id"]: (i, c) for i, c in enumerate(source.cells) if role(c)}
    released = {nbgrader(c).get("grade_id"): c.source for c in release.cells if role(c)}
    by_id: dict[str, tuple[int, object]] = {}
    extras: dict[int, list[Cell]] = {}
    anchor = -1
    for number, cell in handed_in:
        grade_id = nbgrader(cell).get("grade_id")
        if grade_id in course:
            by_id[grade_id] = number, cell
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
            _course_cell(out, cell, kind, grade_id, released.get(grade_id, cell.source), by_id.get(grade_id))
        out.cells += extras.get(index, [])


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
