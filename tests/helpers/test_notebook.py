"""helpers.notebook.attempt (a student's function, or the reference while it is not written yet)
and helpers.require_version."""
from __future__ import annotations

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
    """What a staged copy of helpers has before the deadline (grading.engine.staged)."""
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
    with pytest.raises(RuntimeError) as error:
        helpers.require_version(wanted)
    message = str(error.value)
    assert f"helpers {wanted}" in message and f"helpers {helpers.__version__}" in message
