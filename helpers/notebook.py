"""Small conveniences for notebook cells that are not exercises.

An experiment cell calls the student's function through ``attempt`` or
``student_or_reference``. While the exercise is not written yet they use the course's
reference, where this copy of ``helpers`` has it; before an assignment's deadline the
student's copy does not (its reference raises ``NotImplementedError``), and then the cell
stops with ``ExerciseUnfinished``: "finish neuron_gradients to run this cell".
"""
from __future__ import annotations

from typing import Callable


class ExerciseUnfinished(Exception):
    """An experiment needs an exercise that is not written yet, and this copy of the course
    has no reference to stand in for it."""

    def _render_traceback_(self) -> list[str]:  # IPython shows this sentence, not a traceback
        return [str(self)]


def _name(student: Callable) -> str:
    return getattr(student, "__name__", "this function")


def _unfinished(student: Callable) -> ExerciseUnfinished:
    return ExerciseUnfinished(f"finish {_name(student)} (the exercise above) to run this cell: the course's "
                              "own version is not in your copy of helpers before the assignment's deadline")


def _reference_or_stop(student: Callable, reference: Callable, *args, **kwargs):
    """Call ``reference``; if this copy of helpers has none, stop the cell with a note."""
    if reference is None:
        raise _unfinished(student)
    try:
        result = reference(*args, **kwargs)
    except NotImplementedError:
        raise _unfinished(student) from None
    print(f"Note: {_name(student)} is not written yet, so this cell uses the course's reference instead.")
    return result


def attempt(student: Callable, reference: Callable, *args, **kwargs):
    """Call the student's function; if it is not written yet, say so and use the reference.

    Lets an experiment cell run for a student who has not finished the exercise it uses.
    Any other error is the student's to see, so it is not hidden.
    """
    try:
        return student(*args, **kwargs)
    except NotImplementedError:
        pass
    return _reference_or_stop(student, reference, *args, **kwargs)


def student_or_reference(student: Callable, reference: Callable, *probe_args, **probe_kwargs) -> Callable:
    """Return ``student`` if it runs on the probe arguments, else say so and return ``reference``.

    For experiments that call an exercise many times (a training loop): the choice is made,
    and the note printed, once. Only ``NotImplementedError`` (an unwritten exercise) falls back.
    ``reference=None`` means the course's own version is used where the student's is missing.
    """
    try:
        student(*probe_args, **probe_kwargs)
    except NotImplementedError:
        pass
    else:
        return student
    if reference is not None:
        _reference_or_stop(student, reference, *probe_args, **probe_kwargs)
    else:
        print(f"Note: {_name(student)} is not written yet, so this cell uses the course's reference instead.")
    return reference
