"""The engine's steps that bear an nbgrader preprocessor's name, each on a tiny notebook: where
ours and nbgrader's agree, against nbgrader's own preprocessor; where they differ, the
difference their docstrings state. (The whole path, on every example submission:
tests/grading/test_engine.py and test_alternatives.py.)"""
from __future__ import annotations

import copy

import nbformat
import pytest
from nbgrader.preprocessors import ClearHiddenTests, DeduplicateIds

from grading import course
from grading.engine.calling.feedback import clear_hidden_tests
from grading.engine.calling.repair import nbgrader, repair, role
from grading.engine.grader.outputs import limit_output, rebuilt


def _cell(kind: str, source: str, grade_id: str, **flags) -> nbformat.NotebookNode:
    new = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
    return new(source, metadata={"nbgrader": {"grade_id": grade_id, "locked": False, "solution": False,
                                              "grade": False, "points": 0, **flags}})


SOURCE = nbformat.v4.new_notebook(cells=[
    _cell("markdown", "Write `double`.", "intro", locked=True),
    _cell("code", "import math", "setup", locked=True),
    _cell("code", "def double(x):\n    return 2 * x", "double", solution=True),
    _cell("code", "assert double(1) == 2\n### BEGIN HIDDEN TESTS\nassert double(3) == 6\n### END HIDDEN TESTS",
          "test_double", grade=True, locked=True, points=1),
])
RELEASE = copy.deepcopy(SOURCE)
RELEASE.cells[2].source = "def double(x):\n    raise NotImplementedError()"
RELEASE.cells[3].source = clear_hidden_tests(SOURCE.cells[3].source)


def _handed_in() -> nbformat.NotebookNode:
    """The release, answered."""
    notebook = copy.deepcopy(RELEASE)
    notebook.cells[2].source = SOURCE.cells[2].source
    return notebook


def test_deduplicate_ids_keeps_the_first_cell_where_nbgrader_keeps_the_last():
    submission = _handed_in()
    submission.cells.insert(3, copy.deepcopy(submission.cells[2]))
    submission.cells[3].source = "def double(x):\n    return 0  # a stale copy"
    repaired = repair(SOURCE, RELEASE, submission)
    assert [c.source for c in repaired.cells if c.grade_id == "double"] == [SOURCE.cells[2].source]
    assert "return 0" not in "".join(c.source for c in repaired.cells), "the copy must not run"
    assert [(f.cell, f.kind) for f in repaired.flags] == [("double", "duplicate-cell")]
    assert repaired.notes == ["cell 4 repeats the grade_id 'double' of cell 3; the copy was ignored"]
    theirs, _ = DeduplicateIds().preprocess(copy.deepcopy(submission), {})
    assert [role(c) for c in theirs.cells][2:4] == [None, "answer"], "nbgrader keeps the last"


def test_overwrite_cells_restores_the_course_s_cells_and_flags_edits():
    submission = _handed_in()
    submission.cells[1].source = "import math\nmath.pi = 3"
    del submission.cells[3]  # the test cell
    submission.cells.insert(2, nbformat.v4.new_code_cell("scale = 2"))
    repaired = repair(SOURCE, RELEASE, submission)
    assert [(c.kind, c.label, c.source) for c in repaired.cells] == [
        ("markdown", "intro", SOURCE.cells[0].source),
        ("setup", "setup", "import math"),
        ("code", "cell 3", "scale = 2"),
        ("code", "double", SOURCE.cells[2].source),
        ("test", "test_double", SOURCE.cells[3].source),
    ], "the course's cells in its order, the student's after the course cell above them"
    assert [(f.cell, f.kind, f.code) for f in repaired.flags] == [("setup", "edited-locked-cell", "math.pi = 3")]
    assert "test cell 'test_double' was missing from the submission; the course's was used" in repaired.notes


@pytest.mark.parametrize("assignment", course.assignments())
def test_clear_hidden_tests_agrees_with_nbgrader_on_every_test_cell(assignment):
    source = nbformat.read(course.notebook_path(course.REPO_ROOT, "solutions", assignment), as_version=4)
    tests = [cell for cell in source.cells if role(cell) == "test" and cell.cell_type == "code"]
    hidden = [cell for cell in tests if "### BEGIN HIDDEN TESTS" in cell.source]
    assert hidden, f"{assignment} has no hidden tests to clear"
    for cell in tests:
        theirs, _ = ClearHiddenTests().preprocess_cell(copy.deepcopy(cell), {}, 0)
        assert clear_hidden_tests(cell.source) == theirs.source, nbgrader(cell)["grade_id"]


def test_limit_output_keeps_each_whole_output_that_still_fits():
    def printed(count: int) -> dict:
        text = "x" * (count - len(str({"output_type": "stream", "name": "stdout", "text": ""})))
        return {"output_type": "stream", "name": "stdout", "text": text}

    small, large = printed(600), printed(2000)
    assert len(str(small)) == 600 and len(str(large)) == 2000
    # 1,000 characters of room above the limit for the student's process's own note
    assert limit_output([small, large, small, small], 1200) == [small, small, small]
    assert limit_output([small, large], 1599) == [small]
    assert limit_output([small, large], 1600) == [small, large]


def test_rebuilt_keeps_text_pngs_and_one_line_errors_and_drops_the_rest():
    """What the student's process sends back is rebuilt field by field: no HTML, no JavaScript,
    no traceback, no unknown field survives into a feedback page."""
    sent = [
        {"output_type": "stream", "name": "stdout", "text": "loss 0.1\n", "extra": "x"},
        {"output_type": "display_data", "data": {"text/html": "<script>steal()</script>"}, "metadata": {}},
        {"output_type": "display_data", "data": {"application/javascript": "steal()", "text/plain": "<Figure>",
                                                 "image/png": "iVBORw0KGgo="}, "metadata": {"x": 1}},
        {"output_type": "error", "ename": "ValueError", "evalue": "bad", "traceback": ["/host/path.py line 3"]},
        {"output_type": "stream", "name": "stdin", "text": "?"}, "not an output",
    ]
    assert rebuilt(sent) == [
        {"output_type": "stream", "name": "stdout", "text": "loss 0.1\n"},
        {"output_type": "display_data", "data": {"text/plain": "<Figure>", "image/png": "iVBORw0KGgo="}, "metadata": {}},
        {"output_type": "error", "ename": "ValueError", "evalue": "bad", "traceback": ["ValueError: bad"]},
    ]
    assert rebuilt("not a list") == []
