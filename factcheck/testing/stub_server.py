"""A real OpenAI-compatible HTTP server for tests and benchmarks, with seeded fault injection.

`running_stub(config)` serves a starlette app with uvicorn on a free 127.0.0.1 port in a
background thread and yields its base URL (clients use `<base_url>/v1`). It answers
`POST /v1/chat/completions` in the three structured-output shapes `ChatOpenAI` sends
(`tools`/`tool_choice`, `response_format` `json_schema`, `response_format` `json_object`) with
content from `heuristic_responder`, realistic `usage` and ids; `GET /v1/models`; the Files and
Batch endpoints (see `stub_batch`); and `GET /stub/stats`, which counts every request and every
injected fault. Faults are drawn per request from a seeded RNG, at most one per request: 429
with `Retry-After`, 500, timeout (the request is held past the client's timeout), truncated JSON
(`finish_reason="length"`), schema-breaking JSON, slow reply; `base_delay` applies to all.
"""

from __future__ import annotations

import asyncio
import json
import math
import random
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from factcheck.llm.fake import heuristic_responder
from factcheck.llm.schemas import ExtractionReply, VerificationReply

Responder = Callable[[list[BaseMessage], type[BaseModel] | None], Any]
SCHEMAS: dict[str, type[BaseModel]] = {
    "ExtractionReply": ExtractionReply,
    "VerificationReply": VerificationReply,
}
TRANSPORT_FAULTS = ("429", "500", "timeout", "slow")
CONTENT_FAULTS = ("truncated", "schema_break")
SCHEMA_BREAKING_REPLY = {"result": "not what you asked for", "confidence": "high"}


@dataclass(frozen=True)
class FaultRates:
    """Probability per request of each fault (at most one fault per request)."""

    rate_429: float = 0.0
    rate_500: float = 0.0
    rate_timeout: float = 0.0
    rate_truncated: float = 0.0
    rate_schema_break: float = 0.0
    rate_slow: float = 0.0

    def by_kind(self) -> dict[str, float]:
        """Rates keyed by fault kind, in draw order."""
        return {
            "429": self.rate_429,
            "500": self.rate_500,
            "timeout": self.rate_timeout,
            "truncated": self.rate_truncated,
            "schema_break": self.rate_schema_break,
            "slow": self.rate_slow,
        }


@dataclass(frozen=True)
class StubConfig:
    """How the stub behaves. Delays are in seconds."""

    faults: FaultRates = field(default_factory=FaultRates)
    seed: int = 0
    model: str = "stub"
    retry_after: float = 1.0
    timeout_hold: float = 5.0
    slow_delay: float = 0.5
    base_delay: float = 0.0
    responder: Responder | None = None
    batch_line_failure_rate: float = 0.0
    batch_content_faults: bool = False
    batch_validating_seconds: float = 0.05
    batch_line_seconds: float = 0.0
    shuffle_batch_output: bool = True
    api_key: str | None = None
    """When set, chat requests with another bearer token get OpenAI's 401 reply."""

    def __post_init__(self) -> None:
        rates = self.faults.by_kind().values()
        if any(r < 0 for r in rates) or sum(rates) > 1:
            raise ValueError("fault rates must be >= 0 and sum to at most 1")


def openai_error(status: int, message: str, kind: str, code: str | None = None) -> JSONResponse:
    """An error response in OpenAI's `{"error": {...}}` shape."""
    body = {"error": {"message": message, "type": kind, "param": None, "code": code}}
    return JSONResponse(body, status_code=status)


def estimate_tokens(text: str) -> int:
    """Roughly what a BPE tokenizer gives for English: one token per four characters."""
    return max(1, math.ceil(len(text) / 4))


class StubState:
    """Everything the stub remembers: config, seeded RNG, counters, files and batches."""

    def __init__(self, config: StubConfig) -> None:
        self.config = config
        self.rng = random.Random(config.seed)
        self.stats: Counter[str] = Counter()
        self.files: dict[str, tuple[dict[str, Any], bytes]] = {}
        self.batches: dict[str, dict[str, Any]] = {}
        self.tasks: set[asyncio.Task[None]] = set()
        self.last_chat_request: dict[str, Any] = {}

    def draw_fault(self, kinds: tuple[str, ...]) -> str | None:
        """One seeded draw: the fault to inject into this request, if any (only `kinds`)."""
        roll = self.rng.random()
        for kind, rate in self.config.faults.by_kind().items():
            if roll < rate:
                return kind if kind in kinds else None
            roll -= rate
        return None

    def complete(
        self, body: dict[str, Any], fault: str | None, prefix: str = ""
    ) -> tuple[int, dict[str, Any]]:
        """Status and JSON body of a chat completion for `body`, with a content fault applied.

        Counters are named with `prefix` (the batch processor uses `batch_`)."""
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            return 400, _error_body("'messages' must be a non-empty list", "invalid_request_error")
        conversation = [_to_message(m) for m in messages]
        shape, schema_name = request_shape(body)
        schema = SCHEMAS.get(schema_name or "") or _schema_from_tags(conversation)
        try:
            reply = (self.config.responder or heuristic_responder)(conversation, schema)
        except ValueError as exc:
            return 400, _error_body(f"stub responder: {exc}", "invalid_request_error")
        text = reply.model_dump_json() if isinstance(reply, BaseModel) else _as_text(reply)
        finish = "stop"
        limit = body.get("max_completion_tokens") or body.get("max_tokens")
        if isinstance(limit, int) and estimate_tokens(text) > limit:
            text, finish = text[: limit * 4], "length"
        if fault == "truncated":
            text, finish = text[: max(1, len(text) // 2)], "length"
        elif fault == "schema_break":
            text = json.dumps(SCHEMA_BREAKING_REPLY)
        if fault:
            self.stats[f"{prefix}fault_{fault}"] += 1
        self.stats[f"{prefix}shape_{shape}"] += 1
        prompt_tokens = sum(estimate_tokens(str(m.content)) + 4 for m in conversation)
        schema_json = json.dumps(body.get("tools") or body.get("response_format") or "")
        prompt_tokens += estimate_tokens(schema_json)
        completion_tokens = estimate_tokens(text)
        self.stats[f"{prefix}prompt_tokens"] += prompt_tokens
        self.stats[f"{prefix}completion_tokens"] += completion_tokens
        return 200, completion_body(
            self.config.model if not body.get("model") else str(body["model"]),
            text,
            finish,
            tool_name=schema_name if shape == "function_calling" else None,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
        )


def request_shape(body: dict[str, Any]) -> tuple[str, str | None]:
    """`(shape, schema name)`: function_calling, json_schema, json_object or plain."""
    tools = body.get("tools") or []
    if tools:
        choice = body.get("tool_choice")
        if isinstance(choice, dict) and choice.get("function", {}).get("name"):
            return "function_calling", choice["function"]["name"]
        return "function_calling", tools[0].get("function", {}).get("name")
    response_format = body.get("response_format") or {}
    if response_format.get("type") == "json_schema":
        return "json_schema", response_format.get("json_schema", {}).get("name")
    if response_format.get("type") == "json_object":
        return "json_object", None
    return "plain", None


def completion_body(
    model: str,
    text: str,
    finish_reason: str,
    *,
    tool_name: str | None,
    prompt_tokens: int,
    completion_tokens: int,
) -> dict[str, Any]:
    """A `chat.completion` object as OpenAI returns it."""
    message: dict[str, Any] = {"role": "assistant", "content": text, "refusal": None}
    if tool_name:
        call = {"name": tool_name, "arguments": text}
        message["content"] = None
        message["tool_calls"] = [
            {"id": f"call_{uuid.uuid4().hex[:24]}", "type": "function", "function": call}
        ]
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "system_fingerprint": "fp_factcheck_stub",
        "choices": [
            {"index": 0, "message": message, "logprobs": None, "finish_reason": finish_reason}
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": 0,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        },
    }


def _schema_from_tags(messages: list[BaseMessage]) -> type[BaseModel] | None:
    """For json_object requests (no schema name): tell the prompt by its data tags."""
    text = " ".join(str(m.content) for m in messages if isinstance(m, HumanMessage))
    if "<passage>" in text:
        return ExtractionReply
    return VerificationReply if "<claim>" in text else None


def _to_message(raw: dict[str, Any]) -> BaseMessage:
    content = raw.get("content")
    if isinstance(content, list):
        content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
    role = raw.get("role")
    cls = {"system": SystemMessage, "developer": SystemMessage, "assistant": AIMessage}.get(
        str(role), HumanMessage
    )
    return cls(content=content or "")


def _as_text(reply: Any) -> str:
    return reply if isinstance(reply, str) else json.dumps(reply)


def _error_body(message: str, kind: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": None}}


# --- HTTP routes ---------------------------------------------------------------------------


def build_stub_app(config: StubConfig | None = None) -> Starlette:
    """The stub's starlette app; its `state.stub` is the `StubState`."""
    from factcheck.testing.stub_batch import batch_routes

    state = StubState(config or StubConfig())

    async def chat_completions(request: Request) -> Response:
        state.stats["requests"] += 1
        state.stats["chat_requests"] += 1
        if request.headers.get("x-stainless-retry-count", "0") != "0":
            state.stats["retried_requests"] += 1
        try:
            body = json.loads(await request.body())
        except json.JSONDecodeError:
            return openai_error(400, "request body is not JSON", "invalid_request_error")
        if not isinstance(body, dict):
            return openai_error(400, "request body must be an object", "invalid_request_error")
        state.last_chat_request = body
        cfg = state.config
        if cfg.api_key is not None and request.headers.get("authorization") != (
            f"Bearer {cfg.api_key}"
        ):
            state.stats["unauthorized"] += 1
            return openai_error(
                401, "Incorrect API key (stub).", "invalid_request_error", "invalid_api_key"
            )
        if cfg.base_delay:
            await asyncio.sleep(cfg.base_delay)
        fault = state.draw_fault(TRANSPORT_FAULTS + CONTENT_FAULTS)
        if fault == "429":
            state.stats["fault_429"] += 1
            response = openai_error(429, "Rate limit (stub)", "requests", "rate_limit_exceeded")
            response.headers["Retry-After"] = f"{cfg.retry_after:g}"
            return response
        if fault == "500":
            state.stats["fault_500"] += 1
            return openai_error(500, "The server had an error (stub)", "server_error")
        if fault in ("timeout", "slow"):
            state.stats[f"fault_{fault}"] += 1
            await asyncio.sleep(cfg.timeout_hold if fault == "timeout" else cfg.slow_delay)
        status, payload = state.complete(body, fault if fault in CONTENT_FAULTS else None)
        if status == 200:
            state.stats["chat_completions"] += 1
        return JSONResponse(payload, status_code=status)

    async def models(request: Request) -> Response:
        state.stats["requests"] += 1
        model = {"id": state.config.model, "object": "model", "created": 0, "owned_by": "stub"}
        return JSONResponse({"object": "list", "data": [model]})

    async def stats(request: Request) -> Response:
        return JSONResponse(dict(state.stats))

    async def last_request(request: Request) -> Response:
        return JSONResponse(state.last_chat_request)

    routes = [
        Route("/v1/chat/completions", chat_completions, methods=["POST"]),
        Route("/v1/models", models, methods=["GET"]),
        Route("/stub/stats", stats, methods=["GET"]),
        Route("/stub/last-request", last_request, methods=["GET"]),
        *batch_routes(state),
    ]
    app = Starlette(routes=routes)
    app.state.stub = state
    return app


@contextmanager
def running_stub(config: StubConfig | None = None, *, ready_timeout: float = 10.0) -> Iterator[str]:
    """Serve the stub on a free 127.0.0.1 port in a background thread; yields the base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(
        uvicorn.Config(
            build_stub_app(config),
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=1,
        )
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        _wait_ready(base_url, server, ready_timeout)
        yield base_url
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def _wait_ready(base_url: str, server: uvicorn.Server, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=1.0) as client:
        while time.monotonic() < deadline:
            if server.started:
                try:
                    if client.get(f"{base_url}/v1/models").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
            time.sleep(0.02)
    raise RuntimeError(f"stub server at {base_url} not ready after {timeout:.0f} s")
