"""The in-process llama.cpp backend (`ChatLlamaCpp`) with the default 0.5B GGUF."""

from __future__ import annotations

import json

import pytest
from langchain_core.messages import HumanMessage

from factcheck.app import build_llm
from factcheck.config import Settings
from factcheck.extract import STEP
from factcheck.llm.prompts import PromptLibrary
from factcheck.llm.schemas import ExtractionReply

pytestmark = [pytest.mark.integration, pytest.mark.timeout(1500)]

HINT = "install the local extra: pip install 'factcheck-pipeline[local]'"


@pytest.fixture(scope="module")
def local_settings() -> Settings:
    """Settings for the local backend with small outputs (no .env)."""
    pytest.importorskip("llama_cpp", reason=f"llama_cpp cannot be imported: {HINT}")
    return Settings(_env_file=None, llm_backend="local", max_output_tokens=256, max_reasks=1)


async def test_structured_extraction_in_process(local_settings: Settings) -> None:
    llm = build_llm(local_settings)
    passage = "Oslo had 709,000 residents in 2023, according to Statistics Norway."
    messages = (
        PromptLibrary(local_settings.prompts_dir)
        .get(STEP)
        .render(
            title="Oslo keeps growing",
            publisher="(unknown)",
            published="(unknown)",
            context_before="",
            passage=passage,
            context_after="",
            max_claims=2,
            article_language="English (en)",
        )
    )
    reply = await llm.ask(messages, ExtractionReply)
    assert isinstance(reply.value, ExtractionReply)
    assert reply.usage.calls >= 1
    assert reply.usage.prompt_tokens > 0 and reply.usage.completion_tokens > 0


async def test_length_caps_are_enforced_by_the_grammar(local_settings: Settings) -> None:
    from factcheck.app import build_chat_model

    model, _, _ = build_chat_model(local_settings)
    schema = {
        "type": "object",
        "properties": {
            "story": {"type": "string", "maxLength": 12},
            "numbers": {"type": "array", "items": {"type": "integer"}, "maxItems": 2},
        },
        "required": ["story", "numbers"],
        "additionalProperties": False,
    }
    message = await model.ainvoke(
        [HumanMessage("As JSON: a long story about the sea in story, and 1 to 10 in numbers.")],
        response_schema=schema,
        max_tokens=48,
    )
    reply = json.loads(str(message.content))
    assert len(reply["story"]) <= 12 and len(reply["numbers"]) <= 2
    assert message.usage_metadata and message.usage_metadata["output_tokens"] > 0
