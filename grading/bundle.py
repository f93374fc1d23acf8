"""The student bundle: what students receive, and nothing from solutions/ or the hidden tests.

``build/why-nn-student/`` (and its zip, named for its week: ``build/why-nn-student-01_why_sigmoid.zip``,
``build/why-nn-student-whole.zip``) holds

* ``notebooks/``: the released notebooks (``make release`` output: no answers, no hidden tests);
* ``helpers/``: the NumPy library the notebooks import, at the grader's version, without the
  course's answers to the assignments whose deadline has not passed (``--through``);
* ``pyproject.toml`` (the helpers package and the course's dependencies, no instructor
  tools), ``environment.yml`` (the conda route to the same);
* ``Makefile`` (``make lab``: a ``.venv`` with everything, opened on ``notebooks/``) and
  ``student-setup.sh``, which both routes run once: it turns off what students should not
  see in JupyterLab: nbgrader's formgrader, create-assignment and course-list panels (and
  their server extensions) and JupyterLab's news prompt;
* ``README.md`` for students.

A bundle is staged: ``build(through=N)`` (default: the first assignment) ships the notebooks up
to assignment N and a ``helpers`` in which every reference of assignment N and later
(``grading.engine.calling.references``) is a stub that says so (``grading.engine.calling.staged``), but for the
early tools an earlier notebook needs (``references.EARLY_TOOLS``); the references of earlier
assignments, whose deadlines have passed, are there for the experiments that use them. Every
notebook of bundle N runs in it (``tests/course/test_staged_bundles.py``): a visible test
whose reference is a stub checks with the student's own function and says so, and an experiment
that needs an unfinished exercise says "finish X to run this cell". ``build(whole=True)`` ships
every notebook and the whole ``helpers``, every answer included.

``check_bundle`` looks for every line of every solution and hidden-test block of
``solutions/`` in every file of the bundle (notebooks decoded, zip members included), and for
every function whose normalised AST is an answer of an assignment not yet due
(``grading.answers``).
"""
from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

from grading import answers, course
from grading.engine.calling import references, staged
from grading.feedback import join_source, marked_lines, notebook_text

NAME = "why-nn-student"
MIN_SECRET_CHARS = 12  # ")", "return a", "else:" are not secrets: they are everywhere
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints", ".DS_Store")

# nbgrader's instructor panels, JupyterLab's news prompt (plugin ids of nbgrader 0.9 / JupyterLab 4).
LAB_PLUGINS_OFF = (
    "@jupyter/nbgrader:formgrader",
    "@jupyter/nbgrader:create-assignment",
    "@jupyter/nbgrader:course-list",
    "@jupyterlab/apputils-extension:announcements",
)
SERVER_EXTENSIONS_OFF = ("nbgrader.server_extensions.formgrader", "nbgrader.server_extensions.course_list")

SETUP_SCRIPT = """#!/bin/sh
# Run once in the environment that runs JupyterLab for this course (make lab does it for you;
# conda users: `conda activate why-nn && sh student-setup.sh`). It hides nbgrader's instructor
# panels (formgrader, create assignment, courses) and JupyterLab's news prompt.
# LEVEL=user applies the JupyterLab part to your user only, where the environment is not yours.
set -e
LEVEL="${LEVEL:-sys_prefix}"
JUPYTER="${JUPYTER:-jupyter}"
PLUGINS="%(lab)s"
"$JUPYTER" labextension disable --level="$LEVEL" $PLUGINS >/dev/null 2>&1
"$JUPYTER" labextension lock --level="$LEVEL" $PLUGINS >/dev/null 2>&1
if [ "$LEVEL" = sys_prefix ]; then
    "$JUPYTER" server extension disable --sys-prefix %(server)s >/dev/null 2>&1
fi
echo "student-setup: nbgrader's instructor panels and the news prompt are off ($LEVEL)"
"""

MAKEFILE = """# make lab: create .venv here, install the course's helpers and JupyterLab, open the notebooks.
PYTHON ?= python3
VENV   := .venv
BIN    := $(CURDIR)/$(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: lab clean
lab: $(STAMP)
\t$(BIN)/jupyter lab --notebook-dir=notebooks

$(STAMP): pyproject.toml student-setup.sh
\t$(PYTHON) -m venv $(VENV) || { echo "Could not create a virtual environment: on Debian/Ubuntu, 'apt-get install python3-venv'."; exit 1; }
\t$(BIN)/python -m pip install --quiet --upgrade pip
\t$(BIN)/python -m pip install --quiet -e .
\tJUPYTER=$(BIN)/jupyter sh student-setup.sh
\ttouch $@

clean:
\trm -rf $(VENV) *.egg-info
"""

README = """# Why neural networks are built the way they are: student files

```bash
make lab     # creates .venv here, installs what the course needs, opens JupyterLab on notebooks/
```

You need Python >= 3.10 and `make` (on Debian/Ubuntu also `python3-venv`). With conda instead:
`conda env create -f environment.yml`, `conda activate why-nn`, `sh student-setup.sh`, then
`jupyter lab --notebook-dir=notebooks`.

Open the notebooks in order, fill in the cells that say `# YOUR CODE HERE` (delete the
`raise NotImplementedError()` line) and run the test cell under each exercise: its message says
what is wrong. The grader runs more checks of the same kind on other inputs.

Hand in each notebook as it is, under its own name (e.g. `01_why_sigmoid.ipynb`), the way your
instructor tells you.

%(week)s

Keep the `helpers` folder as the latest bundle brings it (version %(version)s; the notebooks check
the version).
"""

WEEK = """This bundle holds the notebooks up to %(due)s. Until an assignment's deadline, the course's own
answers to its exercises are not in `helpers`: a cell that needs an exercise you have not
written yet says "finish X (the exercise above) to run this cell", and a test cell that checks
one exercise with the course's version of another may run with yours and say so (the grader
uses the course's). After each deadline your instructor hands out the next week's bundle: from
it, copy the new `helpers` folder over yours and add the new notebook folder. Do not unpack it
over your work: its notebooks are blank."""

WHOLE = """This bundle holds every notebook and the course's own answer to every exercise (for after the
last deadline, or for self-study): a cell that needs an exercise you have not written yet uses
the course's version and says so."""


def _student_pyproject(root: Path) -> str:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    dependencies = ",\n".join(f"    {json.dumps(d)}" for d in project["dependencies"])
    return f"""[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "{project['name']}"
version = "{project['version']}"
description = "The NumPy helpers of the course, and what its notebooks need"
requires-python = "{project['requires-python']}"
dependencies = [
{dependencies},
]

[tool.setuptools.packages.find]  # helpers and its subpackages (experiments, viz)
include = ["helpers*"]
"""


def assignment_named(name: str, root: Path = course.REPO_ROOT) -> str:
    """The assignment ``name`` stands for: its folder name, or its number ("3", "03")."""
    for assignment in course.assignments(root):
        if name == assignment or (name.isdigit() and assignment.split("_")[0].lstrip("0") == name.lstrip("0")):
            return assignment
    raise ValueError(f"no assignment {name!r}; the assignments are {', '.join(course.assignments(root))}")


def build(root: Path = course.REPO_ROOT, out: Path | None = None, log=print, through: str | None = None,
          whole: bool = False) -> Path:
    """Build the bundle folder and its zip for the week of assignment ``through`` (default: the
    first assignment's), or with ``whole`` the whole course and the whole ``helpers``, every
    answer included (for after the last deadline, or for self-study); return the zip's path."""
    root = Path(root).resolve()
    out = Path(out or root / "build").resolve()
    names = course.assignments(root)
    if whole and through:
        raise ValueError("give either through (one week's bundle) or whole (every answer), not both")
    due = names[0] if whole else assignment_named(through, root) if through else names[0]
    staged_through = None if whole else due
    target = out / NAME
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    shipped = names if whole else names[: names.index(due) + 1]
    for assignment in shipped:
        released = root / "notebooks" / assignment
        if not (released / f"{assignment}.ipynb").is_file():
            raise FileNotFoundError(f"{released} has no release: run `make release` first")
        shutil.copytree(released, target / "notebooks" / assignment, ignore=IGNORE)
    missing = references.absent_through(due, root) if staged_through else set()
    absent = {name: owner for name, owner in references.owners(root).items() if name in missing}
    staged.write(root / "helpers", target, absent, staged.BEFORE_DEADLINE)
    (target / "pyproject.toml").write_text(_student_pyproject(root))
    shutil.copy2(root / "environment.yml", target / "environment.yml")
    (target / "student-setup.sh").write_text(
        SETUP_SCRIPT % {"lab": " ".join(LAB_PLUGINS_OFF), "server": " ".join(SERVER_EXTENSIONS_OFF)})
    (target / "student-setup.sh").chmod(0o755)
    (target / "Makefile").write_text(MAKEFILE)
    import helpers

    week = WHOLE if whole else WEEK % {"due": due}
    (target / "README.md").write_text(README % {"version": helpers.__version__, "week": week})
    archive = out / f"{NAME}-{'whole' if whole else due}.zip"  # named for its week: hand out the right one
    archive.unlink(missing_ok=True)
    problems = check_bundle(target, root, staged_through)
    if problems:  # no zip to hand out by mistake
        raise RuntimeError("the bundle leaks instructor text:\n" + "\n".join(problems[:20]))
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        for path in sorted(target.rglob("*")):
            if path.is_file():
                bundle.write(path, Path(NAME) / path.relative_to(target))
    week = "the whole course, with the course's answer to every exercise" if whole else \
        f"notebooks {shipped[0]} to {due}, without the answers of {due} and later"
    log(f"wrote {target} and {archive}: {week}")
    return archive


def secret_lines(root: Path = course.REPO_ROOT) -> dict[str, str]:
    """``line -> where`` for every non-trivial line of a solution or hidden-test block in solutions/.

    Lines that the released notebooks or the helpers package legitimately contain (a
    function's signature, a shared import) are left out: they are public by design.
    """
    import nbformat

    public = _public_text(root)
    secrets = {}
    for assignment in course.assignments(root):
        source = nbformat.read(course.notebook_path(root, "solutions", assignment), as_version=4)
        for cell in source.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "?")
            for begin, end in (("### BEGIN SOLUTION", "### END SOLUTION"),
                               ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")):
                for line in marked_lines(cell.source, begin, end):
                    if len(line) >= MIN_SECRET_CHARS and line not in public:
                        secrets.setdefault(line, f"{assignment}/{grade_id}")
    return secrets


def _public_text(root: Path) -> str:
    """The released notebooks' text and the helpers' source: what students get anyway."""
    parts = [notebook_text(p) for p in sorted((root / "notebooks").glob("*/*.ipynb"))]
    parts += [p.read_text(encoding="utf-8") for p in sorted((root / "helpers").rglob("*.py"))]
    return "\n".join(parts)


def _bundle_texts(bundle: Path):
    """``(name, text)`` of every file of the bundle folder, and of every member of zips in it."""
    for path in sorted(p for p in Path(bundle).rglob("*") if p.is_file()):
        yield str(path.relative_to(bundle)), _decode(path.name, path.read_bytes())
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as archive:
                for member in archive.namelist():
                    yield f"{path.name}:{member}", _decode(member, archive.read(member))


def _decode(name: str, data: bytes) -> str:
    text = data.decode("utf-8", errors="replace")
    if name.endswith(".ipynb"):
        try:
            return text + "\n" + "\n".join(
                join_source(c.get("source", "")) for c in json.loads(text).get("cells", []))
        except ValueError:
            pass
    return text


def check_bundle(bundle: Path, root: Path = course.REPO_ROOT, due: str | None = None) -> list[str]:
    """One line per leak: a solution/hidden-test line found in a bundle file, a forbidden path,
    or (for a staged bundle) an answer of assignment ``due`` or a later one."""
    secrets = secret_lines(root)
    names = course.assignments(root)
    problems = answers.leaks(bundle, names[names.index(due):], root, shipped=references.shipped_early(due)) \
        if due else []
    for name, text in _bundle_texts(bundle):
        parts = Path(name.split(":")[-1]).parts
        if "solutions" in parts or "grading" in parts or name.endswith(".db"):
            problems.append(f"{name}: instructor file in the bundle")
        for line, where in secrets.items():
            if line in text:
                problems.append(f"{name}: contains {where} line {line!r}")
    return problems
