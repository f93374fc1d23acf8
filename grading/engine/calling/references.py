"""Which ``helpers`` functions answer which assignment: read from the hidden tests, one place.

A hidden test names the course's own implementation of an exercise when it calls
``checks.reference_unavailable(f, g, ...)`` around the student's function. Those calls are
the only list: ``named_in_tests`` resolves their arguments (dotted names of the setup cells'
imports, registry look-ups such as ``optim.RULES["sgd"].update``, a tuple assigned in the
cell, the loop variable of a ``for`` over a literal table) to functions, and ``owners`` gives
each function the first assignment that names it. What is taken away follows from that:

* ``absent_through(N)``: the functions whose assignment is N or later (a staged student
  bundle for assignment N leaves them out: their deadline has not passed), but for the
  ``EARLY_TOOLS`` that an earlier notebook's experiments need;
* ``absent_while_grading(N)``: those, and every function N's own tests name (an earlier
  assignment's reference that N asks the student to write again, ``MLP.backward`` say).
"""
from __future__ import annotations

import ast
import functools
import importlib
import types
from pathlib import Path

from grading import course

from .names import imports, locked_parse
from .repair import role


class _SetupNames(dict):
    """The setup cells' imports, each imported when an argument first reads it: importing every
    notebook's drawing modules cost a worker seconds, and no reference is among them."""

    def __init__(self, dotted: dict[str, str]):
        super().__init__()
        self.dotted = dotted

    def __contains__(self, name) -> bool:
        return name in self.dotted

    def __missing__(self, name):
        if name not in self.dotted:
            raise KeyError(name)  # a builtin, in a comprehension's scope
        module, _, attribute = self.dotted[name].rpartition(".")
        try:
            value = importlib.import_module(self.dotted[name])
        except ImportError:
            value = getattr(importlib.import_module(module), attribute)
        self[name] = value
        return value


class _Unknown(dict):
    """The setup's imports; names a test cell defines itself (the student's functions) are None."""

    def __init__(self, setup: _SetupNames):
        super().__init__()
        self.setup = setup

    def __missing__(self, name):
        return self.setup[name] if name in self.setup else None


def qualified(function) -> str | None:
    """``module:qualname`` of a function defined by a ``def`` in ``helpers``, else None."""
    if isinstance(function, types.MethodType):
        function = function.__func__
    module, name = getattr(function, "__module__", ""), getattr(function, "__qualname__", "")
    if not isinstance(function, types.FunctionType) or not module.startswith("helpers") or "<" in name:
        return None
    return f"{module}:{name}"


def _values(node: ast.expr, cell: ast.Module, namespace: _SetupNames) -> list:
    """The objects an argument of ``reference_unavailable`` stands for."""
    if isinstance(node, ast.Starred):
        return [item for value in _values(node.value, cell, namespace) for item in _iterable(value)]
    if isinstance(node, ast.Name) and node.id not in namespace:
        for bound in ast.walk(cell):
            if isinstance(bound, ast.Assign) and any(_is_name(t, node.id) for t in bound.targets):
                value = _evaluate(bound.value, namespace)
                return list(value) if isinstance(value, (tuple, list)) else [value]
            if isinstance(bound, ast.For) and isinstance(bound.target, ast.Tuple) and isinstance(
                    bound.iter, (ast.Tuple, ast.List)):
                for position, target in enumerate(bound.target.elts):
                    if _is_name(target, node.id):
                        return [_evaluate(row.elts[position], namespace) for row in bound.iter.elts]
        return []
    return [_evaluate(node, namespace)]


def _is_name(node, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


def _iterable(value) -> list:
    return list(value) if isinstance(value, (tuple, list)) else [value]


def _evaluate(node: ast.expr, namespace: _SetupNames):
    # The instructor's own code (solutions/), evaluated over the setup cells' imports only.
    return eval(compile(ast.Expression(node), "<reference>", "eval"), namespace, _Unknown(namespace))


def named_in_tests(source) -> set[str]:
    """``module:qualname`` of every function the notebook's test cells pass to
    ``reference_unavailable`` (and the unchecked ``kernel`` behind a checked public one)."""
    setup = [cell.source for cell in source.cells if role(cell) == "locked" and cell.cell_type == "code"]
    namespace = _SetupNames(imports(setup))
    found: set[str] = set()
    for cell in source.cells:
        if role(cell) != "test":
            continue
        tree = locked_parse(cell.source)
        for call in ast.walk(tree):
            if isinstance(call, ast.Call) and getattr(call.func, "attr", getattr(call.func, "id", "")) == \
                    "reference_unavailable":
                for function in (f for arg in call.args for f in _values(arg, tree, namespace)):
                    found.update(filter(None, (qualified(function), qualified(getattr(function, "kernel", None)))))
    return found


@functools.lru_cache(maxsize=None)
def _named(root: str) -> dict[str, frozenset[str]]:
    import nbformat

    return {assignment: frozenset(named_in_tests(nbformat.read(
        course.notebook_path(Path(root), "solutions", assignment), as_version=4)))
        for assignment in course.assignments(Path(root))}


def owners(root: Path = course.REPO_ROOT) -> dict[str, str]:
    """Function -> the first assignment (in course order) whose hidden tests name it."""
    found: dict[str, str] = {}
    for assignment, functions in _named(str(Path(root).resolve())).items():
        for function in functions:
            found.setdefault(function, assignment)
    return found


#: Tools that an earlier notebook's experiments need before the assignment that asks students to
#: write them: ``function -> the first assignment that needs it``. A staged bundle ships each from
#: there on, so its source is in students' hands before its own deadline: copying it can be
#: flagged (``course report``), not prevented. Grading still takes it away while the assignment
#: that names it is graded (``absent_while_grading``).
EARLY_TOOLS = {
    "helpers.init:xavier_normal": "01_why_sigmoid",  # every MLP's default initialiser (01's XOR network)
    "helpers.init:normal": "01_why_sigmoid",  # what xavier_normal and he_normal draw with
    "helpers.train:iterate_minibatches": "02_cross_entropy_vs_mse",  # the loop of train()
    "helpers.optim:_sgd": "02_cross_entropy_vs_mse",  # train()'s default rule
    "helpers.init:he_normal": "04_regularisation",  # the ReLU networks that over-fit
}


def shipped_early(assignment: str) -> set[str]:
    """The early tools a staged bundle for ``assignment`` ships (see ``EARLY_TOOLS``)."""
    return {function for function, first in EARLY_TOOLS.items() if first <= assignment}


def absent_through(assignment: str, root: Path = course.REPO_ROOT) -> set[str]:
    """The functions a student working on ``assignment`` may not have: theirs and later ones',
    except the tools an earlier notebook already needed."""
    return {function for function, owner in owners(root).items() if owner >= assignment} - shipped_early(assignment)


def absent_while_grading(assignment: str, root: Path = course.REPO_ROOT) -> set[str]:
    """What the sandbox's helpers lacks while ``assignment`` is graded."""
    return absent_through(assignment, root) | _named(str(Path(root).resolve()))[assignment]
