"""Autograde every submission in parallel: worker processes, or a Dask cluster.

Each submission (``grading/submitted/<student>/<assignment>/<assignment>.ipynb``) is one
job. A worker only calls ``grading.engine.grade_submission`` (the sandboxed grader of one
notebook, with per-cell and per-notebook time limits) and returns the result as JSON; the
parent process alone writes the gradebook and the files, one result at a time:

* the gradebook (nbgrader's, SQLite or PostgreSQL) gets the student, the submission, each
  test cell's automatic score, and a flag where the static scan found something;
* ``grading/autograded/<student>/<assignment>/<assignment>.ipynb``: the feedback notebook
  (the student's answers, outputs and one result per test cell, no hidden tests), which
  formgrader and ``course feedback`` read;
* ``grading/autograded/<student>/<assignment>/result.json``: scores, messages, flags,
  notes, the sandbox used, and the SHA-256 of the submission and of the assignment's
  source. It is written last (temporary file + rename), so it marks the job done: a re-run
  skips every job whose hashes still match (``force`` regrades), and a run killed at any
  point loses only the jobs that were in flight.

Workers are a ``ProcessPoolExecutor`` (default: one per core) or, given a scheduler
address, the workers of a Dask ``distributed`` cluster. Either way the submission travels
with the job, so a Dask worker needs the course checkout (solutions/, notebooks/, helpers)
but not the submissions.
"""
from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import hashlib
import importlib
import json
import multiprocessing
import os
import sys
import tempfile
import time
from collections import Counter
from fnmatch import fnmatch
from pathlib import Path

from grading import course
from grading import gradebook as gb

GRADER = "grading.engine:grade_submission"
RESULT_FILE = "result.json"
RESULT_FORMAT = 1


@dataclasses.dataclass(frozen=True)
class Job:
    """One submission to grade."""

    student: str
    assignment: str
    path: Path               # the submitted notebook
    submission_sha256: str
    source_sha256: str       # of solutions/<assignment>/<assignment>.ipynb

    @property
    def key(self) -> tuple[str, str]:
        return self.student, self.assignment


@dataclasses.dataclass
class Summary:
    """What one run did; ``errors`` are jobs the grader could not grade (instructor errors)."""

    graded: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    skipped: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    rerecorded: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    errors: dict[tuple[str, str], str] = dataclasses.field(default_factory=dict)
    sandboxes: Counter = dataclasses.field(default_factory=Counter)
    grading_seconds: float = 0.0     # sum over graded jobs of the grader's own time
    wall_seconds: float = 0.0
    workers: int = 0


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def find_jobs(root: Path = course.REPO_ROOT, assignments: list[str] | None = None,
              students: list[str] | None = None) -> list[Job]:
    """Every submission under ``grading/submitted/``, filtered by assignment names and student globs."""
    root = Path(root)
    known = course.assignments(root)
    unknown = sorted(set(assignments or []) - set(known))
    if unknown:
        raise ValueError(f"unknown assignment(s) {', '.join(unknown)}; the course has {', '.join(known)}")
    wanted = assignments or known
    source_sha = {a: sha256(course.notebook_path(root, "solutions", a)) for a in wanted}
    submitted = root / "grading" / "submitted"
    jobs = []
    for student_dir in sorted(p for p in submitted.glob("*") if p.is_dir()) if submitted.is_dir() else []:
        if students and not any(fnmatch(student_dir.name, pattern) for pattern in students):
            continue
        for assignment in wanted:
            path = student_dir / assignment / f"{assignment}.ipynb"
            if path.is_file():
                jobs.append(Job(student_dir.name, assignment, path, sha256(path), source_sha[assignment]))
    return jobs


def autograded_dir(root: Path, student: str, assignment: str) -> Path:
    return Path(root) / "grading" / "autograded" / student / assignment


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_result(root: Path, job: Job, result_json: dict) -> None:
    """Feedback notebook first, then ``result.json`` (the marker that the job is done)."""
    import nbformat

    folder = autograded_dir(root, job.student, job.assignment)
    record = {key: value for key, value in result_json.items() if key != "feedback"}
    feedback = nbformat.from_dict(result_json["feedback"])
    _write_atomically(folder / f"{job.assignment}.ipynb", nbformat.writes(feedback))
    _write_atomically(folder / RESULT_FILE, json.dumps({
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


def load_result(root: Path, student: str, assignment: str, engine=None):
    """A graded submission's ``SubmissionResult``, feedback notebook included."""
    import nbformat

    record = load_record(root, student, assignment)
    if record is None:
        raise FileNotFoundError(f"{student}/{assignment} has not been autograded")
    engine = engine or _engine_module(GRADER)
    feedback = nbformat.read(autograded_dir(root, student, assignment) / f"{assignment}.ipynb", as_version=4)
    return engine.SubmissionResult.from_json({**record["result"], "feedback": feedback})


def graded_records(root: Path = course.REPO_ROOT) -> list[dict]:
    """Every saved result (without feedback), sorted by student and assignment."""
    records = []
    for path in sorted((Path(root) / "grading" / "autograded").glob(f"*/*/{RESULT_FILE}")):
        record = load_record(root, path.parent.parent.name, path.parent.name)
        if record is not None:
            records.append(record["result"])
    return records


def _engine_module(grader: str):
    return importlib.import_module(grader.split(":")[0])


def grade_job(task: dict) -> dict:
    """Run in a worker: grade one submission (sent as bytes) and return ``SubmissionResult.to_json()``."""
    module_name, function_name = task["grader"].split(":")
    engine = importlib.import_module(module_name)
    with tempfile.TemporaryDirectory(prefix="course-job-") as scratch:
        folder = Path(scratch) / task["student"] / task["assignment"]
        folder.mkdir(parents=True)
        notebook = folder / f"{task['assignment']}.ipynb"
        notebook.write_bytes(task["notebook"])
        result = getattr(engine, function_name)(
            Path(task["course_root"]), task["assignment"], task["student"], notebook,
            engine.Limits(**task["limits"]),
        )
    return result.to_json()


def _timestamp(job: Job) -> str | None:
    stamp = job.path.parent / "timestamp.txt"  # written by nbgrader collect / zip_collect
    if not stamp.is_file():
        return None
    return stamp.read_text().strip() or None


class _Pool:
    """Workers behind one ``submit``: local processes, or a Dask cluster's ``ClientExecutor``."""

    def __init__(self, workers: int | None, scheduler: str | None):
        self.client = None
        if scheduler:
            try:
                from distributed import Client
            except ModuleNotFoundError:
                raise RuntimeError("--scheduler needs Dask distributed: pip install -e '.[instructor]'") from None
            self.client = Client(scheduler, timeout="30s")
            self.workers = max(1, sum(self.client.nthreads().values()))
            self.executor = self.client.get_executor(pure=False)
        else:
            self.workers = workers or os.cpu_count() or 1
            self._start_processes()

    def _start_processes(self) -> None:
        # spawn: workers start clean, share nothing with the parent's open gradebook connection.
        self.executor = cf.ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"))

    def restart(self) -> None:
        """After a worker died (killed, out of memory): a fresh process pool."""
        self.close(kill=True)
        self._start_processes()

    def close(self, kill: bool = False) -> None:
        if self.client is not None:
            self.executor.shutdown(wait=False)
            self.client.close()
            return
        processes = list(getattr(self.executor, "_processes", {}).values()) if kill else []
        self.executor.shutdown(wait=not kill, cancel_futures=kill)
        for process in processes:  # a job in flight must not outlive an interrupted run
            if process.is_alive():
                process.terminate()


def autograde(root: Path = course.REPO_ROOT, *, assignments: list[str] | None = None,
              students: list[str] | None = None, workers: int | None = None, scheduler: str | None = None,
              force: bool = False, db_url: str | None = None, limits: dict | None = None,
              grader: str = GRADER, progress: bool = True, worker_root: Path | None = None,
              log=print) -> Summary:
    """Grade every (selected) submission not graded yet, record it, and return a ``Summary``.

    ``limits`` are ``grading.engine.Limits`` fields (``cell_timeout_s``, ``notebook_timeout_s``,
    ``memory_mb``, ``output_kb``, ``sandbox``). ``worker_root`` is where the workers find
    the course (default: ``root``; give it when Dask workers have the checkout elsewhere).
    """
    root = Path(root).resolve()
    start = time.monotonic()
    db_url = gb.with_driver(db_url or gb.default_db_url(root))
    engine = _engine_module(grader)
    limits = dataclasses.asdict(engine.Limits(**(limits or {})))
    jobs = find_jobs(root, assignments, students)
    summary = Summary()
    if not jobs:
        log(f"no submissions to grade under {root / 'grading' / 'submitted'} "
            "(course collect SOURCE, nbgrader collect, or course examples for a try)")
        return summary
    for assignment in sorted({job.assignment for job in jobs}):
        gb.ensure_assignment(root, assignment, db_url)

    with gb.open_gradebook(db_url) as gradebook:
        todo = _skip_graded(root, jobs, gradebook, force, engine, summary)
        if not todo:
            log(f"{len(jobs)} submission(s), all graded already (use --force to regrade)")
            summary.wall_seconds = time.monotonic() - start
            return summary
        pool = _Pool(workers, scheduler)
        summary.workers = pool.workers
        where = f"Dask worker thread(s) of {scheduler}" if scheduler else "worker process(es)"
        log(f"{len(jobs)} submission(s): {len(summary.skipped)} graded already, {len(todo)} to grade "
            f"on {pool.workers} {where}; gradebook {gb.redacted(db_url)}")
        bar = _progress_bar(len(todo), progress)
        try:
            _run(pool, todo, root, worker_root or root, limits, grader, engine, gradebook, summary, bar)
        except BaseException as error:
            pool.close(kill=True)
            bar.close()
            log(f"{'interrupted' if isinstance(error, KeyboardInterrupt) else 'stopped'}: "
                f"{len(summary.graded)} submission(s) graded and saved in this run; "
                "run the same command again to grade the rest")
            raise
        pool.close()
        bar.close()
    summary.wall_seconds = time.monotonic() - start
    return summary


def _skip_graded(root, jobs, gradebook, force, engine, summary) -> list[Job]:
    """Jobs to grade; re-record into the gradebook any saved result it lacks (a new database)."""
    if force:
        return list(jobs)
    recorded = gb.recorded_scores(gradebook)
    todo = []
    for job in jobs:
        record = load_record(root, job.student, job.assignment)
        if (record is None or record["submission_sha256"] != job.submission_sha256
                or record["source_sha256"] != job.source_sha256):
            todo.append(job)
            continue
        summary.skipped.append(job.key)
        saved = {cell["grade_id"]: float(cell["points"]) for cell in record["result"]["cells"]}
        in_db = recorded.get(job.key, {})
        if any(in_db.get(grade_id) != points for grade_id, points in saved.items()):
            gb.record(gradebook, load_result(root, job.student, job.assignment, engine), _timestamp(job))
            summary.rerecorded.append(job.key)
    return todo


def _run(pool, todo, root, worker_root, limits, grader, engine, gradebook, summary, bar) -> None:
    queue = list(reversed(todo))
    in_flight: dict[cf.Future, tuple[Job, int]] = {}
    capacity = 2 * pool.workers  # enough to keep every worker busy; jobs carry their notebook

    def submit(job: Job, attempt: int) -> None:
        task = {"grader": grader, "course_root": str(worker_root), "student": job.student,
                "assignment": job.assignment, "notebook": job.path.read_bytes(), "limits": limits}
        in_flight[pool.executor.submit(grade_job, task)] = (job, attempt)

    while queue or in_flight:
        while queue and len(in_flight) < capacity:
            submit(queue.pop(), 1)
        done, _ = cf.wait(in_flight, return_when=cf.FIRST_COMPLETED)
        broken = []
        for future in done:
            job, attempt = in_flight.pop(future)
            try:
                result_json = future.result()
            except cf.process.BrokenProcessPool:
                broken.append((job, attempt))
                continue
            except Exception as error:  # the grader refused the job: an instructor error, reported
                summary.errors[job.key] = f"{type(error).__name__}: {error}"
                bar.update(1)
                continue
            result = engine.SubmissionResult.from_json(result_json)
            gb.record(gradebook, result, _timestamp(job))
            save_result(root, job, result_json)
            summary.graded.append(job.key)
            summary.sandboxes[result.sandbox] += 1
            summary.grading_seconds += float(result.seconds)
            bar.set_postfix_str(f"last {job.student}/{job.assignment} {result.score:g}/{result.max_score:g}",
                                refresh=False)
            bar.update(1)
        if broken:
            # A worker process died (killed, out of memory): every job in flight failed with it.
            # Retry them on a fresh pool; a job that breaks the pool twice is reported.
            for other, (job, attempt) in list(in_flight.items()):
                broken.append((job, attempt))
            in_flight.clear()
            pool.restart()
            for job, attempt in broken:
                if attempt >= 2:
                    summary.errors[job.key] = "a worker process died twice while grading this submission"
                    bar.update(1)
                else:
                    submit(job, attempt + 1)


def _progress_bar(total: int, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, unit="nb", desc="autograde", disable=not enabled, file=sys.stderr,
                dynamic_ncols=True, smoothing=0.1)


def describe(summary: Summary) -> str:
    """A few lines for the instructor: counts, time per notebook, sandbox used, errors."""
    lines = [f"graded {len(summary.graded)}, skipped {len(summary.skipped)} (already graded), "
             f"errors {len(summary.errors)}; {summary.wall_seconds:.1f} s wall"]
    if summary.graded:
        per_notebook = summary.grading_seconds / len(summary.graded)
        lines.append(f"{per_notebook:.2f} s of grading per notebook; "
                     f"{summary.wall_seconds / len(summary.graded):.2f} s wall per notebook on "
                     f"{summary.workers} worker(s)")
    if summary.rerecorded:
        lines.append(f"re-recorded {len(summary.rerecorded)} saved result(s) missing from the gradebook")
    for sandbox, count in summary.sandboxes.items():
        warn = "  <-- NOT SANDBOXED: install bubblewrap (bwrap)" if sandbox.upper().startswith("NONE") else ""
        lines.append(f"sandbox {sandbox}: {count} notebook(s){warn}")
    for (student, assignment), message in sorted(summary.errors.items()):
        lines.append(f"ERROR {student}/{assignment}: {message}")
    return "\n".join(lines)
