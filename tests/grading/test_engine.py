"""The sandboxed grader (grading.engine) against submissions whose grades we know.

For 01_why_sigmoid, the whole example class (grading/engine/calling/examples.py): correct and
alternative answers earn full marks, a blank notebook 0, each common mistake loses exactly
its test cell, no cheat earns the points it targets and each is flagged, and submissions
that exit, loop or flood their output are graded within their limits. The feedback never
shows hidden tests or solutions. The sandbox keeps the student's code away from the course
files, the gradebook and the network (bubblewrap is required under CI=true). Every
assignment's solution, blank and alternative answers: tests/grading/test_alternatives.py.

All submissions are graded once, concurrently, by the session fixture ``graded``.
"""
from __future__ import annotations

import copy
import hashlib
import json
import os
import re
import sqlite3
import struct
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import nbformat
import numpy as np
import pytest

from grading import course
from grading.engine import Flag, Limits, SubmissionResult, grade_submission
from grading.engine.calling import examples, graders, names, static
from grading.engine.grader import sandbox
from grading.engine.student import wire
from grading.engine.grader.link import Link, Remote, SubmissionStopped
from grading.engine.student.wire import copy_back

ROOT = course.REPO_ROOT
FIRST = "01_why_sigmoid"
LIMITS = Limits(cell_timeout_s=10.0, notebook_timeout_s=120.0)
CLASS = {example.student: example for example in examples.build(FIRST)}
PROBE = '''
import os, socket
def attempt(what, action):
    try:
        action()
        print("LEAK", what)
    except Exception as problem:
        print("blocked", what, type(problem).__name__)
attempt("solutions", lambda: open(SOLUTION).read())
attempt("relative solutions", lambda: open("../../solutions/01_why_sigmoid/01_why_sigmoid.ipynb").read())
attempt("gradebook read", lambda: open(GRADEBOOK, "rb").read(16))
attempt("gradebook write", lambda: open(GRADEBOOK, "r+b").close())
attempt("other submissions", lambda: os.listdir(SUBMITTED))
attempt("network", lambda: socket.create_connection(("1.1.1.1", 53), timeout=3))
attempt("loopback", lambda: socket.create_connection(("127.0.0.1", 22), timeout=3))
attempt("memory", lambda: bytearray(3 * 2**30))
def shown(what):  # succeeds (a leak) if `what` is there to see
    if not what:
        raise LookupError("hidden")
attempt("the engine's modules", lambda: __import__("wire"))
attempt("the server through __main__", lambda: shown(hasattr(__import__("__main__"), "Student")))
attempt("the server's path in sys.argv", lambda: shown(__import__("sys").argv[0]))
attempt("bubblewrap's command line", lambda: shown(b"bwrap" in open("/proc/1/cmdline", "rb").read()))
attempt("the reference", lambda: __import__("helpers.neuron").neuron.gradients(*[[[1.0]], [1.0], [1.0], 0.0]))
'''


def _submit(directory: Path, student: str, notebook) -> Path:
    path = directory / student / FIRST / f"{FIRST}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path


@pytest.fixture(scope="session")
def graded(tmp_path_factory):
    """``(assignment, student) -> SubmissionResult`` for every submission of this file, graded
    in a copy of the course that has a gradebook and the submissions in grading/submitted."""
    root = course.copy_course(tmp_path_factory.mktemp("course"))
    gradebook = root / "grading" / "gradebook.db"
    sqlite3.connect(gradebook).execute("CREATE TABLE grade (manual_score REAL)").connection.commit()
    directory = root / "grading" / "submitted"
    jobs = {(FIRST, name): (_submit(directory, name, example.notebook), LIMITS) for name, example in CLASS.items()}
    probe = nbformat.from_dict(CLASS["blank"].notebook)
    paths = {"SOLUTION": str(course.notebook_path(root, "solutions", FIRST)), "GRADEBOOK": str(gradebook),
             "SUBMITTED": str(directory)}
    probe.cells.insert(2, nbformat.v4.new_code_cell("".join(f"{k} = {v!r}\n" for k, v in paths.items()) + PROBE))
    jobs[FIRST, "probe"] = _submit(directory, "probe", probe), LIMITS
    jobs[FIRST, "unsandboxed"] = (_submit(directory, "unsandboxed", CLASS["partial"].notebook),
                                  Limits(sandbox="none"))
    before = hashlib.sha256(gradebook.read_bytes()).hexdigest()

    def grade(key):
        path, limits = jobs[key]
        return key, grade_submission(root, key[0], key[1], path, limits)

    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 2)) as pool:
        results = dict(pool.map(grade, jobs))
    assert hashlib.sha256(gradebook.read_bytes()).hexdigest() == before, "a submission changed the gradebook"
    return results


def _scores(result: SubmissionResult) -> dict[str, float]:
    return {cell.grade_id: cell.points for cell in result.cells}


def _text(notebook) -> str:
    return json.dumps(notebook)


@pytest.mark.notebook
@pytest.mark.parametrize("student", CLASS, ids=str)
def test_example_gets_the_expected_grade(graded, student):
    example, result = CLASS[student], graded[FIRST, student]
    scores = {cell.grade_id: (cell.points, cell.max_points, cell.message) for cell in result.cells}
    assert [c.grade_id for c in result.cells] == [c for c in scores], "one result per test cell"
    earned = {cell for cell in example.zero if scores[cell][0] != 0}
    assert not earned, f"{student} earned points it must not: {earned}"
    lost = {cell: scores[cell][2] for cell in example.full if scores[cell][0] != scores[cell][1]}
    assert not lost, f"{student} lost points it should keep: {lost}; notes: {result.notes}"
    if example.kind == "partial":
        assert 0 < result.score < result.max_score
    if example.message is not None:
        message = scores[example.zero[0]][2]
        assert example.message in message, f"the feedback should say {example.message!r}, it says {message!r}"
    missing = set(example.flags) - {flag.kind for flag in result.flags}
    assert not missing, f"{student} was not flagged {missing}; flags: {result.flags}"


@pytest.mark.notebook
def test_honest_submissions_are_not_flagged(graded):
    alternatives = ("alt_tanh_and_loops", "alt_logaddexp_and_einsum", "alt_textbook_unsilenced",
                    "alt_masks_and_logaddexp", "alt_float64_loops")
    for student in ("correct", "blank", "partial", *alternatives, "sign_error"):
        assert graded[FIRST, student].flags == [], (student, graded[FIRST, student].flags)


@pytest.mark.notebook
@pytest.mark.parametrize("student", CLASS, ids=str)
def test_feedback_hides_hidden_tests_and_solutions(graded, student):
    source = nbformat.read(course.notebook_path(ROOT, "solutions", FIRST), as_version=4)
    released = _text(nbformat.read(course.notebook_path(ROOT, "notebooks", FIRST), as_version=4))
    handed_in = _text(CLASS[student].notebook)
    result = graded[FIRST, student]
    feedback = _text(result.feedback) + json.dumps(result.notes)
    for begin, end in (("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"), ("### BEGIN SOLUTION", "### END SOLUTION")):
        secret = {line.strip() for cell in source.cells for line in _between(cell.source, begin, end)}
        for line in secret:
            if len(line) > 8 and json.dumps(line)[1:-1] not in released + handed_in:
                assert json.dumps(line)[1:-1] not in feedback, f"{student}'s feedback shows {line!r}"
    assert "HIDDEN TESTS" not in feedback and "BEGIN SOLUTION" not in feedback
    for cell in result.cells:  # each failed test keeps its message, and says nothing else
        if cell.message is not None:
            assert json.dumps(cell.message.partition(": ")[2])[1:-1] in feedback
    nbformat.validate(result.feedback)


@pytest.mark.notebook
def test_feedback_shows_every_cell_and_says_which_the_grader_skipped(graded):
    released = nbformat.read(course.notebook_path(ROOT, "notebooks", FIRST), as_version=4)
    feedback = graded[FIRST, "correct"].feedback
    free = [c for c in feedback.cells if c.cell_type == "code" and "nbgrader" not in c.metadata]
    assert [c.source for c in free] == [c.source for c in released.cells
                                        if c.cell_type == "code" and "nbgrader" not in c.metadata], "a cell is missing"
    skipped = [c for c in free if "Not run by the grader" in json.dumps(c.outputs)]
    assert skipped, "01's experiment cells feed no test: the grader should skip them"
    assert all(len(c.outputs) == 1 for c in skipped), "a skipped cell shows the note and nothing else"


@pytest.mark.notebook
def test_a_grader_process_is_reused_and_dropped_when_it_fails(graded):
    idle = list(graders._idle)
    assert idle and all(grader.poll() is None for grader in idle), "the graders should wait for the next job"
    with pytest.raises(RuntimeError, match="the grader process failed"):
        graders.run({"preload": ""}, 30)  # no working directory: the job fails in the grader
    assert graders._idle == idle[:-1], "an idle grader should have taken the job, and not come back"
    assert idle[-1].poll() is not None, "a grader whose job failed must end"


def _cells_needed(*cells: tuple[bool, str]) -> str:
    """``cells_needed`` of (always runs?, source) pairs, as a string: R runs, s is skipped."""
    needed = names.cells_needed([source for _, source in cells], [always for always, _ in cells])
    return "".join("R" if runs else "s" for runs in needed)


SETUP = (True, "import numpy as np\nfrom helpers import figures\nSEED = 1\nX = np.ones((3, 2))")


def test_cells_no_test_depends_on_are_skipped():
    assert _cells_needed(SETUP, (True, "def f(x):\n    return 2 * x"),
                         (False, "figures.show(f, X, seed=SEED)\nlosses = [f(x) for x in X]"),  # reads only
                         (False, "for label in 'ab':\n    print(label)"),
                         (True, "for label in 'cd':\n    assert f(1) == 2, label")) == "RRssR"


def test_cells_a_test_depends_on_run_with_what_they_depend_on():
    assert _cells_needed(SETUP, (False, "w = np.zeros(2)"), (False, "scale = 3\nv = w * scale"),
                         (False, "v2 = 1"), (True, "assert v.sum() == 0")) == "RRRsR"


def test_cells_that_may_change_a_value_a_test_reads_run():
    changed_by = ["train(net, X)", "net.fit(X)", "net.W[0] = 1.0", "net.lr = 0.1", "net += 1",
                  "def f():\n    global net\n    net = 2"]
    for cell in changed_by:
        got = _cells_needed(SETUP, (False, "net = object()"), (False, cell), (True, "assert net is not None"))
        assert got == "RRRR", (cell, got)
    assert _cells_needed(SETUP, (False, "np.random.shuffle(X)"), (True, "assert X[0, 0] == 1")) == "RRR"
    # a constant in one cell, an array in another: it can be changed in place
    assert _cells_needed(SETUP, (False, "w = 0"), (False, "w = np.zeros(2)"), (False, "np.copyto(w, 1.0)"),
                         (True, "assert w[0] == 1")) == "RRRRR"


def test_cells_that_bind_what_a_function_reads_when_called_run():
    # answer() reads helper and scale when the test calls it, after the cells below it ran
    assert _cells_needed(SETUP, (True, "def answer(x):\n    return helper(x) * scale"),
                         (False, "def helper(x):\n    return x + 1"), (False, "scale = 2"), (False, "unused = 5"),
                         (True, "assert answer(1) == 4")) == "RRRRsR"
    # a comprehension's variable is its own: the cell that binds the global one is not needed
    assert _cells_needed(SETUP, (False, "key = 'x'"), (True, "assert {key: 1 for key in 'ab'}['a'] == 1")) == "RsR"


def test_cells_that_change_a_module_s_state_run():
    for cell in ["np.random.seed(0)", "np.random.shuffle(X.ravel())", "np.seterr(all='raise')", "figures.DPI = 50",
                 "figures.COLOURS['x'] = 'red'"]:
        assert _cells_needed(SETUP, (False, cell), (True, "assert np.random.rand() < 2")) == "RRR", cell
    assert _cells_needed(SETUP, (False, "rng = np.random.default_rng(0)\nshown = np.sum(rng.normal(size=3))"),
                         (True, "assert X.sum() == 6")) == "RsR"


def test_cells_this_reading_cannot_follow_run():
    for cell in ["exec('v = 1')", "globals()['v'] = 1", "x = (", "setattr(np, 'v', 1)"]:
        assert _cells_needed(SETUP, (False, cell), (True, "assert v == 1")) == "RRR", cell


def _between(text: str, begin: str, end: str):
    inside = False
    for line in text.splitlines():
        if line.strip() in (begin, end):
            inside = line.strip() == begin
        elif inside:
            yield line


@pytest.mark.notebook
def test_a_stopped_submission_is_graded_within_its_limits(graded):
    for student in ("cheat_exit_at_top", "cheat_exit_in_function", "cheat_infinite_loop", "cheat_huge_output"):
        result = graded[FIRST, student]
        assert result.seconds < LIMITS.notebook_timeout_s, (student, result.seconds)
        assert any("cell" in note or "process" in note for note in result.notes), result.notes
    loop = graded[FIRST, "cheat_infinite_loop"]
    assert loop.seconds < 3 * LIMITS.cell_timeout_s + 60
    assert len(_text(graded[FIRST, "cheat_huge_output"].feedback)) < 4 * LIMITS.output_kb * 1024 + 200_000


@pytest.mark.notebook
def test_a_flood_of_the_grader_s_channel_ends_the_submission_early(graded):
    result = graded[FIRST, "cheat_flood_channel"]
    assert result.seconds < 60 and result.score == 0, (result.seconds, result.score)
    assert [note for note in result.notes if "wrote into the grader's channel" in note], result.notes
    assert len(result.notes) == 1, result.notes  # said once, not once per cell after it


@pytest.mark.notebook
def test_the_student_process_reaches_no_course_file_and_no_network(graded):
    result = graded[FIRST, "probe"]
    if result.sandbox != "bubblewrap":
        message = f"bubblewrap is not available here: {result.sandbox}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{message} (CI must install Debian's bubblewrap)")
        pytest.skip(message)
    printed = "".join(o.get("text", "") for cell in result.feedback.cells for o in cell.get("outputs", []))
    assert "LEAK" not in printed, printed
    assert printed.count("blocked") == 13, printed
    assert "blocked memory MemoryError" in printed


@pytest.mark.notebook
def test_without_a_sandbox_the_fallback_says_so_and_still_grades(graded):
    result = graded[FIRST, "unsandboxed"]
    assert result.sandbox.startswith("NONE (")
    assert _scores(result) == _scores(graded[FIRST, "partial"])


@pytest.mark.notebook
def test_result_survives_json(graded):
    result = graded[FIRST, "cheat_exit_at_top"]
    again = SubmissionResult.from_json(json.loads(json.dumps(result.to_json())))
    assert again == result and again.score == result.score


# --- the parts, without processes ------------------------------------------------------

def test_the_fallback_is_loud(capsys):
    import helpers

    sandbox.choose.cache_clear()
    chosen = sandbox.choose("none", str(Path(helpers.__file__).parent), str(ROOT))
    assert chosen.kind.startswith("NONE (sandbox='none' was requested") and not chosen.bubblewrap
    assert "WARNING: grading without a sandbox" in capsys.readouterr().err


def test_wire_rebuilds_data_and_refuses_everything_else():
    codec = wire.Codec()
    value = {"w": np.arange(6.0).reshape(2, 3), "n": (np.int64(3), 2.5, None, "x", [True, 1j]), 4: b"raw"}
    back = codec.decode(json.loads(json.dumps(codec.encode(value))))
    assert back.keys() == value.keys() and np.array_equal(back["w"], value["w"]) and back["n"] == value["n"]
    assert type(back["n"][0]) is np.int64 and back[4] == b"raw"
    zero_d = codec.decode(json.loads(json.dumps(codec.encode(np.array(0.5)))))
    assert zero_d.shape == () and zero_d == 0.5  # a lent sigmoid, called on np.array(z), must not add an axis
    for tree, why in (({"__array__": ["|O", [1], "AA=="]}, "dtype '|O' is not numeric"),
                      ({"__pickle__": "x"}, "an unknown tag '__pickle__'"), ({"a": 1, "b": 2}, "a malformed value"),
                      ({"__object__": ["subprocess:Popen", {"__dict__": []}]}, "subprocess:Popen is not from helpers"),
                      ({"__object__": ["helpers.checks:np.ndarray", {"__dict__": []}]}, "is not a class of helpers"),
                      ({"__function__": "os:system"}, "a function by name"), ({"__handle__": 1}, "a handle")):
        with pytest.raises(wire.Unreadable, match=re.escape(why)):
            codec.decode(tree)
    with pytest.raises(wire.Unreadable, match="an object of type list_iterator"):
        codec.encode(iter([1]))


def test_a_frame_over_the_limit_or_not_a_message_is_a_violation():
    for data in (struct.pack("!I", 60 * 2**20), struct.pack("!I", 5) + b"junk!"):
        read_fd, write_fd = os.pipe()
        os.write(write_fd, data)
        channel = wire.Channel(read_fd, write_fd, None, receive_limit=wire.MAX_REPLY)
        with pytest.raises(wire.ChannelViolation, match="a message of .* bytes announced|an unreadable message"):
            channel.receive(time.monotonic() + 5)
        os.close(read_fd), os.close(write_fd)


class _Overrun:
    def request(self, message, deadline):
        raise wire.ChannelTimeout()


def test_a_timeout_while_cells_are_run_again_says_what_to_do(tmp_path):
    limits = {"output_kb": 1, "notebook_timeout_s": 240, "cell_timeout_s": 30}
    link = Link(sandbox.Sandbox("NONE (a test)", "", False), str(tmp_path), limits, time.monotonic() + 4)
    link.channel, link.last_stop = _Overrun(), "ProcessExitError: cell 7 ended the Python process (exit status 1)"
    with pytest.raises(SubmissionStopped, match="ran your cells again") as stop:
        link._send({"op": "run"}, 30, "neuron", replaying=True)
    assert "after ProcessExitError: cell 7 ended" in stop.value.message
    assert "ran your cells again" in stop.value.message and "make your cells faster" in stop.value.message


def _descendants(pid: int) -> set[int]:
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, new = set(), {pid}
    while new:
        found |= new
        new = {child for child, parent in parents.items() if parent in new} - found
    return found - {pid}


@pytest.mark.notebook
def test_a_student_process_stuck_in_a_loop_ends_with_grading(tmp_path):
    limits = {"output_kb": 1, "notebook_timeout_s": 60, "cell_timeout_s": 30, "memory_mb": 1024}
    link = Link(sandbox.choose("auto", str(ROOT / "helpers"), str(ROOT)), str(tmp_path), limits,
                time.monotonic() + 60)
    link.start()
    link._ensure()
    link.channel.send({"op": "run", "source": "while True:\n    pass", "label": "loop"})
    started = _descendants(link.process.pid)
    assert started, "no student process to watch"
    link.stop()
    deadline = time.monotonic() + 5
    while (alive := {pid for pid in started if _running(pid)}) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive, "the student's process outlived its grader"


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has ended; only its parent has not collected it yet


def test_copy_back_writes_a_call_s_mutations_in_place():
    w, params = np.zeros(3), {"W1": np.ones((2, 2)), "b1": [0.0]}
    copy_back([w, params], [np.arange(3.0), {"W1": np.full((2, 2), 2.0), "b1": [5.0]}])
    assert np.array_equal(w, [0, 1, 2]) and params["W1"][0, 0] == 2.0 and params["b1"] == [5.0]
    remote = Remote(SimpleNamespace(generation=0), 1, "sigmoid")
    assert copy.deepcopy(remote) is remote  # call_checked deep-copies the arguments


def test_a_remote_function_is_called_and_nothing_else():
    def no_round_trip(*_, **__):
        pytest.fail("reading or setting an attribute of a student's function must not reach their process")
    link = SimpleNamespace(generation=0, request=no_round_trip, request_value=no_round_trip)
    remote = Remote(link, 1, "sigmoid")
    with pytest.raises(AttributeError, match="weights"):
        remote.weights
    with pytest.raises(AttributeError, match="the grader only calls it"):
        remote.weights = 1.0


def test_static_scan_flags_each_kind():
    aliases = names.imports(["import numpy as np\nfrom helpers import activations, grading"])
    guarded = {"helpers.activations.sigmoid"}
    code = {
        "np.allclose = lambda *a: True": "module-attribute-assignment",
        "setattr(grading, 'check_array', print)": "module-attribute-assignment",
        "get_ipython().events.register('pre_run_cell', print)": "ipython-shell",
        "import sys\nsys.modules['numpy'].x = 1": "sys.modules",
        "import builtins": "builtins",
        "open('../../solutions/x.ipynb').read()": "file-access",
        "import urllib.request": "network",
        "import subprocess": "process",
        "import os\nos._exit(0)": "os._exit",
        "exec('1')": "dynamic-code",
        "import ctypes": "ctypes",
        "f.__code__ = g.__code__": "introspection",
        "from helpers.activations import sigmoid": "reference-import",
        "def f(z, s=activations.sigmoid):\n    return s(z)": "reference-import",
        "while True:\n    x = 1": "endless-loop",
        "import posix": "file-access",
        "import _io": "file-access",
        "import _socket": "network",
        "code = getattr(activations.tanh, '__code__')": "introspection",
        "rebuilt = type(f)(code, {})": "dynamic-code",
        "checks = grading\nchecks.check_array = print": "module-attribute-assignment",
        "import __main__": "engine",
        "import wire": "engine",
        "from grading.engine.grader import link": "engine",
    }
    for source, kind in code.items():
        kinds = {flag.kind for flag in static.scan(source, "cell 1", aliases, guarded)}
        assert kind in kinds, (source, kinds)
    honest = "def f(z):\n    while True:\n        if z > 0:\n            break\n    return np.exp(-np.abs(z))"
    assert static.scan(honest, "cell 1", aliases, guarded) == []
    # A module used inside the index of an assignment is not an assignment to the module.
    one_hot_in_place = "P = np.zeros((2, 3))\nP[np.arange(2), [0, 2]] -= 1.0"
    assert static.scan(one_hot_in_place, "cell 1", aliases, guarded) == []
    kinds = {flag.kind for flag in static.scan("x, np.allclose = 1, max", "cell 1", aliases, guarded)}
    assert "module-attribute-assignment" in kinds
    assert static.ipython_free("%matplotlib inline\nx = 1\n!ls")[1] == [1, 3]
    assert isinstance(Flag("a", 1, "b", "c"), Flag)


def test_static_scan_flags_course_code_the_solution_does_not_use():
    aliases = names.imports(["import numpy as np\nfrom helpers import activations, layers"])
    allowed = frozenset({"helpers.activations", "helpers.layers", "helpers.activations.tanh"})
    kinds = {flag.kind for flag in static.scan("s = layers.softmax(np.c_[z, 0 * z])[:, 0]", "cell 1", aliases,
                                                set(), frozenset(), allowed)}
    assert kinds == {"course-code"}
    assert static.scan("a = activations.tanh(z)", "cell 1", aliases, set(), frozenset(), allowed) == []


def test_the_grader_imports_nothing_from_the_shared_temporary_folder(tmp_path):
    """A submission graded without a sandbox can write to /tmp: a module planted there must
    never be imported by the (trusted) grader process, whose setup imports run first."""
    name = f"planted_by_a_submission_{os.getpid()}"
    planted, marker = Path(tempfile.gettempdir()) / f"{name}.py", tmp_path / "imported"
    planted.write_text(f"open({str(marker)!r}, 'w').close()\n")
    try:
        with pytest.raises(RuntimeError, match="the grader process failed"):
            graders.run({"preload": f"import {name}"}, 60)  # no cells: the job itself fails after the imports
    finally:
        planted.unlink()
    assert not marker.exists(), "the grader imported a module from the temporary folder"
