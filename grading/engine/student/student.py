"""The student's process: runs the submission's code cells and, between them, answers calls.

Started by the grader (``grading.engine.grader.link``) as a script, inside the sandbox, as
``python student.py`` with its channel on stdin and stdout; the first message is the
configuration. Nothing here is trusted by the grader: this process runs the student's code,
which may rewrite anything in it. It only ever *answers* requests with data (``wire``), and
the grader checks every answer itself. There is nothing here worth switching off: the
``helpers`` this process imports has no implementation of an exercise being graded (the
grader's ``staged`` copy), and what a test cell lends the student's code (``substituted``)
stays in the grader's process and is called back there.

Requests (``op``): ``run`` a cell; ``lookup`` a name of the notebook; ``call`` a function kept
here with arguments, answering the result and the arguments as they are after the call;
``substitute``/``restore`` names of the notebook (``helpers.checks.substituted`` in a test cell).

Once started, the server hides itself: its modules leave ``sys.modules`` and ``sys.path``,
``__main__`` is the notebook's namespace (as in a kernel), and ``sys.argv`` is ``[""]``.

It starts in about a tenth of a second: the setup's drawing modules (``helpers.viz``, which
bring matplotlib, ipywidgets and SciPy) are bound at once but run at their first use (``lazy``),
and IPython is imported only when something imports it; a cell that draws gets its figure as before.
"""
from __future__ import annotations

import builtins
import ctypes
import importlib.abc
import importlib.machinery
import itertools
import os
import re
import resource
import sys
import types
import warnings

import capture
import lazy
import wire

SERVER_MODULES = ("capture", "lazy", "wire")


def limit_and_drop_privileges(config: dict) -> None:
    """rlimits (hard, so the student's code cannot raise them), then an unprivileged uid."""
    limits = {
        resource.RLIMIT_AS: config["memory_mb"] * 2**20,
        resource.RLIMIT_CPU: config["cpu_s"],
        resource.RLIMIT_FSIZE: config["fsize_mb"] * 2**20,
        resource.RLIMIT_NOFILE: 256,
        resource.RLIMIT_CORE: 0,
    }
    if config.get("uid") is not None:
        limits[resource.RLIMIT_NPROC] = 64  # counted per uid: this sandbox has its own
    for kind, value in limits.items():
        hard = resource.getrlimit(kind)[1]
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(kind, (value, value))
    if config.get("uid") is not None:
        os.setgroups([])
        os.setresgid(config["uid"], config["uid"], config["uid"])
        os.setresuid(config["uid"], config["uid"], config["uid"])
    # Die with the parent (the grader, or bubblewrap): after a change of uid, which clears
    # bubblewrap's --die-with-parent, a cell stuck in a loop would otherwise outlive grading.
    ctypes.CDLL(None).prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL
    os.umask(0o077)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):  # the student's code may write to the raw descriptors: nowhere
        os.dup2(null, fd)


LIBRARIES = ("numpy", "math", "builtins", "warnings")  # what the grader may name, not send


class numeric_context:
    """The caller's ``np.errstate`` and warning filters, for the duration of one call, so a
    test that turns overflow into an error sees it as it would in one process."""

    def __init__(self, context: dict):
        self.context = context

    def __enter__(self):
        import numpy

        self.numpy = numpy
        self.errstate = numpy.seterr(**self.context["errstate"])
        self.warnings = warnings.catch_warnings()
        self.warnings.__enter__()
        warnings.filters[:] = [rule for rule in map(_filter, self.context["filters"]) if rule]
        warnings._filters_mutated()

    def __exit__(self, *exc_info):
        self.warnings.__exit__(*exc_info)
        self.numpy.seterr(**self.errstate)
        return False


def _filter(rule):
    action, message, category, module, lineno = rule
    try:
        category = wire.library_object(category, LIBRARIES)
    except Exception:
        return None
    return (action, re.compile(message, re.I) if message else None, category,
            re.compile(module) if module else None, lineno)


class Student(wire.Codec):
    """The notebook's namespace, the objects handed to the grader, and the request handlers."""

    def __init__(self, output_limit: int):
        self.namespace = {"__name__": "__main__", "__builtins__": builtins}
        self.kept: dict[int, object] = {}
        self.saved: dict[int, object] = {}
        self.ids = itertools.count(1)
        self.output_limit = output_limit
        self.channel: wire.Channel | None = None
        self.cells_run = 0

    # --- wire hooks: what stays here travels as a handle -------------------------------
    def encode_other(self, value, depth):
        try:
            return super().encode_other(value, depth)
        except wire.Unreadable:
            if callable(value) or type(value).__module__ == "__main__":
                return {"__handle__": self.keep(value)}
            raise

    def keep(self, value) -> int:
        handle = next(self.ids)
        self.kept[handle] = value
        return handle

    def decode_handle(self, handle):
        return self.kept[handle]

    def decode_function(self, name):
        return wire.library_object(name, LIBRARIES)

    def decode_callback(self, ident):
        def callback(*args, **kwargs):
            reply = self.channel.request({"op": "callback", "id": ident, "args": self.encode(list(args)),
                                          "kwargs": self.encode(kwargs)})
            if "error" in reply:
                raise rebuild_error(reply["error"])
            wire.copy_back(list(args), self.decode(reply["args"]))
            wire.copy_back(kwargs, self.decode(reply["kwargs"]))
            return args[reply["same"]] if "same" in reply else self.decode(reply["result"])
        return callback

    # --- requests -----------------------------------------------------------------------
    def serve(self, message: dict) -> dict:
        try:
            return getattr(self, "op_" + message["op"])(**{k: v for k, v in message.items() if k != "op"})
        except BaseException as exc:  # an answer, never a dead process, for anything raised
            return {"error": describe(exc)}

    def op_run(self, source: str, label: str) -> dict:
        self.cells_run += 1
        outputs = capture.Outputs(self.output_limit)
        with capture.capturing(outputs):
            capture.run_cell(source, f"<cell {label}>", self.namespace, outputs, self.cells_run)
        return {"outputs": outputs.finish(), "cut": outputs.dropped}

    def op_lookup(self, name: str) -> dict:
        if name not in self.namespace:
            return {"missing": True}
        return self.answer(self.namespace[name])

    def op_call(self, handle: int, args, kwargs, context: dict) -> dict:
        target = self.kept[handle]
        args, kwargs = self.decode(args), self.decode(kwargs)
        with capture.capturing(capture.Outputs(0)), numeric_context(context):
            result = target(*args, **kwargs)
        return {**self.answer(result), "args": self.encode(args), "kwargs": self.encode(kwargs)}

    def op_substitute(self, names: dict) -> dict:
        token = next(self.ids)
        missing = object()
        self.saved[token] = {name: self.namespace.get(name, missing) for name in names}, missing
        self.namespace.update({name: self.decode(value) for name, value in names.items()})
        return {"token": token}

    def op_restore(self, token: int) -> dict:
        saved, missing = self.saved.pop(token)
        for name, value in saved.items():
            if value is missing:
                self.namespace.pop(name, None)
            else:
                self.namespace[name] = value
        return {}

    def answer(self, value) -> dict:
        try:
            return {"value": self.encode(value)}
        except wire.Unreadable as problem:
            return {"unreadable": f"{problem}"}


def describe(exc: BaseException) -> dict:
    bases = [cls.__name__ for cls in type(exc).__mro__ if cls.__module__ == "builtins"]
    return {"type": type(exc).__name__, "bases": bases, "message": capture.error_output(exc)["evalue"]}


def rebuild_error(error: dict) -> Exception:
    base = getattr(builtins, error.get("bases", ["Exception"])[0], Exception)
    cls = base if isinstance(base, type) and issubclass(base, Exception) else Exception
    return cls(error.get("message", ""))


def hide_the_server(namespace: dict) -> dict:
    """What the student's code can see of this server: ``__main__`` is the notebook."""
    notebook = types.ModuleType("__main__")
    notebook.__dict__.update(namespace)
    sys.modules["__main__"] = notebook
    sys.argv = [""]
    for name in SERVER_MODULES:
        sys.modules.pop(name, None)
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [path for path in sys.path if os.path.abspath(path or ".") != here]
    return notebook.__dict__


class RouteDisplayOnImport(importlib.abc.MetaPathFinder):
    """Routes IPython's ``display`` to the cell's outputs (``capture.install_display``) as soon
    as a cell or a module imports IPython, rather than importing it for every submission."""

    def find_spec(self, name, path, target=None):
        if name != "IPython":
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path, target)
        if spec is None or type(spec.loader) is not importlib.machinery.SourceFileLoader:
            return None
        spec.loader = _ThenRouteDisplay(spec.loader.name, spec.loader.path)
        return spec


class _ThenRouteDisplay(importlib.machinery.SourceFileLoader):
    def exec_module(self, module) -> None:
        super().exec_module(module)
        capture.install_display()


def preload(imports: str) -> None:
    """Run the setup cell's imports now, while the grader runs its own copy of the setup, so
    the setup cell finds its modules loaded. A failure is the setup cell's to report."""
    try:
        exec(imports, {})
    except BaseException:
        pass


def main() -> None:
    read_fd, write_fd = os.dup(0), os.dup(1)  # the channel; 0, 1 and 2 then lead nowhere
    channel = wire.Channel(read_fd, write_fd, None, send_limit=wire.MAX_REPLY)
    config = channel.receive()
    limit_and_drop_privileges(config)
    # The assignment's own modules, as in a notebook, and the helpers package.
    sys.path[:0] = [os.getcwd(), *(os.path.dirname(path) for path in config["paths"])]
    sys.meta_path[:0] = [lazy.LoadAtFirstUse(lazy.DRAWING_MODULES), RouteDisplayOnImport()]
    student = Student(config["output_kb"] * 1024)
    student.namespace = hide_the_server(student.namespace)
    channel.serve, student.channel = student.serve, channel
    preload(config.get("preload", ""))
    try:
        channel.send({"reply": True, "ready": True})
        while True:
            reply = {"reply": True, **student.serve(channel.receive())}
            try:
                channel.send(reply)
            except wire.Unreadable as problem:  # a value too large to send back
                channel.send({"reply": True, "unreadable": str(problem)})
    except wire.ChannelClosed:
        os._exit(0)


if __name__ == "__main__":
    main()
