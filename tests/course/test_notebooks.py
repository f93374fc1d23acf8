"""Every course notebook, through real nbgrader, in a temporary copy of the course.

For each assignment: the committed release equals a fresh generation; a correct student
(the released notebook with the solutions' answers) scores full marks; a blank one runs
to the end and scores 0; and each common mistake listed below loses exactly the points of
the test cell it breaks, with a message that names the mistake.
"""
from __future__ import annotations

from typing import NamedTuple

import nbformat
import pytest
import yaml

import stock_nbgrader
from grading import course

pytestmark = pytest.mark.notebook


class Mistake(NamedTuple):
    student: str         # also the submission's name in the gradebook
    answer_cell: str     # grade_id of the answer cell to break
    old: str             # text replaced in that cell ...
    new: str             # ... by this
    breaks: str          # the one test cell that must fail
    message: str         # a fragment its failure message must contain


def load_mistakes(assignment: str) -> list[Mistake]:
    """Common mistakes for an assignment, from grading/examples/ASSIGNMENT/mistakes.yml."""
    path = course.REPO_ROOT / "grading" / "examples" / assignment / "mistakes.yml"
    if not path.exists():
        return []
    return [Mistake(**entry) for entry in yaml.safe_load(path.read_text())]


MISTAKES = {assignment: load_mistakes(assignment) for assignment in course.assignments()}


def break_answer(notebook: nbformat.NotebookNode, mistake: Mistake) -> nbformat.NotebookNode:
    broken = nbformat.from_dict(notebook)
    for cell in broken.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == mistake.answer_cell:
            assert mistake.old in cell.source, f"{mistake.student}: {mistake.old!r} not in the solution any more"
            cell.source = cell.source.replace(mistake.old, mistake.new)
            return broken
    raise AssertionError(f"no answer cell {mistake.answer_cell!r}")


@pytest.fixture(scope="module")
def graded(request, tmp_path_factory):
    """Release and autograde one assignment's example submissions in a fresh course copy."""
    assignment = request.param
    root = course.copy_course(tmp_path_factory.mktemp(assignment))
    committed = nbformat.read(course.notebook_path(root, "notebooks", assignment), as_version=4)
    released = nbformat.read(course.release(assignment, root), as_version=4)
    solution = nbformat.read(course.notebook_path(root, "solutions", assignment), as_version=4)
    correct = course.fill_answers(released, solution)
    course.submit(root, "correct", assignment, correct)
    course.submit(root, "blank", assignment, released)
    for mistake in MISTAKES.get(assignment, []):
        course.submit(root, mistake.student, assignment, break_answer(correct, mistake))
    stock_nbgrader.autograde(root, assignment)
    return root, assignment, committed, released


def _strip(notebook):
    return [(cell.cell_type, cell.source, cell.metadata.get("nbgrader")) for cell in notebook.cells]


def test_committed_release_equals_a_fresh_generation(graded):
    root, assignment, committed, released = graded
    assert _strip(committed) == _strip(released), (
        f"notebooks/{assignment} is stale: run `make release` and commit it with solutions/"
    )


def test_release_hides_solutions_and_hidden_tests(graded):
    _, _, _, released = graded
    text = "\n".join(cell.source for cell in released.cells)
    assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text
    assert "raise NotImplementedError()" in text


def test_correct_answers_get_full_marks(graded):
    root, assignment, _, _ = graded
    scores = stock_nbgrader.scores(root, assignment, "correct")
    assert scores, "no graded cells found"
    lost = {cell: score for cell, score in scores.items() if score[0] != score[1]}
    assert not lost, f"correct answers lost points: {lost}; messages: {stock_nbgrader.test_cell_messages(root, assignment, 'correct')}"
    assert stock_nbgrader.ungraded_errors(root, assignment, "correct") == []


def test_blank_notebook_runs_to_the_end_and_scores_zero(graded):
    root, assignment, _, _ = graded
    scores = stock_nbgrader.scores(root, assignment, "blank")
    assert sum(score for score, _ in scores.values()) == 0, scores
    # Experiments fall back to the reference, so only test cells may fail.
    assert stock_nbgrader.ungraded_errors(root, assignment, "blank") == []
    messages = stock_nbgrader.test_cell_messages(root, assignment, "blank")
    assert set(messages) == {cell for cell, (_, top) in scores.items() if top > 0}


def pytest_generate_tests(metafunc):
    """``graded`` runs once per assignment; each mistake only with its own assignment."""
    if "mistake" in metafunc.fixturenames:
        pairs = [(assignment, mistake) for assignment, mistakes in MISTAKES.items() for mistake in mistakes]
        metafunc.parametrize(("graded", "mistake"), pairs, indirect=["graded"], scope="module",
                             ids=[f"{assignment}-{mistake.student}" for assignment, mistake in pairs])
    elif "graded" in metafunc.fixturenames:
        metafunc.parametrize("graded", course.assignments(), indirect=True, scope="module")


def test_a_mistake_loses_exactly_its_points_and_says_why(graded, mistake):
    root, assignment, _, _ = graded
    scores = stock_nbgrader.scores(root, assignment, mistake.student)
    failed = {cell for cell, (score, top) in scores.items() if score < top}
    assert failed == {mistake.breaks}, f"expected only {mistake.breaks} to fail, got {failed}"
    message = stock_nbgrader.test_cell_messages(root, assignment, mistake.student)[mistake.breaks]
    assert mistake.message in message, f"the feedback should say {mistake.message!r}, it says: {message}"
