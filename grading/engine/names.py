"""The names a cell's code imports, reads and binds, read from its AST (never run).

``imports`` maps each imported name to what it was imported as; ``dotted`` reads
``np.linalg.norm`` as ``numpy.linalg.norm`` through them; ``names_read``, ``names_local``
and ``names_bound`` say what a cell takes from elsewhere and what it defines. A cell that is
not valid Python has no names.
"""
from __future__ import annotations

import ast
import threading


def imports(sources: list[str]) -> dict[str, str]:
    """Name -> dotted path of what it was imported as, over all parseable ``sources``."""
    aliases: dict[str, str] = {}
    for source in sources:
        for node in ast.walk(parse(source)):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    aliases[alias.asname or alias.name.split(".")[0]] = alias.name if alias.asname else alias.name.split(".")[0]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return aliases


def dotted(node, aliases: dict[str, str]) -> str | None:
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


def locked_parse(source: str) -> ast.Module:
    with _PARSE_LOCK:
        return ast.parse(source)


def parse(source: str) -> ast.Module:
    try:
        return locked_parse(source)
    except SyntaxError:
        return ast.Module(body=[], type_ignores=[])


def names_read(source: str) -> list[str]:
    """Every name a cell reads, anywhere in it (functions and lambdas included)."""
    return sorted({node.id for node in ast.walk(parse(source))
                   if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)})


def names_local(source: str) -> set[str]:
    """Every name a cell binds anywhere (so it need not come from elsewhere)."""
    found: set[str] = set()
    for node in ast.walk(parse(source)):
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
    pending = list(parse(source).body)
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
