"""Near-copies among answer cells: winnowed fingerprints of syntax trees, as MOSS finds them.

Schleimer, Wilkerson and Aiken, "Winnowing: local algorithms for document fingerprinting"
(SIGMOD 2003). Each top-level statement of an answer (a function, say) is parsed and its
syntax tree written out in pre-order as labels that what a copier changes cheaply does not
reach: every identifier becomes ``V`` (a name after a dot, as in ``np.exp``, keyword
arguments and Python's builtins stay: renaming does not reach them), every number ``N`` and
every string ``S``; comments, docstrings, brackets and line breaks leave no label, and the
order of the functions does not matter. Each run of ``K`` labels is hashed, and of every
``WINDOW`` consecutive hashes the smallest is kept as a fingerprint: two answers sharing a
run of ``K + WINDOW - 1`` labels share a fingerprint, and runs shorter than ``K`` never count.

What the course hands every student (the released cell: signature, docstring,
``raise NotImplementedError()``) is MOSS's base file: its runs are removed from every answer.
As in MOSS, a fingerprint that more than ``MAX_HOLDERS`` students' answers hold is how the
class writes that step, not a copy, and is left out of the comparisons between students.

The similarity of two answers is the share of the smaller one's fingerprints that the other
has too, so that padding a copy with code of one's own does not dilute it. Answers with fewer
than ``MIN_FINGERPRINTS`` fingerprints are too short to tell a copy from the one obvious way
to write them. Pairs at ``THRESHOLD`` or above are listed for a human to judge: similarity is
evidence, not proof. The constants were chosen on ``grading/examples``
(tests/grading/test_similarity.py measures them): a disguised copy (renamed, re-commented,
reformatted, functions reordered) scores 1, independently written correct answers at most
0.74. A copy with a statement of one's own slipped in after every other line breaks most runs
and mostly scores below the threshold (median 0.70).
"""
from __future__ import annotations

import ast
import builtins
import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

import nbformat

from grading import course
from grading.engine.calling.names import locked_parse
from grading.engine.calling.repair import nbgrader, role

K = 8
WINDOW = 4
MIN_FINGERPRINTS = 6
THRESHOLD = 0.8
MAX_HOLDERS = 10

KEPT_NAMES = frozenset(dir(builtins))
DEFINITIONS = {"arg": "V", "FunctionDef": "def", "AsyncFunctionDef": "def", "ClassDef": "class"}


def statement_labels(source: str) -> list[list[str]]:
    """Each top-level statement of the answer (a function, an import, ...) as its syntax tree in
    pre-order: labels that renaming and layout do not change. Kept apart, so that putting the
    functions in another order changes nothing either."""
    code = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))
    try:
        tree = locked_parse(code)  # IPython's magics (% and ! lines) left out above
    except SyntaxError:
        return []  # an answer that does not parse earns nothing, copied or not
    statements = []
    for statement in tree.body:
        if not _is_docstring(statement):
            statements.append([])
            _walk(statement, statements[-1])
    return statements


def _walk(node: ast.AST, labels: list[str]) -> None:
    labels.append(_label(node))
    for _, value in ast.iter_fields(node):
        children = [child for child in (value if isinstance(value, list) else [value])
                    if isinstance(child, ast.AST) and not isinstance(child, ast.expr_context)
                    and not _is_docstring(child)]
        block = bool(children) and isinstance(children[0], ast.stmt)
        if block:
            labels.append("{")
        for child in children:
            _walk(child, labels)
        if block:
            labels.append("}")


def _is_docstring(node: ast.AST) -> bool:
    """A string standing alone as a statement: a docstring, or a comment written as a string."""
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


def _label(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id if node.id in KEPT_NAMES else "V"
    if isinstance(node, ast.Attribute):
        return "." + node.attr
    if isinstance(node, ast.Constant):
        if isinstance(node.value, (str, bytes)):
            return "S"
        return "N" if isinstance(node.value, (int, float, complex)) and not isinstance(node.value, bool) \
            else repr(node.value)
    if isinstance(node, ast.keyword):
        return f"{node.arg or '**'}="
    if isinstance(node, ast.alias):
        return f"import {node.name}"
    return DEFINITIONS.get(type(node).__name__, type(node).__name__)


def kgram_hashes(labels: list[str]) -> list[int]:
    """A 64-bit hash of every run of ``K`` consecutive labels, in order."""
    return [int.from_bytes(hashlib.blake2b("\x00".join(labels[i:i + K]).encode(), digest_size=8).digest(), "big")
            for i in range(len(labels) - K + 1)]


def winnow(hashes: list[int]) -> frozenset[int]:
    """The smallest hash of every window of ``WINDOW`` consecutive hashes (of all, if fewer)."""
    starts = range(max(1, len(hashes) - WINDOW + 1)) if hashes else range(0)
    return frozenset(min(hashes[i:i + WINDOW]) for i in starts)


def fingerprints(source: str, base: str = "") -> frozenset[int]:
    """The answer's fingerprints, less every run of labels that ``base`` (the released cell) has."""
    found = frozenset().union(*(winnow(kgram_hashes(labels)) for labels in statement_labels(source)))
    return found - runs(base)


def runs(source: str) -> frozenset[int]:
    """The hash of every run of ``K`` labels in ``source`` (not only the winnowed ones)."""
    return frozenset(h for labels in statement_labels(source) for h in kgram_hashes(labels))


def score(shared: int, first_size: int, second_size: int) -> float | None:
    """``shared`` as a share of the smaller answer's fingerprints; None if that one is too short."""
    smaller = min(first_size, second_size)
    return shared / smaller if smaller >= MIN_FINGERPRINTS else None


def similarity(first: frozenset[int], second: frozenset[int]) -> float | None:
    """The similarity of two answers from their fingerprints (see ``score``)."""
    return score(len(first & second), len(first), len(second))


@dataclass(frozen=True)
class Match:
    """Answer cell ``cell`` of ``student`` is a near-copy of ``other``: course code, or a student's."""

    cell: str
    student: str
    other: str
    score: float
    course_code: bool


def near_copies(answers: dict[str, dict[str, str]], references: dict[str, str],
                released: dict[str, str]) -> list[Match]:
    """Near-copies among one assignment's answers, most similar first.

    ``answers[student][cell]``: each student's source of each answer cell (by grade_id);
    ``references``: the course's code (name -> source) that no answer should copy;
    ``released[cell]``: the cell as released, removed from everything before comparing.
    Each student's cell is listed once, against its closest reference, when that reaches
    ``THRESHOLD``; a pair of students is listed unless both copy the same reference.
    """
    course_prints = {name: fingerprints(source) for name, source in references.items()}
    matches = []
    for cell, base in released.items():
        given = runs(base)
        ours = {name: prints - given for name, prints in course_prints.items()}
        theirs = {student: fingerprints(cells[cell]) - given for student, cells in answers.items() if cell in cells}
        copied = {}
        for student, prints in theirs.items():
            found = _closest(prints, ours)
            if found is not None:
                copied[student] = found[1]
                matches.append(Match(cell, student, found[1], found[0], True))
        for (first, second), shared in _shared_between_students(theirs).items():
            value = score(shared, len(theirs[first]), len(theirs[second]))
            same_source = first in copied and copied[first] == copied.get(second)
            if value is not None and value >= THRESHOLD and not same_source:
                matches.append(Match(cell, first, second, value, False))
    return sorted(matches, key=lambda m: (-m.score, m.cell, m.student, m.other))


def groups(matches: list[Match]) -> list[tuple[str, str, dict[str, float]]]:
    """``(cell, source, {student: score})`` per answer cell: the students who copy one piece of
    course code (``source`` names it), then each group of students linked by shared answers
    (``source`` is ""; each student's score is their highest with the others)."""
    by_cell: dict[str, list[Match]] = defaultdict(list)
    for match in matches:
        by_cell[match.cell].append(match)
    out = []
    for cell in sorted(by_cell):
        copied: dict[str, dict[str, float]] = defaultdict(dict)
        linked: list[dict[str, float]] = []
        for match in sorted(by_cell[cell], key=lambda m: -m.score):
            if match.course_code:
                copied[match.other][match.student] = match.score
                continue
            touching = [group for group in linked if match.student in group or match.other in group]
            merged = {student: value for group in touching for student, value in group.items()}
            for student in (match.student, match.other):
                merged.setdefault(student, match.score)
            linked = [group for group in linked if all(group is not t for t in touching)] + [merged]
        out += [(cell, source, copied[source]) for source in sorted(copied)]
        out += [(cell, "", dict(sorted(group.items()))) for group in sorted(linked, key=min)]
    return out


def _closest(prints: frozenset[int], references: dict[str, frozenset[int]]) -> tuple[float, str] | None:
    """``(score, name)`` of the reference closest to ``prints`` if it reaches ``THRESHOLD``."""
    scored = [(score(len(prints & reference), len(prints), len(reference)), name)
              for name, reference in references.items() if not prints.isdisjoint(reference)]
    best = max(((value, name) for value, name in scored if value is not None), default=None)
    return best if best is not None and best[0] >= THRESHOLD else None


def _shared_between_students(prints: dict[str, frozenset[int]]) -> Counter:
    """Fingerprints shared per pair of students, from an index (no all-pairs loop); a
    fingerprint held by more than ``MAX_HOLDERS`` students counts for nobody."""
    holders: dict[int, list[str]] = defaultdict(list)
    for student in sorted(prints):
        for fingerprint in prints[student]:
            holders[fingerprint].append(student)
    shared: Counter = Counter()
    for students in holders.values():
        if len(students) <= MAX_HOLDERS:
            shared.update(combinations(students, 2))
    return shared


def function_sources(package: Path) -> dict[str, str]:
    """Every function and method in a package's source files, as ``"path:name" -> source``."""
    found = {}
    for path in sorted(Path(package).rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        for node in ast.walk(locked_parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                found[f"{path.relative_to(package.parent).as_posix()}:{node.name}"] = ast.get_source_segment(text, node)
    return found


def helpers_package() -> Path:
    """The folder of the ``helpers`` package that the grader uses (as ``grading.engine`` finds it)."""
    import helpers

    return Path(helpers.__file__).resolve().parent


def answer_cells(notebook: nbformat.NotebookNode) -> dict[str, str]:
    """``grade_id -> source`` of a notebook's code answer cells (of a duplicated one, the first,
    as the grader takes it)."""
    cells: dict[str, str] = {}
    for cell in notebook.cells:
        if role(cell) == "answer" and cell.cell_type == "code":
            cells.setdefault(nbgrader(cell)["grade_id"], cell.source)
    return cells


def class_near_copies(root: Path, assignment: str, students: list[str]) -> list[Match]:
    """Near-copies among the students' submitted answer cells of ``assignment``, and of the
    course's code: the solution's answer cells and every function of the ``helpers`` package
    that the grader uses."""
    release, source = (course.notebook_path(root, area, assignment) for area in ("notebooks", "solutions"))
    if not (release.is_file() and source.is_file()):
        return []  # an assignment no longer in the course: nothing to compare with
    released = answer_cells(nbformat.read(release, as_version=4))
    solution = answer_cells(nbformat.read(source, as_version=4))
    references = {f"the solution's {cell}": source for cell, source in solution.items()}
    references |= function_sources(helpers_package())
    answers = {}
    for student in students:
        try:
            notebook = nbformat.read(course.notebook_path(root, "grading/submitted", assignment, student), as_version=4)
        except (OSError, ValueError):
            continue  # the grader's notes already say why it could not be read
        answers[student] = {cell: source for cell, source in answer_cells(notebook).items() if cell in released}
    return near_copies(answers, references, released)
