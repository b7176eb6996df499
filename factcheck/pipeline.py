"""Batch orchestration: articles → claims → evidence → verdicts, concurrently and fault-isolated.

Articles are consumed from an iterator by a fixed pool of `concurrency` workers (memory stays
flat however long the batch); concurrent LLM calls are bounded by the `StructuredLLM`. A failure
on one article or claim becomes an `ErrorRecord` in the output and never stops the batch. The
same claim (by normalised text) met in several articles is retrieved and verified once per run.
"""

from __future__ import annotations

import asyncio
import logging
import time
import zlib
from collections.abc import AsyncIterator, Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from factcheck.errors import FactcheckError, InputError, RunStopped
from factcheck.extract import ExtractionOutcome, Extractor
from factcheck.models import (
    Article,
    ArticleRecord,
    Claim,
    ClaimResult,
    ErrorRecord,
    Evidence,
    ExcludedEvidence,
    ItemBlock,
    PriorCheck,
    Provenance,
    Record,
    RetrievalRecord,
    Usage,
)
from factcheck.retrieval.source_policy import (
    RetrievalSettings,
    evidence_age,
    not_independent,
    split_independent,
)
from factcheck.verify.base import ClaimVerifier
from factcheck.verify.trends import is_change_claim, series_matches_claim

log = logging.getLogger(__name__)

StopCheck = Callable[[], str | None]
TABLE_ROW_CANDIDATES = 5
"""Table rows looked at for a change claim whose top-k evidence holds none."""


def item_id_of(item: Article | InputError) -> str:
    """The stable id of an input item: the article id, or where an unreadable item came from."""
    return item.id if isinstance(item, Article) else (item.source or "input")


class Retriever(Protocol):
    """What the pipeline needs from the reference store. `where` and `tier_weights` are
    passed, and `publishers` called, only when a source policy asks for them."""

    def search(
        self,
        query: str,
        *,
        k: int,
        candidates: int,
        rrf_k: int,
        published_on_or_before: date | None = None,
        where: dict[str, Any] | None = None,
        tier_weights: Mapping[int, float] | None = None,
    ) -> list[Evidence]:
        """Top-k evidence for a query."""
        ...

    def fingerprint(self) -> str:
        """A hash identifying the collection's current contents."""
        ...

    def publishers(self) -> list[str]:
        """Distinct publisher names as stored."""
        ...


class PriorMatcher(Protocol):
    """Published fact checks (ClaimReviews) to match claims against."""

    threshold: float

    def match(self, text: str) -> list[PriorCheck]:
        """Fact checks of claims at least `threshold` similar to `text`, closest first."""
        ...


@dataclass
class RunStats:
    """Running counts for progress display and the summary line."""

    articles: int = 0
    claims: int = 0
    results: int = 0
    errors: int = 0
    deduplicated: int = 0
    skipped: int = 0
    stopped: str | None = None
    usage: Usage = field(default_factory=Usage)
    verdicts: dict[str, int] = field(default_factory=dict)

    def count(self, record: Record) -> None:
        """Update the counts with one output record."""
        if isinstance(record, ClaimResult):
            self.results += 1
            self.verdicts[record.verdict.value] = self.verdicts.get(record.verdict.value, 0) + 1
        else:
            self.errors += 1


class Pipeline:
    """Runs extraction, retrieval and verification over a stream of articles."""

    def __init__(
        self,
        extractor: Extractor,
        retriever: Retriever,
        verifier: ClaimVerifier,
        *,
        retrieval: RetrievalSettings,
        concurrency: int = 4,
        model: str = "unknown",
        model_params: dict[str, object] | None = None,
        embedder: str | None = None,
        collection: str | None = None,
        priors: PriorMatcher | None = None,
        tables: bool = False,
    ) -> None:
        self.extractor = extractor
        self.retriever = retriever
        self.verifier = verifier
        self.retrieval = retrieval
        self.concurrency = concurrency
        self.model = model
        self.model_params = dict(model_params or {})
        self.embedder = embedder
        self.collection = collection
        self.priors = priors
        self.tables = tables
        self.stats = RunStats()
        # Claims by de-duplication key: the task while it runs, then its result as compressed
        # JSON (~8x smaller than the live object), so a long run does not keep every result.
        self._by_claim: dict[str, asyncio.Task[ClaimResult] | bytes] = {}

    def prompt_hashes(self) -> dict[str, str]:
        """Hashes of the prompts this pipeline uses."""
        return {"extract": self.extractor.prompt_hash, "verify": self.verifier.prompt_hash}

    # --- public entry points ---------------------------------------------------------------

    async def run(
        self,
        items: Iterable[Article | InputError],
        *,
        skip: Collection[str] = frozenset(),
        should_stop: StopCheck | None = None,
    ) -> AsyncIterator[ItemBlock]:
        """Process every item; yields one block per item as it completes (not in input order).

        Items whose id is in `skip` (done in an earlier, interrupted run) are passed over. When
        `should_stop` returns a reason (e.g. a budget is spent), no new item is started; items
        in flight finish, and `stats.stopped` records the reason. `RunStopped` from a
        stage ends the run at once (items in flight are not written).
        """
        queue: asyncio.Queue[Article | InputError | None] = asyncio.Queue(self.concurrency * 2)
        out: asyncio.Queue[ItemBlock | RunStopped | None] = asyncio.Queue()
        workers = [asyncio.create_task(self._worker(queue, out)) for _ in range(self.concurrency)]
        feeder = asyncio.create_task(self._feed(items, queue, len(workers), skip, should_stop))
        finished = 0
        try:
            while finished < len(workers):
                block = await out.get()
                if block is None:
                    finished += 1
                    continue
                if isinstance(block, RunStopped):
                    raise block
                for record in block.records:
                    self.stats.count(record)
                yield block
            await feeder
        finally:
            for task in [feeder, *workers]:
                task.cancel()

    async def check_claims(self, claims: Iterable[Claim]) -> list[Record]:
        """Retrieve and verify given claims (no extraction), results in input order."""
        claims = list(claims)
        self.stats.claims += len(claims)
        pairs = await asyncio.gather(*(self._claim_record(c) for c in claims))
        records = [record for record, _ in pairs]
        for record in records:
            self.stats.count(record)
        return list(records)

    async def process(self, item: Article | InputError) -> ItemBlock:
        """One item's block: an unreadable input becomes its error record, an article goes
        through extraction, retrieval and verification (what `run` does per item; a pool of
        remote workers calls it directly). Raises only `RunStopped`."""
        if isinstance(item, InputError):
            error = ErrorRecord(
                item_id=item_id_of(item),
                stage="input",
                error=type(item).__name__,
                message=str(item),
            )
            return ItemBlock(error.item_id, [error])
        self.stats.articles += 1
        return await self._article_block(item)

    # --- internals ---------------------------------------------------------------------------

    async def _feed(
        self,
        items: Iterable[Article | InputError],
        queue: asyncio.Queue[Article | InputError | None],
        workers: int,
        skip: Collection[str],
        should_stop: StopCheck | None,
    ) -> None:
        try:
            for item in items:
                if item_id_of(item) in skip:
                    self.stats.skipped += 1
                    continue
                if should_stop is not None and (reason := should_stop()):
                    self.stats.stopped = reason
                    break
                await queue.put(item)
        finally:
            for _ in range(workers):
                await queue.put(None)

    async def _worker(
        self,
        queue: asyncio.Queue[Article | InputError | None],
        out: asyncio.Queue[ItemBlock | RunStopped | None],
    ) -> None:
        try:
            while (item := await queue.get()) is not None:
                await out.put(await self.process(item))
        except RunStopped as stop:  # ends the run; the article is redone on --resume
            await out.put(stop)
        finally:
            await out.put(None)

    async def _article_block(self, article: Article) -> ItemBlock:
        article_record = ArticleRecord.from_article(article)
        try:
            outcome = await self.extractor.extract(article)
        except Exception as exc:  # noqa: BLE001 - isolate any failure to this article
            log.warning("extraction failed for article %s: %s", article.id, exc)
            spent = _spent_by(exc)
            self.stats.usage.add(spent)
            error = _error(article.id, "extract", exc, article_id=article.id)
            return ItemBlock(article.id, [error], spent, article=article_record)
        if outcome.sentences:
            article_record.sentences = list(outcome.sentences)
        self.stats.claims += len(outcome.claims)
        self.stats.usage.add(outcome.usage)
        usage = outcome.usage.model_copy()
        records: list[Record] = [
            _error(f"{article.id}@{f.start}-{f.end}", "extract", f.error, article_id=article.id)
            for f in outcome.failed_windows
        ]
        for record, spent in await asyncio.gather(
            *(self._claim_record(c, outcome, article.publisher) for c in outcome.claims)
        ):
            records.append(record)
            usage.add(spent)
        return ItemBlock(article.id, records, usage, article=article_record)

    async def _claim_record(
        self,
        claim: Claim,
        outcome: ExtractionOutcome | None = None,
        publisher: str | None = None,
    ) -> tuple[Record, Usage]:
        """The record for one claim, and the LLM usage this call is accountable for (none for
        a claim already checked for another article). Occurrences share a verdict only when
        they also share the evidence rules: cutoff day and the names not independent of them."""
        own = self._own_names(claim, publisher)
        key = "|".join([claim.dedup_key, str(self.retrieval.cutoff(claim)[0]), *sorted(own)])
        seen = self._by_claim.get(key)
        owned = seen is None
        if seen is None:
            seen = asyncio.create_task(self._check(claim, outcome, own))
            self._by_claim[key] = seen
        else:
            self.stats.deduplicated += 1
        try:
            result = await seen if isinstance(seen, asyncio.Task) else _unpack(seen)
        except Exception as exc:  # noqa: BLE001 - isolate any failure to this claim
            stage = getattr(exc, "stage", "verify")
            cause = getattr(exc, "cause", exc)
            spent = _spent_by(cause) if owned else Usage()
            if owned:
                self.stats.usage.add(spent)
            return _error(claim.id, stage, cause, article_id=claim.article_id, claim=claim), spent
        if owned:
            self._by_claim[key] = _pack(result)  # later duplicates unpack it
            return result, result.provenance.usage
        # The same claim from another article: attach the shared verdict to this occurrence.
        copy_id = self.verifier.result_id(claim, result.evidence, result.provenance)
        return result.model_copy(update={"claim": claim, "id": copy_id}), Usage()

    def _own_names(self, claim: Claim, publisher: str | None) -> dict[str, str]:
        if not self.retrieval.exclude_own_sources:
            return {}
        return not_independent(claim.speaker, publisher)

    def _search(self, claim: Claim, record: RetrievalRecord, own: bool) -> list[Evidence]:
        """Retrieval under the source policy; over-fetches when own sources will be dropped."""
        r = self.retrieval
        return self.retriever.search(
            claim.text,
            k=min(2 * r.top_k, max(r.candidates, r.top_k)) if own else r.top_k,
            candidates=r.candidates,
            rrf_k=r.rrf_k,
            published_on_or_before=record.cutoff,
            **r.search_options(lambda: self.retriever.publishers()),
        )

    async def _check(
        self, claim: Claim, outcome: ExtractionOutcome | None, own: dict[str, str]
    ) -> ClaimResult:
        record = self.retrieval.record(claim, own, self.priors.threshold if self.priors else None)
        provenance = Provenance(
            model=self.model,
            model_params=self.model_params,
            prompt_hashes=self.prompt_hashes(),
            embedder=self.embedder,
            collection=self.collection,
            retrieval=record,
        )
        if outcome is not None:
            provenance.timings["extract_article"] = round(outcome.seconds, 4)
        started = time.perf_counter()
        try:
            priors = (
                await asyncio.to_thread(self.priors.match, claim.text, record.cutoff)
                if self.priors
                else []
            )
            found = await asyncio.to_thread(self._search, claim, record, bool(own))
            evidence, excluded = split_independent(found, own, self.retrieval.top_k)
            if self.tables and is_change_claim(claim.text):
                evidence, excluded = with_table_row(
                    self.retriever, self.retrieval, claim, record, own, evidence, excluded
                )
            provenance.collection_fingerprint = self.retriever.fingerprint()
        except Exception as exc:
            raise _StageError("retrieve", exc) from exc
        provenance.timings["retrieve"] = round(time.perf_counter() - started, 4)
        try:
            result = await self.verifier.verify(claim, evidence, provenance)
        except Exception as exc:
            raise _StageError("verify", exc) from exc
        self.stats.usage.add(result.provenance.usage)
        made = result.provenance.created_at
        day = record.cutoff or (made.date() if made else date.today())
        age = evidence_age(result.citations, day)
        limit = self.retrieval.max_evidence_age_days
        return result.model_copy(
            update={
                "excluded_evidence": excluded,
                "prior_checks": priors,
                "evidence_age_days": age,
                "stale_evidence": bool(limit and age is not None and age > limit),
            }
        )


def with_table_row(
    retriever: Retriever,
    retrieval: RetrievalSettings,
    claim: Claim,
    record: RetrievalRecord,
    own: dict[str, str],
    evidence: list[Evidence],
    excluded: list[ExcludedEvidence],
) -> tuple[list[Evidence], list[ExcludedEvidence]]:
    """`evidence` and `excluded`, with a statistics-table row added for a claim about a change
    when none made the top k (prose crowds out short rows): the best row under the same source
    policy, so the verifier can compute the trend from its series (`verify.trends`). Only a row
    of a series the claim names is added (`series_matches_claim`)."""
    if any(e.chunk.series_id for e in evidence):
        return evidence, excluded
    options = retrieval.search_options(retriever.publishers)
    policy = options.pop("where", None)
    where = {"$and": [{"table": True}, policy]} if policy else {"table": True}
    hits = retriever.search(
        claim.text,
        k=TABLE_ROW_CANDIDATES,
        candidates=retrieval.candidates,
        rrf_k=retrieval.rrf_k,
        published_on_or_before=record.cutoff,
        where=where,
        **options,
    )
    on_topic = [e for e in hits if series_matches_claim(e.chunk.series or "", claim.text)]
    rows, left_out = split_independent(on_topic, own, 1)
    added = [e.model_copy(update={"number": len(evidence) + 1}) for e in rows]
    return [*evidence, *added], [*excluded, *left_out]


def _pack(result: ClaimResult) -> bytes:
    """A finished result, compressed for the de-duplication map."""
    return zlib.compress(result.model_dump_json().encode("utf-8"), 1)


def _unpack(packed: bytes) -> ClaimResult:
    """The result `_pack` stored."""
    return ClaimResult.model_validate_json(zlib.decompress(packed))


def _spent_by(exc: BaseException) -> Usage:
    """Usage a failed LLM call reported on its exception (see `LLMError.usage`)."""
    usage = getattr(exc, "usage", None)
    return usage if isinstance(usage, Usage) else Usage()


class _StageError(Exception):
    """Carries which stage failed, for the error record."""

    def __init__(self, stage: str, cause: Exception) -> None:
        super().__init__(str(cause))
        self.stage = stage
        self.cause = cause


def _error(
    item_id: str,
    stage: str,
    exc: BaseException,
    *,
    article_id: str | None = None,
    claim: Claim | None = None,
) -> ErrorRecord:
    kind = type(exc).__name__
    message = str(exc) if isinstance(exc, FactcheckError) else f"{kind}: {exc}"
    return ErrorRecord(
        item_id=item_id,
        stage=stage,
        error=kind,
        message=message,  # type: ignore[arg-type]
        article_id=article_id,
        claim=claim,
    )
