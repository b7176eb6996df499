"""Benchmark memory: peak RSS of a streamed `factcheck run` over 1,000 and 10,000 small articles.

Generates a JSONL batch of small articles (a few sentences, two check-worthy claims each, one
claim in ten repeated from a shared pool so cross-article de-duplication is exercised), ingests
the seed reference notes into a temporary embedded store, then runs

    python -m factcheck run ARTICLES.jsonl --out DIR      (FACTCHECK_LLM_BACKEND=fake)

in a subprocess per size, sampling its RSS from /proc every 0.2 s (peak = the kernel's VmHWM)
together with the progress of its results file. The figure is the growth of peak RSS from the
smaller batch to the larger one (target < 100 MB).

    python benchmarks/memory.py                     # 1000 and 10000 articles
    python benchmarks/memory.py --sizes 200,2000    # quicker
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import CACHE_DIR, REPO_ROOT, met, print_footer, print_header

WORDS = [
    "council",
    "budget",
    "hospital",
    "school",
    "river",
    "bridge",
    "election",
    "tariff",
    "harvest",
    "museum",
    "rail",
    "port",
    "factory",
    "clinic",
    "vaccine",
    "drought",
    "airport",
    "stadium",
    "library",
    "reservoir",
]


def article(i: int) -> dict[str, str]:
    """A small article: an intro, two claims with numbers, a closing line."""
    a, b = WORDS[i % len(WORDS)], WORDS[(i * 7 + 3) % len(WORDS)]
    if i % 10 == 0:  # a claim many articles share (cross-article de-duplication)
        shared = f"The national {a} agency reported {i % 50 + 10} inspections in 2024."
    else:
        shared = f"The {a} of district {i} cost {i * 13 % 997 + 3} million pesos in 2025."
    text = (
        f"Local officials met on Monday to discuss the {a} and the {b}. {shared} "
        f"Residents counted {i % 89 + 2} new {b} projects, up from {i % 61 + 1} a year earlier. "
        f"The debate will continue next week."
    )
    return {"id": f"art-{i:06d}", "title": f"The {a} and the {b} ({i})", "text": text}


def write_batch(path: Path, n: int) -> None:
    """`n` articles as JSONL."""
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            fh.write(json.dumps(article(i)) + "\n")


def rss_kib(pid: int) -> tuple[int, int] | None:
    """(VmRSS, VmHWM) of a process in KiB, or None once it is gone."""
    try:
        fields = dict(
            line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
        )
        return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])
    except (OSError, KeyError, ValueError):
        return None


def count_lines(path: Path) -> int:
    """Lines in a file so far (0 if it does not exist)."""
    try:
        with path.open("rb") as fh:
            return sum(1 for _ in fh)
    except OSError:
        return 0


def run_batch(batch: Path, out: Path, env: dict[str, str], n: int) -> dict[str, object]:
    """Run `factcheck run` in a subprocess; RSS samples and peak."""
    cmd = [sys.executable, "-m", "factcheck", "run", str(batch), "--out", str(out)]
    log = (out.parent / f"{out.name}.log").open("w")
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=REPO_ROOT)
    samples: list[tuple[float, int, int]] = []  # (seconds, rss KiB, done items)
    peak = 0
    results = out / "results.jsonl"
    last_count = 0.0
    done = 0
    while proc.poll() is None:
        got = rss_kib(proc.pid)
        if got is not None:
            peak = max(peak, got[1])
            now = time.perf_counter() - started
            if now - last_count >= 2.0:  # counting lines is not free: every 2 s
                done = count_lines(results)
                last_count = now
            samples.append((now, got[0], done))
        time.sleep(0.2)
    log.close()
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"factcheck run exited {proc.returncode}; see {log.name}")
    summary = json.loads(results.read_text(encoding="utf-8").splitlines()[-1])
    return {"n": n, "peak_kib": peak, "samples": samples, "wall": wall, "summary": summary}


def rss_at(samples: list[tuple[float, int, int]], share: float, lines: int) -> int:
    """RSS (KiB) at the first sample where the results file reached `share` of its lines."""
    for _, rss, done in samples:
        if done >= share * lines:
            return rss
    return samples[-1][1] if samples else 0


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--keep", action="store_true", help="keep the run folders")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print_header("memory: peak RSS of `factcheck run` (fake model) by batch size")
    tmp = Path(tempfile.mkdtemp(prefix="fc-membench-", dir=CACHE_DIR if args.keep else None))
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO_ROOT),
        "FACTCHECK_LLM_BACKEND": "fake",
        "FACTCHECK_CHROMA_PATH": str(tmp / "chroma"),
        "FACTCHECK_OUTPUT_DIR": str(tmp / "runs"),
        "COLUMNS": "120",
    }
    env.pop("FACTCHECK_LLM_CACHE", None)
    try:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "factcheck",
                "ingest",
                str(REPO_ROOT / "seeds" / "reference"),
            ],
            env=env,
            cwd=REPO_ROOT,
            check=True,
            capture_output=True,
        )
        runs = []
        for n in sizes:
            batch = tmp / f"articles-{n}.jsonl"
            write_batch(batch, n)
            runs.append(run_batch(batch, tmp / f"run-{n}", env, n))
        print(
            "batch: small generated articles (~300 characters, 2 claims each, 1 in 10 shared "
            "across articles); store: the seed reference notes; FACTCHECK_LLM_BACKEND=fake"
        )
        print(
            f"{'articles':>8} {'claims':>7} {'dedup':>6} {'wall s':>7} {'peak RSS MiB':>13}  "
            "RSS MiB at 10% / 50% / 90% of the results written, at exit"
        )
        for r in runs:
            s = r["summary"]
            samples = r["samples"]
            lines = count_lines(tmp / f"run-{r['n']}" / "results.jsonl")
            marks = " / ".join(f"{rss_at(samples, f, lines) / 1024:.0f}" for f in (0.1, 0.5, 0.9))
            print(
                f"{r['n']:>8} {s['claims']:>7} {s['deduplicated']:>6} {r['wall']:7.0f} "
                f"{r['peak_kib'] / 1024:13.0f}  {marks}, {samples[-1][1] / 1024:.0f}"
            )
        small, large = runs[0], runs[-1]
        growth = (large["peak_kib"] - small["peak_kib"]) / 1024
        print(
            f"\npeak RSS growth from {small['n']} to {large['n']} articles: {growth:.0f} MiB "
            f"({large['peak_kib'] / small['peak_kib']:.2f}x)"
        )
        print(f"target < 100 MB growth: {met(growth * 1.048576 < 100)}")
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    print_footer()


if __name__ == "__main__":
    main()
