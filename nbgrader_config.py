"""nbgrader configuration: the course root is this repository.

solutions/ (instructor source, with answers and hidden tests) → notebooks/ (what students get).
Everything an instructor produces while grading stays under grading/ and is git-ignored.
"""
import importlib.util
import os

c = get_config()  # noqa: F821  (injected by nbgrader's config loader)

COURSE_ROOT = os.path.dirname(os.path.abspath(__file__))

c.CourseDirectory.course_id = "why-nn"
c.CourseDirectory.root = COURSE_ROOT
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "notebooks"
c.CourseDirectory.submitted_directory = "grading/submitted"
c.CourseDirectory.autograded_directory = "grading/autograded"
c.CourseDirectory.feedback_directory = "grading/feedback"


def with_driver(db_url: str) -> str:
    """A bare ``postgresql://`` made ``postgresql+psycopg2://`` where only psycopg2 is installed:
    SQLAlchemy 2.1 reads it as psycopg 3. As ``grading.gradebook.with_driver`` (this file must work
    in a course folder without ``grading/``; a test keeps the two in step)."""
    scheme, sep, rest = db_url.partition("://")
    if scheme in ("postgresql", "postgres") and sep and importlib.util.find_spec("psycopg") is None \
            and importlib.util.find_spec("psycopg2") is not None:
        return "postgresql+psycopg2://" + rest
    return db_url


# An absolute path: a relative sqlite URL would follow the working directory.
# COURSE_DB_URL (e.g. postgresql://grader@dbhost/why_nn) moves the gradebook for nbgrader and `course` alike.
c.CourseDirectory.db_url = with_driver(
    os.environ.get("COURSE_DB_URL") or "sqlite:///" + os.path.join(COURSE_ROOT, "grading", "gradebook.db"))

# Every notebook runs in seconds; a cell that takes a minute is stuck.
c.Execute.timeout = 60
c.ExecutePreprocessor.timeout = 60
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
# Deleted test cells come back at autograde instead of silently scoring nothing.
c.OverwriteCells.add_missing_cells = True
