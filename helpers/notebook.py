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
