"""Training examples for the retrieval models: (claim, relevant passage, mined negatives).

Runs in the *product* venv (it uses the product's own chunking, stores and hybrid search), from
the repository root::

    nice -n 15 .venv/bin/python -m training.retrieval.data \\
        --out /work/retrieval-train/examples.jsonl

Sources (training splits only; never the splits the retrieval evals measure):

- Check-COVID **train** claims → the chunks of their gold abstracts that hold a gold rationale
  sentence, as the store chunks and titles them; negatives: the stock hybrid first stage's
  best-ranked chunks of other abstracts.
- Climate-FEVER dev half, the claims `factcheck.evals.splits` puts in `train` / `calibration`
  (the `heldback` 30% is what the eval measures) → their SUPPORTS/REFUTES sentences; negatives:
  the claim's own NOT_ENOUGH_INFO sentences (retrieved as related, judged not evidence), then
  the first stage's best-ranked non-gold sentences.
- FEVER RTE, COVID-Fact, SciFact, HealthVer dev (Supports/Refutes) pairs (`training.nli.data`)
  → the evidence text; negatives: the BM25-nearest evidence of another claim of the same source.
  FEVER-Symmetric dev claims and evidence sentences are removed, as for the NLI model.

Each line: {"query", "positive", "negatives": [...], "source", "key"}. A summary with the data
files' sha256 and counts is written beside it (`<out>.json`).
"""

from __future__ import annotations

import argparse
import json
import random
from collections import Counter
from pathlib import Path

from langchain_text_splitters import RecursiveCharacterTextSplitter

from factcheck.config import Settings
from factcheck.evals.corpora import CorpusStores, corpus_sources
from factcheck.evals.datasets import (
    RetrievalCase,
    load_retrieval,
    load_verification,
    shared_data_dir,
)
from factcheck.evals.runner import CACHE_DIR
from factcheck.evals.splits import climate_fever_key, split_of
from factcheck.files import sha256_file
from factcheck.retrieval.chunking import split_source
from factcheck.retrieval.embeddings import MiniLMEmbeddingFunction
from factcheck.retrieval.lexical import LexicalIndex
from training.nli.data import (
    TRAIN_FILES,
    DataReport,
    Pair,
    extra_source_pairs,
    fever_symmetric_filter,
)

NEGATIVES_PER_QUERY = 4
FIRST_STAGE_DEPTH = 30
EXTRA_CAPS = {"fever-dev-rte": 3000, "covidfact": 1000, "scifact": None, "healthver": 1500}
"""Queries kept per extra source (seeded sample): the in-domain sets must not be drowned."""


def _examples_from_store(
    cases: list[RetrievalCase],
    stores: CorpusStores,
    dataset: str,
    positives: dict[str, list[str]],
    own_negatives: dict[str, list[str]],
) -> list[dict[str, object]]:
    """One example per case with a positive: negatives are the case's own (Climate-FEVER NEI
    sentences) then the first stage's best-ranked passages outside the case's gold documents."""
    store = stores.store(dataset)
    ranked = store.search_many([c.claim for c in cases], k=FIRST_STAGE_DEPTH, mode="hybrid")
    out: list[dict[str, object]] = []
    for case, evidence in zip(cases, ranked, strict=True):
        gold = set(case.gold_doc_ids)
        pos = positives.get(case.id) or []
        if not pos:
            continue
        negatives = list(own_negatives.get(case.id, []))
        for ev in evidence:
            if ev.chunk.source_id in gold:
                continue
            text = passage_text(ev.chunk.text, ev.chunk.title, stores.settings.chunk_title)
            if text not in negatives and text not in pos:
                negatives.append(text)
        for text in pos:
            out.append(
                {
                    "query": case.claim,
                    "positive": text,
                    "negatives": negatives[:NEGATIVES_PER_QUERY],
                    "source": dataset,
                    "key": case.id,
                }
            )
    return out


def passage_text(text: str, title: str | None, titled: bool) -> str:
    """The passage as the store embeds it (after the title when chunks are titled)."""
    if titled and title and not text.startswith(title):
        return f"{title}. {text}"
    return text


def check_covid_examples(stores: CorpusStores) -> list[dict[str, object]]:
    """Check-COVID train: gold chunks (holding a rationale sentence) and mined negatives."""
    settings = stores.settings
    docs = stores.docs("check-covid")
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=settings.chunk_size, chunk_overlap=settings.chunk_overlap, add_start_index=True
    )
    chunks = {
        s.id: split_source(s, splitter, title=settings.chunk_title)
        for s in corpus_sources(list(docs.values()))
    }
    cases = [c for c in load_retrieval("check-covid", "train") if c.gold_doc_ids]
    positives: dict[str, list[str]] = {}
    for case in cases:
        texts: list[str] = []
        for sid in case.gold_sentence_ids:
            doc_id, _, index = sid.rpartition(":")
            doc = docs[doc_id]
            sentence = (doc.sentences or [doc.text])[int(index)] if index.isdigit() else doc.text
            best = max(chunks[doc_id], key=lambda ch: _overlap(ch.text, sentence))
            text = best.indexed_text
            if text not in texts:
                texts.append(text)
        positives[case.id] = texts
    return _examples_from_store(cases, stores, "check-covid", positives, {})


def _overlap(chunk: str, sentence: str) -> int:
    """How much of `sentence` a chunk holds: its full length when contained, else the longest
    of its prefix or suffix halves found in the chunk."""
    if sentence in chunk:
        return len(sentence)
    half = len(sentence) // 2
    return max(half if sentence[:half] in chunk else 0, half if sentence[half:] in chunk else 0)


def climate_fever_examples(stores: CorpusStores) -> list[dict[str, object]]:
    """Climate-FEVER train/calibration claims: gold sentences, NEI sentences as negatives."""
    docs = stores.docs("climate-fever")
    titled = stores.settings.chunk_title
    cases = [
        c
        for c in load_retrieval("climate-fever", "dev")
        if c.gold_doc_ids and split_of(climate_fever_key(c.id)) != "dev"
    ]
    text = {d.id: passage_text(d.text, d.title, titled) for d in docs.values()}
    positives = {c.id: [text[d] for d in c.gold_doc_ids] for c in cases}
    nei = {
        v.id: [text[e.id] for e in v.evidence if e.label == "NOT_ENOUGH_EVIDENCE"]
        for v in load_verification("climate-fever", "dev")
    }
    return _examples_from_store(cases, stores, "climate-fever", positives, nei)


def extra_examples(seed: int, report: DataReport) -> list[dict[str, object]]:
    """FEVER RTE, COVID-Fact, SciFact, HealthVer (not Neutral): BM25-mined negatives."""
    rng = random.Random(seed)
    pairs = [p for p in extra_source_pairs(shared_data_dir()) if p.label != "NOT_ENOUGH_EVIDENCE"]
    pairs = fever_symmetric_filter(pairs, report)
    by_source: dict[str, list[Pair]] = {}
    for p in pairs:
        by_source.setdefault(p.source, []).append(p)
    out: list[dict[str, object]] = []
    for source, items in sorted(by_source.items()):
        cap = EXTRA_CAPS.get(source)
        if cap is not None and len(items) > cap:
            items = rng.sample(items, cap)
        evidence = sorted({p.evidence for p in items})
        index = LexicalIndex.build(source, ((str(i), e, 0) for i, e in enumerate(evidence)))
        for p in items:
            hits = index.top(index.scores(p.claim), 8)
            negatives = [
                evidence[int(doc_id)]
                for doc_id, _score in hits
                if evidence[int(doc_id)] != p.evidence
            ]
            out.append(
                {
                    "query": p.claim,
                    "positive": p.evidence,
                    "negatives": negatives[:2],
                    "source": source,
                    "key": p.key,
                }
            )
    return out


def main() -> None:
    """Build the examples and their summary."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--cache-dir", type=Path, default=CACHE_DIR)
    args = ap.parse_args()
    settings = Settings()
    stores = CorpusStores(settings, MiniLMEmbeddingFunction(), args.cache_dir)
    report = DataReport()
    examples = [
        *check_covid_examples(stores),
        *climate_fever_examples(stores),
        *extra_examples(args.seed, report),
    ]
    random.Random(args.seed).shuffle(examples)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as fh:
        for ex in examples:
            fh.write(json.dumps(ex, ensure_ascii=False) + "\n")
    root = shared_data_dir()
    summary = {
        "seed": args.seed,
        "files_sha256": {f: sha256_file(root / f) for f in TRAIN_FILES},
        "examples_per_source": dict(Counter(str(e["source"]) for e in examples)),
        "queries_per_source": {
            s: len({e["key"] for e in examples if e["source"] == s})
            for s in sorted({str(e["source"]) for e in examples})
        },
        "negatives_per_example_mean": round(
            sum(len(e["negatives"]) for e in examples) / max(1, len(examples)), 2
        ),
        "fever_symmetric_overlap_removed": report.fever_symmetric_overlap,
        "first_stage": "stock MiniLM int8 + BM25, score fusion as the store's defaults",
        "examples_sha256": sha256_file(args.out),
    }
    args.out.with_suffix(".json").write_text(json.dumps(summary, indent=1) + "\n", "utf-8")
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
