"""A copy of ``helpers`` without the answers: the grading sandbox's, and a staged bundle's.

``write(helpers_dir, destination, absent, says)`` copies the package and replaces the body of
each absent function (``module:qualname -> assignment``, see ``references``) by one line that
raises ``NotImplementedError`` saying why (``says``), and lists it in the copy's
``helpers/_absent.py``. Its docstring goes too (it states the formula),
and so does every private function (``_name``) of the same module or class that only absent
functions call (``neuron._gradients`` behind ``neuron.gradients``): copying the source must
not give the answer back. Everything else is byte for byte the original, so classes,
records and the rest of the maths behave as they do in the grader's process.

``cached(helpers_dir, absent)`` writes it once per content (helpers' source and the absent
list) into the system's temporary folder and returns the copy's ``helpers`` folder.
"""
from __future__ import annotations

import ast
import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from .names import locked_parse

IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")
CACHE = "why-nn-helpers"


# What a stub says, in the grading sandbox and in a staged student bundle.
WHILE_GRADING = ("{function} is not available while your notebook is graded: it is the course's own answer "
                 "to an exercise of {assignment} (this cell's output is not graded)")
BEFORE_DEADLINE = ("{function} is the course's own answer to an exercise of {assignment}: it comes with the "
                   "course's files after that assignment's deadline; until then, write your own (if that deadline "
                   "has passed, this helpers folder is an old week's: copy a newer bundle's helpers over it)")


def module_file(helpers_dir: Path, module: str) -> Path:
    parts = module.split(".")[1:]
    path = Path(helpers_dir, *parts)
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


def _definitions(tree: ast.Module) -> dict[str, ast.FunctionDef]:
    """qualname -> def, for module-level functions and the methods of module-level classes."""
    found = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found[node.name] = node
        elif isinstance(node, ast.ClassDef):
            found.update({f"{node.name}.{item.name}": item for item in node.body
                          if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))})
    return found


def _names_in(node: ast.AST) -> set[str]:
    return {n.id if isinstance(n, ast.Name) else n.attr for n in ast.walk(node)
            if isinstance(n, (ast.Name, ast.Attribute))}


def _with_private_helpers(tree: ast.Module, stubbed: set[str]) -> set[str]:
    """``stubbed`` and the private functions that only stubbed functions use (to a fixed point)."""
    definitions = _definitions(tree)
    while True:
        skipped = {id(definitions[q]) for q in stubbed}
        used_elsewhere, pending = set(), [tree]
        while pending:
            node = pending.pop()
            if id(node) not in skipped:
                used_elsewhere |= _names_in(node) if isinstance(node, (ast.Name, ast.Attribute)) else set()
                pending.extend(ast.iter_child_nodes(node))
        used_by_stubbed = {n for q in stubbed for n in _names_in(definitions[q])}
        more = {q for q, d in definitions.items() if d.name.startswith("_") and not d.name.startswith("__")
                and d.name in used_by_stubbed and d.name not in used_elsewhere and q not in stubbed}
        if not more:
            return stubbed
        stubbed = stubbed | more


def stub_source(source: str, module: str, absent: dict[str, str], says: str) -> str:
    """``source`` of ``module`` with the bodies of its absent functions replaced by a
    ``NotImplementedError`` whose message is ``says`` (``WHILE_GRADING``, ``BEFORE_DEADLINE``)."""
    tree = locked_parse(source)
    definitions = _definitions(tree)
    mine = {name.split(":")[1]: assignment for name, assignment in absent.items() if name.split(":")[0] == module}
    stubbed = _with_private_helpers(tree, {q for q in mine if q in definitions})
    lines = source.splitlines(keepends=True)
    for qualname in sorted(stubbed, key=lambda q: -definitions[q].lineno):  # bottom up: line numbers hold
        node = definitions[qualname]
        owner = mine.get(qualname) or min(mine.values())  # a private helper: the module's first owner
        first = min([node.lineno] + [d.lineno for d in node.decorator_list])
        indent = lines[first - 1][: len(lines[first - 1]) - len(lines[first - 1].lstrip())]
        why = says.format(function=f"{module}.{qualname}", assignment=owner)
        raise_line = locked_parse(f"raise NotImplementedError({why!r})").body
        stub = ast.FunctionDef(node.name, node.args, raise_line, node.decorator_list, node.returns,
                               type_comment=None, lineno=node.lineno, col_offset=node.col_offset)
        text = "".join(indent + line + "\n" for line in ast.unparse(ast.fix_missing_locations(stub)).splitlines())
        lines[first - 1:node.end_lineno] = [text]
    return "".join(lines)


def write(helpers_dir: Path, destination: Path, absent: dict[str, str], says: str) -> Path:
    """Copy ``helpers_dir`` to ``destination/helpers`` without the ``absent`` functions."""
    target = Path(destination) / "helpers"
    shutil.copytree(helpers_dir, target, ignore=IGNORE)
    for module in sorted({name.split(":")[0] for name in absent}):
        path = module_file(target, module)
        path.write_text(stub_source(path.read_text(encoding="utf-8"), module, absent, says), encoding="utf-8")
    registry = target / "_absent.py"  # what the copy's own code asks (checks.substituted, notebook)
    empty, text = "ABSENT: frozenset[str] = frozenset()", registry.read_text(encoding="utf-8")
    if text.count(empty) != 1:
        raise RuntimeError(f"{registry} must hold the line {empty!r} once, for the staged copy to list its stubs")
    registry.write_text(text.replace(empty, f"ABSENT: frozenset[str] = frozenset({sorted(absent)!r})"),
                        encoding="utf-8")
    return target


def cached(helpers_dir: Path, absent: dict[str, str], says: str = WHILE_GRADING) -> Path:
    """``write`` once per content, into the temporary folder; the copy's ``helpers`` folder."""
    digest = hashlib.sha256(repr((sorted(absent.items()), says)).encode())
    for path in sorted(Path(helpers_dir).rglob("*.py")):
        digest.update(str(path.relative_to(helpers_dir)).encode() + b"\0" + path.read_bytes())
    home = Path(tempfile.gettempdir()) / CACHE
    home.mkdir(exist_ok=True)
    if home.stat().st_uid != os.getuid():
        # someone else's folder could hold a helpers with the answers back in: not ours to use
        raise RuntimeError(f"{home} belongs to another user; remove it, or set TMPDIR elsewhere")
    home.chmod(0o755)
    final = home / digest.hexdigest()[:20]
    if not (final / "helpers").is_dir():
        building = Path(tempfile.mkdtemp(prefix="building-", dir=home))
        write(helpers_dir, building, absent, says)
        for path in [building, *building.rglob("*")]:  # the sandbox's uid must read it
            path.chmod(0o755 if path.is_dir() else 0o644)
        try:
            os.rename(building, final)
        except OSError:  # another worker finished first: its copy is the same
            shutil.rmtree(building, ignore_errors=True)
    return final / "helpers"
