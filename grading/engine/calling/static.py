"""Reading the student's code without running it: suspicious constructs, and names.

``scan`` flags, line by line, what a human should look at in a student's cell, whether or
not it changed a score: assigning attributes of imported modules (``np.allclose = ...``,
``setattr(grading, ...)``), the IPython shell, ``sys.modules``, builtins, file, network and
process access, ``os._exit``/``sys.exit``, dynamic code (``exec``, ``importlib``, pickle),
ctypes, introspection (frames, ``gc``, dunder attributes such as ``__code__``), endless loops, any
use of the helpers functions that the grading sandbox lacks (``references``), and rebinding
a name the setup cells import (``def check_array(*args): pass``). The kinds are listed on
``Flag``.

``ipython_free`` removes IPython-only lines (``%magic``, ``!cmd``, ``x = !cmd``, ``obj?``)
from a cell that is not valid Python, so the rest of it can run as plain Python.
"""
from __future__ import annotations

import ast
import re

from .names import dotted as dotted_name, locked_parse, parse
from .results import Flag

IMPORT_KINDS = {
    **dict.fromkeys(["subprocess", "multiprocessing", "pty", "signal", "concurrent"], "process"),
    **dict.fromkeys(["shutil", "pathlib", "glob", "sqlite3", "tempfile", "fileinput", "zipfile", "tarfile",
                     "shelve", "dbm", "io", "_io", "os", "posix", "nt", "fcntl"], "file-access"),
    **dict.fromkeys(["socket", "_socket", "urllib", "http", "requests", "ftplib", "smtplib", "ssl", "telnetlib",
                     "xmlrpc", "webbrowser"], "network"),
    **dict.fromkeys(["_posixsubprocess"], "process"),
    # the grader's own code: the student server's modules (loaded as plain modules), the package
    **dict.fromkeys(["__main__", "student", "capture", "wire", "guards", "grading"], "engine"),
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
ATTRIBUTE_BY_NAME = ("getattr", "setattr", "delattr", "hasattr")
IPYTHON_LINE = re.compile(r"^\s*([%!]|[\w.]+\?\??\s*$|\w+\s*=\s*[%!])")


def ipython_free(source: str) -> tuple[str, list[int]]:
    """``source`` with IPython-only lines replaced by ``pass``, and their line numbers."""
    try:
        locked_parse(source)
        return source, []
    except SyntaxError:
        pass
    lines, removed = source.splitlines(), []
    for number, line in enumerate(lines, 1):
        if IPYTHON_LINE.match(line):
            lines[number - 1] = line[: len(line) - len(line.lstrip())] + "pass  # IPython-only line removed"
            removed.append(number)
    return ("\n".join(lines), removed) if removed else (source, [])


def scan(source: str, label: str, aliases: dict[str, str], references: set[str],
         course_names: frozenset[str] = frozenset(), course_code: frozenset[str] | None = None) -> list[Flag]:
    """Flags for one student cell (``source`` after ``ipython_free``); ``course_names`` are
    the names the course's setup cells import, which the cell should not rebind;
    ``course_code``, if given, the helpers names a student's code may use without a flag
    (those the solution's answers use): any other is flagged ``course-code``."""
    tree = parse(source)
    scanner = _Scanner(source, label, {**aliases, **_local_aliases(tree, aliases)}, references, course_code)
    scanner.visit(tree)
    for node in ast.walk(tree):
        stored = node.id if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) else (
            node.name if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) else None)
        if stored in course_names:
            scanner.flag(node, "shadowed-import")
    return scanner.flags


def _local_aliases(tree: ast.Module, aliases: dict[str, str]) -> dict[str, str]:
    """Names the cell binds to an imported module or an attribute of one (``g = helpers.checks``),
    so that ``g.check_array = ...`` is seen for what it is."""
    found: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            known = {**aliases, **found}
            dotted = dotted_name(node.value, known) if _root(node.value) in known else None
            if dotted:
                found[node.targets[0].id] = dotted
    return found


def _root(node) -> str | None:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def helpers_names(sources: list[str], aliases: dict[str, str]) -> set[str]:
    """Every ``helpers`` name (dotted, through ``aliases``) that ``sources`` use."""
    found = set()
    for source in sources:
        for node in ast.walk(parse(source)):
            dotted = dotted_name(node, aliases) if isinstance(node, (ast.Name, ast.Attribute)) else None
            if dotted and dotted.startswith("helpers."):
                found.add(dotted)
    return found


class _Scanner(ast.NodeVisitor):
    def __init__(self, source: str, label: str, aliases: dict[str, str], references: set[str],
                 course_code: frozenset[str] | None = None):
        self.lines, self.label, self.aliases, self.references = source.splitlines(), label, aliases, references
        self.course_code = course_code
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
        dotted = dotted_name(node, self.aliases)
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
        elif self.course_code is not None and dotted.startswith("helpers.") and dotted not in self.course_code:
            self.flag(node, "course-code")

    def visit_Call(self, node) -> None:
        name = dotted_name(node.func, self.aliases)
        if name in ("setattr", "delattr") and node.args and self.rooted_in_import(node.args[0]):
            self.flag(node, "module-attribute-assignment")
        if name in ATTRIBUTE_BY_NAME and len(node.args) > 1 and isinstance(node.args[1], ast.Constant):
            attribute = str(node.args[1].value)  # getattr(f, "__code__") is f.__code__
            if (attribute.startswith("__") and attribute not in PLAIN_DUNDERS) or attribute in INTROSPECTION:
                self.flag(node, "introspection")
        if isinstance(node.func, ast.Call) and dotted_name(node.func.func, self.aliases) == "type":
            self.flag(node, "dynamic-code")  # type(f)(code, globals): a function built from code
        elif name == "type" and len(node.args) == 1 and self.rooted_in_import(node.args[0]):
            self.flag(node, "dynamic-code")  # the type of a library function: kept to build one
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
