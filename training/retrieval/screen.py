"""Screen retrieval settings on the dev sets the harness measures, cheaply: the fusion's dense
weight, and the re-ranker's depth and blend weight (each passage is scored once per query, then
every depth and weight is derived from those scores).

Product venv, repository root::

    PYTHONPATH=. .venv/bin/python -m training.retrieval.screen --dense-weights 0.5,0.6,0.7,0.8 \\
        --reranker factcheck/assets/reranker/reranker-minilm-int8.onnx --depths 10,20,30 \\
        --blend 0,0.25,0.5,0.75,1 --out /work/retrieval-train/screen.json

The embedder is the configured one (FACTCHECK_EMBEDDER). Scoring follows the harness: the
documents ranked by their best chunk, recall@5 and nDCG@10 over the cases with gold documents
(`factcheck.evals.scoring.retrieval_metrics`). These are the same dev sets the harness reports,
so a setting chosen here is tuned on them: confirm it with `factcheck eval` on held-out data.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from factcheck.app import make_embedder
from factcheck.config import Settings
from factcheck.evals import metrics as m
from factcheck.evals.corpora import CorpusStores
from factcheck.evals.datasets import RetrievalCase, load_retrieval
from factcheck.evals.runner import CACHE_DIR
from factcheck.evals.stages import RETRIEVAL_DEPTH, ranked_docs
from factcheck.retrieval.chunking import indexed_text
from factcheck.retrieval.rerank import Reranker, reorder_head

DATASETS = (("check-covid", "dev"), ("climate-fever", "heldback"))


def floats(text: str) -> list[float]:
    """A comma-separated list of numbers."""
    return [float(x) for x in text.split(",") if x.strip()]


def scores_of(rankings: list[list[str]], cases: list[RetrievalCase]) -> dict[str, float]:
    """recall@5 and nDCG@10 of document rankings against the cases' gold documents."""
    gold = [c.gold_doc_ids for c in cases]
    return {
        "recall@5": round(m.mean_recall_at_k(rankings, gold, 5), 4),
        "ndcg@10": round(m.mean_ndcg_at_k(rankings, gold, 10), 4),
    }


def add_row(table: list[dict[str, object]], row: dict[str, object]) -> None:
    """Append `row` to the screen's table and print it as one JSON line."""
    table.append(row)
    print(json.dumps(row), flush=True)


def write_table(out: Path | None, table: list[dict[str, object]]) -> None:
    """Write the table as JSON to `out`, when given."""
    if out:
        out.write_text(json.dumps(table, indent=1) + "\n", encoding="utf-8")


def main() -> None:
    """Parse arguments, screen, print and write the table."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dense-weights", type=floats, default=[0.6])
    ap.add_argument("--reranker", type=Path, default=None, help="an ONNX re-ranker to screen")
    ap.add_argument("--depths", default="10,20,30")
    ap.add_argument("--blend", type=floats, default=[0.0, 0.25, 0.5, 0.75, 1.0])
    ap.add_argument("--cache-dir", type=Path, default=CACHE_DIR)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    depths = [int(d) for d in args.depths.split(",")]
    settings = Settings()
    embedder = make_embedder(settings)
    reranker = (  # scores only: depth and blend are screened below
        Reranker(depth=max(depths), weight=1.0, model_path=args.reranker) if args.reranker else None
    )
    table: list[dict[str, object]] = []
    for dataset, split in DATASETS:
        cases = [c for c in load_retrieval(dataset, split) if c.gold_doc_ids]
        claims = [c.claim for c in cases]
        for dense_weight in args.dense_weights:
            tuned = settings.model_copy(update={"dense_weight": dense_weight})
            store = CorpusStores(tuned, embedder, args.cache_dir).store(dataset)
            found = store.search_many(
                claims, k=RETRIEVAL_DEPTH, candidates=RETRIEVAL_DEPTH, mode="hybrid", rerank=False
            )
            row = {"dataset": f"{dataset}/{split}", "dense_weight": dense_weight}
            add_row(table, row | scores_of([ranked_docs(f) for f in found], cases))
            if reranker is None or dense_weight != settings.dense_weight:
                continue
            began = time.perf_counter()
            titled = settings.chunk_title
            scored = [
                reranker.scores(
                    claim,
                    [
                        indexed_text(e.chunk.text, {"titled": titled, "title": e.chunk.title})
                        for e in f[: max(depths)]
                    ],
                )
                for claim, f in zip(claims, found, strict=True)
            ]
            seconds = time.perf_counter() - began
            for depth in depths:
                for weight in args.blend:
                    rankings = [
                        ranked_docs(reorder_head(f, s[:depth], weight))
                        for f, s in zip(found, scored, strict=True)
                    ]
                    add_row(
                        table,
                        row
                        | {"rerank_depth": depth, "rerank_weight": weight}
                        | scores_of(rankings, cases),
                    )
            print(f"re-ranker: {seconds / len(claims) * 1000:.0f} ms per query", flush=True)
    write_table(args.out, table)


if __name__ == "__main__":
    main()
