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
from collections.abc import AsyncIterator, Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from factcheck.errors import FactcheckError, InputError
from factcheck.extract import ClaimExtractor, ExtractionOutcome
from factcheck.models import (
    Article,
    Claim,
    ClaimResult,
    ErrorRecord,
    Evidence,
    Provenance,
    Usage,
)
from factcheck.verify import ClaimVerifier

log = logging.getLogger(__name__)

Record = ClaimResult | ErrorRecord
StopCheck = Callable[[], str | None]


@dataclass(frozen=True)
class ItemBlock:
    """Everything one input item (an article, or an unreadable input) produced.

    Blocks are the unit of durability: a run file holds whole blocks, each closed by a marker,
    so a resumed run knows exactly which items are done.
    """

    item_id: str
    records: list[Record]
    usage: Usage = field(default_factory=Usage)


def item_id_of(item: Article | InputError) -> str:
    """The stable id of an input item: the article id, or where an unreadable item came from."""
    return item.id if isinstance(item, Article) else (item.source or "input")


class Retriever(Protocol):
    """What the pipeline needs from the reference store."""

    def search(
        self,
        query: str,
        *,
        k: int,
        candidates: int,
        rrf_k: int,
        published_on_or_before: date | None = None,
    ) -> list[Evidence]:
        """Top-k evidence for a query."""
        ...

    def fingerprint(self) -> str:
        """A hash identifying the collection's current contents."""
        ...


@dataclass(frozen=True)
class RetrievalSettings:
    """How evidence is fetched for a claim."""

    top_k: int = 6
    candidates: int = 30
    rrf_k: int = 60
    evidence_before_claim_date: bool = False


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
        extractor: ClaimExtractor,
        retriever: Retriever,
        verifier: ClaimVerifier,
        *,
        retrieval: RetrievalSettings | None = None,
        concurrency: int = 4,
        model: str = "unknown",
        model_params: dict[str, object] | None = None,
        embedder: str | None = None,
        collection: str | None = None,
    ) -> None:
        self.extractor = extractor
        self.retriever = retriever
        self.verifier = verifier
        self.retrieval = retrieval or RetrievalSettings()
        self.concurrency = concurrency
        self.model = model
        self.model_params = dict(model_params or {})
        self.embedder = embedder
        self.collection = collection
        self.stats = RunStats()
        self._by_claim: dict[str, asyncio.Task[ClaimResult]] = {}

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
        in flight finish, and `stats.stopped` records the reason.
        """
        queue: asyncio.Queue[Article | InputError | None] = asyncio.Queue(self.concurrency * 2)
        out: asyncio.Queue[ItemBlock | None] = asyncio.Queue()
        workers = [asyncio.create_task(self._worker(queue, out)) for _ in range(self.concurrency)]
        feeder = asyncio.create_task(self._feed(items, queue, len(workers), skip, should_stop))
        finished = 0
        try:
            while finished < len(workers):
                block = await out.get()
                if block is None:
                    finished += 1
                    continue
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
        records = [r for r, _ in await asyncio.gather(*(self._claim_record(c) for c in claims))]
        for record in records:
            self.stats.count(record)
        return list(records)

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
        out: asyncio.Queue[ItemBlock | None],
    ) -> None:
        try:
            while (item := await queue.get()) is not None:
                if isinstance(item, InputError):
                    error = ErrorRecord(
                        item_id=item_id_of(item),
                        stage="input",
                        error=type(item).__name__,
                        message=str(item),
                    )
                    await out.put(ItemBlock(error.item_id, [error]))
                    continue
                self.stats.articles += 1
                await out.put(await self._article_block(item))
        finally:
            await out.put(None)

    async def _article_block(self, article: Article) -> ItemBlock:
        try:
            outcome = await self.extractor.extract(article)
        except Exception as exc:  # noqa: BLE001 - isolate any failure to this article
            log.warning("extraction failed for article %s: %s", article.id, exc)
            return ItemBlock(
                article.id, [_error(article.id, "extract", exc, article_id=article.id)]
            )
        self.stats.claims += len(outcome.claims)
        self.stats.usage.add(outcome.usage)
        usage = outcome.usage.model_copy()
        records = []
        for record, owned in await asyncio.gather(
            *(self._claim_record(c, outcome) for c in outcome.claims)
        ):
            records.append(record)
            if owned and isinstance(record, ClaimResult):
                usage.add(record.provenance.usage)
        return ItemBlock(article.id, records, usage)

    async def _claim_record(
        self, claim: Claim, outcome: ExtractionOutcome | None = None
    ) -> tuple[Record, bool]:
        """The record for one claim, and whether this call did the work (False for a claim
        already checked for another article)."""
        key = claim.dedup_key
        task = self._by_claim.get(key)
        owned = task is None
        if task is None:
            task = asyncio.create_task(self._check(claim, outcome))
            self._by_claim[key] = task
        else:
            self.stats.deduplicated += 1
        try:
            result = await task
        except Exception as exc:  # noqa: BLE001 - isolate any failure to this claim
            stage = getattr(exc, "stage", "verify")
            cause = getattr(exc, "cause", exc)
            return _error(claim.id, stage, cause, article_id=claim.article_id, claim=claim), owned
        if owned:
            return result, owned
        # The same claim from another article: attach the shared verdict to this occurrence.
        copy_id = self.verifier.result_id(claim, result.evidence, result.provenance)
        return result.model_copy(update={"claim": claim, "id": copy_id}), owned

    async def _check(self, claim: Claim, outcome: ExtractionOutcome | None) -> ClaimResult:
        provenance = Provenance(
            model=self.model,
            model_params=self.model_params,
            prompt_hashes=self.prompt_hashes(),
            embedder=self.embedder,
            collection=self.collection,
        )
        if outcome is not None:
            provenance.timings["extract_article"] = round(outcome.seconds, 4)
        started = time.perf_counter()
        try:
            cutoff = claim.claim_date if self.retrieval.evidence_before_claim_date else None
            evidence = await asyncio.to_thread(
                self.retriever.search,
                claim.text,
                k=self.retrieval.top_k,
                candidates=self.retrieval.candidates,
                rrf_k=self.retrieval.rrf_k,
                published_on_or_before=cutoff,
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
        return result


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
