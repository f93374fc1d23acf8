"""Small conveniences for notebook cells that are not exercises."""
from __future__ import annotations

from typing import Callable


def attempt(student: Callable, reference: Callable, *args, **kwargs):
    """Call the student's function; if it is not written yet, say so and use the reference.

    Lets an experiment cell run for a student who has not finished the exercise it uses.
    Any other error is the student's to see, so it is not hidden.
    """
    try:
        return student(*args, **kwargs)
    except NotImplementedError:
        name = getattr(student, "__name__", "this function")
        print(f"Note: {name} is not written yet, so this cell uses the course's reference instead.")
        return reference(*args, **kwargs)


def student_or_reference(student: Callable, reference: Callable, *probe_args, **probe_kwargs) -> Callable:
    """Return ``student`` if it runs on the probe arguments, else say so and return ``reference``.

    For experiments that call an exercise many times (a training loop): the choice is made,
    and the note printed, once. Only ``NotImplementedError`` (an unwritten exercise) falls back.
    """
    try:
        student(*probe_args, **probe_kwargs)
    except NotImplementedError:
        name = getattr(student, "__name__", "this function")
        print(f"Note: {name} is not written yet, so this cell uses the course's reference instead.")
        return reference
    return student
