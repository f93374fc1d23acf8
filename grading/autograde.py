"""Autograde every submission in parallel: worker processes, or a Dask cluster.

Each submission (``grading/submitted/<student>/<assignment>/<assignment>.ipynb``) is one
job (``grading.jobs``), graded by a worker of ``grading.pool`` (local processes, one per
core by default, or the workers of a Dask ``distributed`` cluster). This process alone
writes the results, one at a time, as each comes back:

* the gradebook (nbgrader's, SQLite or PostgreSQL, ``grading.gradebook``) gets the student,
  the submission, each test cell's automatic score, and a flag where the static scan found
  something;
* ``grading.store`` saves the feedback notebook and ``result.json`` (with the hashes of the
  submission and of the assignment's source), last, so a re-run skips every job whose
  hashes still match (``force`` regrades) and a run killed at any point loses only the jobs
  that were in flight.
"""
from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import sys
import time
from pathlib import Path

from grading import course, store
from grading import gradebook as gb
from grading.engine import Limits, SubmissionResult
from grading.jobs import Job, find_jobs
from grading.pool import WorkerPool
from grading.summary import Summary


def autograde(root: Path = course.REPO_ROOT, *, assignments: list[str] | None = None,
              students: list[str] | None = None, workers: int | None = None, scheduler: str | None = None,
              force: bool = False, db_url: str | None = None, limits: dict | None = None,
              progress: bool = True, worker_root: Path | None = None, log=print) -> Summary:
    """Grade every (selected) submission not graded yet, record it, and return a ``Summary``.

    ``limits`` are ``grading.engine.Limits`` fields (``cell_timeout_s``, ``notebook_timeout_s``,
    ``memory_mb``, ``output_kb``, ``sandbox``). ``worker_root`` is where the workers find
    the course (default: ``root``; give it when Dask workers have the checkout elsewhere).
    """
    root = Path(root).resolve()
    start = time.monotonic()
    db_url = gb.with_driver(db_url or gb.default_db_url(root))
    limits = dataclasses.asdict(Limits(**(limits or {})))
    jobs = find_jobs(root, assignments, students)
    summary = Summary()
    if not jobs:
        log(f"no submissions to grade under {root / 'grading' / 'submitted'} "
            "(course collect SOURCE, nbgrader collect, or course examples for a try)")
        return summary
    for assignment in sorted({job.assignment for job in jobs}):
        gb.ensure_assignment(root, assignment, db_url)

    with gb.open_gradebook(db_url) as gradebook:
        todo = _skip_graded(root, jobs, gradebook, force, summary)
        if not todo:
            log(f"{len(jobs)} submission(s), all graded already (use --force to regrade)")
            summary.wall_seconds = time.monotonic() - start
            return summary
        pool = WorkerPool(workers, scheduler)
        summary.workers = pool.workers
        where = f"Dask worker thread(s) of {scheduler}" if scheduler else "worker process(es)"
        log(f"{len(jobs)} submission(s): {len(summary.skipped)} graded already, {len(todo)} to grade "
            f"on {pool.workers} {where}; gradebook {gb.redacted(db_url)}")
        bar = _progress_bar(len(todo), progress)
        try:
            _run(pool, todo, root, worker_root or root, limits, gradebook, summary, bar)
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


def _skip_graded(root, jobs, gradebook, force, summary) -> list[Job]:
    """Jobs to grade; re-record into the gradebook any saved result it lacks (a new database)."""
    if force:
        return list(jobs)
    recorded = gb.recorded_scores(gradebook)
    todo = []
    for job in jobs:
        record = store.load_record(root, job.student, job.assignment)
        if (record is None or record["submission_sha256"] != job.submission_sha256
                or record["source_sha256"] != job.source_sha256):
            todo.append(job)
            continue
        summary.skipped.append(job.key)
        saved = {cell["grade_id"]: float(cell["points"]) for cell in record["result"]["cells"]}
        in_db = recorded.get(job.key, {})
        if any(in_db.get(grade_id) != points for grade_id, points in saved.items()):
            gb.record(gradebook, store.load_result(root, job.student, job.assignment), job.timestamp())
            summary.rerecorded.append(job.key)
    return todo


def _run(pool, todo, root, worker_root, limits, gradebook, summary, bar) -> None:
    queue = list(reversed(todo))
    in_flight: dict[cf.Future, tuple[Job, int]] = {}
    capacity = 2 * pool.workers  # enough to keep every worker busy; jobs carry their notebook

    def submit(job: Job, attempt: int) -> None:
        task = {"course_root": str(worker_root), "student": job.student, "assignment": job.assignment,
                "notebook": job.path.read_bytes(), "limits": limits}
        in_flight[pool.submit(task)] = (job, attempt)

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
            result = SubmissionResult.from_json(result_json)
            gb.record(gradebook, result, job.timestamp())
            store.save_result(root, job, result_json)
            summary.graded.append(job.key)
            summary.sandboxes[result.sandbox] += 1
            summary.grading_seconds += float(result.seconds)
            bar.set_postfix_str(f"last {job.student}/{job.assignment} {result.score:g}/{result.max_score:g}",
                                refresh=False)
            bar.update(1)
        if broken:
            # A worker process died (killed, out of memory): every job in flight failed with it.
            # Retry them on a fresh pool; a job that breaks the pool twice is reported.
            broken.extend(in_flight.values())
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
