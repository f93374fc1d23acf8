"""What keeps the sandboxed student process quick to start, and what it must not change.

The setup cell imports the notebook's drawing modules (``helpers.viz``), but graded cells
seldom draw: the student's process binds them at once and runs them, and so imports
matplotlib and ipywidgets, only when a cell first uses one; IPython waits until something
imports it. A cell that draws or displays gets its outputs as before. The warm grader
process loads the drawing modules the same way, since no test cell draws.
"""
from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest

from grading import course
from grading.engine import grade_submission
from grading.engine.calling import graders
from grading.engine.grader import sandbox
from grading.engine.grader.__main__ import prepare_workdir
from grading.engine.grader.link import Link
from grading.engine.student import lazy

ROOT = course.REPO_ROOT
LIMITS = {"output_kb": 64, "notebook_timeout_s": 120, "cell_timeout_s": 60, "memory_mb": 1024}
SETUP = "import sys\nimport numpy as np\nfrom helpers.viz import why_sigmoid as why_sigmoid_figures, widgets"
DRAWING = ("IPython", "matplotlib", "matplotlib.pyplot", "ipywidgets", "helpers.viz.live")
LOADED = f"print(sorted(name for name in {DRAWING!r} if name in sys.modules))"


@pytest.fixture
def link(tmp_path):
    started = Link(sandbox.choose("auto", str(ROOT / "helpers"), str(ROOT)), str(tmp_path), LIMITS,
                   time.monotonic() + 120, preload=SETUP)
    prepare_workdir(tmp_path, [], started.uid)  # matplotlib's font list, as in grading
    started.start()
    yield started
    started.stop()


def _printed(outputs: list[dict]) -> str:
    return "".join(item.get("text", "") for item in outputs if item.get("output_type") == "stream")


@pytest.mark.notebook
def test_the_setup_s_drawing_modules_load_only_when_a_cell_uses_them(link):
    assert link.run_cell("setup", SETUP) == []
    assert _printed(link.run_cell("probe", LOADED)).strip() == "[]", "nothing draws yet: nothing to import"
    assert _printed(link.run_cell("type", "print(isinstance(widgets, type(sys)))")).strip() == "True"
    link.run_cell("use", "widgets.sigmoid_explorer")
    assert "'ipywidgets'" in _printed(link.run_cell("probe again", LOADED)), "a cell used widgets: it loads"


@pytest.mark.notebook
def test_a_cell_that_draws_with_the_setup_s_module_still_shows_its_figure(link):
    link.run_cell("setup", SETUP)
    outputs = link.run_cell("draw", "why_sigmoid_figures.activation_gallery(('sigmoid',))")
    assert [item["output_type"] for item in outputs] == ["execute_result"], outputs
    assert outputs[0]["data"]["image/png"], "the figure should come back as a PNG"
    failing = link.run_cell("error", "why_sigmoid_figures.no_such_function")
    assert failing[0]["ename"] == "AttributeError", "a loaded module behaves as one imported at once"


@pytest.mark.notebook
def test_display_shows_in_the_cell_s_outputs_once_ipython_is_imported(link):
    link.run_cell("setup", SETUP)
    outputs = link.run_cell("display", "from IPython.display import Markdown, display\ndisplay(Markdown('**x**'), 2)")
    assert [item["output_type"] for item in outputs] == ["display_data"] * 2, outputs
    assert outputs[1]["data"]["text/plain"] == "2"
    outputs = link.run_cell("widget", "widgets.sigmoid_explorer()")
    assert [item["output_type"] for item in outputs] == ["execute_result"], outputs


@pytest.mark.notebook
def test_the_grader_process_leaves_the_drawing_modules_unloaded_too(tmp_path):
    assignment = "01_why_sigmoid"
    released, solution = (nbformat.read(course.notebook_path(ROOT, area, assignment), as_version=4)
                          for area in ("notebooks", "solutions"))
    path = tmp_path / f"{assignment}.ipynb"
    nbformat.write(course.fill_answers(released, solution), path)
    result = grade_submission(ROOT, assignment, "solution", path)
    assert result.score == result.max_score, result.cells
    maps = [Path(f"/proc/{grader.pid}/maps").read_text() for grader in graders._idle]
    assert maps and not any("matplotlib" in text for text in maps), "a warm grader imported matplotlib"


@pytest.fixture
def waiting_package(tmp_path, monkeypatch):
    """A package ``first_use_probe`` whose modules wait for their first use: ``slow`` (records
    each run, then sleeps) and ``broken`` (fails)."""
    package = tmp_path / "first_use_probe"
    package.mkdir()
    (package / "__init__.py").write_text("RUNS = []\n")
    (package / "slow.py").write_text("import time\nimport first_use_probe\nfirst_use_probe.RUNS.append(1)\n"
                                     "time.sleep(0.2)\nVALUE = 42\n")
    (package / "broken.py").write_text("EARLY = 1\nraise RuntimeError('no display here')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(sys, "meta_path", [lazy.LoadAtFirstUse(("first_use_probe.",)), *sys.meta_path])
    yield package
    for name in [name for name in sys.modules if name.startswith("first_use_probe")]:
        del sys.modules[name]


def test_a_waiting_module_runs_once_at_its_first_use_even_from_several_threads(waiting_package):
    from first_use_probe import slow
    import first_use_probe

    assert first_use_probe.RUNS == [], "imported, not yet used: its code has not run"
    seen = []
    threads = [threading.Thread(target=lambda: seen.append(slow.VALUE)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == [42] * 8, "every thread must see the module whole"
    assert first_use_probe.RUNS == [1]


def test_a_waiting_module_that_fails_keeps_failing_as_a_failed_import(waiting_package):
    from first_use_probe import broken

    with pytest.raises(RuntimeError, match="^no display here$"):
        broken.EARLY
    with pytest.raises(ImportError, match=r"^first_use_probe.broken could not be imported \(RuntimeError: no display here\)$"):
        broken.EARLY  # not half defined
    assert "first_use_probe.broken" not in sys.modules  # a later import tries again
