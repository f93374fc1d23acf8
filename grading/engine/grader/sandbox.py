"""How the student's process is started: bubblewrap if it works here, else a loud fallback.

Inside bubblewrap the process sees a new, empty root holding only: the system's ``/usr``
(read-only), the Python installation and its site-packages (read-only), a ``helpers`` without
the answers being graded (``staged``) at ``/opt/course/helpers`` (read-only), the student
server's four files at ``/opt/engine`` (read-only; nothing else of the engine), a private
home of 256 MB (tmpfs) as working directory with the assignment's data files (read-only), a
private ``/tmp`` of the same size, a minimal ``/dev`` with a private ``/dev/shm`` of 64 MB, and
``/proc``. No course directory, no gradebook, no other submission is mounted at all; there is
no network (new network namespace) and no other process (new PID namespace, in which the
student's Python is process 1: bubblewrap's command line, with the host's paths, is not
there to read); it dies with the grader. As root, ``student.py`` then drops to a uid of its own.

``student.py`` sets the rlimits (memory, CPU time, file size, open files, processes) itself,
as hard limits, before it runs anything of the student's.

Without bubblewrap (not installed, or user namespaces refused) the fallback is a separate
process with the same rlimits, a fresh working directory and a scrubbed environment, and an
unprivileged uid where the Python installation allows it: it cannot hide the course files.
``SubmissionResult.sandbox`` then says ``NONE (why)`` and a warning goes to stderr.
"""
from __future__ import annotations

import functools
import os
import shutil
import site
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

STUDENT_DIR = Path(__file__).resolve().parents[1] / "student"  # the untrusted side's folder
INSIDE_ENGINE = "/opt/engine"
SERVER_FILES = ("student.py", "capture.py", "lazy.py", "wire.py")  # all of the engine the sandbox holds
INSIDE_HELPERS = "/opt/course/helpers"
HOME = "/home/student"
HOME_BYTES = 256 * 2**20  # the student's files (home, /tmp) live in tmpfs of this size
SHM_BYTES = 64 * 2**20  # POSIX shared memory and semaphores (multiprocessing, joblib)
PYTHON_FLAGS = ("-s", "-B", "-E")  # no user site, no bytecode files, no PYTHON* variables


@dataclass(frozen=True)
class Sandbox:
    """How to start the student's process: ``kind`` is "bubblewrap" or "NONE (reason)"."""

    kind: str
    helpers_dir: str
    drop_uid: bool

    @property
    def bubblewrap(self) -> bool:
        return self.kind == "bubblewrap"

    @property
    def helpers_path(self) -> str:
        """Where the student's process finds ``helpers``."""
        return INSIDE_HELPERS if self.bubblewrap else self.helpers_dir

    def command(self, workdir: Path) -> tuple[list[str], str]:
        """``(argv, cwd)`` to start ``student.py`` (its channel: stdin and stdout)."""
        if not self.bubblewrap:
            return [sys.executable, *PYTHON_FLAGS, str(STUDENT_DIR / "student.py")], str(workdir)
        argv = ["bwrap", *_bwrap_args(), *_directories_to(INSIDE_HELPERS), "--ro-bind", self.helpers_dir,
                INSIDE_HELPERS, "--perms", "1777", "--size", str(HOME_BYTES), "--tmpfs", HOME]
        for path in sorted(Path(workdir).rglob("*")):  # the data files, read-only, in a private home
            inside = f"{HOME}/{path.relative_to(workdir)}"
            argv += ["--perms", "1777", "--dir", inside] if path.is_dir() else ["--ro-bind", str(path), inside]
        argv += ["--chdir", HOME, "--", sys.executable, *PYTHON_FLAGS, f"{INSIDE_ENGINE}/student.py"]
        return argv, str(workdir)

    def environment(self, workdir: Path) -> dict[str, str]:
        """The student's process's whole environment (bubblewrap passes it on as it is)."""
        home = HOME if self.bubblewrap else str(workdir)
        return {
            "PATH": "/usr/bin:/bin", "HOME": home, "LANG": "C.UTF-8", "MPLBACKEND": "agg",
            "MPLCONFIGDIR": f"{home}/.matplotlib", "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        }


def _bwrap_args() -> list[str]:
    args = ["--unshare-ipc", "--unshare-pid", "--as-pid-1", "--unshare-net", "--unshare-uts",
            "--unshare-cgroup-try", "--die-with-parent", "--new-session", "--ro-bind", "/usr", "/usr"]
    if os.geteuid() != 0:
        args.append("--unshare-user")
    for name in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(name):
            args += ["--symlink", os.readlink(name), name]
        elif os.path.isdir(name):
            args += ["--ro-bind", name, name]
    for name in ("/etc/ld.so.cache", "/etc/fonts", "/etc/localtime"):
        args += ["--ro-bind-try", name, name]
    # /tmp first: a course checked out (or a venv made) under /tmp is bound on top of it.
    args += ["--perms", "1777", "--size", str(HOME_BYTES), "--tmpfs", "/tmp"]
    for path in _python_paths():
        args += _directories_to(path) + ["--ro-bind", path, path]
    args += _directories_to(f"{INSIDE_ENGINE}/{SERVER_FILES[0]}")
    for name in SERVER_FILES:
        args += ["--ro-bind", str(STUDENT_DIR / name), f"{INSIDE_ENGINE}/{name}"]
    args += ["--perms", "0755", "--dir", "/home", "--proc", "/proc", "--dev", "/dev"]
    # A private, writable /dev/shm: without one, importing joblib (scikit-learn) warns that
    # it "will operate in serial mode", with the host's site-packages path, into the feedback.
    args += ["--perms", "1777", "--size", str(SHM_BYTES), "--tmpfs", "/dev/shm"]
    return args


def _python_paths() -> list[str]:
    """The interpreter's installation and site-packages, outermost first, without nesting."""
    candidates = {sys.base_prefix, sys.base_exec_prefix, sys.prefix, sys.exec_prefix,
                  os.path.dirname(os.path.realpath(sys.executable)), *site.getsitepackages()}
    paths = sorted(os.path.realpath(p) for p in candidates if os.path.isdir(p) and not p.startswith("/usr/"))
    kept: list[str] = []
    for path in paths:
        if path != "/usr" and not any(path.startswith(outer + os.sep) for outer in kept):
            kept.append(path)
    return kept


def _directories_to(path: str) -> list[str]:
    """``--dir`` for each missing ancestor, world-traversable (bwrap would make them 0700)."""
    args = []
    parts = Path(path).parts
    for depth in range(2, len(parts)):
        args += ["--perms", "0755", "--dir", str(Path(*parts[:depth]))]
    return args


def _world_traversable(path: str) -> bool:
    return all(os.stat(p).st_mode & stat.S_IXOTH for p in [path, *map(str, Path(path).parents)])


@functools.lru_cache(maxsize=None)
def choose(mode: str, helpers_dir: str, course_root: str) -> Sandbox:
    """The sandbox for ``mode`` ("auto", "bwrap" or "none"), probed once per process.

    "bwrap" raises if bubblewrap does not work (an instructor's explicit choice); "auto"
    falls back to ``NONE (reason)`` and warns on stderr; "none" falls back on request.
    """
    if mode not in ("auto", "bwrap", "none"):
        raise ValueError(f"Limits.sandbox must be 'auto', 'bwrap' or 'none', not {mode!r}")
    exposed = [p for p in _python_paths() + [helpers_dir] if Path(course_root).is_relative_to(p)]
    if mode == "none":
        reason = "sandbox='none' was requested"
    elif exposed:
        reason = f"the Python installation at {exposed[0]} contains the course directory"
    else:
        reason = _bwrap_problem()
    if reason is None:
        return Sandbox("bubblewrap", helpers_dir, os.geteuid() == 0)
    if mode == "bwrap":
        raise RuntimeError(f"bubblewrap was required but does not work here: {reason}")
    paths = _python_paths() + [helpers_dir, str(STUDENT_DIR)]
    drop = os.geteuid() == 0 and all(_world_traversable(p) for p in paths)
    kind = (f"NONE ({reason}; the student's code runs in a separate process with rlimits, a fresh "
            f"working directory and a scrubbed environment{', as an unprivileged uid' if drop else ''}, "
            "but it can read the course files and reach the network)")
    print(f"WARNING: grading without a sandbox: {kind}", file=sys.stderr, flush=True)
    return Sandbox(kind, helpers_dir, drop)


def _bwrap_problem() -> str | None:
    """Why bubblewrap cannot run the student's Python here, or None if it can."""
    if shutil.which("bwrap") is None:
        return "bubblewrap (bwrap) is not installed: apt-get install bubblewrap"
    argv = ["bwrap", *_bwrap_args(), "--", sys.executable, *PYTHON_FLAGS, "-c", "import numpy"]
    try:
        probe = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"bubblewrap did not start ({error})"
    if probe.returncode != 0:
        return f"bubblewrap failed: {(probe.stderr or probe.stdout).strip()[-300:]}"
    return None
