"""helpers.notebook.attempt (a student's function, or the reference while it is not written yet)
and helpers.require_version."""
from __future__ import annotations

import functools
import sys

import pytest

import helpers
from helpers import notebook


# --- notebook.attempt ----------------------------------------------------------------------

def reference(x, *, scale=1.0):
    return ("reference", x * scale)


def test_attempt_returns_the_students_result(capsys):
    def student(x, *, scale=1.0):
        return ("student", x * scale)

    assert notebook.attempt(student, reference, 3, scale=2.0) == ("student", 6.0)
    assert capsys.readouterr().out == ""


def test_attempt_falls_back_on_not_implemented(capsys):
    def student_fit(x, *, scale=1.0):
        raise NotImplementedError

    assert notebook.attempt(student_fit, reference, 3, scale=2.0) == ("reference", 6.0)
    out = capsys.readouterr().out
    assert "student_fit" in out and "reference" in out


def test_attempt_lets_other_errors_through(capsys):
    called = []

    def student(x):
        raise ValueError("shapes do not match")

    with pytest.raises(ValueError, match="shapes do not match"):
        notebook.attempt(student, lambda x: called.append(x), 1)
    assert called == [] and capsys.readouterr().out == ""


def absent_reference(x, *, scale=1.0):
    """What a staged copy of helpers has before the deadline (grading.engine.calling.staged)."""
    raise NotImplementedError("helpers.neuron.gradients is the course's own answer to an exercise of 01")


def test_attempt_says_finish_the_exercise_when_the_reference_is_absent(capsys):
    def train_neuron(x, *, scale=1.0):
        raise NotImplementedError

    with pytest.raises(notebook.ExerciseUnfinished, match="finish train_neuron .* to run this cell") as stop:
        notebook.attempt(train_neuron, absent_reference, 3)
    assert stop.value._render_traceback_() == [str(stop.value)]  # IPython shows the sentence alone
    assert capsys.readouterr().out == ""  # no "uses the course's reference" note: it does not


def test_student_or_reference_says_finish_the_exercise_when_the_reference_is_absent(capsys):
    def network_backward(x):
        raise NotImplementedError

    with pytest.raises(notebook.ExerciseUnfinished, match="finish network_backward"):
        notebook.student_or_reference(network_backward, absent_reference, 1)
    assert notebook.student_or_reference(network_backward, reference, 1) is reference
    assert "network_backward is not written yet" in capsys.readouterr().out
    assert notebook.student_or_reference(lambda x: x, reference, 1)(5) == 5


# --- require_version -----------------------------------------------------------------------

def test_require_version_accepts_the_installed_version():
    assert helpers.require_version(helpers.__version__) is None


@pytest.mark.parametrize("wanted", ["0.0.1", "9.9.9", helpers.__version__ + ".1"])
def test_require_version_names_both_versions(wanted):
    with pytest.raises(RuntimeError, match="^This notebook needs helpers") as error:
        helpers.require_version(wanted)
    message = str(error.value)
    assert f"helpers {wanted}" in message and f"helpers {helpers.__version__}" in message


# --- a later cell that reads what a stopped cell would have defined -----------------------

@pytest.fixture
def shell(monkeypatch):
    from IPython.core.interactiveshell import InteractiveShell

    monkeypatch.setattr(notebook, "_waiting", {})
    shell = InteractiveShell.instance()
    shell.user_ns.update(attempt=notebook.attempt, absent_reference=absent_reference, reference=reference)
    shell.run_cell("def train_neuron(x):\n    raise NotImplementedError", store_history=True)
    yield shell
    shell.set_custom_exc((), None)
    InteractiveShell.clear_instance()


def test_a_name_the_stopped_cell_would_have_defined_says_which_exercise_to_finish(shell, capsys):
    stopped = shell.run_cell("fits = {}\nfits['w=0'] = attempt(train_neuron, absent_reference, 1)\nbest = 1",
                             store_history=True)
    assert isinstance(stopped.error_in_exec, notebook.ExerciseUnfinished)
    later = shell.run_cell("print(best)", store_history=True)
    assert isinstance(later.error_in_exec, NameError)
    shown = capsys.readouterr().out
    assert "best is not computed yet" in shown and "finish train_neuron" in shown
    assert "Traceback" not in shown
    assert sys.last_value is later.error_in_exec  # %debug and %tb find it


def test_the_explanation_carries_on_down_a_chain_of_cells(shell, capsys):
    shell.run_cell("fits = attempt(train_neuron, absent_reference, 1)", store_history=True)
    shell.run_cell("best = fits[0]", store_history=True)
    capsys.readouterr()
    third = shell.run_cell("print(best)", store_history=True)
    assert isinstance(third.error_in_exec, NameError)
    assert "best is not computed yet" in capsys.readouterr().out


def test_other_name_errors_keep_their_traceback(shell, capsys):
    shell.run_cell("best = attempt(train_neuron, absent_reference, 1)", store_history=True)
    capsys.readouterr()
    typo = shell.run_cell("print(bets)", store_history=True)
    assert isinstance(typo.error_in_exec, NameError)
    shown = capsys.readouterr().out
    assert "name 'bets' is not defined" in shown and "not computed yet" not in shown


def test_a_name_that_existed_before_the_stop_is_not_explained_away(shell, capsys):
    shell.run_cell("best = 0", store_history=True)
    shell.run_cell("best = attempt(train_neuron, absent_reference, 1)", store_history=True)
    assert "best" not in notebook._waiting  # its old value is still there to read


def test_only_names_the_cell_binds_at_top_level_wait(shell, capsys):
    shell.run_cell("for step in range(2):\n    total = attempt(train_neuron, absent_reference, step)\n"
                   "def helper(x):\n    inner = x\n    return inner\n"
                   "squares = [k * k for k in range(3)]\nimport numpy.linalg as la",
                   store_history=True)
    # step was bound before the stop: it exists, so it needs no explaining
    assert set(notebook._waiting) == {"total", "helper", "squares", "la"}


def test_names_bound_by_except_match_and_a_walrus_in_a_comprehension_wait_too(shell, capsys):
    shell.run_cell("try:\n    fitted = attempt(train_neuron, absent_reference, 1)\nexcept KeyError as problem:\n"
                   "    pass\nmatch [1, 2]:\n    case [first, *others]:\n        pass\n"
                   "    case {'w': weight, **options}:\n        pass\n"
                   "picked = [last := k for k in range(3)]\n"
                   "makers = [lambda: (inner := 1) for _ in range(2)]", store_history=True)
    assert set(notebook._waiting) == {"fitted", "problem", "first", "others", "weight", "options", "picked", "last",
                                      "makers"}  # inner belongs to the lambda
    capsys.readouterr()
    later = shell.run_cell("print(last)", store_history=True)
    assert isinstance(later.error_in_exec, NameError)
    assert "last is not computed yet" in capsys.readouterr().out


def test_a_comprehension_of_a_later_cell_is_told_too(shell, capsys):
    shell.run_cell("steps_used = {name: attempt(train_neuron, absent_reference, 1) for name in 'ab'}",
                   store_history=True)
    capsys.readouterr()
    later = shell.run_cell("runs = [steps_used[name] for name in 'ab']", store_history=True)
    assert isinstance(later.error_in_exec, NameError)
    assert "steps_used is not computed yet" in capsys.readouterr().out


def test_a_name_error_inside_a_function_keeps_its_traceback(shell, capsys):
    shell.run_cell("costs = attempt(train_neuron, absent_reference, 1)", store_history=True)
    capsys.readouterr()
    # the student's own function reads a name before binding it: their bug, with its line number
    shell.run_cell("def fit():\n    costs.append(1)\n\nfit()", store_history=True)
    shown = capsys.readouterr().out
    assert "name 'costs' is not defined" in shown and "not computed yet" not in shown


def test_the_stop_names_the_exercise_that_is_not_written(shell, capsys):
    shell.run_cell("def neuron_gradients(x):\n    raise NotImplementedError\n\n"
                   "def fit(x):\n    return neuron_gradients(x)", store_history=True)
    stopped = shell.run_cell("fitted = attempt(fit, absent_reference, 1)", store_history=True)
    assert isinstance(stopped.error_in_exec, notebook.ExerciseUnfinished)
    assert "finish neuron_gradients" in str(stopped.error_in_exec)
    shell.run_cell("used = attempt(fit, reference, 2)", store_history=True)
    assert "neuron_gradients is not written yet" in capsys.readouterr().out


def test_once_the_exercise_runs_its_names_wait_no_more(shell, capsys):
    shell.run_cell("fits = attempt(train_neuron, absent_reference, 1)", store_history=True)
    shell.run_cell("def train_neuron(x):\n    return x", store_history=True)
    shell.run_cell("probe = attempt(train_neuron, absent_reference, 1)", store_history=True)
    capsys.readouterr()
    shell.run_cell("print(fits)", store_history=True)  # fits was never computed: an ordinary NameError now
    shown = capsys.readouterr().out
    assert "name 'fits' is not defined" in shown and "not computed yet" not in shown


def test_a_stub_the_students_own_code_calls_shows_its_own_message(shell):
    shell.run_cell("def my_softmax(z):\n    return absent_reference(z)\n\n"
                   "def train2(z):\n    return my_softmax(z)", store_history=True)
    stopped = shell.run_cell("out = attempt(train2, reference, 1)", store_history=True)
    assert type(stopped.error_in_exec) is NotImplementedError  # not "finish my_softmax (the exercise above)"
    assert "course's own answer" in str(stopped.error_in_exec)


# --- is_absent: what a staged copy lists in helpers/_absent.py ------------------------------

def test_is_absent_reads_the_copys_list(monkeypatch):
    from helpers import activations, network

    monkeypatch.setattr(notebook, "ABSENT", frozenset({"helpers.activations:sigmoid", "helpers.network:MLP.backward"}))
    assert notebook.is_absent(activations.sigmoid)
    assert notebook.is_absent(network.MLP.backward)
    assert not notebook.is_absent(activations.tanh)
    assert not notebook.is_absent(lambda z: z)
    assert notebook.is_absent(functools.partial(activations.sigmoid))  # a test cell's stand-ins
    assert notebook.is_absent(functools.wraps(activations.sigmoid)(lambda z: z))
    assert not notebook.is_absent(functools.partial(activations.tanh))
