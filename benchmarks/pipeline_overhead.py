"""Benchmark the pipeline's own cost and its concurrency against a slow LLM server.

Part 1 — pure pipeline cost, zero-latency `FakeChatModel` (rule-based replies): claims/s of
`Pipeline.run` with an in-memory retriever and with the real store, each against the same
stages called directly in one loop (extract, verify; search) as the reference.

Part 2 — concurrency: wall time for single-claim articles (one extraction + one verification
call each) against the stub OpenAI-compatible server (`factcheck.testing.stub_server`, run in
its own process on 127.0.0.1, every reply after a fixed `base_delay`), through the real
`ChatOpenAI` client, at several concurrencies, vs the ideal `calls x delay / concurrency`.

    python benchmarks/pipeline_overhead.py                      # 500 claims, delay 0.3 s
    python benchmarks/pipeline_overhead.py --c1-claims 100      # concurrency 1 on fewer claims

The retriever in part 2 is the in-memory one, so only the LLM calls wait.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import REPO_ROOT, met, print_footer, print_header, timed

from factcheck.app import build_app, store_settings
from factcheck.config import Settings
from factcheck.evals.datasets import load_retrieval
from factcheck.llm.fake import FakeChatModel
from factcheck.llm.structured import StructuredLLM
from factcheck.models import Article, Evidence, Provenance, SourceChunk, content_id
from factcheck.pipeline import Pipeline
from factcheck.retrieval.embeddings import MiniLMEmbeddingFunction
from factcheck.retrieval.store import ReferenceStore

STUB_SCRIPT = """
import sys
sys.path.insert(0, sys.argv[1])
from factcheck.testing.stub_server import StubConfig, running_stub
with running_stub(StubConfig(base_delay=float(sys.argv[2]), model="gpt-4o-mini")) as url:
    print(url, flush=True)
    sys.stdin.read()  # serve until the parent closes our stdin
"""


class EchoRetriever:
    """In-memory retriever: `k` passages, the first restating the query (O(1) per query)."""

    embedder_name = "none"

    def search(
        self,
        query: str,
        *,
        k: int,
        candidates: int,
        rrf_k: int,
        published_on_or_before: date | None = None,
    ) -> list[Evidence]:
        """Evidence for `query`: the query itself as a report, then filler passages."""
        texts = [f"The report confirms it. {query}"] + [
            f"Background passage {i} on an unrelated matter." for i in range(2, k + 1)
        ]
        return [
            Evidence(
                number=n,
                chunk=SourceChunk(
                    id=content_id(t), source_id=f"src{n}", text=t, start=0, end=len(t), title="Ref"
                ),
                score=1 / (rrf_k + n),
                dense_rank=n,
                dense_similarity=0.9 - 0.1 * n,
            )
            for n, t in enumerate(texts, start=1)
        ]

    def fingerprint(self) -> str:
        """Constant: the contents never change."""
        return "echo"


def claim_texts(n: int) -> list[str]:
    """`n` distinct claim sentences from Check-COVID and Climate-FEVER dev claims."""
    base = [
        c.claim for name in ("check-covid", "climate-fever") for c in load_retrieval(name, "dev")
    ]
    out = []
    for i in range(n):
        claim = base[i % len(base)].rstrip(". ")
        out.append(f"In report {i + 1}, {claim[0].lower()}{claim[1:]}.")
    return out


def articles(claims: list[str]) -> list[Article]:
    """One article per claim: the claim sentence plus a sentence with no claim in it."""
    return [
        Article(id=f"a{i}", title=f"Article {i}", text=f"{c} The editors add no comment here.")
        for i, c in enumerate(claims)
    ]


def settings(**updates: Any) -> Settings:
    """Default settings (no .env), every passage shown to the verifier."""
    return Settings(_env_file=None, relevance_threshold=-1.0, **updates)  # type: ignore[call-arg]


async def run_pipeline(pipeline: Pipeline, items: list[Article]) -> int:
    """Run the pipeline over `items`; returns the claim results."""
    results = 0
    async for block in pipeline.run(items):
        results += sum(getattr(r, "type", "") == "result" for r in block.records)
    return results


async def stages_alone(pipeline: Pipeline, items: list[Article]) -> int:
    """Extract then verify each article's claims by direct calls, one at a time (reference)."""
    results = 0
    for article in items:
        outcome = await pipeline.extractor.extract(article)
        for claim in outcome.claims:
            evidence = pipeline.retriever.search(claim.text, k=6, candidates=30, rrf_k=60)
            await pipeline.verifier.verify(claim, evidence, Provenance(model="fake"))
            results += 1
    return results


def part1(n: int, store_path: Path | None) -> None:
    """Pure pipeline cost with a zero-latency fake model (one event loop for every step: the
    LLM's concurrency semaphore belongs to the loop that first waits on it)."""
    items = articles(claim_texts(n))
    echo = EchoRetriever()
    app = build_app(settings(llm_backend="fake"), chat_model=FakeChatModel(), retriever=echo)
    base = app.pipeline
    store = None
    if store_path is not None:
        store = ReferenceStore.open(
            store_settings(settings(chroma_path=store_path, collection="bench")),
            MiniLMEmbeddingFunction(),
        )
    queries = [a.text.split(" The editors")[0] for a in items]

    def fresh(retriever: Any) -> Pipeline:
        return Pipeline(
            base.extractor,
            retriever,
            base.verifier,
            retrieval=base.retrieval,
            concurrency=base.concurrency,
        )

    async def measure() -> dict[str, tuple[int, float]]:
        await run_pipeline(fresh(echo), items[:20])  # warm-up (schema conversion, imports)
        out: dict[str, tuple[int, float]] = {}
        with timed() as t:
            done = await stages_alone(fresh(echo), items)
        out["direct"] = (done, t[0].wall)
        with timed() as t:
            done = await run_pipeline(fresh(echo), items)
        out["pipeline"] = (done, t[0].wall)
        if store is not None:
            for q in queries[:10]:
                store.search(q)  # warm-up: embedder session, lexical index
            with timed() as t:
                for q in queries:
                    store.search(q)
            out["search"] = (len(queries), t[0].wall)
            with timed() as t:
                done = await run_pipeline(fresh(store), items)
            out["real"] = (done, t[0].wall)
        return out

    print(f"\n## Part 1: pure pipeline cost, FakeChatModel(latency=0), {n} articles")
    got = asyncio.run(measure())
    rate = {k: done / wall for k, (done, wall) in got.items()}
    claims = got["pipeline"][0]  # a few articles hold two claims (a decimal point splits one)
    print(f"{claims} claims; every claim verified by the (fake) LLM")
    print(
        f"stages called directly (extract + verify), in-memory retriever: "
        f"{rate['direct']:7.1f} claims/s ({1000 / rate['direct']:.1f} ms per claim)"
    )
    print(
        f"Pipeline.run, in-memory retriever, concurrency {base.concurrency}:       "
        f"{rate['pipeline']:7.1f} claims/s ({1000 / rate['pipeline']:.1f} ms per claim); "
        f"{rate['pipeline'] / rate['direct']:.0%} of the direct calls"
    )
    if store is None:
        return
    expected = 1 / (1 / rate["pipeline"] + 1 / rate["search"])
    print(
        f"store.search alone ({store.count()} chunks, hybrid):                   "
        f"{rate['search']:7.1f} searches/s ({1000 / rate['search']:.1f} ms each)"
    )
    print(
        f"Pipeline.run, real store:                                  {rate['real']:7.1f} "
        f"claims/s ({1000 / rate['real']:.1f} ms per claim); {rate['real'] / expected:.0%} of "
        f"1/(1/pipeline + 1/search) = {expected:.1f}"
    )


async def timed_run(
    pipeline: Pipeline, llm: StructuredLLM, items: list[Article]
) -> tuple[int, float, float, int]:
    """Warm up (one article), then run `items`: (claim results, wall s, CPU s, LLM calls)."""
    await run_pipeline(pipeline, articles(["In 2020, a warm-up event happened 1 time."]))
    calls0 = llm.totals.calls
    t0, c0 = time.perf_counter(), time.process_time()
    done = await run_pipeline(pipeline, items)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return done, wall, cpu, llm.totals.calls - calls0


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_stub(delay: float) -> tuple[subprocess.Popen[str], str]:
    """The stub server in its own process; returns it and its base URL."""
    proc = subprocess.Popen(
        [sys.executable, "-c", STUB_SCRIPT, str(REPO_ROOT), str(delay)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO_ROOT,
    )
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    if not url.startswith("http://127.0.0.1:"):
        proc.kill()
        raise SystemExit(f"stub server did not start (got {url!r})")
    return proc, url


def part2(n: int, delay: float, concurrencies: list[int], c1_claims: int) -> None:
    """Wall time against the stub server vs calls x delay / concurrency."""
    proc, url = start_stub(delay)
    try:
        print(
            f"\n## Part 2: stub OpenAI-compatible server (own process, 127.0.0.1), "
            f"{delay * 1000:.0f} ms per reply, ChatOpenAI client, in-memory retriever"
        )
        print(
            "concurrency articles claims calls  wall s ideal s ideal/wall  "
            "client CPU s  server CPU s"
        )
        results: dict[int, float] = {}
        for c in concurrencies:
            count = c1_claims if c == 1 else n
            items = articles(claim_texts(count))
            app = build_app(
                settings(
                    llm_backend="openai",
                    base_url=f"{url}/v1",
                    model="gpt-4o-mini",
                    concurrency=c,
                ),
                retriever=EchoRetriever(),
            )
            # One event loop for warm-up and measurement: the SDK's HTTP client is bound to it.
            server0 = cpu_seconds(proc.pid)
            done, wall, cpu, calls = asyncio.run(timed_run(app.pipeline, app.llm, items))
            server = cpu_seconds(proc.pid) - server0
            ideal = calls * delay / c
            results[c] = ideal / wall
            print(
                f"{c:>11} {count:>8} {done:>6} {calls:>5} {wall:7.1f} {ideal:7.1f} "
                f"{ideal / wall:10.0%} {cpu:13.1f} {server:13.1f}"
            )
        top = max(concurrencies)
        print(f"\ntarget >= 90% of ideal at concurrency {top}: {met(results[top] >= 0.9)}")
    finally:
        if proc.stdin:
            proc.stdin.close()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=500)
    parser.add_argument("--delay", type=float, default=0.3)
    parser.add_argument("--concurrency", default="1,8,32")
    parser.add_argument("--c1-claims", type=int, default=100, help="claims at concurrency 1")
    parser.add_argument(
        "--store",
        type=Path,
        default=None,
        help="embedded store for part 1 (default: query_latency.py's cached real 10k store)",
    )
    parser.add_argument("--skip-part1", action="store_true")
    parser.add_argument("--skip-part2", action="store_true")
    args = parser.parse_args()
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    print_header("pipeline overhead and concurrency")
    store = args.store
    if store is None:
        from query_latency import build

        store, _ = build(10_000, "real")
    if not args.skip_part1:
        part1(args.claims, store)
    if not args.skip_part2:
        part2(
            args.claims, args.delay, [int(c) for c in args.concurrency.split(",")], args.c1_claims
        )
    print_footer()


if __name__ == "__main__":
    main()
