"""The stub OpenAI-compatible server: response shapes (checked against the SDK's own types),
seeded fault injection, counters, the Files/Batch stand-in, and `RetryCounter` against it."""

from __future__ import annotations

import asyncio
import io
import json
import time

import httpx
import openai
import pytest
from openai.types import Batch, FileObject
from openai.types.chat import ChatCompletion

from factcheck.app import build_llm
from factcheck.config import Settings
from factcheck.errors import LLMError
from factcheck.llm.schemas import ExtractionReply, VerificationReply
from factcheck.testing import FaultRates, StubConfig, running_stub

EXTRACT = [
    ("system", "Extract."),
    ("user", "<passage>\nIn 2025 Mexico built 24,000 homes.\n</passage>"),
]
VERIFY_USER = (
    "<claim>\nIn 2025 Mexico built 24,000 homes.\n</claim>\n"
    '<evidence number="1" source="Ref">\nIn 2025 Mexico built 24,000 homes.\n</evidence>'
)


@pytest.fixture(scope="module")
def stub() -> str:
    with running_stub(StubConfig()) as base_url:
        yield base_url


def stats(base_url: str) -> dict[str, int]:
    return HTTP.get(f"{base_url}/stub/stats", timeout=5).json()


HTTP = httpx.Client()  # one client: building one per request costs ~50 ms (TLS context)


def chat(base_url: str, body: dict, timeout: float = 5.0) -> httpx.Response:
    return HTTP.post(f"{base_url}/v1/chat/completions", json=body, timeout=timeout)


def body(**extra: object) -> dict:
    return {
        "model": "stub",
        "messages": [{"role": m[0], "content": m[1]} for m in EXTRACT],
        **extra,
    }


TOOLS = {
    "tools": [{"type": "function", "function": {"name": "ExtractionReply", "parameters": {}}}],
    "tool_choice": {"type": "function", "function": {"name": "ExtractionReply"}},
}
SCHEMA = {"response_format": {"type": "json_schema", "json_schema": {"name": "ExtractionReply"}}}
JSON_OBJECT = {"response_format": {"type": "json_object"}}


@pytest.mark.parametrize("extra", [TOOLS, SCHEMA, JSON_OBJECT], ids=["tools", "schema", "object"])
def test_each_structured_output_shape_is_a_valid_chat_completion(stub, extra):
    response = chat(stub, body(**extra))
    assert response.status_code == 200
    completion = ChatCompletion.model_validate(response.json())
    message = completion.choices[0].message
    if "tools" in extra:
        assert message.content is None and message.tool_calls[0].function.name == "ExtractionReply"
        text = message.tool_calls[0].function.arguments
    else:
        text = message.content
    reply = ExtractionReply.model_validate_json(text)
    assert reply.claims[0].quote == "In 2025 Mexico built 24,000 homes."
    usage = completion.usage
    assert usage.prompt_tokens > 10 and usage.completion_tokens > 5
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    assert completion.id.startswith("chatcmpl-") and completion.choices[0].finish_reason == "stop"


async def test_models_endpoint_and_sdk_round_trip(stub):
    client = openai.AsyncOpenAI(api_key="not-a-key", base_url=f"{stub}/v1", max_retries=0)
    models = await client.models.list()
    assert [m.id for m in models.data] == ["stub"]
    completion = await client.chat.completions.create(
        model="stub", messages=[{"role": "user", "content": VERIFY_USER}], **JSON_OBJECT
    )
    reply = VerificationReply.model_validate_json(completion.choices[0].message.content)
    assert reply.verdict == "SUPPORTED" and reply.citations[0].evidence == 1


def test_max_tokens_truncates_with_finish_reason_length(stub):
    response = chat(stub, body(max_completion_tokens=5, **SCHEMA)).json()
    assert response["choices"][0]["finish_reason"] == "length"
    with pytest.raises(json.JSONDecodeError):
        json.loads(response["choices"][0]["message"]["content"])


def only(**rates: float) -> FaultRates:
    return FaultRates(**{f"rate_{k}": v for k, v in rates.items()})


def test_429_carries_retry_after_and_500_is_a_server_error():
    with running_stub(StubConfig(faults=only(**{"429": 1.0}), retry_after=3)) as url:
        response = chat(url, body())
        assert response.status_code == 429 and response.headers["retry-after"] == "3"
        assert response.json()["error"]["code"] == "rate_limit_exceeded"
        assert stats(url)["fault_429"] == 1
    with running_stub(StubConfig(faults=only(**{"500": 1.0}))) as url:
        assert chat(url, body()).status_code == 500
        assert stats(url)["fault_500"] == 1


def test_timeout_holds_the_request_past_the_client_timeout():
    with running_stub(StubConfig(faults=only(timeout=1.0), timeout_hold=1.0)) as url:
        with pytest.raises(httpx.ReadTimeout):
            chat(url, body(), timeout=0.2)
        assert stats(url)["fault_timeout"] == 1


def test_truncated_and_schema_breaking_replies():
    with running_stub(StubConfig(faults=only(truncated=1.0))) as url:
        choice = chat(url, body(**SCHEMA)).json()["choices"][0]
        assert choice["finish_reason"] == "length"
        with pytest.raises(json.JSONDecodeError):
            json.loads(choice["message"]["content"])
    with running_stub(StubConfig(faults=only(schema_break=1.0))) as url:
        text = chat(url, body(**TOOLS)).json()["choices"][0]["message"]["tool_calls"][0]
        data = json.loads(text["function"]["arguments"])  # valid JSON ...
        with pytest.raises(ValueError):
            ExtractionReply.model_validate(data)  # ... that breaks the schema
        assert stats(url)["fault_schema_break"] == 1


def test_slow_replies_and_base_delay():
    with running_stub(StubConfig(faults=only(slow=1.0), slow_delay=0.3, base_delay=0.2)) as url:
        started = time.perf_counter()
        assert chat(url, body()).status_code == 200
        assert time.perf_counter() - started >= 0.5
        assert stats(url)["fault_slow"] == 1


def test_faults_are_seeded_and_at_the_configured_rates():
    rates = FaultRates(rate_429=0.2, rate_500=0.1, rate_schema_break=0.2)
    seen = []
    for _ in range(2):
        with running_stub(StubConfig(faults=rates, seed=7, retry_after=0)) as url:
            codes = [chat(url, body()).status_code for _ in range(200)]
            seen.append((codes, stats(url)))
    assert seen[0] == seen[1]  # same seed, same sequence
    counts = seen[0][1]
    assert counts["chat_requests"] == 200 and counts["requests"] == 201  # + readiness probe
    for kind, rate in (("429", 0.2), ("500", 0.1), ("schema_break", 0.2)):
        assert abs(counts[f"fault_{kind}"] - 200 * rate) < 200 * rate * 0.5


def test_config_rejects_rates_over_one():
    with pytest.raises(ValueError):
        StubConfig(faults=FaultRates(rate_429=0.6, rate_500=0.6))


# --- RetryCounter (factcheck.llm.structured) against the real server ---------------------


async def test_retry_counter_sees_every_sdk_retry_and_attributes_it_to_the_call():
    rates = FaultRates(rate_429=0.15, rate_500=0.1, rate_timeout=0.1)
    config = StubConfig(faults=rates, seed=3, retry_after=0.05, timeout_hold=1.2)
    with running_stub(config) as url:
        llm = build_llm(
            Settings(
                llm_backend="openai",
                base_url=f"{url}/v1",
                model="stub",
                sdk_max_retries=6,
                request_timeout=0.8,  # far above a normal reply's few ms
                max_reasks=0,
                concurrency=8,
            )
        )
        replies = await asyncio.gather(*(llm.ask(EXTRACT, ExtractionReply) for _ in range(40)))
        server = stats(url)
    totals = llm.retry_counter.totals
    assert totals.retried_429 == server["fault_429"] > 0
    assert totals.retried_5xx == server["fault_500"] > 0
    assert totals.timeouts == server["fault_timeout"] > 0
    assert totals.sdk_retries == server["retried_requests"]
    assert server["chat_requests"] == 40 + totals.sdk_retries  # nobody but the SDK retried
    per_call = {k: sum(getattr(r.usage, k) for r in replies) for k in ("retried_429", "timeouts")}
    assert per_call == {"retried_429": totals.retried_429, "timeouts": totals.timeouts}


async def test_exhausted_sdk_retries_surface_as_llm_error_and_are_counted():
    with running_stub(StubConfig(faults=only(**{"500": 1.0}))) as url:
        llm = build_llm(
            Settings(llm_backend="openai", base_url=f"{url}/v1", model="stub", sdk_max_retries=1)
        )
        with pytest.raises(LLMError):
            await llm.ask(EXTRACT, ExtractionReply)
        assert stats(url)["chat_requests"] == 2
    assert llm.retry_counter.totals.retried_5xx == 2
    assert llm.retry_counter.totals.sdk_retries == 1


# --- Files and Batch stand-in ------------------------------------------------------------


def batch_line(custom_id: str) -> dict:
    tool = {"type": "function", "function": {"name": "VerificationReply"}}
    return {
        "custom_id": custom_id,
        "method": "POST",
        "url": "/v1/chat/completions",
        "body": {
            "model": "stub",
            "messages": [{"role": "user", "content": VERIFY_USER}],
            "tools": [tool],
            "tool_choice": tool,
        },
    }


async def run_batch(client: openai.AsyncOpenAI, lines: list[dict], cancel: bool = False):
    data = "".join(json.dumps(line) + "\n" for line in lines).encode()
    uploaded = await client.files.create(file=("in.jsonl", io.BytesIO(data)), purpose="batch")
    FileObject.model_validate(uploaded.model_dump())
    assert uploaded.purpose == "batch" and uploaded.bytes == len(data)
    assert (await client.files.content(uploaded.id)).content == data
    batch = await client.batches.create(
        input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h"
    )
    statuses = [batch.status]
    if cancel:
        batch = await client.batches.cancel(batch.id)
        statuses.append(batch.status)
    for _ in range(200):
        batch = await client.batches.retrieve(batch.id)
        Batch.model_validate(batch.model_dump())
        if statuses[-1] != batch.status:
            statuses.append(batch.status)
        if batch.status in ("completed", "failed", "cancelled"):
            return batch, statuses
        await asyncio.sleep(0.02)
    raise AssertionError("batch did not finish")


async def read_lines(client: openai.AsyncOpenAI, file_id: str | None) -> list[dict]:
    if file_id is None:
        return []
    return [json.loads(x) for x in (await client.files.content(file_id)).text.splitlines()]


async def test_batch_runs_through_its_statuses_with_shuffled_output_and_line_failures():
    config = StubConfig(batch_line_failure_rate=0.2, batch_line_seconds=0.002, seed=5)
    with running_stub(config) as url:
        client = openai.AsyncOpenAI(api_key="not-a-key", base_url=f"{url}/v1")
        ids = [f"req-{i}" for i in range(60)]
        batch, statuses = await run_batch(client, [batch_line(i) for i in ids])
        outputs = await read_lines(client, batch.output_file_id)
        errors = await read_lines(client, batch.error_file_id)
    assert statuses[0] == "validating" and statuses[-1] == "completed"
    assert "in_progress" in statuses
    assert batch.request_counts.total == 60
    assert batch.request_counts.completed == len(outputs) and batch.request_counts.failed == len(
        errors
    )
    assert sorted(o["custom_id"] for o in outputs + errors) == sorted(ids)
    assert 0 < len(errors) < 30
    assert [o["custom_id"] for o in outputs] != [
        i for i in ids if i in {o["custom_id"] for o in outputs}
    ]
    for line in outputs:
        assert line["response"]["status_code"] == 200 and line["error"] is None
        completion = ChatCompletion.model_validate(line["response"]["body"])
        VerificationReply.model_validate_json(
            completion.choices[0].message.tool_calls[0].function.arguments
        )
    for line in errors:
        assert line["response"]["status_code"] == 500 and "error" in line["response"]["body"]
    assert batch.usage.input_tokens > 0 and batch.usage.output_tokens > 0


async def test_batch_validation_failure_and_cancel():
    with running_stub(StubConfig(batch_line_seconds=0.01)) as url:
        client = openai.AsyncOpenAI(api_key="not-a-key", base_url=f"{url}/v1")
        failed, _ = await run_batch(client, [batch_line("same"), batch_line("same")])
        assert failed.status == "failed" and failed.errors.data[0].code == "duplicate_custom_id"
        assert failed.errors.data[0].line == 2
        cancelled, statuses = await run_batch(
            client, [batch_line(f"c{i}") for i in range(50)], cancel=True
        )
        assert "cancelling" in statuses and cancelled.status == "cancelled"
        errors = await read_lines(client, cancelled.error_file_id)
        assert (
            errors
            and errors[0]["response"] is None
            and errors[0]["error"]["code"] == "batch_cancelled"
        )
        with pytest.raises(openai.BadRequestError):
            await client.batches.create(
                input_file_id="file-missing",
                endpoint="/v1/chat/completions",
                completion_window="24h",
            )


# --- What a compatible server is sent ------------------------------------------------------


async def test_compatible_server_gets_max_tokens_and_a_length_capped_tool(stub):
    """llama.cpp's server ignores `max_completion_tokens` and decodes tool calls by grammar."""
    llm = build_llm(
        Settings(
            _env_file=None,
            llm_backend="openai",
            base_url=f"{stub}/v1",
            model="stub",
            max_output_tokens=321,
            structured_output_method="auto",
        )
    )
    reply = await llm.ask(EXTRACT, ExtractionReply)
    assert isinstance(reply.value, ExtractionReply)  # the tool's dict, validated into the type
    body = HTTP.get(f"{stub}/stub/last-request", timeout=5).json()
    assert body["max_tokens"] == 321
    assert body["tool_choice"]["function"]["name"] == "ExtractionReply"
    (tool,) = body["tools"]
    claims = tool["function"]["parameters"]["properties"]["claims"]
    assert claims["maxItems"] > 0
    assert claims["items"]["properties"]["quote"]["maxLength"] == 300


async def test_openai_itself_gets_the_plain_pydantic_schema(stub):
    """Without a base URL nothing changes: the JSON schema mode and no extra body."""
    settings = Settings(
        _env_file=None, llm_backend="openai", openai_api_key="sk-test", model="gpt-4o-mini"
    )
    llm = build_llm(settings)
    assert llm.method == "json_schema" and llm.cap_tool_schemas is False
    assert llm.chat_model.extra_body is None
