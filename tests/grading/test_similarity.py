"""Copy detection (``grading.similarity``): what winnowing guarantees, and its threshold measured
on ``grading/examples``: independently written correct answers are not flagged, against each
other or against the course's code, and disguised copies are.

Measured with K = 8, WINDOW = 4, MIN_FINGERPRINTS = 6 over 01-10 (152 answers): the highest similarity
between two independently written correct answers (or one and a function of ``helpers``) is
0.74 (07's ``layer_gradient_norms``, an alternative that keeps six of the solution's lines), next
0.70 (06's ``adam_step``: the same three update formulas); every disguised copy scores 1.00.
"""
from __future__ import annotations

import ast
import builtins
import itertools
import random

import nbformat
import pytest

from grading import course, report, similarity
from grading.engine.calling import examples
from grading.engine.calling.repair import nbgrader

HIGHEST_INDEPENDENT = 0.74  # measured (above); the threshold must stay clear of it
LOWEST_DISGUISED_COPY = 1.0  # measured
KEPT = frozenset(dir(builtins)) | {"np", "math"}


class _Renamer(ast.NodeTransformer):
    """Every parameter and every name a function assigns renamed; function names kept."""

    def __init__(self):
        self.names: dict[str, str] = {}

    def _new(self, name: str) -> str:
        return name if name in KEPT else self.names.setdefault(name, f"my_{len(self.names)}")

    def visit_arg(self, node):
        node.arg = self._new(node.arg)
        return node

    def visit_Name(self, node):
        if isinstance(node.ctx, ast.Store) or node.id in self.names:
            node.id = self._new(node.id)
        return node


def disguised(source: str) -> str:
    """A copy as a copier hides it: names renamed, comments dropped, docstrings rewritten,
    the layout redone (``ast.unparse``), and the cell's functions in the opposite order."""
    tree = _Renamer().visit(ast.parse(source))
    functions = [node for node in tree.body if isinstance(node, ast.FunctionDef)]
    for function in functions:
        if ast.get_docstring(function) is not None:
            function.body = function.body[1:]
        function.body.insert(0, ast.Expr(ast.Constant("All my own work.")))
    tree.body = [node for node in tree.body if node not in functions] + functions[::-1]
    return ast.unparse(tree)


def _independent_answers():
    """``(assignment, cell, released source, {author: source})``: the solution and every
    alternative written for that cell."""
    for assignment in course.assignments():
        release = course.notebook_path(course.REPO_ROOT, "notebooks", assignment)
        if not release.is_file():
            continue  # not released yet: no class to compare
        released = similarity.answer_cells(nbformat.read(release, 4))
        solution = similarity.answer_cells(nbformat.read(course.notebook_path(course.REPO_ROOT, "solutions", assignment), 4))
        alternatives = examples.load(examples.EXAMPLES / assignment / "alternatives.yml")
        for cell, base in released.items():
            authors = {"the solution": solution[cell]}
            authors |= {entry["student"]: entry["answers"][cell] for entry in alternatives if cell in entry["answers"]}
            yield assignment, cell, base, authors


def test_renaming_comments_and_layout_leave_the_labels_unchanged():
    source = ("def gradients(X, y, w):\n    '''Mean squared error.'''\n    z = X @ w  # logits\n"
              "    error = np.tanh(z) - y\n    return (error ** 2).mean(), X.T @ (error * (1 - np.tanh(z) ** 2)) / len(y)\n")
    copy = disguised(source)
    assert "error" not in copy and "#" not in copy and "Mean" not in copy
    assert similarity.statement_labels(copy) == similarity.statement_labels(source) != []
    assert similarity.statement_labels(source.replace("np.tanh(z) - y", "np.tanh(z) + y")) != \
        similarity.statement_labels(source), "an operator is part of the code, not of its layout"


def test_every_shared_run_long_enough_is_found_and_no_shorter_one():
    rng = random.Random(7)
    guaranteed = similarity.K + similarity.WINDOW - 1
    for trial in range(300):
        first = [f"a{rng.randrange(40)}" for _ in range(rng.randrange(0, 60))]
        second = [f"b{rng.randrange(40)}" for _ in range(rng.randrange(0, 60))]
        run = [f"c{rng.randrange(40)}" for _ in range(guaranteed)]
        at_first, at_second = rng.randrange(len(first) + 1), rng.randrange(len(second) + 1)
        with_run = [first[:at_first] + run + first[at_first:], second[:at_second] + run + second[at_second:]]
        prints = [similarity.winnow(similarity.kgram_hashes(labels)) for labels in with_run]
        assert prints[0] & prints[1], f"trial {trial}: a shared run of {guaranteed} labels left no common fingerprint"
        short = run[: similarity.K - 1]
        without = [first[:at_first] + short + first[at_first:], second[:at_second] + short + second[at_second:]]
        prints = [similarity.winnow(similarity.kgram_hashes(labels)) for labels in without]
        assert not prints[0] & prints[1], f"trial {trial}: a run shorter than K labels counted"


def test_independent_answers_are_not_flagged_and_disguised_copies_are():
    helpers = {name: similarity.fingerprints(source)
               for name, source in similarity.function_sources(similarity.helpers_package()).items()}
    independent, copies, unjudged = [], [], []
    for assignment, cell, base, authors in _independent_answers():
        given = similarity.runs(base)
        prints = {author: similarity.fingerprints(source) - given for author, source in authors.items()}
        for first, second in itertools.combinations(prints, 2):
            independent.append((similarity.similarity(prints[first], prints[second]) or 0.0, assignment, cell, first, second))
        for author in set(prints) - {"the solution"}:
            independent += [(similarity.similarity(prints[author], reference - given) or 0.0, assignment, cell, author, name)
                            for name, reference in helpers.items()]
        for author, source in authors.items():
            value = similarity.similarity(similarity.fingerprints(disguised(source), base), prints[author])
            if value is None:
                unjudged.append((assignment, cell, author))  # too short to tell a copy from the obvious
            else:
                copies.append((value, assignment, cell, author))
    highest, lowest = max(independent), min(copies)
    assert highest[0] <= HIGHEST_INDEPENDENT < similarity.THRESHOLD, f"independent answers too similar: {highest}"
    assert lowest[0] >= LOWEST_DISGUISED_COPY >= similarity.THRESHOLD, f"a disguised copy was missed: {lowest}"
    assert len(unjudged) <= 0.1 * len(copies), f"too many answers too short to judge: {unjudged}"


@pytest.fixture(scope="module")
def example_class(tmp_path_factory):
    """01's example class as submitted (ungraded), with three copiers added."""
    assignment = "01_why_sigmoid"
    root = course.copy_course(tmp_path_factory.mktemp("copies"))
    built = {example.student: example.notebook for example in examples.build(assignment, root=root)}
    entries = {entry["student"]: entry for entry in examples.load(examples.EXAMPLES / assignment / "alternatives.yml")}
    copiers = {
        "copies_solution": {cell: disguised(source) for cell, source in similarity.answer_cells(built["correct"]).items()},
        "copies_helpers": {"neuron": "def neuron_gradients(X, y, w, b):\n    cost = costs.get_cost('mse')\n"
                           + _body(similarity.function_sources(similarity.helpers_package())["helpers/neuron.py:_gradients"])},
        "copies_a_classmate": {cell: disguised(source) for cell, source in entries["alt_tanh_and_loops"]["answers"].items()},
    }
    for student, answers in copiers.items():
        notebook = nbformat.from_dict(built["correct"])
        for cell in notebook.cells:
            cell.source = answers.get(nbgrader(cell).get("grade_id"), cell.source)
        built[student] = notebook
    for student, notebook in built.items():
        course.submit(root, student, assignment, notebook)
    return root, assignment, entries, similarity.class_near_copies(root, assignment, sorted(built))


def _body(function_source: str) -> str:
    """The statements of a function, indented as a function body of one's own."""
    function = ast.parse(function_source).body[0]
    return "\n".join("    " + line for line in ast.unparse(ast.Module(function.body, [])).splitlines())


def test_the_example_class_flags_the_copiers_and_no_alternative(example_class):
    root, assignment, entries, matches = example_class
    found = {(m.student, m.cell): m for m in matches}
    for cell in ("sigmoid", "neuron", "train"):
        assert found["copies_solution", cell].other == f"the solution's {cell}"
    assert found["copies_helpers", "neuron"].other == "helpers/neuron.py:_gradients"
    pair = next(m for m in matches if {m.student, m.other} == {"alt_tanh_and_loops", "copies_a_classmate"})
    assert pair.score == 1.0 and not pair.course_code
    for student, entry in entries.items():
        for cell in entry["answers"]:
            flagged = [m for m in matches if m.cell == cell and student in (m.student, m.other)
                       and "copies_a_classmate" not in (m.student, m.other)]
            assert not flagged, f"{student}'s own answer to {cell} was flagged: {flagged}"
    assert "correct" in {m.student for m in matches}  # the solution itself, handed in: a copy


def test_the_report_lists_the_copies_in_groups(example_class):
    root, assignment, _, matches = example_class
    students = sorted({m.student for m in matches} | {m.other for m in matches if not m.course_code})
    section = "\n".join(report._copies_section(root, {assignment: [{"student": s} for s in students]}))
    rows = [row for row in section.split("<tr>")[2:]]
    assert len(rows) == len(similarity.groups(matches))
    classmates = next(row for row in rows if "copies_a_classmate" in row)
    assert "each other" in classmates and "alt_tanh_and_loops (1.00)" in classmates
    assert any("helpers/neuron.py:_gradients" in row and "copies_helpers" in row for row in rows)


def test_blank_and_unparsable_answers_have_nothing_to_compare():
    released = "def f(x):\n    '''Docstring.'''\n    # YOUR CODE HERE\n    raise NotImplementedError()\n"
    assert similarity.fingerprints(released, released) == frozenset()
    assert similarity.statement_labels("def f(x:\n    return") == []
    answers = {"ann": {"f": released}, "bob": {"f": released}, "cy": {"f": "def f(x:"}}
    assert similarity.near_copies(answers, {}, {"f": released}) == []
