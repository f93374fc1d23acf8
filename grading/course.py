"""The course's folders and nbgrader's operations on them, as functions.

Used by the instructor tools (``course release``, the gradebook, collect, the example
class) and by the tests and the bench, which grade submissions in a temporary copy of the
course. nbgrader is run as a subprocess from this environment, with its ``bin/`` first on
PATH because nbgrader calls ``alembic`` by name.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

REPO_ROOT = Path(__file__).resolve().parent.parent
COURSE_FILES = ("nbgrader_config.py", "solutions", "notebooks")
RUBRIC = "**Rubric**"  # in a written answer's solution, what follows the model answer is for graders


def assignments(root: Path = REPO_ROOT) -> list[str]:
    """Assignment names: the folders of ``solutions/`` holding a notebook of the same name."""
    source = Path(root) / "solutions"
    return sorted(p.name for p in source.iterdir() if (p / f"{p.name}.ipynb").is_file())


def notebook_path(root: Path, area: str, assignment: str, student: str | None = None) -> Path:
    """Path of an assignment's notebook in ``solutions``, ``notebooks`` or a per-student area."""
    folder = Path(root) / area
    if student is not None:
        folder = folder / student
    return folder / assignment / f"{assignment}.ipynb"


def run_nbgrader(root: Path, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    """Run ``nbgrader ARGS`` in the course ``root``; raise with its log if it fails."""
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}
    result = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args], cwd=root, env=env,
        capture_output=True, text=True, timeout=timeout,
    )
    if result.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def copy_course(destination: Path, root: Path = REPO_ROOT) -> Path:
    """Copy what nbgrader needs (config, solutions, notebooks) into ``destination``."""
    destination = Path(destination)
    destination.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__")
    for name in COURSE_FILES:
        source = Path(root) / name
        if source.is_dir():
            shutil.copytree(source, destination / name, ignore=ignore, dirs_exist_ok=True)
        elif source.exists():
            shutil.copy2(source, destination / name)
    (destination / "grading").mkdir(exist_ok=True)  # gradebook, submissions, feedback
    return destination


def release(assignment: str, root: Path = REPO_ROOT) -> Path:
    """Regenerate ``notebooks/ASSIGNMENT`` from ``solutions/ASSIGNMENT`` (answers and hidden tests removed)."""
    run_nbgrader(root, "generate_assignment", assignment, "--force")
    return notebook_path(root, "notebooks", assignment)


def fill_answers(released: nbformat.NotebookNode, solution: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A released notebook with every answer cell replaced by the solution's: a correct student
    (whose written answers are the model answers, without the graders' rubric)."""
    answers = {
        cell.metadata["nbgrader"]["grade_id"]: cell.source
        for cell in solution.cells if cell.metadata.get("nbgrader", {}).get("solution")
    }
    filled = nbformat.from_dict(released)
    for cell in filled.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.metadata.get("nbgrader", {}).get("solution") and grade_id in answers:
            answer = answers[grade_id]
            cell.source = answer.split(RUBRIC)[0].rstrip() if cell.cell_type == "markdown" \
                else _strip_solution_markers(answer)
    return filled


def _strip_solution_markers(source: str) -> str:
    return "\n".join(
        line for line in source.splitlines()
        if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION")
    )


def submit(root: Path, student: str, assignment: str, notebook: nbformat.NotebookNode) -> Path:
    """Place ``notebook`` where nbgrader expects ``student``'s submission."""
    path = notebook_path(root, "grading/submitted", assignment, student)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path
