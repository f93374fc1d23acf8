"""The grader process: the course's own setup and test cells, in a Python of their own.

``python -m grading.engine.grader`` reads jobs (JSON, one per line, from
``grading.engine.calling.graders``) on stdin and writes the results (JSON, one per line) on stdout;
it stays up between jobs, with the setup's modules imported, and grades each job in a
forked child. It runs only trusted code: the source notebook's setup cells and test cells,
hidden tests included, and ``helpers``. The student's cells run in the sandboxed process
started through ``Link``, in notebook order (those that grading needs: ``skip`` marks the
others): each test cell runs when its turn comes, so it sees the submission as a notebook would.

Before a test cell runs, each name it reads that the submission provides is bound to the
student's value: a ``Remote`` for a function or object, a copy for data. Names the course
defines itself (setup cells, earlier test cells, Python's builtins) are never taken from
the submission, except the names the solution's answer cells define, which always are.
A test cell passes iff it raises nothing; its message is ``Type: message``, nothing more.
"""
from __future__ import annotations

import builtins
import contextlib
import glob
import io
import json
import os
import resource
import shutil
import sys
import time
import traceback
from collections import Counter
from pathlib import Path

from ..student.lazy import DRAWING_MODULES, LoadAtFirstUse
from .link import Link, SubmissionStopped
from .sandbox import Sandbox


GRADER_MEMORY_MB = 1024
_PHASES = {"setup": "setup cells, student", "test": "test cells"}


class _Sink(io.TextIOBase):
    def writable(self) -> bool:
        return True

    def write(self, text) -> int:
        return len(text)


def describe(exc: BaseException) -> str:
    text = str(exc)[:2000]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class Grader:
    def __init__(self, job: dict, link: Link):
        import helpers.checks

        self.job, self.link = job, link
        self.limits = job["limits"]
        self.namespace = {"__name__": "__main__", "__builtins__": builtins}
        self.answer_names = set(job["answer_names"])
        self.proxied: set[str] = set()
        link.namespace = self.namespace
        helpers.checks.remote = link

    def run(self) -> dict:
        outputs, results, notes = {}, [], []
        seconds = Counter()  # per phase, for bench/grading_bench.py
        for index, cell in enumerate(self.job["cells"]):
            if cell.get("skip"):
                continue
            started = time.monotonic()
            if cell["kind"] == "setup":
                try:
                    with _quiet():
                        exec(compile(cell["source"], f"<setup {cell['label']}>", "exec"), self.namespace)
                except Exception as exc:
                    notes.append(f"the course's setup cell {cell['label']} failed in the grader: {describe(exc)}")
                seconds["setup cells, grader"] += time.monotonic() - started
                started = time.monotonic()
            if cell["kind"] in ("setup", "code"):
                outputs[index] = self.link.run_cell(cell["label"], cell["source"])
            elif cell["kind"] == "test":
                results.append(self.run_test(cell))
            seconds[_PHASES.get(cell["kind"]) or ("answer cells" if cell["grade_id"] else "other cells")] += (
                time.monotonic() - started)
        seconds["setup cells, student"] -= self.link.startup_s  # the first request waited for it
        seconds["student process start"] = self.link.startup_s
        return {"results": results, "outputs": outputs, "notes": notes + self.link.notes,
                "events": self.link.events, "seconds": dict(seconds), "requests": self.link.requests}

    def run_test(self, cell: dict) -> dict:
        self.link.current = cell["grade_id"]
        stops = self.link.stops
        self.link.budget = float(self.limits["cell_timeout_s"])
        message = None
        try:
            with _quiet():
                self.bind(cell["names"])
                exec(compile(cell["source"], f"<test {cell['grade_id']}>", "exec"), self.namespace)
        except SubmissionStopped as stop:
            message = stop.message
        except Exception as exc:
            message = describe(exc)
        finally:
            self.link.budget = None
            self.link.callbacks.clear()
        if self.link.stops != stops:
            message = message or self.link.last_stop  # even if the test code swallowed the stop
            self.link.notes.append(f"{cell['grade_id']}: {self.link.last_stop}; the process was started "
                                   "again for the cells after it")
        self.proxied -= set(cell["assigns"])
        return {"grade_id": cell["grade_id"], "points": 0.0 if message else cell["points"],
                "max_points": cell["points"], "message": message}

    def bind(self, names: list[str]) -> None:
        """Bind the submission's values for the names this test cell reads."""
        for name in names:
            ours = name in self.namespace and name not in self.proxied
            if name not in self.answer_names and (ours or hasattr(builtins, name)):
                continue
            found, value = self.link.lookup(name)
            if found:
                self.namespace[name] = value
                self.proxied.add(name)
            elif name in self.answer_names or name in self.proxied:
                self.namespace.pop(name, None)
                self.proxied.discard(name)


@contextlib.contextmanager
def _quiet():
    """What the course's code prints while grading goes nowhere (it is not feedback)."""
    with contextlib.redirect_stdout(_Sink()), contextlib.redirect_stderr(_Sink()):
        yield


def prepare_workdir(workdir: Path, data_files: list[str], uid: int | None) -> None:
    """The student's working directory: the assignment's data files and matplotlib's font list."""
    for path in data_files:
        shutil.copy2(path, workdir / Path(path).name)
    cache = Path(os.environ.get("MPLCONFIGDIR") or Path.home() / ".cache" / "matplotlib")
    fonts = sorted(glob.glob(str(cache / "fontlist-v*.json")))
    if fonts:  # without it matplotlib spends a second rebuilding it in every process
        (workdir / ".matplotlib").mkdir()
        shutil.copy2(fonts[-1], workdir / ".matplotlib")
    if uid is not None:
        for path in [workdir, *workdir.rglob("*")]:
            os.chown(path, uid, uid)


def grade(job: dict) -> dict:
    """Grade the job's cells; ``job["workdir"]`` is an empty directory (the caller removes it)."""
    limits = job["limits"]
    deadline = time.monotonic() + limits["notebook_timeout_s"]
    workdir = Path(job["workdir"])
    link = Link(Sandbox(**job["sandbox"]), str(workdir), limits, deadline, job["absent"], job["preload"])
    try:
        prepare_workdir(workdir, job["data_files"], link.uid)
        link.start()
        return Grader(job, link).run()
    finally:
        link.stop()


def limit_memory(limits: dict) -> None:
    """A ceiling on this process's address space: the student's limit (its process inherits
    this one) and ``GRADER_MEMORY_MB`` for the grader's own work, about 300 MB, and the
    bounded frames it reads (``wire.MAX_REPLY``)."""
    cap = (int(limits["memory_mb"]) + GRADER_MEMORY_MB) * 2**20
    hard = resource.getrlimit(resource.RLIMIT_AS)[1]
    cap = cap if hard == resource.RLIM_INFINITY else min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


def serve() -> None:
    """One job per line on stdin, one result per line on stdout, until stdin closes. Each job
    is graded in a forked child, so it starts from this process's clean state with the
    setup's modules already imported (``job["preload"]``, run here first; the drawing modules
    as the student's process has them, loaded at first use: no test cell draws) and leaves
    nothing behind for the next."""
    sys.meta_path.insert(0, LoadAtFirstUse(DRAWING_MODULES))
    for line in sys.stdin:
        job = json.loads(line)
        with _quiet(), contextlib.suppress(Exception):  # a failing import is the setup cell's to report
            exec(job["preload"], {})
        reading, writing = os.pipe()
        child = os.fork()
        if child == 0:
            os.close(reading)
            _grade_in_child(job, writing)
        os.close(writing)
        with open(reading, encoding="utf-8") as pipe:
            result = pipe.read()
        os.waitpid(child, 0)
        sys.stdout.write((result or json.dumps({"failed": "the grader's child process died"})) + "\n")
        sys.stdout.flush()


def _grade_in_child(job: dict, writing: int) -> None:
    started = time.monotonic()
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)  # stdout is the parent's channel to the calling process: nothing else writes to it
    try:
        os.chdir(job["cwd"])
        limit_memory(job["limits"])
        result = grade(job)
        result["seconds"]["grader, in all"] = time.monotonic() - started
    except BaseException:
        result = {"failed": traceback.format_exc()[-4000:]}
    with open(writing, "w", encoding="utf-8") as pipe:
        pipe.write(json.dumps(result))
    os._exit(0)


if __name__ == "__main__":
    serve()
