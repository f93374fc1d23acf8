"""What the hub's servers are given, checked without a hub (no root, seconds): the whole term,
in a browser, is tests/deploy/test_term.py."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # deploy/ is run from the checkout, not installed

import pytest  # noqa: E402

from deploy import environments, term  # noqa: E402

# What formgrader does to find the course (nbgrader's FormgradeExtension.load_config).
COURSE_ROOT = """from nbgrader.apps import NbGrader
app = NbGrader()
app.load_cwd_config = True
app.load_config_file()
print(app.config.CourseDirectory.root)"""


def test_formgrader_finds_the_course_from_the_instructors_home(tmp_path):
    """The instructor's server starts in their home, not in the course copy (its root): nbgrader
    must still read the copy's nbgrader_config.py, or formgrader answers every page with an error."""
    the_term = term.Term(tmp_path / "term", ["ann"], homes=tmp_path / "home")
    the_term.secrets = {"db_password": "secret", "db_port": 5432}
    the_term.instructor_bin = environments.COURSE_BIN
    the_term.course.mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", the_term.course)
    home = the_term.homes / the_term.instructor
    home.mkdir(parents=True)
    found = subprocess.run([sys.executable, "-c", COURSE_ROOT], cwd=home, env=term.instructor_variables(the_term),
                           capture_output=True, text=True, check=True, timeout=120)
    assert found.stdout.strip() == str(the_term.course), found.stderr


def test_bytecode_is_written_even_where_the_shell_says_not_to(tmp_path, monkeypatch):
    """Servers run as users who cannot write ``.pyc`` into the shared environments: root writes
    them while setting up, whatever PYTHONDONTWRITEBYTECODE says (else every start recompiles)."""
    environment = tmp_path / "environment"
    (environment / "bin").mkdir(parents=True)
    (environment / "bin" / "python").symlink_to(sys.executable)
    library, course_package = tmp_path / "library", tmp_path / "course_package"
    for folder in (library, course_package):
        folder.mkdir()
        (folder / f"{folder.name}_module.py").write_text("ANSWER = 42\n")
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    monkeypatch.setenv("PYTHONPATH", str(library))
    environments._compile(environment, ("library_module",), [course_package])
    for folder in (library, course_package):
        assert list((folder / "__pycache__").glob(f"{folder.name}_module.*.pyc")), folder.name


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can write files another user then owns")
def test_compiled_files_in_a_developers_checkout_stay_theirs(tmp_path):
    """``make hub`` runs as root and compiles the checkout's packages: the ``__pycache__`` it
    writes there must belong to the checkout's owner, or their ``make clean`` fails later."""
    environment = tmp_path / "environment"
    (environment / "bin").mkdir(parents=True)
    (environment / "bin" / "python").symlink_to(sys.executable)
    (environment / ".compiled").touch()  # the environment's own imports: not this test's subject
    checkout = tmp_path / "checkout" / "package"
    (checkout / "inner").mkdir(parents=True)
    for folder in (checkout, checkout / "inner"):
        (folder / "module.py").write_text("ANSWER = 42\n")
    for path in [checkout.parent, checkout, checkout / "inner", *checkout.rglob("*.py")]:
        os.chown(path, 12345, 12345)
    elsewhere = tmp_path / "elsewhere"  # a link named __pycache__ must not hand its target over
    elsewhere.mkdir()
    (elsewhere / "root's.txt").write_text("root's own file\n")
    (checkout / "linked").mkdir()
    (checkout / "linked" / "__pycache__").symlink_to(elsewhere)
    environments._compile(environment, (), [checkout])
    written = [path for cache in checkout.rglob("__pycache__") if not cache.is_symlink()
               for path in [cache, *cache.iterdir()]]
    assert len(written) == 4, written  # two folders, a .pyc in each
    assert {path.stat().st_uid for path in written} == {12345}
    assert (elsewhere / "root's.txt").stat().st_uid == 0
