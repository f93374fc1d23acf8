"""Grading: stock ``nbgrader autograde``, serially, against ``course autograde`` in parallel.

One synthetic class (``--students`` students × every assignment, default 40 × all; quick: 2 × 1)
is graded twice in the same run, each time in a fresh copy of the course with its own
gradebook: first by stock nbgrader, one ``nbgrader autograde ASSIGNMENT`` per assignment
(all students in one call, the way nbgrader is meant to be used; its ~2 s start-up is then
paid once per assignment), then by ``grading.autograde.autograde`` with one worker process
per core (sandboxed grading of each notebook, gradebook written by the parent). Students
are drawn in turn from the example submissions that behave (correct, alternative-correct,
blank, partial, each common mistake); the cheats and the damaged notebooks are left out
because stock nbgrader hangs on some until its time-out and crashes or drops others, which
would measure nbgrader's failure modes rather than its speed.

Reported, per assignment and in all: both wall times and their ratio (goal on 2 cores:
parallel ≥ 3× faster than serial stock nbgrader), and the per-notebook cost of each: stock
nbgrader's wall time per notebook, the engine's worker time per notebook (goal: median over
the assignments ≤ 1 s) and, for scale, a plain top-to-bottom run of each assignment's
solution with nbclient (kernel start + cells). Overhead per notebook = grading time per
notebook − plain run.

``--phases`` instead grades each assignment's solution in this process, once to warm up and
once timed, and prints where the engine's time goes (``grade_submission``'s ``timings``).

    .venv/bin/python bench/grading_bench.py                 # 40 students × every assignment
    .venv/bin/python bench/grading_bench.py --quick         # 2 students × 1 assignment
    .venv/bin/python bench/grading_bench.py --students 10 --assignment 01_why_sigmoid
    .venv/bin/python bench/grading_bench.py --phases        # the engine's time, phase by phase

Through ``bench/run.py`` (which rewrites this section's block of ``bench/README.md``), the class
is chosen by two environment variables: ``BENCH_GRADING_STUDENTS`` (a number) and
``BENCH_GRADING_ASSIGNMENTS`` (comma-separated assignments or their number prefixes):

    export BENCH_GRADING_STUDENTS=10 BENCH_GRADING_ASSIGNMENTS=01,02,03,04,05,06,07,08
    .venv/bin/python bench/run.py --only grading
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(1, str(BENCH.parent))

from common import log, section, target, text_table  # noqa: E402

NAME = "grading"
TITLE = "6. Grading: parallel sandboxed autograde against stock nbgrader, same class"
GOAL_SPEEDUP = 3.0
GOAL_WORKER_S = 1.0  # the engine's worker time per notebook, median over the assignments
PHASES = ("read, repair, scan", "grader process start and exit", "student process start",
          "setup cells, grader", "setup cells, student", "answer cells", "other cells", "test cells",
          "feedback notebook")
STUDENTS, QUICK_STUDENTS = 40, 2


def class_notebooks(root: Path, assignment: str) -> list:
    """The well-behaved example submissions of one assignment, as notebooks.

    From ENGINE's generator (``grading.engine.calling.examples``) where it is there, else the correct
    answer, the blank release and each common mistake of ``mistakes.yml``.
    """
    try:
        from grading.engine.calling import examples
    except ImportError:
        return _basic_examples(root, assignment)
    kept = [example.notebook for example in examples.build(assignment, root=root)
            if example.kind not in ("cheat", "repair")]
    return kept or _basic_examples(root, assignment)


def _basic_examples(root: Path, assignment: str) -> list:
    import nbformat
    import yaml

    from grading import course

    released = nbformat.read(course.notebook_path(root, "notebooks", assignment), as_version=4)
    solution = nbformat.read(course.notebook_path(root, "solutions", assignment), as_version=4)
    correct = course.fill_answers(released, solution)
    notebooks = [correct, released]
    mistakes = course.REPO_ROOT / "grading" / "examples" / assignment / "mistakes.yml"
    for mistake in yaml.safe_load(mistakes.read_text()) if mistakes.exists() else []:
        broken = nbformat.from_dict(correct)
        for cell in broken.cells:
            if cell.metadata.get("nbgrader", {}).get("grade_id") == mistake["answer_cell"]:
                cell.source = cell.source.replace(mistake["old"], mistake["new"])
        notebooks.append(broken)
    return notebooks


def build_class(root: Path, assignments: list[str], students: int) -> int:
    """Place ``students`` submissions of every assignment in ``root``; return how many notebooks."""
    from grading import course

    count = 0
    for assignment in assignments:
        pool = class_notebooks(root, assignment)
        for index in range(students):
            course.submit(root, f"student{index + 1:04d}", assignment, pool[index % len(pool)])
            count += 1
    return count


def fresh_course(parent: Path, name: str, assignments: list[str]) -> Path:
    """A copy of the course with an empty gradebook that knows the assignments (untimed)."""
    from grading import course
    from grading import gradebook as gb

    root = course.copy_course(parent / name)
    for assignment in assignments:
        gb.ensure_assignment(root, assignment, gb.default_db_url(root))
    return root


def stock_serial(root: Path, assignment: str) -> float:
    from grading import course

    start = time.perf_counter()
    course.run_nbgrader(root, "autograde", assignment, timeout=24 * 3600)
    return time.perf_counter() - start


def parallel(root: Path, assignment: str, workers: int):
    from grading import autograde

    start = time.perf_counter()
    summary = autograde.autograde(root, assignments=[assignment], workers=workers, progress=False,
                                  log=lambda *_: None)
    return time.perf_counter() - start, summary


def plain_run(assignment: str) -> float:
    from notebooks_bench import execute

    from grading.course import REPO_ROOT, notebook_path

    kernel, cells = execute(notebook_path(REPO_ROOT, "solutions", assignment))
    return kernel + cells


def run(quick: bool = False, students: int | None = None, assignments: list[str] | None = None,
        workers: int | None = None) -> dict:
    from grading import course

    released = [a for a in course.assignments(course.REPO_ROOT)
                if course.notebook_path(course.REPO_ROOT, "notebooks", a).is_file()]
    named = os.environ.get("BENCH_GRADING_ASSIGNMENTS")
    if not assignments and named and not quick:
        assignments = [a for a in released if a.startswith(tuple(p.strip() for p in named.split(",")))]
        if not assignments:
            raise ValueError(f"BENCH_GRADING_ASSIGNMENTS={named!r} names no released assignment")
    chosen = assignments or released
    if quick and not assignments:
        chosen = chosen[:1]
    students = students or (QUICK_STUDENTS if quick else int(os.environ.get("BENCH_GRADING_STUDENTS", STUDENTS)))
    workers = workers or os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="grading-bench-") as scratch:
        scratch = Path(scratch)
        stock_root = fresh_course(scratch, "stock", chosen)
        ours_root = fresh_course(scratch, "parallel", chosen)
        notebooks = build_class(stock_root, chosen, students)
        shutil.copytree(stock_root / "grading" / "submitted", ours_root / "grading" / "submitted")
        log(f"  {notebooks} notebooks ({students} students × {len(chosen)} assignments)")
        # Interleaved by assignment, so that a change in the machine's load hits both alike.
        t_stock = t_ours = grading_seconds = 0.0
        graded, sandboxes, per_assignment = 0, Counter(), []
        for assignment in chosen:
            stock_seconds = stock_serial(stock_root, assignment)
            t_stock += stock_seconds
            seconds, summary = parallel(ours_root, assignment, workers)
            log(f"  {assignment}: stock nbgrader {stock_seconds:.1f} s, course autograde {seconds:.1f} s "
                f"({summary.grading_seconds / students:.2f} s of worker time per notebook)")
            if summary.errors:
                raise RuntimeError(f"the parallel run failed on {summary.errors}")
            t_ours += seconds
            graded += len(summary.graded)
            grading_seconds += summary.grading_seconds
            sandboxes.update(summary.sandboxes)
            per_assignment.append({"mode": f"  {assignment}", "workers": workers, "notebooks": students,
                                   "wall s": seconds, "wall s / notebook": seconds / students,
                                   "grading s / notebook": summary.grading_seconds / students,
                                   "speed-up": stock_seconds / seconds})
    if graded != notebooks:
        raise RuntimeError(f"the parallel run graded {graded} of {notebooks} notebooks")
    log("  plain runs of the solutions (nbclient) ...")
    plain = sum(plain_run(a) for a in chosen) / len(chosen)
    grading_per_nb = grading_seconds / notebooks
    speedup = t_stock / t_ours
    stock_per_nb = t_stock / notebooks
    median_worker_s = statistics.median(row["grading s / notebook"] for row in per_assignment)
    rows = [
        {"mode": "stock nbgrader autograde, serial", "workers": 1, "notebooks": notebooks,
         "wall s": t_stock, "wall s / notebook": stock_per_nb, "grading s / notebook": stock_per_nb,
         "× plain run": stock_per_nb / plain},
        {"mode": "course autograde, parallel", "workers": workers, "notebooks": notebooks,
         "wall s": t_ours, "wall s / notebook": t_ours / notebooks, "grading s / notebook": grading_per_nb,
         "× plain run": grading_per_nb / plain, "speed-up": speedup},
        *per_assignment,
        {"mode": "plain nbclient run of the solution", "workers": 1, "notebooks": len(chosen),
         "wall s": plain * len(chosen), "wall s / notebook": plain, "grading s / notebook": None,
         "× plain run": 1.0},
    ]
    used = ", ".join(f"{name}: {count}" for name, count in sandboxes.items())
    notes = [
        f"speed-up (stock serial wall / parallel wall) = {speedup:.2f}× on {os.cpu_count()} cores, {workers} workers",
        f"per-notebook overhead over a plain nbclient run of the solution ({plain:.2f} s, kernel start + cells): "
        f"stock nbgrader {stock_per_nb - plain:+.2f} s (wall per notebook, serial), parallel grader "
        f"{grading_per_nb - plain:+.2f} s (each notebook's own time inside a worker: sandboxed student "
        "process + grader process + the cells)",
        f"sandbox used by the parallel grader: {used}",
        "the two graders run one after the other for each assignment in turn (interleaved), "
        "each on all its students; the parallel grader starts its worker pool once per assignment",
        "both runs write a fresh SQLite gradebook; the cheats of the example class are not in the bench class",
    ]
    enough = notebooks >= 4 * workers  # below that, start-up dominates and the ratio says little
    targets = [target(f"parallel autograde speed-up over serial stock nbgrader ({workers} workers)",
                      speedup, f">= {GOAL_SPEEDUP}x on 2 cores", speedup >= GOAL_SPEEDUP if enough else None),
               target("engine worker time per notebook, median over the assignments (s)", median_worker_s,
                      f"<= {GOAL_WORKER_S} s", median_worker_s <= GOAL_WORKER_S if enough else None)]
    return section(NAME, TITLE, ["mode", "workers", "notebooks", "wall s", "wall s / notebook",
                                 "grading s / notebook", "× plain run", "speed-up"], rows, targets=targets,
                   notes=notes)


def phases(assignments: list[str]) -> list[dict]:
    """Seconds per phase of grading each assignment's solution with a warm grader process
    (the second of two gradings in this process), and the grader's round trips."""
    import nbformat

    from grading import course
    from grading.engine import grade_submission

    rows = []
    with tempfile.TemporaryDirectory(prefix="grading-phases-") as scratch:
        for assignment in assignments:
            released, solution = (nbformat.read(course.notebook_path(course.REPO_ROOT, area, assignment),
                                                as_version=4) for area in ("notebooks", "solutions"))
            path = Path(scratch) / f"{assignment}.ipynb"
            nbformat.write(course.fill_answers(released, solution), path)
            for _ in range(2):
                timings, started = {}, time.perf_counter()
                grade_submission(course.REPO_ROOT, assignment, "phases", path, timings=timings)
            rows.append({"assignment": assignment, **{phase: timings.get(phase, 0.0) for phase in PHASES},
                         "total": time.perf_counter() - started, "round trips": timings["requests"]})
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_STUDENTS} students × 1 assignment")
    parser.add_argument("--students", type=int, help=f"students in the class (default {STUDENTS})")
    parser.add_argument("--assignment", action="append", help="only this assignment (repeatable)")
    parser.add_argument("--workers", type=int, help="worker processes (default: cores)")
    parser.add_argument("--phases", action="store_true", help="where one notebook's grading time goes")
    args = parser.parse_args(argv)
    if args.phases:
        from grading import course

        print(text_table(["assignment", *PHASES, "total", "round trips"],
                         phases(args.assignment or course.assignments(course.REPO_ROOT))))
        return 0
    result = run(args.quick, args.students, args.assignment, args.workers)
    print(text_table(result["columns"], result["rows"]))
    for note in result["notes"]:
        print(f"  · {note}")
    for t in result["targets"]:
        print(f"target: {t['what']}: {t['value']:.2f} (goal {t['goal']}; met: {t['met']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
