"""The saved results of autograding: one folder per graded submission, read by feedback and report.

``grading/autograded/<student>/<assignment>/`` holds the grader's feedback notebook
(``<assignment>.ipynb``: the student's answers and outputs, one result per test cell, no
hidden tests), which formgrader and ``course feedback`` read, and ``result.json``: scores,
messages, flags, notes, the sandbox used, and the SHA-256 of the submission and of the
assignment's source. ``result.json`` is written last (temporary file + rename), so it marks
the submission as done: a re-run skips it while both hashes match, and a run killed at any
point loses only what was in flight.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from pathlib import Path

from grading import course

RESULT_FILE = "result.json"
RESULT_FORMAT = 1


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def autograded_dir(root: Path, student: str, assignment: str) -> Path:
    return Path(root) / "grading" / "autograded" / student / assignment


def _process_umask() -> int:
    mask = os.umask(0)  # reading it means setting it: done once, at import, before any thread starts
    os.umask(mask)
    return mask


_UMASK = _process_umask()


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that a reader sees the old file or the whole new one, never a part.
    The file gets the mode ``open()`` would give it (mkstemp's 0600 would keep a feedback page that
    ``nbgrader release_feedback`` copies into the exchange from its student)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_result(root: Path, job, result_json: dict) -> None:
    """Save a ``grading.jobs.Job``'s result: feedback notebook first, then ``result.json`` (the marker
    that the job is done)."""
    import nbformat

    folder = autograded_dir(root, job.student, job.assignment)
    record = {key: value for key, value in result_json.items() if key != "feedback"}
    feedback = nbformat.from_dict(result_json["feedback"])
    write_atomically(folder / f"{job.assignment}.ipynb", nbformat.writes(feedback))
    write_atomically(folder / RESULT_FILE, json.dumps({
        "format": RESULT_FORMAT,
        "submission_sha256": job.submission_sha256,
        "source_sha256": job.source_sha256,
        "graded_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "result": record,
    }, indent=1))


def load_record(root: Path, student: str, assignment: str) -> dict | None:
    """The saved ``result.json`` of a graded submission, or None (absent or unreadable)."""
    path = autograded_dir(root, student, assignment) / RESULT_FILE
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if record.get("format") == RESULT_FORMAT else None


def load_result(root: Path, student: str, assignment: str):
    """A graded submission's ``SubmissionResult``, feedback notebook included."""
    import nbformat

    from grading.engine import SubmissionResult

    record = load_record(root, student, assignment)
    if record is None:
        raise FileNotFoundError(f"{student}/{assignment} has not been autograded")
    feedback = nbformat.read(autograded_dir(root, student, assignment) / f"{assignment}.ipynb", as_version=4)
    return SubmissionResult.from_json({**record["result"], "feedback": feedback})


def graded_records(root: Path = course.REPO_ROOT) -> list[dict]:
    """Every saved result (without feedback), sorted by student and assignment."""
    records = []
    for path in sorted((Path(root) / "grading" / "autograded").glob(f"*/*/{RESULT_FILE}")):
        record = load_record(root, path.parent.parent.name, path.parent.name)
        if record is not None:
            records.append(record["result"])
    return records
