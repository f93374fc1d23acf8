"""nbgrader configuration: the course root is this repository.

solutions/ (instructor source, with answers and hidden tests) → notebooks/ (what students get).
Everything an instructor produces while grading stays under grading/ and is git-ignored.
"""
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
# An absolute path: a relative sqlite URL would follow the working directory.
# COURSE_DB_URL (e.g. postgresql+psycopg2://grader@dbhost/why_nn) moves the gradebook for nbgrader and `course` alike.
c.CourseDirectory.db_url = os.environ.get("COURSE_DB_URL") or "sqlite:///" + os.path.join(COURSE_ROOT, "grading", "gradebook.db")

# Every notebook runs in seconds; a cell that takes a minute is stuck.
c.Execute.timeout = 60
c.ExecutePreprocessor.timeout = 60
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
# Deleted test cells come back at autograde instead of silently scoring nothing.
c.OverwriteCells.add_missing_cells = True
