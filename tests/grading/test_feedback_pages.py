"""Feedback pages a student can read offline, with nothing of the grading host in them.

One example class (``grading.engine.calling.examples``: correct, blank, alternatives, mistakes,
cheats, repairs) of one assignment is autograded through the sandboxed engine and its
feedback pages written, once for the module; plus a student whose answer functions print
their arguments whenever they are called. The browser test opens a page with the network
off; it skips without Chromium locally and must run under CI.
"""
from __future__ import annotations

import ast
import os
import re
import site
import sys
from pathlib import Path

import nbformat
import pytest

from grading import autograde, course, feedback, store
from grading import gradebook as gb
from grading.engine.calling import examples

from chromium import CHROMIUM, CHROMIUM_ARGS, require_browser

# 02 imports scikit-learn (and so joblib) in its setup cell: the case that leaked a host warning.
ASSIGNMENT = "02_cross_entropy_vs_mse"
# What the printing student's functions print on every call, and its first answer cell once;
# written in the code as two halves, so that only a printed line contains them whole.
ECHO = ("ECHOED-BY-", "THE-STUDENT")
OWN = ("PRINTED-BY-", "THE-ANSWER-CELL")
ABSOLUTE_PATH = re.compile(r"(?<![\w.:/])/(?:[\w.-]+/)*[\w.-]+")
SYSTEM_FOLDERS = ("/usr/", "/etc/", "/proc/", "/dev/", "/sys/", "/bin/", "/lib")
ENVIRONMENT_WARNINGS = ("joblib will operate in serial mode", "Matplotlib created a temporary",
                        "is not a writable directory", "Permission denied")


def _printing_student(correct: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The correct notebook whose answer functions print their arguments on every call, and
    whose first answer cell prints a line of its own when it runs."""
    notebook = nbformat.from_dict(correct)
    answers = [c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("solution") and c.cell_type == "code"]
    for cell in answers:
        names = [n.name for n in ast.parse(cell.source).body if isinstance(n, ast.FunctionDef)]
        wrap = [f"{name} = _echoing({name})" for name in names]
        cell.source += "\n\n" + "\n".join([
            "def _echoing(function):",
            "    def echoing(*args, **kwargs):",
            f"        print({ECHO[0]!r} + {ECHO[1]!r}, args, kwargs)",
            "        return function(*args, **kwargs)",
            "    return echoing",
            *wrap,
        ])
    answers[0].source += f"\nprint({OWN[0]!r} + {OWN[1]!r})"
    return notebook


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> tuple[Path, dict[str, Path]]:
    """The course copy and ``student -> feedback page`` for the whole class."""
    root = course.copy_course(tmp_path_factory.mktemp("feedback-pages"))
    notebooks = {example.student: example.notebook for example in examples.build(ASSIGNMENT, root=root)}
    notebooks["printing"] = _printing_student(notebooks["correct"])
    for student, notebook in notebooks.items():
        course.submit(root, student, ASSIGNMENT, notebook)
    autograde.autograde(root, workers=2, progress=False, log=lambda *_: None)
    paths = feedback.generate(root, workers=2, log=lambda *_: None)
    by_student = {path.parent.parent.name: path for path in paths}
    assert set(by_student) == set(notebooks)
    return root, by_student


@pytest.mark.notebook
def test_no_host_path_or_environment_warning_in_any_page(pages):
    root, by_student = pages
    host = {str(root), os.path.realpath(root), str(course.REPO_ROOT), sys.prefix, sys.base_prefix,
            *site.getsitepackages()}
    for student, path in by_student.items():
        page = path.read_text(encoding="utf-8")
        assert not [folder for folder in host if folder in page], student
        assert not [warning for warning in ENVIRONMENT_WARNINGS if warning in page], student
        # Nor any other file or folder of this machine (the grader's temporary folders, say),
        # beyond the system's own, which every Linux machine has.
        on_host = [p for p in ABSOLUTE_PATH.findall(page) if os.path.exists(p) and not p.startswith(SYSTEM_FOLDERS)]
        assert not on_host, f"{student}'s page names {on_host}"


def test_host_paths_in_outputs_are_hidden(tmp_path):
    """The guard behind the sandbox: a library's warning that names the host's folders does not,
    nor does a message of the grader's own ``helpers`` when the course is graded from a copy."""
    site_packages = site.getsitepackages()[0]
    cell = nbformat.v4.new_code_cell("x", outputs=[
        nbformat.v4.new_output("stream", name="stderr",
                               text=f"{site_packages}/numpy/_core/_methods.py:138: RuntimeWarning: ...\n"),
        nbformat.v4.new_output("error", ename="ValueError", evalue=f"see {course.REPO_ROOT}/helpers/neuron.py",
                               traceback=[])])
    notebook = nbformat.v4.new_notebook(cells=[cell])
    feedback.hide_host_paths(notebook, feedback.host_paths(tmp_path))
    assert cell.outputs[0].text == "…/numpy/_core/_methods.py:138: RuntimeWarning: ...\n"
    assert cell.outputs[1].evalue == "see …/helpers/neuron.py"


@pytest.mark.notebook
def test_what_student_code_prints_under_the_tests_stays_out(pages):
    root, by_student = pages
    record = store.load_record(root, "printing", ASSIGNMENT)["result"]
    assert record["score"] == record["max_score"], "the echoing functions must still be correct"
    # The page renders this notebook. The notebook's own experiment cells call the functions
    # too, on public inputs, and show what they print, as JupyterLab would: only test cells are checked.
    notebook = nbformat.read(store.autograded_dir(root, "printing", ASSIGNMENT) / f"{ASSIGNMENT}.ipynb",
                             as_version=4)
    tests = [c for c in notebook.cells if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")
             and not c.metadata["nbgrader"].get("solution")]
    assert tests and not [c.metadata["nbgrader"]["grade_id"] for c in tests if "".join(ECHO) in str(c.outputs)]
    text = by_student["printing"].read_text(encoding="utf-8")
    assert "".join(OWN) in text  # what the answer cell itself prints is shown
    assert "printed while the tests called it is not shown" in text


@pytest.mark.notebook
def test_formulas_are_mathml_without_any_script_from_the_network(pages):
    _, by_student = pages
    page = by_student["correct"].read_text(encoding="utf-8")
    assert page.count("<math") > 20
    assert "mathjax" not in page.lower() and "cdnjs" not in page
    assert "$$" not in page and "\\frac" not in page


@pytest.mark.notebook
@pytest.mark.browser
def test_a_page_opened_offline_shows_rendered_formulas(pages):
    require_browser()
    from playwright.sync_api import sync_playwright

    _, by_student = pages
    requested = []
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            context = chromium.new_context()
            context.set_offline(True)

            def refuse(route):
                requested.append(route.request.url)
                route.abort()

            context.route(lambda url: not url.startswith(("file:", "data:")), refuse)
            page = context.new_page()
            page.goto(by_student["correct"].as_uri(), wait_until="load")
            # A rendered fraction is laid out by the browser: taller than a line of text, with its
            # numerator above its denominator; raw LaTeX would be "$\frac{...}{...}$" on one line.
            fraction = page.evaluate("""() => {
                const f = document.querySelector('math[display="block"] mfrac');
                if (!f) return null;
                const [top, bottom] = [...f.children].map(c => c.getBoundingClientRect());
                const line = parseFloat(getComputedStyle(document.body).fontSize);
                return {above: top.bottom <= bottom.top + 1, tall: f.getBoundingClientRect().height > line};
            }""")
            text = page.inner_text("body")
        finally:
            chromium.close()
    assert fraction == {"above": True, "tall": True}
    assert "$" not in text.replace("$ ", "") and "\\frac" not in text
    assert requested == []


def test_nbgrader_gets_a_postgresql_url_it_can_use(monkeypatch):
    """nbgrader reads the gradebook URL from nbgrader_config.py alone: a bare postgresql://
    must name the installed driver there, as ``course`` does (SQLAlchemy 2.1 means psycopg 3)."""
    from sqlalchemy import create_engine
    from traitlets.config.loader import PyFileConfigLoader

    def nbgrader_url(url: str | None) -> str:
        if url is None:
            monkeypatch.delenv("COURSE_DB_URL", raising=False)
        else:
            monkeypatch.setenv("COURSE_DB_URL", url)
        config = PyFileConfigLoader("nbgrader_config.py", path=str(course.REPO_ROOT)).load_config()
        return config.CourseDirectory.db_url

    for url in ("postgresql://grader@dbhost:5432/why_nn", "postgresql+psycopg2://grader@dbhost/why_nn",
                "sqlite:////tmp/gradebook.db"):
        assert nbgrader_url(url) == gb.with_driver(url)
        create_engine(nbgrader_url(url)).dispose()  # the driver loads (no connection is made)
    assert nbgrader_url(None) == "sqlite:///" + str(course.REPO_ROOT / "grading" / "gradebook.db")
