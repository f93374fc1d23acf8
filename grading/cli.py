"""course: the instructor's command line, one subcommand per step of the term.

    course release [ASSIGNMENT ...]       regenerate notebooks/ from solutions/ (nbgrader)
    course bundle [--through N | --whole] build/why-nn-student(-WEEK.zip): what students receive (staged)
    course collect SOURCE                 a folder or zip of files named by student -> grading/submitted/
    course examples                       an example class in grading/submitted/ to try everything on
    course autograde [--workers N | --scheduler ADDRESS] [--force] [--db-url URL] ...
    course feedback                       grading/feedback/<student>/<assignment>/<assignment>.html
    course export                         grading/reports/grades.csv and totals.csv
    course report                         grading/reports/report.html

Run from anywhere; the course is this repository (``--root`` for another copy). Each step
is also a ``make`` target (``make bundle``, ``make grade``, ...).
"""
from __future__ import annotations

import argparse
import signal
import sys
from fnmatch import fnmatch
from pathlib import Path

from grading import course


def _add_filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--assignment", "-a", action="append", metavar="NAME",
                        help="only this assignment (repeat for several; default: all)")
    parser.add_argument("--student", "-s", action="append", metavar="GLOB",
                        help="only students matching this glob (repeat for several; default: all)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="course", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, default=course.REPO_ROOT, help="course root (default: this repository)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    release = commands.add_parser("release", help="regenerate notebooks/ from solutions/")
    release.add_argument("assignments", nargs="*", metavar="ASSIGNMENT")

    bundle = commands.add_parser("bundle", help="build the student bundle (folder and zip)")
    bundle.add_argument("--out", type=Path, help="output folder (default: build/)")
    week = bundle.add_mutually_exclusive_group()
    week.add_argument("--through", metavar="ASSIGNMENT",
                      help="the week of this assignment (name or number): its notebook and those before it, and "
                           "the course's answers of earlier assignments only (default: the first assignment)")
    week.add_argument("--whole", action="store_true",
                      help="every notebook and the course's answer to every exercise: for after the last "
                           "deadline, or for self-study")

    collect = commands.add_parser("collect", help="collect submissions from a folder or zip named by student")
    collect.add_argument("source", type=Path, help="a folder or a .zip")
    collect.add_argument("--regexp", help="nbgrader named_regexp with groups student_id and file_id, "
                                          "matched against the full path: start it with '.*/'")
    collect.add_argument("--skip-unattributable", action="store_true",
                         help="collect what can be attributed and only warn about the rest")

    examples = commands.add_parser("examples", help="write the example class into grading/submitted/")
    examples.add_argument("--out", type=Path, help="submitted folder (default: grading/submitted/)")
    _add_filters(examples)

    grade = commands.add_parser("autograde", help="grade every submission in parallel")
    _add_filters(grade)
    grade.add_argument("--workers", "-j", type=int, help="worker processes (default: number of cores)")
    grade.add_argument("--scheduler", metavar="ADDRESS",
                       help="Dask scheduler, e.g. tcp://10.0.0.5:8786: grade on its workers instead")
    grade.add_argument("--worker-root", type=Path,
                       help="where Dask workers find the course checkout (default: --root)")
    grade.add_argument("--force", action="store_true", help="regrade submissions already graded")
    grade.add_argument("--db-url", help="gradebook URL (default: $COURSE_DB_URL or grading/gradebook.db), "
                                        "e.g. postgresql+psycopg2://grader@dbhost/why_nn")
    grade.add_argument("--cell-timeout", type=float, metavar="S", help="seconds per cell (default 30)")
    grade.add_argument("--notebook-timeout", type=float, metavar="S", help="seconds per notebook (default 240)")
    grade.add_argument("--memory-mb", type=int, metavar="MB", help="memory per sandboxed process (default 2048)")
    grade.add_argument("--sandbox", choices=("auto", "bwrap", "none"),
                       help="auto: bubblewrap if it works, else a loud fallback (default)")
    grade.add_argument("--no-progress", action="store_true", help="no progress bar")

    feedback = commands.add_parser("feedback", help="HTML feedback per student and assignment")
    _add_filters(feedback)
    feedback.add_argument("--force", action="store_true", help="rewrite pages that are up to date")
    feedback.add_argument("--workers", "-j", type=int, help="processes (default: number of cores)")

    export = commands.add_parser("export", help="CSV of grades from the gradebook")
    export.add_argument("--db-url", help="gradebook URL (default: as for autograde)")

    report = commands.add_parser("report", help="HTML report: distributions, common failures, flags")
    report.add_argument("--db-url", help="gradebook URL, for the written answers graded by hand (default: as for "
                                         "autograde)")
    return parser


def write_example_class(root: Path, out: Path, assignments: list[str] | None = None,
                        students: list[str] | None = None) -> int:
    """The engine's example submissions of every assignment (correct, alternative, blank, partial,
    common mistakes, cheats, damaged notebooks) in nbgrader's submitted layout under ``out``."""
    import nbformat

    from grading.engine.calling import examples

    count = 0
    for assignment in assignments or course.assignments(root):
        if not course.notebook_path(root, "notebooks", assignment).is_file():
            print(f"skipping {assignment}: not released yet (course release {assignment})")
            continue
        for example in examples.build(assignment, root=root):
            if students and not any(fnmatch(example.student, pattern) for pattern in students):
                continue
            path = Path(out) / example.student / assignment / f"{assignment}.ipynb"
            path.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(example.notebook, path)
            count += 1
    return count


def _limits(args) -> dict:
    fields = {"cell_timeout_s": args.cell_timeout, "notebook_timeout_s": args.notebook_timeout,
              "memory_mb": args.memory_mb, "sandbox": args.sandbox}
    return {key: value for key, value in fields.items() if value is not None}


def _sigterm_as_interrupt(signum, frame):
    raise KeyboardInterrupt


# One function per subcommand, each ``(root, args) -> exit status`` (None: success).

def release_command(root: Path, args) -> None:
    for name in args.assignments or course.assignments(root):
        print(f"releasing {name} -> {course.release(name, root)}")


def bundle_command(root: Path, args) -> None:
    from grading import bundle

    bundle.build(root, args.out, through=args.through, whole=args.whole)


def collect_command(root: Path, args) -> None:
    from grading import collect

    collect.collect(args.source, root, regexp=args.regexp, skip_unattributable=args.skip_unattributable)


def examples_command(root: Path, args) -> None:
    out = args.out or root / "grading" / "submitted"
    written = write_example_class(root, out, args.assignment, args.student)
    print(f"wrote {written} example submission(s) into {out}")


def autograde_command(root: Path, args) -> int:
    from grading import autograde
    from grading.summary import describe

    signal.signal(signal.SIGTERM, _sigterm_as_interrupt)
    summary = autograde.autograde(
        root, assignments=args.assignment, students=args.student, workers=args.workers,
        scheduler=args.scheduler, force=args.force, db_url=args.db_url, limits=_limits(args),
        progress=not args.no_progress, worker_root=args.worker_root,
    )
    print(describe(summary))
    return 1 if summary.errors else 0


def feedback_command(root: Path, args) -> None:
    from grading import feedback

    feedback.generate(root, assignments=args.assignment, students=args.student, force=args.force,
                      workers=args.workers)


def export_command(root: Path, args) -> None:
    from grading import report

    report.export_csv(root, args.db_url)


def report_command(root: Path, args) -> None:
    from grading import report

    report.write_report(root, args.db_url)


COMMANDS = {
    "release": release_command, "bundle": bundle_command, "collect": collect_command,
    "examples": examples_command, "autograde": autograde_command, "feedback": feedback_command,
    "export": export_command, "report": report_command,
}


def run(args) -> int:
    return COMMANDS[args.command](args.root.resolve(), args) or 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return run(args)
    except KeyboardInterrupt:
        return 130
    except (ValueError, FileNotFoundError, RuntimeError) as error:
        print(f"course {args.command}: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
