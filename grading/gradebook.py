"""The nbgrader gradebook, written by one process only: the instructor's.

Workers never open the gradebook: they return results, and the parent records them here
with nbgrader's own API (``nbgrader.api.Gradebook``), so ``nbgrader export``, formgrader
and manual grading keep working. The database is SQLite by default
(``grading/gradebook.db``) or whatever ``db_url`` names, e.g. PostgreSQL:
``postgresql+psycopg2://grader@dbhost:5432/why_nn`` (needs ``psycopg2-binary``, in the
``instructor`` extra). The environment variable ``COURSE_DB_URL`` sets the same URL for
nbgrader (``nbgrader_config.py``) and for ``course``.
"""
from __future__ import annotations

import os
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from grading import course

COURSE_ID = "why-nn"  # as in nbgrader_config.py


def default_db_url(root: Path = course.REPO_ROOT) -> str:
    """``COURSE_DB_URL`` if set, else the course's SQLite file (an absolute path)."""
    return os.environ.get("COURSE_DB_URL") or "sqlite:///" + str(Path(root).resolve() / "grading" / "gradebook.db")


def with_driver(db_url: str) -> str:
    """``postgresql://`` made explicit as ``postgresql+psycopg2://`` where only psycopg2 is installed.

    SQLAlchemy 2.1 reads a bare ``postgresql://`` as psycopg 3; the ``instructor`` extra
    installs psycopg2-binary.
    """
    import importlib.util

    scheme, sep, rest = db_url.partition("://")
    if scheme in ("postgresql", "postgres") and sep and importlib.util.find_spec("psycopg") is None \
            and importlib.util.find_spec("psycopg2") is not None:
        return "postgresql+psycopg2://" + rest
    return db_url


def redacted(db_url: str) -> str:
    """``db_url`` with any password replaced by ``***``, for messages and logs."""
    from sqlalchemy.engine import make_url

    return make_url(db_url).render_as_string(hide_password=True)


@contextmanager
def open_gradebook(db_url: str) -> Iterator:
    """nbgrader's ``Gradebook`` on ``db_url``; a clear error if the server cannot be reached."""
    from nbgrader.api import Gradebook
    from sqlalchemy.exc import OperationalError

    # A new database is stamped by running `alembic` by name: this environment's bin/ goes first.
    bin_dir = str(Path(sys.executable).parent)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
    try:
        gradebook = Gradebook(db_url, course_id=COURSE_ID)
    except OperationalError as error:
        raise RuntimeError(f"cannot open the gradebook {redacted(db_url)}: {error.orig}") from None
    except ModuleNotFoundError as error:
        raise RuntimeError(
            f"the gradebook {redacted(db_url)} needs the Python module {error.name!r}: "
            "pip install -e '.[instructor]'"
        ) from None
    with gradebook:
        yield gradebook


def ensure_assignment(root: Path, assignment: str, db_url: str) -> None:
    """Make sure the gradebook knows ``assignment``'s cells (max points per test cell).

    ``make release`` records them in the default SQLite gradebook; a new database (a fresh
    PostgreSQL one, a deleted file) does not have them yet. They are then recorded by
    nbgrader itself (``generate_assignment`` in a scratch copy of the course, pointed at
    ``db_url``), so the gradebook is exactly what nbgrader would have written.
    """
    from nbgrader.api import MissingEntry

    wanted = _source_grade_cells(root, assignment)
    with open_gradebook(db_url) as gradebook:
        try:
            notebook = gradebook.find_notebook(assignment, assignment)
            known = {cell.name: float(cell.max_score) for cell in notebook.grade_cells}
        except MissingEntry:
            known = None
    if known == wanted:
        return
    with tempfile.TemporaryDirectory(prefix="course-release-") as scratch:
        copy = course.copy_course(Path(scratch), root)
        course.run_nbgrader(copy, "generate_assignment", assignment, "--force", f"--CourseDirectory.db_url={db_url}")


def _source_grade_cells(root: Path, assignment: str) -> dict[str, float]:
    import nbformat

    source = nbformat.read(course.notebook_path(root, "solutions", assignment), as_version=4)
    return {
        cell.metadata["nbgrader"]["grade_id"]: float(cell.metadata["nbgrader"].get("points", 0))
        for cell in source.cells
        if cell.metadata.get("nbgrader", {}).get("grade")
    }


def record(gradebook, result, timestamp: str | None = None) -> None:
    """Write one ``SubmissionResult`` into the gradebook: student, submission, auto scores, flag.

    Like nbgrader's own autograder (``SaveAutoGrades``), a manual score an instructor gave is
    kept (the cell is marked for review instead), and a written answer gets no automatic score
    and needs a manual grade, unless it was left as released: then it gets 0 at once.
    """
    import warnings

    from sqlalchemy.exc import SAWarning

    with warnings.catch_warnings():
        # nbgrader's add_submission builds its rows in a way SQLAlchemy 2 warns about, harmlessly.
        warnings.simplefilter("ignore", SAWarning)
        _record(gradebook, result, timestamp)


def _record(gradebook, result, timestamp: str | None) -> None:
    from nbgrader.api import MissingEntry

    gradebook.update_or_create_student(result.student)
    try:
        submission = gradebook.find_submission(result.assignment, result.student)
        if timestamp:
            from nbgrader.utils import parse_utc

            submission.timestamp = parse_utc(timestamp)
    except MissingEntry:
        gradebook.add_submission(
            result.assignment, result.student, **({"timestamp": timestamp} if timestamp else {})
        )
    notebook = gradebook.find_submission_notebook(result.assignment, result.assignment, result.student)
    points = {cell.grade_id: float(cell.points) for cell in result.cells}
    points.update({answer.grade_id: None if answer.answered else 0.0 for answer in result.written})
    for grade in notebook.grades:
        if grade.name not in points:
            continue
        grade.auto_score = points[grade.name]
        grade.needs_manual_grade = grade.manual_score is not None or grade.auto_score is None
    notebook.flagged = bool(result.flags)
    gradebook.db.commit()


def recorded_scores(gradebook) -> dict[tuple[str, str], dict[str, float | None]]:
    """``(student, assignment) -> {grade_id: auto_score}`` for every submission, in one query."""
    from nbgrader.api import Assignment, Grade, GradeCell, SubmittedAssignment, SubmittedNotebook

    rows = (
        gradebook.db.query(SubmittedAssignment.student_id, Assignment.name, GradeCell.name, Grade.auto_score)
        .join(Assignment, Assignment.id == SubmittedAssignment.assignment_id)
        .join(SubmittedNotebook, SubmittedNotebook.assignment_id == SubmittedAssignment.id)
        .join(Grade, Grade.notebook_id == SubmittedNotebook.id)
        .join(GradeCell, GradeCell.id == Grade.cell_id)
    )
    scores: dict[tuple[str, str], dict[str, float | None]] = {}
    for student, assignment, grade_id, auto_score in rows:
        scores.setdefault((student, assignment), {})[grade_id] = auto_score
    return scores


def final_scores(gradebook) -> list[dict]:
    """Every grade of every submission, manual scores included: the numbers to export.

    One dict per (student, assignment, grade cell) with ``score`` (manual if given, else
    automatic, as nbgrader counts it), ``max_score``, ``manual`` (a score given by hand) and
    ``pending`` (a written answer no one has graded yet: no score of either kind).
    """
    from nbgrader.api import Assignment, Grade, GradeCell, SubmittedAssignment, SubmittedNotebook

    rows = (
        gradebook.db.query(
            SubmittedAssignment.student_id, Assignment.name, GradeCell.name, Grade.score, GradeCell.max_score,
            Grade.manual_score, Grade.auto_score,
        )
        .join(Assignment, Assignment.id == SubmittedAssignment.assignment_id)
        .join(SubmittedNotebook, SubmittedNotebook.assignment_id == SubmittedAssignment.id)
        .join(Grade, Grade.notebook_id == SubmittedNotebook.id)
        .join(GradeCell, GradeCell.id == Grade.cell_id)
    )
    return [
        {"student": s, "assignment": a, "exercise": g, "score": float(score or 0.0), "max_score": float(m),
         "manual": manual is not None, "pending": manual is None and auto is None}
        for s, a, g, score, m, manual, auto in rows
    ]


def students(gradebook) -> list[str]:
    """Every student id in the gradebook (those who submitted nothing too)."""
    return sorted(student.id for student in gradebook.students)
