"""Trend checks: direction words, period matching, window arithmetic, the computed passage and
the verdict rule (a claimed 11.1% fall against a computed -5% is never SUPPORTED)."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest

from factcheck.io.series import Period, TableRow
from factcheck.models import (
    Citation,
    Claim,
    ClaimResult,
    Evidence,
    Provenance,
    SourceChunk,
    Verdict,
    VerdictReason,
)
from factcheck.verify.checks import CheckedVerifier
from factcheck.verify.trends import (
    TREND_RULE,
    TrendChecker,
    choose_windows,
    claim_direction,
    claim_periods,
    compute_trend,
    passage,
    series_matches_claim,
    trend_checks,
    window_value,
)

SERIES = "sesnsp/victims/mexico"


def row(period: Period, value: float, aggregation: str = "sum") -> tuple[SourceChunk, TableRow]:
    table_row = TableRow(
        table_id="sesnsp",
        series_id=SERIES,
        series="Intentional homicide victims",
        geo="Mexico",
        period=period,
        value=value,
        value_text=f"{value:,.0f}",
        unit="victims",
        aggregation=aggregation,  # type: ignore[arg-type]
    )
    text = f"Intentional homicide victims, Mexico, {period.label()}: {value:,.0f} (SESNSP)"
    chunk = SourceChunk(
        id=f"row-{period.key}",
        source_id=f"{SERIES}@{period.key}",
        text=text,
        start=0,
        end=len(text),
        title="Victims by month",
        publisher="SESNSP",
        series_id=SERIES,
        series="Intentional homicide victims",
    )
    return chunk, table_row


def monthly(year: int, values: list[float]) -> list[tuple[SourceChunk, TableRow]]:
    return [row(Period.month(year, m), v) for m, v in enumerate(values, start=1)]


# 2024: 1,000 a month; 2025 H1: 950, 900, ... → H1 2024 = 6,000, H1 2025 = 5,250 (-12.5%)
ROWS = monthly(2024, [1000.0] * 12) + monthly(2025, [950, 900, 900, 850, 850, 800])


# --- direction words ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "direction"),
    [
        ("Homicides in Mexico are falling", "down"),
        ("homicides fell 11.1% in the first half of 2025", "down"),
        ("Sheinbaum touts the reduction in homicides", "down"),
        ("Los homicidios cayeron 11.1% en el primer semestre", "down"),
        ("los homicidios van a la baja, con una disminución de 5%", "down"),
        ("Homicides rose 3.1% in 2024", "up"),
        ("Los homicidios aumentaron en 2024", "up"),
        ("Homicidios crecen en Sinaloa", "up"),
        ("homicides are up 4% on the year", "up"),
        ("up to 500 people were killed", None),  # a bound, not a rise
        ("homicides did not fall in 2024", None),  # negated: no direction to test
        ("los homicidios no bajaron", None),
        ("murder is down, disappearances are up", None),  # both: ambiguous
        ("Mexico sent 37 prisoners to the United States", None),
    ],
)
def test_claim_direction(text: str, direction: str | None) -> None:
    assert claim_direction(text) == direction


# --- periods named by the claim ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "keys"),
    [
        ("homicides fell 11.1% in the first half of 2025", ["2025-H1"]),
        ("cayeron en el primer semestre de 2025", ["2025-H1"]),
        ("homicides fell in January–June 2025", ["2025-H1"]),
        ("cayeron de enero a junio de 2025", ["2025-H1"]),
        ("fell between January and May 2025", ["2025-01..2025-05"]),
        ("fell from November to February 2025", ["2024-11..2025-02"]),
        ("fell in the second quarter of 2025", ["2025-Q2"]),
        ("fell in June 2025 compared with June 2024", ["2024-06", "2025-06"]),
        ("rose between 2019 and 2024", ["2019", "2024"]),
        ("aumentaron en 2024 respecto a 2023", ["2023", "2024"]),
        ("homicides are falling", []),
    ],
)
def test_claim_periods(text: str, keys: list[str]) -> None:
    assert [p.key for p in claim_periods(text)] == keys


def test_windows_default_to_year_to_date_or_the_latest_year() -> None:
    baseline, current, basis = choose_windows("homicides are falling", ROWS)  # type: ignore[misc]
    assert (baseline.key, current.key) == ("2024-H1", "2025-H1")
    assert "year to date" in basis
    annual = [row(Period.of(y), v) for y, v in ((2022, 3.0), (2023, 2.0), (2024, 1.0))]
    baseline, current, basis = choose_windows("homicides are falling", annual)  # type: ignore[misc]
    assert (baseline.key, current.key) == ("2023", "2024")
    one = choose_windows("homicides fell in the first half of 2025", ROWS)
    assert one is not None and (one[0].key, one[1].key) == ("2024-H1", "2025-H1")
    since = choose_windows("homicides have fallen since October 2024", ROWS)
    assert since is not None and (since[0].key, since[1].key) == ("2024-10", "2025-06")
    desde = choose_windows("los homicidios bajaron desde 2022", annual)
    assert desde is not None and (desde[0].key, desde[1].key) == ("2022", "2024")


# --- window arithmetic -------------------------------------------------------------------------


def test_window_value_sums_rows_that_tile_the_window() -> None:
    value = window_value(Period.of(2025, 1, 6), ROWS)
    assert value is not None and value.value == 5250 and len(value.rows) == 6
    assert window_value(Period.of(2024), ROWS).value == 12000  # type: ignore[union-attr]


def test_window_value_refuses_a_window_with_a_missing_month() -> None:
    gappy = [r for r in ROWS if r[1].period != Period.month(2025, 3)]
    assert window_value(Period.of(2025, 1, 6), gappy) is None
    assert window_value(Period.of(2025, 1, 7), ROWS) is None  # July 2025 not in the table


def test_window_value_prefers_an_exact_row_and_averages_levels() -> None:
    mixed = [*ROWS, row(Period.of(2024), 11_500.0)]  # an annual total beside the months
    assert window_value(Period.of(2024), mixed).value == 11_500  # type: ignore[union-attr]
    rates = [row(Period.month(2025, m), v, "mean") for m, v in ((1, 2.0), (2, 3.0), (3, 4.0))]
    assert window_value(Period.of(2025, 1, 3), rates).value == 3.0  # type: ignore[union-attr]
    levels = [row(Period.month(2025, m), 1.0, "none") for m in (1, 2)]
    assert window_value(Period.of(2025, 1, 2), levels) is None


def test_compute_trend_arithmetic_and_passage() -> None:
    trend = compute_trend("homicides fell in the first half of 2025", ROWS)
    assert not isinstance(trend, str)
    assert trend.difference == -750
    assert trend.percent_change == pytest.approx(-12.5)
    assert trend.direction == "down"
    text = passage(trend, "SESNSP", "Victims by month", "en")
    assert text.startswith(
        "Intentional homicide victims, Mexico: 5,250 in January–June 2025 against 6,000 in "
        "January–June 2024, a fall of 750 (12.5%). Computed by factcheck from the SESNSP table "
        '"Victims by month"; rows used: Intentional homicide victims, Mexico, January 2024: '
        "1,000 (SESNSP);"
    )
    assert text.count("(SESNSP)") == 12  # every row it used, quoted as stored
    spanish = passage(trend, "SESNSP", "Víctimas", "es")
    assert "5,250 en enero–junio de 2025 frente a 6,000 en enero–junio de 2024" in spanish
    assert "una disminución de 750 (12.5%)" in spanish and "Calculado por factcheck" in spanish


def test_compute_trend_says_what_the_table_lacks() -> None:
    assert compute_trend("homicides fell in 2027", ROWS) == (
        "the table does not cover 2026 or 2027"
    )
    assert compute_trend("homicides fell", []) == "the series has no rows"


def test_zero_baseline_has_no_percentage() -> None:
    rows = [row(Period.of(2023), 0.0), row(Period.of(2024), 5.0)]
    trend = compute_trend("rose in 2024", rows)
    assert not isinstance(trend, str) and trend.percent_change is None
    (check,) = trend_checks("rose in 2024", trend, "s", "c")
    assert check.outcome == "consistent" and check.source_value.startswith("+5")


# --- the checks ----------------------------------------------------------------------------------


def percent_rows(current: float) -> list[tuple[SourceChunk, TableRow]]:
    return [row(Period.of(2024), 10_000.0), row(Period.of(2025), current)]


@pytest.mark.parametrize(
    ("current", "claim", "outcomes"),
    [
        # computed -11.14% is written "11.1%": the claim's 11.1% [11.05, 11.15] holds
        (8886.0, "homicides fell 11.1% in 2025", ["consistent", "consistent"]),
        # computed -11.16% is written "11.2%" [11.15, 11.25]: touching is not overlapping
        (8884.0, "homicides fell 11.1% in 2025", ["consistent", "contradicts"]),
        # a claimed 11.1% fall against a computed 5% fall: direction right, size wrong
        (9500.0, "homicides fell 11.1% in 2025", ["consistent", "contradicts"]),
        # "about 11%" is ±10%: [9.9, 12.1]
        (8990.0, "homicides fell about 11% in 2025", ["consistent", "consistent"]),
        (9500.0, "homicidios cayeron 11.1% en 2025", ["consistent", "contradicts"]),
        (10_310.0, "homicides fell 3.1% in 2025", ["contradicts", "contradicts"]),
        (10_310.0, "los homicidios aumentaron 3.1% en 2025", ["consistent", "consistent"]),
        (10_000.0, "homicides fell in 2025", ["contradicts"]),  # unchanged is not a fall
    ],
)
def test_trend_checks_boundaries(current: float, claim: str, outcomes: list[str]) -> None:
    trend = compute_trend(claim, percent_rows(current))
    assert not isinstance(trend, str)
    checks = trend_checks(claim, trend, "passage", "chunk")
    assert [c.outcome for c in checks] == outcomes
    assert all(c.rule.startswith(TREND_RULE) and c.chunk_id == "chunk" for c in checks)


def test_series_must_be_what_the_claim_is_about() -> None:
    assert series_matches_claim("Intentional homicide victims", "Homicides in Mexico fell")
    assert series_matches_claim("Intentional homicide victims", "Los homicidios cayeron")
    assert not series_matches_claim("Intentional homicide victims", "Inflation in Mexico fell")
    assert not series_matches_claim("Total registered", "Registered voters fell")


# --- the verifier step -------------------------------------------------------------------------


class Reader:
    def __init__(self, rows: list[tuple[SourceChunk, TableRow]]) -> None:
        self.rows = rows
        self.asked: list[str] = []

    def series_rows(self, series_id: str) -> list[tuple[SourceChunk, TableRow]]:
        self.asked.append(series_id)
        return self.rows


def claim(text: str, claim_date: date | None = None) -> Claim:
    return Claim.make(
        article_id="a",
        text=text,
        quote=text,
        start=0,
        end=len(text),
        checkworthiness=0.9,
        claim_date=claim_date,
    )


def evidence_of(*chunks: SourceChunk) -> list[Evidence]:
    return [Evidence(number=i, chunk=c, score=0.5) for i, c in enumerate(chunks, start=1)]


def test_checker_adds_a_passage_citing_the_rows_it_used() -> None:
    reader = Reader(ROWS)
    found = TrendChecker(reader).assess(
        claim("Homicides fell 11.1% in the first half of 2025"), evidence_of(ROWS[3][0])
    )
    assert found is not None and found.evidence is not None
    assert reader.asked == [SERIES]
    item = found.evidence
    assert item.number == 2 and item.chunk.series_id == SERIES
    assert item.chunk.source_id == f"computed:{SERIES}"
    assert "a fall of 750 (12.5%)" in item.chunk.text
    assert [c.outcome for c in found.checks] == ["consistent", "contradicts"]
    assert "passage 2" in found.note


def test_checker_leaves_out_rows_after_the_claim_date() -> None:
    found = TrendChecker(Reader(ROWS)).assess(
        claim("Homicides are falling", claim_date=date(2025, 3, 15)), evidence_of(ROWS[0][0])
    )
    assert found is not None and found.evidence is not None
    assert "January–March 2025 against 3,000 in January–March 2024" in found.evidence.chunk.text


def test_checker_ignores_claims_without_change_and_off_topic_rows() -> None:
    reader = Reader(ROWS)
    checker = TrendChecker(reader)
    assert (
        checker.assess(claim("There were 1,866 victims in June 2025"), evidence_of(ROWS[0][0]))
        is None
    )
    assert checker.assess(claim("Inflation in Mexico is falling"), evidence_of(ROWS[0][0])) is None
    prose = ROWS[0][0].model_copy(update={"series_id": None, "series": None})
    assert checker.assess(claim("Homicides are falling"), evidence_of(prose)) is None
    assert reader.asked == []


def test_a_table_that_does_not_cover_the_claim_gives_a_note() -> None:
    found = TrendChecker(Reader(ROWS)).assess(
        claim("Homicides fell in 2023"), evidence_of(ROWS[0][0])
    )
    assert found is not None and found.evidence is None and found.checks == []
    assert "does not cover 2022 or 2023" in found.note


class Supports:
    """A verifier that says SUPPORTED, citing the first passage, and records what it saw."""

    prompt_hash = "supports"

    def __init__(self) -> None:
        self.seen: list[Evidence] = []

    async def verify(self, claim: Claim, evidence: list[Evidence], provenance: Provenance):
        self.seen = evidence
        first = evidence[0].chunk
        return ClaimResult(
            id="r",
            claim=claim,
            verdict=Verdict.SUPPORTED,
            confidence=0.9,
            rationale="The first passage says so.",
            citations=[Citation.from_chunk(first, first.text)],
            evidence=evidence,
            provenance=provenance,
        )

    def result_id(self, claim: Claim, shown: list[Evidence], provenance: Provenance) -> str:
        return "r"


def test_a_computed_contradiction_withdraws_supported() -> None:
    """A claimed 11.1% fall against a computed 12.5%: the verifier's SUPPORTED (resting on a
    note that repeats the claim) cannot stand; the computation is recorded and shown."""
    note = SourceChunk(
        id="note",
        source_id="note",
        text="Officials said homicides fell 11.1% in the first half of 2025.",
        start=0,
        end=62,
    )
    inner = Supports()
    verifier = CheckedVerifier(inner, TrendChecker(Reader(ROWS)))
    result = asyncio.run(
        verifier.verify(
            claim("Homicides fell 11.1% in the first half of 2025"),
            evidence_of(note, ROWS[0][0]),
            Provenance(model="m"),
        )
    )
    assert [e.chunk.source_id for e in inner.seen][-1] == f"computed:{SERIES}"
    assert result.verdict is Verdict.NOT_ENOUGH_EVIDENCE
    assert result.reason is VerdictReason.QUANTITY_MISMATCH
    assert "computed from the table" in result.notes[-1]
    trend = [q for q in result.quantity_checks if q.rule.startswith(TREND_RULE)]
    assert [(q.claim_value, q.outcome) for q in trend] == [
        ("fell", "consistent"),
        ("fell 11.1%", "contradicts"),
    ]
    assert trend[0].source_value == "-12.5% (2024-H1 → 2025-H1)"


def test_a_computed_agreement_lets_supported_stand() -> None:
    inner = Supports()
    verifier = CheckedVerifier(inner, TrendChecker(Reader(ROWS)))
    result = asyncio.run(
        verifier.verify(
            claim("Homicides fell 12.5% in the first half of 2025"),
            evidence_of(ROWS[0][0]),
            Provenance(model="m"),
        )
    )
    assert result.verdict is Verdict.SUPPORTED
    assert all(
        q.outcome == "consistent" for q in result.quantity_checks if q.rule.startswith("trend")
    )
