"""Where submissions are graded: local worker processes, or the workers of a Dask cluster.

A worker only calls ``grading.engine.grade_submission`` (the sandboxed grader of one
notebook) and returns the result as JSON; it never touches the gradebook or the saved
results. The submission travels with the job, so a Dask worker needs the course checkout
(solutions/, notebooks/, helpers) but not the submissions.
"""
from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import tempfile
from pathlib import Path


def grade_job(task: dict) -> dict:
    """Run in a worker: grade one submission (sent as bytes) and return ``SubmissionResult.to_json()``."""
    from grading import engine

    with tempfile.TemporaryDirectory(prefix="course-job-") as scratch:
        folder = Path(scratch) / task["student"] / task["assignment"]
        folder.mkdir(parents=True)
        notebook = folder / f"{task['assignment']}.ipynb"
        notebook.write_bytes(task["notebook"])
        result = engine.grade_submission(
            Path(task["course_root"]), task["assignment"], task["student"], notebook,
            engine.Limits(**task["limits"]),
        )
    return result.to_json()


class WorkerPool:
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

    def submit(self, task: dict) -> cf.Future:
        return self.executor.submit(grade_job, task)

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
