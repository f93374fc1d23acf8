"""What grading one submission produces: its limits, its cells' results, its flags and notes."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where needed: the grader process has no use for nbformat
    import nbformat


@dataclass(frozen=True)
class Limits:
    cell_timeout_s: float = 30.0        # one cell of the student's notebook, or one test cell
    notebook_timeout_s: float = 240.0   # the whole submission
    memory_mb: int = 2048               # address space of the sandboxed process
    output_kb: int = 256                # captured stdout/stderr per cell, rest cut
    sandbox: str = "auto"               # "auto" (bubblewrap if it works, else loud fallback), "bwrap", "none"


@dataclass
class CellResult:
    grade_id: str
    points: float          # earned
    max_points: float
    message: str | None    # None if passed; else "ExceptionType: message" (never hidden-test source)


@dataclass
class WrittenAnswer:
    """A manually graded markdown answer cell: left to the instructor (formgrader), as nbgrader does.

    ``answered`` is False when the cell is missing or still as released ("YOUR ANSWER HERE"):
    nbgrader then gives 0 points at once instead of asking for a hand grade."""

    grade_id: str
    max_points: float
    answered: bool


@dataclass
class Flag:
    """Something in a submission for a human to look at, whether or not it changed a score.

    ``kind`` is one of: module-attribute-assignment, ipython-shell, sys.modules, builtins,
    file-access, network, process, os._exit, dynamic-code, ctypes, introspection,
    reference-import (a function the grading sandbox lacks), course-code (other course code
    than the solution uses), engine (the grader's own modules, ``__main__``), endless-loop,
    shadowed-import (found in the code); duplicate-cell, edited-locked-cell, edited-test-cell
    (found in the notebook's structure); timeout, process-ended, output-cut,
    channel-tampering (seen while it ran).
    """

    cell: str              # grade_id of the answer cell or "cell N"
    line: int
    kind: str
    code: str              # the offending source line (student's own code: fine to show)


@dataclass
class SubmissionResult:
    assignment: str
    student: str
    cells: list[CellResult]
    flags: list[Flag]
    notes: list[str]
    sandbox: str
    seconds: float
    feedback: nbformat.NotebookNode = field(repr=False)
    written: list[WrittenAnswer] = field(default_factory=list)  # not in score: graded by hand

    @property
    def score(self) -> float:
        return sum(cell.points for cell in self.cells)

    @property
    def max_score(self) -> float:
        return sum(cell.max_points for cell in self.cells)

    def to_json(self) -> dict:
        """A JSON-ready dict (the feedback notebook as nbformat's JSON), with the totals."""
        return {
            "assignment": self.assignment, "student": self.student,
            "cells": [asdict(cell) for cell in self.cells], "flags": [asdict(flag) for flag in self.flags],
            "notes": list(self.notes), "sandbox": self.sandbox, "seconds": self.seconds,
            "score": self.score, "max_score": self.max_score, "feedback": self.feedback,
            "written": [asdict(answer) for answer in self.written],
        }

    @classmethod
    def from_json(cls, data: dict) -> "SubmissionResult":
        import nbformat

        return cls(
            assignment=data["assignment"], student=data["student"],
            cells=[CellResult(**cell) for cell in data["cells"]],
            flags=[Flag(**flag) for flag in data["flags"]],
            notes=list(data["notes"]), sandbox=data["sandbox"], seconds=float(data["seconds"]),
            feedback=nbformat.from_dict(data["feedback"]),
            written=[WrittenAnswer(**answer) for answer in data.get("written", [])],
        )
