"""Our OpenAI backend against a real `llama_cpp.server` running the default 0.5B GGUF.

Prompts are tiny and outputs capped (the suite runs on 2 shared cores). Verdict *labels* are
not asserted: a 0.5B model is near chance at verification. What is asserted is the plumbing:
structured output parses, usage is recorded, quotes are anchored, citations are verbatim.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import openai
import pytest
from langchain_openai import ChatOpenAI
from pydantic import BaseModel

from factcheck.app import build_llm
from factcheck.config import Settings
from factcheck.extract import ClaimExtractor, ExtractionSettings
from factcheck.llm.prompts import PromptLibrary
from factcheck.llm.structured import is_schema_rejection
from factcheck.models import Article, Evidence, Provenance, SourceChunk, content_id
from factcheck.verify.llm import LLMVerifier

if TYPE_CHECKING:
    from .conftest import LlamaServer

# One event loop for the module: langchain-openai shares one cached httpx AsyncClient per
# (base_url, timeout) across ChatOpenAI instances, and its pooled connections are bound to the
# loop that opened them; a per-test loop fails with "Event loop is closed" in the next test.
# A small model on 2 cores: seconds per call when the machine is idle, minutes when it is not.
pytestmark = [
    pytest.mark.integration,
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.timeout(1500),
]


class Population(BaseModel):
    """A deliberately tiny reply schema: the fallback test is about the method, not the prompt."""

    city: str
    residents: int


TINY_MESSAGES = [
    ("system", "Reply with JSON only."),
    ("user", "Oslo had 709,000 residents in 2023. Give the city and its residents."),
]


def server_settings(llama_server: LlamaServer, **overrides: object) -> Settings:
    """Settings for the OpenAI backend pointed at the test server (no .env, small outputs)."""
    values: dict[str, object] = {
        "llm_backend": "openai",
        # `base_url` is declared with validation aliases only, so it must be passed by alias.
        "FACTCHECK_BASE_URL": llama_server.base_url,
        "model": llama_server.model,
        "structured_output_method": "auto",
        "max_output_tokens": 256,
        "max_reasks": 1,
        "request_timeout": 600.0,
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


async def test_json_schema_is_rejected_by_the_server_and_replaced_by_function_calling(
    llama_server: LlamaServer, caplog: pytest.LogCaptureFixture
) -> None:
    # What the server really does with response_format=json_schema (no generation happens).
    raw = ChatOpenAI(
        model=llama_server.model, api_key="none", base_url=llama_server.base_url, max_retries=0
    ).with_structured_output(Population, method="json_schema")
    with pytest.raises(openai.InternalServerError) as info:
        await raw.ainvoke(TINY_MESSAGES)
    assert "json_schema" in str(info.value) and "response_format" in str(info.value)
    assert is_schema_rejection(info.value)

    # sdk_max_retries=0: with the default 3 the SDK repeats the 500 three times (with backoff)
    # before StructuredLLM sees it; the outcome is the same.
    settings = server_settings(
        llama_server, structured_output_method="json_schema", sdk_max_retries=0
    )
    llm = build_llm(settings)
    assert llm.method == "json_schema"
    with caplog.at_level(logging.WARNING, logger="factcheck.llm.structured"):
        reply = await llm.ask(TINY_MESSAGES, Population)
    assert llm.method == "function_calling"
    assert "rejected json_schema" in caplog.text
    assert isinstance(reply.value, Population)
    assert reply.usage.prompt_tokens > 0 and reply.usage.completion_tokens > 0


def _chunk(text: str, title: str) -> SourceChunk:
    return SourceChunk(
        id=content_id(title, text),
        source_id=content_id("source", title),
        text=text,
        start=0,
        end=len(text),
        title=title,
    )


async def test_extract_then_verify_end_to_end(llama_server: LlamaServer) -> None:
    """`auto` → function_calling; ExtractionReply and VerificationReply parse; usage counted."""
    settings = server_settings(llama_server)
    llm = build_llm(settings)
    assert llm.method == "function_calling"
    prompts = PromptLibrary(settings.prompts_dir)
    article = Article(
        title="Oslo keeps growing",
        text=(
            "Oslo had 709,000 residents in 2023, according to Statistics Norway. "
            "The city's metro carried 120 million passengers that year."
        ),
    )
    extractor = ClaimExtractor(
        llm,
        prompts,
        ExtractionSettings(
            window_sentences=2,
            context_sentences=0,
            max_claims_per_window=2,
            checkworthiness_threshold=0.0,
        ),
    )
    outcome = await extractor.extract(article)
    assert outcome.claims, f"no claims extracted; rejected: {outcome.rejected}"
    for claim in outcome.claims:
        assert article.text[claim.start : claim.end] == claim.quote
    assert outcome.usage.prompt_tokens > 0 and outcome.usage.completion_tokens > 0

    evidence = [
        Evidence(
            number=1,
            chunk=_chunk(
                "Statistics Norway counted 709,000 residents in Oslo at the end of 2023.",
                "Population statistics",
            ),
            score=1.0,
        ),
        Evidence(
            number=2,
            chunk=_chunk(
                "Oslo's metro carried 120 million passengers in 2023, Ruter said.",
                "Ruter annual report",
            ),
            score=0.9,
        ),
    ]
    verifier = LLMVerifier(llm, prompts)
    claim = outcome.claims[0]
    result = await verifier.verify(claim, evidence, Provenance(model=llm.model_name))
    assert result.verifier == "llm"  # judged by the model, not the no-evidence shortcut
    chunks = {e.chunk.id: e.chunk.text for e in result.evidence}
    for citation in result.citations:
        assert citation.chunk_id in chunks
        assert citation.quote in chunks[citation.chunk_id]
    assert result.provenance.usage.calls >= 1
    assert result.provenance.usage.prompt_tokens > 0
    assert result.provenance.usage.completion_tokens > 0
