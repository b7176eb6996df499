"""Fault injection end to end: the real pipeline (extract → retrieve → verify) over ChatOpenAI
against the stub OpenAI-compatible server injecting 429s, 500s, timeouts, truncated and
schema-breaking JSON and slow replies. Nothing may be lost; with these rates nothing may fail;
every retry (the SDK's) and re-ask (ours) is counted in the run's usage.

Run: pytest -q -s tests/integration/test_faults.py   (-s shows the figures)
"""

from __future__ import annotations

import os
import time
from collections import Counter
from datetime import date

import httpx
import pytest

from factcheck.app import build_llm
from factcheck.config import Settings, default_prompts_dir
from factcheck.extract import ClaimExtractor
from factcheck.llm.prompts import PromptLibrary
from factcheck.models import Article, ClaimResult, ErrorRecord, Usage
from factcheck.pipeline import Pipeline
from factcheck.retrieval.source_policy import RetrievalSettings
from factcheck.testing import FaultRates, StubConfig, running_stub
from factcheck.testing.doubles import ListRetriever
from factcheck.verify.llm import LLMVerifier

pytestmark = pytest.mark.integration

ARTICLES = 70
FAULTS = FaultRates(
    rate_429=0.10,
    rate_500=0.05,
    rate_timeout=0.03,
    rate_truncated=0.05,
    rate_schema_break=0.05,
    rate_slow=0.10,
)
CLIENT_TIMEOUT = 2.0
STUB = StubConfig(
    faults=FAULTS,
    seed=int(os.environ.get("FACTCHECK_FAULT_SEED", "2026")),
    retry_after=1.0,
    timeout_hold=CLIENT_TIMEOUT + 1.0,
    slow_delay=0.5,
    base_delay=0.02,
)
MONTHS = ["January", "March", "May", "July", "September", "November"]


def sentences(i: int) -> list[str]:
    """Three numeric, distinct, check-worthy sentences for article `i`."""
    town, year = f"Villa{i}", 2000 + i % 26
    return [
        f"In {year} the municipality of {town} registered {1000 + 37 * i:,} new voters.",
        f"The {town} council approved a budget of {250000 + 1000 * i:,} pesos for {year}.",
        f"Local police in {town} reported {10 + i} arrests during {MONTHS[i % 6]} {year}.",
    ]


def references() -> list[str]:
    """One reference per claim; every third one contradicts its claim ("never")."""
    verbs = (" registered ", " approved ", " reported ")
    refs = []
    for i in range(ARTICLES):
        for j, sentence in enumerate(sentences(i)):
            negate = (i + j) % 3 == 2
            refs.append(sentence.replace(verbs[j], f" never{verbs[j]}") if negate else sentence)
    return refs


async def test_faults_lose_nothing_and_every_retry_is_counted():
    articles = [
        Article(id=f"a{i:03d}", text=" ".join(sentences(i)), published=date(2026, 1, 29))
        for i in range(ARTICLES)
    ]
    expected = Counter((a.id, s) for i, a in enumerate(articles) for s in sentences(i))
    with running_stub(STUB) as url:
        llm = build_llm(
            Settings(
                llm_backend="openai",
                base_url=f"{url}/v1",
                model="stub",
                sdk_max_retries=5,
                request_timeout=CLIENT_TIMEOUT,
                max_reasks=3,
                concurrency=16,
            )
        )
        prompts = PromptLibrary(default_prompts_dir())
        pipeline = Pipeline(
            ClaimExtractor(llm, prompts),
            ListRetriever(references()),
            LLMVerifier(llm, prompts, relevance_threshold=0.2),
            retrieval=RetrievalSettings(top_k=6, candidates=30, rrf_k=60),
            concurrency=16,
            model=llm.model_name,
        )
        started = time.perf_counter()
        blocks = [block async for block in pipeline.run(articles)]
        wall = time.perf_counter() - started
        server = httpx.get(f"{url}/stub/stats", timeout=5).json()

    records = [r for block in blocks for r in block.records]
    usage = Usage()  # what the run's summary line reports: the sum of the item blocks' usage
    for block in blocks:
        usage.add(block.usage)
    seen = Counter(
        (r.claim.article_id, r.claim.quote)
        for r in records
        if isinstance(r, ClaimResult) or (isinstance(r, ErrorRecord) and r.claim is not None)
    )
    article_errors = [r for r in records if isinstance(r, ErrorRecord) and r.claim is None]
    errors = [r for r in records if isinstance(r, ErrorRecord)]
    # A failed extraction yields one article-level record standing for its claims.
    failed_articles = {r.article_id for r in article_errors}
    accounted = seen + Counter(k for k in expected if k[0] in failed_articles)
    lost = sum((expected - accounted).values())
    duplicated = sum((accounted - expected).values())
    totals = llm.retry_counter.totals
    verdicts = Counter(r.verdict.value for r in records if isinstance(r, ClaimResult))
    figures = {
        "articles": len(articles),
        "claims expected": sum(expected.values()),
        "claim records": sum(isinstance(r, ClaimResult | ErrorRecord) for r in records),
        "results": sum(isinstance(r, ClaimResult) for r in records),
        "errors": len(errors),
        "errors by stage": dict(Counter(r.stage for r in errors)),
        "lost": lost,
        "duplicated": duplicated,
        "LLM calls (ours, incl. re-asks)": usage.calls,
        "HTTP requests at the server": server["chat_requests"],
        "SDK retries": totals.sdk_retries,
        "  after 429": totals.retried_429,
        "  after 5xx": totals.retried_5xx,
        "  after timeout": totals.timeouts,
        "re-asks (invalid output)": usage.reasks,
        "faults injected": {k[6:]: v for k, v in sorted(server.items()) if k.startswith("fault_")},
        "verdicts": dict(verdicts),
        "tokens (prompt+completion)": usage.prompt_tokens + usage.completion_tokens,
        "wall seconds": round(wall, 1),
    }
    print("\nfault-injection run:")
    for key, value in figures.items():
        print(f"  {key}: {value}")
    for error in errors[:5]:
        print(f"  error: {error.stage} {error.item_id}: {error.message[:300]}")

    # Nothing lost: every claim has exactly one result or error record, nothing extra.
    assert lost == 0 and duplicated == 0
    assert seen == expected and not article_errors
    # With these rates (and 5 SDK retries, 3 re-asks) every call must succeed in the end.
    assert errors == []
    # Every fault the server injected was met by the client and counted in the run's usage.
    assert usage.retried_429 == totals.retried_429 == server["fault_429"]
    assert usage.retried_5xx == totals.retried_5xx == server["fault_500"]
    assert usage.timeouts == totals.timeouts == server["fault_timeout"]
    assert usage.sdk_retries == totals.sdk_retries == server["retried_requests"]
    assert totals.sdk_retries == totals.retried_429 + totals.retried_5xx + totals.timeouts
    assert usage.reasks == server["fault_truncated"] + server["fault_schema_break"]
    assert server["chat_requests"] == usage.calls + totals.sdk_retries  # no third retry layer
    assert min(server[f"fault_{k}"] for k in ("429", "500", "timeout", "truncated")) > 0
    assert wall < 120
