"""The seed INEGI table and the demo's trend claim: "homicides in Mexico are falling", checked
against the seed reference folder, gets the change computed from the table."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

from factcheck.app import build_app, store_settings
from factcheck.config import REPO_DIR, Settings
from factcheck.io.inputs import Source, read_sources
from factcheck.models import Claim, ClaimResult
from factcheck.retrieval.store import ReferenceStore
from factcheck.testing.doubles import HashEmbedding

SEEDS = REPO_DIR / "seeds" / "reference"


def test_seed_table_reads_cleanly() -> None:
    rows = [s for s in read_sources(SEEDS / "inegi-homicides-annual.csv") if isinstance(s, Source)]
    assert [s.table.period.key for s in rows if s.table] == [str(y) for y in range(2018, 2025)]
    assert (
        rows[-1].text == "Presumed homicides registered, Mexico, 2024: 33,241 (INEGI, preliminary)"
    )
    assert all(s.publisher == "INEGI" and s.credibility_tier == 1 for s in rows)


def test_demo_trend_claim_is_checked_against_the_seed_table(tmp_path: Path) -> None:
    settings = Settings(llm_backend="fake", chroma_path=tmp_path / "chroma", collection="seeds")  # type: ignore[call-arg]
    store = ReferenceStore.open(store_settings(settings), HashEmbedding())
    report = store.ingest(read_sources(SEEDS))
    assert report.errors == []
    app = build_app(settings, store=store)
    text = "Homicides in Mexico are falling."
    claim = Claim.make(
        article_id="demo",
        text=text,
        quote=text,
        start=0,
        end=len(text),
        checkworthiness=0.9,
        claim_date=date(2026, 1, 29),
    )
    (result,) = asyncio.run(app.pipeline.check_claims([claim]))
    assert isinstance(result, ClaimResult)
    computed = [e for e in result.evidence if e.chunk.source_id.startswith("computed:")]
    assert len(computed) == 1
    assert computed[0].chunk.text.startswith(
        "Presumed homicides registered, Mexico: 33,241 in 2024 against 32,252 in 2023, a rise "
        "of 989 (3.1%)."
    )
    (check,) = [q for q in result.quantity_checks if q.rule.startswith("trend")]
    assert (check.claim_value, check.outcome) == ("falling", "contradicts")
    assert check.source_value == "+3.1% (2023 → 2024)"
    assert result.verdict.value != "SUPPORTED"
