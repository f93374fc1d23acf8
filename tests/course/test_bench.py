"""`make bench` works: the quick smoke run prints every section's table and writes sane JSON.

Benchmarks are not timed tests: nothing here asserts on speed, only that every section ran,
that times are positive and ratios finite, and that a quick run leaves the README's record alone.
"""
from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench"
sys.path.insert(0, str(BENCH))

import common  # noqa: E402
import run as bench_run  # noqa: E402

# columns that hold a duration or a ratio of durations, in the sections of bench/
POSITIVE = {"µs/step", "steps/s", "helpers speed-up", "seconds (median)", "kernel start s", "cells s",
            "total s", "median ms", "p95 ms", "full draw ms", "full / redraw", "seconds", "µs/coordinate",
            "× backprop"}


def numbers(row: dict):
    for key, value in row.items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            yield key, value


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bench")
    result = subprocess.run(
        [sys.executable, str(BENCH / "run.py"), "--quick", "--json", str(folder / "results.json"),
         "--readme", str(folder / "README.md")],
        cwd=ROOT, capture_output=True, text=True, timeout=1200,
    )
    assert result.returncode == 0, f"bench failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout, json.loads((folder / "results.json").read_text()), folder


@pytest.mark.notebook
def test_quick_run_reports_every_section(quick_run):
    stdout, results, folder = quick_run
    assert results["mode"] == "quick"
    assert [s["name"] for s in results["sections"]] == bench_run.SECTIONS
    for s in results["sections"]:
        assert "error" not in s, f"section {s['name']} failed: {s['error']}"
        if "skipped" in s:
            assert s["name"] in bench_run.OPTIONAL
            continue
        assert s["title"] in stdout
        assert s["rows"], f"section {s['name']} has no rows"
    assert "## Targets" in stdout
    assert not (folder / "README.md").exists(), "a quick run must not rewrite the README's record"


@pytest.mark.notebook
def test_quick_run_numbers_are_sane(quick_run):
    _, results, _ = quick_run
    for s in results["sections"]:
        for row in s["rows"]:
            for key, value in numbers(row):
                assert math.isfinite(value) and value >= 0, f"{s['name']}: {key} = {value} in {row}"
                if key in POSITIVE:
                    assert value > 0, f"{s['name']}: {key} = {value} should be positive"
        for t in s["targets"]:
            assert t["value"] is None or math.isfinite(t["value"]), t
    sections = {s["name"]: s for s in results["sections"]}
    training = {row["variant"]: row for row in sections["training"]["rows"]}
    assert training["helpers step"]["µs/step"] > 0
    assert sections["notebooks"]["rows"][0]["total s"] > 0
    widgets = [row for row in sections["widgets"]["rows"] if "median ms" in row]
    assert any("sigmoid_explorer" in row["widget"] for row in widgets)


def test_statistics_and_formatting():
    assert common.median([3.0, 1.0, 2.0]) == 2.0
    assert common.percentile([1.0, 2.0, 3.0, 4.0, 5.0], 95) == pytest.approx(4.8)
    assert common.ratio([2.0, 9.0, 4.0], [1.0, 3.0, 4.0]) == 2.0  # per-round ratios 2, 3, 1
    assert common.fmt(1234.5) == "1,234" and common.fmt(0.01234) == "0.0123" and common.fmt(None) == "–"
    table = common.markdown_table(["a", "b"], [{"a": "x|y", "b": 1.5}])
    assert table.splitlines() == ["| a | b |", "|---|---|", "| x\\|y | 1.50 |"]


def test_interleaved_times_every_variant_every_round():
    calls = {"a": 0, "b": 0}

    def bump(name):
        def function():
            calls[name] += 1
        return function

    samples = common.interleaved({"a": bump("a"), "b": bump("b")}, rounds=4, min_block_s=0.0005)
    assert {name: len(times) for name, times in samples.items()} == {"a": 4, "b": 4}
    assert all(t > 0 for times in samples.values() for t in times)


def test_readme_blocks_of_the_sections_run_are_replaced_and_the_rest_kept(tmp_path):
    def results(name, row):
        section = common.section(name, f"title {name}", ["x"], [{"x": row}])
        return {"date": "today", "machine": common.machine() | {"bench_blas_threads": 1},
                "sections": [section | {"seconds": 1.0}]}

    readme = tmp_path / "README.md"
    readme.write_text("# bench\nintro\n")
    bench_run.update_readme(readme, results("widgets", "first"))
    bench_run.update_readme(readme, results("training", "second"))
    bench_run.update_readme(readme, results("widgets", "third"))
    text = readme.read_text()
    assert text.startswith("# bench\nintro") and text.count(bench_run.README_START) == 1
    assert "first" not in text and "second" in text and "third" in text
    assert text.index("title training") < text.index("title widgets")  # the order of SECTIONS


def test_widget_discovery_finds_annotated_factories_and_builds_the_rest_by_examples():
    import widgets_bench

    factories, skipped = widgets_bench.discover()
    names = [name for name, _ in factories]
    assert "helpers.viz.widgets.sigmoid_explorer" in names
    assert not skipped, skipped
    # every example builds a factory that needs data (none is left over after a rename)
    examples = {name.rsplit(".", 1)[-1].removesuffix(" (example)") for name in names if name.endswith("(example)")}
    assert examples == set(widgets_bench.EXAMPLES)


def test_a_factory_that_needs_data_and_has_no_example_is_skipped(monkeypatch):
    import widgets_bench

    monkeypatch.delitem(widgets_bench.EXAMPLES, "digit_explorer")
    factories, skipped = widgets_bench.discover()
    assert not any("digit_explorer" in name for name, _ in factories)
    (row,) = skipped
    assert row["widget"] == "helpers.viz.widgets.digit_explorer"
    assert "images, labels, probabilities" in row["note"] and "EXAMPLES" in row["note"]


def test_the_digit_explorer_example_shows_probabilities():
    import numpy as np
    import widgets_bench

    explorer = widgets_bench.EXAMPLES["digit_explorer"]()
    assert explorer.render().startswith(b"\x89PNG")
    probabilities = explorer.view.probabilities
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
    assert probabilities.shape == (explorer.controls["index"].max + 1, 10)
