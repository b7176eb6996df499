"""The sqlite LLM cache: hits skip the model, keys cover messages, parameters and schema."""

from __future__ import annotations

from langchain_core.runnables import RunnableBinding
from langchain_openai import ChatOpenAI
from pydantic import BaseModel

from factcheck.app import build_llm
from factcheck.config import Settings
from factcheck.llm.cache import CacheTally, SQLiteLLMCache, count_hits, schema_fingerprint
from factcheck.llm.fake import FakeChatModel
from factcheck.llm.pricing import Price, cost_usd
from factcheck.llm.schemas import VerificationReply
from factcheck.llm.structured import StructuredLLM

GOOD = {"rationale": "r", "verdict": "SUPPORTED", "confidence": 0.8, "citations": []}
MESSAGES = [("system", "sys"), ("user", "user")]


def _fake(cache: SQLiteLLMCache) -> FakeChatModel:
    return FakeChatModel(responder=lambda messages, schema: GOOD, cache=cache)


async def test_second_identical_call_is_a_hit_with_original_usage(tmp_path):
    cache = SQLiteLLMCache(tmp_path / "llm.sqlite")
    model = _fake(cache)
    llm = StructuredLLM(model)
    first = await llm.ask(MESSAGES, VerificationReply)
    tally = CacheTally()
    with count_hits(tally):
        second = await llm.ask(MESSAGES, VerificationReply)
    assert model.calls == 1
    assert second.value == first.value
    assert (tally.hits, tally.misses) == (1, 0)
    # LangChain returns the stored usage_metadata on a hit: tokens look as if spent again.
    assert second.usage.prompt_tokens == first.usage.prompt_tokens > 0
    assert tally.hit_prompt_tokens == first.usage.prompt_tokens
    assert cache.stats.hits == 1 and cache.stats.misses == 1


async def test_cache_persists_across_instances(tmp_path):
    path = tmp_path / "llm.sqlite"
    await StructuredLLM(_fake(SQLiteLLMCache(path))).ask(MESSAGES, VerificationReply)
    model = _fake(SQLiteLLMCache(path))
    await StructuredLLM(model).ask(MESSAGES, VerificationReply)
    assert model.calls == 0


async def test_other_messages_or_params_miss(tmp_path):
    cache = SQLiteLLMCache(tmp_path / "llm.sqlite")
    model = _fake(cache)
    await StructuredLLM(model).ask(MESSAGES, VerificationReply)
    await StructuredLLM(model).ask([("system", "sys"), ("user", "other")], VerificationReply)
    other = FakeChatModel(responder=lambda m, s: GOOD, cache=cache, model_name="fake-2")
    await StructuredLLM(other).ask(MESSAGES, VerificationReply)
    assert model.calls == 2 and other.calls == 1


def _schema_named_reply(field: str) -> type[BaseModel]:
    return type("Reply", (BaseModel,), {"__annotations__": {field: int}, "__module__": __name__})


async def test_same_class_name_other_schema_does_not_collide(tmp_path):
    first, second = _schema_named_reply("a"), _schema_named_reply("b")
    answers = iter([{"a": 1}, {"b": 2}])
    model = FakeChatModel(
        responder=lambda m, s: next(answers), cache=SQLiteLLMCache(tmp_path / "c.sqlite")
    )
    assert (await StructuredLLM(model).ask(MESSAGES, first)).value.a == 1
    assert (await StructuredLLM(model).ask(MESSAGES, second)).value.b == 2
    assert model.calls == 2


def _bound_kwargs(runnable: object, llm: object) -> dict:
    """The keyword arguments `with_structured_output` bound to `llm` inside `runnable`."""
    stack = [runnable]
    while stack:
        node = stack.pop()
        if isinstance(node, RunnableBinding) and node.bound is llm:
            return dict(node.kwargs)
        for attr in ("first", "middle", "last", "bound", "steps__"):
            value = getattr(node, attr, None)
            if isinstance(value, dict):
                stack.extend(value.values())
            elif isinstance(value, list):
                stack.extend(value)
            elif value is not None:
                stack.append(value)
    raise AssertionError("no binding found")


def test_langchain_key_includes_schema_for_json_schema_and_tools_not_json_mode():
    """Documents what LangChain's own llm_string holds (why cache.py adds the schema)."""
    llm = ChatOpenAI(model="gpt-4o-mini", api_key="sk-test")
    seen = {}
    for method in ("json_schema", "function_calling", "json_mode"):
        runnable = llm.with_structured_output(VerificationReply, method=method, include_raw=True)
        key = llm._get_llm_string(**_bound_kwargs(runnable, llm))
        seen[method] = "rationale" in key  # a field name: the schema's content is in the key
        assert "sk-test" not in key
    assert seen == {"json_schema": True, "function_calling": True, "json_mode": False}


def test_settings_attach_the_cache_to_the_built_model(tmp_path):
    settings = Settings(_env_file=None, llm_backend="fake", llm_cache=tmp_path / "c.sqlite")
    llm = build_llm(settings)
    assert isinstance(llm.chat_model.cache, SQLiteLLMCache)
    assert Settings(_env_file=None, llm_backend="fake").llm_cache is None


def test_schema_fingerprint_is_computed_once_per_class(monkeypatch):
    """It runs on every LLM call: the JSON schema is built once per class, not per call."""

    class Reply(BaseModel):
        answer: str

    built = []
    original = Reply.model_json_schema.__func__  # type: ignore[attr-defined]

    def counting(cls, *args, **kwargs):
        built.append(cls)
        return original(cls, *args, **kwargs)

    monkeypatch.setattr(Reply, "model_json_schema", classmethod(counting))
    first = schema_fingerprint(Reply)
    assert schema_fingerprint(Reply) == first
    assert len(built) == 1
    assert schema_fingerprint(VerificationReply) != first
    assert schema_fingerprint(None) == ""


async def test_a_cache_hit_is_recorded_as_cached_and_costs_nothing(tmp_path):
    """Tokens of a hit stay in the counts (what the work takes) but are not billable."""
    model = _fake(SQLiteLLMCache(tmp_path / "llm.sqlite"))
    llm = StructuredLLM(model)
    first = await llm.ask(MESSAGES, VerificationReply)
    second = await llm.ask(MESSAGES, VerificationReply)
    assert model.calls == 1
    assert first.usage.cache_hits == 0 and first.usage.billable_tokens > 0
    assert second.usage.cache_hits == 1 and second.usage.calls == 1
    assert second.usage.prompt_tokens == first.usage.prompt_tokens
    assert second.usage.cached_prompt_tokens == first.usage.prompt_tokens
    assert second.usage.billable_tokens == 0
    price = Price(prompt=0.15, completion=0.6)
    assert cost_usd(first.usage, price) > 0
    assert cost_usd(second.usage, price) == 0
    assert llm.totals.cache_hits == 1
    assert llm.totals.billable_tokens == first.usage.billable_tokens
