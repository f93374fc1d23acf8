"""The two routes to an environment (pip via pyproject.toml, conda via environment.yml) agree."""
import re
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

import yaml

ROOT = Path(__file__).resolve().parents[2]


def _normalise(requirement: str) -> tuple[str, str]:
    name, spec = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", requirement).groups()
    return name.lower().replace("_", "-"), spec.replace(" ", "")


def test_environment_yml_lists_the_same_dependencies_as_pyproject():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    wanted = {_normalise(r) for r in pyproject["project"]["dependencies"]}
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    listed = {_normalise(d) for d in environment["dependencies"] if isinstance(d, str)}
    listed -= {n for n in listed if n[0] in ("python", "pip")}
    assert listed == wanted, f"only in environment.yml: {listed - wanted}; only in pyproject: {wanted - listed}"
    assert any("--editable ." in d for d in environment["dependencies"][-1]["pip"]), "environment.yml must install helpers"


def test_python_requirement_agrees():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert pyproject["project"]["requires-python"] == ">=3.10"
    assert "python>=3.10" in environment["dependencies"]


def test_the_student_bundle_installs_every_helpers_subpackage():
    """A plain (non-editable) ``pip install`` of the bundle must carry helpers.viz and
    helpers.experiments too: an explicit ``packages = ["helpers"]`` installed the top level only."""
    from setuptools import find_packages

    from grading import bundle

    packages = tomllib.loads(bundle._student_pyproject(ROOT))["tool"]["setuptools"]["packages"]
    found = set(find_packages(ROOT, **packages["find"]) if isinstance(packages, dict) else packages)
    expected = {"helpers"} | {f"helpers.{p}" for p in find_packages(ROOT / "helpers")}
    assert expected <= found, f"the bundle would not install {sorted(expected - found)}"
