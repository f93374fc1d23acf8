"""Run a notebook the way a student with a staged bundle would (``course bundle --through N``):
its kernel imports the bundle's ``helpers``, in which the course's answers not yet due are stubs.

``problems(home, assignment, filled)`` runs one notebook of the bundle at ``home`` top to
bottom, blank or with the solution's answers, and returns what a student should not see:

* filled in: any error at all;
* blank: in answer and test cells, an error other than the unwritten exercise's
  ``NotImplementedError`` (or the sentence below), or one raised by a stub of the course's own
  answer (a visible test must not need one); elsewhere, any error but the sentences
  "finish X (the exercise above) to run this cell" and, in a later cell, "X is not computed yet".

Run as a script to see one bundle's problems: ``python tests/staged_bundle.py 03``.
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

if __name__ == "__main__":  # tests/helpers/ would shadow the helpers package
    sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != Path(__file__).resolve().parent]

import nbformat
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

from grading import bundle, course
from grading.engine.calling.repair import role

STUDENT_STOPS = ("(the exercise above) to run this cell", "is not computed yet: a cell above stopped")
UNWRITTEN = ("NotImplementedError", "ExerciseUnfinished")
STUB = "is the course's own answer to an exercise"


def build(through: str, out: Path) -> Path:
    """Bundle ``through`` built under ``out``; the folder a student unpacks."""
    bundle.build(course.REPO_ROOT, out, log=lambda *_: None, through=through)
    return Path(out) / bundle.NAME


def _execute(notebook, home: Path, assignment: str) -> None:
    # Unix sockets: TCP ports picked by jupyter_client can be taken by kernels of parallel tests.
    with tempfile.TemporaryDirectory(prefix="kernel-") as sockets:
        manager = KernelManager(kernel_name="python3", transport="ipc", ip=os.path.join(sockets, "k"))
        saved = os.environ.get("PYTHONPATH")
        os.environ["PYTHONPATH"] = str(home)  # the kernel imports the bundle's helpers, not the course's
        try:
            NotebookClient(notebook, km=manager, timeout=120, allow_errors=True,
                           resources={"metadata": {"path": str(home / "notebooks" / assignment)}}).execute()
        finally:
            if saved is None:
                os.environ.pop("PYTHONPATH")
            else:
                os.environ["PYTHONPATH"] = saved


def problems(home: Path, assignment: str, filled: bool) -> list[str]:
    released = nbformat.read(home / "notebooks" / assignment / f"{assignment}.ipynb", as_version=4)
    if filled:
        solution = nbformat.read(course.notebook_path(course.REPO_ROOT, "solutions", assignment), as_version=4)
        released = course.fill_answers(released, solution)
    notebook = nbformat.from_dict(released)
    _execute(notebook, home, assignment)
    found = []
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            if output.output_type != "error":
                continue
            text = "\n".join(output.get("traceback", [])) + output.get("evalue", "")
            stopped = any(s in text for s in STUDENT_STOPS)
            unwritten = role(cell) in ("answer", "test") and output.ename in UNWRITTEN and STUB not in text
            expected = not filled and (stopped or unwritten)
            if not expected:
                first_line = (output.get("evalue") or "").splitlines()[:1]
                found.append(f"{assignment} ({'filled in' if filled else 'blank'}) cell {index}: "
                             f"{output.ename}: {first_line[0][:300] if first_line else ''}")
    return found


if __name__ == "__main__":
    for number in sys.argv[1:] or [str(n) for n in range(1, len(course.assignments()) + 1)]:
        name = bundle.assignment_named(number)
        with tempfile.TemporaryDirectory() as out:
            home = build(number, Path(out))
            names = course.assignments()
            runs = [(name, True), (name, False)]
            if names.index(name) > 0:
                runs.append((names[names.index(name) - 1], False))
            for assignment, filled in runs:
                print(f"bundle {number}, {assignment}, {'filled in' if filled else 'blank'}:", flush=True)
                print("\n".join(problems(home, assignment, filled)) or "  fine", flush=True)
