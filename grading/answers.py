"""The answers of an assignment as code shapes, and where a folder holds one.

An answer is a function: one that a solution's answer cell defines, or a ``helpers``
function that the hidden tests name as the reference (``grading.engine.calling.references``).
``fingerprint`` normalises a function's AST: its name, docstring, annotations and
decorators dropped, every identifier renamed by order of first use, constants kept, so
that a renamed or re-commented copy has the same fingerprint as the original.
``leaks(folder, assignments)`` lists every function in the folder's ``.py`` files and
notebooks whose fingerprint is one of those assignments' answers. Functions of fewer than
``MIN_NODES`` nodes (``return X @ w + b``) are too common to tell anything and are skipped.
"""
from __future__ import annotations

import ast
import copy
import inspect
import json
from pathlib import Path

from grading import course
from grading.engine.calling import references
from grading.engine.calling.names import locked_parse
from grading.engine.calling.repair import role

MIN_NODES = 25


class _Renamer(ast.NodeTransformer):
    """Identifiers become ``v0``, ``v1``, ... in order of first use."""

    def __init__(self):
        self.names: dict[str, str] = {}

    def rename(self, name: str) -> str:
        return self.names.setdefault(name, f"v{len(self.names)}")

    def visit_Name(self, node):
        return ast.copy_location(ast.Name(self.rename(node.id), node.ctx), node)

    def visit_arg(self, node):
        return ast.copy_location(ast.arg(self.rename(node.arg)), node)

    def visit_Attribute(self, node):
        self.generic_visit(node)
        node.attr = self.rename(node.attr)
        return node


def fingerprint(function: ast.FunctionDef) -> str | None:
    """The normalised shape of a function, or None if it is too small to mean anything."""
    body = list(function.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant):
        body = body[1:]  # the docstring
    node = copy.deepcopy(ast.FunctionDef("f", function.args, body or [ast.Pass()], [], None, type_comment=None))
    node = _Renamer().visit(node)
    if sum(1 for _ in ast.walk(node)) < MIN_NODES:
        return None
    return ast.dump(node, annotate_fields=False)


def functions_in(source: str) -> list[ast.FunctionDef]:
    try:
        tree = locked_parse(source)
    except SyntaxError:
        return []
    return [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]


def answer_fingerprints(assignment: str, root: Path = course.REPO_ROOT) -> dict[str, str]:
    """Fingerprint -> what it is, for the solution's answer functions and the references."""
    import nbformat

    found = {}
    source = nbformat.read(course.notebook_path(root, "solutions", assignment), as_version=4)
    for cell in source.cells:
        if role(cell) == "answer" and cell.cell_type == "code":
            for function in functions_in(cell.source):
                found[fingerprint(function)] = f"{assignment}'s answer {function.name}"
    for name, owner in references.owners(root).items():
        if owner == assignment:
            found[_reference_fingerprint(name)] = f"{assignment}'s reference {name.replace(':', '.')}"
    found.pop(None, None)
    return found


def _reference_fingerprint(name: str) -> str | None:
    import importlib

    module, _, qualname = name.partition(":")
    target = importlib.import_module(module)
    for part in qualname.split("."):
        target = getattr(target, part)
    if "<locals>" in getattr(getattr(target, "__code__", None), "co_qualname", "<locals>"):
        return None  # made by a factory (optim's dict steps): the def is the factory's, no answer
    try:
        functions = functions_in(inspect.cleandoc("\n" + inspect.getsource(target)))
    except (OSError, TypeError):
        return None
    return fingerprint(functions[0]) if functions else None


def _sources(folder: Path):
    for path in sorted(Path(folder).rglob("*")):
        if path.suffix == ".py":
            yield path, path.read_text(encoding="utf-8", errors="replace")
        elif path.suffix == ".ipynb":
            cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
            for cell in cells:
                if cell.get("cell_type") == "code":
                    source = cell.get("source", "")
                    yield path, "".join(source) if isinstance(source, list) else source


def leaks(folder: Path, assignments: list[str], root: Path = course.REPO_ROOT,
          shipped: set[str] = frozenset()) -> list[str]:
    """One line per function in ``folder`` that is an answer of one of ``assignments``, but for
    the references named in ``shipped`` (early tools, ``references.EARLY_TOOLS``)."""
    answers = {}
    for assignment in assignments:
        answers.update(answer_fingerprints(assignment, root))
    for name in shipped:
        answers.pop(_reference_fingerprint(name), None)
    problems = []
    for path, source in _sources(folder):
        for function in functions_in(source):
            what = answers.get(fingerprint(function))
            if what:
                problems.append(f"{Path(path).relative_to(folder)}: {function.name} is {what}")
    return problems
