"""Benchmark `run --ray`: throughput with 1, 2 and 4 actors against a fixed-delay LLM server.

Single-claim articles (one extraction + one verification call each) go through the real
`ChatOpenAI` client to the stub OpenAI-compatible server (`factcheck.testing.stub_server`, own
process, 127.0.0.1, every reply after `--delay`), with the in-memory retriever of
`pipeline_overhead.py` so that only the LLM calls wait. Rows:

- `1 process`: today's one-machine path, `Pipeline.run` on one event loop at concurrency
  `actors x per-actor` (the reference: `pipeline_overhead.py` part 2);
- `ray N`: `run_cluster_job` on a local Ray instance with N actors, `--per-actor` articles and
  calls in flight each. The window starts when every actor is ready (actor start-up is
  printed apart) and ends at the last block written.

Ideal = calls x delay / calls in flight. Driver CPU per article is the driver process's CPU
(reading input, dispatch, `ray.wait`, fsynced blocks, progress) over the window. Results are
compared claim by claim (verdict and cited chunks) with the one-process run.

    python benchmarks/ray_throughput.py                  # 400 claims, 300 ms, 8 per actor
    python benchmarks/ray_throughput.py --actors 1,2,4 --claims 400 --delay 0.3 --per-actor 8
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import REPO_ROOT, met, print_footer, print_header
from pipeline_overhead import (
    EchoRetriever,
    articles,
    claim_texts,
    cpu_seconds,
    settings,
    start_stub,
    timed_run,
)

from factcheck.app import App, build_app
from factcheck.cli.cluster import ClusterOptions, run_cluster_job
from factcheck.config import Settings
from factcheck.io.results import read_results
from factcheck.llm.pricing import Price
from factcheck.models import ClaimResult
from factcheck.pipeline import RunStats


def echo_app(worker_settings: Settings) -> App:
    """A worker's app with the in-memory retriever (runs in the actor)."""
    return build_app(worker_settings, retriever=EchoRetriever())


class WindowEvents:
    """Marks when every worker is ready and when the last block arrived (driver CPU too)."""

    def __init__(self) -> None:
        self.ready_wall = self.ready_cpu = self.last_wall = self.last_cpu = 0.0
        self.started = time.perf_counter()
        self.startup = 0.0
        self.done = 0

    def notice(self, message: str) -> None:
        """The driver's 'workers ready' notice opens the window."""
        if "workers ready" in message:
            self.ready_wall, self.ready_cpu = time.perf_counter(), time.process_time()
            self.startup = self.ready_wall - self.started

    def progress(self, stats: RunStats, tokens: int, cost: float | None) -> None:
        """Each new block moves the end of the window."""
        if stats.articles > self.done:
            self.done = stats.articles
            self.last_wall, self.last_cpu = time.perf_counter(), time.process_time()

    def item_error(self, record: Any) -> None:
        """Errors are counted from the results file."""


Verdicts = dict[tuple[str, str], tuple[str, tuple[str, ...]]]


def verdicts_of(results: list[ClaimResult]) -> Verdicts:
    """(article, claim text) -> (verdict, cited chunk ids)."""
    return {
        (r.claim.article_id, r.claim.text): (
            r.verdict.value,
            tuple(sorted(c.chunk_id for c in r.citations)),
        )
        for r in results
    }


def one_process(url: str, n: int, concurrency: int, delay: float) -> tuple[str, Verdicts]:
    """The one-event-loop reference row."""
    items = articles(claim_texts(n))
    app = build_app(
        settings(
            llm_backend="openai", base_url=f"{url}/v1", model="gpt-4o-mini", concurrency=concurrency
        ),
        retriever=EchoRetriever(),
    )
    collected: list[ClaimResult] = []
    original = app.pipeline.run

    async def run_collect(items_: Any, **kwargs: Any) -> Any:
        async for block in original(items_, **kwargs):
            collected.extend(r for r in block.records if isinstance(r, ClaimResult))
            yield block

    app.pipeline.run = run_collect  # type: ignore[method-assign]
    _, wall, cpu, calls = asyncio.run(timed_run(app.pipeline, app.llm, items))
    ideal = calls * delay / concurrency
    row = (
        f"{'1 process':>10} {concurrency:>8} {len(items):>8} {calls:>6} {'-':>9} {wall:7.1f} "
        f"{ideal:7.1f} {ideal / wall:7.0%} {1000 * cpu / len(items):12.1f}  (whole client)"
    )
    warm = {k: v for k, v in verdicts_of(collected).items() if "warm-up" not in k[1]}
    return row, warm


def ray_row(
    url: str, jsonl: Path, out: Path, actors: int, per_actor: int, delay: float, n: int
) -> tuple[str, Verdicts, float]:
    """One `run_cluster_job` row."""
    events = WindowEvents()
    outcome = run_cluster_job(
        settings(
            llm_backend="openai", base_url=f"{url}/v1", model="gpt-4o-mini", concurrency=per_actor
        ),
        [jsonl],
        out,
        options=ClusterOptions(
            actors=actors, in_flight=per_actor, app_factory=echo_app, wait_for_all=True
        ),
        price=Price(0.0, 0.0),
        events=events,
    )
    assert outcome.summary is not None, "the run did not finish"
    run = read_results(out / "results.jsonl")
    calls = outcome.summary.usage.calls
    wall = events.last_wall - events.ready_wall
    cpu = events.last_cpu - events.ready_cpu
    ideal = calls * delay / (actors * per_actor)
    row = (
        f"{'ray ' + str(actors):>10} {actors * per_actor:>8} {n:>8} {calls:>6} "
        f"{events.startup:9.1f} {wall:7.1f} {ideal:7.1f} {ideal / wall:7.0%} "
        f"{1000 * cpu / n:12.2f}"
    )
    return row, verdicts_of(run.results), ideal / wall


def main() -> None:
    """Run the benchmark and print its table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=400)
    parser.add_argument("--delay", type=float, default=0.3)
    parser.add_argument("--per-actor", type=int, default=8)
    parser.add_argument("--actors", default="1,2,4")
    args = parser.parse_args()
    logging.getLogger("httpx").setLevel(logging.WARNING)
    counts = [int(a) for a in args.actors.split(",")]
    print_header("run --ray throughput on a local Ray instance")
    # Workers must import this folder's modules (the in-memory retriever) and this checkout.
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(Path(__file__).resolve().parent), str(REPO_ROOT), os.environ.get("PYTHONPATH", "")]
    )
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    # A loopback-only instance: no token file left in ~/.ray to turn on later clusters' auth.
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    # Ray starts workers 15 nice levels below the raylet; on a shared machine that starves the
    # actors against everything else (11% of ideal with 1 actor here). Same priority as the
    # one-process row instead:
    os.environ.setdefault("RAY_worker_niceness", "0")
    import ray

    proc, url = start_stub(args.delay)
    ray.init(
        num_cpus=max(counts), include_dashboard=False, log_to_driver=False, configure_logging=False
    )
    try:
        with tempfile.TemporaryDirectory() as tmp:
            jsonl = Path(tmp) / "articles.jsonl"
            items = articles(claim_texts(args.claims))
            jsonl.write_text(
                "".join(
                    json.dumps({"id": a.id, "title": a.title, "text": a.text}) + "\n" for a in items
                )
            )
            print(
                f"\n{args.claims} single-claim articles, stub server {args.delay * 1000:.0f} ms "
                f"per reply, ChatOpenAI client, in-memory retriever, {args.per_actor} in flight "
                "per actor"
            )
            print(
                "      mode in-flight articles  calls startup s  wall s ideal s  ratio  "
                "driver ms/article"
            )
            top = max(counts) * args.per_actor
            server0 = cpu_seconds(proc.pid)
            row, reference = one_process(url, args.claims, top, args.delay)
            print(row)
            ratios: dict[int, float] = {}
            identical: dict[int, bool] = {}
            for n in counts:
                row, got, ratios[n] = ray_row(
                    url, jsonl, Path(tmp) / f"run-{n}", n, args.per_actor, args.delay, args.claims
                )
                identical[n] = got == reference
                print(row)
            print(f"stub server CPU over all rows: {cpu_seconds(proc.pid) - server0:.1f} s")
            print(
                "results identical to the one-process run (verdict and cited chunks per claim): "
                + ", ".join(f"{n} actors {'yes' if identical[n] else 'NO'}" for n in counts)
            )
            best = max(counts)
            print(
                f"target >= 90% of ideal at {top} in flight on one machine ({best} actors): "
                f"{met(ratios[best] >= 0.9)}"
            )
    finally:
        ray.shutdown()
        if proc.stdin:
            proc.stdin.close()
        proc.wait(timeout=15)
    print_footer()


if __name__ == "__main__":
    main()
