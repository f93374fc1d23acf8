"""Every course notebook, through real nbgrader, in a temporary copy of the course.

For each assignment: the committed release equals a fresh generation; a correct student
(the released notebook with the solutions' answers) scores full marks; a blank one runs
to the end and scores 0. What the course's grader does with the example class (alternatives,
the common mistakes of ``mistakes.yml``) is tested through the sandboxed engine in
tests/grading/test_alternatives.py: running each mistake here too, through stock nbgrader
one notebook at a time, cost most of this file's time.
"""
from __future__ import annotations

import nbformat
import pytest

import stock_nbgrader
from grading import course

pytestmark = pytest.mark.notebook


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
    """``graded`` runs once per assignment."""
    if "graded" in metafunc.fixturenames:
        metafunc.parametrize("graded", course.assignments(), indirect=True, scope="module")
