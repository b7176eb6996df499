"""Benchmark ingest: chunks/s into the embedded Chroma store vs the raw embedder alone.

Both sides run on the same chunks (Check-COVID abstracts split by the store's own splitter,
800/120 characters by default) in the same process, interleaved (raw, ingest, raw, ingest ...),
so the ratio is what counts on a shared machine. The target is ingest >= 90% of raw.

    python benchmarks/ingest.py                 # 120 abstracts, 3 repeats
    python benchmarks/ingest.py --docs 347 --profile /tmp/ingest.svg   # with py-spy

Each ingest goes into a fresh embedded store in a temporary directory.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    REPO_ROOT,
    median_rate,
    met,
    print_footer,
    print_header,
    repeat_alternating,
    timed,
)
from langchain_text_splitters import RecursiveCharacterTextSplitter

from factcheck.app import store_settings
from factcheck.config import Settings
from factcheck.evals.corpora import corpus_sources
from factcheck.evals.datasets import load_corpus
from factcheck.io.inputs import Source
from factcheck.retrieval.embeddings import (
    MiniLMEmbeddingFunction,
    embedder_from_settings,
    embedder_label,
)
from factcheck.retrieval.store import ReferenceStore, split_source


def chunk_texts(sources: list[Source], settings: Settings) -> list[str]:
    """What ingest embeds: the store's chunks of `sources`, after the source title when
    `chunk_title` is on (the default)."""
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=settings.chunk_size, chunk_overlap=settings.chunk_overlap, add_start_index=True
    )
    return [
        c.indexed_text
        for s in sources
        for c in split_source(s, splitter, title=settings.chunk_title)
    ]


def ingest_once(sources: list[Source], settings: Settings, ef: MiniLMEmbeddingFunction) -> int:
    """Ingest `sources` into a fresh embedded store; returns the chunks added."""
    tmp = Path(tempfile.mkdtemp(prefix="fc-ingestbench-"))
    try:
        store = ReferenceStore.open(
            store_settings(settings.model_copy(update={"chroma_path": tmp})), ef
        )
        report = store.ingest(sources)
        if report.errors:
            raise SystemExit(f"ingest errors: {report.errors[:3]}")
        return report.chunks_added
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=120, help="Check-COVID abstracts (max 347)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--chunk-size", type=int, default=None, help="default: settings")
    parser.add_argument("--chunk-overlap", type=int, default=None, help="default: settings")
    parser.add_argument(
        "--profile", type=Path, help="also record one ingest with py-spy into this SVG/txt"
    )
    parser.add_argument("--only-ingest", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--embedder",
        choices=("minilm", "minilm-claims"),
        default=None,
        help="default: the settings' (minilm-claims); the stock minilm's raw speed is measured "
        "beside it",
    )
    args = parser.parse_args()
    logging.getLogger("chromadb").setLevel(logging.WARNING)

    updates = {
        k: v
        for k, v in {"chunk_size": args.chunk_size, "chunk_overlap": args.chunk_overlap}.items()
        if v is not None
    }
    settings = Settings(_env_file=None, **updates)  # type: ignore[call-arg]
    sources = corpus_sources(load_corpus("check-covid"))[: args.docs]
    texts = chunk_texts(sources, settings)
    ef = embedder_from_settings(args.embedder or settings.embedder)
    stock = MiniLMEmbeddingFunction()
    for model in (ef, stock):
        model.load()
        model.embed(texts[:32])  # warm-up

    if args.only_ingest:  # the py-spy target: one ingest, nothing else
        ingest_once(sources, settings, ef)
        return

    print_header("ingest: embedded Chroma store vs the raw embedder")
    chars = sum(len(t) for t in texts)
    print(
        f"data: {len(sources)} Check-COVID abstracts -> {len(texts)} chunks "
        f"(chunk_size {settings.chunk_size}, overlap {settings.chunk_overlap}, titles "
        f"{'on' if settings.chunk_title else 'off'}), mean {chars / len(texts):.0f} characters "
        "embedded per chunk; both sides embed the same texts"
    )
    print(
        f"embedder: {embedder_label(ef)}, batch {ef.batch_size}, threads "
        f"{ef.intra_op_threads or 'all'}; raw stock: {embedder_label(stock)}"
    )

    with timed() as first:
        added = ingest_once(sources, settings, ef)
    assert added == len(texts), (added, len(texts))
    print(f"first ingest (warm-up, Chroma start-up in a fresh dir): {first[0].wall:.1f} s")

    timings = repeat_alternating(
        {
            "raw": lambda: ef.embed(texts),
            "ingest": lambda: ingest_once(sources, settings, ef),
            "stock": lambda: stock.embed(texts),
        },
        args.repeats,
    )
    raw_wall, raw_cpu = median_rate(len(texts), timings["raw"])
    ing_wall, ing_cpu = median_rate(len(texts), timings["ingest"])
    stock_wall, stock_cpu = median_rate(len(texts), timings["stock"])
    for name, (wall, cpu) in (
        ("raw embedder", (raw_wall, raw_cpu)),
        ("ingest", (ing_wall, ing_cpu)),
        ("stock raw", (stock_wall, stock_cpu)),
    ):
        runs = ", ".join(f"{len(texts) / t.wall:.1f}" for t in timings[name.split()[0]])
        print(
            f"{name:13s} {wall:6.1f} chunks/s wall (median of {args.repeats}: {runs}); "
            f"{cpu:6.1f} chunks per CPU-second"
        )
    ratio_wall, ratio_cpu = ing_wall / raw_wall, ing_cpu / raw_cpu
    print(f"ingest / raw: {ratio_wall:.1%} wall, {ratio_cpu:.1%} CPU")
    print(
        f"ingest / stock raw embedder: {ing_wall / stock_wall:.1%} wall, "
        f"{ing_cpu / stock_cpu:.1%} CPU (the trained embedder's ingest vs the stock model alone)"
    )
    print(
        f"target ingest >= 90% of raw: {met(ratio_wall >= 0.9)} (wall), "
        f"{met(ratio_cpu >= 0.9)} (CPU)"
    )

    if args.profile:
        cmd = [
            str(Path(sys.executable).parent / "py-spy"),
            "record",
            "--rate",
            "200",
            "--nonblocking",
            "--native",
            "-o",
            str(args.profile),
            "--format",
            "raw" if args.profile.suffix == ".txt" else "flamegraph",
            "--",
            sys.executable,
            __file__,
            "--only-ingest",
            "--docs",
            str(args.docs),
        ]
        subprocess.run(cmd, check=True, cwd=REPO_ROOT, env={**os.environ})
        print(f"profile: {args.profile}")
    print_footer()


if __name__ == "__main__":
    main()
