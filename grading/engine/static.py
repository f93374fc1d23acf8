"""Reading the student's code without running it: suspicious constructs, and names.

``scan`` flags, line by line, what a human should look at in a student's cell, whether or
not it changed a score: assigning attributes of imported modules (``np.allclose = ...``,
``setattr(grading, ...)``), the IPython shell, ``sys.modules``, builtins, file, network and
process access, ``os._exit``/``sys.exit``, dynamic code (``exec``, ``importlib``, pickle),
ctypes, introspection (frames, ``gc``, dunder attributes such as ``__code__``), endless loops, and any use of the
helpers functions that the test cells guard with ``reference_unavailable``, and rebinding
a name the setup cells import (``def check_array(*args): pass``). The kinds are listed on
``Flag``.

``ipython_free`` removes IPython-only lines (``%magic``, ``!cmd``, ``x = !cmd``, ``obj?``)
from a cell that is not valid Python, so the rest of it can run as plain Python.
"""
from __future__ import annotations

import ast
import re
import threading

from .results import Flag

IMPORT_KINDS = {
    **dict.fromkeys(["subprocess", "multiprocessing", "pty", "signal", "concurrent"], "process"),
    **dict.fromkeys(["shutil", "pathlib", "glob", "sqlite3", "tempfile", "fileinput", "zipfile", "tarfile",
                     "shelve", "dbm", "io", "os"], "file-access"),
    **dict.fromkeys(["socket", "urllib", "http", "requests", "ftplib", "smtplib", "ssl", "telnetlib",
                     "xmlrpc", "webbrowser"], "network"),
    **dict.fromkeys(["importlib", "runpy", "imp", "marshal", "pickle", "dill", "cloudpickle", "code",
                     "codeop", "types"], "dynamic-code"),
    **dict.fromkeys(["ctypes", "cffi", "mmap"], "ctypes"),
    **dict.fromkeys(["builtins", "__builtin__"], "builtins"),
    **dict.fromkeys(["IPython", "ipykernel", "traitlets"], "ipython-shell"),
    **dict.fromkeys(["inspect", "gc", "dis"], "introspection"),
}
NAME_KINDS = {
    "open": "file-access", "exec": "dynamic-code", "eval": "dynamic-code", "compile": "dynamic-code",
    "__import__": "builtins", "__builtins__": "builtins", "globals": "introspection", "vars": "introspection",
    "exit": "os._exit", "quit": "os._exit", "get_ipython": "ipython-shell", "__IPYTHON__": "ipython-shell",
    "os._exit": "os._exit", "os.abort": "os._exit", "sys.exit": "os._exit", "sys.modules": "sys.modules",
    "sys.path": "sys.modules", "sys.meta_path": "sys.modules", "sys.path_hooks": "sys.modules",
    "sys._getframe": "introspection", "sys.settrace": "introspection", "sys.setprofile": "introspection",
    "sys.excepthook": "ipython-shell", "sys.displayhook": "ipython-shell",
    **dict.fromkeys([f"numpy.{name}" for name in ("load", "save", "savez", "loadtxt", "savetxt", "genfromtxt",
                                                  "fromfile", "memmap")], "file-access"),
}
PROCESS_CALLS = re.compile(r"^os\.(system|popen|fork\w*|exec\w*|spawn\w*|posix_spawn\w*|kill\w*|setsid)$")
PURE_OS = {"os.path.join", "os.path.basename", "os.path.dirname", "os.path.splitext", "os.sep", "os.path"}
INTROSPECTION = {"f_back", "f_globals", "f_locals", "f_builtins", "tb_frame", "gi_frame", "cr_frame"}
PLAIN_DUNDERS = {"__init__", "__name__", "__doc__", "__len__", "__call__", "__repr__", "__str__"}
IPYTHON_LINE = re.compile(r"^\s*([%!]|[\w.]+\?\??\s*$|\w+\s*=\s*[%!])")


def ipython_free(source: str) -> tuple[str, list[int]]:
    """``source`` with IPython-only lines replaced by ``pass``, and their line numbers."""
    try:
        _locked_parse(source)
        return source, []
    except SyntaxError:
        pass
    lines, removed = source.splitlines(), []
    for number, line in enumerate(lines, 1):
        if IPYTHON_LINE.match(line):
            lines[number - 1] = line[: len(line) - len(line.lstrip())] + "pass  # IPython-only line removed"
            removed.append(number)
    return ("\n".join(lines), removed) if removed else (source, [])


def imports(sources: list[str]) -> dict[str, str]:
    """Name -> dotted path of what it was imported as, over all parseable ``sources``."""
    aliases: dict[str, str] = {}
    for source in sources:
        for node in ast.walk(_parse(source)):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    aliases[alias.asname or alias.name.split(".")[0]] = alias.name if alias.asname else alias.name.split(".")[0]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return aliases


def guarded(test_sources: list[str], aliases: dict[str, str]) -> set[str]:
    """Dotted names of the helpers functions the test cells pass to ``reference_unavailable``."""
    found = set()
    for source in test_sources:
        for node in ast.walk(_parse(source)):
            if isinstance(node, ast.Call) and (_dotted(node.func, aliases) or "").endswith("reference_unavailable"):
                found.update(name for name in (_dotted(arg, aliases) for arg in node.args) if name)
    return found


def scan(source: str, label: str, aliases: dict[str, str], references: set[str],
         course_names: frozenset[str] = frozenset()) -> list[Flag]:
    """Flags for one student cell (``source`` after ``ipython_free``); ``course_names`` are
    the names the course's setup cells import, which the cell should not rebind."""
    scanner = _Scanner(source, label, aliases, references)
    tree = _parse(source)
    scanner.visit(tree)
    for node in ast.walk(tree):
        stored = node.id if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) else (
            node.name if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) else None)
        if stored in course_names:
            scanner.flag(node, "shadowed-import")
    return scanner.flags


class _Scanner(ast.NodeVisitor):
    def __init__(self, source: str, label: str, aliases: dict[str, str], references: set[str]):
        self.lines, self.label, self.aliases, self.references = source.splitlines(), label, aliases, references
        self.flags: list[Flag] = []

    def flag(self, node, kind: str) -> None:
        line = getattr(node, "lineno", 1)
        code = self.lines[line - 1].strip()[:200] if 0 < line <= len(self.lines) else ""
        if not any(f.line == line and f.kind == kind for f in self.flags):
            self.flags.append(Flag(self.label, line, kind, code))

    def visit_Import(self, node) -> None:
        for alias in node.names:
            self.imported(node, alias.name)

    def visit_ImportFrom(self, node) -> None:
        for alias in node.names:
            self.imported(node, f"{node.module or ''}.{alias.name}".lstrip("."))

    def imported(self, node, dotted: str) -> None:
        kind = IMPORT_KINDS.get(dotted.split(".")[0])
        if kind and dotted not in PURE_OS:
            self.flag(node, kind)
        if any(ref.startswith(dotted + ".") for ref in self.references):
            self.flag(node, "reference-import")
        self.used(node, dotted)

    def visit_Name(self, node) -> None:
        self.used(node, self.aliases.get(node.id, node.id))

    def visit_Attribute(self, node) -> None:
        dunder = node.attr.startswith("__") and node.attr.endswith("__") and node.attr not in PLAIN_DUNDERS
        if dunder or node.attr in INTROSPECTION:
            self.flag(node, "introspection")
        dotted = _dotted(node, self.aliases)
        if dotted:
            self.used(node, dotted)
        self.generic_visit(node)

    def used(self, node, dotted: str) -> None:
        if dotted in NAME_KINDS:
            self.flag(node, NAME_KINDS[dotted])
        elif PROCESS_CALLS.match(dotted):
            self.flag(node, "process")
        elif dotted.startswith(("os.", "io.open", "pathlib.", "shutil.")) and dotted not in PURE_OS:
            self.flag(node, "file-access")
        elif dotted.startswith("builtins."):
            self.flag(node, "builtins")
        if dotted in self.references:
            self.flag(node, "reference-import")

    def visit_Call(self, node) -> None:
        name = _dotted(node.func, self.aliases)
        if name in ("setattr", "delattr") and node.args and self.rooted_in_import(node.args[0]):
            self.flag(node, "module-attribute-assignment")
        self.generic_visit(node)

    def visit_Assign(self, node) -> None:
        self.assigned(node, node.targets)

    def visit_AugAssign(self, node) -> None:
        self.assigned(node, [node.target])

    def visit_AnnAssign(self, node) -> None:
        self.assigned(node, [node.target])

    def visit_Delete(self, node) -> None:
        self.assigned(node, node.targets)

    def assigned(self, node, targets) -> None:
        # Only the stored-to expressions count: a module used in an index (`P[np.arange(n), y] -= 1`)
        # is read, not assigned to.
        while targets:
            target = targets[0].value if isinstance(targets[0], ast.Starred) else targets[0]
            targets = targets[1:] + (target.elts if isinstance(target, (ast.Tuple, ast.List)) else [])
            if isinstance(target, (ast.Attribute, ast.Subscript)) and self.rooted_in_import(target):
                self.flag(node, "module-attribute-assignment")
        self.generic_visit(node)

    def rooted_in_import(self, node) -> bool:
        while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
            node = node.func if isinstance(node, ast.Call) else node.value
        return isinstance(node, ast.Name) and node.id in self.aliases and not isinstance(node.ctx, ast.Store)

    def visit_While(self, node) -> None:
        if isinstance(node.test, ast.Constant) and node.test.value and not _breaks(node.body):
            self.flag(node, "endless-loop")
        self.generic_visit(node)


def _breaks(body) -> bool:
    for node in body:
        if isinstance(node, (ast.Break, ast.Return, ast.Raise)):
            return True
        if not isinstance(node, (ast.For, ast.While, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if _breaks([child for child in ast.iter_child_nodes(node) if isinstance(child, ast.stmt)]):
                return True
    return False


def _dotted(node, aliases: dict[str, str]) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return ".".join([aliases.get(node.id, node.id), *reversed(parts)])


# CPython 3.11 keeps the AST converter's recursion bookkeeping in interpreter-wide state:
# two threads parsing at once (a grader called from a thread pool) can corrupt it, after
# which every ast.parse in the process fails with "AST constructor recursion depth mismatch".
_PARSE_LOCK = threading.Lock()


def _locked_parse(source: str) -> ast.Module:
    with _PARSE_LOCK:
        return ast.parse(source)


def _parse(source: str) -> ast.Module:
    try:
        return _locked_parse(source)
    except SyntaxError:
        return ast.Module(body=[], type_ignores=[])


def names_read(source: str) -> list[str]:
    """Every name a cell reads, anywhere in it (functions and lambdas included)."""
    return sorted({node.id for node in ast.walk(_parse(source))
                   if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)})


def names_local(source: str) -> set[str]:
    """Every name a cell binds anywhere (so it need not come from elsewhere)."""
    found: set[str] = set()
    for node in ast.walk(_parse(source)):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            found.add(node.id)
        elif isinstance(node, ast.arg):
            found.add(node.arg)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            found.update(alias.asname or alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            found.add(node.name)
    return found


def names_bound(source: str) -> list[str]:
    """The names a cell binds at its top level (``def``, ``class``, assignments, imports)."""
    bound: set[str] = set()
    pending = list(_parse(source).body)
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((a.asname or a.name.split(".")[0]) for a in node.names)
            continue
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store):
                bound.add(child.id)
            elif isinstance(child, (ast.stmt, ast.expr, ast.withitem, ast.excepthandler)) and not isinstance(
                    child, (ast.Lambda, ast.GeneratorExp, ast.ListComp, ast.SetComp, ast.DictComp)):
                pending.append(child)
    return sorted(bound)
