import json

import pytest

from factcheck.errors import LLMError, OutputValidationError
from factcheck.llm.fake import FakeChatModel, heuristic_responder
from factcheck.llm.schemas import ExtractionReply, VerificationReply, capped_json_schema
from factcheck.llm.structured import StructuredLLM, to_lc_messages

GOOD = {
    "rationale": "Evidence 1 says so.",
    "verdict": "SUPPORTED",
    "confidence": 0.8,
    "citations": [{"evidence": 1, "quote": "x"}],
}
MESSAGES = [("system", "sys"), ("user", "user")]


async def test_reask_on_unparseable_then_schema_violation_then_success():
    model = FakeChatModel(replies=["not json at all", {**GOOD, "verdict": "PROBABLY"}, GOOD])
    reply = await StructuredLLM(model, max_reasks=2).ask(MESSAGES, VerificationReply)
    assert reply.value.verdict == "SUPPORTED"
    assert reply.usage.calls == 3 and reply.usage.reasks == 2
    assert reply.usage.prompt_tokens > 0 and reply.usage.completion_tokens > 0
    assert len(reply.errors) == 2
    assert model.calls == 3


async def test_reask_feeds_the_error_back_to_the_model():
    seen = []

    def responder(messages, schema):
        seen.append([m.content for m in messages])
        return "{broken" if len(seen) == 1 else GOOD

    await StructuredLLM(FakeChatModel(responder=responder), max_reasks=1).ask(
        MESSAGES, VerificationReply
    )
    assert len(seen) == 2
    assert "{broken" in seen[1]  # the bad reply is shown back
    assert "could not be parsed" in seen[1][-1]


async def test_exhausted_reasks_raise_typed_error_never_a_default():
    model = FakeChatModel(replies=["a", "b", "c"])
    with pytest.raises(OutputValidationError) as info:
        await StructuredLLM(model, max_reasks=2).ask(MESSAGES, VerificationReply)
    assert info.value.attempts == 3
    assert info.value.last_output == "c"
    assert len(info.value.errors) == 3


async def test_out_of_range_confidence_is_invalid():
    model = FakeChatModel(replies=[{**GOOD, "confidence": 7}, GOOD])
    reply = await StructuredLLM(model, max_reasks=1).ask(MESSAGES, VerificationReply)
    assert reply.value.confidence == 0.8 and reply.usage.reasks == 1


async def test_validate_callback_reasks_and_on_exhausted_repairs():
    def always_bad(_):
        raise ValueError("quote not in passage")

    model = FakeChatModel(replies=[GOOD, GOOD])
    with pytest.raises(OutputValidationError):
        await StructuredLLM(model, max_reasks=1).ask(
            MESSAGES, VerificationReply, validate=always_bad
        )
    model = FakeChatModel(replies=[GOOD, GOOD])
    reply = await StructuredLLM(model, max_reasks=1).ask(
        MESSAGES,
        VerificationReply,
        validate=always_bad,
        on_exhausted=lambda v: v.model_copy(update={"citations": []}),
    )
    assert reply.value.citations == [] and reply.errors


async def test_transport_errors_are_not_reasked():
    model = FakeChatModel(replies=[ConnectionError("refused"), GOOD])
    with pytest.raises(LLMError, match="refused"):
        await StructuredLLM(model, max_reasks=3).ask(MESSAGES, VerificationReply)
    assert model.calls == 1


def test_capped_schema_caps_strings_and_lists():
    schema = capped_json_schema(ExtractionReply, max_items=5)
    claims = schema["properties"]["claims"]
    assert claims["maxItems"] == 5
    item = claims["items"]
    assert item["properties"]["quote"]["maxLength"] == 300
    assert item["additionalProperties"] is False
    assert "$defs" not in json.dumps(schema)
    verdict = capped_json_schema(VerificationReply)
    assert verdict["properties"]["citations"]["maxItems"] == 4
    assert "maxLength" not in verdict["properties"]["verdict"]


async def test_heuristic_responder_answers_a_reask_from_the_data_message():
    calls = []

    def responder(messages, schema):
        calls.append(messages)
        return "not json" if len(calls) == 1 else heuristic_responder(messages, schema)

    prompt = [
        ("system", "s"),
        ("user", "<passage>\nIn 2025 Mexico built 24,000 homes.\n</passage>"),
    ]
    llm = StructuredLLM(FakeChatModel(responder=responder), max_reasks=1)
    reply = await llm.ask(prompt, ExtractionReply)
    assert reply.usage.reasks == 1
    assert [c.quote for c in reply.value.claims] == ["In 2025 Mexico built 24,000 homes."]


# --- the split fast path (model step awaited, parser inline) ----------------------------------


def _stub_llm(url: str, method: str, max_reasks: int = 1) -> StructuredLLM:
    from factcheck.app import build_llm
    from factcheck.config import Settings

    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        llm_backend="openai",
        base_url=f"{url}/v1",
        structured_output_method=method,
        max_reasks=max_reasks,
        sdk_max_retries=0,
    )
    return build_llm(settings)


VERIFY_MESSAGES = [
    ("system", "Judge the claim."),
    (
        "user",
        '<claim>\nIn 2020, 5 people came.\n</claim>\n<evidence number="1" source="R">\n'
        "In 2020, 5 people came.\n</evidence>",
    ),
]


@pytest.mark.parametrize("method", ["json_schema", "function_calling", "json_mode"])
async def test_ask_parses_as_the_include_raw_chain_without_running_it(method, monkeypatch):
    from factcheck.testing.stub_server import running_stub

    with running_stub() as url:
        llm = _stub_llm(url, method)
        chained = await llm.runnable(VerificationReply).ainvoke(to_lc_messages(VERIFY_MESSAGES))

        def no_chain(schema):
            raise AssertionError("ask should not run the include_raw chain")

        monkeypatch.setattr(llm, "runnable", no_chain)
        reply = await llm.ask(VERIFY_MESSAGES, VerificationReply)
    assert chained["parsing_error"] is None
    # function_calling against a compatible server sends a capped tool: the chain gives a dict.
    assert reply.value == VerificationReply.model_validate(chained["parsed"])
    assert reply.usage.calls == 1 and reply.usage.prompt_tokens > 0


@pytest.mark.parametrize("method", ["json_schema", "function_calling", "json_mode"])
async def test_schema_breaking_replies_are_reasked_then_raised(method):
    from factcheck.testing.stub_server import FaultRates, StubConfig, running_stub

    with running_stub(StubConfig(faults=FaultRates(rate_schema_break=1.0))) as url:
        llm = _stub_llm(url, method, max_reasks=1)
        with pytest.raises(OutputValidationError) as caught:
            await llm.ask(VERIFY_MESSAGES, VerificationReply)
    assert caught.value.usage.calls == 2 and caught.value.usage.reasks == 1


async def test_ask_falls_back_to_the_chain_when_the_runnable_cannot_be_split():
    from langchain_core.runnables import RunnableLambda

    class Unsplittable(FakeChatModel):
        def with_structured_output(self, schema, *, include_raw=False, **kwargs):
            chain = super().with_structured_output(schema, include_raw=include_raw, **kwargs)
            return chain if include_raw else RunnableLambda(chain.invoke)

    reply = await StructuredLLM(Unsplittable(replies=["{broken", GOOD])).ask(
        MESSAGES, VerificationReply
    )
    assert reply.value.verdict == "SUPPORTED" and reply.usage.reasks == 1
