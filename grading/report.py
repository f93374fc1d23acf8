"""Grades out (CSV) and a report for the instructor (HTML with embedded PNG histograms).

``export_csv`` reads the gradebook, the authority once an instructor has adjusted a score
by hand: ``grading/reports/grades.csv`` has one row per student × assignment × exercise
(test cell or written answer) with points and maximum, plus a ``TOTAL`` row per student and
assignment (students in the gradebook who did not submit get zeros, marked ``not submitted``;
a written answer nobody has graded yet counts 0 and is marked ``pending``, and so is its
total); ``grading/reports/totals.csv`` has one row per student and one column per assignment.

``write_report`` reads the saved results (``grading/autograded/*/*/result.json``) and
writes ``grading/reports/report.html``: per assignment and exercise, the distribution of
points (histograms; written answers with the points given by hand in the gradebook, and how
many are still pending), the most common failure messages (numbers masked so the same mistake
groups together: that is the concept the class missed), every construct the static scan
flagged, per student, for a human to look at, answer cells that are near-copies of the
course's code or of another student's (``grading.similarity``), notes (time-outs, crashes,
duplicated cells) and which sandbox graded how many notebooks.
"""
from __future__ import annotations

import base64
import csv
import html
import io
import re
import time
from collections import Counter, defaultdict
from pathlib import Path

from grading import course, similarity, store
from grading import gradebook as gb

NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
TOP_MESSAGES = 5


def reports_dir(root: Path) -> Path:
    return Path(root) / "grading" / "reports"


def exercise_order(root: Path, assignment: str) -> list[str]:
    """Test cells (grade_ids) in the order of the source notebook; [] if it is not in solutions/."""
    import nbformat

    path = course.notebook_path(root, "solutions", assignment)
    if not path.is_file():
        return []
    source = nbformat.read(path, as_version=4)
    return [c.metadata["nbgrader"]["grade_id"] for c in source.cells if c.metadata.get("nbgrader", {}).get("grade")]


def first_line(message: str | None, limit: int = 300) -> str:
    if not message:
        return ""
    line = next((l.strip() for l in message.strip().splitlines() if l.strip()), "")
    return line if len(line) <= limit else line[: limit - 1] + "…"


def export_csv(root: Path = course.REPO_ROOT, db_url: str | None = None, log=print) -> tuple[Path, Path]:
    """Write ``grades.csv`` (student × assignment × exercise, plus totals) and ``totals.csv``."""
    root = Path(root).resolve()
    with gb.open_gradebook(gb.with_driver(db_url or gb.default_db_url(root))) as gradebook:
        rows = gb.final_scores(gradebook)
        everyone = gb.students(gradebook)
        maxima = {(a.name, cell.name): float(cell.max_score)
                  for a in gradebook.assignments for nb in a.notebooks for cell in nb.grade_cells}
    records = store.graded_records(root)
    messages = {(r["student"], r["assignment"], c["grade_id"]): first_line(c["message"])
                for r in records for c in r["cells"]}
    messages.update({(r["student"], r["assignment"], w["grade_id"]): "not answered"
                     for r in records for w in r.get("written", []) if not w["answered"]})
    scores = {(r["student"], r["assignment"], r["exercise"]): r for r in rows}
    assignments = sorted({a for a, _ in maxima})
    order = {a: _ordered(exercise_order(root, a), [e for b, e in maxima if b == a]) for a in assignments}
    submitted = {(r["student"], r["assignment"]) for r in rows}

    out = reports_dir(root)
    out.mkdir(parents=True, exist_ok=True)
    grades_path, totals_path = out / "grades.csv", out / "totals.csv"
    totals: dict[str, dict[str, float]] = defaultdict(dict)
    pending_by_student: dict[str, float] = defaultdict(float)
    with open(grades_path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "assignment", "exercise", "points", "max_points", "status", "message"])
        for student in everyone:
            for assignment in assignments:
                handed_in = (student, assignment) in submitted
                total = maximum = pending = 0.0
                for exercise in order[assignment]:
                    row = scores.get((student, assignment, exercise))
                    points = row["score"] if row else 0.0
                    max_points = maxima[assignment, exercise]
                    message = messages.get((student, assignment, exercise), "")
                    status = _status(row, message) if handed_in else "not submitted"
                    writer.writerow([student, assignment, exercise, f"{points:g}", f"{max_points:g}", status, message])
                    total += points
                    maximum += max_points
                    pending += max_points if status == "pending" else 0.0
                status = f"submitted, {pending:g} point(s) pending" if pending else "submitted"
                writer.writerow([student, assignment, "TOTAL", f"{total:g}", f"{maximum:g}",
                                 status if handed_in else "not submitted", ""])
                totals[student][assignment] = total
                pending_by_student[student] += pending
    course_max = sum(maxima.values())
    with open(totals_path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        # pending: points of written answers not graded by hand yet (counted as 0 in the total)
        writer.writerow(["student", *assignments, "total", "max_total", "pending"])
        for student in everyone:
            marks = [totals[student].get(a, 0.0) for a in assignments]
            writer.writerow([student, *(f"{m:g}" for m in marks), f"{sum(marks):g}", f"{course_max:g}",
                             f"{pending_by_student[student]:g}"])
    log(f"wrote {grades_path} and {totals_path} ({len(everyone)} student(s), {len(assignments)} assignment(s))")
    return grades_path, totals_path


def _status(row: dict | None, message: str) -> str:
    """pending (a written answer to grade by hand), manual (graded by hand), failed or passed."""
    if row and row["pending"]:
        return "pending"
    return "manual" if row and row["manual"] else "failed" if message else "passed"


def _ordered(preferred: list[str], present: list[str]) -> list[str]:
    return [e for e in preferred if e in present] + sorted(set(present) - set(preferred))


def normalise(message: str) -> str:
    """The first line of a failure message with numbers masked, so one mistake groups together."""
    return NUMBER.sub("#", first_line(message, limit=400))


def histograms_png(assignment: str, exercises: list[str], points: dict[str, list[float]],
                   maxima: dict[str, float]) -> bytes:
    """One histogram of points per exercise, plus the total, as a PNG (no pyplot)."""
    import numpy as np
    from matplotlib.figure import Figure

    panels = [*exercises, "TOTAL"]
    columns = min(4, len(panels))
    rows = -(-len(panels) // columns)
    figure = Figure(figsize=(3.2 * columns, 2.5 * rows), layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False).ravel()
    for ax, name in zip(axes, panels):
        values = np.asarray(points[name], dtype=float)
        top = maxima[name]
        if top > 0 and np.allclose(values, np.round(values)) and float(top).is_integer() and top <= 30:
            bins = np.arange(-0.5, top + 1.5, 1.0)
        else:
            bins = np.linspace(0.0, max(top, 1e-9), 11)
        ax.hist(values, bins=bins, color="#3b75af" if name != "TOTAL" else "#c0504d", edgecolor="white")
        if bins[0] == -0.5:  # whole points: one bar per possible score, ticks on the scores
            ax.set_xticks(np.arange(0, top + 1, max(1, int(top) // 8)))
        ax.set_title(name, fontsize=9)
        ax.set_xlabel(f"points (max {top:g})", fontsize=8)
        ax.set_ylabel("students", fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    figure.suptitle(f"{assignment}: points per exercise ({len(points['TOTAL'])} submissions)", fontsize=10)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90)
    return buffer.getvalue()


def hand_scores(root: Path, db_url: str | None, records: list[dict]) -> dict[tuple[str, str, str], float | None]:
    """``(student, assignment, grade_id) -> points`` given by hand to each written answer in the
    gradebook (None: still pending); {} when no saved result has a written answer."""
    if not any(r.get("written") for r in records):
        return {}
    with gb.open_gradebook(gb.with_driver(db_url or gb.default_db_url(root))) as gradebook:
        return {(r["student"], r["assignment"], r["exercise"]): None if r["pending"] else r["score"]
                for r in gb.final_scores(gradebook)}


def write_report(root: Path = course.REPO_ROOT, db_url: str | None = None, log=print) -> Path:
    """``grading/reports/report.html`` from every saved result, and the gradebook's hand grades."""
    root = Path(root).resolve()
    records = store.graded_records(root)
    by_hand = hand_scores(root, db_url, records)
    by_assignment: dict[str, list[dict]] = defaultdict(list)
    for record in records:
        by_assignment[record["assignment"]].append(record)
    sandboxes = Counter(r["sandbox"] for r in records)
    e = html.escape
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Grading report</title>",
        "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}"
        "table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:3px 8px;"
        "text-align:left;vertical-align:top;font-size:90%}code{font-size:90%}img{max-width:100%}.warn{color:#b00;font-weight:bold}"
        "</style></head><body>",
        "<h1>Grading report</h1>",
        f"<p>{len(records)} graded submission(s) from {len({r['student'] for r in records})} student(s); "
        f"generated {e(time.strftime('%Y-%m-%d %H:%M'))}.</p>",
        "<h2>Sandbox</h2><ul>",
    ]
    for sandbox, count in sandboxes.most_common():
        warn = " <span class='warn'>student code ran WITHOUT a sandbox</span>" \
            if sandbox.upper().startswith("NONE") else ""
        parts.append(f"<li><code>{e(sandbox)}</code>: {count} notebook(s){warn}</li>")
    parts.append("</ul>")
    for assignment in sorted(by_assignment):
        parts.extend(_assignment_section(root, assignment, by_assignment[assignment], by_hand))
    parts.extend(_flags_section(records))
    parts.extend(_copies_section(root, by_assignment))
    parts.extend(_notes_section(records))
    parts.append("</body></html>")
    path = reports_dir(root) / "report.html"
    store.write_atomically(path, "\n".join(parts))
    log(f"wrote {path}")
    return path


def _assignment_section(root: Path, assignment: str, records: list[dict],
                        by_hand: dict[tuple[str, str, str], float | None]) -> list[str]:
    import numpy as np

    e = html.escape
    maxima = {c["grade_id"]: float(c["max_points"]) for r in records for c in [*r["cells"], *r.get("written", [])]}
    exercises = _ordered(exercise_order(root, assignment), list(maxima))
    points: dict[str, list[float]] = {name: [] for name in [*exercises, "TOTAL"]}
    failures: dict[str, Counter] = {name: Counter() for name in exercises}
    pending: Counter = Counter()
    example: dict[tuple[str, str], str] = {}
    for record in records:
        got = {c["grade_id"]: c for c in record["cells"]}
        for answer in record.get("written", []):
            given = by_hand.get((record["student"], assignment, answer["grade_id"]))
            if answer["answered"] and given is None:
                pending[answer["grade_id"]] += 1
            got[answer["grade_id"]] = {"points": given or 0.0,
                                       "message": None if answer["answered"] else "not answered"}
        for name in exercises:
            cell = got.get(name)
            points[name].append(float(cell["points"]) if cell else 0.0)
            if cell and cell["message"]:
                key = normalise(cell["message"])
                failures[name][key] += 1
                example.setdefault((name, key), first_line(cell["message"]))
        points["TOTAL"].append(sum(float(got[name]["points"]) for name in exercises if name in got))
    maxima["TOTAL"] = sum(maxima[name] for name in exercises)
    png = base64.b64encode(histograms_png(assignment, exercises, points, maxima)).decode()
    out = [f"<h2>{e(assignment)}</h2>",
           f"<img alt='histograms of points per exercise of {e(assignment)}' src='data:image/png;base64,{png}'>",
           "<table><tr><th>exercise</th><th>max</th><th>mean</th><th>full marks</th><th>zero</th>"
           "<th>most common failure messages (count)</th></tr>"]
    for name in [*exercises, "TOTAL"]:
        values = np.asarray(points[name])
        top = maxima[name]
        common = failures.get(name, Counter()).most_common(TOP_MESSAGES)
        listed = "<br>".join(f"{count}× <code>{e(example[name, key])}</code>" for key, count in common)
        if pending[name]:
            listed = f"<span class='warn'>{pending[name]} answer(s) still to grade by hand</span><br>{listed}"
        out.append(f"<tr><td><code>{e(name)}</code></td><td>{top:g}</td><td>{values.mean():.2f}</td>"
                   f"<td>{np.mean(values >= top) * 100:.0f}%</td><td>{np.mean(values == 0) * 100:.0f}%</td>"
                   f"<td>{listed}</td></tr>")
    out.append("</table>")
    return out


def _flags_section(records: list[dict]) -> list[str]:
    e = html.escape
    flagged = [r for r in records if r["flags"]]
    out = ["<h2>Flagged constructs</h2>",
           "<p>Everything the static scan found suspicious, whether or not it changed a score: "
           "for a human to look at.</p>"]
    if not flagged:
        return out + ["<p>None.</p>"]
    out.append("<table><tr><th>student</th><th>assignment</th><th>cell</th><th>line</th><th>kind</th>"
               "<th>code</th></tr>")
    for record in sorted(flagged, key=lambda r: (r["student"], r["assignment"])):
        for flag in record["flags"]:
            out.append(f"<tr><td>{e(record['student'])}</td><td>{e(record['assignment'])}</td>"
                       f"<td><code>{e(str(flag['cell']))}</code></td><td>{e(str(flag['line']))}</td>"
                       f"<td>{e(flag['kind'])}</td><td><code>{e(flag['code'])}</code></td></tr>")
    return out + ["</table>"]


def _copies_section(root: Path, by_assignment: dict[str, list[dict]]) -> list[str]:
    e = html.escape
    rows = [f"<tr><td>{e(assignment)}</td><td><code>{e(cell)}</code></td><td>{e(source) or 'each other'}</td>"
            f"<td>{', '.join(f'{e(student)} ({value:.2f})' for student, value in scores.items())}</td></tr>"
            for assignment, records in sorted(by_assignment.items())
            for cell, source, scores in similarity.groups(
                similarity.class_near_copies(root, assignment, sorted(r["student"] for r in records)))]
    out = ["<h2>Near-copies</h2>",
           "<p>Answer cells that are near-copies of the course's code (the solution, or a function of "
           "<code>helpers</code>) or of other students' answers, found by winnowed fingerprints of the "
           "syntax tree as MOSS finds them: renaming, reformatting and reordering do not hide a copy (many "
           "statements of one's own slipped in between can). The similarity is the share of the smaller "
           "answer's fingerprints that the other has too; listed from "
           f"{similarity.THRESHOLD:.2f}. Evidence for a human to judge, not proof.</p>"]
    if not rows:
        return out + ["<p>None.</p>"]
    return out + ["<table><tr><th>assignment</th><th>answer cell</th><th>near-copy of</th>"
                  "<th>students (similarity)</th></tr>", *rows, "</table>"]


def _notes_section(records: list[dict]) -> list[str]:
    e = html.escape
    noted = [r for r in records if r["notes"]]
    out = ["<h2>Notes from the grader</h2>"]
    if not noted:
        return out + ["<p>None.</p>"]
    out.append("<table><tr><th>student</th><th>assignment</th><th>notes</th></tr>")
    for record in sorted(noted, key=lambda r: (r["student"], r["assignment"])):
        notes = "<br>".join(e(note) for note in record["notes"])
        out.append(f"<tr><td>{e(record['student'])}</td><td>{e(record['assignment'])}</td><td>{notes}</td></tr>")
    return out + ["</table>"]
