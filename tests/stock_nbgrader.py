"""Stock ``nbgrader autograde`` on a copy of the course, and what it recorded: the notebook tests'
second opinion beside the sandboxed engine (the course's notebooks must grade right under both).

Import the module, not its functions: pytest would collect ``test_cell_messages`` as a test.
"""
from __future__ import annotations

from pathlib import Path

import nbformat

from grading import course

PORT_RACE = ("Address already in use", "Kernel died before replying to kernel_info")


def autograde(root: Path, assignment: str, *, student: str = "*", force: bool = True) -> None:
    """Autograde every submission of ``assignment`` (``student`` may be a glob).

    Tried up to three times when a kernel could not start for a port: jupyter_client picks a free
    TCP port and binds it later, so a kernel started in parallel by another test can take it
    first ("Address already in use", then "Kernel died before replying to kernel_info")."""
    for attempt in range(3):
        try:
            course.run_nbgrader(root, "autograde", assignment, f"--student={student}",
                                *(["--force"] if force else []))
            return
        except RuntimeError as error:
            if attempt == 2 or not any(sign in str(error) for sign in PORT_RACE):
                raise


def scores(root: Path, assignment: str, student: str) -> dict[str, tuple[float, float]]:
    """``grade_id -> (score, max_score)`` for every autograded (code) cell of one autograded
    submission; written answers wait for a human."""
    from nbgrader.api import Gradebook

    with Gradebook("sqlite:///" + str(Path(root) / "grading" / "gradebook.db")) as gradebook:
        submission = gradebook.find_submission_notebook(assignment, assignment, student)
        return {grade.name: (float(grade.score), float(grade.max_score)) for grade in submission.grades
                if grade.cell.cell_type == "code"}


def test_cell_messages(root: Path, assignment: str, student: str) -> dict[str, str]:
    """``grade_id -> error text`` for every test cell that failed in an autograded notebook."""
    notebook = nbformat.read(course.notebook_path(root, "grading/autograded", assignment, student), as_version=4)
    messages = {}
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("grade"):
            errors = [f"{o.ename}: {o.evalue}" for o in cell.get("outputs", []) if o.output_type == "error"]
            if errors:
                messages[meta["grade_id"]] = "\n".join(errors)
    return messages


def ungraded_errors(root: Path, assignment: str, student: str) -> list[str]:
    """Errors raised by cells that are *not* test cells (setup, experiments) of an autograded notebook."""
    notebook = nbformat.read(course.notebook_path(root, "grading/autograded", assignment, student), as_version=4)
    return [
        f"cell {index}: {output.ename}: {output.evalue}"
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "code" and not cell.metadata.get("nbgrader", {}).get("grade")
        for output in cell.get("outputs", []) if output.output_type == "error"
    ]
