"""``grade_submission``: one submission, graded in two processes, never at the student's mercy.

In this (the calling) process: read the course's source and released notebooks and the
submission, repair the submission (``repair``), flag suspicious code (``static``), choose
the sandbox (``sandbox``) and the ``helpers`` it gets (``staged``: without the functions
``references`` finds for this assignment) and the cells grading needs (``names.cells_needed``),
then hand the job to a warm grader process (``graders``, ``grader``), which runs the
course's setup and test cells and drives the sandboxed student process (``student``).
Only this process reads ``solutions/``; nothing here writes a gradebook.
"""
from __future__ import annotations

import tempfile
import time
from dataclasses import asdict
from pathlib import Path

import nbformat

from . import feedback, graders, names, references, staged, static
from ..grader import outputs
from .repair import repair, role
from .results import CellResult, Flag, Limits, SubmissionResult
from ..grader.sandbox import choose


def course_notebooks(course_root: Path, assignment: str) -> tuple[nbformat.NotebookNode, nbformat.NotebookNode]:
    """The assignment's source (solutions/) and released (notebooks/) notebooks."""
    paths = [Path(course_root) / area / assignment / f"{assignment}.ipynb" for area in ("solutions", "notebooks")]
    for path, hint in zip(paths, ("unknown assignment", "run `make release`")):
        if not path.is_file():
            raise FileNotFoundError(f"{path} does not exist ({hint}: {assignment!r})")
    return tuple(nbformat.read(path, as_version=4) for path in paths)


def grade_submission(course_root: Path, assignment: str, student: str, submission: Path,
                     limits: Limits = Limits(), run_all_cells: bool = False,
                     timings: dict | None = None) -> SubmissionResult:
    """Grade ``submission`` (a notebook file) of ``student`` for ``assignment`` of the course at
    ``course_root``. Raises only for the instructor's errors (unknown assignment, missing files).

    Only the cells grading needs run: the setup, the answer cells, the test cells, the cells
    the static scan flags, and the cells these depend on (``names.cells_needed``); the others
    (experiments, figures, widgets) show a note in the feedback. ``run_all_cells`` runs every
    cell, as a notebook run would. ``timings``, if given, receives the seconds of each phase
    and the grader's round trips (for ``bench/``)."""
    started = time.monotonic()
    course_root = Path(course_root).resolve()
    source, release = course_notebooks(course_root, assignment)
    if not Path(submission).is_file():
        raise FileNotFoundError(f"submission {submission} does not exist")
    notes = []
    try:
        handed_in = nbformat.read(submission, as_version=4)
    except Exception as error:
        handed_in = nbformat.v4.new_notebook()
        notes.append(f"the submission could not be read as a notebook ({type(error).__name__}); "
                     "it was graded as an empty one")
    repaired = repair(source, release, handed_in)
    import helpers

    helpers_dir = Path(helpers.__file__).resolve().parent
    sandbox = choose(limits.sandbox, str(helpers_dir), str(course_root))
    owner = references.owners(course_root)
    absent = {name: owner[name] for name in references.absent_while_grading(assignment, course_root)}
    job, shown, flags = _job(source, release, repaired, limits, set(absent), run_all_cells)
    job["sandbox"] = {"kind": sandbox.kind, "helpers_dir": str(staged.cached(helpers_dir, absent)),
                      "drop_uid": sandbox.drop_uid}
    job["absent"] = sorted(absent)
    job["preload"] = names.import_statements([cell.source for cell in repaired.cells if cell.kind == "setup"])
    release_dir = course_root / "notebooks" / assignment
    job["data_files"] = [str(p) for p in sorted(release_dir.iterdir())
                         if p.is_file() and p.suffix != ".ipynb" and not p.name.startswith(".")]
    prepared = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="submission-", ignore_cleanup_errors=True) as workdir:
        job["workdir"] = workdir  # removed here, even if the grader process is killed
        outcome = graders.run({**job, "cwd": str(release_dir)}, limits.notebook_timeout_s + 120)
    graded = time.monotonic()
    cells = [CellResult(r["grade_id"], float(r["points"]), float(r["max_points"]), r["message"])
             for r in outcome["results"]]
    flags += [Flag(label, 0, kind, "") for label, kind in outcome["events"]]
    notes += repaired.notes + outcome["notes"]
    cell_outputs = {int(index): items for index, items in outcome["outputs"].items()}
    cell_outputs.update({index: [outputs.not_run()] for index, cell in enumerate(job["cells"]) if cell.get("skip")})
    notebook = feedback.build(release, repaired.cells, shown, cell_outputs, cells, notes)
    if timings is not None:
        timings.update(outcome["seconds"], requests=outcome["requests"])
        timings.update({"read, repair, scan": prepared - started, "feedback notebook": time.monotonic() - graded,
                        "grader process start and exit": graded - prepared - timings["grader, in all"]})
    return SubmissionResult(assignment, student, cells, repaired.flags + flags, notes, sandbox.kind,
                            round(time.monotonic() - started, 3), notebook, repaired.written)


def _job(source, release, repaired, limits: Limits, absent: set[str],
         run_all_cells: bool) -> tuple[dict, dict[int, str], list[Flag]]:
    """The grader's job (cells with what the grader needs to know about each, and whether it
    is skipped), the student's own text of each code cell, and the static flags (``absent``:
    the functions the sandbox lacks, whose use is flagged)."""
    setup = [c.source for c in repaired.cells if c.kind == "setup"]
    students = {i: c for i, c in enumerate(repaired.cells) if c.kind == "code"}
    aliases = names.imports(setup + [c.source for c in students.values()])
    course_names = frozenset(names.imports(setup))
    absent_names = {name.replace(":", ".") for name in absent}
    # What the released notebook itself holds is no student's doing (a metadata-stripped setup
    # cell imports helpers, say): only what differs from it is flagged.
    given = [c.source for c in release.cells if c.cell_type == "code"]
    answers = [c.source for c in source.cells if role(c) == "answer" and c.cell_type == "code"]
    answer_names = {n for text in answers for n in names.names_bound(text)}
    # The course's code a student may call unflagged: what the setup imports and the answers use.
    course_code = frozenset(names.imports(setup).values()) | static.helpers_names(
        answers, names.imports(setup + answers))
    baseline = {(f.kind, f.code) for text in given
                for f in static.scan(text, "", aliases, absent_names, course_names, course_code)}
    flags, shown, cells = [], {}, []
    for index, cell in enumerate(repaired.cells):
        entry = {"kind": cell.kind, "label": cell.label, "source": cell.source, "grade_id": cell.grade_id,
                 "points": cell.points}
        if cell.kind == "setup":
            entry["source"] = static.ipython_free(cell.source)[0]
        elif cell.kind == "code":
            shown[index] = cell.source
            entry["source"], removed = static.ipython_free(cell.source)
            lines = cell.source.splitlines()
            flags += [Flag(cell.label, n, "ipython-shell", lines[n - 1].strip()[:200]) for n in removed]
            flags += [f for f in static.scan(entry["source"], cell.label, aliases, absent_names, course_names,
                                             course_code) if (f.kind, f.code) not in baseline]
        elif cell.kind == "test":
            # The names the grader may look up in the submission: not those the test binds
            # itself, so the student's process is only asked for what a notebook would take from it.
            local = names.names_local(cell.source)
            entry.update(names=[n for n in names.names_read(cell.source) if n in answer_names or n not in local],
                         assigns=names.names_bound(cell.source))
        cells.append(entry)
    # Suspicious code always runs: what it does at run time is flagged too.
    flagged = {flag.cell for flag in flags}
    code = [entry for entry in cells if entry["kind"] in ("setup", "code", "test")]
    graded = [entry["kind"] != "code" or entry["grade_id"] is not None or entry["label"] in flagged or run_all_cells
              for entry in code]
    for entry, needed in zip(code, names.cells_needed([entry["source"] for entry in code], graded)):
        entry["skip"] = not needed
    job = {"cells": cells, "limits": asdict(limits), "answer_names": sorted(answer_names)}
    return job, shown, flags
