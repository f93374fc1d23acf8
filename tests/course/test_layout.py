"""The package layout that README's maintainer section promises: imports run one way
(viz -> experiments -> core), no import cycles in helpers/ or grading/, experiments never draw,
and no module grows past what a reader takes in at once."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("helpers", "grading")
MAX_LINES = 260  # "about 250": a module a reader takes in at once


def module_files() -> dict[str, Path]:
    files = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            files[name] = path
    return files


MODULES = module_files()


def _type_checking_block(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def imported_modules(name: str, path: Path) -> set[str]:
    """Modules of helpers/ and grading/ that ``name`` imports anywhere (lazy imports inside
    functions count: they only hide a cycle), except under ``if TYPE_CHECKING``."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if _type_checking_block(node):
            return
        targets = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                module = f"{base}.{node.module}" if node.module else base
            elif node.module in {m.rpartition(".")[2] for m in MODULES if m.startswith(package + ".")}:
                module = f"{package}.{node.module}"  # the sandboxed student server imports siblings by bare name
            else:
                module = node.module or ""
            targets = [module] + [f"{module}.{alias.name}" for alias in node.names]
        for target in targets:
            if target in MODULES and target != name:
                found.add(target)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    # a package's __init__ is imported with any of its modules, which is not a dependency edge
    return {m for m in found if not (name.startswith(m + ".") and (MODULES[m].name == "__init__.py"))}


GRAPH = {name: imported_modules(name, path) for name, path in MODULES.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_cycle_finder_finds_a_planted_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


@pytest.mark.parametrize("package", PACKAGES)
def test_no_import_cycles(package):
    graph = {name: deps for name, deps in GRAPH.items() if name.startswith(package)}
    assert graph, f"no modules found under {package}/"
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def layer(name: str) -> str:
    if name.startswith("helpers.viz"):
        return "viz"
    if name.startswith("helpers.experiments"):
        return "experiments"
    return "core"


@pytest.mark.parametrize("name", sorted(m for m in MODULES if m.startswith("helpers.")))
def test_helpers_imports_run_one_way(name):
    """viz -> experiments -> core; only notebooks import viz.widgets."""
    allowed = {"core": {"core"}, "experiments": {"core", "experiments"}, "viz": {"core", "experiments", "viz"}}
    wrong = [dep for dep in GRAPH[name] if dep.startswith("helpers.") and layer(dep) not in allowed[layer(name)]]
    assert not wrong, f"{name} ({layer(name)}) imports {wrong}"
    assert "helpers.viz.widgets" not in GRAPH[name], f"{name} imports helpers.viz.widgets"


@pytest.mark.parametrize("name", sorted(m for m in MODULES if layer(m) != "viz" and m.startswith("helpers")))
def test_maths_modules_never_draw(name):
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    imported = [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]
    imported += [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    drawing = [m for m in imported if m.split(".")[0] in {"matplotlib", "ipywidgets", "IPython"}]
    assert not drawing, f"{name} imports {drawing}: drawing belongs in helpers/viz/"


@pytest.mark.parametrize("name", sorted(m for m in MODULES if m.startswith("helpers")))
def test_helpers_modules_stay_short(name):
    lines = len(MODULES[name].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{MODULES[name].relative_to(ROOT)} has {lines} lines (split it: at most ~250)"
