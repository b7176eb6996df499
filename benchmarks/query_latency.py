"""Benchmark search latency: p50/p95 of hybrid, dense and lexical search at 10k and 100k chunks.

The corpus is generated from dev data only — Check-COVID abstracts, Climate-FEVER sentences,
FEVER-Symmetric evidence, Factcheck-GPT documents and evidence — chunked by the store's own
splitter at several sizes/overlaps (800/120, 500/100, 400/80, 300/60, 250/50, 200/40, 150/30
and 100/20 characters) until the wanted count is reached, and ingested with
`ReferenceStore.ingest`. Queries are Check-COVID and Climate-FEVER dev claims, one
`ReferenceStore.search` call each (what the pipeline does per claim, with its default top_k 6 /
candidates 30); stores, modes and the query embedding alone are interleaved query by query.

Queries (and, with `--vectors real`, chunks) are embedded by the default embedder's weights,
the claims MiniLM (`MODEL`), so the stores open as the product opens them.

Dense side: `--vectors real` embeds every chunk with the offline MiniLM (~15-80 chunks per
CPU-second, so 100k chunks take hours on 2 shared cores); `--vectors random` gives each chunk a
seeded random unit vector instead (the text is real, so BM25 is unaffected, and queries are
still embedded by the real model). `--compare-vectors` measures both kinds at the smallest size,
interleaved query by query: at 10k chunks random vectors searched as fast as real ones (within
5%), so random vectors stand in for real ones at 100k.

Built collections are cached under `benchmarks/.cache/query-latency/` (git-ignored); a second
run only loads them.

    python benchmarks/query_latency.py --compare-vectors   # 10k + 100k random, 10k real
    python benchmarks/query_latency.py --sizes 10000 --vectors real
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import CACHE_DIR, REPO_ROOT, met, percentiles, print_footer, print_header, timed
from chromadb.api.types import Documents, Embeddings
from langchain_text_splitters import RecursiveCharacterTextSplitter

from factcheck.app import store_settings
from factcheck.config import Settings
from factcheck.evals.datasets import (
    load_corpus,
    load_extraction,
    load_retrieval,
    load_verification,
)
from factcheck.io.inputs import Source
from factcheck.retrieval.embeddings import CLAIMS_MODEL, MINILM_DIMENSIONS, MiniLMEmbeddingFunction
from factcheck.retrieval.lexical import LexicalIndex
from factcheck.retrieval.rerank import Reranker
from factcheck.retrieval.store import ReferenceStore, split_source

CHUNKINGS = (
    (800, 120),
    (500, 100),
    (400, 80),
    (300, 60),
    (250, 50),
    (200, 40),
    (150, 30),
    (100, 20),
)
MODES = ("hybrid", "dense", "lexical", "hybrid+rerank")
BUILD_VERSION = "2"  # bump when the corpus generation changes (2: claims-embedder stores)
MODEL = CLAIMS_MODEL
"""The MiniLM weights that embed queries (and, with `--vectors real`, chunks): the default
embedder's (`Settings.embedder` "minilm-claims"), so stores open as the product opens them."""


class RandomDocumentEmbedder(MiniLMEmbeddingFunction):
    """MiniLM for queries, a seeded random unit vector per document text for ingest.

    It keeps MiniLM's name and config, so the collection reopens with the real embedder.
    """

    def __call__(self, input: Documents) -> Embeddings:
        """One random unit vector per document, seeded by the text's hash."""
        out = []
        for text in input:
            seed = int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")
            v = np.random.default_rng(seed).standard_normal(MINILM_DIMENSIONS).astype(np.float32)
            out.append(v / np.linalg.norm(v))
        return out


def dev_texts() -> list[Source]:
    """Distinct dev-data texts as sources (ids prefixed by dataset)."""
    sources: dict[str, Source] = {}

    def add(prefix: str, key: str, text: str, title: str | None = None) -> None:
        text = text.strip()
        if text:
            sid = f"{prefix}:{key}"
            sources.setdefault(sid, Source(id=sid, text=text, title=title))

    for name in ("check-covid", "climate-fever"):
        for doc in load_corpus(name):
            add(name, doc.id, doc.text, doc.title)
    for name, split in (("fever-symmetric", "dev"), ("factcheck-gpt", "all")):
        for case in load_verification(name, split):
            for item in case.evidence:
                add(name, hashlib.sha256(item.text.encode()).hexdigest()[:16], item.text)
    for case in load_extraction("factcheck-gpt", "all"):
        add("factcheck-gpt-doc", case.id, case.text)
    return list(sources.values())


def corpus_plan(n: int) -> list[tuple[int, int, list[Source]]]:
    """(chunk size, overlap, sources) groups whose chunks add up to at least `n`."""
    texts = dev_texts()
    plan: list[tuple[int, int, list[Source]]] = []
    total = 0
    for size, overlap in CHUNKINGS:
        splitter = RecursiveCharacterTextSplitter(
            chunk_size=size, chunk_overlap=overlap, add_start_index=True
        )
        group: list[Source] = []
        for src in texts:
            if total >= n:
                break
            renamed = src.model_copy(update={"id": f"c{size}o{overlap}:{src.id}"})
            total += len(split_source(renamed, splitter))
            group.append(renamed)
        if group:
            plan.append((size, overlap, group))
        if total >= n:
            return plan
    raise SystemExit(f"dev data makes only {total} chunks with {CHUNKINGS}; asked for {n}")


def settings_for(path: Path, **updates: Any) -> Settings:
    """Default settings (no .env) with the store at `path`."""
    return Settings(_env_file=None, chroma_path=path, collection="bench", **updates)  # type: ignore[call-arg]


def build(n: int, vectors: str) -> tuple[Path, dict[str, Any]]:
    """The cached store of about `n` chunks (built now if missing); its path and build info."""
    path = CACHE_DIR / "query-latency" / f"v{BUILD_VERSION}-{vectors}-{n}"
    marker = path / "built.json"
    if marker.is_file():
        return path, json.loads(marker.read_text())
    ef: MiniLMEmbeddingFunction = (
        RandomDocumentEmbedder(model=MODEL)
        if vectors == "random"
        else MiniLMEmbeddingFunction(model=MODEL)
    )
    plan = corpus_plan(n)
    started = time.perf_counter()
    chunks = 0
    for size, overlap, group in plan:
        store = ReferenceStore.open(
            store_settings(settings_for(path, chunk_size=size, chunk_overlap=overlap)), ef
        )
        report = store.ingest(group)
        if report.errors:
            raise SystemExit(f"ingest errors: {report.errors[:3]}")
        chunks += report.chunks_added
        print(f"  built {size}/{overlap}: +{report.chunks_added} chunks ({report.seconds:.0f} s)")
    info = {
        "chunks": chunks,
        "vectors": vectors,
        "chunkings": [[s, o, len(g)] for s, o, g in plan],
        "ingest_seconds": round(time.perf_counter() - started, 1),
    }
    # Build and save the lexical index now, so a fresh process only loads it.
    ReferenceStore.open(
        store_settings(settings_for(path)), MiniLMEmbeddingFunction(model=MODEL)
    ).lexical_index()
    marker.write_text(json.dumps(info))
    return path, info


def queries(limit: int) -> list[str]:
    """Dev claims of Check-COVID and Climate-FEVER, alternating, at most `limit`."""
    a = [c.claim for c in load_retrieval("check-covid", "dev")]
    b = [c.claim for c in load_retrieval("climate-fever", "dev")]
    mixed = [q for pair in zip(a, b, strict=False) for q in pair] + b[len(a) :]
    return mixed[:limit]


class StageClock:
    """Wraps a store's internals to time each stage of a search (ms per call, summed)."""

    STAGES = ("embed", "count", "dense", "lexical", "fetch", "rerank")

    def __init__(self, store: ReferenceStore) -> None:
        self.spent: dict[str, float] = dict.fromkeys(self.STAGES, 0.0)
        self._wrap(store, "_dense", "dense")
        self._wrap(store, "_lexical_search", "lexical")
        self._wrap(store, "_fetch", "fetch")
        self._wrap(store, "count", "count")
        self._wrap(store.embedding_function, "embed_query", "embed")
        if store.reranker is not None:
            self._wrap(store.reranker, "scores", "rerank")

    def _wrap(self, obj: object, attr: str, stage: str) -> None:
        inner: Callable[..., Any] = getattr(obj, attr)

        def timed_call(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                self.spent[stage] += (time.perf_counter() - t0) * 1000

        setattr(obj, attr, timed_call)

    def take(self) -> dict[str, float]:
        """Stage times since the last call, then reset."""
        out, self.spent = self.spent, dict.fromkeys(self.STAGES, 0.0)
        return out


START_SCRIPT = """
import json, sys, time
t0 = time.perf_counter()
sys.path.insert(0, sys.argv[1])
from factcheck.app import store_settings
from factcheck.config import Settings
from factcheck.retrieval.embeddings import MiniLMEmbeddingFunction
from factcheck.retrieval.store import ReferenceStore
t1 = time.perf_counter()
settings = Settings(_env_file=None, chroma_path=sys.argv[2], collection="bench")
store = ReferenceStore.open(store_settings(settings), MiniLMEmbeddingFunction(model=sys.argv[5]))
t2 = time.perf_counter()
index = store.lexical_index()
t3 = time.perf_counter()
store.search(sys.argv[3])
t4 = time.perf_counter()
store.search(sys.argv[4])
t5 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "open": t2 - t1, "lexical_load": t3 - t2,
                  "first_query": t4 - t3, "second_query": t5 - t4, "chunks": len(index.ids)}))
"""


def process_start(path: Path, qs: list[str]) -> dict[str, float]:
    """Timings of a fresh process opening the persisted store and its lexical index."""
    proc = subprocess.run(
        [sys.executable, "-c", START_SCRIPT, str(REPO_ROOT), str(path), qs[0], qs[1], MODEL],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO_ROOT,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def search(store: ReferenceStore, query: str, mode: str) -> None:
    """One search as the pipeline makes it, in `mode` (hybrid+rerank: hybrid with the
    re-ranker; the other modes without it)."""
    reranked = mode == "hybrid+rerank"
    store.search(query, mode="hybrid" if reranked else mode, rerank=reranked)  # type: ignore[arg-type]


def measure(
    paths: list[Path], qs: list[str], warmup: int, rerank_depth: int
) -> list[dict[str, Any]]:
    """Per-mode latencies (ms) of single-query searches on each store, plus references.

    Everything is interleaved query by query — each store, each mode, and the query embedding
    alone — so that a change in the machine's load hits every figure alike.
    """
    stores = [
        ReferenceStore.open(
            store_settings(settings_for(p)),
            MiniLMEmbeddingFunction(model=MODEL),
            reranker=Reranker(depth=rerank_depth, weight=settings_for(p).rerank_weight),
        )
        for p in paths
    ]
    out: list[dict[str, Any]] = []
    for store in stores:
        for q in qs[:warmup]:
            for mode in MODES:
                search(store, q, mode)
        # Lexical index: build from the collection vs load from disk, same process.
        fingerprint = store.fingerprint()
        with timed() as built:
            LexicalIndex.build(fingerprint, store.lexical_rows())
        with timed() as loaded:
            LexicalIndex.load(store.lexical_dir, fingerprint)
        out.append(
            {
                "chunks": store.count(),
                "lat": {m: [] for m in (*MODES, "embed_only")},
                "rows": {m: [] for m in MODES},
                "lexical_build_s": built[0].wall,
                "lexical_load_s": loaded[0].wall,
            }
        )
    clocks = [StageClock(store) for store in stores]
    ef = MiniLMEmbeddingFunction(model=MODEL)
    for q in qs[warmup:]:
        for store, clock, m in zip(stores, clocks, out, strict=True):
            t0 = time.perf_counter()
            ef.embed_query([q])  # the reference: embedding the query alone
            m["lat"]["embed_only"].append((time.perf_counter() - t0) * 1000)
            clock.take()
            for mode in MODES:
                t0 = time.perf_counter()
                search(store, q, mode)
                m["lat"][mode].append((time.perf_counter() - t0) * 1000)
                m["rows"][mode].append(clock.take())
    for m in out:
        rows = m.pop("rows")
        m["stages"] = {
            mode: {s: statistics.median(x[s] for x in rows[mode]) for s in StageClock.STAGES}
            for mode in MODES
        }
    return out


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="chunk counts, comma-separated")
    parser.add_argument("--vectors", choices=("real", "random"), default="random")
    parser.add_argument(
        "--compare-vectors",
        action="store_true",
        help="also measure the other vector kind at the smallest size",
    )
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument(
        "--rerank-depth",
        type=int,
        default=Settings(_env_file=None).rerank_depth,  # type: ignore[call-arg]
        help="passages the re-ranker reads (default: the configured FACTCHECK_RERANK_DEPTH)",
    )
    args = parser.parse_args()
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    logging.getLogger("chromadb").setLevel(logging.WARNING)

    sizes = [int(s) for s in args.sizes.split(",")]
    runs: list[tuple[int, str]] = [(n, args.vectors) for n in sizes]
    if args.compare_vectors:
        other = "real" if args.vectors == "random" else "random"
        runs.insert(1, (min(sizes), other))
    print_header("query latency: ReferenceStore.search, one query per call")
    qs = queries(args.queries + args.warmup)
    warm, timed_qs = qs[: args.warmup], qs[args.warmup :]
    print(
        f"queries: {len(timed_qs)} dev claims (Check-COVID + Climate-FEVER, alternating) after "
        f"{len(warm)} warm-up; defaults top_k 6, candidates 30, HNSW ef_search 1000; "
        f"hybrid+rerank re-scores the fused top {args.rerank_depth} with the cross-encoder"
    )
    built = [build(n, vectors) for n, vectors in runs]
    starts = [process_start(path, timed_qs) for path, _ in built]
    measured = measure([path for path, _ in built], warm + timed_qs, len(warm), args.rerank_depth)
    results = [
        (n, vectors, info, m, start)
        for (n, vectors), (_, info), m, start in zip(runs, built, measured, starts, strict=True)
    ]

    for _n, vectors, info, m, start in results:
        lat = m["lat"]
        embed50 = statistics.median(lat["embed_only"])
        print(
            f"\n## {m['chunks']} chunks, {vectors} vectors "
            f"(chunkings {', '.join(f'{s}/{o}' for s, o, _ in info['chunkings'])}; "
            f"built in {info['ingest_seconds']:.0f} s)"
        )
        print(f"{'mode':<14}{'p50 ms':>9}{'p95 ms':>9}{'p50 / embed':>13}  stage medians (ms)")
        for mode in (*MODES, "embed_only"):
            p50, p95 = percentiles(lat[mode])
            st = m["stages"].get(mode)
            stage_text = " ".join(f"{k} {v:.1f}" for k, v in st.items() if v >= 0.05) if st else ""
            print(f"{mode:<14}{p50:9.1f}{p95:9.1f}{p50 / embed50:12.2f}x  {stage_text}")
        print(
            f"lexical index: build from the collection {m['lexical_build_s']:.2f} s, load from "
            f"disk {m['lexical_load_s']:.3f} s ({m['lexical_build_s'] / m['lexical_load_s']:.0f}x)"
        )
        print(
            f"fresh process: import {start['import']:.2f} s, open store {start['open']:.2f} s, "
            f"load lexical index {start['lexical_load']:.3f} s, first query "
            f"{start['first_query']:.2f} s (loads the embedder), second query "
            f"{start['second_query'] * 1000:.0f} ms"
        )
    by_size = {(n, v): m for n, v, _, m, _ in results}
    if len(sizes) > 1:
        small, large = (min(sizes), args.vectors), (max(sizes), args.vectors)
        print()
        for mode in MODES:
            a = statistics.median(by_size[small]["lat"][mode])
            b = statistics.median(by_size[large]["lat"][mode])
            print(f"{mode}: p50 at {max(sizes)} / p50 at {min(sizes)} = {b / a:.2f}")
    if args.compare_vectors:
        n = min(sizes)
        print()
        for mode in ("dense", "hybrid"):
            r = statistics.median(by_size[(n, "real")]["lat"][mode])
            x = statistics.median(by_size[(n, "random")]["lat"][mode])
            print(f"{mode} at {n}: p50 random vectors / real vectors = {x / r:.2f}")
    big = max(sizes)
    p50 = statistics.median(by_size[(big, args.vectors)]["lat"]["hybrid"])
    print(f"\ntarget hybrid p50 < 50 ms at {big} chunks: {met(p50 < 50)} ({p50:.1f} ms)")
    p50 = statistics.median(by_size[(big, args.vectors)]["lat"]["hybrid+rerank"])
    print(f"target hybrid+rerank p50 < 150 ms at {big} chunks: {met(p50 < 150)} ({p50:.1f} ms)")
    print_footer()


if __name__ == "__main__":
    main()
