"""Small conveniences for notebook cells that are not exercises.

An experiment cell calls the student's function through ``attempt`` or
``student_or_reference``. While the exercise is not written yet they use the course's
reference, where this copy of ``helpers`` has it; before an assignment's deadline the
student's copy does not (its reference raises ``NotImplementedError``), and then the cell
stops with ``ExerciseUnfinished``: "finish neuron_gradients to run this cell". A later cell
that reads a name the stopped cell would have defined says the same, not "NameError: name
'fits' is not defined".
"""
from __future__ import annotations

import ast
import functools
import sys
from typing import Callable

from helpers._absent import ABSENT

#: name -> the unwritten exercise that stopped the cell defining it (see ``_remember_stopped_cell``)
_waiting: dict[str, str] = {}


def is_absent(function: Callable) -> bool:
    """True when this copy of helpers has only a stub of ``function`` (the course's answer to an
    exercise whose deadline has not passed), also through a bound method, a
    ``functools.partial`` or a ``functools.wraps`` wrapper of it."""
    while True:
        inner = function.func if isinstance(function, functools.partial) else \
            getattr(function, "__wrapped__", getattr(function, "__func__", None))
        if inner is None:
            break
        function = inner
    return f"{getattr(function, '__module__', '')}:{getattr(function, '__qualname__', '')}" in ABSENT


class ExerciseUnfinished(Exception):
    """An experiment needs an exercise that is not written yet, and this copy of the course
    has no reference to stand in for it."""

    def _render_traceback_(self) -> list[str]:  # IPython shows this sentence, not a traceback
        return [str(self)]


def _name(student: Callable) -> str:
    return getattr(student, "__name__", "this function")


def _unwritten(student: Callable, error: NotImplementedError) -> str | None:
    """The exercise that raised ``error``: the notebook function (the student's namespace) that
    raised it itself, so that ``train_neuron`` calling an unwritten ``neuron_gradients`` names
    ``neuron_gradients``; None when it came from elsewhere (a stub of the course's answer that
    the student's code called: its own message says what to do)."""
    namespace, last = getattr(student, "__globals__", None), error.__traceback__
    while last is not None and last.tb_next is not None:
        last = last.tb_next
    code = last.tb_frame.f_code if last is not None else None
    if code is None or code.co_name.startswith("<") or last.tb_frame.f_globals is not namespace:
        return None
    return code.co_name


def _unfinished(exercise: str) -> ExerciseUnfinished:
    _remember_stopped_cell(exercise)
    return ExerciseUnfinished(f"finish {exercise} (the exercise above) to run this cell: the course's "
                              "own version is not in your copy of helpers before the assignment's deadline")


class _TopLevelNames(ast.NodeVisitor):
    """The names a cell binds in the notebook's namespace: not those of the functions, classes,
    lambdas and comprehensions it defines, which have scopes of their own."""

    def __init__(self):
        self.names: set[str] = set()

    def visit_Name(self, node):
        if isinstance(node.ctx, ast.Store):
            self.names.add(node.id)

    def visit_alias(self, node):
        self.names.add((node.asname or node.name).split(".")[0])

    def _bound_by_name(self, node):  # ``except E as name``, ``case [name, *rest]``, ``case {**rest}``
        self.names.update(name for name in (getattr(node, "name", None), getattr(node, "rest", None)) if name)
        self.generic_visit(node)

    visit_ExceptHandler = visit_MatchAs = visit_MatchStar = visit_MatchMapping = _bound_by_name

    def _own_scope(self, node):
        self.names.add(node.name)

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _own_scope

    def _comprehension(self, node):  # its loop variables are its own; a walrus in it binds the cell's
        walrus = _Walruses()
        walrus.visit(node)
        self.names.update(walrus.names)

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _comprehension

    def visit_Lambda(self, node):
        pass


class _Walruses(ast.NodeVisitor):
    """The targets of ``:=`` in a comprehension, not in a lambda inside it (the lambda's own)."""

    def __init__(self):
        self.names: set[str] = set()

    def visit_NamedExpr(self, node):
        self.names.add(node.target.id)
        self.generic_visit(node)

    def visit_Lambda(self, node):
        pass


def _remember_stopped_cell(exercise: str) -> None:
    """Note the names the running cell would have defined, so that a later cell reading one of
    them is told which exercise to finish (IPython only; elsewhere nothing to do)."""
    ipython = sys.modules.get("IPython")  # a notebook's kernel has it; elsewhere nothing to do
    shell = ipython.get_ipython() if ipython is not None else None
    cells = shell.user_ns.get("In") if shell is not None else None
    if not cells:
        return
    try:
        tree = ast.parse(cells[-1])
    except SyntaxError:
        return
    visitor = _TopLevelNames()
    visitor.visit(tree)
    _waiting.update({name: exercise for name in visitor.names if name not in shell.user_ns})
    shell.set_custom_exc((NameError,), _explain_name_error)


def _forget(exercise: str) -> None:
    """``exercise`` runs now: names that waited on it wait no more (a NameError is then the cell's own)."""
    for name in [name for name, waiting_on in _waiting.items() if waiting_on == exercise]:
        del _waiting[name]


def _explain_name_error(shell, etype, value, tb, tb_offset=None):
    last = tb
    while last is not None and last.tb_next is not None:
        last = last.tb_next
    # the cell's own code (its comprehensions and lambdas too), not the body of a function it calls
    at_top_level = last is not None and last.tb_frame.f_globals is shell.user_ns and \
        last.tb_frame.f_code.co_name.startswith("<")
    exercise = _waiting.get(getattr(value, "name", None)) if at_top_level else None
    if exercise is None:
        shell.showtraceback((etype, value, tb), tb_offset=tb_offset)
    else:
        _remember_stopped_cell(exercise)  # this cell stopped too: what it defines waits as well
        sys.last_type, sys.last_value, sys.last_traceback = etype, value, tb  # for %debug and %tb
        shell._showtraceback(etype, value, [f"{value.name} is not computed yet: a cell above stopped because "
                                            f"{exercise} is not written; finish {exercise}, then run this "
                                            "notebook again from that cell"])


def _reference_or_stop(exercise: str, reference: Callable, *args, **kwargs):
    """Call ``reference``; if this copy of helpers has none, stop the cell with a note."""
    if reference is None:
        raise _unfinished(exercise)
    try:
        result = reference(*args, **kwargs)
    except NotImplementedError:
        raise _unfinished(exercise) from None
    print(f"Note: {exercise} is not written yet, so this cell uses the course's reference instead.")
    return result


def _run_student(student: Callable, *args, **kwargs) -> tuple[bool, object]:
    """``(True, result)`` when the student's function runs; ``(False, exercise)`` when an exercise
    it reaches is not written (any other error, a stub's included, is the student's to see)."""
    try:
        result = student(*args, **kwargs)
    except NotImplementedError as error:
        exercise = _unwritten(student, error)
        if exercise is None:
            raise
        return False, exercise
    _forget(_name(student))
    return True, result


def attempt(student: Callable, reference: Callable, *args, **kwargs):
    """Call the student's function; if it is not written yet, say so and use the reference.

    Lets an experiment cell run for a student who has not finished the exercise it uses.
    Any other error is the student's to see, so it is not hidden.
    """
    ran, value = _run_student(student, *args, **kwargs)
    return value if ran else _reference_or_stop(value, reference, *args, **kwargs)


def student_or_reference(student: Callable, reference: Callable, *probe_args, **probe_kwargs) -> Callable:
    """Return ``student`` if it runs on the probe arguments, else say so and return ``reference``.

    For experiments that call an exercise many times (a training loop): the choice is made,
    and the note printed, once. Only ``NotImplementedError`` (an unwritten exercise) falls back.
    ``reference=None`` means the course's own version is used where the student's is missing.
    """
    ran, exercise = _run_student(student, *probe_args, **probe_kwargs)
    if ran:
        return student
    if reference is not None:
        _reference_or_stop(exercise, reference, *probe_args, **probe_kwargs)
    else:
        print(f"Note: {exercise} is not written yet, so this cell uses the course's reference instead.")
    return reference
