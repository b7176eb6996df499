"""One function per stage: run the pipeline's own code on one case and record the outcome.

* verification — the case's evidence becomes numbered `Evidence` and goes to `LLMVerifier.verify`;
* retrieval — `ReferenceStore.search_many` over the dataset's corpus, dense / BM25 / hybrid;
* e2e — a `Pipeline` over the corpus store retrieves and verifies the claim (`check_claims`);
* extraction — `ClaimExtractor.extract` on the document; claims matched to the gold by cosine;
* checkworthiness — the extractor on the sentence alone (no threshold): the sentence's score
  is the highest check-worthiness of the claims extracted from it, 0 when there are none.

A case whose pipeline call raises is recorded with `pred = "ERROR"` and the error, never
dropped: it counts as wrong.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace

from factcheck.app import App
from factcheck.evals.corpora import CorpusStores
from factcheck.evals.datasets import (
    CheckWorthinessCase,
    CorpusDoc,
    ExtractionCase,
    RetrievalCase,
    VerificationCase,
    dataset_slug,
)
from factcheck.evals.matching import Embed, cosine_matrix, greedy_matches
from factcheck.evals.records import ERROR_LABEL, RERANKED, CaseRecord, CaseUsage, ExtractionDetail
from factcheck.evals.suites import STAGE_PROMPTS, Task
from factcheck.extract import ClaimExtractor, OfflineExtractor
from factcheck.io.claims import plain_claim
from factcheck.llm.cache import CacheTally, count_hits
from factcheck.models import (
    Article,
    ClaimResult,
    Evidence,
    Provenance,
    SourceChunk,
    Usage,
)
from factcheck.pipeline import Pipeline

SEARCH_MODES = ("dense", "lexical", "hybrid")
RETRIEVAL_DEPTH = 100
"""Chunks taken from each ranking per query in the retrieval stage (documents are ranked by
their best chunk, so deep lists are needed to rank 10 documents)."""
RANKED_DOCS_KEPT = 10
"""Ranked document ids recorded per query and mode (enough for recall@10, nDCG@10, MRR@10)."""
RETRIEVAL_BATCH = 32
CITABLE = ("SUPPORTED", "REFUTED", "CONFLICTING")
"""Gold labels whose gold evidence ids are the rationale (citations are scored on these)."""


@dataclass
class EvalContext:
    """The configured parts the stages run on."""

    app: App
    corpora: CorpusStores
    embed: Embed
    max_cases_in_flight: int = 8


def _provenance(app: App) -> Provenance:
    pipeline = app.pipeline
    return Provenance(model=pipeline.model, model_params=pipeline.model_params)


def _case_usage(usage: Usage, tally: CacheTally) -> CaseUsage:
    return CaseUsage(
        calls=usage.calls,
        cache_hits=tally.hits,
        prompt_tokens=usage.prompt_tokens,
        completion_tokens=usage.completion_tokens,
        cached_prompt_tokens=tally.hit_prompt_tokens,
        cached_completion_tokens=tally.hit_completion_tokens,
        reasks=usage.reasks,
    )


def _base(ctx: EvalContext, task: Task, case_id: str, text: str | None) -> CaseRecord:
    hashes = {s: ctx.app.prompts.get(s).hash for s in STAGE_PROMPTS[task.stage]}
    return CaseRecord(
        task=task.name,
        stage=task.stage,
        dataset=task.dataset,
        case_id=case_id,
        text=text if task.committed_text else None,
        prompt_hashes=hashes,
    )


async def _guarded(
    record: CaseRecord, work: Callable[[CaseRecord, CacheTally], Awaitable[None]]
) -> CaseRecord:
    """Run `work` on the record with hit counting and timing; failures become error records."""
    tally = CacheTally()
    started = time.perf_counter()
    with count_hits(tally):
        try:
            await work(record, tally)
        except Exception as exc:  # noqa: BLE001 - one failing case must not stop the suite
            record.pred, record.correct = ERROR_LABEL, False
            record.error = f"{type(exc).__name__}: {exc}"[:500]
            record.usage.cache_hits = tally.hits
    record.seconds = round(time.perf_counter() - started, 4)
    return record


def _fill_verdict(record: CaseRecord, result: ClaimResult, tally: CacheTally) -> None:
    record.pred = result.verdict.value
    record.confidence = result.confidence
    record.correct = record.pred == record.gold
    record.citations = len(result.citations)
    record.rejected_citations = len(result.rejected_citations)
    record.usage = _case_usage(result.provenance.usage, tally)


# --- verification given evidence -------------------------------------------------------------


def evidence_for(case: VerificationCase) -> list[Evidence]:
    """The case's evidence items as numbered evidence (chunk id = citable evidence id)."""
    return [
        Evidence(
            number=n,
            chunk=SourceChunk(
                id=item.id,
                source_id=item.id,
                text=item.text,
                start=0,
                end=len(item.text),
                title=item.title,
                url=item.url,
            ),
            score=1.0,
        )
        for n, item in enumerate(case.evidence, start=1)
    ]


async def verification_case(ctx: EvalContext, task: Task, case: VerificationCase) -> CaseRecord:
    """Verify the claim against the case's own evidence."""
    record = _base(ctx, task, case.id, case.claim)
    record.gold = case.label
    record.gold_ids = list(case.gold_evidence_ids) if case.label in CITABLE else []

    async def work(rec: CaseRecord, tally: CacheTally) -> None:
        verifier = ctx.app.pipeline.verifier
        result = await verifier.verify(
            plain_claim(case.claim, article_id=case.id), evidence_for(case), _provenance(ctx.app)
        )
        _fill_verdict(rec, result, tally)
        rec.cited_ids = [c.chunk_id for c in result.citations]

    return await _guarded(record, work)


# --- retrieval -------------------------------------------------------------------------------


def ranked_docs(evidence: Sequence[Evidence], keep: int = RANKED_DOCS_KEPT) -> list[str]:
    """Source (document) ids in order of their best chunk."""
    return list(dict.fromkeys(e.chunk.source_id for e in evidence))[:keep]


def retrieval_cases(
    ctx: EvalContext, task: Task, cases: Sequence[RetrievalCase]
) -> list[CaseRecord]:
    """Rank the corpus for every case in each search mode (batched, no LLM)."""
    store = ctx.corpora.store(task.dataset)
    records = []
    for case in cases:
        record = _base(ctx, task, case.id, case.claim)
        record.gold, record.gold_docs = case.label, list(case.gold_doc_ids)
        record.scorable = bool(case.gold_doc_ids)
        records.append(record)
    # Cases without gold documents cannot be scored: they are recorded but not searched.
    searched = [(c, r) for c, r in zip(cases, records, strict=True) if c.gold_doc_ids]
    for start in range(0, len(searched), RETRIEVAL_BATCH):
        batch = [c for c, _ in searched[start : start + RETRIEVAL_BATCH]]
        batch_records = [r for _, r in searched[start : start + RETRIEVAL_BATCH]]
        began = time.perf_counter()
        modes = [*SEARCH_MODES, RERANKED] if store.reranker else SEARCH_MODES
        for mode in modes:
            results = store.search_many(
                [c.claim for c in batch],
                k=RETRIEVAL_DEPTH,
                candidates=RETRIEVAL_DEPTH,
                rrf_k=ctx.app.settings.rrf_k,
                mode="hybrid" if mode == RERANKED else mode,  # type: ignore[arg-type]
                rerank=mode == RERANKED,
            )
            for record, evidence in zip(batch_records, results, strict=True):
                record.retrieved[mode] = ranked_docs(evidence)
        per_case = (time.perf_counter() - began) / len(batch)
        for record in batch_records:
            record.seconds = round(per_case, 4)
    return records


# --- end to end --------------------------------------------------------------------------------


def sentence_ids_of(doc: CorpusDoc, start: int, end: int) -> list[str]:
    """Citable ids of the document's sentences overlapping the span [start, end)."""
    if doc.sentences is None:
        return [doc.id]
    out, cursor = [], 0
    for i, sentence in enumerate(doc.sentences):
        s_end = cursor + len(sentence)
        if cursor < end and start < s_end:
            out.append(f"{doc.id}:{i}")
        cursor = s_end + 1  # sentences are joined with one space
    return out


def cited_sentence_ids(result: ClaimResult, docs: dict[str, CorpusDoc]) -> list[str]:
    """Map each validated citation (a verbatim quote of a chunk) to corpus sentence ids."""
    chunks = {e.chunk.id: e.chunk for e in result.evidence}
    out: list[str] = []
    for citation in result.citations:
        chunk = chunks.get(citation.chunk_id)
        doc = docs.get(chunk.source_id) if chunk else None
        if chunk is None or doc is None:
            continue
        offset = max(0, chunk.text.find(citation.quote))
        start = chunk.start + offset
        out.extend(sentence_ids_of(doc, start, start + len(citation.quote)))
    return list(dict.fromkeys(out))


async def e2e_case(ctx: EvalContext, task: Task, case: RetrievalCase) -> CaseRecord:
    """Retrieve from the corpus store and verify, through the pipeline's `check_claims`."""
    record = _base(ctx, task, case.id, case.claim)
    record.gold, record.scorable = case.label, case.label_scorable
    record.gold_docs = list(case.gold_doc_ids)
    record.gold_ids = list(case.gold_sentence_ids) if case.label in CITABLE else []

    async def work(rec: CaseRecord, tally: CacheTally) -> None:
        store = ctx.corpora.store(task.dataset)  # opened by run_task before the cases
        app = ctx.app
        pipeline = Pipeline(
            app.pipeline.extractor,
            store,
            app.pipeline.verifier,
            retrieval=app.pipeline.retrieval,
            concurrency=1,
            model=app.pipeline.model,
            model_params=app.pipeline.model_params,
            embedder=store.embedder_name,
            collection=f"eval-{dataset_slug(task.dataset)}",
        )
        (outcome,) = await pipeline.check_claims([plain_claim(case.claim, article_id=case.id)])
        if not isinstance(outcome, ClaimResult):
            raise RuntimeError(f"{outcome.stage}: {outcome.message}")
        _fill_verdict(rec, outcome, tally)
        rec.retrieved["shown"] = ranked_docs(outcome.evidence)
        rec.cited_ids = cited_sentence_ids(outcome, ctx.corpora.docs(task.dataset))

    return await _guarded(record, work)


# --- extraction ------------------------------------------------------------------------------


async def extraction_case(ctx: EvalContext, task: Task, case: ExtractionCase) -> CaseRecord:
    """Extract claims from the document and match them one to one with the gold claims."""
    record = _base(ctx, task, case.id, case.text[:300])

    async def work(rec: CaseRecord, tally: CacheTally) -> None:
        outcome = await ctx.app.pipeline.extractor.extract(Article(id=case.id, text=case.text))
        extracted = [c.text for c in outcome.claims]
        gold = [g.text for g in case.gold_claims]
        similarity = await asyncio.to_thread(cosine_matrix, ctx.embed, extracted, gold)
        matches = greedy_matches(similarity)
        anchored = len(outcome.claims) + outcome.below_threshold + outcome.duplicates
        rec.extraction = ExtractionDetail(
            emitted=len(extracted),
            extracted=extracted if task.committed_text else [],
            matches=matches,
            gold_total=len(gold),
            gold_checkworthy=sum(bool(g.checkworthy) for g in case.gold_claims),
            gold_matched=sum(bool(case.gold_claims[j].checkworthy) for _, j, _ in matches),
            extracted_matched=len(matches),
            proposed=anchored + len(outcome.rejected),
            anchored=anchored,
            repaired=outcome.repaired,
            below_threshold=outcome.below_threshold,
        )
        rec.usage = _case_usage(outcome.usage, tally)

    return await _guarded(record, work)


# --- check-worthiness ------------------------------------------------------------------------


async def checkworthiness_case(
    ctx: EvalContext, task: Task, case: CheckWorthinessCase
) -> CaseRecord:
    """Score the sentence by the extractor's check-worthiness of its claims (the sentence
    extractor: by the check-worthiness head's score of the sentence, no LLM call)."""
    record = _base(ctx, task, case.id, case.text)
    record.gold = "true" if case.checkworthy else "false"
    extractor = ctx.app.pipeline.extractor
    if isinstance(extractor, OfflineExtractor):
        scorer, cut = extractor.scorer, extractor.threshold

        async def score(rec: CaseRecord, tally: CacheTally) -> None:
            rec.score = (await asyncio.to_thread(scorer.score, [case.text]))[0].score
            rec.pred = "true" if rec.score >= cut else "false"
            rec.correct = rec.pred == rec.gold
            rec.usage = _case_usage(Usage(), tally)

        return await _guarded(record, score)
    threshold = extractor.settings.checkworthiness_threshold
    unfiltered = ClaimExtractor(
        ctx.app.llm, ctx.app.prompts, replace(extractor.settings, checkworthiness_threshold=0.0)
    )

    async def work(rec: CaseRecord, tally: CacheTally) -> None:
        outcome = await unfiltered.extract(Article(id=case.id, text=case.text))
        rec.score = max((c.checkworthiness for c in outcome.claims), default=0.0)
        rec.pred = "true" if rec.score >= threshold else "false"
        rec.correct = rec.pred == rec.gold
        rec.usage = _case_usage(outcome.usage, tally)

    return await _guarded(record, work)


CASE_RUNNERS: dict[str, Callable[[EvalContext, Task, object], Awaitable[CaseRecord]]] = {
    "verification": verification_case,  # type: ignore[dict-item]
    "e2e": e2e_case,  # type: ignore[dict-item]
    "extraction": extraction_case,  # type: ignore[dict-item]
    "checkworthiness": checkworthiness_case,  # type: ignore[dict-item]
}


async def run_task(ctx: EvalContext, task: Task, cases: Sequence[object]) -> list[CaseRecord]:
    """All cases of one task, in case order; at most `max_cases_in_flight` at a time."""
    if task.stage in ("retrieval", "e2e"):
        await asyncio.to_thread(ctx.corpora.store, task.dataset)  # build or open it once
    if task.stage == "retrieval":
        return await asyncio.to_thread(retrieval_cases, ctx, task, cases)  # type: ignore[arg-type]
    runner = CASE_RUNNERS[task.stage]
    slots = asyncio.Semaphore(ctx.max_cases_in_flight)

    async def one(case: object) -> CaseRecord:
        async with slots:
            return await runner(ctx, task, case)

    return list(await asyncio.gather(*(one(c) for c in cases)))
