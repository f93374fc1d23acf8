"""Written questions (nbgrader's manually graded markdown answer cells), end to end.

A small class of one assignment with a written question is graded through the sandboxed
engine (``course autograde``): the answer gets no automatic score and waits for a human in the
gradebook, exactly as nbgrader's own autograde would leave it; the feedback page shows it as
graded by hand; formgrader offers a score box for it; ``course export`` and ``course report``
show it as pending, and, once a grader gives it a score (as formgrader's API does), count it.
"""
from __future__ import annotations

import csv
import re
import shutil

import nbformat
import pytest

from grading import autograde, course, feedback, report, store
from grading import gradebook as gb
from grading.engine.calling.repair import nbgrader, repair, role

ASSIGNMENT = "09_batch_norm"
STUDENTS = ("correct", "blank")


def _written_cells(notebook) -> list:
    return [c for c in notebook.cells if c.cell_type == "markdown" and role(c) == "answer" and nbgrader(c).get("grade")]


def _notebooks(root=course.REPO_ROOT):
    return [nbformat.read(course.notebook_path(root, area, ASSIGNMENT), as_version=4)
            for area in ("solutions", "notebooks")]


SOURCE, RELEASE = _notebooks()
WRITTEN = nbgrader(_written_cells(SOURCE)[0])
MODEL_ANSWER = _written_cells(SOURCE)[0].source
AUTOGRADED = sum(float(nbgrader(c)["points"]) for c in SOURCE.cells if role(c) == "test")


def _class() -> dict[str, nbformat.NotebookNode]:
    return {"correct": course.fill_answers(RELEASE, SOURCE), "blank": RELEASE}


def _visible_text(page: str) -> str:
    body = page.split("<body", 1)[-1]
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", body).split())


def _rows(path) -> dict[tuple[str, str], dict]:
    return {(r["student"], r["exercise"]): r for r in csv.DictReader(open(path, encoding="utf-8"))}


# --- the engine's part, without running anything ------------------------------------------

def test_the_assignment_has_a_written_question_with_a_rubric():
    assert WRITTEN["points"] == 1 and WRITTEN["grade_id"].startswith("written_")
    assert "**Rubric**" in MODEL_ANSWER
    released = next(c for c in RELEASE.cells if nbgrader(c).get("grade_id") == WRITTEN["grade_id"])
    assert released.source.strip() == "YOUR ANSWER HERE"


@pytest.mark.parametrize("change, answered", [
    ("answer it", True), ("leave it as released", False), ("delete it", False), ("turn it into code", False)])
def test_repair_lists_each_written_answer_and_whether_it_was_answered(change, answered):
    submission = nbformat.from_dict(RELEASE)
    cell = next(c for c in submission.cells if nbgrader(c).get("grade_id") == WRITTEN["grade_id"])
    if change == "answer it":
        cell.source = "About half: the batch statistics are averages, whose error falls like 1/sqrt(n)."
    elif change == "delete it":
        submission.cells.remove(cell)
    elif change == "turn it into code":
        cell.cell_type = "code"
    written = repair(SOURCE, RELEASE, submission).written
    assert [(w.grade_id, w.max_points, w.answered) for w in written] == [(WRITTEN["grade_id"], 1.0, answered)]


# --- through the grader, the gradebook, feedback, formgrader, export and report ----------

@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """A course copy whose small class (the solution's answers, and the blank notebook) was autograded."""
    root = course.copy_course(tmp_path_factory.mktemp("written"))
    for student, notebook in _class().items():
        course.submit(root, student, ASSIGNMENT, notebook)
    summary = autograde.autograde(root, assignments=[ASSIGNMENT], workers=2, progress=False, log=lambda *_: None)
    assert not summary.errors, summary.errors
    return root


@pytest.fixture
def graded_copy(graded, tmp_path):
    copy = tmp_path / "course"
    shutil.copytree(graded, copy)
    return copy


def _grade(gradebook, student: str):
    return gradebook.find_grade(WRITTEN["grade_id"], ASSIGNMENT, ASSIGNMENT, student)


@pytest.mark.notebook
def test_the_engine_leaves_written_answers_to_a_human(graded):
    for student in STUDENTS:
        result = store.load_result(graded, student, ASSIGNMENT)
        assert result.max_score == AUTOGRADED, "a written answer has no automatic score"
        assert [(w.grade_id, w.answered) for w in result.written] == [(WRITTEN["grade_id"], student == "correct")]


@pytest.mark.notebook
def test_gradebook_entries_are_those_nbgrader_autograde_makes(graded):
    """nbgrader's SaveAutoGrades: ``determine_grade`` of the submitted cell (None for an answer, 0 for
    an unchanged one) and ``needs_manual_grade`` where there is no automatic score."""
    from nbgrader.utils import determine_grade

    with gb.open_gradebook(gb.default_db_url(graded)) as gradebook:
        for student in STUDENTS:
            submitted = nbformat.read(course.notebook_path(graded, "grading/submitted", ASSIGNMENT, student),
                                      as_version=4)
            nbgrader_score, _ = determine_grade(_written_cells(submitted)[0])
            grade = _grade(gradebook, student)
            assert (grade.auto_score, grade.needs_manual_grade) == (nbgrader_score, nbgrader_score is None), student
            assert grade.manual_score is None
        assert {s.student.id for s in gradebook.assignment_submissions(ASSIGNMENT)
                if s.needs_manual_grade} == {"correct"}


@pytest.mark.notebook
def test_feedback_page_shows_the_answer_as_graded_by_hand(graded):
    first_sentence = MODEL_ANSWER.split(".")[0]
    for student, expected in (("correct", "is graded by hand"), ("blank", "was not answered")):
        path, _ = feedback.write_feedback(graded, student, ASSIGNMENT)
        text = _visible_text(path.read_text(encoding="utf-8"))
        assert f"{WRITTEN['grade_id']} {expected}" in text, student
        assert f"{WRITTEN['grade_id']} (written)" in text, "a row in the summary table"
        assert (first_sentence in text) == (student == "correct")
        assert "Rubric" not in text, "the example class answers with the model answer, not the graders' rubric"


@pytest.mark.notebook
def test_formgrader_offers_a_score_box_beside_the_answer(graded):
    """The page formgrader renders from the autograded notebook (its own template and exporter)."""
    from nbconvert.exporters import HTMLExporter
    from nbgrader.server_extensions.formgrader import handlers

    exporter = HTMLExporter(template_name="formgrade", extra_template_basedirs=[handlers.template_path])
    notebook = store.autograded_dir(graded, "correct", ASSIGNMENT) / f"{ASSIGNMENT}.ipynb"
    page, _ = exporter.from_filename(str(notebook), resources={
        "assignment_id": ASSIGNMENT, "notebook_id": ASSIGNMENT, "submission_id": "x", "index": 0, "total": 1,
        "base_url": "", "student": "correct", "last_name": "", "first_name": "", "notebook_path": ""})
    box = page.find(f'<input class="score tabbable" id="{WRITTEN["grade_id"]}"')
    assert box > 0, "formgrader shows no score box for the written answer"
    assert MODEL_ANSWER.split(".")[0] in _visible_text(page[box:]), "the answer follows its score box"


@pytest.mark.notebook
def test_export_and_report_count_points_given_by_hand(graded_copy):
    root = graded_copy
    grades, totals = report.export_csv(root, log=lambda *_: None)
    rows = _rows(grades)
    assert rows["correct", WRITTEN["grade_id"]]["status"] == "pending"
    assert rows["correct", "TOTAL"]["status"] == "submitted, 1 point(s) pending"
    pending = {r["student"]: r["pending"] for r in csv.DictReader(open(totals, encoding="utf-8"))}
    assert pending == {"correct": "1", "blank": "0"}, "totals.csv must say what is still to grade by hand"
    assert rows["blank", WRITTEN["grade_id"]]["message"] == "not answered"
    page = _visible_text(report.write_report(root, log=lambda *_: None).read_text(encoding="utf-8"))
    assert "1 answer(s) still to grade by hand" in page

    # What formgrader's API does when a grader types 1 into the score box (GradeHandler.put).
    with gb.open_gradebook(gb.default_db_url(root)) as gradebook:
        grade = _grade(gradebook, "correct")
        grade.manual_score = 1.0
        grade.needs_manual_grade = False
        gradebook.db.commit()

    grades, totals = report.export_csv(root, log=lambda *_: None)
    rows = _rows(grades)
    written = rows["correct", WRITTEN["grade_id"]]
    assert (written["points"], written["status"]) == ("1", "manual")
    assert float(rows["correct", "TOTAL"]["points"]) == AUTOGRADED + 1
    assert rows["correct", "TOTAL"]["status"] == "submitted"
    table = {r["student"]: r for r in csv.DictReader(open(totals, encoding="utf-8"))}
    assert float(table["correct"]["total"]) == AUTOGRADED + 1 and table["correct"]["pending"] == "0"
    page = _visible_text(report.write_report(root, log=lambda *_: None).read_text(encoding="utf-8"))
    assert "still to grade by hand" not in page
    assert f"{WRITTEN['grade_id']} 1 0.50 50%" in page, "mean 0.5 over correct (1, by hand) and blank (0)"
    assert f"TOTAL {AUTOGRADED + 1:g} {(AUTOGRADED + 1) / 2:.2f}" in page

    # A regrade keeps the hand-given score, as nbgrader's autograde does.
    autograde.autograde(root, assignments=[ASSIGNMENT], students=["correct"], workers=1, force=True,
                        progress=False, log=lambda *_: None)
    with gb.open_gradebook(gb.default_db_url(root)) as gradebook:
        grade = _grade(gradebook, "correct")
        assert (grade.manual_score, grade.auto_score, grade.needs_manual_grade) == (1.0, None, True)
        assert gradebook.find_submission(ASSIGNMENT, "correct").score == AUTOGRADED + 1
