"""A term on one machine: ``python -m deploy up`` sets it up (once) and starts it, ``down`` stops it.

See deploy/term.py for what a term is made of, and the README's "Deployment for a term".
"""
from __future__ import annotations

import argparse
from pathlib import Path

from deploy.term import Term, as_instructor, missing, set_up, start, stop


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m deploy", description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=["up", "down"])
    parser.add_argument("--state", type=Path, default=Path("/srv/why-nn"), help="the term's folder")
    parser.add_argument("--students", default="student1,student2", help="comma-separated user names")
    parser.add_argument("--instructor", default="instructor")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--ip", default="127.0.0.1", help="address the hub listens on (0.0.0.0: every interface)")
    parser.add_argument("--homes", type=Path, default=Path("/home"))
    parser.add_argument("--through", metavar="ASSIGNMENT",
                        help="the students' bundle of this assignment's week (course bundle --through)")
    parser.add_argument("--release", action="append", default=[], metavar="ASSIGNMENT",
                        help="release this assignment to the students at start (repeat for several)")
    args = parser.parse_args(argv)
    term = Term(args.state, args.students.split(","), args.instructor, args.port, args.ip, args.homes,
                through=args.through)
    if args.action == "down":
        stop(term)
        print(f"stopped the hub and the gradebook's database; the term is kept in {term.state}")
        return
    problems = missing()
    if problems:
        raise SystemExit("cannot start the hub:\n  " + "\n  ".join(problems))
    set_up(term)
    start(term)
    try:
        for assignment in args.release:
            as_instructor(term, "nbgrader", "generate_assignment", assignment, "--force")
            as_instructor(term, "nbgrader", "release_assignment", assignment, "--force")
    except BaseException:
        stop(term)
        raise
    print(_welcome(term, args.release))


def _welcome(term: Term, released: list[str]) -> str:
    logins = "\n".join(f"  {user:<12} {term.password(user)}" + ("   (instructor: formgrader, course)"
                                                             if user == term.instructor else "")
                       for user in [term.instructor, *term.students])
    return f"""
JupyterHub is up: open {term.url} and log in as (user, password; also in {term.hub_folder}/term.json):
{logins}
Released to students: {', '.join(released) or 'nothing yet'}. The instructor's server runs in
{term.course}: its terminal has nbgrader and course (release_assignment, collect, course autograde,
course feedback, release_feedback), its gradebook is PostgreSQL.
Stop it all:  .venv/bin/python -m deploy down --state {term.state}   (logs: {term.hub_folder})"""


main()
