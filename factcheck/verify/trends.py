"""Deterministic trend checks: a claim about a change, computed from statistics-table rows.

Models misjudge "homicides fell 11.1%" against a table of monthly counts; arithmetic does not.
When a claim states a direction of change ("falling", "rose", "cayeron", "aumentaron") and the
retrieved evidence holds a row of a statistics table (`factcheck.io.tables`), the whole series
is fetched from the store (`SeriesReader.series_rows`) and:

1. Windows are chosen. Two or more periods named in the claim ("June 2025 compared with June
   2024", "between 2019 and 2024"): the earliest against the latest. One after "since" /
   "desde" ("since October 2024"): that window against the latest window of the same length.
   One otherwise ("in the first half of 2025", "en 2024"): that window against the same months
   a year earlier (year on year,
   how official crime statistics are compared, so seasons cancel). None ("homicides are
   falling"): the latest data against a year earlier — the latest full year when the series is
   annual, else the year to date of the latest row (January–June 2025 vs January–June 2024).
2. Each window's value is computed from the rows that tile it exactly (one row equal to the
   window, or rows of one granularity covering every month once): summed for counts, averaged
   for rates and levels (`aggregation` in the table's sidecar). A window the table does not
   cover is not computed, and the result says so.
3. Difference and percentage change are plain arithmetic (no model, nothing evaluated). The
   computation becomes an evidence passage that quotes the rows it used, e.g. "Presumed
   homicides registered, Mexico: 33,241 in 2024 against 32,252 in 2023, a rise of 989 (3.1%)",
   shown to the verifier like any passage and citable.
4. The claim is checked against it: its direction (falling vs a computed rise → contradicts)
   and any percentage change it states (intervals as in `verify.quantities`: "11.1%" is
   [11.05, 11.15]; the computed change is rounded to one decimal, as written in the passage).
   The checks are recorded in the result's `quantity_checks` (rule `trend: …`) and a SUPPORTED
   verdict they contradict is withdrawn (`verify.checks.enforce`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal, Protocol

from factcheck.io.series import MONTH_PATTERN, Period, TableRow, format_number, month_number
from factcheck.language import detect_language
from factcheck.models import Claim, Evidence, QuantityCheck, SourceChunk, content_id
from factcheck.verify.quantities import parse_quantities

TREND_RULE = "trend"
"""Prefix of the `rule` of every quantity check made here."""
MAX_LISTED_ROWS = 24
"""Rows quoted in a computed passage; beyond this only their number and periods are given."""
CHANGE_DECIMALS = 1
"""Decimals of the percentage change written in a computed passage (and compared)."""

Direction = Literal["down", "up"]

_DOWN = (
    "fell fall falls falling fallen drop drops dropped dropping decline declines declined "
    "declining decrease decreases decreased decreasing reduction reductions reduced reduce "
    "reduces reducing down lower fewer shrank shrink shrinking slid sank plunged plummeted "
    "dipped eased cut "
    "cayó cayo cayeron cae caen caer caída caida bajó bajo bajaron baja bajan bajar "
    "disminuyó disminuyo disminuyeron disminuye disminuyen disminuir disminución disminucion "
    "descendió descendio descendieron desciende descienden descenso redujo redujeron reduce "
    "reducen reducción reduccion retrocedió retrocedio retrocedieron retroceso menor menores"
)
_UP = (
    "rose rise rises rising risen increase increases increased increasing grew grow grows "
    "growing growth climbed climb climbs climbing jumped jump jumps surged surge soared "
    "spiked up higher "
    "aumentó aumento aumentaron aumenta aumentan aumentar subió subio subieron sube suben "
    "subir alza creció crecio crecieron crece crecen crecer crecimiento incrementó "
    "incremento incrementaron incrementa incrementan repunte repuntó repunto mayor mayores"
)
_DIRECTION: dict[str, Direction] = {w: "down" for w in _DOWN.split()}
_DIRECTION |= {w: "up" for w in _UP.split()}
_NEGATIONS = frozenset(
    [
        "not",
        "no",
        "never",
        "nor",
        "n't",
        "didn't",
        "don't",
        "doesn't",
        "isn't",
        "aren't",
        "wasn't",
        "ni",
        "nunca",
    ]
)
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
_MONTH_RANGE = re.compile(
    rf"(?:between\s+|from\s+|de\s+|del?\s+|entre\s+)?(?P<m1>{MONTH_PATTERN})\.?"
    rf"(?:\s+(?P<y1>(?:19|20)\d\d))?\s*(?:–|—|-|\bto\b|\ba\b|\band\b|\by\b|\bthrough\b|\bhasta\b)\s*"
    rf"(?P<m2>{MONTH_PATTERN})\.?,?(?:\s+(?:de|of|del))?\s+(?P<y2>(?:19|20)\d\d)\b",
    re.IGNORECASE,
)


def claim_direction(text: str) -> Direction | None:
    """The direction of change a claim states ("down" for falling/cayeron, "up" for
    rising/aumentaron), or None when it states none, states both, or negates it ("did not
    fall": the claim then asserts no direction this check can test)."""
    words = [w.lower() for w in _WORD.findall(text)]
    found: set[Direction] = set()
    for i, word in enumerate(words):
        direction = _DIRECTION.get(word)
        if direction is None:
            continue
        if word == "up" and i + 1 < len(words) and words[i + 1] == "to":
            continue  # "up to 500" is a bound, not a rise
        if any(w in _NEGATIONS for w in words[max(0, i - 3) : i]):
            return None
        found.add(direction)
    return found.pop() if len(found) == 1 else None


def claim_periods(text: str) -> list[Period]:
    """The time windows a claim names, earliest first: month ranges ("January–June 2025",
    "de enero a junio de 2025"), halves, quarters, months and years (through
    `verify.quantities`' English and Spanish date parser). A date stands for its month."""
    windows: list[Period] = []
    masked = text
    for match in _MONTH_RANGE.finditer(text):
        m1, m2 = month_number(match.group("m1")), month_number(match.group("m2"))
        y2 = int(match.group("y2"))
        y1 = (
            int(match.group("y1"))
            if match.group("y1")
            else (y2 if m1 and m2 and m1 <= m2 else y2 - 1)
        )
        if m1 and m2:
            windows.append(Period(y1 * 12 + m1 - 1, y2 * 12 + m2 - 1))
            masked = (
                masked[: match.start()]
                + " " * (match.end() - match.start())
                + masked[match.end() :]
            )
    for q in parse_quantities(masked):
        if q.kind not in ("year", "period", "date"):
            continue
        if q.kind == "date" and q.year is None:
            continue
        first, last = date.fromordinal(int(q.low)), date.fromordinal(int(q.high))
        windows.append(Period(first.year * 12 + first.month - 1, last.year * 12 + last.month - 1))
    return sorted(set(windows))


@dataclass(frozen=True)
class WindowValue:
    """A window's value and the rows it was computed from."""

    period: Period
    value: float
    rows: tuple[tuple[SourceChunk, TableRow], ...]


@dataclass(frozen=True)
class TrendComputation:
    """Two windows of one series compared."""

    series_id: str
    baseline: WindowValue
    current: WindowValue
    basis: str  # how the windows were chosen

    @property
    def difference(self) -> float:
        """Current minus baseline."""
        return self.current.value - self.baseline.value

    @property
    def percent_change(self) -> float | None:
        """Change relative to the baseline, in percent (None when the baseline is 0)."""
        if self.baseline.value == 0:
            return None
        return 100.0 * self.difference / abs(self.baseline.value)

    @property
    def direction(self) -> Direction | None:
        """ "up", "down", or None when unchanged."""
        if self.difference > 0:
            return "up"
        return "down" if self.difference < 0 else None


def window_value(
    window: Period, rows: Sequence[tuple[SourceChunk, TableRow]]
) -> WindowValue | None:
    """The window's value from rows that tile it exactly, or None when the rows do not cover
    it (or its aggregation does not allow combining rows)."""
    inside = [pair for pair in rows if window.contains(pair[1].period)]
    exact = [pair for pair in inside if pair[1].period == window]
    if exact:
        return WindowValue(window, exact[0][1].value, (exact[0],))
    by_length: dict[int, list[tuple[SourceChunk, TableRow]]] = {}
    for pair in inside:
        by_length.setdefault(pair[1].period.months, []).append(pair)
    for length in sorted(by_length, reverse=True):  # coarsest rows that tile the window
        group = sorted(by_length[length], key=lambda p: p[1].period)
        if not _tiles(window, [p[1].period for p in group]):
            continue
        aggregation = group[0][1].aggregation
        if aggregation == "none" or any(p[1].aggregation != aggregation for p in group):
            return None
        values = [p[1].value for p in group]
        total = sum(values) if aggregation == "sum" else sum(values) / len(values)
        return WindowValue(window, total, tuple(group))
    return None


def _tiles(window: Period, periods: list[Period]) -> bool:
    cursor = window.first
    for period in periods:
        if period.first != cursor:
            return False
        cursor = period.last + 1
    return cursor == window.last + 1


def choose_windows(
    claim_text: str, rows: Sequence[tuple[SourceChunk, TableRow]]
) -> tuple[Period, Period, str] | None:
    """(baseline, current, basis) for a claim over a series (see the module docstring)."""
    named = claim_periods(claim_text)
    if len(named) >= 2:
        return named[0], named[-1], "the periods the claim names"
    last = max((row.period.last for _, row in rows), default=None)
    if len(named) == 1 and _SINCE.search(claim_text) and last is not None:
        since = named[0]
        current = Period(last - since.months + 1, last)
        return since, current, "the claim's starting period against the latest of the same length"
    if len(named) == 1:
        return named[0].shifted(-1), named[0], "the claim's period against a year earlier"
    if last is None:
        return None
    if all(row.period.months == 12 and row.period.first % 12 == 0 for _, row in rows):
        current = Period(last - 11, last)
        return current.shifted(-1), current, "the latest year against the year before"
    current = Period(last - last % 12, last)
    return current.shifted(-1), current, "the latest data, year to date, against a year earlier"


_SINCE = re.compile(r"\b(?:since|desde)\b", re.IGNORECASE)


def compute_trend(
    claim_text: str, rows: Sequence[tuple[SourceChunk, TableRow]]
) -> TrendComputation | str:
    """The comparison for a claim over one series' rows, or why it cannot be made."""
    if not rows:
        return "the series has no rows"
    chosen = choose_windows(claim_text, rows)
    if chosen is None:
        return "no period to compare"
    baseline_window, current_window, basis = chosen
    language = "en"
    baseline = window_value(baseline_window, rows)
    current = window_value(current_window, rows)
    missing = [w for w, v in ((baseline_window, baseline), (current_window, current)) if v is None]
    if missing or baseline is None or current is None:
        return "the table does not cover " + " or ".join(w.label(language) for w in missing)
    return TrendComputation(rows[0][1].series_id, baseline, current, basis)


# --------------------------------------------------------------------------------------------
# the computed passage and the checks


@dataclass(frozen=True)
class _Wording:
    """How the computed passage reads in one language."""

    verbs: dict[Direction | None, str]
    average: str
    body: str  # {head} {what} {current} {now} {baseline} {then} {verb}
    amount: str  # {amount}
    source: str  # {publisher}
    bare_source: str
    intro: str  # {source}
    titled: str  # {title}
    rows_used: str


_WORDING = {
    "en": _Wording(
        verbs={"up": "a rise", "down": "a fall", None: "no change"},
        average="average ",
        body="{head}: {what}{current} in {now} against {baseline} in {then}, {verb}",
        amount=" of {amount}",
        source="{publisher} table",
        bare_source="table",
        intro="Computed by factcheck from the {source}",
        titled=' "{title}"',
        rows_used="rows used",
    ),
    "es": _Wording(
        verbs={"up": "un aumento", "down": "una disminución", None: "sin cambio"},
        average="promedio de ",
        body="{head}: {what}{current} en {now} frente a {baseline} en {then}, {verb}",
        amount=" de {amount}",
        source="tabla de {publisher}",
        bare_source="tabla",
        intro="Calculado por factcheck a partir de la {source}",
        titled=" «{title}»",
        rows_used="filas usadas",
    ),
}


def passage(
    trend: TrendComputation, publisher: str | None, title: str | None, language: str
) -> str:
    """The computed evidence passage, in English or Spanish, quoting the rows it used."""
    lang = "es" if language == "es" else "en"
    words = _WORDING[lang]
    row = trend.current.rows[0][1]
    decimals = max(_decimals(r.value_text) for _, r in trend.current.rows + trend.baseline.rows)
    averaged = row.aggregation == "mean" and len(trend.current.rows) > 1
    body = words.body.format(
        head=", ".join(x for x in (row.series, row.geo) if x),
        what=words.average if averaged else "",
        current=format_number(trend.current.value, decimals),
        now=trend.current.period.label(lang),
        baseline=format_number(trend.baseline.value, decimals),
        then=trend.baseline.period.label(lang),
        verb=words.verbs[trend.direction],
    )
    if trend.direction is not None:
        body += words.amount.format(amount=format_number(abs(trend.difference), decimals))
        pct = trend.percent_change
        body += f" ({abs(pct):.{CHANGE_DECIMALS}f}%)" if pct is not None else ""
    source = words.source.format(publisher=publisher) if publisher else words.bare_source
    intro = words.intro.format(source=source) + (words.titled.format(title=title) if title else "")
    used = [chunk.text for chunk, _ in trend.baseline.rows + trend.current.rows]
    listed = "; ".join(used) if len(used) <= MAX_LISTED_ROWS else f"{len(used)} rows"
    return f"{body}. {intro}; {words.rows_used}: {listed}."


def _decimals(value_text: str) -> int:
    digits = re.search(r"\d[\d,]*(?:\.(\d+))?", value_text)
    return len(digits.group(1) or "") if digits else 0


def trend_checks(
    claim_text: str, trend: TrendComputation, sentence: str, chunk_id: str
) -> list[QuantityCheck]:
    """The claim's direction and stated percentage changes against the computation."""
    rule = (
        f"{TREND_RULE}: computed from {len(trend.baseline.rows) + len(trend.current.rows)} "
        f"table rows ({trend.baseline.period.key} vs {trend.current.period.key}; {trend.basis})"
    )
    pct = trend.percent_change
    computed = (
        f"{pct:+.{CHANGE_DECIMALS}f}%" if pct is not None else f"{trend.difference:+,.0f}"
    ) + f" ({trend.baseline.period.key} → {trend.current.period.key})"
    checks: list[QuantityCheck] = []
    direction = claim_direction(claim_text)
    if direction is not None:
        checks.append(
            QuantityCheck(
                claim_value=_direction_words(claim_text) or direction,
                source_value=computed,
                sentence=sentence,
                chunk_id=chunk_id,
                rule=f"{rule}; direction",
                outcome="consistent" if trend.direction == direction else "contradicts",
            )
        )
    if pct is None:
        return checks
    written = round(pct, CHANGE_DECIMALS)
    half = 0.5 * 10**-CHANGE_DECIMALS
    for q in parse_quantities(claim_text):
        if q.kind != "change" or q.unit not in ("percent", "%", ""):
            continue
        low, high = sorted((q.low, q.high))
        overlaps = min(high, written + half) - max(low, written - half) > 1e-9
        checks.append(
            QuantityCheck(
                claim_value=q.text,
                source_value=computed,
                sentence=sentence,
                chunk_id=chunk_id,
                rule=f"{rule}; percentage change",
                outcome="consistent" if overlaps else "contradicts",
            )
        )
    return checks


def _direction_words(text: str) -> str:
    return " ".join(w for w in _WORD.findall(text) if w.lower() in _DIRECTION)


# --------------------------------------------------------------------------------------------
# the evidence step


class SeriesReader(Protocol):
    """Where a series' rows come from (the reference store)."""

    def series_rows(self, series_id: str) -> list[tuple[SourceChunk, TableRow]]:
        """Every stored row of one series, oldest period first."""
        ...


@dataclass(frozen=True)
class TrendEvidence:
    """What the trend step adds for one claim: a computed passage and its checks, or a note
    saying why nothing was computed."""

    evidence: Evidence | None
    checks: list[QuantityCheck]
    note: str


class TrendChecker:
    """Adds computed trend evidence to a change claim whose evidence holds table rows."""

    def __init__(self, reader: SeriesReader) -> None:
        self.reader = reader

    def assess(self, claim: Claim, evidence: list[Evidence]) -> TrendEvidence | None:
        """The computed passage for `claim`, or None when the claim states no change or its
        evidence holds no table row. Rows of periods after the claim's date are left out."""
        if not is_change_claim(claim.text):
            return None
        row_evidence = next(
            (
                e
                for e in evidence
                if e.chunk.series_id and series_matches_claim(e.chunk.series or "", claim.text)
            ),
            None,
        )
        if row_evidence is None:
            return None  # no table row, or only rows of series the claim is not about
        series_id = str(row_evidence.chunk.series_id)
        rows = self.reader.series_rows(series_id)
        if claim.claim_date is not None:
            limit = claim.claim_date.year * 12 + claim.claim_date.month - 1
            rows = [pair for pair in rows if pair[1].period.last <= limit]
        trend = compute_trend(claim.text, rows)
        if isinstance(trend, str):
            return TrendEvidence(None, [], f"trend not computed for series {series_id}: {trend}")
        table = row_evidence.chunk
        language = "es" if detect_language(claim.text) == "es" else "en"
        text = passage(trend, table.publisher, table.title, language)
        used = [chunk.id for chunk, _ in trend.baseline.rows + trend.current.rows]
        chunk = SourceChunk(
            id=content_id("trend", series_id, *used),
            source_id=f"computed:{series_id}",
            text=text,
            start=0,
            end=len(text),
            title=f"Computed from: {table.title}" if table.title else "Computed from a table",
            url=table.url,
            publisher=table.publisher,
            published=table.published,
            credibility_tier=table.credibility_tier,
            series_id=series_id,
        )
        item = Evidence(number=len(evidence) + 1, chunk=chunk, score=0.0)
        checks = trend_checks(claim.text, trend, text, chunk.id)
        note = (
            f"trend computed from {len(used)} rows of table series {series_id} "
            f"({trend.baseline.period.key} vs {trend.current.period.key}, {trend.basis}), "
            f"shown as passage {item.number}; its checks are among the number checks"
        )
        return TrendEvidence(item, checks, note)


def is_change_claim(text: str) -> bool:
    """Whether a claim states a change: a direction word or a percentage change."""
    return claim_direction(text) is not None or any(
        q.kind == "change" for q in parse_quantities(text)
    )


TOPIC_PREFIX = 5
"""Letters two words must share, accents and case aside, for a claim to name a series' topic
("homicides" ~ "homicidios", "inflation" ~ "inflación")."""
_GENERIC = frozenset(
    (
        "total",
        "number",
        "numbers",
        "count",
        "registered",
        "recorded",
        "reported",
        "presumed",
        "estimated",
        "annual",
        "monthly",
        "quarterly",
        "yearly",
        "preliminary",
        "definitive",
        "registrados",
        "registradas",
        "presuntos",
        "número",
        "cifra",
        "mensual",
        "anual",
        "preliminares",
        "definitivas",
    )
)


def series_matches_claim(series_label: str, claim_text: str) -> bool:
    """Whether the claim names what the series counts: some word of five or more letters of
    the series label (generic words such as "total" or "registered" aside) shares its first
    `TOPIC_PREFIX` letters with a claim word, in any language. A heuristic that keeps a
    homicide table away from a claim about falling inflation in the same country."""
    claim_stems = {_fold(w)[:TOPIC_PREFIX] for w in _WORD.findall(claim_text) if len(w) >= 5}
    return any(
        _fold(w)[:TOPIC_PREFIX] in claim_stems
        for w in _WORD.findall(series_label)
        if len(w) >= 5 and w.lower() not in _GENERIC
    )


def _fold(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
