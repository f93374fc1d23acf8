"""The grader's end of the student's process: start, restart, requests with deadlines.

Calling a ``Remote`` (``proxy``) sends the arguments to the student's process and brings
back the result and the arguments as the call left them. ``Link`` is also
``helpers.checks.remote``: it mirrors ``substituted`` of a test cell into the student's
process, every function the test cell lends as a callback into the grader (a NumPy function
by name), so no implementation of the course's crosses; and it answers for
``reference_unavailable`` that the functions named are absent from the student's process.

A frame from the student's process over ``wire.MAX_REPLY`` bytes, or one that is not a
message, was written by the student's code into the channel itself: the submission is
stopped there, with a note and a flag, rather than read into the grader's memory.

When the process ends or overruns, the request raises ``SubmissionStopped`` (a
``BaseException``, so a test's ``except Exception`` cannot swallow it); the next request
starts a new process and replays the cells that ran before, without the ones that stopped it.
"""
from __future__ import annotations

import contextlib
import glob
import itertools
import os
import signal
import subprocess
import tempfile
import time

from . import outputs
from ..student import wire
from .proxy import Remote, numeric_context, student_error
from .sandbox import Sandbox

BY_NAME = ("numpy", "math")  # functions the student's process resolves itself
STARTUP_S = 60.0
TOTAL_OUTPUT_CELLS = 16  # a submission's outputs may fill this many cells' worth in all


def _children(pid: int) -> list[int]:
    children = []
    for stat in glob.glob("/proc/[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            with open(stat) as file:
                if int(file.read().rsplit(")", 1)[1].split()[1]) == pid:
                    children.append(int(stat.split("/")[2]))
    return children


class SubmissionStopped(BaseException):
    """The student's process ended or ran out of time; ``message`` reads ``Type: text``."""

    def __init__(self, message: str, kind: str):
        super().__init__(message)
        self.message, self.kind = message, kind


class Link(wire.Codec):
    def __init__(self, sandbox: Sandbox, workdir: str, limits: dict, deadline: float, absent=(), preload=""):
        self.sandbox, self.workdir, self.limits, self.deadline = sandbox, workdir, limits, deadline
        self.preload = preload                       # the setup's imports, run before the process is ready
        self.absent = frozenset(absent)              # module:qualname of what the sandbox lacks
        self.uid = 100_000 + os.getpid() % 800_000 if sandbox.drop_uid else None
        self.generation, self.process, self.channel, self.ready = 0, None, None, False
        self.history: list[tuple[str, str]] = []     # cells to replay after a restart
        self.notes: list[str] = []
        self.events: list[tuple[str, str]] = []      # (cell label, flag kind) seen at run time
        self.callbacks: dict[int, object] = {}
        self.ids = itertools.count(1)
        self.namespace: dict | None = None           # the grader's notebook namespace
        self.budget: float | None = None             # seconds the current test cell may wait
        self.stops, self.last_stop = 0, ""
        self.violation = ""                          # set once the student's code wrote into the channel
        self.output_left = TOTAL_OUTPUT_CELLS * limits["output_kb"] * 1024
        self.current = ""                            # label of the cell being run or graded
        self.requests, self.startup_s = 0, 0.0       # for the bench: round trips, waiting for the process

    # --- the process ------------------------------------------------------------------
    def start(self) -> None:
        """Start the process now; it is waited for at the first request."""
        to_child, from_parent = os.pipe()
        to_parent, from_child = os.pipe()
        config = {"uid": self.uid, "memory_mb": self.limits["memory_mb"], "fsize_mb": 64,
                  "cpu_s": int(self.limits["notebook_timeout_s"]) + 10, "output_kb": self.limits["output_kb"],
                  "paths": [self.sandbox.helpers_path], "preload": self.preload}
        argv, cwd = self.sandbox.command(self.workdir)
        self.errors = tempfile.TemporaryFile()  # what bwrap or Python say if the process cannot start
        self.process = subprocess.Popen(
            argv, cwd=cwd, env=self.sandbox.environment(self.workdir), stdin=to_child, stdout=from_child,
            stderr=self.errors, start_new_session=True)
        os.close(to_child), os.close(from_child)
        for fd in (from_parent, to_parent):
            os.set_blocking(fd, False)
        self.channel = wire.Channel(to_parent, from_parent, self.serve, receive_limit=wire.MAX_REPLY)
        self.channel.send(config, time.monotonic() + STARTUP_S)
        self.ready = False

    def stop(self) -> None:
        if self.process is not None:
            # bubblewrap's child first: it has a session of its own, and once its uid has changed
            # it no longer dies with bubblewrap. Killing it ends every process of its namespace.
            for pid in [*_children(self.process.pid), self.process.pid]:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL) if pid == self.process.pid else os.kill(pid, signal.SIGKILL)
            self.process.wait()
            os.close(self.channel.read_fd), os.close(self.channel.write_fd)
            self.errors.close()
            self.process = None
        self.generation += 1

    def _ensure(self) -> None:
        if self.process is None:
            self.start()
        if self.ready:
            return
        waiting = time.monotonic()
        try:
            message = self.channel.receive(waiting + STARTUP_S)
        except (wire.ChannelClosed, wire.ChannelTimeout):
            self.errors.seek(0)
            problem = self.errors.read(2000).decode(errors="replace").strip()
            first = self.generation == 0
            self.stop()
            if first:  # no code of the student's has run yet: the grading machine's problem
                raise RuntimeError(f"the sandboxed student process did not start: {problem}") from None
            raise self._stopped("the restart", "process-ended",
                                "ProcessExitError: the student's process could not be started again") from None
        self.ready = message.get("ready") is True
        self.startup_s += time.monotonic() - waiting
        for label, source in list(self.history):  # replay: the state the next cells expect
            try:
                self._send({"op": "run", "source": source, "label": label}, self.limits["cell_timeout_s"], label,
                           replaying=True)
            except SubmissionStopped:
                if time.monotonic() >= self.deadline:
                    raise
                self.history.remove((label, source))
                self.notes.append(f"cell {label} stopped the process when it was run again; it was skipped too")
                return self._ensure()

    def _send(self, message: dict, seconds: float, label: str, replaying: bool = False) -> dict:
        if self.violation:
            raise SubmissionStopped(self.violation, "channel-tampering")
        total = self.limits["notebook_timeout_s"]
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise self._stopped(label, "timeout", f"TimeoutError: the submission used up its {total:g} s: "
                                "make your slowest cells faster")
        seconds = min(seconds, left)
        try:
            return self.channel.request(message, time.monotonic() + seconds)
        except wire.ChannelTimeout:
            self.stop()
            if replaying:  # what the student sees is a test cell failing: say why, and what to do
                raise self._stopped(label, "timeout", (
                    f"TimeoutError: after {self.last_stop or 'an earlier cell stopped your notebook'}, the grader "
                    f"ran your cells again in a new process, and the submission's {total:g} s ran out while "
                    f"{label} ran: fix the cell that stopped, and make your cells faster")) from None
            raise self._stopped(label, "timeout", f"TimeoutError: {label} did not finish within "
                                f"{seconds:.0f} s") from None
        except wire.ChannelViolation as problem:
            self.stop()
            self.violation = (f"ProcessExitError: the submission's code wrote into the grader's channel "
                              f"({problem}); grading stopped there")
            self.notes.append(f"{self.current or label}: {self.violation}; every test cell after it scores 0")
            self.events.append((self.current or label, "channel-tampering"))
            raise SubmissionStopped(self.violation, "channel-tampering") from None
        except wire.ChannelClosed:
            try:
                status = self.process.wait(1)
            except subprocess.TimeoutExpired:
                status = None
            self.stop()
            how = ("broke off its connection to the grader" if status is None else
                   f"was killed by signal {-status}" if status < 0 else
                   f"ended the Python process (exit status {status})")
            raise self._stopped(label, "process-ended", f"ProcessExitError: {label} {how}") from None

    def _stopped(self, label: str, kind: str, message: str) -> SubmissionStopped:
        self.stops += 1
        self.last_stop = message
        self.events.append((self.current or label, kind))
        return SubmissionStopped(message, kind)

    def request(self, message: dict, label: str = "the submission's code") -> dict:
        """Send a request; within a test cell it counts against the cell's time."""
        if self.violation:  # no new process for a submission that wrote into the channel
            raise SubmissionStopped(self.violation, "channel-tampering")
        self._ensure()
        self.requests += 1
        started = time.monotonic()
        seconds = self.budget if self.budget is not None else self.limits["cell_timeout_s"]
        try:
            return self._send(message, seconds, label)
        finally:
            if self.budget is not None:
                self.budget -= time.monotonic() - started

    # --- what the grader asks -----------------------------------------------------------
    def run_cell(self, label: str, source: str) -> list[dict]:
        self.current = label
        try:
            reply = self.request({"op": "run", "source": source, "label": label},
                                 label if label.startswith("cell ") else f"cell '{label}'")
        except SubmissionStopped as stop:
            if stop.kind != "channel-tampering":  # noted once, where it happened: nothing runs after it
                self.notes.append(f"{stop.message}; that cell was skipped and the cells before it were run "
                                  "again in a new process")
            return [outputs.error("TimeoutError" if stop.kind == "timeout" else "ProcessExitError",
                                  stop.message.split(": ", 1)[1])]
        self.history.append((label, source))
        kept = outputs.limit_output(outputs.rebuilt(reply.get("outputs")),
                                    min(self.limits["output_kb"] * 1024, self.output_left))
        self.output_left -= sum(len(str(item)) for item in kept)
        if reply.get("cut") or self.output_left <= 0:
            self.events.append((label, "output-cut"))
            self.notes.append(f"the output of cell {label} was cut (at most {self.limits['output_kb']} KB "
                              f"per cell, {TOTAL_OUTPUT_CELLS} times that in all)")
        return kept

    def lookup(self, name: str):
        """``(True, value or Remote)`` for a name of the student's notebook, ``(False, None)`` if absent."""
        reply = self.request({"op": "lookup", "name": name}, f"looking up {name}")
        if reply.get("missing"):
            return False, None
        return True, self._value(reply, name)

    def call(self, remote: Remote, args, kwargs):
        label = remote.__name__
        try:
            message = {"op": "call", "handle": self.handle_of(remote), "args": self.encode(list(args)),
                       "kwargs": self.encode(kwargs), "context": numeric_context()}
        except wire.Unreadable as problem:  # the test cell's doing: see wire.py for what can cross
            raise TypeError(f"the grader cannot pass {problem} to {label} in the student's process") from None
        reply = self.request(message, label)
        result = self._value(reply, label, returned=True)
        try:
            wire.copy_back(list(args), self.decode(reply["args"]), opaque=(Remote,))
            wire.copy_back(kwargs, self.decode(reply["kwargs"]), opaque=(Remote,))
        except Exception:
            raise TypeError(f"{label} left its arguments in a state the grader cannot read") from None
        return result

    def _value(self, reply: dict, label: str, returned: bool = False):
        if "error" in reply:
            raise student_error(reply["error"])
        what = f"{label} returned" if returned else f"{label} is"
        if "unreadable" in reply:
            raise TypeError(f"{what} {str(reply['unreadable'])[:200]} that the grader cannot read")
        try:
            value = self.decode(reply["value"])
        except Exception:
            raise TypeError(f"{what} a value the grader cannot read") from None
        if isinstance(value, Remote):
            vars(value)["__name__"] = f"the result of {label}" if returned else label
        return value

    def handle_of(self, remote: Remote) -> int:
        if remote._generation != self.generation:
            raise SubmissionStopped(f"ProcessExitError: {remote.__name__} belonged to a process that has "
                                    "ended", "process-ended")
        return remote._handle

    # --- wire hooks ---------------------------------------------------------------------
    def encode_other(self, value, depth):
        if isinstance(value, Remote):
            return {"__handle__": self.handle_of(value)}
        try:
            return super().encode_other(value, depth)
        except wire.Unreadable:
            if not callable(value):
                raise
        name = wire.qualified_name(value)
        if name and name.split(":")[0].split(".")[0] in BY_NAME:
            return {"__function__": name}
        ident = next(self.ids)
        self.callbacks[ident] = value
        return {"__callback__": ident}

    def decode_handle(self, handle: int):
        return Remote(self, handle, "an object")

    def serve(self, message: dict) -> dict:
        """A callback from the student's process into a function of the test cell."""
        try:
            function = self.callbacks[int(message["id"])] if message.get("op") == "callback" else None
            if function is None:
                return {"error": {"type": "RuntimeError", "bases": ["RuntimeError"], "message": "no such callback"}}
            args, kwargs = self.decode(message["args"]), self.decode(message["kwargs"])
            result = function(*args, **kwargs)
            # What the test's function did to its arguments goes back too (a training step that
            # updates the parameters in place); a returned argument stays the student's object.
            same = next((index for index, arg in enumerate(args) if result is arg), None)
            reply = {"args": self.encode(args), "kwargs": self.encode(kwargs)}
            return {**reply, "same": same} if same is not None else {**reply, "result": self.encode(result)}
        except SubmissionStopped:
            raise
        except Exception as exc:
            bases = [c.__name__ for c in type(exc).__mro__ if c.__module__ == "builtins"]
            return {"error": {"type": type(exc).__name__, "bases": bases, "message": str(exc)[:2000]}}

    # --- helpers.checks.remote ---------------------------------------------------------
    def substitute(self, namespace: dict, replacements: dict):
        if namespace is not self.namespace:
            return None
        names = {name: self.encode(value) for name, value in replacements.items()}
        return self.generation, self._token({"op": "substitute", "names": names}, "substitute names")

    def restore(self, token) -> None:
        if token[0] == self.generation:
            self.request({"op": "restore", "token": token[1]})

    def confirm_absent(self, functions) -> None:
        """``reference_unavailable``'s check: none of ``functions`` is in the student's process."""
        present = [name for name in map(wire.qualified_name, functions) if name and name not in self.absent]
        if present:  # the instructor's problem: grading.engine.calling.references should have found it
            raise RuntimeError(f"the grader's sandbox still holds {present[0].replace(':', '.')}, which "
                               "this test names as a reference: grading.engine.calling.references missed it")

    def _token(self, message: dict, what: str) -> int:
        """Send a substitute request; a refusal (the student's process was tampered with)
        fails the test cell, since its result could not be trusted."""
        reply = self.request(message)
        if not isinstance(reply.get("token"), int):
            raise AssertionError(f"the grader could not {what} in your notebook's process "
                                 f"({student_error(reply.get('error'))})")
        return reply["token"]
