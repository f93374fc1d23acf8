"""Students derive the gradients they are graded on: the final formula is nowhere in the release.

Each assignment's ``grading/examples/<assignment>/derivations.yml`` lists the test cells that
grade a multi-step gradient the student derives, the answer cell it is written in, and
``formulas``: regular expressions matched against cell text with all whitespace removed. Each
formula must match the solution's answer cell (so it describes the real answer) and no cell of
the released notebook: markdown, code, docstrings, comments, outputs. On top, over the whole
course: derived points are at least half of the autograded points, and in every notebook the
autograded points are at least 85 % of its total (written answers, graded by hand, are the rest).
"""
from __future__ import annotations

import copy
import re

import nbformat
import pytest
import yaml

from grading import course
from grading.engine.calling.repair import nbgrader, role

ASSIGNMENTS = course.assignments()
DERIVED_SHARE = 0.5       # of the course's autograded points
AUTOGRADED_SHARE = 0.85   # of each notebook's points


def derivations(assignment: str) -> list[dict]:
    """The entries of the assignment's derivations.yml ([] if it has none)."""
    path = course.REPO_ROOT / "grading" / "examples" / assignment / "derivations.yml"
    return (yaml.safe_load(path.read_text(encoding="utf-8")) or []) if path.exists() else []


def notebook(area: str, assignment: str) -> nbformat.NotebookNode:
    return nbformat.read(course.notebook_path(course.REPO_ROOT, area, assignment), as_version=4)


def squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def cell_texts(released: nbformat.NotebookNode) -> list[tuple[str, str]]:
    """``(where, text)`` for every cell's source and every text of its outputs (not images),
    whitespace removed."""
    texts = []
    for number, cell in enumerate(released.cells, 1):
        texts.append((f"cell {number} ({cell.cell_type})", squeezed(cell.source)))
        for output in cell.get("outputs", []):
            shown = [value for kind, value in output.get("data", {}).items() if kind.startswith("text/")]
            parts = [output.get("text", ""), *shown, output.get("evalue", ""), *output.get("traceback", [])]
            text = "".join("".join(part) if isinstance(part, list) else str(part) for part in parts)
            texts.append((f"output of cell {number}", squeezed(text)))
    return texts


def leaks(assignment: str, entries: list[dict], released: nbformat.NotebookNode) -> list[str]:
    """One message per formula found in the released notebook, naming the notebook and the formula."""
    texts = cell_texts(released)
    found = []
    for entry in entries:
        for formula in entry["formulas"]:
            for where, text in texts:
                match = re.search(formula, text)
                if match:
                    found.append(f"{assignment}: the formula {formula!r} graded by {entry['test']} is printed "
                                 f"in the release, {where}: {match.group(0)!r}")
    return found


def points(solution: nbformat.NotebookNode) -> tuple[dict[str, float], float]:
    """Autograded points per test cell, and the points of the written answers (graded by hand)."""
    tests = {nbgrader(c)["grade_id"]: float(nbgrader(c).get("points", 0)) for c in solution.cells if role(c) == "test"}
    written = sum(float(nbgrader(c).get("points", 0)) for c in solution.cells
                  if role(c) == "answer" and c.cell_type == "markdown" and nbgrader(c).get("grade"))
    return tests, written


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_each_notebook_grades_a_gradient_the_student_derives(assignment):
    entries = derivations(assignment)
    assert entries, (f"{assignment}: grading/examples/{assignment}/derivations.yml lists no graded gradient "
                     "that the student derives")
    solution = notebook("solutions", assignment)
    tests, _ = points(solution)
    answers = {nbgrader(c)["grade_id"]: c.source for c in solution.cells if role(c) == "answer"}
    for entry in entries:
        assert tests.get(entry["test"]), f"{assignment}: {entry['test']!r} is not a test cell with points"
        assert entry["answer_cell"] in answers, f"{assignment}: {entry['answer_cell']!r} is not an answer cell"
        assert entry["formulas"], f"{assignment}: {entry['test']} lists no formula to keep out of the release"
        answer = squeezed(answers[entry["answer_cell"]])
        for formula in entry["formulas"]:
            assert re.search(formula, answer), (
                f"{assignment}: the formula {formula!r} of {entry['test']} does not match the solution's answer "
                f"cell {entry['answer_cell']!r}, so the scan would not find the real answer")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_no_graded_formula_is_in_the_release(assignment):
    found = leaks(assignment, derivations(assignment), notebook("notebooks", assignment))
    assert not found, "\n".join(found)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_autograded_points_are_most_of_each_notebook(assignment):
    tests, written = points(notebook("solutions", assignment))
    autograded = sum(tests.values())
    assert autograded >= AUTOGRADED_SHARE * (autograded + written), (
        f"{assignment}: {autograded:g} autograded points of {autograded + written:g} "
        f"(under {AUTOGRADED_SHARE:.0%}): too many points for written answers")


def test_half_of_the_course_points_are_for_derived_gradients():
    derived, autograded, per_notebook = 0.0, 0.0, []
    for assignment in ASSIGNMENTS:
        tests, _ = points(notebook("solutions", assignment))
        mine = sum(tests.get(t, 0.0) for t in {entry["test"] for entry in derivations(assignment)})
        derived += mine
        autograded += sum(tests.values())
        per_notebook.append(f"{assignment} {mine:g}/{sum(tests.values()):g}")
    assert derived >= DERIVED_SHARE * autograded, (
        f"derived gradients earn {derived:g} of {autograded:g} autograded points ({derived / autograded:.0%}, "
        f"under {DERIVED_SHARE:.0%}): " + ", ".join(per_notebook))


def _planted(released: nbformat.NotebookNode, where: str, text: str) -> nbformat.NotebookNode:
    planted = copy.deepcopy(released)
    if where == "markdown":
        planted.cells.append(nbformat.v4.new_markdown_cell(f"So the answer is\n\n    {text}\n"))
    elif where == "comment":
        cell = next(c for c in planted.cells if c.cell_type == "code")
        cell.source += "\n# " + text.replace("=", " = ")
    else:
        cell = next(c for c in planted.cells if c.cell_type == "code")
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)]
    return planted


@pytest.mark.parametrize("where", ["markdown", "comment", "output"])
def test_the_scan_catches_a_formula_planted_in_a_release(where):
    """The solution's own line of a listed formula, planted in a copy of the release (with other
    spacing), is reported with the notebook's name and the formula; the release itself is clean."""
    assignment = "09_batch_norm"
    entries = derivations(assignment)
    released, solution = notebook("notebooks", assignment), notebook("solutions", assignment)
    assert not leaks(assignment, entries, released)
    answer = next(c.source for c in solution.cells if nbgrader(c).get("grade_id") == entries[0]["answer_cell"])
    formula = entries[0]["formulas"][0]
    line = next(line.strip() for line in answer.splitlines() if re.search(formula, squeezed(line)))
    found = leaks(assignment, entries, _planted(released, where, line))
    assert found and all(assignment in message for message in found)
    assert any(repr(formula) in message for message in found), found
