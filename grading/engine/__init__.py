"""Sandboxed grading of one submission: ``grade_submission`` and what it returns.

Why the checks cannot be subverted: the course's setup and test cells (hidden tests
included) run in a grader process that never runs a line of the student's code. The
student's cells run in another process, sandboxed (bubblewrap: no course files, no
gradebook, no other submission, no network; rlimits), which only ever answers the grader's
requests with data: JSON with arrays as bytes of a numeric dtype, never pickle, never an
object whose methods the student wrote. Whatever the student's code patches (numpy,
helpers, builtins, the IPython shell) is patched in its own process only; every comparison
happens in the grader, on the grader's copies of the values. A test cell passes iff it
raises nothing in the grader. Names the course defines are never taken from the
submission. Delegating to the reference cannot earn a point: the student's process has no
reference to delegate to (its ``helpers`` is a ``staged`` copy without the functions that the
assignment's hidden tests, and later assignments', name as references), and what a test cell
lends it (``substituted``) is called back in the grader's process. Nothing in the student's
process guards anything, so there is nothing there to switch off; what a submission tries
(reaching the engine, introspection, file and process access, other course code) is flagged
for a human by the static scan.

Modules: ``core`` (``grade_submission``: reads the notebooks, hands the job to a grader process),
``repair`` (maps the submission onto the course's cells), ``static`` (flags suspicious code),
``names`` (what a cell imports, reads and binds, and which cells grading needs), ``references``
(which helpers functions answer which assignment) and ``staged`` (a helpers without them),
``sandbox`` (how the student's process is started), ``graders`` (warm grader processes, kept
between submissions), ``grader`` (the grader process), ``link`` and ``proxy`` (its end of the student's
process), ``student`` and ``capture`` (the student's process), ``wire`` (all the two share),
``outputs`` and ``feedback`` (the feedback notebook), ``examples`` (example submissions).
"""
from .results import CellResult, Flag, Limits, SubmissionResult

__all__ = ["CellResult", "Flag", "Limits", "SubmissionResult", "grade_submission"]


def __getattr__(name: str):
    # Imported on first use: the grader process imports this package too, and needs
    # neither nbformat nor anything else of the calling side (nbformat alone takes seconds).
    if name == "grade_submission":
        from .core import grade_submission

        return grade_submission
    raise AttributeError(name)
