"""Screen retrieval variants quickly, outside the store: chunking, titles, views, fusion weights.

For each variant the corpus is cut into chunks ("views"), embedded with the offline MiniLM
(vectors cached by text under `benchmarks/.cache/emb/`, so each text is embedded once), ranked
densely by exact cosine and lexically by `factcheck.retrieval.lexical` BM25, fused by
(weighted) RRF at
chunk level, and documents ranked by their best chunk — the same scoring as the evals harness
(`factcheck.evals.metrics`, recall@5 and nDCG@10 over queries with gold documents). Dev data
only. Variants that help are then implemented as settings and measured with the harness
(`factcheck eval retrieval-checkcovid|retrieval-climate`), which is the number of record.

    python benchmarks/retrieval_variants.py                       # every variant, both sets
    python benchmarks/retrieval_variants.py --only title,sent1
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import pickle
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import CACHE_DIR, print_footer, print_header
from langchain_text_splitters import RecursiveCharacterTextSplitter

from factcheck.evals.datasets import CorpusDoc, load_corpus, load_retrieval
from factcheck.evals.metrics import mean_ndcg_at_k, mean_recall_at_k
from factcheck.retrieval.embeddings import MiniLMEmbeddingFunction
from factcheck.retrieval.lexical import LexicalIndex, tokenize
from factcheck.text import split_sentences

DEPTH = 100
EMB_CACHE = CACHE_DIR / "emb" / "minilm.pkl"


class Embedder:
    """MiniLM with an on-disk cache keyed by the text's sha256."""

    def __init__(self) -> None:
        self.ef = MiniLMEmbeddingFunction()
        self.cache: dict[str, np.ndarray] = {}
        if EMB_CACHE.is_file():
            self.cache = pickle.loads(EMB_CACHE.read_bytes())
        self.computed = 0

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        keys = [hashlib.sha256(t.encode()).hexdigest() for t in texts]
        missing = sorted(
            {k: t for k, t in zip(keys, texts, strict=True) if k not in self.cache}.items()
        )
        if missing:
            vectors = self.ef.embed([t for _, t in missing])
            for (k, _), v in zip(missing, vectors, strict=True):
                self.cache[k] = v.astype(np.float16)
            self.computed += len(missing)
            EMB_CACHE.parent.mkdir(parents=True, exist_ok=True)
            EMB_CACHE.write_bytes(pickle.dumps(self.cache))
        return np.stack([self.cache[k].astype(np.float32) for k in keys])


@dataclass(frozen=True)
class Chunk:
    doc: str
    text: str  # what is stored (verbatim source text)
    title: str | None


# --- views -------------------------------------------------------------------------------


def char_view(size: int, overlap: int) -> Callable[[CorpusDoc], list[Chunk]]:
    """The store's character splitter."""
    splitter = RecursiveCharacterTextSplitter(chunk_size=size, chunk_overlap=overlap)

    def view(doc: CorpusDoc) -> list[Chunk]:
        return [Chunk(doc.id, t, doc.title) for t in splitter.split_text(doc.text)]

    return view


def sentence_view(n: int, stride: int) -> Callable[[CorpusDoc], list[Chunk]]:
    """Windows of `n` sentences every `stride` sentences (factcheck.text.split_sentences)."""

    def view(doc: CorpusDoc) -> list[Chunk]:
        spans = split_sentences(doc.text)
        out = []
        for i in range(0, max(1, len(spans) - n + stride), stride):
            window = spans[i : i + n]
            if window:
                out.append(Chunk(doc.id, doc.text[window[0].start : window[-1].end], doc.title))
        return out

    return view


def whole_view(doc: CorpusDoc) -> list[Chunk]:
    """The whole document as one chunk (the embedder truncates at 256 tokens)."""
    return [Chunk(doc.id, doc.text, doc.title)]


@dataclass(frozen=True)
class Variant:
    name: str
    views: tuple[Callable[[CorpusDoc], list[Chunk]], ...]
    title_dense: bool = False
    title_lexical: bool = False
    weights: tuple[float, float] = (1.0, 1.0)  # dense, lexical
    rrf_k: int = 60
    query: str = "plain"  # plain | focus (numbers and capitalised words repeated in BM25)
    fusion: str = "rrf"  # rrf | score (min-max normalised scores, weighted sum)
    prf: tuple[float, int] = (0.0, 0)  # dense pseudo-relevance feedback: weight, top chunks
    agg: float = 0.0  # document score = best chunk + agg * sum of its other chunks' scores
    bm25: tuple[float, float] = (1.5, 0.75)  # k1, b
    rerank: tuple[int, float] = (0, 0.0)  # NLI re-ranking: top chunks, weight of relevance


def with_title(chunk: Chunk, on: bool) -> str:
    if on and chunk.title and not chunk.text.startswith(chunk.title):
        return f"{chunk.title}. {chunk.text}"
    return chunk.text


def focus_tokens(query: str) -> list[str]:
    """BM25 query tokens with numbers and capitalised words (names, acronyms) counted twice."""
    tokens = tokenize(query)
    marked = {
        t.lower().strip(".,;:()\"'")
        for t in query.split()[1:]
        if t[:1].isupper() or any(c.isdigit() for c in t)
    }
    return tokens + [t for t in tokens if t in marked or t[0].isdigit()]


class NLIRelevance:
    """Relevance of evidence to a claim from the branch `nli` cross-encoder (int8 ONNX, 3-way
    SUPPORTED / REFUTED / NOT_ENOUGH_EVIDENCE): P(SUPPORTED) + P(REFUTED) of the chunk's best
    sentence, cached by (claim, sentence)."""

    def __init__(self, model: Path) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        from factcheck.retrieval.onnx import tokenizer_file

        self.tokenizer = Tokenizer.from_file(str(tokenizer_file()))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length=128, strategy="longest_first")
        options = ort.SessionOptions()
        options.log_severity_level = 3
        self.session = ort.InferenceSession(str(model), sess_options=options)
        self.inputs = {i.name for i in self.session.get_inputs()}
        self.cache: dict[tuple[str, str], float] = {}
        self.pairs = 0

    def score(self, claim: str, texts: list[str]) -> list[float]:
        """Best-sentence relevance of each text."""
        sentences = [[t[sp.start : sp.end] for sp in split_sentences(t)] or [t] for t in texts]
        todo = sorted({(claim, x) for group in sentences for x in group} - set(self.cache))
        for start in range(0, len(todo), 32):
            batch = todo[start : start + 32]
            enc = self.tokenizer.encode_batch(batch)
            width = max(len(e.ids) for e in enc)
            ids = np.zeros((len(batch), width), dtype=np.int64)
            types, mask = np.zeros_like(ids), np.zeros_like(ids)
            for r, e in enumerate(enc):
                ids[r, : len(e.ids)], types[r, : len(e.ids)] = e.ids, e.type_ids
                mask[r, : len(e.ids)] = 1
            feeds = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self.inputs:
                feeds["token_type_ids"] = types
            (logits,) = self.session.run(["logits"], feeds)
            z = np.exp(logits - logits.max(axis=1, keepdims=True))
            probs = z / z.sum(axis=1, keepdims=True)
            for pair, row in zip(batch, probs, strict=True):
                self.cache[pair] = float(row[0] + row[1])
            self.pairs += len(batch)
        return [max(self.cache[(claim, x)] for x in group) for group in sentences]


NLI: NLIRelevance | None = None


def _minmax(values: dict[int, float]) -> dict[int, float]:
    if not values:
        return {}
    lo, hi = min(values.values()), max(values.values())
    span = hi - lo or 1.0
    return {i: (v - lo) / span for i, v in values.items()}


def run_variant(
    variant: Variant,
    docs: list[CorpusDoc],
    queries: list[str],
    gold: list[list[str]],
    emb: Embedder,
) -> tuple[float, float, int]:
    chunks = [c for d in docs for view in variant.views for c in view(d)]
    dense_texts = [with_title(c, variant.title_dense) for c in chunks]
    lex_texts = [with_title(c, variant.title_lexical) for c in chunks]
    matrix = emb(dense_texts)
    qv = emb(queries)
    index = LexicalIndex.build("x", ((str(i), t, 0) for i, t in enumerate(lex_texts)))
    assert index.bm25 is not None
    if variant.bm25 != (1.5, 0.75):
        import bm25s

        index.bm25 = bm25s.BM25(k1=variant.bm25[0], b=variant.bm25[1])
        index.bm25.index([tokenize(t) for t in lex_texts], show_progress=False)
    ranked: list[list[str]] = []
    wd, wl = variant.weights
    for qi, q in enumerate(queries):
        query_vector = qv[qi]
        sims = matrix @ query_vector
        beta, m = variant.prf
        if beta and m:
            top = np.argsort(-sims)[:m]
            query_vector = query_vector + beta * matrix[top].mean(axis=0)
            query_vector /= np.linalg.norm(query_vector)
            sims = matrix @ query_vector
        dense = [int(i) for i in np.argsort(-sims, kind="stable")[:DEPTH]]
        if variant.query == "focus":
            ids = index.bm25.get_tokens_ids(focus_tokens(q))
            scores = np.asarray(index.bm25.get_scores_from_ids(ids), dtype=np.float32)
        else:
            scores = index.scores(q)
        lexical_hits = index.top(scores, DEPTH)
        lexical = [int(i) for i, _ in lexical_hits]
        fused: dict[int, float] = {}
        if variant.fusion == "score":
            d = _minmax({i: float(sims[i]) for i in dense})
            lx = _minmax({int(i): v for i, v in lexical_hits})
            for i in set(d) | set(lx):
                fused[i] = wd * d.get(i, 0.0) + wl * lx.get(i, 0.0)
        else:
            for weight, ranking in ((wd, dense), (wl, lexical)):
                for rank, i in enumerate(ranking, start=1):
                    fused[i] = fused.get(i, 0.0) + weight / (variant.rrf_k + rank)
        order = sorted(fused, key=lambda i: -fused[i])
        top_n, weight = variant.rerank
        if top_n and NLI is not None:
            head = order[:top_n]
            relevance = NLI.score(q, [chunks[i].text for i in head])
            base = _minmax({i: fused[i] for i in head})
            mixed = {
                i: weight * r + (1 - weight) * base[i] for i, r in zip(head, relevance, strict=True)
            }
            order = sorted(head, key=lambda i: -mixed[i]) + order[top_n:]
        if variant.agg:
            per_doc: dict[str, list[float]] = {}
            for i in order:
                per_doc.setdefault(chunks[i].doc, []).append(fused[i])
            doc_score = {doc: v[0] + variant.agg * sum(v[1:]) for doc, v in per_doc.items()}
            ranked.append(sorted(doc_score, key=lambda doc: -doc_score[doc])[:10])
        else:
            ranked.append(list(dict.fromkeys(chunks[i].doc for i in order))[:10])
    return mean_recall_at_k(ranked, gold, 5), mean_ndcg_at_k(ranked, gold, 10), len(chunks)


VARIANTS = {
    v.name: v
    for v in (
        Variant("base", (char_view(800, 120),)),
        Variant("title", (char_view(800, 120),), True, True),
        Variant("title-dense", (char_view(800, 120),), True, False),
        Variant("title-lexical", (char_view(800, 120),), False, True),
        Variant("c400", (char_view(400, 80),)),
        Variant("c400-title", (char_view(400, 80),), True, True),
        Variant("sent1-title", (sentence_view(1, 1),), True, True),
        Variant("sent2-title", (sentence_view(2, 1),), True, True),
        Variant("sent3-title", (sentence_view(3, 2),), True, True),
        Variant("whole-title", (whole_view,), True, True),
        Variant("multi-title", (char_view(800, 120), sentence_view(2, 1)), True, True),
        Variant("multi3-title", (whole_view, char_view(800, 120), sentence_view(2, 1)), True, True),
        Variant("title-w1.5d", (char_view(800, 120),), True, True, (1.5, 1.0)),
        Variant("title-w1.5l", (char_view(800, 120),), True, True, (1.0, 1.5)),
        Variant("title-k20", (char_view(800, 120),), True, True, rrf_k=20),
        Variant("title-focus", (char_view(800, 120),), True, True, query="focus"),
        Variant(
            "multi-title-focus",
            (char_view(800, 120), sentence_view(2, 1)),
            True,
            True,
            query="focus",
        ),
        Variant("title-score.5", (char_view(800, 120),), True, True, (0.5, 0.5), fusion="score"),
        Variant("title-score.6d", (char_view(800, 120),), True, True, (0.6, 0.4), fusion="score"),
        Variant("title-score.7d", (char_view(800, 120),), True, True, (0.7, 0.3), fusion="score"),
        Variant("title-prf.5x3", (char_view(800, 120),), True, True, prf=(0.5, 3)),
        Variant("title-prf.3x5", (char_view(800, 120),), True, True, prf=(0.3, 5)),
        Variant("title-agg.2", (char_view(800, 120),), True, True, agg=0.2),
        Variant("title-agg.5", (char_view(800, 120),), True, True, agg=0.5),
        Variant("title-bm25-1.2-.5", (char_view(800, 120),), True, True, bm25=(1.2, 0.5)),
        Variant("title-bm25-0.9-.4", (char_view(800, 120),), True, True, bm25=(0.9, 0.4)),
        Variant("title-bm25-2-.9", (char_view(800, 120),), True, True, bm25=(2.0, 0.9)),
        Variant(
            "title-score-nli10",
            (char_view(800, 120),),
            True,
            True,
            (0.6, 0.4),
            fusion="score",
            rerank=(10, 1.0),
        ),
        Variant(
            "title-score-nli10.5",
            (char_view(800, 120),),
            True,
            True,
            (0.6, 0.4),
            fusion="score",
            rerank=(10, 0.5),
        ),
        Variant(
            "title-score-nli20.5",
            (char_view(800, 120),),
            True,
            True,
            (0.6, 0.4),
            fusion="score",
            rerank=(20, 0.5),
        ),
        Variant("score.6d", (char_view(800, 120),), weights=(0.6, 0.4), fusion="score"),
        Variant("score.5", (char_view(800, 120),), weights=(0.5, 0.5), fusion="score"),
        Variant(
            "title-lexical-score.6d",
            (char_view(800, 120),),
            False,
            True,
            (0.6, 0.4),
            fusion="score",
        ),
        Variant(
            "title-dense-score.6d", (char_view(800, 120),), True, False, (0.6, 0.4), fusion="score"
        ),
        Variant("title-score.55", (char_view(800, 120),), True, True, (0.55, 0.45), fusion="score"),
        Variant("title-score.65", (char_view(800, 120),), True, True, (0.65, 0.35), fusion="score"),
        Variant(
            "title-score.6d-bm25-0.9-.4",
            (char_view(800, 120),),
            True,
            True,
            (0.6, 0.4),
            fusion="score",
            bm25=(0.9, 0.4),
        ),
        Variant(
            "multi3-title-score.6d",
            (whole_view, char_view(800, 120), sentence_view(2, 1)),
            True,
            True,
            (0.6, 0.4),
            fusion="score",
        ),
        Variant(
            "multi3-title-agg.2",
            (whole_view, char_view(800, 120), sentence_view(2, 1)),
            True,
            True,
            agg=0.2,
        ),
    )
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated variant names")
    parser.add_argument("--datasets", default="check-covid,climate-fever")
    parser.add_argument(
        "--split", default="dev", help="dev, or train (Check-COVID only) to check a tuned choice"
    )
    parser.add_argument(
        "--nli-model", type=Path, help="branch nli's nli-minilm-int8.onnx, for the *-nli* rows"
    )
    args = parser.parse_args()
    global NLI
    NLI = NLIRelevance(args.nli_model) if args.nli_model else None
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    names = args.only.split(",") if args.only else list(VARIANTS)
    print_header("retrieval variants (screening; exact cosine, harness metrics)")
    emb = Embedder()
    for dataset in args.datasets.split(","):
        docs = load_corpus(dataset)
        cases = [c for c in load_retrieval(dataset, args.split) if c.gold_doc_ids]
        queries = [c.claim for c in cases]
        gold = [list(c.gold_doc_ids) for c in cases]
        print(f"\n## {dataset} {args.split}: {len(cases)} queries, {len(docs)} documents")
        print(f"{'variant':<20}{'chunks':>7}{'R@5':>7}{'nDCG@10':>9}{'s':>6}")
        for name in names:
            t0 = time.perf_counter()
            r5, ndcg, n = run_variant(VARIANTS[name], docs, queries, gold, emb)
            print(
                f"{name:<20}{n:>7}{r5:7.3f}{ndcg:9.3f}{time.perf_counter() - t0:6.0f}", flush=True
            )
    print(f"\ntexts embedded now: {emb.computed}")
    print_footer()


if __name__ == "__main__":
    main()
