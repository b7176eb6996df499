"""The model seam: chat-model factory, validated structured output with a bounded re-ask, usage.

Retry ownership: the OpenAI SDK retries transport errors, 429 and 5xx (honouring Retry-After,
`FACTCHECK_SDK_MAX_RETRIES`); this module re-asks only when the *content* is invalid
(`FACTCHECK_MAX_REASKS`). Nothing else retries, so attempts never multiply. `RetryCounter`
only *observes* the SDK's retries (through the HTTP client handed to it) so they can be reported.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.runnables import Runnable, RunnableSequence
from pydantic import BaseModel, ValidationError
from tenacity import AsyncRetrying, RetryError, retry_if_exception_type, stop_after_attempt

from factcheck.errors import AuthenticationFailed, LLMError, OutputValidationError
from factcheck.llm.cache import CACHE_HIT_KEY, response_schema
from factcheck.llm.ratelimit import RateLimiter, estimate_tokens
from factcheck.llm.schemas import capped_json_schema
from factcheck.models import Usage

log = logging.getLogger(__name__)

T = TypeVar("T", bound=BaseModel)
Messages = Sequence[tuple[str, str]]
Validator = Callable[[Any], None]

_ROLE_TO_MESSAGE = {"system": SystemMessage, "user": HumanMessage, "assistant": AIMessage}
# The usage record of the `StructuredLLM.ask` running in this context, so that `RetryCounter`
# can attribute what it sees on the wire to the call that caused it.
_CALL_USAGE: ContextVar[Usage | None] = ContextVar("factcheck_call_usage", default=None)


class RetryCounter:
    """Counts what the OpenAI SDK retries on, without retrying anything itself.

    It sees every HTTP attempt through the async `httpx` client given to `ChatOpenAI`
    (`http_async_client`; `StructuredLLM` only calls async): 429 and 5xx responses, timeouts,
    and re-sent requests (the SDK marks them with `x-stainless-retry-count`). Totals are kept
    here; the counts also go to the `Usage` of the `StructuredLLM.ask` call in progress, so they
    reach results and run summaries. It wraps `send` because an event hook never sees a timeout.
    """

    def __init__(self) -> None:
        self.totals = Usage()
        self._lock = threading.Lock()

    def http_async_client(self, timeout: float) -> Any:
        """An SDK-default async `httpx` client (httpx2 for openai>=3) reporting to this counter."""
        import openai

        counter = self

        class CountingAsyncClient(openai.DefaultAsyncHttpxClient):  # type: ignore[misc,valid-type]
            async def send(self, request: Any, **kwargs: Any) -> Any:
                try:
                    response = await super().send(request, **kwargs)
                except Exception as exc:
                    counter.observe(request, None, exc)
                    raise
                counter.observe(request, response, None)
                return response

        return CountingAsyncClient(timeout=timeout)

    def observe(self, request: Any, response: Any | None, error: BaseException | None) -> None:
        """Record one HTTP attempt (`response` is None when it raised `error`)."""
        if request.headers.get("x-stainless-retry-count", "0") != "0":
            self._bump("sdk_retries")
        # httpx and httpx2 (openai>=3) both raise subclasses of their own `TimeoutException`.
        if any(c.__name__ == "TimeoutException" for c in type(error).__mro__):
            self._bump("timeouts")
        elif response is not None and response.status_code == 429:
            self._bump("retried_429")
        elif response is not None and response.status_code >= 500:
            self._bump("retried_5xx")

    def _bump(self, name: str) -> None:
        with self._lock:
            setattr(self.totals, name, getattr(self.totals, name) + 1)
        call = _CALL_USAGE.get()
        if call is not None:
            setattr(call, name, getattr(call, name) + 1)


class InvalidOutput(Exception):
    """Raised inside the re-ask loop when a reply does not parse or fails validation."""

    def __init__(self, error: str, raw_text: str | None) -> None:
        super().__init__(error)
        self.error = error
        self.raw_text = raw_text


@dataclass(frozen=True)
class _SplitRunnable:
    """A structured-output runnable cut in two: messages → AI message → parsed value."""

    model: Runnable
    parser: Runnable


@dataclass
class StructuredReply:
    """A validated reply and what it cost."""

    value: Any
    usage: Usage
    raw_text: str | None = None
    errors: list[str] = field(default_factory=list)


def to_lc_messages(messages: Messages) -> list[BaseMessage]:
    """Convert `(role, content)` pairs into LangChain messages."""
    try:
        return [_ROLE_TO_MESSAGE[role](content=content) for role, content in messages]
    except KeyError as exc:
        raise ValueError(f"unknown message role {exc.args[0]!r}") from None


def usage_of(message: BaseMessage | None) -> Usage:
    """Token usage the server reported for one reply (zero when it reported none). A reply
    answered from the LLM cache is counted as a cache hit: its tokens are not billable."""
    meta = getattr(message, "usage_metadata", None) or {}
    usage = Usage(
        calls=1,
        prompt_tokens=int(meta.get("input_tokens", 0) or 0),
        completion_tokens=int(meta.get("output_tokens", 0) or 0),
    )
    if message is not None and message.response_metadata.get(CACHE_HIT_KEY):
        usage.cache_hits = 1
        usage.cached_prompt_tokens = usage.prompt_tokens
        usage.cached_completion_tokens = usage.completion_tokens
    return usage


def raw_text_of(message: BaseMessage | None) -> str | None:
    """The text a model produced: tool-call arguments if any, else the message content."""
    if message is None:
        return None
    calls = getattr(message, "tool_calls", None) or []
    if calls:
        return json.dumps(calls[0].get("args", {}), ensure_ascii=False)
    extra_calls = message.additional_kwargs.get("tool_calls") if message.additional_kwargs else None
    if extra_calls:
        return str(extra_calls[0].get("function", {}).get("arguments"))
    content = message.content
    return content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)


def is_schema_rejection(exc: Exception) -> bool:
    """True when a server refused `response_format=json_schema` itself (not our content)."""
    text = str(exc).lower()
    return any(s in text for s in ("response_format", "json_schema", "schema")) and any(
        s in text for s in ("not supported", "unsupported", "invalid", "500", "400")
    )


class StructuredLLM:
    """Calls a chat model for a pydantic-typed reply; re-asks on invalid output, then raises.

    `method` is how the schema is sent: `json_schema` (OpenAI structured outputs),
    `function_calling` (tool call; llama.cpp server, vLLM, Ollama) or `json_mode`. When a
    server rejects `json_schema`, the instance switches to `function_calling` once and logs it.
    """

    def __init__(
        self,
        chat_model: BaseChatModel,
        *,
        method: str = "json_schema",
        max_reasks: int = 2,
        model_name: str | None = None,
        params: dict[str, object] | None = None,
        max_concurrency: int = 8,
        rate_limiter: RateLimiter | None = None,
        max_output_tokens: int = 1024,
        retry_counter: RetryCounter | None = None,
        cap_tool_schemas: bool = False,
    ) -> None:
        self.chat_model = chat_model
        self.cap_tool_schemas = cap_tool_schemas
        """Send length-capped schemas as tools (servers that decode tool calls by grammar)."""
        self.rate_limiter = rate_limiter or RateLimiter()
        self.max_output_tokens = max_output_tokens
        self.totals = Usage()
        """Running totals over every call this instance made (for live progress and budgets)."""
        self.retry_counter = retry_counter
        self._slots = asyncio.Semaphore(max_concurrency)
        self.method = method
        self.max_reasks = max_reasks
        self.model_name = (
            model_name or getattr(chat_model, "model_name", None) or type(chat_model).__name__
        )
        self.params = dict(params or {})
        # Building a structured runnable converts the schema to JSON (~20 ms): once per schema.
        self._runnables: dict[tuple[type[BaseModel], str], Any] = {}
        self._splits: dict[tuple[type[BaseModel], str], _SplitRunnable | None] = {}

    def configuration(self) -> dict[str, Any]:
        """The constructor arguments that make another `StructuredLLM` ask like this one (same
        method, re-asks, name, parameters, output cap and tool caps); it gets its own running
        totals, concurrency slots and rate limiter."""
        return {
            "method": self.method,
            "max_reasks": self.max_reasks,
            "model_name": self.model_name,
            "params": self.params,
            "max_output_tokens": self.max_output_tokens,
            "cap_tool_schemas": self.cap_tool_schemas,
        }

    def describe(self) -> dict[str, object]:
        """Model name, structured-output method and parameters, for provenance."""
        return {"model": self.model_name, "method": self.method, **self.params}

    async def ask(
        self,
        messages: Messages,
        schema: type[T],
        *,
        validate: Validator | None = None,
        on_exhausted: Callable[[Any], Any] | None = None,
    ) -> StructuredReply:
        """Return a reply parsed into `schema` that also passes `validate` (if given).

        `validate` raises `ValueError` with a message the model can act on; that message is
        fed back in a re-ask. After `max_reasks` re-asks the last error is raised as
        `OutputValidationError`, never a default value -- unless the last reply *parsed* and
        only failed `validate`, and `on_exhausted` is given: then `on_exhausted(value)` (which
        must repair the value, e.g. drop what failed) is returned, with the errors attached.
        """
        conversation = to_lc_messages(messages)
        usage = Usage()
        token = _CALL_USAGE.set(usage)
        try:
            return await self._ask(conversation, schema, usage, validate, on_exhausted)
        except LLMError as exc:
            exc.usage = usage  # what the failed call spent still counts in the run's totals
            raise
        finally:
            _CALL_USAGE.reset(token)

    async def _ask(
        self,
        conversation: list[BaseMessage],
        schema: type[T],
        usage: Usage,
        validate: Validator | None,
        on_exhausted: Callable[[Any], Any] | None,
    ) -> StructuredReply:
        errors: list[str] = []
        last_raw: list[str | None] = [None]
        last_parsed: list[Any] = [None]
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(self.max_reasks + 1),
                retry=retry_if_exception_type(InvalidOutput),
                reraise=False,
            ):
                with attempt:
                    if attempt.retry_state.attempt_number > 1:
                        usage.reasks += 1
                    try:
                        value, raw = await self._attempt(conversation, schema, usage)
                    except InvalidOutput as exc:
                        last_raw[0] = exc.raw_text
                        last_parsed[0] = None
                        errors.append(exc.error)
                        raise
                    last_raw[0] = raw
                    last_parsed[0] = value
                    try:
                        if validate is not None:
                            validate(value)
                    except ValueError as exc:
                        error = f"Your reply failed validation: {exc}"
                        errors.append(error)
                        conversation = [
                            *conversation,
                            AIMessage(content=raw or ""),
                            HumanMessage(content=_reask_text(error)),
                        ]
                        raise InvalidOutput(error, raw) from exc
                    return StructuredReply(value=value, usage=usage, raw_text=raw, errors=errors)
        except RetryError as exc:
            if on_exhausted is not None and last_parsed[0] is not None:
                return StructuredReply(
                    value=on_exhausted(last_parsed[0]),
                    usage=usage,
                    raw_text=last_raw[0],
                    errors=errors,
                )
            inner = exc.last_attempt.exception()
            raise OutputValidationError(
                f"{self.model_name}: output still invalid after {self.max_reasks + 1} attempts: "
                f"{inner}",
                attempts=self.max_reasks + 1,
                last_output=last_raw[0],
                errors=errors,
            ) from None
        raise AssertionError("unreachable: tenacity returns or raises")  # pragma: no cover

    def runnable(self, schema: type[BaseModel]) -> Any:
        """The structured-output runnable for `schema` with the current method (cached):
        LangChain's `include_raw` chain, returning `{"raw", "parsed", "parsing_error"}`."""
        key = (schema, self.method)
        if key not in self._runnables:
            self._runnables[key] = self.chat_model.with_structured_output(
                self._target(schema), method=self.method, include_raw=True
            )
        return self._runnables[key]

    def _target(self, schema: type[BaseModel]) -> type[BaseModel] | dict[str, Any]:
        """What is handed to `with_structured_output` for `schema`."""
        if self.method == "function_calling" and self.cap_tool_schemas:
            # llama.cpp's server turns the tool's parameters into a decoding grammar; caps keep
            # a small model from looping inside an unbounded string or list. The reply is then
            # a dict, validated into `schema` in `_attempt`.
            return capped_tool(schema)
        return schema

    def _split(self, schema: type[BaseModel]) -> _SplitRunnable | None:
        """LangChain's plain structured-output runnable (`model | parser`) cut after the model,
        or None when it is not such a sequence. (cached)"""
        key = (schema, self.method)
        if key not in self._splits:
            chain = self.chat_model.with_structured_output(self._target(schema), method=self.method)
            steps = chain.steps if isinstance(chain, RunnableSequence) else []
            self._splits[key] = (
                _SplitRunnable(
                    steps[0], steps[1] if len(steps) == 2 else RunnableSequence(*steps[1:])
                )
                if len(steps) >= 2
                else None
            )
        return self._splits[key]

    async def _invoke(self, schema: type[BaseModel], conversation: list[BaseMessage]) -> Any:
        """What `runnable(schema).ainvoke(conversation)` returns, with less overhead: the model
        step awaited, the parser run inline. LangChain's `include_raw` chain runs ~10 nested
        runnables (parallel maps, fallbacks) per call: ~3 ms of CPU, a third of a call's cost
        on the event loop, which bounds throughput at high concurrency (measured)."""
        split = self._split(schema)
        if split is None:
            return await self.runnable(schema).ainvoke(conversation)
        raw = await split.model.ainvoke(conversation)
        try:
            return {"raw": raw, "parsed": split.parser.invoke(raw), "parsing_error": None}
        except Exception as exc:  # noqa: BLE001 - as include_raw: any parser failure is data
            return {"raw": raw, "parsed": None, "parsing_error": exc}

    async def _attempt(
        self, conversation: list[BaseMessage], schema: type[T], usage: Usage
    ) -> tuple[T, str | None]:
        """One model call; parse errors become `InvalidOutput` with the conversation extended."""
        estimate = estimate_tokens(
            [("", str(m.content)) for m in conversation], self.max_output_tokens
        )
        try:
            async with self._slots:
                await self.rate_limiter.acquire(estimate)
                with response_schema(schema):
                    result = await self._invoke(schema, conversation)
        except (ValidationError, json.JSONDecodeError) as exc:
            # json_schema mode raises from inside the call when the reply breaks the schema.
            usage.add(Usage(calls=1))
            error = f"Your reply did not match the required JSON schema: {exc}"
            conversation.append(HumanMessage(content=_reask_text(error)))
            raise InvalidOutput(error, None) from exc
        except Exception as exc:
            if self.method == "json_schema" and is_schema_rejection(exc):
                log.warning(
                    "%s rejected json_schema output; using function_calling instead",
                    self.model_name,
                )
                self.method = "function_calling"
                return await self._attempt(conversation, schema, usage)
            if _is_content_error(exc):
                usage.add(Usage(calls=1))
                error = f"Your reply was not valid JSON for the schema: {exc}"
                conversation.append(HumanMessage(content=_reask_text(error)))
                raise InvalidOutput(error, None) from exc
            if _is_authentication_failure(exc):
                raise AuthenticationFailed(
                    f"{self.model_name} refused the credentials (HTTP 401): check "
                    "FACTCHECK_OPENAI_API_KEY (or OPENAI_API_KEY) and, for a server, "
                    "FACTCHECK_BASE_URL."
                ) from exc
            raise LLMError(f"{self.model_name}: {type(exc).__name__}: {exc}") from exc
        raw_message = result.get("raw")
        reply_usage = usage_of(raw_message)
        self.rate_limiter.settle(estimate, reply_usage.billable_tokens)
        usage.add(reply_usage)
        self.totals.add(reply_usage)
        raw = raw_text_of(raw_message)
        parsed = result.get("parsed")
        if parsed is None or result.get("parsing_error") is not None:
            problem = result.get("parsing_error") or "no JSON object matching the schema"
            error = f"Your reply could not be parsed: {problem}"
            conversation.append(AIMessage(content=raw or ""))
            conversation.append(HumanMessage(content=_reask_text(error)))
            raise InvalidOutput(error, raw)
        if not isinstance(parsed, schema):
            try:
                parsed = schema.model_validate(parsed)
            except ValidationError as exc:
                error = f"Your reply did not match the required JSON schema: {exc}"
                conversation.append(AIMessage(content=raw or ""))
                conversation.append(HumanMessage(content=_reask_text(error)))
                raise InvalidOutput(error, raw) from exc
        return parsed, raw


def capped_tool(schema: type[BaseModel]) -> dict[str, Any]:
    """`schema` as an OpenAI tool whose parameters are length-capped (`capped_json_schema`)."""
    return {
        "type": "function",
        "function": {
            "name": schema.__name__,
            "description": (schema.__doc__ or schema.__name__).strip(),
            "parameters": capped_json_schema(schema),
        },
    }


def _is_authentication_failure(exc: Exception) -> bool:
    """Whether the endpoint refused the credentials (HTTP 401)."""
    import openai

    return isinstance(exc, openai.AuthenticationError) or getattr(exc, "status_code", None) == 401


def _is_content_error(exc: Exception) -> bool:
    """Errors that mean the model's *content* was bad (truncated, refused), not transport."""
    name = type(exc).__name__
    return name in {
        "LengthFinishReasonError",
        "ContentFilterFinishReasonError",
        "OutputParserException",
    }


def _reask_text(error: str) -> str:
    return (
        f"{error}\nReply again with only a JSON object that follows the schema and fixes "
        "this problem."
    )
