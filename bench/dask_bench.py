"""Grading at scale: a class of 1,000 notebooks through a Dask cluster whose scheduler and two
workers are separate processes (``dask scheduler``, ``dask worker``), the way an instructor
spreads grading over machines, against local worker processes in the same run.

The class is the grading section's (``grading_bench.build_class``: the well-behaved example
submissions, drawn in turn, over every assignment). Two runs, each in a fresh copy of the
course with its own gradebook:

* **Dask**: ``dask scheduler`` and two ``dask worker --nthreads 1`` processes are started as
  commands, and ``course autograde --scheduler`` (``grading.autograde.autograde``) grades the
  whole class on them;
* **local**: the same function with two local worker processes grades the first tenth of the
  class (at least the quick class), the anchor for the ratio.

Reported: notebooks per second, and per core (the two workers' single threads), for each; their
ratio; and that every notebook was graded with no error. The two runs are not interleaved: each
takes minutes, so compare the rates of one run with each other, never across runs.

    .venv/bin/python bench/dask_bench.py                    # 1,000 notebooks
    .venv/bin/python bench/dask_bench.py --notebooks 200
    .venv/bin/python bench/dask_bench.py --quick            # 4 notebooks: proves it works
"""
from __future__ import annotations

import argparse
import contextlib
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(1, str(BENCH.parent))

from common import log, section, text_table  # noqa: E402
from grading_bench import build_class, fresh_course  # noqa: E402

NAME = "dask"
TITLE = "7. Grading at scale: a class through a Dask scheduler and two dask worker processes"
NOTEBOOKS, QUICK_NOTEBOOKS = 1000, 4
WORKERS = 2
START_TIMEOUT_S = 120


@contextlib.contextmanager
def dask_cluster(scratch: Path, workers: int = WORKERS):
    """Start ``dask scheduler`` and ``workers`` × ``dask worker --nthreads 1`` as processes;
    yield the scheduler's address; stop them all on leaving."""
    from distributed import Client

    dask = str(Path(sys.executable).with_name("dask"))
    scheduler_file = scratch / "scheduler.json"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.STDOUT}
    processes = [subprocess.Popen([dask, "scheduler", "--scheduler-file", str(scheduler_file),
                                   "--host", "127.0.0.1", "--port", "0", "--dashboard-address", ":0"], **quiet)]
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not scheduler_file.exists():
            if time.monotonic() > deadline or processes[0].poll() is not None:
                raise RuntimeError("dask scheduler did not start")
            time.sleep(0.2)
        for index in range(workers):
            processes.append(subprocess.Popen(
                [dask, "worker", "--scheduler-file", str(scheduler_file), "--nthreads", "1", "--nworkers", "1",
                 "--no-dashboard", "--local-directory", str(scratch / f"worker{index}")], **quiet))
        with Client(scheduler_file=str(scheduler_file), timeout="60s") as client:
            client.wait_for_workers(workers, timeout=START_TIMEOUT_S)
            address = client.scheduler.address
        yield address
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def _grade(root: Path, **where) -> tuple[float, object]:
    from grading import autograde

    start = time.perf_counter()
    summary = autograde.autograde(root, progress=False, log=lambda *_: None, **where)
    seconds = time.perf_counter() - start
    if summary.errors:
        raise RuntimeError(f"grading failed on {len(summary.errors)} notebook(s): {dict(summary.errors)}")
    return seconds, summary


def _class(root: Path, assignments: list[str], notebooks: int) -> int:
    """``notebooks`` submissions (students × assignments, the last student's list cut short)."""
    students = math.ceil(notebooks / len(assignments))
    build_class(root, assignments, students)
    submitted = sorted((root / "grading" / "submitted").glob("*/*/*.ipynb"),
                       key=lambda path: (path.parent.name, path.parents[1].name))
    for extra in submitted[notebooks:]:
        shutil.rmtree(extra.parent)
    return min(notebooks, len(submitted))


def run(quick: bool = False, notebooks: int | None = None) -> dict:
    from grading import course

    notebooks = notebooks or (QUICK_NOTEBOOKS if quick else NOTEBOOKS)
    assignments = course.assignments(course.REPO_ROOT)[: 2 if quick else None]
    anchor = max(QUICK_NOTEBOOKS, notebooks // 10)
    with tempfile.TemporaryDirectory(prefix="dask-bench-") as scratch:
        scratch = Path(scratch)
        dask_root = fresh_course(scratch, "dask", assignments)
        local_root = fresh_course(scratch, "local", assignments)
        total = _class(dask_root, assignments, notebooks)
        anchor = _class(local_root, assignments, min(anchor, total))
        log(f"  {total} notebooks through Dask, {anchor} through local processes ...")
        with dask_cluster(scratch) as address:
            dask_seconds, dask_summary = _grade(dask_root, scheduler=address)
        local_seconds, local_summary = _grade(local_root, workers=WORKERS)
    if len(dask_summary.graded) != total or len(local_summary.graded) != anchor:
        raise RuntimeError(f"graded {len(dask_summary.graded)} of {total} (Dask) and "
                           f"{len(local_summary.graded)} of {anchor} (local)")
    rows = []
    for mode, count, seconds, summary in (
            ("Dask: dask scheduler + 2 dask worker processes", total, dask_seconds, dask_summary),
            ("local: 2 worker processes (anchor)", anchor, local_seconds, local_summary)):
        rows.append({"mode": mode, "notebooks": count, "wall s": seconds, "notebooks / s": count / seconds,
                     "notebooks / s / core": count / seconds / WORKERS,
                     "grading s / notebook": summary.grading_seconds / count})
    ratio = rows[0]["notebooks / s"] / rows[1]["notebooks / s"]
    notes = [f"Dask's rate / the local processes' rate, same run: {ratio:.2f}×",
             f"{os.cpu_count()} cores; each Dask worker runs one thread, so a core per worker",
             "the class: the well-behaved example submissions drawn in turn over "
             f"{len(assignments)} assignment(s); every notebook graded, none with an error",
             "not interleaved (each run takes minutes): compare within one run only"]
    return section(NAME, TITLE, ["mode", "notebooks", "wall s", "notebooks / s", "notebooks / s / core",
                                 "grading s / notebook"], rows, notes=notes)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_NOTEBOOKS} notebooks of two assignments")
    parser.add_argument("--notebooks", type=int, help=f"notebooks in the class (default {NOTEBOOKS})")
    args = parser.parse_args(argv)
    result = run(args.quick, args.notebooks)
    print(text_table(result["columns"], result["rows"]))
    for note in result["notes"]:
        print(" ", note)
    return 0


if __name__ == "__main__":
    sys.exit(main())
