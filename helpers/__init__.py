"""helpers: the small NumPy library behind the course "Why neural networks are built the way they are".

Import the module of the concept you need, e.g. ``from helpers import activations``.
The core modules need only NumPy; ``plots`` and ``widgets`` need matplotlib and
ipywidgets; ``datasets`` needs scikit-learn.
"""
__version__ = "0.1.0"


def require_version(expected: str) -> None:
    """Stop with a clear message if the installed helpers differ from the notebook's version.

    The grader runs the notebooks with its own copy of helpers; a student on another
    version could see tests pass locally that fail at grading, or the reverse.
    """
    if __version__ != expected:
        raise RuntimeError(
            f"This notebook needs helpers {expected}, but helpers {__version__} is installed. "
            "Update your course files (or run `make lab` from the course folder), then restart the kernel."
        )
