"""`make bench`: the course's speed as ratios against anchors measured in the same run.

    .venv/bin/python bench/run.py                  # every section (grading a class takes long)
    .venv/bin/python bench/run.py --quick          # smoke mode: proves each section works
    .venv/bin/python bench/run.py --only widgets   # one section (repeat --only for several)
    .venv/bin/python bench/run.py --skip grading   # all but one (grading a full class takes long)

Prints one table per section and a summary of the targets, writes everything to
``bench/results.json`` (git-ignored) and, in full mode, each section's tables to its block
in ``bench/README.md`` (the committed record; blocks of sections not run stay as they were).
Sections live in ``bench/<name>_bench.py``; each has ``run(quick: bool) -> dict`` (see
``common.section``). ``grading`` (``bench/grading_bench.py``) joins when that file exists.
"""
from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import sys
import time
import traceback
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))           # the section modules and common
sys.path.insert(1, str(BENCH.parent))    # helpers and grading, also without an installed package

from common import CLOCKS, fmt, log, machine, markdown_table, text_table, use_clock  # noqa: E402

SECTIONS = ["training", "digits", "notebooks", "widgets", "gradcheck", "grading", "dask"]
OPTIONAL = {"grading"}  # its module is written separately; absent means skipped, not failed
README_START, README_END = "<!-- bench:results:start -->", "<!-- bench:results:end -->"


def blas_threads(n: int):
    """Limit BLAS to ``n`` threads in this process (``fresh_process_ratio`` passes it on)."""
    if n <= 0:
        return contextlib.nullcontext()
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # comes with scikit-learn; without it, run as the library likes
        return contextlib.nullcontext()
    return threadpool_limits(limits=n, user_api="blas")


def run_section(name: str, quick: bool) -> dict:
    """Import ``<name>_bench`` and run it; a failure becomes a result that says so."""
    start = time.perf_counter()
    try:
        module = importlib.import_module(f"{name}_bench")
    except ModuleNotFoundError as error:
        if name in OPTIONAL and error.name == f"{name}_bench":
            return {"name": name, "title": name, "skipped": f"bench/{name}_bench.py is not there yet",
                    "columns": [], "rows": [], "targets": [], "notes": [], "seconds": 0.0}
        return _failed(name, start)
    except Exception:
        return _failed(name, start)
    try:
        result = _normalise(name, module, module.run(quick=quick))
    except Exception:
        return _failed(name, start)
    result["seconds"] = time.perf_counter() - start
    return result


def _normalise(name: str, module, result) -> dict:
    """Accept a section dict, or a bare list of row dicts (columns taken from the keys)."""
    if isinstance(result, list):
        result = {"rows": result}
    if not isinstance(result, dict):
        raise TypeError(f"{name}_bench.run() returned {type(result).__name__}, not a dict or a list of rows")
    rows = list(result.get("rows", []))
    columns = result.get("columns") or list(dict.fromkeys(key for row in rows for key in row))
    return {"name": name, "title": result.get("title", getattr(module, "TITLE", name)),
            "columns": list(columns), "rows": rows, "targets": list(result.get("targets", [])),
            "notes": list(result.get("notes", []))}


def _failed(name: str, start: float) -> dict:
    details = traceback.format_exc()
    log(details)
    return {"name": name, "title": name, "error": details.strip().splitlines()[-1], "columns": [],
            "rows": [], "targets": [], "notes": [], "seconds": time.perf_counter() - start}


def summary_rows(sections: list[dict]) -> list[dict]:
    return [{"target": t["what"], "value": t["value"], "goal": t["goal"], "met": t["met"]}
            for s in sections for t in s["targets"]]


def report_text(results: dict) -> str:
    parts = []
    for s in results["sections"]:
        parts.append(f"\n## {s['title']}  [{s['seconds']:.1f} s]")
        if "skipped" in s or "error" in s:
            parts.append(f"{'SKIPPED' if 'skipped' in s else 'FAILED'}: {s.get('skipped') or s.get('error')}")
            continue
        parts.append(text_table(s["columns"], s["rows"]))
        parts.extend(f"  · {note}" for note in s["notes"])
    parts.append("\n## Targets")
    parts.append(text_table(["target", "value", "goal", "met"], summary_rows(results["sections"])))
    parts.append(f"\n{_machine_line(results)}; bench took {fmt(results['seconds'])} s")
    return "\n".join(parts)


def section_markdown(s: dict, results: dict) -> str:
    """One section's block of the README: its table, notes and targets, and when and where it ran."""
    parts = [f"### {s['title']}\n", f"_{results['date']}, {s['seconds']:.0f} s; {_machine_line(results)}._\n"]
    if "skipped" in s or "error" in s:
        parts.append(f"{'Skipped' if 'skipped' in s else 'Failed'}: {s.get('skipped') or s.get('error')}")
        return "\n".join(parts)
    parts.append(markdown_table(s["columns"], s["rows"]))
    if s["notes"]:
        parts.append("\n" + "\n".join(f"- {note}" for note in s["notes"]))
    if s["targets"]:
        parts.append("\n" + markdown_table(["target", "value", "goal", "met"], summary_rows([s])))
    return "\n".join(parts)


def _machine_line(results: dict) -> str:
    m = results["machine"]
    return (f"{m['cpu']}, {m['cores']} cores, load {m['load_average']} at start, Python {m['python']}, "
            f"NumPy {m['numpy']}, BLAS {m.get('blas', '?')} (bench: {m.get('bench_blas_threads')}), "
            f"OPENBLAS_CORETYPE={m['OPENBLAS_CORETYPE']}, timed in {m.get('clock', 'wall time')}")


def update_readme(path: Path, results: dict) -> None:
    """Replace, between the README's results markers, the block of every section that ran;
    blocks of sections that did not run this time stay as they were, and new ones go in
    the order of ``SECTIONS``."""
    text = path.read_text() if path.exists() else "# bench\n"
    if README_START not in text or README_END not in text:
        text = text.rstrip("\n") + f"\n\n## Latest results\n\n{README_START}\n{README_END}\n"
    head, rest = text.split(README_START, 1)
    body, tail = rest.split(README_END, 1)
    blocks = {}
    for name in SECTIONS:
        begin, finish = _markers(name)
        if begin in body and finish in body:
            blocks[name] = body.split(begin, 1)[1].split(finish, 1)[0].strip("\n")
    for s in results["sections"]:
        blocks[s["name"]] = section_markdown(s, results)
    body = "\n\n".join(f"{_markers(n)[0]}\n{blocks[n]}\n{_markers(n)[1]}" for n in SECTIONS if n in blocks)
    path.write_text(f"{head}{README_START}\n{body}\n{README_END}{tail}")


def _markers(name: str) -> tuple[str, str]:
    return f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke mode: tiny sizes, few repetitions")
    parser.add_argument("--only", action="append", choices=SECTIONS, metavar="SECTION",
                        help=f"run only this section (repeatable): {', '.join(SECTIONS)}")
    parser.add_argument("--skip", action="append", choices=SECTIONS, default=[], metavar="SECTION",
                        help="leave this section out (repeatable)")
    parser.add_argument("--json", type=Path, default=BENCH / "results.json", help="where to write the results")
    parser.add_argument("--readme", type=Path, default=BENCH / "README.md",
                        help="README whose blocks of the sections run (in full mode) are rewritten")
    parser.add_argument("--no-readme", action="store_true", help="leave the README alone")
    parser.add_argument("--blas-threads", type=int, default=1, metavar="N",
                        help="BLAS threads for the sections timed in this process (0: the library's "
                             "default); notebooks always run with the default. Default 1: see bench/README.md")
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="cpu",
                        help="what the sections timed in this process measure: their CPU time (default; "
                             "robust to other processes) or wall time; notebooks always use wall time")
    args = parser.parse_args(argv)
    use_clock(args.clock)

    chosen = [name for name in SECTIONS if (not args.only or name in args.only) and name not in args.skip]
    start = time.perf_counter()
    results = {"date": time.strftime("%Y-%m-%d %H:%M"), "mode": "quick" if args.quick else "full",
               "machine": machine(), "sections": []}
    results["machine"]["bench_blas_threads"] = args.blas_threads or "library default"
    results["machine"]["clock"] = "CPU time" if args.clock == "cpu" else "wall time"
    for name in chosen:
        log(f"bench: {name}{' (quick)' if args.quick else ''} ...")
        with blas_threads(args.blas_threads):
            results["sections"].append(run_section(name, args.quick))
    results["seconds"] = time.perf_counter() - start

    print(report_text(results))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=1, ensure_ascii=False, default=str) + "\n")
    log(f"bench: results written to {args.json}")
    if not args.quick and not args.no_readme:
        update_readme(args.readme, results)
        log(f"bench: tables of {', '.join(chosen)} written to {args.readme}")
    return 1 if any("error" in s for s in results["sections"]) else 0


if __name__ == "__main__":
    sys.exit(main())
