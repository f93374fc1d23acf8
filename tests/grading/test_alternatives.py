"""Every assignment through the sandboxed engine: the solution earns full marks, a blank
notebook 0, other correct answers full marks, and each common mistake loses exactly its own
exercise with its message.

``grading/examples/<assignment>/alternatives.yml`` holds independently written correct answers
(other algebra, explicit loops, boolean masks, ``np.logaddexp``/``np.log1p`` forms, in-place
updates). Each answer cell of each assignment must be answered in at least three of them, and
every one must earn full marks and raise no flag: a correct answer never loses a point.
``mistakes.yml`` holds the likely wrong derivations; each must fail exactly the test cell it
breaks, with the message that names it. 01's whole example class (cheats and repairs too)
is graded in tests/grading/test_engine.py.
The engine skips the cells no test depends on; ``test_skipping_cells_never_changes_a_score``
grades examples with and without skipping (all of them with ``COURSE_CHECK_SKIPPING=all``).
Run one assignment with ``pytest tests/grading/test_alternatives.py -k 04_regularisation``.
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import nbformat
import pytest

from grading import course
from grading.engine import Limits, grade_submission
from grading.engine.calling import examples
from grading.engine.calling.repair import nbgrader, role

pytestmark = pytest.mark.notebook
LIMITS = Limits(cell_timeout_s=30.0, notebook_timeout_s=180.0)
MINIMUM_PER_CELL = 3


def _answer_cells(assignment: str) -> list[str]:
    solution = nbformat.read(course.notebook_path(course.REPO_ROOT, "solutions", assignment), as_version=4)
    # Written (markdown) answers are graded by hand: alternatives are for code.
    return [nbgrader(cell)["grade_id"] for cell in solution.cells
            if role(cell) == "answer" and cell.cell_type == "code"]


@pytest.mark.parametrize("assignment", course.assignments())
def test_every_answer_cell_has_three_alternatives(assignment):
    entries = examples.load(examples.EXAMPLES / assignment / "alternatives.yml")
    answered = {cell: [e["student"] for e in entries if cell in e["answers"]] for cell in _answer_cells(assignment)}
    short = {cell: students for cell, students in answered.items() if len(students) < MINIMUM_PER_CELL}
    assert not short, f"{assignment}: answer cells with fewer than {MINIMUM_PER_CELL} alternatives: {short}"
    unknown = {cell for e in entries for cell in e["answers"]} - set(answered)
    assert not unknown, f"{assignment}: alternatives.yml answers cells that do not exist: {unknown}"


@pytest.fixture(scope="module")
def graded(request, tmp_path_factory):
    """The solution, the blank notebook, every alternative and every common mistake of one
    assignment, graded through the engine in a copy of the course: ``[(example, result), ...]``."""
    assignment = request.param
    root = course.copy_course(tmp_path_factory.mktemp(assignment))
    chosen = [e for e in examples.build(assignment) if e.kind in ("correct", "blank", "alternative", "mistake")]
    assert any(e.kind == "alternative" for e in chosen), (
        f"{assignment} has no grading/examples/{assignment}/alternatives.yml")

    def grade(example):
        path = root / "grading" / "submitted" / example.student / assignment / f"{assignment}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(example.notebook, path)
        return example, grade_submission(root, assignment, example.student, path, LIMITS)

    with ThreadPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
        return list(pool.map(grade, chosen))


@pytest.mark.parametrize("graded", course.assignments(), indirect=True)
def test_solution_full_marks_and_blank_zero_through_the_engine(graded):
    results = {example.kind: result for example, result in graded if example.kind in ("correct", "blank")}
    correct, blank = results["correct"], results["blank"]
    assert correct.cells, "no test cells"
    lost = {c.grade_id: c.message for c in correct.cells if c.points != c.max_points}
    assert not lost, f"the solution lost points through the engine: {lost}; notes: {correct.notes}"
    assert blank.score == 0, {c.grade_id: c.points for c in blank.cells if c.points}
    assert all(c.message for c in blank.cells), "every test cell of a blank notebook must say why it failed"


@pytest.mark.parametrize("graded", course.assignments(), indirect=True)
def test_alternative_correct_answers_earn_full_marks_unflagged(graded):
    problems = {}
    for example, result in ((e, r) for e, r in graded if e.kind == "alternative"):
        lost = {c.grade_id: c.message for c in result.cells if c.points != c.max_points}
        if lost or result.flags or not result.cells:
            problems[example.student] = {"lost": lost, "flags": result.flags, "notes": result.notes}
    assert not problems, problems


@pytest.mark.parametrize("graded", course.assignments(), indirect=True)
def test_each_mistake_loses_exactly_its_exercise_and_says_why(graded):
    problems = {}
    for example, result in ((e, r) for e, r in graded if e.kind == "mistake"):
        failed = {c.grade_id for c in result.cells if c.points < c.max_points}
        said = " ".join(c.message or "" for c in result.cells if c.grade_id in example.zero)
        if failed != set(example.zero) or example.message not in said or result.flags:
            problems[example.student] = {"failed": sorted(failed), "should fail": example.zero,
                                         "should say": example.message, "said": said[:400], "flags": result.flags}
    assert not problems, problems


def _compared(assignment: str) -> list:
    """The examples whose scores are compared with and without skipping cells: under
    ``COURSE_CHECK_SKIPPING=all`` every example submission of the assignment (mistakes, cheats
    and damaged notebooks included); otherwise, to keep CI fast, its first common mistake
    (a partial score, the case where a skipped cell could matter), or its first alternative.
    The solution, the blank notebook and the alternatives are graded with skipping above and
    must earn exactly what a full run earns: full marks, or 0."""
    built = examples.build(assignment)
    if os.environ.get("COURSE_CHECK_SKIPPING") == "all":
        return built
    first = {}
    for example in built:
        first.setdefault(example.kind, example)
    return [first.get("mistake") or first["alternative"]]


@pytest.mark.parametrize("assignment", course.assignments())
def test_skipping_cells_never_changes_a_score(assignment, tmp_path):
    root = course.copy_course(tmp_path / "course")
    chosen = _compared(assignment)

    def scores(job):
        example, run_all_cells = job
        folder = f"{example.student}-{'every-cell' if run_all_cells else 'skipping'}"
        path = root / "grading" / "submitted" / folder / assignment / f"{assignment}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(example.notebook, path)
        result = grade_submission(root, assignment, example.student, path, LIMITS, run_all_cells=run_all_cells)
        return {cell.grade_id: cell.points for cell in result.cells}

    jobs = [(example, run_all) for example in chosen for run_all in (False, True)]
    with ThreadPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
        results = list(pool.map(scores, jobs))
    differ = {example.student: {"skipping": skipped, "every cell": full}
              for example, skipped, full in zip(chosen, results[::2], results[1::2]) if skipped != full}
    assert not differ, f"skipping cells changed scores: {differ}"
