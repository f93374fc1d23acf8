"""The answer out of reach: which functions answer which assignment, a helpers without them,
staged bundles that hold no answer before its deadline, and the grader's check of absence.

``references`` reads the table from the hidden tests; ``staged`` writes a helpers whose
answers are stubs (the grading sandbox's, and a bundle's); ``answers`` fingerprints
functions by their normalised AST, to find a copy however it was renamed.
"""
from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import helpers
from grading import answers, bundle, course
from grading.engine.calling import references, staged
from grading.engine.grader.link import Link
from grading.engine.grader.sandbox import Sandbox

HELPERS = Path(helpers.__file__).resolve().parent
ASSIGNMENTS = course.assignments()
FIRST = ASSIGNMENTS[0]


def test_the_table_comes_from_the_hidden_tests():
    owners = references.owners()
    # Notebook 01's exercises, with the unchecked kernels behind the checked public functions.
    assert {name for name, owner in owners.items() if owner == FIRST} >= {
        "helpers.activations:sigmoid", "helpers.activations:_sigmoid", "helpers.activations:sigmoid_derivative",
        "helpers.neuron:forward", "helpers.neuron:gradients", "helpers.neuron:gradient_descent"}
    # Resolved through a registry, a tuple the cell assigns, and a for loop over a literal table.
    assert owners["helpers.optim:_velocity"] == owners["helpers.optim:_adam"] == "06_optimisers"
    assert owners["helpers.init:he_normal"] == "05_init_variance"
    # A function two assignments name belongs to the first; the second takes it away while grading.
    assert owners["helpers.network:MLP.backward"] == "02_cross_entropy_vs_mse"
    assert "helpers.network:MLP.backward" not in references.absent_through("07_vanishing_gradients")
    assert "helpers.network:MLP.backward" in references.absent_while_grading("07_vanishing_gradients")


def test_reading_the_table_imports_no_drawing_module_and_no_iri_grammar():
    """A grading worker reads the table on its first job: it imports what a reference lives in,
    not every notebook's figures and widgets, nor the grammar jsonschema would build for nbformat."""
    probe = subprocess.run([sys.executable, "-c", textwrap.dedent("""
        import sys
        from grading.engine.calling import references
        assert references.owners()["helpers.optim:_adam"] == "06_optimisers"
        print(sorted(name for name in ("matplotlib.pyplot", "ipywidgets", "helpers.viz", "rfc3987_syntax")
                     if sys.modules.get(name) is not None))
    """)], capture_output=True, text=True, timeout=300, cwd=Path(__file__).resolve().parents[2])
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.strip() == "[]"


def test_what_is_absent_shrinks_as_deadlines_pass():
    absent = [references.absent_through(name) for name in ASSIGNMENTS]
    assert all(later < earlier for earlier, later in zip(absent, absent[1:]))
    assert absent[0] == set(references.owners()) - references.shipped_early(FIRST)


def test_early_tools_are_answers_of_a_later_assignment_shipped_from_the_first_that_needs_them():
    owners = references.owners()
    for function, first in references.EARLY_TOOLS.items():
        assert first < owners[function], f"{function} is not needed before its own assignment"
        before = ASSIGNMENTS[ASSIGNMENTS.index(first) - 1] if first != FIRST else None
        assert function not in references.absent_through(first)
        if before:
            assert function in references.absent_through(before)
        assert function in references.absent_while_grading(owners[function])


def _run_in_staged_copy(absent: set[str], folder: Path, code: str) -> subprocess.CompletedProcess:
    """``code`` run against a copy of helpers without the ``absent`` functions, written into ``folder``."""
    owners = references.owners()
    staged.write(HELPERS, folder, {name: owners.get(name, FIRST) for name in absent}, staged.BEFORE_DEADLINE)
    return _run(code, folder)


def _run(code: str, helpers_parent: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=helpers_parent, capture_output=True, text=True,
                          timeout=120)


def test_a_staged_helpers_has_stubs_that_say_why_and_the_rest_intact(tmp_path):
    absent = {name: owner for name, owner in references.owners().items() if owner == FIRST}
    folder = staged.write(HELPERS, tmp_path, absent, staged.BEFORE_DEADLINE)
    neuron = (folder / "neuron.py").read_text()
    assert "_sigmoid(X @ w + b)" not in neuron and "cost.delta" not in neuron  # the private helper went too
    assert (folder / "layers.py").read_text() == (HELPERS / "layers.py").read_text()
    listed = _run("from helpers import _absent; print(sorted(_absent.ABSENT))", tmp_path).stdout
    assert listed.strip() == repr(sorted(absent))  # what checks.substituted and notebook.is_absent read
    done = _run(textwrap.dedent("""
        import numpy as np
        from helpers import activations, neuron, network
        for call in (lambda: neuron.gradients(np.ones((2, 1)), np.ones(2), np.ones(1), 0.0),
                     lambda: activations.sigmoid(0.0)):
            try:
                call()
            except NotImplementedError as problem:
                print(problem)
        print(activations.tanh(np.zeros(2)))
    """), tmp_path)
    assert done.returncode == 0, done.stderr
    assert "helpers.neuron.gradients is the course's own answer to an exercise of 01_why_sigmoid" in done.stdout
    assert "if that deadline has passed, this helpers folder is an old week's" in done.stdout  # a stale copy
    assert "helpers.activations.sigmoid is the course's" in done.stdout and "[0. 0.]" in done.stdout


def test_a_registry_it_cannot_fill_in_stops_the_copy(tmp_path):
    helpers_copy = tmp_path / "source" / "helpers"
    shutil.copytree(HELPERS, helpers_copy, ignore=shutil.ignore_patterns("__pycache__"))
    (helpers_copy / "_absent.py").write_text("ABSENT = frozenset()\n")  # reformatted: no line to replace
    with pytest.raises(RuntimeError, match="must hold the line"):
        staged.write(helpers_copy, tmp_path / "out", {"helpers.neuron:forward": FIRST}, staged.BEFORE_DEADLINE)


def test_the_cache_is_written_once_per_content(tmp_path, monkeypatch):
    monkeypatch.setattr(staged.tempfile, "gettempdir", lambda: str(tmp_path))
    absent = {"helpers.neuron:forward": FIRST}
    first = staged.cached(HELPERS, absent)
    assert staged.cached(HELPERS, absent) == first
    assert staged.cached(HELPERS, {}) != first and "forward" in (staged.cached(HELPERS, {}) / "neuron.py").read_text()


def test_a_renamed_copy_has_the_same_fingerprint():
    original = "def f(X, w, b):\n    '''doc'''\n    z = X @ w + b\n    a = 1 / (1 + np.exp(-z))\n    return a * (1 - a), z"
    renamed = "def g(inputs, weights, bias: float) -> tuple:\n    # my own\n    s = inputs @ weights + bias\n" \
              "    out = 1 / (1 + np.exp(-s))\n    return out * (1 - out), s"
    other = "def g(X, w, b):\n    z = X @ w - b\n    a = 1 / (1 + np.exp(-z))\n    return a * (1 - a), z"
    one, two, three = (answers.fingerprint(ast.parse(text).body[0]) for text in (original, renamed, other))
    assert one == two and one != three
    assert answers.fingerprint(ast.parse("def f(x):\n    return x + 1").body[0]) is None  # too small to tell


def test_the_full_helpers_holds_answers_that_the_check_finds():
    found = answers.leaks(HELPERS, [FIRST])
    assert any("neuron.py: gradients is 01_why_sigmoid's reference" in line for line in found), found


@pytest.mark.notebook
def test_each_weeks_bundle_holds_no_answer_not_yet_due(tmp_path):
    for number, due in enumerate(ASSIGNMENTS):
        out = tmp_path / due
        bundle.build(course.REPO_ROOT, out, log=lambda *_: None, through=str(number + 1))
        folder = out / bundle.NAME
        shipped = sorted(p.name for p in (folder / "notebooks").iterdir())
        assert shipped == ASSIGNMENTS[: number + 1]
        assert answers.leaks(folder, ASSIGNMENTS[number:], shipped=references.shipped_early(due)) == []
        early = {name.split(":")[1].split(".")[-1] for name in references.shipped_early(due)}
        assert {line.split(": ")[1].split(" ")[0] for line in answers.leaks(folder, ASSIGNMENTS[number:])} <= early
        if number:  # the week after a deadline, its reference is back for the experiments
            assert "def gradients(X, y, w, b, cost" in (folder / "helpers" / "neuron.py").read_text()


def test_the_grader_refuses_a_reference_the_sandbox_still_holds(tmp_path):
    from helpers import activations, neuron

    link = Link(Sandbox("bubblewrap", str(HELPERS), False), str(tmp_path), {"output_kb": 1}, 0.0,
                absent={"helpers.neuron:forward"})
    link.confirm_absent([neuron.forward])
    with pytest.raises(RuntimeError, match="helpers.activations.sigmoid.*references missed it"):
        link.confirm_absent([neuron.forward, activations.sigmoid])


_COST_PARTS = textwrap.dedent("""
    import numpy as np
    from helpers import losses
    z, y = np.array([[2.0]]), np.array([[0.0]])
    a = 1.0 / (1.0 + np.exp(-z))
    for name, call in (("quadratic delta", lambda: losses.COSTS["mse"].delta(z, a, y)),
                       ("cross-entropy delta", lambda: losses.COSTS["cross_entropy"].delta(z, a, y)),
                       ("cross-entropy value", lambda: losses.COSTS["cross_entropy"].value(z, a, y)),
                       ("value kernel", lambda: losses.UNCHECKED_LOSSES["binary_cross_entropy"](z, y))):
        try:
            call()
            print(name, "works")
        except NotImplementedError:
            print(name, "is a stub")
""")


@pytest.mark.parametrize("absent, stubs", [
    (lambda: references.absent_through(FIRST), {"quadratic delta", "cross-entropy delta", "cross-entropy value",
                                                "value kernel"}),
    (lambda: references.absent_through("02_cross_entropy_vs_mse"), {"cross-entropy delta", "cross-entropy value",
                                                                    "value kernel"}),
    (lambda: references.absent_while_grading("02_cross_entropy_vs_mse"), {"quadratic delta", "cross-entropy delta",
                                                                          "cross-entropy value", "value kernel"}),
    (lambda: references.absent_through("03_softmax"), set()),
], ids=["bundle 1", "bundle 2", "grading 02", "bundle 3"])
def test_the_sigmoid_costs_output_errors_and_value_are_answers_until_their_deadline(tmp_path, absent, stubs):
    # Reached through losses.COSTS (not lambdas, so the hidden tests can name them) and through the
    # kernel of binary_cross_entropy_from_logits: 01's neuron_gradients and 02's exercises A and B.
    done = _run_in_staged_copy(absent(), tmp_path, _COST_PARTS)
    assert done.returncode == 0, done.stderr
    found = {line.removesuffix(" is a stub") for line in done.stdout.splitlines() if line.endswith(" is a stub")}
    assert found == stubs, done.stdout
    assert sum(line.endswith(" works") for line in done.stdout.splitlines()) == 4 - len(stubs), done.stdout


_INIT_VARIANCE_ROUTES = textwrap.dedent("""
    import numpy as np
    from helpers import activations, init
    from helpers.experiments import init_variance as iv
    from helpers.network import MLP
    case = np.random.default_rng(54)
    X = case.normal(size=(6, 4))
    weights = [case.normal(size=(4, 4)) for _ in range(3)]
    G = case.normal(size=(6, 4))

    def forward():  # the course's MLP, zero biases: not an answer of 05
        params = {}
        for layer, W in enumerate(weights, start=1):
            params.update({f"W{layer}": W, f"b{layer}": np.zeros(4)})
        return MLP(params, ["tanh"] * 3).forward(X)[1]

    def by_private_chain():
        cache, record = forward(), activations.get_activation("tanh")
        local = [iv._local_derivative(record, Z, A) for Z, A in zip(cache.pre_activations, cache.layer_outputs)]
        return iv._chain(local, weights, G)

    routes = {"lecun by _normal_with": lambda: init._normal_with("lecun", 7, 5, np.random.default_rng(0)),
              "deltas by errors_by_network": lambda: iv.errors_by_network(iv.network_forward(X, weights, "tanh"),
                                                                          weights, "tanh", G),
              "deltas by _chain": by_private_chain,
              "wrong derivations": lambda: iv.wrong_derivations(X, weights, "tanh", G)}
    for name, route in routes.items():
        try:
            route()
            print(name, "works")
        except (AttributeError, NotImplementedError):
            print(name, "is gone")
""")


@pytest.mark.parametrize("absent", [lambda: references.absent_through("05_init_variance"),
                                    lambda: references.absent_while_grading("05_init_variance")],
                         ids=["bundle 5", "grading 05"])
def test_no_kept_function_computes_05s_initialisers_or_backward_pass(tmp_path, absent):
    # The review's routes: a private helper that LeCun's initialiser shared with the early tools,
    # and the δ's through the MLP or through private helpers that a known-mistake function kept.
    done = _run_in_staged_copy(absent(), tmp_path, _INIT_VARIANCE_ROUTES)
    assert done.returncode == 0, done.stderr
    assert [line for line in done.stdout.splitlines() if line.endswith(" works")] == [], done.stdout


_LEAKED_ROUTES = textwrap.dedent("""
    import numpy as np
    from helpers.experiments import regularisation, regularisation_cures as cures, why_sigmoid
    case = np.random.default_rng(4)
    X, labels, keep = case.normal(size=(5, 3)), case.integers(0, 3, size=5), np.ones((5, 4))
    params = {"W1": case.normal(size=(3, 4)), "b1": np.zeros(4), "W2": case.normal(size=(4, 3)), "b2": np.zeros(3)}
    routes = {"04's backward pass by _gradients": lambda: cures._gradients(X, labels, params, keep, 0.5, 1.0, 5),
              "04's backward pass": lambda: cures.dropout_l2_gradients(X, labels, params, keep, 0.5, 1.0, 5),
              "03's gradient by the regularisation loop": lambda: regularisation._softmax_cross_entropy(X, labels),
              "01's wrong derivations": lambda: why_sigmoid.neuron_wrong_derivations(X, np.ones(5), np.ones(3), 0.0)}
    for name, route in routes.items():
        try:
            route()
            print(name, "works")
        except (AttributeError, NotImplementedError):
            print(name, "is gone")
    zero = {key: np.zeros_like(value) for key, value in params.items()}  # the visible test passes the right result
    try:
        print("04's known mistakes", len(cures.wrong_derivations(X, labels, params, keep, 0.5, 1.0, 5, zero)))
    except NotImplementedError:  # they need 03's cross-entropy gradient, as 04's exercise does
        print("04's known mistakes wait for 03's answers")
""")


@pytest.mark.parametrize("absent, working", [
    (lambda: references.absent_through(FIRST), set()),
    (lambda: references.absent_through("03_softmax"), {"01's wrong derivations"}),
    (lambda: references.absent_through("04_regularisation"),
     {"01's wrong derivations", "03's gradient by the regularisation loop"}),
    (lambda: references.absent_while_grading("04_regularisation"),
     {"01's wrong derivations", "03's gradient by the regularisation loop"}),
], ids=["bundle 1", "bundle 3", "bundle 4", "grading 04"])
def test_no_kept_function_computes_the_answers_of_01_03_or_04_before_their_deadline(tmp_path, absent, working):
    # The review's routes: 04's backward pass kept alive by its known-mistake helper, 03's cross-entropy
    # gradient copied into the regularisation loop, and a known-mistake helper one token from 01's answer.
    done = _run_in_staged_copy(absent(), tmp_path, _LEAKED_ROUTES)
    assert done.returncode == 0, done.stderr
    assert {line.removesuffix(" works") for line in done.stdout.splitlines() if line.endswith(" works")} == working
    assert ("04's known mistakes 5" in done.stdout) == ("03's gradient by the regularisation loop" in working)


_SIGMOID_SLOPE = re.compile(r"(σ|sigma|\\sigma)['′](\(z\))?\s*=\s*a\s*\(1\s*[-−]\s*a\)|A1 \(1 - A1\)")


def test_bundle_1_states_no_formula_of_01_or_02_in_its_text(tmp_path):
    # σ'(z) in terms of the output is 01's exercise A: no docstring, comment or message of bundle 1 says it,
    # the known mistakes of exercise B, one token from its answer, are a stub, and the network's docstring
    # leaves a layer's backward pass (02's exercise C) to the notebook.
    owners = references.owners()
    absent = {name: owners.get(name, FIRST) for name in references.absent_through(FIRST)}
    folder = staged.write(HELPERS, tmp_path, absent, staged.BEFORE_DEADLINE)
    stating = [f"{path.relative_to(folder)}:{number}" for path in sorted(folder.rglob("*.py"))
               for number, line in enumerate(path.read_text().splitlines(), start=1) if _SIGMOID_SLOPE.search(line)]
    assert stating == []
    assert "derivative(a)" not in (folder / "experiments" / "why_sigmoid.py").read_text()
    assert r"\top" not in (folder / "network.py").read_text()
    assert r"X^\top G" not in (folder / "layers.py").read_text()
