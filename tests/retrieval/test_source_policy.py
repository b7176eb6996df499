"""Time and source policy: as-of cutoff, stale evidence, publisher allow/deny lists, tier
weights, and evidence from the claim's own publisher or speaker — the store with a hash
embedder in tmp_path, the pipeline with the fake model."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from factcheck.app import store_settings
from factcheck.config import Settings, default_prompts_dir
from factcheck.extract import ClaimExtractor
from factcheck.io.inputs import Source
from factcheck.llm.fake import FakeChatModel
from factcheck.llm.prompts import PromptLibrary
from factcheck.llm.structured import StructuredLLM
from factcheck.models import Article, ClaimResult, Evidence
from factcheck.pipeline import Pipeline
from factcheck.retrieval.source_policy import (
    NO_PUBLISHER_ALLOWED,
    RetrievalSettings,
    name_forms,
    publisher_where,
    split_independent,
)
from factcheck.retrieval.store import ReferenceStore
from factcheck.testing.doubles import HashEmbedding, ListRetriever, chunk
from factcheck.verify.llm import LLMVerifier

CLAIM = "Mexico sent 37 cartel prisoners to the United States in January."
ARTICLE_DATE = date(2026, 1, 29)


def make_store(tmp_path: Path, sources: list[Source], **overrides: object) -> ReferenceStore:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        chroma_path=tmp_path / "chroma",
        collection="policy",
        chunk_size=300,
        chunk_overlap=20,
        **overrides,  # type: ignore[arg-type]
    )
    store = ReferenceStore.open(store_settings(settings), HashEmbedding())
    store.ingest(sources)
    return store


def pipeline(retriever: object, **retrieval: object) -> Pipeline:
    llm = StructuredLLM(FakeChatModel(), max_reasks=0)
    prompts = PromptLibrary(default_prompts_dir())
    return Pipeline(
        ClaimExtractor(llm, prompts),
        retriever,  # type: ignore[arg-type]
        LLMVerifier(llm, prompts, relevance_threshold=0.0),
        retrieval=RetrievalSettings(top_k=3, candidates=10, rrf_k=60, **retrieval),  # type: ignore[arg-type]
        concurrency=1,
        model="fake",
    )


async def check(p: Pipeline, *, publisher: str | None = None) -> ClaimResult:
    article = Article(id="a1", text=CLAIM, published=ARTICLE_DATE, publisher=publisher)
    records = [r async for block in p.run([article]) for r in block.records]
    (result,) = records
    assert isinstance(result, ClaimResult), result
    return result


def src(sid: str, text: str, **fields: object) -> Source:
    return Source(id=sid, text=text, **fields)  # type: ignore[arg-type]


DATED = [
    src(
        "old", "Mexico sent 29 cartel prisoners to the United States.", published=date(2025, 2, 27)
    ),
    src(
        "late",
        "Mexico sent 37 cartel prisoners to the United States in January.",
        published=date(2026, 3, 6),
    ),
    src("undated", "Mexico sent 26 cartel prisoners to the United States."),
]


# --- names -----------------------------------------------------------------------------------


def test_names_match_ignoring_case_accents_punctuation_and_parentheses() -> None:
    assert name_forms("MÉXICO news-daily") & name_forms("Mexico News Daily")
    assert name_forms("The New Republic") & name_forms("new republic")
    doj = "U.S. Department of Justice, Office of Public Affairs (press release)"
    assert name_forms("u.s. department of justice") & name_forms(doj)
    assert not name_forms("Mexico") & name_forms("Mexico News Daily")
    assert name_forms(None) == set() and name_forms("  ") == set()


def test_publisher_where_spells_names_as_stored() -> None:
    known = ["El Universal", "Mexico News Daily", "Reuters"]
    assert publisher_where(["REUTERS"], [], known) == {"publisher": {"$in": ["Reuters"]}}
    assert publisher_where([], ["mexico news daily"], known) == {
        "publisher": {"$nin": ["Mexico News Daily"]}
    }
    assert publisher_where(["Nobody"], [], known) == {"publisher": {"$in": [NO_PUBLISHER_ALLOWED]}}
    assert publisher_where([], ["Nobody"], known) is None
    assert publisher_where([], [], known) is None
    assert publisher_where(["reuters", "el universal"], ["Reuters"], known) == {
        "$and": [
            {"publisher": {"$in": ["El Universal", "Reuters"]}},
            {"publisher": {"$nin": ["Reuters"]}},
        ]
    }


def test_settings_parse_comma_lists_and_tier_weights(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FACTCHECK_DENY_PUBLISHERS", " Mexico News Daily , reuters,")
    monkeypatch.setenv("FACTCHECK_TIER_WEIGHTS", "1:1.0, 2:0.8,3:0.5")
    monkeypatch.setenv("FACTCHECK_AS_OF", "2026-01-29")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.deny_publishers == ["Mexico News Daily", "reuters"]
    assert settings.allow_publishers == []
    assert settings.tier_weights == {1: 1.0, 2: 0.8, 3: 0.5}
    assert settings.as_of == date(2026, 1, 29) and settings.evidence_before_claim_date
    from factcheck.config import load_settings
    from factcheck.errors import ConfigError

    for bad in ("1=1.0", "4:1.0", "2:-1"):
        monkeypatch.setenv("FACTCHECK_TIER_WEIGHTS", bad)
        with pytest.raises(ConfigError, match="FACTCHECK_TIER_WEIGHTS"):
            load_settings(_env_file=None)


# --- time ------------------------------------------------------------------------------------


async def test_default_cutoff_is_the_claim_date_and_as_of_overrides_it(tmp_path: Path) -> None:
    store = make_store(tmp_path, DATED)
    result = await check(pipeline(store))
    retrieval = result.provenance.retrieval
    assert retrieval and retrieval.cutoff == ARTICLE_DATE and retrieval.cutoff_basis == "claim_date"
    assert result.claim.claim_date == ARTICLE_DATE
    assert {e.chunk.source_id for e in result.evidence} == {"old", "undated"}
    assert any(e.dense_rank for e in result.evidence)
    assert any(e.lexical_rank for e in result.evidence)

    early = await check(pipeline(store, as_of=date(2025, 1, 1)))
    assert early.provenance.retrieval and early.provenance.retrieval.cutoff_basis == "as_of"
    assert {e.chunk.source_id for e in early.evidence} == {"undated"}

    unbounded = await check(pipeline(store, evidence_before_claim_date=False))
    assert unbounded.provenance.retrieval and unbounded.provenance.retrieval.cutoff is None
    assert "late" in {e.chunk.source_id for e in unbounded.evidence}


async def test_stale_when_the_newest_citation_is_older_than_the_limit() -> None:
    retriever = ListRetriever([])
    retriever.chunks = [chunk(CLAIM, published=date(2024, 1, 2))]
    stale = await check(pipeline(retriever, max_evidence_age_days=365))
    assert stale.citations and stale.evidence_age_days == (ARTICLE_DATE - date(2024, 1, 2)).days
    assert stale.stale_evidence
    fresh = await check(pipeline(retriever, max_evidence_age_days=1000))
    assert not fresh.stale_evidence and fresh.evidence_age_days == stale.evidence_age_days
    never = await check(pipeline(retriever, max_evidence_age_days=0))
    assert not never.stale_evidence
    retriever.chunks = [chunk(CLAIM)]  # undated: age unknown, never stale
    undated = await check(pipeline(retriever, max_evidence_age_days=1))
    assert undated.citations and undated.evidence_age_days is None and not undated.stale_evidence


# --- source policy -----------------------------------------------------------------------------

PUBLISHED = [
    src("r1", "Mexico sent 37 cartel prisoners to the United States.", publisher="Reuters"),
    src("m1", "Mexico sent cartel prisoners to the United States in January.", publisher="MND"),
    src("n1", "Mexico sent prisoners to the United States in January 2026."),
]


async def test_allow_and_deny_lists_apply_to_both_rankings(tmp_path: Path) -> None:
    store = make_store(tmp_path, PUBLISHED)
    assert store.publishers() == ["MND", "Reuters"]
    denied = await check(pipeline(store, deny_publishers=("reuters",)))
    assert {e.chunk.source_id for e in denied.evidence} == {"m1", "n1"}  # unpublished kept
    assert denied.provenance.retrieval and denied.provenance.retrieval.deny_publishers == [
        "reuters"
    ]
    allowed = await check(pipeline(store, allow_publishers=("REUTERS", "mnd")))
    assert {e.chunk.source_id for e in allowed.evidence} == {"r1", "m1"}
    nobody = await check(pipeline(store, allow_publishers=("AP",)))
    assert nobody.evidence == [] and nobody.verdict == "NOT_ENOUGH_EVIDENCE"
    where = publisher_where([], ["Reuters"], store.publishers())
    for mode in ("dense", "lexical"):
        hits = store.search(CLAIM, k=3, candidates=10, where=where, mode=mode)  # type: ignore[arg-type]
        assert hits and "r1" not in {e.chunk.source_id for e in hits}


def test_tier_weights_reorder_before_the_top_k_cut(tmp_path: Path) -> None:
    # RRF: with score fusion the weakest of 3 candidates scores 0 after min-max and no weight
    # can lift it, which would hide what this test is about (weights apply before the cut).
    store = make_store(
        tmp_path,
        [
            src("blog", CLAIM, credibility_tier=3),
            src("agency", "Mexico sent prisoners to the United States.", credibility_tier=1),
            src("plain", "Prisoners were sent in January."),
        ],
        fusion="rrf",
    )
    plain = store.search(CLAIM, k=2, candidates=3)
    assert [e.chunk.source_id for e in plain] == ["blog", "agency"]
    weighted = store.search(CLAIM, k=2, candidates=3, tier_weights={1: 1.0, 3: 0.1})
    assert [e.chunk.source_id for e in weighted] == ["agency", "plain"]  # untiered weighs 1.0
    by_id = {e.chunk.source_id: e for e in store.search(CLAIM, k=3, candidates=3)}
    assert weighted[0].score == pytest.approx(by_id["agency"].score)
    assert weighted[1].score == pytest.approx(by_id["plain"].score)
    full = store.search(CLAIM, k=3, candidates=3, tier_weights={1: 1.0, 3: 0.1})
    assert full[-1].chunk.source_id == "blog"
    assert full[-1].score == pytest.approx(by_id["blog"].score * 0.1)


async def test_own_publisher_and_speaker_are_not_independent_evidence(tmp_path: Path) -> None:
    store = make_store(
        tmp_path,
        [*PUBLISHED, src("s1", CLAIM + " Said the ministry.", publisher="Ministry of Security")],
    )
    result = await check(pipeline(store), publisher="Mexico News Daily")
    assert {e.chunk.source_id for e in result.evidence} >= {"m1"}  # MND ≠ Mexico News Daily

    own = await check(pipeline(store), publisher="mnd")
    assert "m1" not in {e.chunk.source_id for e in own.evidence}
    assert [(x.source_id, x.reason) for x in own.excluded_evidence] == [("m1", "article_publisher")]
    assert [e.number for e in own.evidence] == list(range(1, len(own.evidence) + 1))
    assert len(own.evidence) == 3  # over-fetched: still top_k passages
    assert own.provenance.retrieval and own.provenance.retrieval.not_independent == ["mnd"]

    off = await check(pipeline(store, exclude_own_sources=False), publisher="mnd")
    assert off.excluded_evidence == [] and "m1" in {e.chunk.source_id for e in off.evidence}


def test_split_independent_records_only_passages_ahead_of_the_cut() -> None:
    chunks = [
        chunk(f"passage {i}", title=f"T{i}").model_copy(update={"publisher": p})
        for i, p in enumerate(["Ministry", "Other", "ministry", "Third", "Ministry"])
    ]
    evidence = [Evidence(number=i + 1, chunk=c, score=1.0) for i, c in enumerate(chunks)]
    kept, excluded = split_independent(evidence, {"The Ministry": "speaker"}, 2)
    assert [e.chunk.title for e in kept] == ["T1", "T3"] and [e.number for e in kept] == [1, 2]
    assert [x.title for x in excluded] == ["T0", "T2"]
    assert {x.reason for x in excluded} == {"speaker"}


async def test_same_claim_from_another_publisher_is_checked_separately() -> None:
    retriever = ListRetriever([CLAIM])
    p = pipeline(retriever)
    articles = [
        Article(id="a1", text=CLAIM, published=ARTICLE_DATE, publisher="A"),
        Article(id="a2", text=CLAIM, published=ARTICLE_DATE, publisher="A"),
        Article(id="a3", text=CLAIM, published=ARTICLE_DATE, publisher="B"),
    ]
    results = [r async for block in p.run(articles) for r in block.records]
    assert len(results) == 3 and p.stats.deduplicated == 1
    assert len(retriever.queries) == 2
