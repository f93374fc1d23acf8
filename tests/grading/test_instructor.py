"""The instructor's side: bundle, collect, parallel autograde, feedback, export, report.

Grading tests run the real sandboxed grader (``grading.engine``) on a small class of one
assignment in a temporary copy of the course: correct, blank, one common mistake, and a
correct answer with a flagged construct. Dask runs on a local two-worker cluster;
PostgreSQL on a throwaway server started here (skipped, with the reason, where it cannot be).
"""
from __future__ import annotations

import csv
import glob
import html
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
import yaml

from grading import autograde, bundle, collect, course, feedback, report, store
from grading import gradebook as gb

ASSIGNMENT = course.assignments()[0]
FLAGGED_LINE = "import os; _ = os.listdir('.')"


# --- the small class -------------------------------------------------------------------

def _points(assignment: str, written: bool = True) -> dict[str, float]:
    """Points per grade cell; without the written answers (graded by hand) if ``written`` is False."""
    source = nbformat.read(course.notebook_path(course.REPO_ROOT, "solutions", assignment), as_version=4)
    return {c.metadata["nbgrader"]["grade_id"]: float(c.metadata["nbgrader"]["points"])
            for c in source.cells if c.metadata.get("nbgrader", {}).get("grade")
            and (written or c.cell_type == "code")}


def _first_mistake(assignment: str) -> dict | None:
    path = course.REPO_ROOT / "grading" / "examples" / assignment / "mistakes.yml"
    return yaml.safe_load(path.read_text())[0] if path.exists() else None


def _class(root: Path) -> dict[str, nbformat.NotebookNode]:
    released = nbformat.read(course.notebook_path(root, "notebooks", ASSIGNMENT), as_version=4)
    solution = nbformat.read(course.notebook_path(root, "solutions", ASSIGNMENT), as_version=4)
    correct = course.fill_answers(released, solution)
    flagged = nbformat.from_dict(correct)
    answer = next(c for c in flagged.cells if c.metadata.get("nbgrader", {}).get("solution"))
    answer.source += "\n" + FLAGGED_LINE
    students = {"correct": correct, "blank": released, "flagged": flagged}
    mistake = _first_mistake(ASSIGNMENT)
    if mistake:
        broken = nbformat.from_dict(correct)
        cell = next(c for c in broken.cells if c.metadata.get("nbgrader", {}).get("grade_id") == mistake["answer_cell"])
        cell.source = cell.source.replace(mistake["old"], mistake["new"])
        students["mistake"] = broken
    return students


def _expected(student: str) -> float | None:
    """The autograded total a student of the small class must get (None for the mistake: see below)."""
    points = _points(ASSIGNMENT, written=False)
    if student == "blank":
        return 0.0
    if student == "mistake":
        return None
    return sum(points.values())


def _totals(root: Path, db_url: str | None = None) -> dict[str, float]:
    with gb.open_gradebook(gb.with_driver(db_url or gb.default_db_url(root))) as gradebook:
        return {(row.student.id): float(row.score) for row in gradebook.find_assignment(ASSIGNMENT).submissions}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """A course copy whose small class was autograded with 2 worker processes."""
    root = course.copy_course(tmp_path_factory.mktemp("graded"))
    for student, notebook in _class(root).items():
        course.submit(root, student, ASSIGNMENT, notebook)
    summary = autograde.autograde(root, workers=2, progress=False)
    return root, summary


@pytest.fixture
def graded_copy(graded, tmp_path):
    """A private copy of the graded course (gradebook and results included) to change."""
    root, _ = graded
    copy = tmp_path / "course"
    shutil.copytree(root, copy)
    return copy


@pytest.fixture(scope="module")
def reference(graded):
    """The totals of the first parallel run: every other way of grading must agree with them."""
    root, _ = graded
    return _totals(root)


# --- bundle ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def student_bundle(tmp_path_factory):
    out = tmp_path_factory.mktemp("bundle")
    archive = bundle.build(course.REPO_ROOT, out, log=lambda *_: None, whole=True)
    return out / bundle.NAME, archive


def test_the_default_bundle_is_the_first_weeks(tmp_path):
    said = []
    bundle.build(course.REPO_ROOT, tmp_path, log=said.append)
    first = course.assignments()[0]
    assert sorted(p.name for p in (tmp_path / bundle.NAME / "notebooks").iterdir()) == [first]
    assert "course's own answer to an exercise of 01" in (tmp_path / bundle.NAME / "helpers" / "activations.py").read_text()
    assert f"without the answers of {first} and later" in said[-1]
    assert (tmp_path / f"{bundle.NAME}-{first}.zip").is_file()  # named for its week
    readme = (tmp_path / bundle.NAME / "README.md").read_text()
    assert f"notebooks up to {first}" in readme and "Do not unpack it" in readme
    with pytest.raises(ValueError, match="either through .* or whole"):
        bundle.build(course.REPO_ROOT, tmp_path, log=said.append, through="2", whole=True)


def test_bundle_holds_what_students_need(student_bundle):
    folder, archive = student_bundle
    for assignment in course.assignments():
        assert (folder / "notebooks" / assignment / f"{assignment}.ipynb").is_file()
    for name in ("helpers/__init__.py", "pyproject.toml", "environment.yml", "Makefile", "student-setup.sh",
                 "README.md"):
        assert (folder / name).is_file(), name
    with zipfile.ZipFile(archive) as zipped:
        names = zipped.namelist()
    assert f"{bundle.NAME}/helpers/__init__.py" in names
    assert not any("solutions/" in n or "/grading/" in n or n.endswith(".db") for n in names)
    assert 'include = ["helpers*"]' in (folder / "pyproject.toml").read_text()  # helpers.viz, .experiments too
    # the whole-course bundle runs every notebook: no reference is a stub in it
    assert "course's own answer to an exercise" not in (folder / "helpers" / "activations.py").read_text()


def test_bundle_contains_no_solution_or_hidden_test_line(student_bundle):
    folder, _ = student_bundle
    secrets = bundle.secret_lines(course.REPO_ROOT)
    # every assignment contributes lines to look for: the check is not vacuous
    assert {where.split("/")[0] for where in secrets.values()} == set(course.assignments())
    assert bundle.check_bundle(folder) == []


def test_a_bundle_that_leaks_leaves_no_zip(tmp_path, monkeypatch):
    monkeypatch.setattr(bundle, "check_bundle", lambda *args: ["helpers/x.py: contains a hidden-test line"])
    with pytest.raises(RuntimeError, match="leaks instructor text"):
        bundle.build(course.REPO_ROOT, tmp_path, log=lambda *_: None)
    assert list(tmp_path.glob("*.zip")) == []


def test_bundle_check_finds_a_planted_leak(student_bundle, tmp_path):
    folder, _ = student_bundle
    leaky = tmp_path / "leaky"
    shutil.copytree(folder, leaky)
    line, where = next(iter(bundle.secret_lines(course.REPO_ROOT).items()))
    with open(leaky / "helpers" / "notebook.py", "a") as handle:
        handle.write(f"\n# {line}\n")
    problems = bundle.check_bundle(leaky)
    assert any("helpers/notebook.py" in p and where in p for p in problems), problems


def test_student_setup_hides_instructor_panels(student_bundle, tmp_path):
    folder, _ = student_bundle
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(tmp_path / "jupyter"), "LEVEL": "user",
           "JUPYTER": str(Path(sys.executable).parent / "jupyter")}
    subprocess.run(["sh", "student-setup.sh"], cwd=folder, env=env, check=True, capture_output=True, timeout=120)
    listing = subprocess.run([env["JUPYTER"], "labextension", "list"], env=env, capture_output=True, text=True,
                             timeout=120)
    disabled = (listing.stdout + listing.stderr).split("Disabled extensions:")[-1]
    for plugin in ("@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment",
                   "@jupyter/nbgrader:course-list"):
        assert plugin in disabled, listing.stdout + listing.stderr
    assert "labextension disable" in (folder / "Makefile").read_text() + (folder / "student-setup.sh").read_text()
    assert "@jupyterlab/apputils-extension:announcements" in (folder / "student-setup.sh").read_text()


# --- collect ---------------------------------------------------------------------------

def _released_bytes() -> bytes:
    return course.notebook_path(course.REPO_ROOT, "notebooks", ASSIGNMENT).read_bytes()


def test_collect_refuses_files_it_cannot_attribute(tmp_path):
    root = course.copy_course(tmp_path / "course")
    source = tmp_path / "download"
    source.mkdir()
    (source / f"alice_{ASSIGNMENT}.ipynb").write_bytes(_released_bytes())
    (source / "homework.ipynb").write_bytes(_released_bytes())
    (source / f"Dan Brown_{ASSIGNMENT}.ipynb").write_bytes(_released_bytes())
    with pytest.raises(collect.CollectError, match="homework.ipynb") as error:
        collect.collect(source, root, log=lambda *_: None)
    message = str(error.value)
    assert "homework.ipynb" in message and "Dan Brown" in message and "alice" not in message
    assert not (root / "grading" / "submitted").exists()


@pytest.mark.notebook
def test_collect_from_a_folder_and_a_zip(tmp_path):
    root = course.copy_course(tmp_path / "course")
    folder = tmp_path / "download"
    (folder / "bob").mkdir(parents=True)
    (folder / f"alice_{ASSIGNMENT}.ipynb").write_bytes(_released_bytes())
    (folder / "bob" / f"{ASSIGNMENT}.ipynb").write_bytes(_released_bytes())
    assert collect.collect(folder, root, log=lambda *_: None) == [("alice", ASSIGNMENT), ("bob", ASSIGNMENT)]
    archive = tmp_path / "lms.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr(f"export/carol.smith_{ASSIGNMENT}.ipynb", _released_bytes())
    assert collect.collect(archive, root, log=lambda *_: None) == [("carol.smith", ASSIGNMENT)]
    for student in ("alice", "bob", "carol.smith"):
        assert course.notebook_path(root, "grading/submitted", ASSIGNMENT, student).read_bytes() == _released_bytes()


# --- autograde ---------------------------------------------------------------------------

@pytest.mark.notebook
def test_parallel_autograde_records_the_right_totals(graded):
    root, summary = graded
    students = set(_class(root))
    assert not summary.errors, summary.errors
    assert {s for s, _ in summary.graded} == students and summary.workers == 2
    totals = _totals(root)
    for student in students:
        record = store.load_record(root, student, ASSIGNMENT)
        assert record["submission_sha256"] == store.sha256(
            course.notebook_path(root, "grading/submitted", ASSIGNMENT, student))
        assert (store.autograded_dir(root, student, ASSIGNMENT) / f"{ASSIGNMENT}.ipynb").is_file()
        # the gradebook holds exactly what the grader returned
        assert totals[student] == sum(c["points"] for c in record["result"]["cells"])
        if _expected(student) is not None:
            assert totals[student] == _expected(student), (student, record["result"]["cells"])
    mistake = _first_mistake(ASSIGNMENT)
    if mistake:  # the broken exercise scores 0 with its message (the engine's tests check the rest)
        cells = {c["grade_id"]: c for c in store.load_record(root, "mistake", ASSIGNMENT)["result"]["cells"]}
        assert cells[mistake["breaks"]]["points"] == 0 and mistake["message"] in cells[mistake["breaks"]]["message"]


@pytest.mark.notebook
def test_rerun_skips_what_is_graded_and_regrades_what_changed(graded_copy, reference):
    root = graded_copy
    again = autograde.autograde(root, workers=2, progress=False, log=lambda *_: None)
    assert again.graded == [] and len(again.skipped) == len(_class(root))
    course.notebook_path(root, "grading/submitted", ASSIGNMENT, "blank").write_bytes(
        course.notebook_path(root, "grading/submitted", ASSIGNMENT, "correct").read_bytes())
    changed = autograde.autograde(root, workers=2, progress=False, log=lambda *_: None)
    assert changed.graded == [("blank", ASSIGNMENT)]
    assert _totals(root) == {**reference, "blank": reference["correct"]}


@pytest.mark.notebook
def test_force_regrades_what_the_filters_select(graded_copy, reference):
    forced = autograde.autograde(graded_copy, workers=2, force=True, students=["cor*"], progress=False,
                                 log=lambda *_: None)
    assert forced.graded == [("correct", ASSIGNMENT)] and not forced.skipped
    assert _totals(graded_copy) == reference


@pytest.mark.notebook
def test_a_killed_run_loses_nothing(graded_copy, reference):
    root = graded_copy  # its gradebook knows the assignment already: the run starts grading at once
    notebooks = _class(root)
    names = [f"{kind}{i}" for i in range(2) for kind in ("correct", "blank")]
    for name in names:
        course.submit(root, name, ASSIGNMENT, notebooks[name[:-1]])
    command = [sys.executable, "-m", "grading.cli", "--root", str(root), "autograde", "--workers", "2",
               "--no-progress"]
    process = subprocess.Popen(command, start_new_session=True, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)

    def done() -> set[str]:
        return {n for n in names if (store.autograded_dir(root, n, ASSIGNMENT) / store.RESULT_FILE).exists()}

    deadline = time.monotonic() + 240
    try:
        while not done() and time.monotonic() < deadline:
            assert process.poll() is None, "autograde ended before it could be interrupted"
            time.sleep(0.1)
    finally:
        os.killpg(process.pid, signal.SIGKILL)  # the run, its workers and their sandboxes, at once
        process.wait()
    done_before = done()
    assert done_before and len(done_before) < len(names)
    rest = autograde.autograde(root, workers=2, progress=False, students=["*[01]"], log=lambda *_: None)
    assert {s for s, _ in rest.skipped} == done_before
    assert {s for s, _ in rest.graded} == set(names) - done_before
    assert _totals(root) == {**reference, **{name: reference[name[:-1]] for name in names}}


@pytest.mark.notebook
def test_dask_local_cluster_grades_the_same(graded_copy, reference):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        summary = autograde.autograde(graded_copy, scheduler=cluster.scheduler_address, force=True,
                                      students=["correct", "mistake"], progress=False, log=lambda *_: None)
    assert summary.workers == 2 and not summary.errors
    assert sorted(summary.graded) == [("correct", ASSIGNMENT), ("mistake", ASSIGNMENT)]
    assert _totals(graded_copy) == reference


# --- PostgreSQL ------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def postgres_url():
    """A throwaway PostgreSQL server on a free localhost port (as ``nobody`` when run as root)."""
    pytest.importorskip("psycopg2", reason="psycopg2 is not installed (pip install -e '.[instructor]')")
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb")) or [shutil.which("initdb")]
    if not found or not found[-1]:
        pytest.skip("PostgreSQL is not installed (no initdb): apt-get install postgresql")
    bindir = Path(os.path.realpath(found[-1])).parent
    prefix: list[str] = []
    base = Path(tempfile.mkdtemp(prefix="course-pg-"))
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        if not shutil.which("runuser"):
            pytest.skip("running as root without runuser: cannot start PostgreSQL as another user")
        nobody = pwd.getpwnam("nobody")
        os.chown(base, nobody.pw_uid, nobody.pw_gid)
        prefix = ["runuser", "-u", "nobody", "--"]
    port = _free_port()
    data = base / "data"

    def pg(*args: str, timeout: float = 120):
        return subprocess.run([*prefix, *args], capture_output=True, text=True, timeout=timeout, cwd=base)

    initdb = pg(str(bindir / "initdb"), "-D", str(data), "-U", "grader", "--auth=trust", "-E", "UTF8")
    if initdb.returncode != 0:
        shutil.rmtree(base, ignore_errors=True)
        pytest.skip(f"initdb failed: {initdb.stderr.strip()[-300:]}")
    start = pg(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(base / "log"), "-w", "-t", "60",
               "-o", f"-p {port} -k {base} -c listen_addresses=127.0.0.1", "start")
    if start.returncode != 0:
        log = (base / "log").read_text() if (base / "log").exists() else start.stderr
        shutil.rmtree(base, ignore_errors=True)
        pytest.skip(f"PostgreSQL did not start: {log.strip()[-300:]}")
    try:
        yield f"postgresql://grader@127.0.0.1:{port}/postgres"
    finally:
        pg(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(base, ignore_errors=True)


@pytest.mark.notebook
def test_postgresql_gradebook(graded_copy, postgres_url, reference):
    root = graded_copy
    # Saved results go into the new database without regrading ...
    moved = autograde.autograde(root, workers=2, db_url=postgres_url, progress=False, log=lambda *_: None)
    assert moved.graded == [] and len(moved.rerecorded) == len(_class(root))
    # ... and a new grading run writes there too.
    correct = course.notebook_path(root, "grading/submitted", ASSIGNMENT, "correct").read_bytes()
    course.notebook_path(root, "grading/submitted", ASSIGNMENT, "blank").write_bytes(correct)
    changed = autograde.autograde(root, workers=2, db_url=postgres_url, progress=False, log=lambda *_: None)
    assert changed.graded == [("blank", ASSIGNMENT)]
    expected = {**reference, "blank": reference["correct"]}
    assert _totals(root, postgres_url) == expected
    grades, _ = report.export_csv(root, postgres_url, log=lambda *_: None)
    totals = {r["student"]: float(r["points"]) for r in csv.DictReader(open(grades)) if r["exercise"] == "TOTAL"}
    assert totals == expected


# --- feedback, export, report ------------------------------------------------------------

class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.chunks = []

    def handle_data(self, data):
        self.chunks.append(data)


def _visible_text(page: str) -> str:
    parser = _Text()
    parser.feed(page)
    return html.unescape("".join(parser.chunks))


@pytest.mark.notebook
def test_feedback_keeps_messages_and_hides_the_hidden_tests(graded):
    root, _ = graded
    paths = feedback.generate(root, workers=2, force=True, log=lambda *_: None)
    assert len(paths) == len(_class(root))
    hidden = [line for cell in nbformat.read(course.notebook_path(root, "solutions", ASSIGNMENT), as_version=4).cells
              for line in feedback.marked_lines(cell.source, "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")
              if len(line) >= feedback.MIN_SECRET_CHARS]
    public = feedback.notebook_text(course.notebook_path(root, "notebooks", ASSIGNMENT))
    secret = [line for line in hidden if line not in public]
    assert secret, "the assignment has hidden tests to look for"
    for path in paths:
        page = path.read_text()
        text = _visible_text(page)
        assert not [line for line in secret if line in text or line in page], path
        assert " points" in text and "exercise" in text and "result" in text
    mistake = _first_mistake(ASSIGNMENT)
    if mistake:
        page = _visible_text(feedback.feedback_path(root, "mistake", ASSIGNMENT).read_text())
        assert mistake["message"] in page
    record = store.load_record(root, "blank", ASSIGNMENT)
    blank_page = _visible_text(feedback.feedback_path(root, "blank", ASSIGNMENT).read_text())
    for cell in record["result"]["cells"]:
        assert report.first_line(cell["message"])[:60] in blank_page


@pytest.mark.notebook
def test_feedback_carries_the_files_nbgrader_release_feedback_reads(graded_copy):
    """``nbgrader release_feedback`` opens timestamp.txt and submission_secret.txt beside each page
    (the secret names the page in the exchange); they come from the collected submission."""
    submitted = graded_copy / "grading" / "submitted" / "correct" / ASSIGNMENT
    (submitted / "timestamp.txt").write_text("2026-10-01 16:59:00.000000 UTC")
    (submitted / "submission_secret.txt").write_text("f00dfeed")
    path, _ = feedback.write_feedback(graded_copy, "correct", ASSIGNMENT)
    assert (path.parent / "timestamp.txt").read_text() == "2026-10-01 16:59:00.000000 UTC"
    assert (path.parent / "submission_secret.txt").read_text() == "f00dfeed"


@pytest.mark.notebook
def test_export_csv_has_every_exercise_and_totals(graded, reference):
    root, _ = graded
    grades, totals = report.export_csv(root, log=lambda *_: None)
    rows = list(csv.DictReader(open(grades)))
    points = _points(ASSIGNMENT)
    students = _class(root)
    assert len(rows) == len(students) * (len(points) + 1)
    for student in students:
        mine = {r["exercise"]: r for r in rows if r["student"] == student}
        assert set(mine) == set(points) | {"TOTAL"}
        assert float(mine["TOTAL"]["points"]) == reference[student]
        assert all(float(mine[e]["max_points"]) == p for e, p in points.items())
    if "mistake" in students:
        broken = _first_mistake(ASSIGNMENT)
        row = next(r for r in rows if r["student"] == "mistake" and r["exercise"] == broken["breaks"])
        assert row["points"] == "0" and row["status"] == "failed" and broken["message"] in row["message"]
    table = {r["student"]: r for r in csv.DictReader(open(totals))}
    assert float(table["correct"]["total"]) == sum(_points(ASSIGNMENT, written=False).values())


@pytest.mark.notebook
def test_report_shows_distributions_failures_and_flags(graded):
    root, _ = graded
    page = report.write_report(root, log=lambda *_: None).read_text()
    assert page.count("data:image/png;base64,") == 1  # one figure per assignment, a panel per exercise
    text = _visible_text(page)
    for exercise in _points(ASSIGNMENT):
        assert exercise in text
    mistake = _first_mistake(ASSIGNMENT)
    if mistake:
        assert mistake["message"] in text
    flagged = store.load_record(root, "flagged", ASSIGNMENT)["result"]["flags"]
    assert flagged, "the static scan flags os.listdir"
    section = text.split("Flagged constructs")[1]
    assert "flagged" in section and flagged[0]["kind"] in section
    sandbox = store.load_record(root, "correct", ASSIGNMENT)["result"]["sandbox"]
    assert sandbox in text


def test_cli_lists_every_step():
    from grading import cli

    parser = cli.build_parser()
    text = parser.format_help()
    for command in ("release", "bundle", "collect", "examples", "autograde", "feedback", "export", "report"):
        assert command in text
    args = parser.parse_args(["autograde", "--workers", "3", "--scheduler", "tcp://h:8786", "--force",
                              "--cell-timeout", "5", "--notebook-timeout", "60", "-a", ASSIGNMENT, "-s", "a*"])
    assert cli._limits(args) == {"cell_timeout_s": 5.0, "notebook_timeout_s": 60.0}
    assert args.workers == 3 and args.scheduler == "tcp://h:8786" and args.force


def test_cli_maps_each_subcommand_to_one_function():
    from grading import cli

    subcommands = next(a for a in cli.build_parser()._actions if a.dest == "command").choices
    assert set(subcommands) == set(cli.COMMANDS)
    assert len(set(cli.COMMANDS.values())) == len(cli.COMMANDS) and all(map(callable, cli.COMMANDS.values()))


@pytest.mark.notebook
def test_course_release_regenerates_the_released_notebook(tmp_path):
    from grading import cli

    root = course.copy_course(tmp_path / "course")
    released = course.notebook_path(root, "notebooks", ASSIGNMENT)
    committed = released.read_text()
    released.unlink()
    assert cli.main(["--root", str(root), "release", ASSIGNMENT]) == 0
    assert _cells(nbformat.reads(released.read_text(), as_version=4)) == \
        _cells(nbformat.reads(committed, as_version=4))


def _cells(notebook) -> list[tuple]:
    return [(cell.cell_type, cell.source, cell.metadata.get("nbgrader")) for cell in notebook.cells]


@pytest.mark.parametrize("module", ["feedback", "report"])
def test_feedback_and_report_read_results_from_the_store(module):
    import ast

    tree = ast.parse((course.REPO_ROOT / "grading" / f"{module}.py").read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                and node.module == "grading" for alias in node.names}
    assert "store" in imported and "autograde" not in imported


def test_written_files_get_the_mode_open_would_give(tmp_path):
    """mkstemp makes files 0600: a feedback page copied into the exchange stayed unreadable to its student."""
    import os

    mask = os.umask(0o022)
    try:
        path = tmp_path / "page.html"
        reference = tmp_path / "plain.html"
        reference.write_text("x")
        store.write_atomically(path, "<p>feedback</p>")
        assert path.read_text() == "<p>feedback</p>"
        assert path.stat().st_mode & 0o777 == reference.stat().st_mode & 0o777 == 0o644
    finally:
        os.umask(mask)
