"""Tests for the deterministic quantity and date check (factcheck.verify.quantities)."""

from __future__ import annotations

import math

import pytest

from factcheck.verify import quantities as qmod
from factcheck.verify.quantities import (
    Quantity,
    check_citations,
    compare_claim_to_sentence,
    parse_quantities,
)


def _one(text: str, lang: str | None = None) -> Quantity:
    found = parse_quantities(text, lang)
    assert len(found) == 1, found
    return found[0]


def _aligned(claim: str, sentence: str) -> list[str]:
    """Outcomes of the aligned (not `unrelated`) comparisons."""
    return [
        c.outcome for c in compare_claim_to_sentence(claim, sentence) if c.outcome != "unrelated"
    ]


# --- the two user reports ----------------------------------------------------------------------


def test_user_case_response_time_under_eight_minutes_contradicted() -> None:
    claim = "The average response time is under eight minutes"
    source = "The average response time in 2024 was 9.4 minutes."
    report = check_citations(claim, [source])
    assert report.contradicted
    assert not report.supported_values
    assert report.summary() == (
        'claim "under eight minutes" vs source "9.4 minutes": contradicts (comparator: under)'
    )


def test_user_case_budget_vs_overtime_is_unrelated() -> None:
    claim = "The police department receives $412 million"
    sources = [
        "The department spent $47.3M on overtime last year.",
        "Police department overtime reached $47.3M in 2024.",
        "Overtime costs rose to $47.3M.",
    ]
    report = check_citations(claim, sources)
    assert not report.contradicted
    assert all(c.outcome == "unrelated" for c in report.comparisons)
    assert report.summary() == "no source quantity aligned with the claim"


def test_budget_claim_supported_by_matching_sentence() -> None:
    report = check_citations(
        "The police department receives $412 million",
        ["Overtime cost $47.3M.", "The police department receives $412.3 million a year."],
    )
    assert report.supported_values and not report.contradicted


def test_budget_qualifier_vs_overtime_qualifier() -> None:
    assert _aligned("The $412 million budget", "The $47.3M overtime bill") == []


# --- parsing -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "lang", "value", "kind", "unit"),
    [
        ("1,866 victims", "en", 1866, "count", "victim"),
        ("1.866 víctimas", "es", 1866, "count", "victima"),
        ("1.866 víctimas de homicidio", None, 1866, "count", "victima"),
        ("a rate of 1.5 per day", "en", 1.5, "count", ""),
        ("11.1%", "en", 11.1, "percent", "%"),
        ("11,1 %", "es", 11.1, "percent", "%"),
        ("11.1 percent", "en", 11.1, "percent", "%"),
        ("el 11,1 por ciento", "es", 11.1, "percent", "%"),
        ("$412 million", "en", 412e6, "currency", "$"),
        ("$47.3M", "en", 47.3e6, "currency", "$"),
        ("US$2 billion", "en", 2e9, "currency", "usd"),
        ("€30k", "en", 30e3, "currency", "eur"),
        ("4.5 bn dollars", "en", 4.5e9, "currency", "usd"),
        ("3.500 millones de pesos", "es", 3.5e9, "currency", "mxn"),
        ("5 mil millones de pesos", "es", 5e9, "currency", "mxn"),
        ("2 mil personas", "es", 2000, "count", "people"),
        ("120 mdp", "es", 120e6, "currency", "mxn"),
        ("eight minutes", "en", 8, "duration", "minute"),
        ("2 hours", "en", 120, "duration", "minute"),
        ("a 2.5-hour wait", "en", 150, "duration", "minute"),
        ("tres días", "es", 3 * 1440, "duration", "minute"),
        ("5 km", "en", 5, "length", "km"),
        ("thirty-seven prisoners", "en", 37, "count", "prisoner"),
        ("treinta y siete presos", "es", 37, "count", "preso"),
        ("ocho minutos", "es", 8, "duration", "minute"),
        ("three million people", "en", 3e6, "count", "people"),
        ("12 persons", "en", 12, "count", "people"),
    ],
)
def test_parse_values_units_and_kinds(
    text: str, lang: str | None, value: float, kind: str, unit: str
) -> None:
    q = _one(text, lang)
    assert q.value == pytest.approx(value)
    assert (q.kind, q.unit) == (kind, unit)
    assert text[q.span[0] : q.span[1]] == q.text


def test_span_and_text_cover_comparator_and_unit() -> None:
    text = "The average response time is under eight minutes"
    q = _one(text)
    assert q.text == "under eight minutes"
    assert text[q.span[0] : q.span[1]] == q.text
    assert (q.comparator, q.low, q.high) == ("<", -math.inf, 8.0)


@pytest.mark.parametrize(
    ("text", "comparator", "low", "high"),
    [
        ("less than 10 people", "<", -math.inf, 10),
        ("fewer than 10 people", "<", -math.inf, 10),
        ("below 10 people", "<", -math.inf, 10),
        ("at most 10 people", "<=", -math.inf, 10),
        ("more than 10 people", ">", 10, math.inf),
        ("over 10 people", ">", 10, math.inf),
        ("above 10 people", ">", 10, math.inf),
        ("at least 10 people", ">=", 10, math.inf),
        ("no less than 10 people", ">=", 10, math.inf),
        ("no more than 10 people", "<=", -math.inf, 10),
        ("under $10 million", "<", -math.inf, 10e6),
        ("about 10 people", "~", 9, 11),
        ("around 10 people", "~", 9, 11),
        ("roughly 10 people", "~", 9, 11),
        ("approximately 10 people", "~", 9, 11),
        ("nearly 10 people", "near", 9, 10.5),
        ("almost 10 people", "near", 9, 10.5),
        ("menos de 10 personas", "<", -math.inf, 10),
        ("más de 10 personas", ">", 10, math.inf),
        ("alrededor de 10 personas", "~", 9, 11),
        ("casi 10 personas", "near", 9, 10.5),
        ("unos 10 personas", "~", 9, 11),
    ],
)
def test_comparators_and_hedges(text: str, comparator: str, low: float, high: float) -> None:
    q = _one(text)
    assert q.comparator == comparator
    assert q.low == pytest.approx(low)
    assert q.high == pytest.approx(high)
    assert q.text == text


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Homicides fell 11.1% this year", -11.1),
        ("Homicides fell by 11.1 percent", -11.1),
        ("Thefts rose 3%", 3.0),
        ("Thefts increased 3%", 3.0),
        ("Thefts decreased 3%", -3.0),
        ("an 8% drop in thefts", -8.0),
        ("Los homicidios bajaron 11,1 %", -11.1),
        ("los robos cayó un 5%", -5.0),
        ("los robos aumentó 5%", 5.0),
        ("los robos subió 5%", 5.0),
        ("una caída del 11% en robos", -11.0),
        ("profits were up 5%", 5.0),
        ("Thefts doubled", 100.0),
        ("Thefts halved", -50.0),
        ("Thefts tripled", 200.0),
        ("los robos se duplicaron", 100.0),
    ],
)
def test_changes_and_multipliers(text: str, value: float) -> None:
    q = _one(text)
    assert q.kind == "change"
    assert q.value == pytest.approx(value)


def test_fell_to_is_a_level_not_a_change() -> None:
    q = _one("Unemployment fell to 3.5% in the quarter")
    assert (q.kind, q.value) == ("percent", 3.5)


@pytest.mark.parametrize(
    ("text", "low", "high", "unit"),
    [
        ("between 30 and 40 people", 29.5, 40.5, "people"),
        ("entre 30 y 40 personas", 29.5, 40.5, "people"),
        ("30-40%", 29.5, 40.5, "%"),
        ("30 to 40 minutes", 29.5, 40.5, "minute"),
        ("de 30 a 40 personas", 29.5, 40.5, "people"),
        ("between $30 and $40 million", 29.5e6, 40.5e6, "$"),
    ],
)
def test_ranges(text: str, low: float, high: float, unit: str) -> None:
    q = _one(text)
    assert q.comparator == "range"
    assert (q.low, q.high, q.unit) == (pytest.approx(low), pytest.approx(high), unit)


@pytest.mark.parametrize(
    ("text", "kind", "year", "month", "day"),
    [
        ("in 2025", "year", 2025, None, None),
        ("June 2025", "date", 2025, 6, None),
        ("junio de 2025", "date", 2025, 6, None),
        ("on Jan. 22", "date", None, 1, 22),
        ("January 22, 2025", "date", 2025, 1, 22),
        ("22 de enero de 2025", "date", 2025, 1, 22),
        ("the first half of 2025", "period", 2025, None, None),
        ("el primer semestre de 2025", "period", 2025, None, None),
        ("Q3 2024", "period", 2024, None, None),
    ],
)
def test_dates(text: str, kind: str, year: int | None, month: int | None, day: int | None) -> None:
    q = _one(text)
    assert (q.kind, q.year, q.month, q.day) == (kind, year, month, day)


def test_spanish_sentence_from_the_brief() -> None:
    found = parse_quantities("Los homicidios bajaron 11,1 % en el primer semestre de 2025")
    assert (found[0].kind, found[0].value) == ("change", -11.1)
    assert found[1].kind == "period" and found[1].unit == "H1" and found[1].year == 2025


@pytest.mark.parametrize(
    "text",
    [
        "COVID-19 spread",
        "the G-20 summit",
        "one of the largest cities",
        "una de las ciudades",
        "He said it once",
        "",
    ],
)
def test_not_quantities(text: str) -> None:
    assert parse_quantities(text) == []


def test_plain_four_digit_count_is_not_a_year() -> None:
    q = _one("the city had 1999 homicides")
    assert (q.kind, q.value) == ("count", 1999)


# --- comparison rules --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("claim", "source", "outcome", "rule"),
    [
        ("About 40 prisoners escaped", "38 prisoners escaped.", "consistent", "hedge: about"),
        ("40 prisoners escaped", "38 prisoners escaped.", "contradicts", "rounding"),
        ("40 prisoners escaped", "40 prisoners escaped from the jail.", "consistent", "rounding"),
        ("More than 30 prisoners escaped", "37 prisoners escaped.", "consistent",
         "comparator: more than"),
        ("Fewer than 30 prisoners escaped", "37 prisoners escaped.", "contradicts",
         "comparator: fewer than"),
        ("Turnout was 11.1%", "Turnout was 11.08%.", "consistent", "rounding"),
        ("Turnout was 11.1%", "Turnout was 11.16%.", "contradicts", "rounding"),
        ("The wait was 9 minutes", "The wait was 9.4 minutes.", "consistent", "rounding"),
        ("The wait was two hours", "The wait was 120 minutes.", "consistent", "rounding"),
        ("The wait was 3 hours", "The wait was 120 minutes.", "contradicts", "rounding"),
        ("Between 30 and 40 prisoners escaped", "37 prisoners escaped.", "consistent", "range"),
        ("Between 30 and 40 prisoners escaped", "47 prisoners escaped.", "contradicts", "range"),
        ("Homicides fell 11.1%", "Homicides rose 3%.", "contradicts", "direction"),
        ("Homicides fell 11.1%", "Homicides fell 11.1% this year.", "consistent", "rounding"),
        ("Homicides fell 11.1%", "Homicides fell 4%.", "contradicts", "rounding"),
        ("Thefts doubled", "Thefts rose 105%.", "consistent", "multiplier: doubled"),
        ("The budget is $412 million", "The budget is $0.4 billion.", "consistent", "rounding"),
        ("The budget is $412 million", "The budget is $512 million.", "contradicts", "rounding"),
        ("Sheinbaum spoke to Trump on Jan. 22", "Sheinbaum spoke to Trump on Jan. 29.",
         "contradicts", "day"),
        ("Sheinbaum spoke to Trump in June 2025", "Sheinbaum spoke to Trump in May 2025.",
         "contradicts", "month"),
        ("Sheinbaum spoke to Trump in 2025", "Sheinbaum spoke to Trump on January 22, 2025.",
         "consistent", "date"),
        ("Sheinbaum spoke to Trump in 2025", "Sheinbaum spoke to Trump in 2024.",
         "contradicts", "year"),
    ],
)  # fmt: skip
def test_comparison_rules(claim: str, source: str, outcome: str, rule: str) -> None:
    aligned = [c for c in compare_claim_to_sentence(claim, source) if c.outcome != "unrelated"]
    assert [(c.outcome, c.rule) for c in aligned] == [(outcome, rule)]


def test_spanish_claim_against_spanish_source() -> None:
    claim = "Los homicidios bajaron 11,1 % en el primer semestre de 2025"
    good = "Los homicidios bajaron 11.08% en el primer semestre de 2025."
    bad = "Los homicidios subieron 2 % en el primer semestre de 2025."
    other_period = "Los homicidios subieron 2 % en el primer semestre de 2024."
    assert check_citations(claim, [good]).supported_values
    report = check_citations(claim, [bad])
    assert report.contradicted
    assert {c.rule for c in report.comparisons if c.outcome == "contradicts"} == {"direction"}
    report = check_citations(claim, [other_period])
    assert not report.contradicted
    assert {c.rule for c in report.comparisons} == {"time frame"}


def test_contradiction_overridden_by_consistent_value_elsewhere() -> None:
    claim = "40 prisoners escaped"
    report = check_citations(claim, ["38 prisoners escaped.", "40 prisoners escaped."])
    assert not report.contradicted
    assert report.supported_values


def test_no_quantities_in_claim() -> None:
    report = check_citations("The mayor resigned", ["The mayor resigned on Jan. 3."])
    assert report.comparisons == () and not report.contradicted and not report.supported_values


# --- conservative alignment: none of these may come out `contradicts` ---------------------------

NEGATIVE_CASES = [
    ("The average response time is under eight minutes", "Overtime costs rose to $47.3M."),
    ("The average response time is under eight minutes", "Officers worked 9.4 hours overtime."),
    ("The average response time is under eight minutes",
     "The average response time for priority calls was 9.4 minutes."),
    ("The police department receives $412 million", "The department spent $47.3M on overtime."),
    ("The $412 million budget", "The $47.3M overtime bill"),
    ("Homicides fell 11.1%", "Homicides of women rose 3%."),
    ("Homicides fell 11.1%", "Robberies rose 3%."),
    ("Homicides fell 11.1%", "Unemployment was 3%."),
    ("40 prisoners escaped", "The jail holds 380 inmates."),
    ("40 prisoners escaped", "It was 38."),
    ("40 prisoners escaped", "38 guards were on duty."),
    ("40 prisoners escaped", "38 prisoners were recaptured."),
    ("Unemployment fell to 3.5%", "Unemployment fell from 5% to 3.5%."),
    ("Inflation was 4%", "Inflation rose 4%."),
    ("The budget is $412 million", "The budget is €380 million."),
    ("The budget is $412 million", "The deficit is $90 million."),
    ("Sheinbaum spoke to Trump on Jan. 22", "Sheinbaum met Ebrard on Jan. 29."),
    ("Sheinbaum spoke to Trump in 2025", "The treaty was signed in 1994."),
    ("Homicides fell 11.1% in 2025", "Homicides fell 11.1% in 2025 from 2024."),
    ("Homicides fell 11.1% in the first half of 2025", "Homicides fell 4% in 2024."),
    ("The budget was $412 million in 2024", "The budget was $380 million in 2023."),
    ("Sheinbaum, 63, spoke to Trump", "Trump, 79, spoke to Sheinbaum."),
    ("1.866 víctimas de homicidio", "Se registraron 2.400 víctimas de secuestro."),
    ("Los homicidios bajaron 11,1 %", "Los robos subieron 3 %."),
    ("Los homicidios bajaron 11,1 %", "Los homicidios dolosos subieron 3 %."),
    ("The trip took 3 hours", "The trip cost 3 dollars."),
    ("About 2,000 people marched", "The city has 2 million people."),
    ("The wait was 9 minutes", "The line held 40 people for 12 minutes of delay."),
]  # fmt: skip


@pytest.mark.parametrize(("claim", "source"), NEGATIVE_CASES)
def test_no_false_contradiction(claim: str, source: str) -> None:
    assert len(NEGATIVE_CASES) >= 20
    report = check_citations(claim, [source])
    assert not report.contradicted, report.summary()


# --- tolerance constants: each boundary behaves as documented ----------------------------------


def _outcome(claim: str, source: str) -> str:
    aligned = _aligned(claim, source)
    assert len(aligned) == 1, compare_claim_to_sentence(claim, source)
    return aligned[0]


@pytest.mark.parametrize(("offset", "outcome"), [(0.2, "consistent"), (-0.2, "contradicts")])
def test_hedge_tolerance_boundary(offset: float, outcome: str) -> None:
    edge = 40 * (1 - qmod.HEDGE_TOLERANCE) + offset
    assert _outcome("About 40 prisoners escaped", f"{edge:.1f} prisoners escaped.") == outcome
    top = 40 * (1 + qmod.HEDGE_TOLERANCE) - offset
    assert _outcome("About 40 prisoners escaped", f"{top:.1f} prisoners escaped.") == outcome


@pytest.mark.parametrize(("offset", "outcome"), [(0.2, "consistent"), (-0.2, "contradicts")])
def test_near_tolerance_boundary(offset: float, outcome: str) -> None:
    edge = 40 * (1 - qmod.NEAR_TOLERANCE) + offset
    assert _outcome("Nearly 40 prisoners escaped", f"{edge:.1f} prisoners escaped.") == outcome


def test_near_means_not_above() -> None:
    assert _outcome("Nearly 40 prisoners escaped", "41 prisoners escaped.") == "contradicts"


@pytest.mark.parametrize(("offset", "outcome"), [(-2, "consistent"), (2, "contradicts")])
def test_round_number_tolerance_boundary(offset: int, outcome: str) -> None:
    edge = round(400 * (1 + qmod.ROUND_NUMBER_TOLERANCE)) + offset
    assert _outcome("400 prisoners escaped", f"{edge} prisoners escaped.") == outcome


def test_round_number_needs_minimum_and_two_zeros() -> None:
    assert qmod.ROUND_NUMBER_MIN == 100
    assert _outcome("40 prisoners escaped", "41 prisoners escaped.") == "contradicts"
    assert _outcome("410 prisoners escaped", "412 prisoners escaped.") == "contradicts"


@pytest.mark.parametrize(("offset", "outcome"), [(-3, "consistent"), (3, "contradicts")])
def test_multiplier_tolerance_boundary(offset: int, outcome: str) -> None:
    edge = round((2 * (1 + qmod.MULTIPLIER_TOLERANCE) - 1) * 100) + offset
    assert _outcome("Thefts doubled", f"Thefts rose {edge}%.") == outcome


@pytest.mark.parametrize(
    ("source", "outcome"),
    [("11.149%", "consistent"), ("11.151%", "contradicts"), ("11.051%", "consistent"),
     ("11.049%", "contradicts")],
)  # fmt: skip
def test_half_unit_rounding_boundary(source: str, outcome: str) -> None:
    assert _outcome("Turnout was 11.1%", f"Turnout was {source}.") == outcome


def test_touching_intervals_do_not_overlap() -> None:
    assert qmod.OVERLAP_EPSILON < 1e-6
    assert _outcome("40 prisoners escaped", "41 prisoners escaped.") == "contradicts"


def test_min_shared_context() -> None:
    assert qmod.MIN_SHARED_CONTEXT == 1
    assert _aligned("40 prisoners escaped", "38 prisoners.") == []  # shares no context word
    assert _aligned("40 prisoners escaped", "38 prisoners escaped.") == ["contradicts"]


def test_tight_window_qualifiers() -> None:
    assert (qmod.TIGHT_LEFT, qmod.TIGHT_RIGHT, qmod.MAX_NOVEL_QUALIFIERS) == (2, 1, 0)
    # second content word after the number is outside the right tight window
    assert _aligned("40 prisoners escaped", "38 prisoners escaped from the jail.") == [
        "contradicts"
    ]
    # first content word after the number is a qualifier the claim lacks
    assert _aligned("40 prisoners escaped", "38 prisoners recaptured.") == []
    # second content word before the number is inside the left tight window
    assert _aligned("Thefts fell 3%", "Car thefts fell 5%.") == []


def test_wide_window_limit() -> None:
    filler = " ".join(["x"] * qmod.WIDE_WINDOW)
    assert _aligned("40 prisoners escaped", f"38 prisoners {filler} escaped.") == []


@pytest.mark.parametrize(("year", "kind"), [(qmod.YEAR_MIN, "year"), (qmod.YEAR_MIN - 1, "count")])
def test_year_range_boundary(year: int, kind: str) -> None:
    assert _one(f"in {year}").kind == kind


def test_stem_length_joins_inflections() -> None:
    assert qmod.STEM_LENGTH == 6
    assert _aligned("The responses time was 8 minutes", "Response times were 9 minutes.") == [
        "contradicts"
    ]


def test_comparison_describe_and_report_fields() -> None:
    report = check_citations("Fewer than 30 prisoners escaped", ["37 prisoners escaped."])
    (comparison,) = report.comparisons
    assert comparison.sentence == "37 prisoners escaped."
    assert comparison.describe() == (
        'claim "Fewer than 30 prisoners" vs source "37 prisoners": contradicts '
        "(comparator: fewer than)"
    )
    assert report.claim_quantities[0].kind == "count"


# --- glue details ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [("11.1% fewer homicides", -11.1), ("30% more thefts", 30.0), ("un 11,1 % menos", -11.1)],
)
def test_trend_word_after_percent(text: str, value: float) -> None:
    q = _one(text)
    assert (q.kind, q.value) == ("change", pytest.approx(value))


def test_range_of_like_quantities_and_trend_from_is_not_a_range() -> None:
    q = _one("The wall will cost $15 billion to $25 billion.")
    assert (q.comparator, q.low, q.high) == ("range", 14.5e9, 25.5e9)
    found = parse_quantities("Costs rose from $15 billion to $25 billion.")
    assert [x.text for x in found] == ["$15 billion", "$25 billion"]


def test_baseline_value_is_not_compared() -> None:
    claim = "The unemployment rate was 4.0% in June"
    source = "The unemployment rate was 4.1% in June, up from 4.0% in May."
    rules = {c.source_text: c.rule for c in compare_claim_to_sentence(claim, source)}
    assert rules["4.0%"] == "baseline"
    assert check_citations(claim, [source]).contradicted  # the June value is 4.1%


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("in 2024 homicides fell", "year"),
        ("since 1999.", "year"),
        ("a total of 2000 people", "count"),
        ("más de 2000 personas", "count"),
        ("robberies and 1999 homicides", "count"),
        ("de 2025", "year"),
    ],
)
def test_year_cues(text: str, kind: str) -> None:
    assert _one(text).kind == kind


def test_language_detection_decides_lone_separator() -> None:
    assert _one("There were 1.866 cases", "en").value == pytest.approx(1.866)
    assert _one("Hubo 1.866 casos en el país").value == 1866
    assert _one("Hubo 2,5 casos").value == pytest.approx(2.5)


@pytest.mark.parametrize(
    ("text", "minutes"),
    [("7 minutes 40 seconds", 7 + 40 / 60), ("3 hours and 20 minutes", 200),
     ("2 horas y 5 minutos", 125)],
)  # fmt: skip
def test_compound_duration(text: str, minutes: float) -> None:
    q = _one(text)
    assert (q.kind, q.text, q.value) == ("duration", text, pytest.approx(minutes))
    report = check_citations(
        "The average response time is under eight minutes",
        ["The average response time was 7 minutes 40 seconds."],
    )
    assert report.supported_values


def test_descending_pair_is_not_a_range() -> None:
    found = parse_quantities("The final score was 22-12")
    assert [q.comparator for q in found] == ["=", "="]


def test_spans_and_bounds_are_well_formed_on_noisy_text() -> None:
    text = "22 – 12 pesos doubled than hours 0 first 1.2.3 fell 5 minutes 40 casi 11.1 budget"
    for q in parse_quantities(text):
        assert text[q.span[0] : q.span[1]] == q.text
        assert q.low <= q.high
