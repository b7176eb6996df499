"""`factcheck run --batch-api`: the pipeline's LLM calls grouped into OpenAI batches.

`BatchingLLM` is a `StructuredLLM` whose `ask` does not call the model: it queues the request
and waits. When no new request has arrived for `idle` seconds (every article in flight is
waiting on the model), the queue goes out as one batch through `run_batch_stage`. So the
pipeline keeps its one code path and its stages fall into batches by themselves: all
extraction windows of the articles in flight, then all their verifications.

Each batch's state file is named after the set of requests in it, and request ids are content
hashes: a restarted run (`--resume`) that reaches the same requests resumes polling the same
batch (or re-reads a finished one at no cost) instead of submitting it again. A batch still
running when polling gives up interrupts the run (`RunInterrupted`): no error records are
written, and the next `--resume` picks it up.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from factcheck.errors import RunInterrupted
from factcheck.llm.batch.api import (
    MAX_REQUESTS,
    BatchPending,
    BatchReport,
    BatchRequest,
    PollSettings,
    run_batch_stage,
)
from factcheck.llm.structured import (
    Messages,
    StructuredLLM,
    StructuredReply,
    Validator,
)

if TYPE_CHECKING:
    from openai import AsyncOpenAI

log = logging.getLogger(__name__)


@dataclass
class _Waiting:
    request: BatchRequest
    future: asyncio.Future[StructuredReply]


@dataclass
class BatchingStats:
    """What the batches did, for the run's summary line."""

    batches: int = 0
    from_batch: int = 0
    fallback: int = 0
    failed: int = 0


class BatchingLLM(StructuredLLM):
    """Queues `ask` calls and sends them as OpenAI batches; `live` makes the fallback calls."""

    def __init__(
        self,
        live: StructuredLLM,
        client: Any,
        state_dir: Path,
        *,
        idle: float = 1.0,
        poll: PollSettings | None = None,
    ) -> None:
        super().__init__(live.chat_model, **live.configuration())
        self.live = live
        self.totals = live.totals  # one running total: batch replies and live fallbacks
        self.client = client
        self.state_dir = state_dir
        self.idle = idle
        self.poll = poll
        self.stats = BatchingStats()
        self._queue: list[_Waiting] = []
        self._flusher: asyncio.Task[None] | None = None

    async def ask(
        self,
        messages: Messages,
        schema: type[Any],
        *,
        validate: Validator | None = None,
        on_exhausted: Any = None,
    ) -> StructuredReply:
        """Queue the request for the next batch and wait for its reply (or its error)."""
        request = BatchRequest(
            request_id(messages, schema), messages, schema, validate, on_exhausted
        )
        future: asyncio.Future[StructuredReply] = asyncio.get_running_loop().create_future()
        self._queue.append(_Waiting(request, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_when_idle())
        return await future

    async def aclose(self) -> None:
        """Stop the flusher (requests still queued are failed with `RunInterrupted`)."""
        if self._flusher is not None:
            self._flusher.cancel()
        self._fail(self._queue, RunInterrupted("the run was closed before its batch was sent"))
        self._queue = []

    async def _flush_when_idle(self) -> None:
        while self._queue:
            seen = -1
            while seen != len(self._queue):
                seen = len(self._queue)
                await asyncio.sleep(self.idle)
            waiting, self._queue = self._queue[:MAX_REQUESTS], self._queue[MAX_REQUESTS:]
            await self._send(waiting)

    async def _send(self, waiting: list[_Waiting]) -> None:
        by_id: dict[str, list[_Waiting]] = {}
        for item in waiting:  # identical requests (same claim twice) share one batch line
            by_id.setdefault(item.request.custom_id, []).append(item)
        requests = [items[0].request for items in by_id.values()]
        report = BatchReport()
        state = self.state_dir / f"batch-{set_id(by_id)}.json"
        try:
            results = await run_batch_stage(
                requests, self.live, self.client, state, poll=self.poll, report=report
            )
        except BatchPending as exc:
            self._fail(waiting, RunInterrupted(f"{exc}: `factcheck run --resume` continues it"))
            return
        except Exception as exc:  # noqa: BLE001 - every waiting call gets the error
            self._fail(waiting, exc)
            return
        self._count(report)
        for custom_id, items in by_id.items():
            outcome = results[custom_id]
            if isinstance(outcome, StructuredReply) and outcome.usage.batch_calls:
                self.totals.add(outcome.usage)  # live fallbacks counted themselves
            for item in items:
                if item.future.done():
                    continue
                if isinstance(outcome, Exception):
                    item.future.set_exception(outcome)
                else:
                    item.future.set_result(outcome)

    def _count(self, report: BatchReport) -> None:
        self.stats.batches += 1
        self.stats.from_batch += report.from_batch
        self.stats.fallback += sum(report.fallback.values())
        self.stats.failed += report.failed
        log.info(
            "batch %s %s: %d replies from the batch, %d live fallbacks (%s), %d failed",
            report.batch_id,
            report.status,
            report.from_batch,
            sum(report.fallback.values()),
            dict(report.fallback),
            report.failed,
        )

    @staticmethod
    def _fail(waiting: list[_Waiting], error: BaseException) -> None:
        for item in waiting:
            if not item.future.done():
                item.future.set_exception(error)


def request_id(messages: Messages, schema: type[Any]) -> str:
    """A content hash of one request: the same request gets the same id in every run."""
    text = json.dumps([schema.__name__, list(map(list, messages))], ensure_ascii=False)
    return "r-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def set_id(ids: Any) -> str:
    """A hash of a set of request ids (names a batch's state file)."""
    return hashlib.sha256("\n".join(sorted(ids)).encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class BatchMode:
    """`factcheck run --batch-api`: articles in flight per round of batches, and polling."""

    window: int = 1000
    idle: float = 1.0
    poll: PollSettings = field(default_factory=PollSettings)


def batching_llm(
    live: StructuredLLM, client: AsyncOpenAI, state_dir: Path, mode: BatchMode
) -> BatchingLLM:
    """A `BatchingLLM` that sends `live`'s requests through `client`'s Batch API (failed
    lines fall back to `live`); batch state is kept in `state_dir` for `--resume`."""
    return BatchingLLM(live, client, state_dir, idle=mode.idle, poll=mode.poll)
