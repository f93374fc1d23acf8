"""The Python environments the hub's servers run, and the hub's proxy.

* Students: the student bundle's own environment (the bundle installed, which is the
  ``helpers`` package and the course's dependencies, plus JupyterHub's single-user server),
  with the bundle's ``student-setup.sh`` applied: no formgrader, no create-assignment panel.
* The instructor: this repository installed with its ``instructor`` and ``hub`` extras
  (nbgrader with formgrader, ``course``, Dask), editable, so it grades with this checkout.
* ``configurable-http-proxy`` from the npm registry, installed in ``.venv/hub-proxy``.

The servers run as other users, who cannot use an interpreter under ``/root`` (pyenv's, say):
both environments are built on one every user can run, under ``/var/cache/why-nn`` (readable
by all), once per recipe. ``uv`` builds one in seconds where pip needs a minute.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from grading import bundle, course

CACHE = Path(os.environ.get("WHY_NN_ENV_CACHE", "/var/cache/why-nn"))
COURSE_BIN = Path(sys.executable).parent
PROXY_PACKAGE = "configurable-http-proxy@5"
PROXY = COURSE_BIN.parent / "hub-proxy" / "node_modules" / ".bin" / "configurable-http-proxy"


# What a student's server and kernel import, and what the instructor's server, nbgrader and course import.
SERVER_IMPORTS = ("jupyterhub.singleuser", "jupyterlab.labapp", "nbgrader.apps", "nbgrader.server_extensions.assignment_list",
                  "nbgrader.server_extensions.validate_assignment", "ipykernel.kernelapp", "ipywidgets")
STUDENT_IMPORTS = (*SERVER_IMPORTS, "helpers.viz.widgets", "matplotlib.pyplot", "sklearn.datasets")
INSTRUCTOR_IMPORTS = (*SERVER_IMPORTS, "nbgrader.server_extensions.formgrader", "grading.cli", "grading.autograde",
                      "grading.feedback", "grading.report", "distributed", "psycopg2")


def uv() -> str | None:
    """``uv`` from the course's environment (the ``hub`` extra), else from PATH."""
    return shutil.which("uv", path=str(COURSE_BIN)) or shutil.which("uv")


def student_environment(bundle_folder: Path, log=print) -> Path:
    """The students' environment for ``bundle_folder``; its ``bin/``."""
    recipe = (bundle_folder / "pyproject.toml").read_bytes() + (bundle_folder / "student-setup.sh").read_bytes()
    environment = _environment("student", recipe, [str(bundle_folder), _hub_requirement()], log)
    if not (environment / ".set-up").exists():
        subprocess.run(["sh", str(bundle_folder / "student-setup.sh")], check=True, capture_output=True,
                       env={**os.environ, "JUPYTER": str(environment / "bin" / "jupyter")})
        (environment / ".set-up").touch()
    # This bundle's helpers (the grader's version), editable as the bundle's `make lab` installs it,
    # so a bundle rebuilt in the same folder needs no reinstall.
    installed = environment / f".helpers-{hashlib.sha256(str(bundle_folder).encode()).hexdigest()[:16]}"
    if not installed.exists():
        _uv(["pip", "install", "--quiet", "--no-deps", "--reinstall", "-e", str(bundle_folder)], environment)
        installed.touch()
    _compile(environment, STUDENT_IMPORTS, [bundle_folder / "helpers"])
    return environment / "bin"


def instructor_environment(log=print) -> Path:
    """The instructor's environment: this checkout, editable, with nbgrader, Dask and psycopg2; its ``bin/``."""
    project = tomllib.loads((course.REPO_ROOT / "pyproject.toml").read_text())["project"]
    recipe = json.dumps([project["dependencies"], project["optional-dependencies"]["instructor"]]).encode()
    requirements = ["-e", f"{course.REPO_ROOT}[instructor]", _hub_requirement()]
    environment = _environment("instructor", recipe, requirements, log)
    _compile(environment, INSTRUCTOR_IMPORTS, [course.REPO_ROOT / "grading", course.REPO_ROOT / "helpers"])
    return environment / "bin"


def _compile(environment: Path, modules: tuple[str, ...], sources: list[Path]) -> None:
    """Write, as root, the ``.pyc`` files of what a server, a kernel or a grader loads.

    The servers' users cannot write them into this root-owned environment; without them every
    server start compiles JupyterLab anew (25 s instead of 8). Importing ``modules`` writes
    them once per environment (compiling everything, ``uv pip install --compile-bytecode``,
    takes two minutes); the course's own packages (``sources``) change between terms, so
    ``compileall`` brings them up to date every time.
    """
    python = str(environment / "bin" / "python")
    # A developer's shell may say not to write them (PYTHONDONTWRITEBYTECODE); here they are the point.
    writing = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    compiled = environment / ".compiled"
    if not compiled.exists():
        subprocess.run([python, "-c", "import " + ", ".join(modules)], env=writing,
                       check=True, capture_output=True, timeout=600)
        compiled.touch()
    subprocess.run([python, "-m", "compileall", "-q", *map(str, sources)], env=writing,
                   check=True, capture_output=True, timeout=600)
    for source in sources:
        _give_to_owner(source)


def _give_to_owner(source: Path) -> None:
    """The ``__pycache__`` folders root just wrote into ``source`` (a developer's checkout) belong
    to whoever owns ``source``: root-owned ones would make their later ``make clean`` fail."""
    owner = source.stat()
    for cache in source.rglob("__pycache__"):
        if cache.is_symlink():
            continue  # not ours: a link could point anywhere (/etc)
        for path in [cache, *cache.iterdir()]:
            if path.lstat().st_uid == os.geteuid() != owner.st_uid:  # what this process wrote, no one else's
                os.lchown(path, owner.st_uid, owner.st_gid)


def _hub_requirement() -> str:
    import jupyterhub

    return f"jupyterhub=={jupyterhub.__version__}"  # the single-user server must match the hub


# Left out of both environments: jsonschema imports it, when present, only to check "iri" strings, and it
# builds a grammar on import that costs every nbgrader command, server and grader a second of CPU.
LEFT_OUT = "rfc3987-syntax ; sys_platform == 'never'\n"  # uv's way to drop a dependency: an override never met


def _environment(kind: str, recipe: bytes, requirements: list[str], log) -> Path:
    python = shared_python()
    identity = f"{python} {_hub_requirement()} {course.REPO_ROOT} {LEFT_OUT}"
    key = hashlib.sha256(recipe + identity.encode()).hexdigest()[:16]
    environment = CACHE / f"{kind}-{key}"
    finished = environment / ".built"  # a build cut short is started again
    if not finished.exists():
        log(f"building the {kind}'s environment in {environment} (once)")
        shutil.rmtree(environment, ignore_errors=True)
        CACHE.mkdir(parents=True, exist_ok=True)
        CACHE.chmod(0o755)
        _uv(["venv", "--quiet", "--python", str(python), str(environment)], None)
        overrides = environment / "overrides.txt"
        overrides.write_text(LEFT_OUT)
        _uv(["pip", "install", "--quiet", "--overrides", str(overrides), *requirements], environment)
        finished.touch()
    return environment


def shared_python() -> Path:
    """An interpreter every user can run: this one's base if no folder above it is closed, else Debian's."""
    base = Path(os.path.realpath(getattr(sys, "_base_executable", sys.executable)))
    if all(os.stat(folder).st_mode & 0o001 for folder in base.parents):
        return base
    debian = Path("/usr/bin/python3")
    if debian.exists():
        return debian
    raise RuntimeError(f"{base} is in a folder other users cannot open, and there is no /usr/bin/python3")


def _uv(args: list[str], environment: Path | None) -> None:
    tool = uv()
    if tool is None:
        raise RuntimeError("uv is missing: pip install -e '.[hub]'")
    command = [tool, *args] + (["--python", str(environment / "bin" / "python")] if environment else [])
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise RuntimeError(f"uv {' '.join(args[:2])} failed:\n{result.stderr[-2000:]}")


def proxy(log=print) -> Path:
    """``configurable-http-proxy``, installed from npm into ``.venv/hub-proxy`` the first time."""
    if not PROXY.exists():
        if not shutil.which("npm"):
            raise RuntimeError("npm is missing (apt-get install nodejs npm): it installs JupyterHub's proxy")
        log(f"installing {PROXY_PACKAGE} from npm into {PROXY.parents[2]}")
        result = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--prefix", str(PROXY.parents[2]),
                                 PROXY_PACKAGE], capture_output=True, text=True, timeout=600)
        if result.returncode != 0:
            raise RuntimeError(f"npm install {PROXY_PACKAGE} failed:\n{result.stderr[-2000:]}")
    return PROXY


def build_bundle(folder: Path, through: str | None, log=print) -> Path:
    """The student bundle (``course bundle --through``) in ``folder``; the bundle's folder."""
    bundle.build(out=folder, log=log, through=through, whole=through is None)  # no week given: try everything
    return folder / bundle.NAME
