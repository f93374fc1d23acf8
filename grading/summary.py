"""What one ``course autograde`` run did, and the few lines it prints about it."""
from __future__ import annotations

import dataclasses
from collections import Counter


@dataclasses.dataclass
class Summary:
    """What one run did; ``errors`` are jobs the grader could not grade (instructor errors)."""

    graded: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    skipped: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    rerecorded: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    errors: dict[tuple[str, str], str] = dataclasses.field(default_factory=dict)
    sandboxes: Counter = dataclasses.field(default_factory=Counter)
    grading_seconds: float = 0.0     # sum over graded jobs of the grader's own time
    wall_seconds: float = 0.0
    workers: int = 0


def describe(summary: Summary) -> str:
    """A few lines for the instructor: counts, time per notebook, sandbox used, errors."""
    lines = [f"graded {len(summary.graded)}, skipped {len(summary.skipped)} (already graded), "
             f"errors {len(summary.errors)}; {summary.wall_seconds:.1f} s wall"]
    if summary.graded:
        per_notebook = summary.grading_seconds / len(summary.graded)
        lines.append(f"{per_notebook:.2f} s of grading per notebook; "
                     f"{summary.wall_seconds / len(summary.graded):.2f} s wall per notebook on "
                     f"{summary.workers} worker(s)")
    if summary.rerecorded:
        lines.append(f"re-recorded {len(summary.rerecorded)} saved result(s) missing from the gradebook")
    for sandbox, count in summary.sandboxes.items():
        warn = "  <-- NOT SANDBOXED: install bubblewrap (bwrap)" if sandbox.upper().startswith("NONE") else ""
        lines.append(f"sandbox {sandbox}: {count} notebook(s){warn}")
    for (student, assignment), message in sorted(summary.errors.items()):
        lines.append(f"ERROR {student}/{assignment}: {message}")
    return "\n".join(lines)
