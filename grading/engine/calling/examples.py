"""The example class of an assignment: submissions whose grades we know in advance.

``build(assignment, destination)`` writes, in nbgrader's submitted layout
(``DESTINATION/STUDENT/ASSIGNMENT/ASSIGNMENT.ipynb``), and returns with what each must get:

* ``correct``: the released notebook with the solution's answers (written answers included:
  the model answer); ``blank``: as released ("YOUR ANSWER HERE"); ``partial``: only the first
  code answer cell solved;
* ``alternatives.yml``: other correct answers (whole answer cells replaced): full marks;
* ``mistakes.yml``: common mistakes (``old`` replaced by ``new`` in one answer cell): lose
  exactly the points of the test cell ``breaks``, whose message contains ``message``;
* ``cheats.yml``: attempts to get points without earning them; each edit puts ``snippet``
  into a cell (``cell``: a grade_id, or the first ``@answer`` (the default), ``@test`` or
  ``@setup`` cell) at ``position``
  (append, prepend, replace, new-cell-after, duplicate: a copy with the same grade_id right
  after it, delete). Starting from ``base`` (blank or correct), the test cells ``targets``
  (a list, or ``all``) must score 0, every other test cell full marks if the base is
  correct, and the grader must raise at least the flag kinds ``flags``.
  ``grading/examples/default_cheats.yml`` holds cheats that fit any assignment; an
  assignment's own cheats.yml replaces those of the same name;
* repairs: the correct notebook with its nbgrader metadata stripped, its test cells deleted,
  or an answer cell duplicated with a wrong copy after it: full marks.

Run ``python -m grading.engine.calling.examples ASSIGNMENT DESTINATION`` to write them for a look.
"""
from __future__ import annotations

import copy
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import yaml

from grading import course

from .repair import nbgrader, role

EXAMPLES = course.REPO_ROOT / "grading" / "examples"


@dataclass
class Example:
    student: str
    kind: str                          # correct, blank, partial, alternative, mistake, cheat, repair
    notebook: nbformat.NotebookNode = field(repr=False)
    zero: list[str] = field(default_factory=list)   # test cells that must score 0
    full: list[str] = field(default_factory=list)   # test cells that must earn full marks
    flags: list[str] = field(default_factory=list)  # flag kinds the grader must raise
    message: str | None = None          # a mistake: what its failure message must contain
    cheat: str = ""                     # what the submission tries


def load(path: Path) -> list[dict]:
    """The entries of an examples file: a YAML list, or a mapping whose ``cheats`` key holds it
    (so that the file can define YAML anchors, under keys starting with ``x-``, beside it)."""
    data = yaml.safe_load(path.read_text()) if path.exists() else None
    return (data.get("cheats", []) if isinstance(data, dict) else data) or []


def cheats(assignment: str) -> list[dict]:
    """The default cheats, replaced or extended by the assignment's own cheats.yml."""
    own = load(EXAMPLES / assignment / "cheats.yml")
    names = {entry["student"] for entry in own}
    return [entry for entry in load(EXAMPLES / "default_cheats.yml") if entry["student"] not in names] + own


def build(assignment: str, destination: Path | None = None, root: Path = course.REPO_ROOT) -> list[Example]:
    """Every example submission of ``assignment``; written under ``destination`` if given."""
    released = nbformat.read(course.notebook_path(root, "notebooks", assignment), as_version=4)
    solution = nbformat.read(course.notebook_path(root, "solutions", assignment), as_version=4)
    correct = course.fill_answers(released, solution)
    tests = [nbgrader(c)["grade_id"] for c in solution.cells if role(c) == "test"]
    answers = [nbgrader(c)["grade_id"] for c in solution.cells if role(c) == "answer" and c.cell_type == "code"]
    examples = [Example("correct", "correct", correct, full=tests), Example("blank", "blank", released, zero=tests),
                Example("partial", "partial", _partial(correct, released, answers[0]))]
    for entry in load(EXAMPLES / assignment / "alternatives.yml"):
        notebook = copy.deepcopy(correct)
        for grade_id, source in entry["answers"].items():
            _cell(notebook, grade_id).source = source.rstrip("\n")
        examples.append(Example(entry["student"], "alternative", notebook, full=tests))
    for entry in load(EXAMPLES / assignment / "mistakes.yml"):
        notebook = copy.deepcopy(correct)
        cell = _cell(notebook, entry["answer_cell"])
        if entry["old"] not in cell.source:
            raise ValueError(f"{assignment} mistake {entry['student']}: {entry['old']!r} is not in the solution")
        cell.source = cell.source.replace(entry["old"], entry["new"])
        examples.append(Example(entry["student"], "mistake", notebook, zero=[entry["breaks"]],
                                full=[t for t in tests if t != entry["breaks"]], message=entry["message"]))
    for entry in cheats(assignment):
        examples.append(_cheat(entry, correct, released, tests, answers, assignment))
    examples += _repairs(correct, tests, answers)
    if destination is not None:
        for example in examples:
            path = Path(destination) / example.student / assignment / f"{assignment}.ipynb"
            path.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(example.notebook, path)
    return examples


def _cell(notebook, grade_id: str):
    for cell in notebook.cells:
        if nbgrader(cell).get("grade_id") == grade_id:
            return cell
    raise KeyError(f"no cell with grade_id {grade_id!r}")


def _partial(correct, released, first_answer: str):
    notebook = copy.deepcopy(released)
    _cell(notebook, first_answer).source = _cell(correct, first_answer).source
    return notebook


def _cheat(entry: dict, correct, released, tests, answers, assignment: str) -> Example:
    base = entry.get("base", "blank")
    notebook = copy.deepcopy(correct if base == "correct" else released)
    first = {"@answer": answers[0], "@test": tests[0],
             "@setup": next((nbgrader(c)["grade_id"] for c in released.cells
                             if role(c) == "locked" and c.cell_type == "code"), None)}
    for edit in entry.get("edits") or [entry]:
        snippet = edit.get("snippet", "").replace("{assignment}", assignment).rstrip("\n")
        cell = edit.get("cell", "@answer")
        _edit(notebook, first.get(cell, cell), edit.get("position", "append"), snippet)
    zero = tests if entry["targets"] == "all" else list(entry["targets"])
    full = [t for t in tests if t not in zero] if base == "correct" else []
    return Example(entry["student"], "cheat", notebook, zero=zero, full=full, flags=list(entry.get("flags", [])),
                   cheat=entry.get("cheat", ""))


def _edit(notebook, grade_id: str, position: str, snippet: str) -> None:
    cell = _cell(notebook, grade_id)
    index = notebook.cells.index(cell)
    if position == "append":
        cell.source = f"{cell.source}\n{snippet}"
    elif position == "prepend":
        cell.source = f"{snippet}\n{cell.source}"
    elif position == "replace":
        cell.source = snippet
    elif position == "new-cell-after":
        notebook.cells.insert(index + 1, nbformat.v4.new_code_cell(snippet))
    elif position == "duplicate":
        twin = copy.deepcopy(cell)
        twin.source, twin["id"] = snippet, f"{cell.get('id', 'cell')}-copy"
        notebook.cells.insert(index + 1, twin)
    elif position == "delete":
        notebook.cells.remove(cell)
    else:
        raise ValueError(f"unknown position {position!r}")


def _repairs(correct, tests, answers) -> list[Example]:
    stripped = copy.deepcopy(correct)
    for cell in stripped.cells:
        cell.metadata.pop("nbgrader", None)
    untested = copy.deepcopy(correct)
    untested.cells = [c for c in untested.cells if role(c) != "test"]
    doubled = copy.deepcopy(correct)
    _edit(doubled, answers[0], "duplicate", "raise NotImplementedError('a stale copy of this answer')")
    return [Example("repair_stripped_metadata", "repair", stripped, full=tests),
            Example("repair_tests_deleted", "repair", untested, full=tests),
            Example("repair_duplicate_answer", "repair", doubled, full=tests, flags=["duplicate-cell"])]


if __name__ == "__main__":
    for example in build(sys.argv[1], Path(sys.argv[2])):
        print(f"{example.student:32} {example.kind:12} zero={example.zero} flags={example.flags}")
