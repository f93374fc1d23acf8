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

Three folders, by trust:

* ``calling/`` (the instructor's process): ``core`` (``grade_submission``: reads the notebooks,
  hands the job to a grader process), ``repair`` (maps the submission onto the course's cells:
  ``deduplicate_ids``, ``overwrite_cells``),
  ``static`` (flags suspicious code), ``names`` (what a cell imports, reads and binds, and which
  cells grading needs), ``references`` (which helpers functions answer which assignment) and
  ``staged`` (a helpers without them), ``graders`` (warm grader processes, kept between
  submissions), ``feedback`` (the feedback notebook), ``results`` (what grading produces),
  ``examples`` (example submissions);
* ``grader/`` (the grader process, trusted, ``python -m grading.engine.grader``): ``__main__``
  (runs the course's setup and test cells), ``sandbox`` (how the student's process is started),
  ``link`` and ``proxy`` (its end of the student's process), ``outputs`` (the student's outputs,
  rebuilt safe: ``rebuilt``, ``limit_output``);
* ``student/`` (the student's process, untrusted: the only engine files the sandbox holds,
  mounted read-only, importing nothing from the course): ``student``, ``capture``, ``lazy``
  (the setup's drawing modules, run at first use) and ``wire``; the grader loads ``lazy`` and
  ``wire`` too.

nbgrader's autograde, step by step, and ours. ``nbgrader autograde`` runs two passes of
preprocessors over a submission, sanitising then autograding, and ``nbgrader generate_feedback``
a third. Each step of ours that does a preprocessor's job bears its name in snake_case; the
static scan, the staged ``helpers`` and the sandbox have no counterpart in nbgrader.

=============================  ===============================================================
nbgrader                       here
=============================  ===============================================================
*sanitising*
``ClearOutput``                ``calling.repair.overwrite_cells`` keeps only each cell's text
``DeduplicateIds``             ``calling.repair.deduplicate_ids`` (keeps the first, not the last)
``OverwriteKernelspec``        not needed: no kernel is started, and the feedback notebook
                               takes the release's metadata
``OverwriteCells``             ``calling.repair.overwrite_cells`` (and flags edits for a human)
``CheckCellMetadata``          not needed: ``calling.repair.role`` reads what metadata it can,
                               and a cell whose metadata is broken runs as the student's code
                               (nbgrader stops grading the submission)
*autograding*
``Execute``                    ``grader.__main__`` runs the course's cells; the student's run in
                               the sandboxed ``student.student``, driven by ``grader.link``
``IgnorePattern``              not needed: off unless given a pattern, and the course gives none
``ClearMetadataPreprocessor``  not needed: the feedback's cells carry only the release's
                               nbgrader metadata
``LimitOutput``                ``student.capture.Outputs`` while a cell runs, then
                               ``grader.outputs.limit_output`` (characters, not lines)
``SaveAutoGrades``             ``grader.__main__`` scores a test cell (all its points if it
                               raises nothing); ``grading.gradebook.record`` saves the scores
``AssignLatePenalties``        not needed: nbgrader's default is no penalty, as here
``CheckCellMetadata``          not needed, as above
*feedback*
``GetGrades``                  ``calling.feedback.build`` puts each test's result below it
``ClearHiddenTests``           ``calling.feedback.clear_hidden_tests``, for a test cell the
                               release lacks (nbgrader runs it only at release: its feedback
                               shows the hidden tests)
``HTMLExporter``               ``grading.feedback.write_feedback`` (offline, and ``scrub``
                               removes any hidden-test line that got through)
=============================  ===============================================================
"""
from .calling.results import CellResult, Flag, Limits, SubmissionResult

__all__ = ["CellResult", "Flag", "Limits", "SubmissionResult", "grade_submission"]


def __getattr__(name: str):
    # Imported on first use: the grader process imports this package too, and needs
    # neither nbformat nor anything else of the calling side (nbformat alone takes seconds).
    if name == "grade_submission":
        from .calling.core import grade_submission

        return grade_submission
    raise AttributeError(name)
