"""Batch API mode against the stub server's Files/Batch stand-in: bodies identical to live
calls, results matched by custom_id, fallbacks for failed/invalid lines, resume after restart."""

from __future__ import annotations

import asyncio
import json

import httpx
import openai
import pytest
from langchain_openai import ChatOpenAI
from openai.types import Batch
from openai.types.chat import ChatCompletion
from openai.types.chat.completion_create_params import CompletionCreateParamsNonStreaming
from pydantic import TypeAdapter

from factcheck.app import build_llm
from factcheck.config import Settings
from factcheck.errors import ConfigError, OutputValidationError
from factcheck.llm.batch.api import (
    BatchOutputLine,
    BatchPending,
    BatchReport,
    BatchRequest,
    PollSettings,
    request_body,
    run_batch_stage,
)
from factcheck.llm.fake import FakeChatModel
from factcheck.llm.schemas import ExtractionReply, VerificationReply
from factcheck.llm.structured import StructuredLLM, StructuredReply
from factcheck.testing import FaultRates, StubConfig, running_stub

FAST = PollSettings(initial=0.02, factor=1.5, maximum=0.1, deadline=30)
METHODS = ["function_calling", "json_schema", "json_mode"]


def extraction(i: int) -> BatchRequest:
    sentence = f"In {2000 + i} the town of Villa {i} built {i + 1},000 homes."
    return BatchRequest(
        f"x-{i}",
        [("system", "Extract."), ("user", f"<passage>\n{sentence}\n</passage>")],
        ExtractionReply,
    )


def llm_for(url: str, method: str = "function_calling", **settings: object) -> StructuredLLM:
    return build_llm(
        Settings(
            llm_backend="openai",
            base_url=f"{url}/v1",
            model="stub",
            structured_output_method=method,
            **settings,
        )
    )


def client_for(url: str) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(api_key="not-a-key", base_url=f"{url}/v1", max_retries=2)


def stats(url: str) -> dict[str, int]:
    return httpx.get(f"{url}/stub/stats", timeout=5).json()


def assert_own_reply(custom_id: str, reply: StructuredReply) -> None:
    i = int(custom_id.split("-")[1])
    assert (
        reply.value.claims[0].quote
        == f"In {2000 + i} the town of Villa {i} built {i + 1},000 homes."
    )


@pytest.mark.parametrize("method", METHODS)
async def test_happy_path_matches_by_custom_id_despite_shuffled_output(tmp_path, method):
    with running_stub(StubConfig(seed=11)) as url:
        client = client_for(url)
        requests = [extraction(i) for i in range(25)]
        report = BatchReport()
        results = await run_batch_stage(
            requests, llm_for(url, method), client, tmp_path / "s.json", poll=FAST, report=report
        )
        batch = await client.batches.retrieve(report.batch_id)
        output = (await client.files.content(batch.output_file_id)).text.splitlines()
        server = stats(url)
    order = [BatchOutputLine.model_validate_json(line).custom_id for line in output]
    assert order != [r.custom_id for r in requests]  # shuffled, so order cannot be relied on
    assert set(results) == {r.custom_id for r in requests}
    for custom_id, reply in results.items():
        assert_own_reply(custom_id, reply)
        assert reply.usage.calls == 1 and reply.usage.prompt_tokens > 0
    assert report.from_batch == 25 and not report.fallback and report.failed == 0
    assert server["batches_created"] == 1 and server.get("chat_requests", 0) == 0


@pytest.mark.parametrize("method", METHODS)
async def test_batch_body_is_exactly_what_a_live_call_sends(method):
    with running_stub() as url:
        sent: list[dict] = []

        async def record(request):
            sent.append(json.loads(request.content))

        live_model = ChatOpenAI(
            model="stub",
            api_key="not-a-key",
            base_url=f"{url}/v1",
            temperature=0.0,
            max_tokens=1024,
            timeout=5,
            max_retries=0,
            stream_usage=True,
            http_async_client=openai.DefaultAsyncHttpxClient(event_hooks={"request": [record]}),
        )
        live = StructuredLLM(live_model, method=method, max_reasks=0)
        request = extraction(3)
        await live.ask(request.messages, request.schema)
    body = await request_body(live, request)
    assert body == sent[0]
    params = TypeAdapter(CompletionCreateParamsNonStreaming).validate_python(body)
    assert [m["role"] for m in params["messages"]] == ["system", "user"]  # forces lazy validation


async def test_input_and_output_files_follow_the_openai_shapes(tmp_path):
    with running_stub(StubConfig(batch_line_failure_rate=0.3, seed=2)) as url:
        client = client_for(url)
        report = BatchReport()
        await run_batch_stage(
            [extraction(i) for i in range(12)],
            llm_for(url),
            client,
            tmp_path / "s.json",
            poll=FAST,
            report=report,
        )
        batch = await client.batches.retrieve(report.batch_id)
        Batch.model_validate(batch.model_dump())
        lines = (await client.files.content(batch.input_file_id)).text.splitlines()
        output = (await client.files.content(batch.output_file_id)).text.splitlines()
        errors = (await client.files.content(batch.error_file_id)).text.splitlines()
    adapter = TypeAdapter(CompletionCreateParamsNonStreaming)
    for raw in lines:
        line = json.loads(raw)
        assert set(line) == {"custom_id", "method", "url", "body"}
        assert line["method"] == "POST" and line["url"] == "/v1/chat/completions"
        list(adapter.validate_python(line["body"])["messages"])
    for raw in output:
        parsed = BatchOutputLine.model_validate_json(raw)
        ChatCompletion.model_validate(parsed.response.body)
    assert errors and all(
        BatchOutputLine.model_validate_json(e).response.status_code == 500 for e in errors
    )


async def test_failed_lines_and_invalid_replies_fall_back_to_live_calls(tmp_path):
    config = StubConfig(
        batch_line_failure_rate=0.2,
        batch_content_faults=True,
        faults=FaultRates(rate_truncated=0.1, rate_schema_break=0.1),
        seed=4,
    )
    with running_stub(config) as url:
        report = BatchReport()
        results = await run_batch_stage(
            [extraction(i) for i in range(40)],
            llm_for(url, max_reasks=3),
            client_for(url),
            tmp_path / "s.json",
            poll=FAST,
            report=report,
        )
        server = stats(url)
    assert report.fallback["line_error"] == server["batch_line_failures"] > 0
    invalid = server.get("batch_fault_truncated", 0) + server.get("batch_fault_schema_break", 0)
    assert report.fallback["invalid"] == invalid > 0
    assert report.from_batch + sum(report.fallback.values()) == 40
    live_first_attempts = server["chat_requests"] - sum(
        r.usage.reasks for r in results.values() if isinstance(r, StructuredReply)
    )
    assert live_first_attempts == sum(report.fallback.values())
    assert report.failed == 0
    for custom_id, reply in results.items():
        assert_own_reply(custom_id, reply)


async def test_fallback_keeps_validate_and_on_exhausted_and_returns_exceptions(tmp_path):
    evidence = '<evidence number="1" source="R">\nIn 2025 Mexico built 9,000 homes.\n</evidence>'
    messages = [("user", f"<claim>\nIn 2025 Mexico built 9,000 homes.\n</claim>\n{evidence}")]

    def reject(reply):
        raise ValueError("never good enough")

    requests = [
        BatchRequest("ok", messages, VerificationReply),
        BatchRequest(
            "repaired", messages, VerificationReply, validate=reject, on_exhausted=lambda v: v
        ),
        BatchRequest("fails", messages, VerificationReply, validate=reject),
    ]
    with running_stub() as url:
        report = BatchReport()
        results = await run_batch_stage(
            requests,
            llm_for(url, max_reasks=1),
            client_for(url),
            tmp_path / "s.json",
            poll=FAST,
            report=report,
        )
    assert results["ok"].value.verdict == "SUPPORTED"
    assert results["repaired"].value.verdict == "SUPPORTED" and results["repaired"].errors
    assert isinstance(results["fails"], OutputValidationError)
    assert report.fallback == {"invalid": 2} and report.failed == 1


async def test_restart_mid_poll_resumes_the_same_batch(tmp_path):
    state = tmp_path / "stage.json"
    requests = [extraction(i) for i in range(30)]
    with running_stub(StubConfig(batch_line_seconds=0.02)) as url:  # ~0.6 s of processing
        first = asyncio.create_task(
            run_batch_stage(requests, llm_for(url), client_for(url), state, poll=FAST)
        )
        for _ in range(500):  # the process "dies" as soon as the batch exists
            if state.exists() and json.loads(state.read_text()).get("batch_id"):
                break
            await asyncio.sleep(0.01)
        first.cancel()
        with pytest.raises(asyncio.CancelledError):
            await first
        saved = json.loads(state.read_text())
        assert saved["batch_id"] and saved["status"] in ("validating", "in_progress")
        report = BatchReport()
        results = await run_batch_stage(  # a new process: new LLM, new client
            requests, llm_for(url), client_for(url), state, poll=FAST, report=report
        )
        server = stats(url)
    assert report.resumed and report.batch_id == saved["batch_id"]
    assert server["files_uploaded"] == 1 and server["batches_created"] == 1
    assert report.from_batch == 30 and server.get("chat_requests", 0) == 0
    for custom_id, reply in results.items():
        assert_own_reply(custom_id, reply)
    assert json.loads(state.read_text())["status"] == "completed"


async def test_polling_deadline_raises_batch_pending_and_a_rerun_resumes(tmp_path):
    state = tmp_path / "stage.json"
    requests = [extraction(i) for i in range(10)]
    impatient = PollSettings(initial=0.02, deadline=0.1)
    with running_stub(StubConfig(batch_line_seconds=0.05)) as url:
        with pytest.raises(BatchPending) as info:
            await run_batch_stage(requests, llm_for(url), client_for(url), state, poll=impatient)
        report = BatchReport()
        results = await run_batch_stage(
            requests, llm_for(url), client_for(url), state, poll=FAST, report=report
        )
        server = stats(url)
    assert info.value.batch_id == report.batch_id and report.resumed
    assert server["batches_created"] == 1 and len(results) == 10


async def test_crash_between_upload_and_create_reuses_the_uploaded_file(tmp_path, monkeypatch):
    state = tmp_path / "stage.json"
    requests = [extraction(i) for i in range(3)]
    with running_stub() as url:
        client = client_for(url)

        async def crash(**kwargs):
            raise RuntimeError("killed")

        monkeypatch.setattr(client.batches, "create", crash)
        with pytest.raises(RuntimeError):
            await run_batch_stage(requests, llm_for(url), client, state, poll=FAST)
        report = BatchReport()
        await run_batch_stage(
            requests, llm_for(url), client_for(url), state, poll=FAST, report=report
        )
        server = stats(url)
    assert server["files_uploaded"] == 1 and server["batches_created"] == 1 and report.resumed


async def test_changed_requests_are_submitted_anew(tmp_path):
    state = tmp_path / "stage.json"
    with running_stub() as url:
        await run_batch_stage([extraction(1)], llm_for(url), client_for(url), state, poll=FAST)
        report = BatchReport()
        await run_batch_stage(
            [extraction(2)], llm_for(url), client_for(url), state, poll=FAST, report=report
        )
        server = stats(url)
    assert server["batches_created"] == 2 and not report.resumed


async def test_rejects_duplicate_ids_and_non_openai_backends(tmp_path):
    with pytest.raises(ValueError):
        await run_batch_stage([extraction(1), extraction(1)], None, None, tmp_path / "s.json")
    assert await run_batch_stage([], None, None, tmp_path / "s.json") == {}
    with pytest.raises(ConfigError):
        await run_batch_stage(
            [extraction(1)], StructuredLLM(FakeChatModel()), None, tmp_path / "s.json"
        )
