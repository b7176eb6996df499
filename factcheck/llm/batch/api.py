"""OpenAI Batch API mode for one pipeline stage (about half the price, results within 24 h).

`run_batch_stage` takes every structured request of a stage (all extraction windows of a run,
or all verification calls), sends them as one batch and returns a reply or an exception per
`custom_id`; nothing is lost: an item whose batch line failed, is missing, or whose reply does
not parse and validate is re-done as a normal call through `StructuredLLM.ask` (which owns
re-asks; the SDK owns transport retries).

Request bodies are exactly what `ChatOpenAI` would send: the same structured-output runnable
`StructuredLLM` uses is invoked against an in-process transport that captures the HTTP request
and aborts it. So LangChain builds the payload (`with_structured_output` → tools/tool_choice or
response_format) and the SDK serialises it (pydantic → strict JSON schema), with no private API
and no copy of their logic to drift. Batch replies are parsed the same way in reverse: the
output body is replayed through that runnable, so parsing and validation are the live ones.

State (batch id, input file id, `custom_id` → request hash) is written to `state_path` after
each step, so a restarted process resumes polling the same batch instead of resubmitting.

Wiring, per stage (`extractor.messages(...)`/`verifier.messages(...)` stand for the prompt
rendering that `ClaimExtractor._ask`/`LLMVerifier.verify` do today; they need a public hook)::

    client = openai.AsyncOpenAI()  # key from the environment
    requests = [
        BatchRequest(f"x-{article.id}-{i}", extractor.messages(article, w), ExtractionReply)
        for article in articles
        for i, w in enumerate(make_windows(article.text, size, context))
    ]
    replies = await run_batch_stage(requests, llm, client, run_dir / "batch-extract.json")
    # ... anchor claims from replies[custom_id].value; then one batch for verification:
    requests = [BatchRequest(f"v-{c.id}", verifier.messages(c, shown[c.id]), VerificationReply,
                             validate=..., on_exhausted=...) for c in claims]
    verdicts = await run_batch_stage(requests, llm, client, run_dir / "batch-verify.json")
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib
import io
import json
import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from pydantic import BaseModel, ValidationError

from factcheck.errors import ConfigError, FactcheckError
from factcheck.llm.structured import (
    Messages,
    StructuredLLM,
    StructuredReply,
    Validator,
    to_lc_messages,
)

log = logging.getLogger(__name__)

ENDPOINT = "/v1/chat/completions"
MAX_REQUESTS = 50_000
MAX_BYTES = 200 * 1024 * 1024
TERMINAL = {"completed", "failed", "expired", "cancelled"}
_REPLAY_BODY: ContextVar[dict[str, Any] | None] = ContextVar("factcheck_replay", default=None)


class BatchPending(FactcheckError):
    """The batch was still running when polling gave up; run again to resume it."""

    def __init__(self, batch_id: str, status: str) -> None:
        super().__init__(f"batch {batch_id} still {status}; run again to resume polling it")
        self.batch_id = batch_id
        self.status = status


@dataclass(frozen=True)
class BatchRequest:
    """One structured call of a stage, as `StructuredLLM.ask` would make it."""

    custom_id: str
    messages: Messages
    schema: type[BaseModel]
    validate: Validator | None = None
    on_exhausted: Callable[[Any], Any] | None = None


@dataclass(frozen=True)
class PollSettings:
    """Polling: wait `initial` seconds, then `factor` times longer each time, up to `maximum`;
    give up (raising `BatchPending`, state kept) after `deadline` seconds."""

    initial: float = 5.0
    factor: float = 1.5
    maximum: float = 60.0
    deadline: float = 25 * 3600.0


@dataclass
class BatchReport:
    """What happened to a stage: where each reply came from."""

    batch_id: str | None = None
    status: str | None = None
    resumed: bool = False
    submitted: int = 0
    from_batch: int = 0
    fallback: Counter[str] = field(default_factory=Counter)
    failed: int = 0


class BatchLineResponse(BaseModel):
    """`response` of an output line: the HTTP status and body of one request."""

    status_code: int
    request_id: str | None = None
    body: dict[str, Any] | None = None


class BatchLineError(BaseModel):
    """`error` of an output line, for requests that failed without an HTTP response."""

    code: str | None = None
    message: str | None = None


class BatchOutputLine(BaseModel):
    """One line of a batch output or error file (OpenAPI `BatchRequestOutput`; the SDK ships
    no type for it)."""

    id: str | None = None
    custom_id: str
    response: BatchLineResponse | None = None
    error: BatchLineError | None = None


async def run_batch_stage(
    requests: Sequence[BatchRequest],
    llm: StructuredLLM,
    client: Any,
    state_path: Path,
    *,
    poll: PollSettings | None = None,
    report: BatchReport | None = None,
) -> dict[str, StructuredReply | Exception]:
    """Run `requests` as one batch on `client` (an `openai.AsyncOpenAI`); one entry per
    `custom_id`: the validated reply, or the exception its fallback call ended with."""
    report = report if report is not None else BatchReport()
    by_id = {r.custom_id: r for r in requests}
    if len(by_id) != len(requests) or not all(by_id):
        raise ValueError("custom_ids must be unique and non-empty")
    if not requests:
        return {}
    if len(requests) > MAX_REQUESTS:
        raise ValueError(f"{len(requests)} requests; a batch holds at most {MAX_REQUESTS}")
    capture = _capturing(llm)
    bodies = {r.custom_id: await request_body(llm, r, capture) for r in requests}
    hashes = {cid: _hash(body) for cid, body in bodies.items()}
    state = _load_state(state_path)
    if state.get("requests") != hashes:
        if state.get("batch_id"):
            log.warning(
                "%s is for other requests (batch %s); submitting anew",
                state_path,
                state["batch_id"],
            )
        state = {"version": 1, "endpoint": ENDPOINT, "requests": hashes}
    else:
        report.resumed = bool(state.get("input_file_id"))
    report.submitted = len(requests)
    batch = await _submit_and_wait(client, bodies, state, state_path, poll or PollSettings())
    report.batch_id, report.status = batch.id, batch.status
    lines: dict[str, BatchOutputLine] = {}
    for file_id in (batch.error_file_id, batch.output_file_id):  # output wins on a duplicate
        if file_id:
            lines.update(await _read_lines(client, file_id))
    results: dict[str, StructuredReply | Exception] = {}
    retry: list[tuple[BatchRequest, str]] = []
    replayer = _Replayer(llm)
    for cid, request in by_id.items():
        reply, reason = await replayer.parse(request, lines.get(cid), batch.status)
        if reply is not None:
            reply.usage.batch_calls = reply.usage.calls  # billed at the Batch API's price
            reply.usage.batch_prompt_tokens = reply.usage.prompt_tokens
            reply.usage.batch_completion_tokens = reply.usage.completion_tokens
            results[cid] = reply
            report.from_batch += 1
        else:
            retry.append((request, reason))
            report.fallback[reason] += 1
    if retry:
        log.info(
            "batch %s: %d of %d items fall back to live calls", batch.id, len(retry), len(by_id)
        )
        done = await asyncio.gather(*(_fallback(llm, r) for r, _ in retry))
        for (request, _), outcome in zip(retry, done, strict=True):
            results[request.custom_id] = outcome
            report.failed += isinstance(outcome, Exception)
    return results


async def request_body(
    llm: StructuredLLM, request: BatchRequest, capture: StructuredLLM | None = None
) -> dict[str, Any]:
    """The JSON body `llm` would POST to /chat/completions for `request` (captured, not sent).

    `capture` (from `_capturing(llm)`) can be reused over many requests."""
    capture = capture or _capturing(llm)
    runnable = capture.runnable(request.schema)
    try:
        await runnable.ainvoke(to_lc_messages(request.messages))
    except _Captured as captured:
        if not captured.request.url.path.endswith("/chat/completions"):
            url = captured.request.url
            raise ConfigError(f"batch mode needs chat completions, not {url}") from None
        return json.loads(captured.request.content)
    raise AssertionError("the capturing transport always raises")  # pragma: no cover


# --- submit, persist, poll ---------------------------------------------------------------


async def _submit_and_wait(
    client: Any,
    bodies: dict[str, dict[str, Any]],
    state: dict[str, Any],
    state_path: Path,
    poll: PollSettings,
) -> Any:
    if not state.get("input_file_id"):
        data = b"".join(
            json.dumps({"custom_id": cid, "method": "POST", "url": ENDPOINT, "body": body}).encode(
                "utf-8"
            )
            + b"\n"
            for cid, body in bodies.items()
        )
        if len(data) > MAX_BYTES:
            raise ValueError(f"batch file is {len(data)} bytes; the limit is {MAX_BYTES}")
        uploaded = await client.files.create(
            file=(state_path.stem + ".jsonl", io.BytesIO(data)), purpose="batch"
        )
        state["input_file_id"] = uploaded.id
        _save_state(state_path, state)
    if not state.get("batch_id"):
        batch = await client.batches.create(
            input_file_id=state["input_file_id"],
            endpoint=ENDPOINT,
            completion_window="24h",
            metadata={"factcheck_state": state_path.name[:64]},
        )
        state["batch_id"], state["status"] = batch.id, batch.status
        _save_state(state_path, state)
    started, delay = time.monotonic(), poll.initial
    while True:
        batch = await client.batches.retrieve(state["batch_id"])
        if state.get("status") != batch.status:
            state["status"] = batch.status
            _save_state(state_path, state)
        if batch.status in TERMINAL:
            if batch.status != "completed":
                log.warning("batch %s ended %s: %s", batch.id, batch.status, batch.errors)
            return batch
        if time.monotonic() - started + delay > poll.deadline:
            raise BatchPending(batch.id, batch.status)
        await asyncio.sleep(delay)
        delay = min(delay * poll.factor, poll.maximum)


def _load_state(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise FactcheckError(f"{path}: unreadable batch state ({exc}); move it aside") from exc


def _save_state(path: Path, state: dict[str, Any]) -> None:
    """Write atomically: a crash leaves the old state or the new one, never half of either."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(state, indent=1, sort_keys=True), encoding="utf-8")
    tmp.replace(path)


def _hash(body: dict[str, Any]) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


async def _read_lines(client: Any, file_id: str) -> dict[str, BatchOutputLine]:
    content = await client.files.content(file_id)
    lines: dict[str, BatchOutputLine] = {}
    for number, raw in enumerate(content.content.decode("utf-8").splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            line = BatchOutputLine.model_validate_json(raw)
        except ValidationError as exc:
            log.warning("file %s line %d is not a batch output line: %s", file_id, number, exc)
            continue
        lines[line.custom_id] = line
    return lines


# --- capture and replay through the live code path ---------------------------------------


class _Captured(Exception):
    """Carries a request out of the capturing transport (it is never sent)."""

    def __init__(self, request: Any) -> None:
        super().__init__("captured")
        self.request = request


def _capture(request: Any) -> Any:
    raise _Captured(request)


def _replay(request: Any) -> Any:
    return _httpx().Response(200, json=_REPLAY_BODY.get())


def _httpx() -> ModuleType:
    """The httpx library the SDK's client is built on (httpx2 for openai>=3, else httpx)."""
    import openai

    base = next(c for c in openai.DefaultAsyncHttpxClient.__mro__ if c.__name__ == "AsyncClient")
    return importlib.import_module(base.__module__.split(".")[0])


def _with_transport(llm: StructuredLLM, handler: Callable[[Any], Any]) -> Any:
    """A copy of `llm`'s ChatOpenAI whose SDK client talks to `handler` in-process."""
    import openai
    from langchain_openai import ChatOpenAI

    model = llm.chat_model
    if not isinstance(model, ChatOpenAI):
        raise ConfigError("batch mode needs the OpenAI backend (FACTCHECK_LLM_BACKEND=openai)")
    lib = _httpx()
    sdk = openai.AsyncOpenAI(
        api_key="in-process",  # never sent anywhere: the transport is local
        base_url=model.openai_api_base,
        max_retries=0,
        http_client=lib.AsyncClient(transport=lib.MockTransport(handler)),
    )
    return model.model_copy(update={"root_async_client": sdk, "async_client": sdk.chat.completions})


def _capturing(llm: StructuredLLM) -> StructuredLLM:
    """A copy of `llm` (same model settings and method) whose requests are captured."""
    return StructuredLLM(
        _with_transport(llm, _capture), **(llm.configuration() | {"max_reasks": 0})
    )


class _Replayer:
    """Parses batch output lines with the same runnable, parser and validation as live calls."""

    def __init__(self, llm: StructuredLLM) -> None:
        self.llm = StructuredLLM(
            _with_transport(llm, _replay), **(llm.configuration() | {"max_reasks": 0})
        )

    async def parse(
        self, request: BatchRequest, line: BatchOutputLine | None, status: str
    ) -> tuple[StructuredReply | None, str]:
        """`(reply, "")` for a good line, else `(None, why it falls back)`."""
        if line is None:
            return None, "missing" if status == "completed" else f"batch_{status}"
        response = line.response
        if response is None or response.status_code != 200 or response.body is None:
            return None, "line_error"
        token = _REPLAY_BODY.set(response.body)
        try:
            reply = await self.llm.ask(request.messages, request.schema, validate=request.validate)
        except FactcheckError as exc:
            log.debug("batch reply for %s invalid: %s", request.custom_id, exc)
            return None, "invalid"
        finally:
            _REPLAY_BODY.reset(token)
        return reply, ""


async def _fallback(llm: StructuredLLM, request: BatchRequest) -> StructuredReply | Exception:
    try:
        return await llm.ask(
            request.messages,
            request.schema,
            validate=request.validate,
            on_exhausted=request.on_exhausted,
        )
    except Exception as exc:  # noqa: BLE001 - one item's failure is that item's result
        return exc
