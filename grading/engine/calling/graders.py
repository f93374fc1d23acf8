"""Warm grader processes (``grading.engine.grader``), kept between submissions.

Starting Python and importing ``helpers``, NumPy and matplotlib costs about a second; a grader
process pays it once and then grades one job after another, each in a forked child (a clean
state every time). Each call takes an idle grader, or starts one if none is idle (so
concurrent callers, threads or not, never share one), and hands it back when the job is
done. A grader that overruns or fails is killed, never reused. Idle graders end when this
process ends (their stdin closes).
"""
from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parents[3]  # the folder holding grading/ (and helpers/)

_idle: list[subprocess.Popen] = []
_idle_lock = threading.Lock()


def run(job: dict, seconds: float) -> dict:
    """Grade ``job`` in a warm grader process within ``seconds``; raise RuntimeError if it
    overruns or fails (the grading machine's problem, not the submission's)."""
    with _idle_lock:
        grader = _idle.pop() if _idle else None
    if grader is None or grader.poll() is not None:
        grader = _start()
    try:
        grader.stdin.write((json.dumps(job) + "\n").encode())
        grader.stdin.flush()
        result = json.loads(_read_line(grader, time.monotonic() + seconds))
    except (OSError, RuntimeError, ValueError) as problem:  # ValueError: a reply that is not JSON
        _kill(grader)
        raise RuntimeError(f"the grader process failed: {problem}; see grading/engine/grader/__main__.py") from None
    except BaseException:  # interrupted: a grader in an unknown state is never reused
        _kill(grader)
        raise
    if "failed" in result:
        _kill(grader)
        raise RuntimeError(f"the grader process failed:\n{result['failed']}")
    with _idle_lock:
        _idle.append(grader)
    return result


def _start() -> subprocess.Popen:
    env = {**os.environ, "MPLBACKEND": "agg", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(PACKAGE_ROOT), os.environ.get("PYTHONPATH")]))}
    # cwd: `-m` puts it first on sys.path, so never a folder others write to (a submission graded
    # without a sandbox could plant a module in /tmp for the grader to import)
    return subprocess.Popen([sys.executable, "-m", "grading.engine.grader"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=tempfile.TemporaryFile(), env=env,
                            cwd=PACKAGE_ROOT, start_new_session=True)


def _read_line(grader: subprocess.Popen, deadline: float) -> bytes:
    chunks = []
    while not chunks or not chunks[-1].endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([grader.stdout], [], [], left)[0]:
            raise RuntimeError("it overran its time limit")
        chunk = os.read(grader.stdout.fileno(), 1 << 20)
        if not chunk:
            grader.stderr.seek(0)
            raise RuntimeError(f"it ended ({grader.wait()}):\n{grader.stderr.read()[-4000:].decode(errors='replace')}")
        chunks.append(chunk)
    return b"".join(chunks)


def _kill(grader: subprocess.Popen) -> None:
    """The grader and the child grading in it (the student's process dies with its parent)."""
    try:
        os.killpg(grader.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    grader.wait()
