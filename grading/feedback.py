"""Feedback HTML per student and assignment, without the hidden tests' source.

Stock nbgrader renders the autograded notebook, hidden tests and all. Here the page is the
grader's feedback notebook (``grading/autograded/<student>/<assignment>/<assignment>.ipynb``:
the released notebook with the student's answers and outputs, each test cell followed by
its result and message), under a summary of the points per exercise. It is written where
nbgrader puts feedback, ``grading/feedback/<student>/<assignment>/<assignment>.html``, so
``nbgrader release_feedback`` can hand it out through the exchange.

The page is one self-contained file that a student can open offline: formulas are rendered
to MathML when the page is written (``latex2mathml``; browsers draw MathML themselves), so
no MathJax or any other script is fetched from the network.

Belt and braces: before rendering, every line of the assignment's hidden tests (from
``solutions/``) is looked for outside the student's own answer cells, ANSI colours
stripped, and removed if found; the count is reported, since the grader should never
have let one through.
"""
from __future__ import annotations

import concurrent.futures as cf
import html
import json
import os
import re
import shutil
import site
import sys
from fnmatch import fnmatch
from functools import lru_cache
from pathlib import Path

from grading import course, store

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
REMOVED = "[hidden test line removed]"
MIN_SECRET_CHARS = 12  # shorter lines (")", "else:", "n = 3") are not secrets worth hiding


def feedback_path(root: Path, student: str, assignment: str) -> Path:
    return Path(root) / "grading" / "feedback" / student / assignment / f"{assignment}.html"


def marked_lines(source: str, begin: str, end: str) -> list[str]:
    """Stripped lines strictly between ``### BEGIN X`` and ``### END X`` markers."""
    lines, inside = [], False
    for line in source.splitlines():
        stripped = line.strip()
        if stripped == begin:
            inside = True
        elif stripped == end:
            inside = False
        elif inside and stripped:
            lines.append(stripped)
    return lines


def notebook_text(path: Path) -> str:
    """All text of a notebook file: cell sources and text outputs, one after another."""
    notebook = json.loads(Path(path).read_text(encoding="utf-8"))
    chunks = []
    for cell in notebook.get("cells", []):
        chunks.append(join_source(cell.get("source", "")))
        for output in cell.get("outputs", []):
            chunks.append(join_source(output.get("text", "")))
            chunks.extend(join_source(v) for k, v in output.get("data", {}).items() if k.startswith("text/"))
            chunks.extend(output.get("traceback", []))
    return "\n".join(chunks)


def join_source(value) -> str:
    """A notebook field that may be a list of lines, as one string."""
    return "".join(value) if isinstance(value, list) else str(value)


@lru_cache(maxsize=None)
def hidden_test_lines(root: Path, assignment: str) -> frozenset[str]:
    """Every non-trivial line of the assignment's hidden tests that its release does not show anyway."""
    import nbformat

    source = nbformat.read(course.notebook_path(root, "solutions", assignment), as_version=4)
    public = notebook_text(course.notebook_path(root, "notebooks", assignment))
    return frozenset(
        line
        for cell in source.cells
        for line in marked_lines(cell.source, "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")
        if len(line) >= MIN_SECRET_CHARS and line not in public
    )


def _scrub_text(text: str, secrets: frozenset[str]) -> tuple[str, int]:
    kept, removed = [], 0
    for line in text.split("\n"):
        plain = ANSI.sub("", line)
        if any(secret in plain for secret in secrets):
            kept.append(REMOVED)
            removed += 1
        else:
            kept.append(line)
    return "\n".join(kept), removed


def _edit_outputs(cell, edit) -> int:
    """Apply ``edit(text) -> (text, count)`` to every text of the cell's outputs; the counts summed."""
    total = 0
    for output in cell.get("outputs", []):
        if "text" in output:
            output.text, count = edit(output.text)
            total += count
        if "traceback" in output:
            edited = [edit(entry) for entry in output.traceback]
            output.traceback = [entry for entry, _ in edited]
            total += sum(count for _, count in edited)
        if "evalue" in output:
            output.evalue, count = edit(output.evalue)
            total += count
        for mime, data in output.get("data", {}).items():
            if mime.startswith("text/") and isinstance(data, str):
                output.data[mime], count = edit(data)
                total += count
    return total


def scrub(notebook, secrets: frozenset[str]) -> int:
    """Remove hidden-test lines from every cell but the student's answers; return how many.

    Not nbgrader's ``ClearHiddenTests`` (that is ``engine.calling.feedback.clear_hidden_tests``,
    which cuts the marked block out of a test cell): this looks for each line of the hidden
    tests anywhere, outputs and tracebacks included, in case the grader let one through."""
    removed = 0
    for cell in notebook.cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("solution"):
            continue  # the student's own code, shown as written
        cell.source, count = _scrub_text(cell.source, secrets)
        removed += count + _edit_outputs(cell, lambda text: _scrub_text(text, secrets))
    return removed


def host_paths(root: Path) -> list[str]:
    """Folders of the grading host that a library's message may name: the course, the checkout
    of this code (``helpers`` with it), the Python installation and its site-packages, longest
    first (so the most specific is replaced)."""
    folders = {str(root), str(course.REPO_ROOT), sys.prefix, sys.base_prefix, sys.exec_prefix,
               *site.getsitepackages()}
    folders |= {os.path.realpath(f) for f in folders}
    return sorted((f for f in folders if len(f) > 1), key=len, reverse=True)


def hide_host_paths(notebook, folders: list[str]) -> None:
    """``…`` for each host folder in the outputs: a numpy warning from a student's call says
    ``…/numpy/_core/_methods.py:138``, not where the grader's Python lives."""
    def edit(text: str) -> tuple[str, int]:
        for folder in folders:
            text = text.replace(folder, "…")
        return text, 0

    for cell in notebook.cells:
        _edit_outputs(cell, edit)


def summary_cell(record: dict):
    """A markdown cell with one row per exercise (test cell): points and the first line of its
    message; and one per written answer, which is graded by hand."""
    import nbformat

    rows = []
    for cell in record["cells"]:
        verdict = "passed" if cell["message"] is None else "failed: " + _one_line(cell["message"])
        rows.append(f"| `{cell['grade_id']}` | {float(cell['points']):g} / {float(cell['max_points']):g} | "
                    f"{html.escape(verdict).replace('|', '&#124;')} |")
    written = record.get("written", [])
    for answer in written:
        points, verdict = ("? ", "graded by hand") if answer["answered"] else ("0 ", "not answered")
        rows.append(f"| `{answer['grade_id']}` (written) | {points}/ {float(answer['max_points']):g} | {verdict} |")
    score = sum(float(c["points"]) for c in record["cells"])
    maximum = sum(float(c["max_points"]) for c in record["cells"])
    by_hand = sum(float(a["max_points"]) for a in written)
    later = f" (written answers, up to {by_hand:g} more, are graded by hand)" if by_hand else ""
    return nbformat.v4.new_markdown_cell("\n".join([
        f"### {record['assignment']}, {record['student']}: {score:g} / {maximum:g} points{later}",
        "",
        "| exercise | points | result |",
        "|---|---|---|",
        *rows,
    ]))


def _one_line(message: str, limit: int = 200) -> str:
    line = ANSI.sub("", message).strip().splitlines()[0] if message.strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def mathml(latex: str, display: str) -> str:
    """``latex`` as a MathML element; as its escaped source in ``<code>`` if it cannot be converted."""
    import latex2mathml.converter

    # latex2mathml knows align* (the same columns as aligned) but not aligned itself, and
    # would print a row's extra spacing (\\[2mm]) as text.
    latex = re.sub(r"\\(begin|end)\{aligned\}", r"\\\1{align*}", latex)
    latex = re.sub(r"\\\\\s*\[[^\]]*\]", r"\\\\", latex)
    try:
        return latex2mathml.converter.convert(latex, display=display)
    except Exception:  # a student's own formula may be malformed: show what they wrote
        delimiter = "$$" if display == "block" else "$"
        return f"<code>{html.escape(delimiter + latex + delimiter)}</code>"


def _math_renderer():
    from nbconvert.filters.markdown_mistune import IPythonRenderer

    class MathMLRenderer(IPythonRenderer):
        """nbconvert's markdown renderer, with formulas as MathML instead of text left for MathJax."""

        def block_math(self, body: str) -> str:
            return mathml(body, "block")

        def latex_environment(self, name: str, body: str) -> str:
            return mathml(f"\\begin{{{name}}}{body}\\end{{{name}}}", "block")

        def inline_math(self, body: str) -> str:
            return mathml(body, "inline")

    return MathMLRenderer


# nbconvert's lab template without what it fetches from a CDN (MathJax, require.js, mermaid,
# the widget manager: a feedback page has no widgets or diagrams); MathML table cells aligned
# as the LaTeX columns ask (cases, align*): Chromium's MathML ignores ``columnalign``.
OFFLINE_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block extra_css -%}
<style>
math { font-family: "STIX Two Math", "Cambria Math", "Latin Modern Math", "DejaVu Math TeX Gyre", math; }
math[display="block"] { margin: 0.6em 0; }
mtd[columnalign="left"] { text-align: left; }
mtd[columnalign="right"] { text-align: right; }
mtd { padding: 0.15em 0.3em; }
</style>
{%- endblock extra_css -%}
"""


@lru_cache(maxsize=None)
def _exporter():
    """An HTML exporter whose pages need no network: maths as MathML, no external script."""
    import importlib.util

    from jinja2 import pass_context
    from nbconvert import HTMLExporter
    from nbconvert.filters.markdown_mistune import MarkdownWithMath

    if importlib.util.find_spec("latex2mathml") is None:
        raise ModuleNotFoundError("feedback pages render their formulas with latex2mathml: "
                                  "pip install -e '.[instructor]'")

    renderer = _math_renderer()

    class OfflineHTMLExporter(HTMLExporter):
        @pass_context
        def markdown2html(self, context, source):
            """As ``HTMLExporter.markdown2html``, with the MathML renderer."""
            cell = context.get("cell", {})
            path = context.get("resources", {}).get("metadata", {}).get("path", "")
            return MarkdownWithMath(renderer=renderer(
                escape=False, attachments=cell.get("attachments", {}), embed_images=self.embed_images,
                path=path, anchor_link_text=self.anchor_link_text,
                exclude_anchor_links=self.exclude_anchor_links, **self.lexer_options,
            )).render(source)

    return OfflineHTMLExporter(template_name="lab", raw_template=OFFLINE_TEMPLATE)


def write_feedback(root: Path, student: str, assignment: str) -> tuple[Path, int]:
    """Render one graded submission's feedback page; return its path and lines scrubbed."""
    import nbformat

    root = Path(root)
    record = store.load_record(root, student, assignment)
    if record is None:
        raise FileNotFoundError(f"{student}/{assignment} has not been autograded: run `course autograde` first")
    notebook = nbformat.read(store.autograded_dir(root, student, assignment) / f"{assignment}.ipynb",
                             as_version=4)
    removed = scrub(notebook, hidden_test_lines(root.resolve(), assignment))
    hide_host_paths(notebook, host_paths(root.resolve()))
    # Under the grader's own summary (the first cell, a markdown cell of no nbgrader cell) if it has one.
    first = notebook.cells[0] if notebook.cells else None
    has_summary = first is not None and first.cell_type == "markdown" and "nbgrader" not in first.metadata
    notebook.cells.insert(1 if has_summary else 0, summary_cell(record["result"]))
    body, _ = _exporter().from_notebook_node(
        notebook, resources={"metadata": {"name": f"{assignment} feedback: {student}"}}
    )
    path = feedback_path(root, student, assignment)
    store.write_atomically(path, body)
    # nbgrader release_feedback names the page in the exchange after the submission's secret and time
    submitted = root / "grading" / "submitted" / student / assignment
    for name in ("timestamp.txt", "submission_secret.txt"):
        if (submitted / name).is_file():
            shutil.copy2(submitted / name, path.parent / name)
    return path, removed


def generate(root: Path = course.REPO_ROOT, *, assignments: list[str] | None = None,
             students: list[str] | None = None, force: bool = False, workers: int | None = None,
             log=print) -> list[Path]:
    """Feedback for every graded submission whose page is missing or older than its result
    (``nbgrader generate_feedback``, without the hidden tests)."""
    root = Path(root).resolve()
    todo = []
    for record in store.graded_records(root):
        student, assignment = record["student"], record["assignment"]
        if assignments and assignment not in assignments:
            continue
        if students and not any(fnmatch(student, pattern) for pattern in students):
            continue
        result = store.autograded_dir(root, student, assignment) / store.RESULT_FILE
        page = feedback_path(root, student, assignment)
        if force or not page.exists() or page.stat().st_mtime < result.stat().st_mtime:
            todo.append((student, assignment))
    if not todo:
        log("feedback is up to date")
        return []
    paths, removed = [], 0
    workers = min(workers or os.cpu_count() or 1, len(todo))
    if workers == 1:
        outcomes = [write_feedback(root, s, a) for s, a in todo]
    else:
        with cf.ProcessPoolExecutor(workers) as pool:
            outcomes = list(pool.map(write_feedback, [root] * len(todo), *zip(*todo)))
    for path, count in outcomes:
        paths.append(path)
        removed += count
    log(f"wrote {len(paths)} feedback page(s) under {root / 'grading' / 'feedback'}")
    if removed:
        log(f"WARNING: removed {removed} hidden-test line(s) that the grader's feedback contained")
    return paths
