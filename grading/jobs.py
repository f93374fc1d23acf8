"""What there is to grade: one job per submission in ``grading/submitted/<student>/<assignment>/``."""
from __future__ import annotations

import dataclasses
from fnmatch import fnmatch
from pathlib import Path

from grading import course
from grading.store import sha256


@dataclasses.dataclass(frozen=True)
class Job:
    """One submission to grade."""

    student: str
    assignment: str
    path: Path               # the submitted notebook
    submission_sha256: str
    source_sha256: str       # of solutions/<assignment>/<assignment>.ipynb

    @property
    def key(self) -> tuple[str, str]:
        return self.student, self.assignment

    def timestamp(self) -> str | None:
        """When the student submitted, as nbgrader's collect and zip_collect wrote it, or None."""
        stamp = self.path.parent / "timestamp.txt"
        if not stamp.is_file():
            return None
        return stamp.read_text().strip() or None


def find_jobs(root: Path = course.REPO_ROOT, assignments: list[str] | None = None,
              students: list[str] | None = None) -> list[Job]:
    """Every submission under ``grading/submitted/``, filtered by assignment names and student globs."""
    root = Path(root)
    known = course.assignments(root)
    unknown = sorted(set(assignments or []) - set(known))
    if unknown:
        raise ValueError(f"unknown assignment(s) {', '.join(unknown)}; the course has {', '.join(known)}")
    wanted = assignments or known
    source_sha = {a: sha256(course.notebook_path(root, "solutions", a)) for a in wanted}
    submitted = root / "grading" / "submitted"
    jobs = []
    for student_dir in sorted(p for p in submitted.glob("*") if p.is_dir()) if submitted.is_dir() else []:
        if students and not any(fnmatch(student_dir.name, pattern) for pattern in students):
            continue
        for assignment in wanted:
            path = student_dir / assignment / f"{assignment}.ipynb"
            if path.is_file():
                jobs.append(Job(student_dir.name, assignment, path, sha256(path), source_sha[assignment]))
    return jobs
