"""Does an LLM-written query help retrieval? Screen it on the dev sets the harness measures.

For each claim the local model (Qwen2.5-Coder-0.5B, the offline backend) writes the sentence a
source would contain to settle it (a "hypothetical document", HyDE); retrieval then runs on the
claim alone, on the claim followed by that sentence, and on the claim and the sentence
separately with the two rankings fused (reciprocal rank). Scoring follows the harness
(documents ranked by their best chunk; recall@5, nDCG@10). Rewrites are cached in `--cache`.

Product venv with the `local` extra, repository root::

    PYTHONPATH=. .venv/bin/python -m training.retrieval.rewrite_screen \\
        --cache /work/retrieval-train/rewrites.json

These are the dev sets the harness reports: a variant chosen here is tuned on them.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from factcheck.app import make_embedder
from factcheck.config import Settings
from factcheck.evals.corpora import CorpusStores
from factcheck.evals.datasets import load_retrieval
from factcheck.evals.runner import CACHE_DIR
from factcheck.evals.stages import RETRIEVAL_DEPTH, ranked_docs
from factcheck.llm.local import default_model_path, load_llama
from factcheck.retrieval.fusion import rrf_fuse
from factcheck.retrieval.store import ReferenceStore
from training.retrieval.screen import DATASETS, add_row, scores_of, write_table

PROMPT = (
    "Write one factual sentence, as it would appear in a scientific abstract or an "
    "encyclopedia, that would confirm or refute this claim. Reply with the sentence only.\n\n"
    "Claim: {claim}"
)
MAX_TOKENS = 60
RRF_K = 60


def rewrite_all(claims: list[str], cache: dict[str, str]) -> tuple[dict[str, str], float]:
    """Rewrites of `claims` not yet in `cache` (greedy decoding); seconds per new rewrite."""
    todo = [c for c in claims if c not in cache]
    if not todo:
        return cache, 0.0
    llama, _ = load_llama(str(default_model_path()), n_ctx=512, n_threads=None)
    began = time.perf_counter()
    for claim in todo:
        reply = llama.create_chat_completion(
            messages=[{"role": "user", "content": PROMPT.format(claim=claim)}],
            max_tokens=MAX_TOKENS,
            temperature=0.0,
        )
        cache[claim] = reply["choices"][0]["message"]["content"].strip()
    return cache, (time.perf_counter() - began) / len(todo)


def rankings(store: ReferenceStore, queries: list[str]) -> list[list[str]]:
    """Document rankings of a hybrid search (no re-ranking) for each query."""
    found = store.search_many(
        queries, k=RETRIEVAL_DEPTH, candidates=RETRIEVAL_DEPTH, mode="hybrid", rerank=False
    )
    return [ranked_docs(f) for f in found]


def main() -> None:
    """Rewrite, retrieve three ways, print and write the table."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cache", type=Path, required=True, help="JSON of claim -> rewrite")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    cache = json.loads(args.cache.read_text("utf-8")) if args.cache.is_file() else {}
    settings = Settings()
    embedder = make_embedder(settings)
    table: list[dict[str, object]] = []
    for dataset, split in DATASETS:
        cases = [c for c in load_retrieval(dataset, split) if c.gold_doc_ids]
        claims = [c.claim for c in cases]
        cache, seconds = rewrite_all(claims, cache)
        args.cache.write_text(json.dumps(cache, indent=1, ensure_ascii=False), "utf-8")
        store = CorpusStores(settings, embedder, CACHE_DIR).store(dataset)
        alone = rankings(store, claims)
        joined = rankings(store, [f"{c} {cache[c]}" for c in claims])
        separate = rankings(store, [cache[c] for c in claims])
        fused = [
            [doc for doc, _ in rrf_fuse([a, b], k=RRF_K)]
            for a, b in zip(alone, separate, strict=True)
        ]
        for variant, ranked in (
            ("claim", alone),
            ("claim + rewrite", joined),
            ("rrf(claim, rewrite)", fused),
        ):
            row = {"dataset": f"{dataset}/{split}", "query": variant}
            add_row(table, row | scores_of(ranked, cases))
        print(f"{len(claims)} claims; {seconds:.2f} s per new rewrite", flush=True)
    write_table(args.out, table)


if __name__ == "__main__":
    main()
