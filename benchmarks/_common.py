"""Shared helpers of the benchmark scripts: machine line, load average, rates, corpora.

Not a test helper and not part of the package: the scripts put the repository on `sys.path`
and import this module by file location.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

CACHE_DIR = REPO_ROOT / "benchmarks" / ".cache"
"""Built collections and generated inputs reused across runs (git-ignored)."""


def loadavg() -> str:
    """The 1/5/15-minute load averages, formatted."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def cores() -> int:
    """CPU cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def print_header(title: str) -> None:
    """Date, machine and load: the first lines of every benchmark's output."""
    print(f"# {title}")
    print(f"date: {dt.datetime.now().astimezone().isoformat(timespec='minutes')}")
    print(
        f"machine: {cores()} cores, {platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}, load average before start {loadavg()}"
    )


def print_footer() -> None:
    """The load average at the end (the machine is shared: say what it was)."""
    print(f"load average after: {loadavg()}")


@dataclass(frozen=True)
class Timing:
    """Wall-clock and CPU seconds (this process, all threads) of one timed call."""

    wall: float
    cpu: float


@contextmanager
def timed() -> Iterator[list[Timing]]:
    """`with timed() as t:` ... `t[0]` is the Timing of the block."""
    box: list[Timing] = []
    c0, t0 = time.process_time(), time.perf_counter()
    try:
        yield box
    finally:
        box.append(Timing(time.perf_counter() - t0, time.process_time() - c0))


def median_rate(n: int, timings: Sequence[Timing]) -> tuple[float, float]:
    """(items per wall second, items per CPU second), medians over the timings."""
    return (
        statistics.median(n / max(t.wall, 1e-9) for t in timings),
        statistics.median(n / max(t.cpu, 1e-9) for t in timings),
    )


def percentiles(values: Sequence[float], points: Sequence[float] = (50, 95)) -> list[float]:
    """Nearest-rank percentiles of `values` (no interpolation)."""
    ordered = sorted(values)
    out = []
    for p in points:
        rank = max(1, min(len(ordered), math.ceil(p / 100 * len(ordered))))
        out.append(ordered[rank - 1])
    return out


def met(ok: bool) -> str:
    """MET / NOT MET."""
    return "MET" if ok else "NOT MET"


def repeat_alternating(
    runs: dict[str, Callable[[], None]], repeats: int
) -> dict[str, list[Timing]]:
    """Time each callable `repeats` times, interleaved (a, b, a, b, ...), so that a change in
    the machine's load hits both sides of a ratio alike."""
    out: dict[str, list[Timing]] = {name: [] for name in runs}
    for _ in range(repeats):
        for name, fn in runs.items():
            with timed() as t:
                fn()
            out[name].append(t[0])
    return out
