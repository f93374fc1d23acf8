"""Course: how long each solution notebook takes to run, with and without starting its kernel.

Every ``solutions/NN_topic/NN_topic.ipynb`` that exists when the bench runs
(``grading.course.assignments()``) is executed top to bottom with nbclient, in a temporary
copy of its folder (so nothing it writes lands in the repository). *Kernel start* is the
time until the kernel answers; *cells* is the time of running every cell, including the
first imports of NumPy, matplotlib and helpers, which a student waits for too;
*total* = both, what "Restart kernel and run all" costs. A notebook that raises is reported
with its error and counted as failing its target.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import nbformat

from common import log, section, target

from grading.course import REPO_ROOT, assignments, notebook_path

NAME = "notebooks"
TITLE = "3. Course: execution time of every solution notebook"
NOTEBOOK_LIMIT_S, COURSE_LIMIT_S = 20.0, 90.0


def _cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU time of process ``pid`` so far (Linux ``/proc``), or None."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, TypeError):
        return None


def execute(path: Path) -> tuple[float, float]:
    """``(kernel start seconds, cells seconds)`` of one top-to-bottom run of ``path``
    (``grading_bench`` uses it for its plain-run anchor)."""
    kernel, cells, _ = execute_measured(path)
    return kernel, cells


def execute_measured(path: Path) -> tuple[float, float, float | None]:
    """``(kernel start s, cells s, cells CPU s)`` of one top-to-bottom run of ``path``;
    the CPU time is the kernel process's (None where ``/proc`` cannot tell)."""
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory() as folder:
        shutil.copytree(path.parent, folder, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        client = NotebookClient(notebook, timeout=300, kernel_name="python3",
                                resources={"metadata": {"path": folder}})
        start = time.perf_counter()
        # the kernel's own stderr carries only its start-up chatter; cell output comes back
        # through the client, errors included
        with client.setup_kernel(stderr=subprocess.DEVNULL):
            ready = time.perf_counter()
            pid = getattr(getattr(client.km, "provisioner", None), "pid", None)
            cpu_ready = _cpu_seconds(pid)
            for index, cell in enumerate(notebook.cells):
                client.execute_cell(cell, index)
            done = time.perf_counter()
            cpu_done = _cpu_seconds(pid)
    cpu = cpu_done - cpu_ready if cpu_ready is not None and cpu_done is not None else None
    return ready - start, done - ready, cpu


def run(quick: bool = False) -> dict:
    names = assignments(REPO_ROOT)
    chosen = names[:1] if quick else names
    rows, targets = [], []
    total = 0.0
    for name in chosen:
        log(f"  notebook {name}")
        try:
            kernel, cells, cpu = execute_measured(notebook_path(REPO_ROOT, "solutions", name))
        except Exception as error:  # a broken notebook is a result, not a crash of the bench
            message = str(error).strip().splitlines()
            rows.append({"notebook": name, "error": (message[-1] if message else type(error).__name__)[:120]})
            targets.append(target(f"notebook {name} (total seconds)", None, f"≤ {NOTEBOOK_LIMIT_S:.0f}",
                                  False))
            continue
        total += kernel + cells
        rows.append({"notebook": name, "kernel start s": kernel, "cells s": cells, "cells CPU s": cpu,
                     "total s": kernel + cells, f"≤ {NOTEBOOK_LIMIT_S:.0f} s": kernel + cells <= NOTEBOOK_LIMIT_S})
        targets.append(target(f"notebook {name} (total seconds)", kernel + cells,
                              f"≤ {NOTEBOOK_LIMIT_S:.0f}", kernel + cells <= NOTEBOOK_LIMIT_S))
    complete = len(chosen) == len(names) and all("error" not in row for row in rows)
    rows.append({"notebook": f"course ({len(chosen)} of {len(names)} notebooks)",
                 "kernel start s": sum(r.get("kernel start s", 0.0) for r in rows),
                 "cells s": sum(r.get("cells s", 0.0) for r in rows),
                 "cells CPU s": sum(r.get("cells CPU s") or 0.0 for r in rows), "total s": total,
                 f"≤ {NOTEBOOK_LIMIT_S:.0f} s": None})
    targets.append(target("whole course (total seconds)", total if complete else None,
                          f"≤ {COURSE_LIMIT_S:.0f}", (total <= COURSE_LIMIT_S) if complete else None))
    notes = ["One run per notebook, serially, in wall time (no repetition: a full course run takes "
             "a minute or more); the course total is the sum of the totals, and the targets apply to them.",
             "'cells CPU s' is the kernel process's CPU time over the cells: near 'cells s' on an idle "
             "machine, below it when other processes hold the cores (BLAS threads can push it above)."]
    if quick:
        notes.append(f"quick mode: only the first notebook ({chosen[0] if chosen else 'none'}).")
    columns = ["notebook", "kernel start s", "cells s", "cells CPU s", "total s", f"≤ {NOTEBOOK_LIMIT_S:.0f} s"]
    if any("error" in row for row in rows):
        columns.append("error")
    return section(NAME, TITLE, columns, rows, targets=targets, notes=notes)
