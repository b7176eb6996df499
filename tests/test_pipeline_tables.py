"""The pipeline adds the best on-topic statistics-table row to a change claim's evidence when
its top k holds none, under the same source policy (so the trend step has a series to read)."""

from __future__ import annotations

from datetime import date
from typing import Any

from factcheck.models import Claim, Evidence, RetrievalRecord, SourceChunk
from factcheck.pipeline import with_table_row
from factcheck.retrieval.source_policy import RetrievalSettings


def chunk(cid: str, text: str, series: str | None = None, publisher: str = "P") -> SourceChunk:
    return SourceChunk(
        id=cid,
        source_id=cid,
        text=text,
        start=0,
        end=len(text),
        publisher=publisher,
        series_id=f"t/{series}" if series else None,
        series=series,
    )


class TableRetriever:
    def __init__(self, rows: list[SourceChunk]) -> None:
        self.rows = rows
        self.calls: list[dict[str, Any]] = []

    def search(self, query: str, **options: Any) -> list[Evidence]:
        self.calls.append({"query": query, **options})
        return [Evidence(number=i, chunk=c, score=0.1) for i, c in enumerate(self.rows, 1)]

    def publishers(self) -> list[str]:
        return ["P", "SESNSP"]


def add_row(claim_text: str, rows: list[SourceChunk], **policy: Any):
    retriever = TableRetriever(rows)
    retrieval = RetrievalSettings(top_k=2, candidates=10, rrf_k=60, **policy)
    claim = Claim.make(
        article_id="a", text=claim_text, quote=claim_text, start=0, end=1, checkworthiness=0.9
    )
    prose = [Evidence(number=1, chunk=chunk("prose", "Homicides are a concern."), score=0.5)]
    record = RetrievalRecord(top_k=2, candidates=10, rrf_k=60, cutoff=date(2026, 1, 29))
    evidence, excluded = with_table_row(retriever, retrieval, claim, record, {}, prose, [])
    return evidence, excluded, retriever.calls


def test_an_on_topic_row_is_added_for_a_change_claim() -> None:
    rows = [
        chunk("r1", "Inflation, Mexico, 2024: 4.2%", "Inflation"),
        chunk("r2", "Intentional homicide victims, Mexico, 2024: 30,057", "Homicide victims"),
    ]
    evidence, excluded, calls = add_row("Homicides in Mexico are falling", rows)
    assert [e.chunk.id for e in evidence] == ["prose", "r2"]
    assert evidence[-1].number == 2 and excluded == []
    (call,) = calls
    assert call["where"] == {"table": True}
    assert call["published_on_or_before"] == date(2026, 1, 29)


def test_the_publisher_policy_applies_to_the_table_lookup() -> None:
    rows = [chunk("r2", "Homicide victims, 2024: 1", "Homicide victims", publisher="SESNSP")]
    _, _, calls = add_row("Homicides in Mexico are falling", rows, deny_publishers=("P",))
    where = calls[0]["where"]
    assert where["$and"][0] == {"table": True} and len(where["$and"]) == 2


def test_off_topic_rows_are_not_added() -> None:
    rows = [chunk("r1", "Inflation, Mexico, 2024: 4.2%", "Inflation")]
    evidence, _, _ = add_row("Homicides in Mexico are falling", rows)
    assert [e.chunk.id for e in evidence] == ["prose"]
