"""Reviews back into evals: the newsroom's own reviewed claims as an eval dataset.

`review_dataset` turns the reviews of a review-desk database (`factcheck.review.store`) into a
dataset folder in the harness's schemas, which `factcheck eval STAGE --dataset DIR` scores like
any other:

* `verification-all.jsonl` — each reviewed claim with the evidence its verifier was shown; the
  gold label is the reviewer's verdict;
* `retrieval-all.jsonl` + `corpus.jsonl` — the same claims as end-to-end cases (retrieve, then
  verify) over a corpus of every passage shown for the reviewed claims, one document per
  passage; gold documents are the passages the machine cited when the reviewer kept its
  verdict. Each case keeps its article id in `meta`.

Gold evidence is the passages the machine cited, but only when the reviewer kept its verdict (a
changed verdict says nothing reliable about which passages support it).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from factcheck.evals.datasets import (
    CorpusDoc,
    EvidenceItem,
    MetaValue,
    RetrievalCase,
    VerificationCase,
    write_jsonl,
)
from factcheck.models import ClaimResult
from factcheck.review.store import Review, ReviewStore

DATASET = "reviews"
SPLIT = "all"
FILES = (f"verification-{SPLIT}.jsonl", f"retrieval-{SPLIT}.jsonl", "corpus.jsonl")


@dataclass(frozen=True)
class ReviewDataset:
    """The cases made from reviews."""

    verification: list[VerificationCase]
    e2e: list[RetrievalCase]
    corpus: list[CorpusDoc]
    skipped_no_evidence: int = 0


@dataclass(frozen=True)
class EvalExport:
    """What an export wrote."""

    path: Path
    cases: int
    e2e_cases: int
    corpus_docs: int
    skipped_no_evidence: int


def _meta(result: ClaimResult, review: Review) -> dict[str, MetaValue]:
    return {
        "result_id": result.id,
        "article_id": result.claim.article_id,
        "machine_verdict": result.verdict.value,
        "machine_confidence": result.confidence,
        "verifier": result.verifier,
        "model": result.provenance.model,
        "verify_prompt": result.provenance.prompt_hashes.get("verify"),
        "reviewer": review.reviewer,
        "reviewed_at": review.updated_at,
        "review_agrees": review.verdict == result.verdict,
        "ready_to_publish": review.ready_to_publish,
    }


def _gold_cited(result: ClaimResult, review: Review, shown: set[str]) -> list[str]:
    if review.verdict != result.verdict:
        return []
    return list(dict.fromkeys(c.chunk_id for c in result.citations if c.chunk_id in shown))


def eval_case(result: ClaimResult, review: Review) -> VerificationCase | None:
    """The verification case of one reviewed result (None when it was shown no evidence)."""
    items: dict[str, EvidenceItem] = {}
    for e in result.evidence:
        chunk = e.chunk
        items.setdefault(
            chunk.id,
            EvidenceItem(id=chunk.id, text=chunk.text, title=chunk.title, url=chunk.url),
        )
    if not items:
        return None
    return VerificationCase(
        id=f"{DATASET}:{result.id}",
        dataset=DATASET,
        claim=result.claim.text,
        label=review.verdict.value,
        source_label=review.verdict.value,
        evidence=list(items.values()),
        gold_evidence_ids=_gold_cited(result, review, set(items)),
        meta=_meta(result, review),
    )


def e2e_case(result: ClaimResult, review: Review) -> RetrievalCase:
    """The end-to-end case of one reviewed result: retrieve from the corpus of shown passages,
    then verify; gold = the reviewer's verdict."""
    gold = _gold_cited(result, review, {e.chunk.id for e in result.evidence})
    return RetrievalCase(
        id=f"{DATASET}:{result.id}",
        dataset=DATASET,
        claim=result.claim.text,
        label=review.verdict.value,
        source_label=review.verdict.value,
        gold_doc_ids=gold,
        gold_sentence_ids=gold,
        meta=_meta(result, review),
    )


def review_dataset(results: Iterable[ClaimResult], store: ReviewStore) -> ReviewDataset:
    """Every reviewed result of `results` as verification and end-to-end cases."""
    reviews = store.all()
    verification: list[VerificationCase] = []
    e2e: list[RetrievalCase] = []
    corpus: dict[str, CorpusDoc] = {}
    skipped = 0
    for result in results:
        review = reviews.get(result.id)
        if review is None:
            continue
        case = eval_case(result, review)
        if case is None:
            skipped += 1
            continue
        verification.append(case)
        e2e.append(e2e_case(result, review))
        for e in result.evidence:
            c = e.chunk
            corpus.setdefault(
                c.id,
                CorpusDoc(id=c.id, title=c.title, text=c.text, url=c.url, published=c.published),
            )
    return ReviewDataset(verification, e2e, list(corpus.values()), skipped)


def export_evals(
    results: Iterable[ClaimResult], store: ReviewStore, out: Path, *, force: bool = False
) -> EvalExport:
    """Write the reviews as a dataset folder `out` (see the module docstring). Refuses to
    overwrite any existing dataset file (a committed dataset included) unless `force`."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise FileExistsError(f"{out} exists and is not a folder")
    existing = [out / name for name in FILES if (out / name).exists()]
    if existing and not force:
        names = ", ".join(p.name for p in existing)
        raise FileExistsError(
            f"{out} already holds dataset files ({names}); pass --force to overwrite them"
        )
    data = review_dataset(results, store)
    write_jsonl(out / FILES[0], data.verification)
    write_jsonl(out / FILES[1], data.e2e)
    write_jsonl(out / FILES[2], data.corpus)
    return EvalExport(
        path=out,
        cases=len(data.verification),
        e2e_cases=len(data.e2e),
        corpus_docs=len(data.corpus),
        skipped_no_evidence=data.skipped_no_evidence,
    )
