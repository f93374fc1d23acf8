"""`make mutation`: plant single-point bugs in helpers' core and see whether the fast tests notice.

mutmut (the ``mutation`` extra) copies the code into a scratch folder, rewrites every function
into many variants, each with one small change (``+`` for ``-``, ``0.9`` for ``1.9``, a
default dropped, an argument's name in a message replaced), and runs, for each variant, only
the tests that call the mutated function, stopping at the first failure. A variant that no
test fails "survives": either a bug the suite would let through, or an equivalent change (one
no caller can tell apart), which ``equivalent.toml`` names with the reason.

Run from the repository root, one module at a time, at the lowest CPU priority:

    .venv/bin/python tests/mutation/run.py              # every core module, then the report
    .venv/bin/python tests/mutation/run.py optim train  # some modules (the report keeps the rest)
    .venv/bin/python tests/mutation/run.py --rerun losses  # its unjudged survivors, against today's tests
    .venv/bin/python tests/mutation/run.py --collect train  # the mutants a stopped run got through

It writes ``tests/mutation/REPORT.md``: the score per module and every surviving mutant with
its diff and verdict. Scratch files go to ``build/mutation/``.
"""
from __future__ import annotations

import ast
import difflib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
SCRATCH = ROOT / "build" / "mutation"
REPORT = HERE / "REPORT.md"
RESULTS = HERE / "results.json"
EQUIVALENT = HERE / "equivalent.toml"
MUTMUT = Path(sys.executable).with_name("mutmut")

# The core modules under test (README: the core); experiments/ and viz/ are not mutated.
CORE_MODULES = (
    "activations", "layers", "network", "losses", "init", "optim", "schedules",
    "regularisation", "gradcheck", "train", "datasets", "checks",
)
# The one definition of the tests each mutant faces: the fast suite of helpers' maths. The
# figure tests (viz/) are left out: they draw, slowly, and a core bug that only a picture
# shows needs a maths test. The notebook, browser, grading and bench tests are elsewhere.
TEST_SELECTION = ("tests/helpers", "--ignore=tests/helpers/viz")
PYTEST_ARGS = ("-p", "no:cacheprovider", "-n", "0")
# A mutant whose tests take longer than 30 x their normal time + 10 s is stopped. That is not
# counted as killed: on a busy machine a surviving mutant whose many tests run at the lowest
# priority times out too; the report lists each timeout with the survivors, to rerun.
TIMEOUT_MULTIPLIER, TIMEOUT_CONSTANT = 30.0, 10.0
CHILDREN = 2
# Left unmutated: checks' delegation guard, whose other half runs in the grader's sandbox and is
# tested through it (tests/grading, not the fast suite).
NOT_MUTATED = {"checks": ("substituted", "reference_unavailable")}

# tqdm's bars share a cross-process lock by default: a mutant's child killed while holding it
# (a time-out) left it taken, and every later child that drew a progress bar waited for ever.
PER_PROCESS_TQDM_LOCK = """

# Added by tests/mutation/run.py: each mutant runs in a forked child; see PER_PROCESS_TQDM_LOCK there.
import threading as _threading

import tqdm as _tqdm

_tqdm.tqdm.set_lock(_threading.RLock())
"""
KILLED_CODES = {1, 3, -9, -11}  # a test failed, pytest's internal error, a crash
TIMEOUT_CODES = {24, -24, 36, 152, 255}


def prepare_scratch() -> None:
    """A fresh copy of the code and tests, with mutmut's settings, in build/mutation/."""
    if SCRATCH.exists():
        shutil.rmtree(SCRATCH)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".hypothesis")
    for folder in ("helpers", "tests"):
        shutil.copytree(ROOT / folder, SCRATCH / folder, ignore=ignore)
    shutil.copy2(ROOT / "pyproject.toml", SCRATCH / "pyproject.toml")
    for module in CORE_MODULES:
        leave_alone(SCRATCH / "helpers" / f"{module}.py", NOT_MUTATED.get(module, ()))
    with open(SCRATCH / "tests" / "conftest.py", "a", encoding="utf-8") as conftest:
        conftest.write(PER_PROCESS_TQDM_LOCK)
    lines = lambda values: "\n  ".join(values)  # noqa: E731  (setup.cfg's list syntax)
    (SCRATCH / "setup.cfg").write_text(
        "[mutmut]\n"
        "source_paths = helpers\n"
        f"only_mutate =\n  {lines(f'helpers/{m}.py' for m in CORE_MODULES)}\n"
        f"pytest_add_cli_args_test_selection =\n  {lines(TEST_SELECTION)}\n"
        f"pytest_add_cli_args =\n  {lines(PYTEST_ARGS)}\n"
        f"timeout_multiplier = {TIMEOUT_MULTIPLIER}\n"
        f"timeout_constant = {TIMEOUT_CONSTANT}\n"
        "use_git_change_detection = false\n",
        encoding="utf-8",
    )


def leave_alone(path: Path, names: tuple[str, ...]) -> None:
    """Mark "no mutate" the classes and functions ``names``, and each function that reads its
    caller's frame (``sys._getframe``): mutmut routes every call of a mutated function through a
    trampoline, which would be that caller."""
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines(keepends=True)
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        if node.name in names or (not isinstance(node, ast.ClassDef) and "sys._getframe" in ast.unparse(node)):
            header_end = max(
                number for number in range(node.lineno, node.body[0].lineno)
                if lines[number - 1].split("#")[0].rstrip().endswith(":")
            )
            lines[header_end - 1] = lines[header_end - 1].rstrip("\n") + "  # pragma: no mutate block\n"
    path.write_text("".join(lines), encoding="utf-8")


def run_module(module: str) -> float:
    """Run every mutant of one module; the wall time in seconds."""
    start = time.monotonic()
    command = ["nice", "-n", "19", str(MUTMUT), "run", "--max-children", str(CHILDREN), f"helpers.{module}.*"]
    # mutmut forks a child per mutant: a BLAS worker thread holding a lock at the fork would
    # leave the child waiting on it for ever (seen as timeouts), so the parent starts none
    environment = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    finished = subprocess.run(command, cwd=SCRATCH, env=environment, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    if finished.returncode != 0:
        sys.exit(f"mutmut failed on helpers/{module}.py:\n{finished.stderr[-3000:]}")
    return time.monotonic() - start


def import_time_functions(module: str) -> set[str]:
    """Functions the module calls while it is imported (e.g. ``momentum_step = _public(...)``).

    mutmut imports the code once and forks a process per mutant, so a mutant of such a function
    never runs: each of its survivors is tried again in a fresh process (``retry_fresh``)."""
    tree = ast.parse((ROOT / "helpers" / f"{module}.py").read_text(encoding="utf-8"))
    defined = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
    called = set()
    for statement in tree.body:  # module-level code and decorators, not function bodies
        defining = isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        for part in statement.decorator_list if defining else [statement]:
            called |= {node.func.id for node in ast.walk(part)
                       if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
    return called & defined


def retry_fresh(module: str, mutant: str, folder: Path | None = None, selection: list[str] | None = None) -> bool:
    """Whether the module's own tests (or ``selection``) fail with ``mutant`` active from the
    first import on, run from ``folder`` (mutmut's copy by default, or ``rerun_folder``'s)."""
    folder = folder or SCRATCH / "mutants"
    if selection is None:
        tests = ROOT / "tests" / "helpers" / f"test_{module}.py"
        selection = [str(tests.relative_to(ROOT))] if tests.exists() else list(TEST_SELECTION)
    environment = dict(os.environ, MUTANT_UNDER_TEST=mutant, PYTHONPATH=".")
    command = ["nice", "-n", "19", sys.executable, "-m", "pytest", "-x", "-q", *PYTEST_ARGS, *selection]
    try:
        finished = subprocess.run(command, cwd=folder, env=environment, capture_output=True, timeout=600)
    except subprocess.TimeoutExpired:
        return True
    return finished.returncode != 0


def rerun_folder(modules: list[str]) -> Path:
    """Today's code and tests, with ``modules`` replaced by mutmut's mutants of today's code, in a
    folder of its own (a run may be using mutants/). A function left unchanged keeps its mutants' names."""
    folder = SCRATCH / "rerun"
    if folder.exists():
        shutil.rmtree(folder)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".hypothesis")
    for part in ("helpers", "tests"):
        shutil.copytree(ROOT / part, folder / part, ignore=ignore)
    shutil.copy2(ROOT / "pyproject.toml", folder / "pyproject.toml")
    shutil.copy2(SCRATCH / "setup.cfg", folder / "setup.cfg")
    (folder / "mutants" / "helpers").mkdir(parents=True)
    for module in modules:
        leave_alone(folder / "helpers" / f"{module}.py", NOT_MUTATED.get(module, ()))
    generate = ("import sys\nfrom pathlib import Path\nfrom mutmut.__main__ import create_mutants_for_file\n"
                "for m in sys.argv[1:]:\n    create_mutants_for_file(Path(f'helpers/{m}.py'), Path(f'mutants/helpers/{m}.py'))")
    subprocess.run([sys.executable, "-c", generate, *modules], cwd=folder, check=True, capture_output=True)
    for module in modules:
        shutil.copy2(folder / "mutants" / "helpers" / f"{module}.py", folder / "helpers" / f"{module}.py")
    return folder


def rerun_survivors(module: str, result: dict, verdicts: dict[str, str], folder: Path) -> dict:
    """Run each unjudged survivor alone, in a fresh process, against today's tests: first the
    module's own test file, then the tests mutmut chose for the function. A selection that fails
    without any mutant (another change in progress) kills nothing. Killed ones leave the
    survivors, and the note says so."""
    stats = json.loads((SCRATCH / "mutants" / "mutmut-stats.json").read_text(encoding="utf-8"))
    chosen = stats["tests_by_mangled_function_name"]
    own = f"tests/helpers/test_{module}.py"
    passes_clean: dict[tuple, bool] = {}

    def kills(key: str, selection: list[str]) -> bool:
        if tuple(selection) not in passes_clean:
            passes_clean[tuple(selection)] = not retry_fresh(module, "no mutant", folder, selection)
        return passes_clean[tuple(selection)] and retry_fresh(module, key, folder, selection)

    killed, today = [], function_sources(module, folder)
    for key in [key for key in result["survivors"] if key not in verdicts]:
        try:
            same = diff_of(key, today) == result["survivors"][key]["diff"]
        except KeyError:
            same = False
        if not same:  # the function changed since the run: today's mutant of that number is another bug
            print(f"{key}: not the mutant that survived (its function changed); run the module again", flush=True)
            continue
        function = key.rpartition("__mutmut_")[0]
        tests = sorted(test for test in chosen.get(function, ()) if not test.startswith(own))
        if kills(key, [own]) or (tests and kills(key, tests)):
            killed.append(key)
            del result["survivors"][key]
    result["killed"] += len(killed)
    if killed:
        note = (f"{len(killed)} survivors of this run were rerun one by one, each in a fresh process, "
                f"against the code and tests of {time.strftime('%Y-%m-%d %H:%M')} and are killed")
        result["note"] = "; ".join(filter(None, (result.get("note"), note)))
    print(f"helpers/{module}.py: {len(killed)} survivors killed on rerun, {len(result['survivors'])} left", flush=True)
    return result


def save_result(module: str, result: dict) -> dict:
    """Write one module's result into results.json, keeping what is there for the others (a
    rerun may have updated them since this run started); the whole file, as now saved."""
    results = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else {}
    results[module] = result
    RESULTS.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    return results


def exit_codes(module: str) -> dict[str, int]:
    meta = SCRATCH / "mutants" / "helpers" / f"{module}.py.meta"
    return json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]


def function_sources(module: str, folder: Path = SCRATCH) -> dict[str, str]:
    """Every function of mutmut's copy of the module (the original and each variant), by name."""
    source = (folder / "mutants" / "helpers" / f"{module}.py").read_text(encoding="utf-8")
    return {node.name: ast.get_source_segment(source, node) for node in ast.walk(ast.parse(source))
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}


def diff_of(mutant: str, definitions: dict[str, str]) -> str:
    """The lines a mutant changes."""
    function, _, number = mutant.rpartition(".")[2].rpartition("__mutmut_")
    plain = function.split("ǁ")[-1] if "ǁ" in function else function[2:]  # mutmut's x_name, xǁClassǁname
    original, changed = (definitions[f"{function}__mutmut_{suffix}"].replace(f"{function}__mutmut_{suffix}", plain)
                         for suffix in ("orig", number))
    lines = difflib.unified_diff(original.splitlines(), changed.splitlines(), lineterm="", n=0)
    return "\n".join(line for line in lines if line[:1] in "+-" and line[:3] not in ("---", "+++"))


def summarise(module: str, seconds: float) -> dict:
    """The module's result from mutmut's records; a run that was stopped counts only the mutants it ran."""
    everything = exit_codes(module)
    codes = {key: code for key, code in everything.items() if code is not None}
    at_import = {f"helpers.{module}.x_{name}__mutmut_" for name in import_time_functions(module)}
    codes = {key: code for key, code in codes.items()  # left alone (a run before NOT_MUTATED named them)
             if not any(f".xǁ{name}ǁ" in key or f".x_{name}__" in key for name in NOT_MUTATED.get(module, ()))}
    for key, code in codes.items():
        if code not in KILLED_CODES and key.rpartition("__mutmut_")[0] + "__mutmut_" in at_import:
            codes[key] = 1 if retry_fresh(module, key) else code
    survivors = sorted((key for key, code in codes.items() if code not in KILLED_CODES), key=mutant_order)
    definitions = function_sources(module)
    result = {
        "mutants": len(codes),
        "killed": sum(code in KILLED_CODES for code in codes.values()),
        "seconds": round(seconds),
        "survivors": {key: {"exit_code": codes[key], "diff": diff_of(key, definitions)} for key in survivors},
    }
    if len(codes) < len(everything):
        result["note"] = f"partial: the run was stopped after {len(codes)} of its {len(everything)} mutants"
    return result


def mutant_order(key: str) -> tuple[str, int]:
    function, _, number = key.rpartition("__mutmut_")
    return function, int(number)


def write_report(results: dict, verdicts: dict[str, str]) -> None:
    rows, details, newly_killed, notes = [], [], [], []
    totals = {"mutants": 0, "killed": 0, "equivalent": 0, "seconds": 0}
    for module in CORE_MODULES:
        if module not in results:
            continue
        result = results[module]
        equivalent = [key for key in result["survivors"] if key in verdicts]
        real = result["mutants"] - len(equivalent)
        score = 100.0 * result["killed"] / real if real else 100.0
        rows.append(
            f"| `{module}` | {result['mutants']} | {result['killed']} | {len(equivalent)} "
            f"| {len(result['survivors']) - len(equivalent)} | {score:.1f} % | {result['seconds']} |"
        )
        for name in totals:
            totals[name] += len(equivalent) if name == "equivalent" else result[name]
        if result.get("note"):  # how a result was obtained, if not by one plain run
            notes.append(f"* `{module}`: {result['note']}")
        for key, diff in result.get("killed_since_last_run", {}).items():
            newly_killed.append(f"* `{key}`\n\n  ```diff\n  " + diff.replace("\n", "\n  ") + "\n  ```\n")
        for key, survivor in result["survivors"].items():
            verdict = verdicts.get(key, "**timed out: rerun it on an idle machine**" if survivor["exit_code"] in TIMEOUT_CODES
                                   else "**not judged: a bug the tests miss, or an equivalent mutant to explain**")
            details.append(f"* `{key}` ({verdict})\n\n  ```diff\n  " + survivor["diff"].replace("\n", "\n  ") + "\n  ```\n")
    real = totals["mutants"] - totals["equivalent"]
    score = 100.0 * totals["killed"] / real if real else 100.0
    stale = sorted(set(verdicts) - {key for result in results.values() for key in result["survivors"]})
    REPORT.write_text(
        "# Mutation testing: the last score\n\n"
        "Written by `make mutation` (tests/mutation/run.py; README, For maintainers). Each mutant is one "
        "small change to one function of helpers' core; it is *killed* when a test of "
        f"`{' '.join(TEST_SELECTION)}` fails, *equivalent* when no caller could tell it apart "
        "(tests/mutation/equivalent.toml says why); one that timed out is listed with the survivors. "
        "Score = killed / (mutants − equivalent). Checks' delegation guard (`substituted`, "
        "`reference_unavailable`) is not mutated: the grader's tests cover it.\n\n"
        "| module | mutants | killed | equivalent | survived | score | seconds |\n|---|---|---|---|---|---|---|\n"
        + "\n".join(rows)
        + f"\n| **all** | {totals['mutants']} | {totals['killed']} | {totals['equivalent']} "
        f"| {real - totals['killed']} | **{score:.1f} %** | {totals['seconds']} |\n\n"
        + ("\n".join(notes) + "\n\n" if notes else "")
        + (f"Not run yet: {', '.join(m for m in CORE_MODULES if m not in results)}.\n\n"
           if set(CORE_MODULES) - set(results) else "")
        + "## Surviving mutants\n\n"
        + ("\n".join(details) if details else "None.\n")
        + ("\n## Survivors of the run before that the tests now kill\n\n" + "\n".join(newly_killed)
           if newly_killed else "")
        + ("\n## Verdicts for mutants that no longer survive (remove them from equivalent.toml)\n\n"
           + "\n".join(f"* `{key}`" for key in stale) + "\n" if stale else ""),
        encoding="utf-8",
    )
    print(f"report: {REPORT.relative_to(ROOT)}")


def main(argv: list[str]) -> None:
    unknown = sorted(set(argv) - set(CORE_MODULES) - {"--report", "--rerun", "--collect"})
    if unknown:
        sys.exit(f"not a core module: {', '.join(unknown)}; choose from {', '.join(CORE_MODULES)}")
    if not MUTMUT.exists():
        sys.exit(f"mutmut is not installed: {sys.executable} -m pip install -e '.[mutation]'")
    results = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else {}
    verdicts = tomllib.loads(EQUIVALENT.read_text(encoding="utf-8")) if EQUIVALENT.exists() else {}
    verdicts = {key: verdict for section in verdicts.values() for key, verdict in section.items()}
    if argv == ["--report"]:  # only rewrite REPORT.md from the saved results
        return write_report(results, verdicts)
    if argv[:1] == ["--collect"]:  # a run that was stopped: what mutmut recorded in build/mutation/
        since = (SCRATCH / "mutants" / "mutmut-stats.json").stat().st_mtime  # its mutants began then
        for module in argv[1:]:
            results = save_result(module, summarise(module, time.time() - since))
        return write_report(results, verdicts)
    if argv[:1] == ["--rerun"]:  # the last run's unjudged survivors, against today's tests
        folder = rerun_folder(argv[1:])
        for module in argv[1:]:
            results = save_result(module, rerun_survivors(module, results[module], verdicts, folder))
        return write_report(results, verdicts)
    modules = argv or list(CORE_MODULES)
    os.environ.setdefault("PYTHONHASHSEED", "0")
    prepare_scratch()
    for module in modules:
        print(f"helpers/{module}.py ...", end=" ", flush=True)
        seconds = run_module(module)
        previous = results.get(module, {}).get("survivors", {})
        result = summarise(module, seconds)
        result["killed_since_last_run"] = {
            key: survivor["diff"] for key, survivor in previous.items() if key not in result["survivors"]
        }
        print(f"{result['killed']}/{result['mutants']} killed in {seconds:.0f} s", flush=True)
        results = save_result(module, result)
    write_report(results, verdicts)


if __name__ == "__main__":
    main(sys.argv[1:])
