"""What every bench section shares: interleaved timing, medians and ratios, the machine's
description, and the result record that ``run.py`` prints and saves.

Timing on a shared, noisy machine: compared variants are timed in *rounds*. In each round
every variant runs one block of calls (a block lasts at least ``min_block_s``, so the
clock's resolution does not matter), in an order that rotates from round to round. A
burst of load from another process then hits every variant of that round alike, and a
ratio taken *within* a round cancels it; the reported ratio is the median of the
per-round ratios, the reported time the median of the per-round times.
"""
from __future__ import annotations

import gc
import math
import os
import platform
import statistics
import sys
import time
from typing import Callable, Mapping


# --- timing ------------------------------------------------------------------------------

CLOCKS = {"cpu": time.process_time, "wall": time.perf_counter}
_clock = {"name": "cpu"}


def use_clock(name: str) -> None:
    """Time with ``"cpu"`` (this process's CPU time: the default) or ``"wall"`` (elapsed time).

    With BLAS on one thread the code timed here runs on one core, so on an idle machine the
    two agree; on a shared one, CPU time leaves out the slices the system gives to other
    processes, which wall time would charge to whichever variant happened to be running.
    """
    if name not in CLOCKS:
        raise ValueError(f"clock must be one of {sorted(CLOCKS)}, got {name!r}")
    _clock["name"] = name


def clock_name() -> str:
    return _clock["name"]


def now() -> float:
    """The current reading of the chosen clock, in seconds."""
    return CLOCKS[_clock["name"]]()

def calls_per_block(function: Callable[[], object], min_block_s: float) -> int:
    """How many calls of ``function`` fill ``min_block_s`` (after one warm-up call)."""
    function()
    calls, elapsed = 1, 0.0
    while True:
        start = now()
        for _ in range(calls):
            function()
        elapsed = now() - start
        if elapsed >= min_block_s or calls >= 1_000_000:
            return calls
        calls = max(calls * 2, int(calls * min_block_s / max(elapsed, 1e-9) * 1.2))


def interleaved(
    variants: Mapping[str, Callable[[], object]], *, rounds: int, min_block_s: float
) -> dict[str, list[float]]:
    """Seconds per call of each variant, one entry per round, variants interleaved.

    The garbage collector is paused inside a block (as ``timeit`` does) so that a
    collection triggered by one variant's garbage is not charged to the next.
    """
    names = list(variants)
    blocks = {name: calls_per_block(variants[name], min_block_s) for name in names}
    samples: dict[str, list[float]] = {name: [] for name in names}
    for round_index in range(rounds):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            function, calls = variants[name], blocks[name]
            gc.collect()
            gc.disable()
            try:
                start = now()
                for _ in range(calls):
                    function()
                elapsed = now() - start
            finally:
                gc.enable()
            samples[name].append(elapsed / calls)
    return samples


def repeated(function: Callable[[], object], *, calls: int, warmup: int = 1) -> list[float]:
    """Seconds of each of ``calls`` single calls (for things slow enough to time one by one)."""
    for _ in range(warmup):
        function()
    times = []
    for _ in range(calls):
        start = now()
        function()
        times.append(now() - start)
    return times


def median(values) -> float:
    return float(statistics.median(values))


def percentile(values, q: float) -> float:
    """The ``q``-th percentile (0–100), linear between order statistics."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return float(ordered[0])
    position = (len(ordered) - 1) * q / 100.0
    low, high = math.floor(position), math.ceil(position)
    return float(ordered[low] + (ordered[high] - ordered[low]) * (position - low))


def ratio(numerator: list[float], denominator: list[float]) -> float:
    """Median over rounds of ``numerator[r] / denominator[r]`` (both timed in round r)."""
    return median([a / b for a, b in zip(numerator, denominator)])


# --- results -----------------------------------------------------------------------------

def section(name: str, title: str, columns: list[str], rows: list[dict], *,
            targets: list[dict] | None = None, notes: list[str] | None = None) -> dict:
    """The record of one section: a table (``columns`` name the keys of each row shown),
    the targets checked (``target(...)``), and notes that say how it was measured."""
    return {"name": name, "title": title, "columns": columns, "rows": rows,
            "targets": targets or [], "notes": notes or []}


def target(what: str, value: float | None, goal: str, met: bool | None) -> dict:
    """One target: ``what`` is measured as ``value``; ``goal`` says what is wanted.
    ``met`` is None when the run could not tell (e.g. a quick run that skips it)."""
    return {"what": what, "value": value, "goal": goal, "met": met}


def machine() -> dict:
    """What ran the bench: CPU, cores, load, Python, NumPy and the BLAS kernel that NumPy uses."""
    import numpy as np

    info = {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "numpy": np.__version__,
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE", "(unset)"),
    }
    try:
        from threadpoolctl import threadpool_info

        blas = [pool for pool in threadpool_info() if pool.get("user_api") == "blas"
                and "numpy" in pool.get("filepath", "")]
        if blas:
            pool = blas[0]
            info["blas"] = (f"{pool.get('internal_api')} {pool.get('version')}, kernel "
                            f"{pool.get('architecture')}, {pool.get('num_threads')} threads")
    except ImportError:  # threadpoolctl comes with scikit-learn; without it we just say less
        pass
    return info


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


# --- formatting --------------------------------------------------------------------------

def fmt(value) -> str:
    """A cell of a table: numbers with 3 significant digits, booleans as yes/NO."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        if value == 0:
            return "0"
        magnitude = abs(value)
        if magnitude >= 1000:
            return f"{value:,.0f}"
        digits = max(0, 2 - int(math.floor(math.log10(magnitude))))
        return f"{value:.{digits}f}"
    return str(value)


def text_table(columns: list[str], rows: list[dict]) -> str:
    cells = [[fmt(row.get(column)) for column in columns] for row in rows]
    widths = [max([len(column)] + [len(r[i]) for r in cells]) for i, column in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths)),
             "  ".join("-" * w for w in widths)]
    for r in cells:
        lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths)))
    return "\n".join(lines)


def markdown_table(columns: list[str], rows: list[dict]) -> str:
    def cell(value) -> str:
        return fmt(value).replace("|", "\\|")

    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    lines += ["| " + " | ".join(cell(row.get(column)) for column in columns) + " |" for row in rows]
    return "\n".join(lines)


def log(message: str) -> None:
    """Progress on stderr, so stdout keeps only the tables."""
    print(message, file=sys.stderr, flush=True)
