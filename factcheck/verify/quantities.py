"""Deterministic quantity and date checks between a claim and cited source sentences.

Embedders and NLI models barely see digits, so "under eight minutes" can look supported by
"9.4 minutes". This module parses numbers, percentages, money, durations, percent changes and
dates from English and Spanish text, aligns each claim quantity with the source quantities that
describe the same thing, and compares them with explicit tolerance rules. It is pure (no I/O, no
model, nothing downloaded) and conservative: when alignment is unsure the outcome is `unrelated`,
because a wrong `contradicts` is as harmful as a miss.

Library choice: written-out numbers ("eight", "thirty-seven", "treinta y siete", "tres
millones") go through `text2num` (MIT, Allo-Media, Rust core with CPython wheels, ~1 MB, no
data files, no network, ~1 µs per call, English and Spanish among eight languages, released in
2026). Rejected, measured here on one 26-word sentence: `quantulum3` (English only, 24 MB,
5.3 s first call, 6.8 ms per sentence, no Spanish separators); `number-parser` (pure Python,
last release 2023, ~800 µs per sentence just to rewrite number words); `word2number` (English
only, unmaintained since 2017); `dateparser` (4 dependencies, 6.4 s first call, 23 ms per
`search_dates`, and it reads "$47" as the year 2047 and "11,1" as a date). Digits, separators,
currency, scale words and the closed set of month names are handled by the regex glue below,
which keeps exact character spans.

Rules, in order: different kind families (count, percent, currency, duration, length, change,
date) or incompatible units -> `unrelated`; a source value introduced as a baseline ("up from
4%", "compared with 2024") -> `unrelated`; no shared content word near both numbers, or a
qualifier next to either number that the other text lacks ("$47.3M on overtime") ->
`unrelated`; opposite directions of change -> `contradicts`; dates by year, then month/period,
then day; otherwise each side is an interval (rounding half-unit, hedge, comparator, range,
multiplier) and disjoint intervals contradict. The constants below set every tolerance.

Public API: `parse_quantities`, `compare_claim_to_sentence`, `check_citations`, and the data
classes `Quantity`, `QuantityComparison`, `QuantityReport`.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from text_to_num import text2num

__all__ = [
    "Quantity",
    "QuantityComparison",
    "QuantityReport",
    "check_citations",
    "compare_claim_to_sentence",
    "parse_quantities",
]

Kind = Literal[
    "count", "percent", "currency", "duration", "length", "change", "year", "date", "period"
]
Outcome = Literal["consistent", "contradicts", "unrelated"]

# ---------------------------------------------------------------------------------------------
# Tolerance and alignment constants (each boundary is covered by a parametrised test)
# ---------------------------------------------------------------------------------------------

# Hedges ("about", "around", "roughly", "approximately", "alrededor de", "unos") widen the
# stated value to ±10 % (or its rounding half-unit, whichever is wider).
HEDGE_TOLERANCE = 0.10
# "nearly"/"almost"/"casi" mean a little below: [value × (1 − 10 %), value + rounding half-unit].
NEAR_TOLERANCE = 0.10
# Round numbers (integers ≥ 100 ending in two or more zeros before any scale word: "400",
# "2,000", "$300 million") are read as rounded to ±10 % of their value.
ROUND_NUMBER_TOLERANCE = 0.10
ROUND_NUMBER_MIN = 100
# "doubled"/"halved"/"tripled" (and "se duplicó" …) are read as the factor ±10 %.
MULTIPLIER_TOLERANCE = 0.10
# Every exact number is an interval of ± half a unit in its last written digit ("9.4" is
# [9.35, 9.45], "11.1%" is [11.05, 11.15], "$412 million" is ±$0.5 million). Two quantities are
# consistent when their intervals overlap by more than this slack (so "40" [39.5, 40.5] and "41"
# [40.5, 41.5], which only touch, contradict), and contradict otherwise.
OVERLAP_EPSILON = 1e-9
# Context window (tokens each side of a quantity, within its clause) for shared content words.
WIDE_WINDOW = 8
# Nearest content words before / after a quantity: its qualifiers ("overtime" in "$47.3M on
# overtime", "women" in "homicides of women fell 3%"). Each must occur somewhere in the other
# text or the pair is `unrelated`.
TIGHT_LEFT = 2
TIGHT_RIGHT = 1
# A claim and a source quantity must share at least this many content words in their windows.
MIN_SHARED_CONTEXT = 1
# Qualifiers of one side allowed to be absent from the other text.
MAX_NOVEL_QUALIFIERS = 0
# Prefix length used as a crude cross-inflection stem ("responses" ~ "response").
STEM_LENGTH = 6
# A year is a plain four-digit integer in this range (with a cue, see `_YEAR_STRONG`).
YEAR_MIN, YEAR_MAX = 1800, 2100


# ---------------------------------------------------------------------------------------------
# Data model
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Quantity:
    """One quantity found in a text.

    `value` is normalised per kind: currency in units of money, duration in minutes, length in
    km, percent and change in percent (change is signed), year/date/period as the proleptic
    ordinal of their first day (or month × 100 + day for a date without a year). `low`/`high`
    bound the true value after rounding, hedge and comparator (±inf when open).
    """

    value: float
    low: float
    high: float
    comparator: str  # "=", "<", "<=", ">", ">=", "~", "range", or the date granularity
    unit: str
    kind: Kind
    text: str
    span: tuple[int, int]
    year: int | None = None
    month: int | None = None
    day: int | None = None
    hedge: str = ""  # the comparator/hedge words as written ("under", "alrededor de")


@dataclass(frozen=True)
class QuantityComparison:
    """A claim quantity set against one source quantity."""

    claim_text: str
    source_text: str
    sentence: str
    rule: str
    outcome: Outcome
    claim_span: tuple[int, int] = (0, 0)

    def describe(self) -> str:
        """`claim "…" vs source "…": outcome (rule)`."""
        return (
            f'claim "{self.claim_text}" vs source "{self.source_text}": '
            f"{self.outcome} ({self.rule})"
        )


@dataclass(frozen=True)
class QuantityReport:
    """All comparisons of one claim against its cited sentences."""

    claim: str
    comparisons: tuple[QuantityComparison, ...] = field(default_factory=tuple)
    claim_quantities: tuple[Quantity, ...] = field(default_factory=tuple)

    def _by_claim_quantity(self) -> dict[tuple[int, int], set[str]]:
        outcomes: dict[tuple[int, int], set[str]] = {q.span: set() for q in self.claim_quantities}
        for c in self.comparisons:
            if c.outcome != "unrelated":
                outcomes.setdefault(c.claim_span, set()).add(c.outcome)
        return outcomes

    @property
    def contradicted(self) -> bool:
        """Some claim quantity has an aligned contradiction and no aligned consistent value."""
        return any(
            "contradicts" in o and "consistent" not in o for o in self._by_claim_quantity().values()
        )

    @property
    def supported_values(self) -> bool:
        """The claim has quantities and each has an aligned consistent source value."""
        outcomes = self._by_claim_quantity()
        return bool(outcomes) and all("consistent" in o for o in outcomes.values())

    def summary(self) -> str:
        """One line per aligned comparison, or a note that nothing aligned."""
        lines = [c.describe() for c in self.comparisons if c.outcome != "unrelated"]
        return "\n".join(lines) if lines else "no source quantity aligned with the claim"


# ---------------------------------------------------------------------------------------------
# Lexicons
# ---------------------------------------------------------------------------------------------

_MONTHS: dict[str, int] = {}
for _i, _names in enumerate(
    [
        "january jan enero ene",
        "february feb febrero",
        "march mar marzo",
        "april apr abril abr",
        "may mayo",
        "june jun junio",
        "july jul julio",
        "august aug agosto ago",
        "september sep sept septiembre setiembre",
        "october oct octubre",
        "november nov noviembre",
        "december dec diciembre dic",
    ],
    start=1,
):
    for _n in _names.split():
        _MONTHS[_n] = _i
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))

_SCALES: dict[str, float] = {
    "thousand": 1e3, "thousands": 1e3, "mil": 1e3, "k": 1e3,
    "million": 1e6, "millions": 1e6, "millón": 1e6, "millon": 1e6, "millones": 1e6,
    "m": 1e6, "mn": 1e6, "mm": 1e6, "mdp": 1e6,
    "billion": 1e9, "billions": 1e9, "bn": 1e9, "b": 1e9, "mil millones": 1e9,
    "trillion": 1e12, "billón": 1e12, "billones": 1e12, "billon": 1e12,
}  # fmt: skip
# Single letters only count as scale when glued to the number ("$47.3M", "30k").
_GLUED_ONLY = {"k", "m", "b", "mm"}

_CURRENCY_PREFIX = {"us$": "usd", "usd": "usd", "mx$": "mxn", "mxn": "mxn", "$": "$",
                    "€": "eur", "eur": "eur", "£": "gbp", "gbp": "gbp"}  # fmt: skip
_CURRENCY_WORDS = {
    "dollar": "usd", "dollars": "usd", "dólar": "usd", "dólares": "usd", "dolares": "usd",
    "usd": "usd", "peso": "mxn", "pesos": "mxn", "mxn": "mxn", "euro": "eur", "euros": "eur",
    "eur": "eur", "pound": "gbp", "pounds": "gbp", "libras": "gbp",
}  # fmt: skip

_DURATIONS = {"second": 1 / 60, "segundo": 1 / 60, "sec": 1 / 60, "minute": 1.0, "minuto": 1.0,
              "min": 1.0, "hour": 60.0, "hora": 60.0, "hr": 60.0, "h": 60.0, "day": 1440.0,
              "dia": 1440.0, "week": 10080.0, "semana": 10080.0, "month": 43830.0,
              "mes": 43830.0, "mese": 43830.0, "year": 525960.0, "ano": 525960.0,
              "yr": 525960.0}  # fmt: skip
_LENGTHS = {"km": 1.0, "kilometer": 1.0, "kilometre": 1.0, "kilometro": 1.0, "mile": 1.609344,
            "milla": 1.609344, "meter": 0.001, "metre": 0.001, "metro": 0.001}  # fmt: skip
_PEOPLE = {"people", "person", "persona", "individual", "individuo"}

# Comparators/hedges as (regex over the lowercased text just before the number, comparator);
# the first pattern that matches wins, so "no less than" is tried before "less than".
_COMPARATORS: list[tuple[str, str]] = [
    (r"no more than|no más de|at most|up to|como máximo|a lo sumo", "<="),
    (r"at least|no less than|al menos|por lo menos|como mínimo", ">="),
    (r"less than|fewer than|under|below|menos de|menos del|por debajo de|inferior a", "<"),
    (r"more than|greater than|over|above|exceeding|más de|más del|por encima de|superior a"
     r"|mas de", ">"),
    (r"nearly|almost|casi|just under|poco menos de", "near"),
    (r"about|around|roughly|approximately|some|close to|circa|an estimated|alrededor de"
     r"|cerca de|unos|unas|aproximadamente|aproximadamente unos|en torno a", "~"),
]  # fmt: skip
_COMPARATOR_RE = [(re.compile(rf"(?:^|[^\w])((?:{pat}))\s+$"), comp) for pat, comp in _COMPARATORS]

_TREND_DOWN = (
    r"fell|fall|falls|fallen|dropped|drops|drop|declined|declines|decreased|decreases|dipped"
    r"|plunged|plummeted|slid|sank|shrank|shrunk|down|cut|reduced|decrease|decline|reduction"
    r"|cayó|cayeron|cae|caen|bajó|bajaron|baja|bajan|disminuyó|disminuyeron|descendió"
    r"|descendieron|redujo|redujeron|retrocedió|retrocedieron|caída|disminución|reducción"
    r"|descenso|bajaron"
)
_TREND_UP = (
    r"rose|rise|rises|risen|increased|increases|grew|grows|grown|climbed|climbs|jumped|jumps"
    r"|surged|soared|up|increase|rise|growth|aumentó|aumentaron|aumenta|aumentan|subió"
    r"|subieron|sube|suben|creció|crecieron|incrementó|incrementaron|aumento|alza|incremento"
    r"|crecimiento|subida"
)
# trend word, then up to 3 filler tokens ("by", "un", "del", "about"), then the number
_TREND_BEFORE = re.compile(
    rf"(?:^|[^\w])(?P<trend>{_TREND_DOWN}|{_TREND_UP})\s+"
    r"(?P<fill>(?:(?:by|of|in|en|un|una|de|del|nearly|about|some|roughly|casi|alrededor)\s+){0,3})$"
)
_TREND_AFTER = re.compile(
    rf"^\s*(?P<trend>{_TREND_DOWN}|{_TREND_UP}|fewer|less|lower|more|higher|menos|más)\b"
)
_TREND_FROM = re.compile(
    rf"(?:^|[^\w])(?:{_TREND_DOWN}|{_TREND_UP})\s+(?:from|de|desde)\s+(?:[$€£]|us\$|mx\$)?$"
)
_TREND_DOWN_SET = set(_TREND_DOWN.split("|")) | {"fewer", "less", "lower", "menos"}
_MULTIPLIERS: list[tuple[re.Pattern[str], float]] = [
    (re.compile(r"\b(?:doubled|doubles|se duplicó|se duplicaron|duplicó|duplicaron)\b"), 2.0),
    (re.compile(r"\b(?:tripled|triples|se triplicó|se triplicaron|triplicó)\b"), 3.0),
    (re.compile(r"\b(?:quadrupled|se cuadruplicó)\b"), 4.0),
    (re.compile(r"\b(?:halved|se redujo a la mitad|se redujeron a la mitad)\b"), 0.5),
]


def _words(text: str) -> frozenset[str]:
    """The whitespace-separated words of a lexicon block."""
    return frozenset(text.split())


_STOPWORDS = _words(
    """
    a an the of in on at to for from by with and or but as is are was were be been being has
    have had it its this that these those than then there their they them he she his her we
    our you your i which who whom whose what when where while after before during since
    until into about over under per each every also only just not no nor so such very more
    most less least much many some any all both other another same new last next first
    second third half quarter year years will would can could may might should must do does
    did done said says say according reported reports report total totalled totaled reached
    reach stood amounted amount number figure around nearly almost roughly approximately
    than between up down compared comparison versus previous prior earlier period el la los
    las un una unos unas de del al en y o u que por para con sin sobre entre según como es
    son fue fueron era eran ser sido ha han había hubo su sus se lo le les este esta estos
    estas ese esa eso esos esas más menos muy ya también pero porque cuando donde mientras
    desde hasta año años primer primera segundo segunda semestre trimestre mitad total cifra
    alcanzó alcanzaron sumó sumaron registró registraron llegó llegaron informó dijo casi
    unos comparación comparado respecto frente anterior mismo periodo período
    """
)
_BASELINE_RE = re.compile(
    r"(?:^|[^\w])(?:from|since|than|versus|vs|compared (?:with|to)|against|frente a|respecto a"
    r"|respecto de|en comparación con|comparado con|desde)\s+(?:(?:the|el|la|los|las)\s+)?"
    r"(?:[$€£]|us\$|mx\$)?$"
)
_SPANISH_HINTS = _words(
    """
    de la el los las que y en del por con se un una para según más año millones fue
    """
)
_ENGLISH_HINTS = _words(
    """
    the of and in to was is were by with for that from million percent
    """
)

# ---------------------------------------------------------------------------------------------
# Regexes for the glue
# ---------------------------------------------------------------------------------------------

_NUMBER = re.compile(r"(?<![\w.,])(?:\d[\d.,]*\d|\d)(?:(?=[kKmMbB]n?\b)|(?![\w]|[.,]\d))")
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
_TOKEN = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*|\d[\d.,]*\d|\d|[,;:()\[\]—–]|[.!?]")
_CLAUSE_BREAK = set(",;:()[]—–.!?")
_PERCENT_AFTER = re.compile(r"^\s?(?:%|percent\b|per cent\b|por ciento\b|porciento\b)", re.I)
_SCALE_AFTER = re.compile(
    r"^(?:(?P<glued>[kKmMbB]n?|mn|mm|MM)\b|\s+(?P<word>mil millones|thousands?|millions?|billions?"
    r"|trillion|mil|millón|millon|millones|billón|billones|billon|mdp|bn|mn)\b)",
    re.I,
)
_CURRENCY_BEFORE = re.compile(r"(?P<cur>us\$|mx\$|usd|mxn|eur|gbp|[$€£])\s?$", re.I)
_CURRENCY_AFTER = re.compile(
    r"^\s?(?:de\s+)?(?P<cur>dollars?|dólares|dolares|dólar|pesos?|euros?|pounds?|libras|usd|mxn"
    r"|eur|€)(?!\w)",
    re.I,
)
_DATE_FULL = re.compile(
    rf"\b(?P<day>\d{{1,2}})\s+de\s+(?P<month>{_MONTH_RE})(?:\s+(?:de|del)\s+(?P<year>\d{{4}}))?\b"
    rf"|\b(?P<month2>{_MONTH_RE})\.?\s+(?P<day2>\d{{1,2}})(?:st|nd|rd|th)?\b(?!\s*%)"
    rf"(?:,?\s+(?P<year2>\d{{4}}))?"
    rf"|\b(?P<day3>\d{{1,2}})\s+(?P<month3>{_MONTH_RE})\.?(?:\s+(?P<year3>\d{{4}}))?\b"
    rf"|\b(?P<month4>{_MONTH_RE})\.?(?:\s+(?:de|del|of))?\s+(?P<year4>\d{{4}})\b",
    re.I,
)
_PERIOD = re.compile(
    r"\b(?:(?:the\s+)?(?P<ord>first|second|third|fourth|1st|2nd|3rd|4th)\s+(?P<unit>half|quarter)"
    r"\s+of\s+|(?:el\s+)?(?P<ord_es>primer|segundo|tercer|cuarto)\s+(?P<unit_es>semestre|trimestre)"
    r"\s+(?:de|del)\s+(?:año\s+)?|(?P<q>[HQ][1-4])\s+)(?P<year>\d{4})\b",
    re.I,
)
# A plain four-digit integer in the year range is a year after a strong cue ("in 2025"), or after
# a weak cue ("to 2025", "de 2025") or at a clause end when no unit noun follows it.
_YEAR_STRONG = re.compile(
    r"(?:^|[^\w])(?:in|since|until|during|through|year|fiscal|en|desde|hasta|durante|año|del)\s+$",
    re.I,
)
_YEAR_WEAK = re.compile(
    r"(?:^|[^\w])(?:by|of|for|from|to|de|para|between|entre|and|y|a|al)\s+$", re.I
)
_RANGE_JOIN = re.compile(r"^\s*(?:-|–|—|to|a|and|y|al)\s*$", re.I)
_RANGE_OPEN = re.compile(r"(?:^|[^\w])(?:between|entre)\s+(?:[$€£]|us\$)?$", re.I)
_ORDINALS = {"first": 1, "1st": 1, "primer": 1, "second": 2, "2nd": 2, "segundo": 2,
             "third": 3, "3rd": 3, "tercer": 3, "fourth": 4, "4th": 4, "cuarto": 4}  # fmt: skip
# Written-number words never read as numbers: articles and pronoun-like uses.
_WRITTEN_EXCLUDED = {"a", "an", "one", "un", "una", "uno", "once", "second", "cero", "zero", "nil",
                     "hundred", "hundreds", "thousand", "thousands", "million", "millions",
                     "billion", "billions", "trillion", "millón", "millones", "billón",
                     "billones"}  # fmt: skip
_WRITTEN_MAX_TOKENS = 7


# ---------------------------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Num:
    """A bare number before comparator/unit handling."""

    start: int
    end: int
    value: float
    half_unit: float  # half a unit in the last written digit
    round_number: bool


_SPANISH_CHARS = re.compile("[ñáéíóú¿¡]")


def _detect_language(words: list[str]) -> str:
    """'es' or 'en' from lowercase words' function-word counts (ties and no words: 'en')."""
    es = sum(w in _SPANISH_HINTS for w in words) + len(_SPANISH_CHARS.findall(" ".join(words)))
    en = sum(w in _ENGLISH_HINTS for w in words)
    return "es" if es > en else "en"


def _strip_accents(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


def _lemma(word: str) -> str:
    """Lowercase, accent-free, crudely singular form of a unit noun."""
    w = _strip_accents(word.lower())
    if w in _PEOPLE or w in {"persons", "personas", "individuals", "individuos"}:
        return "people"
    if w.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"
    if w.endswith("s") and len(w) > 3 and not w.endswith("ss"):
        return w[:-1]
    return w


def _stem(word: str) -> str:
    return _lemma(word)[:STEM_LENGTH]


def _parse_digits(raw: str, lang: str) -> tuple[float, int, bool] | None:
    """(value, decimals, is_round_integer) of a digit string with separators, or None."""
    seps = [c for c in raw if c in ".,"]
    if not seps:
        integer, frac = raw, ""
    elif "." in seps and "," in seps:
        dec = raw[max(raw.rfind("."), raw.rfind(","))]
        thousands = "," if dec == "." else "."
        if raw.count(dec) != 1:
            return None
        integer, frac = raw.replace(thousands, "").split(dec)
    else:
        sep = seps[0]
        groups = raw.split(sep)
        thousands_like = all(len(g) == 3 for g in groups[1:]) and 1 <= len(groups[0]) <= 3
        if len(groups) > 2:
            if not thousands_like:
                return None
            integer, frac = "".join(groups), ""
        elif thousands_like and groups[0] != "0" and not (sep == "." and lang == "en"):
            integer, frac = "".join(groups), ""
        else:
            integer, frac = groups
    if not integer.isdigit() or (frac and not frac.isdigit()):
        return None
    value = float(f"{integer}.{frac}") if frac else float(integer)
    trailing = len(integer) - len(integer.rstrip("0"))
    is_round = not frac and value >= ROUND_NUMBER_MIN and trailing >= 2
    return value, len(frac), is_round


def _digit_numbers(text: str, lang: str) -> list[_Num]:
    nums: list[_Num] = []
    for m in _NUMBER.finditer(text):
        start = m.start()
        if start >= 2 and text[start - 1] == "-" and text[start - 2].isalpha():
            continue  # COVID-19, G-20
        parsed = _parse_digits(m.group(), lang)
        if parsed is None:
            continue
        value, decimals, is_round = parsed
        nums.append(_Num(start, m.end(), value, 0.5 * 10.0**-decimals, is_round))
    return nums


def _written_numbers(text: str, lang: str, taken: list[tuple[int, int]]) -> list[_Num]:
    """Written-out numbers ("thirty-seven", "treinta y siete") outside the `taken` spans."""
    words = list(_WORD.finditer(text))

    def free(k: int) -> bool:
        return not any(s <= words[k].start() < e for s, e in taken)

    nums: list[_Num] = []
    i = 0
    while i < len(words):
        first = words[i].group().lower()
        if (
            first in _WRITTEN_EXCLUDED
            or first in _MONTHS
            or not _is_number_word(first, lang)
            or not free(i)
        ):
            i += 1
            continue
        best: tuple[int, float] | None = None
        for j in range(i, min(i + _WRITTEN_MAX_TOKENS, len(words))):
            if j > i and (text[words[j - 1].end() : words[j].start()].strip() or not free(j)):
                break  # punctuation, a digit or another quantity ends the phrase
            phrase = " ".join(w.group().lower() for w in words[i : j + 1])
            try:
                best = (j, float(text2num(phrase, lang)))
            except ValueError:
                continue
        if best is None:
            i += 1
            continue
        j, value = best
        nums.append(_Num(words[i].start(), words[j].end(), value, 0.5, False))
        i = j + 1
    return nums


_NUMBER_WORD_CACHE: dict[tuple[str, str], bool] = {}


def _is_number_word(word: str, lang: str) -> bool:
    key = (word, lang)
    hit = _NUMBER_WORD_CACHE.get(key)
    if hit is None:
        try:
            text2num(word, lang)
            hit = True
        except ValueError:
            hit = False
        if len(_NUMBER_WORD_CACHE) < 50_000:
            _NUMBER_WORD_CACHE[key] = hit
    return hit


_PERIOD_HINT = re.compile(r"half|quarter|semestre|trimestre|\b[HQ][1-4]\b", re.I)


def _dates(text: str, words: set[str]) -> list[Quantity]:
    """Periods ("first half of 2025") and dates with a month name."""
    found: list[Quantity] = []
    has_month = not words.isdisjoint(_MONTHS)
    if not has_month and not _PERIOD_HINT.search(text):
        return found
    for m in _PERIOD.finditer(text):
        year = int(m.group("year"))
        if not YEAR_MIN <= year <= YEAR_MAX:
            continue
        if m.group("q"):
            unit = m.group("q").upper()
            size, index = (6 if unit[0] == "H" else 3), int(unit[1])
        else:
            ordinal = _ORDINALS[(m.group("ord") or m.group("ord_es")).lower()]
            kind_word = (m.group("unit") or m.group("unit_es")).lower()
            size = 6 if kind_word in {"half", "semestre"} else 3
            index = ordinal
            unit = f"{'H' if size == 6 else 'Q'}{ordinal}"
        first_month = (index - 1) * size + 1
        if first_month > 12:
            continue
        low = date(year, first_month, 1).toordinal()
        end_month = first_month + size
        high = (
            date(year + 1, 1, 1) if end_month > 12 else date(year, end_month, 1)
        ).toordinal() - 1
        found.append(
            Quantity(float(low), float(low), float(high), "period", unit, "period", m.group(),
                     m.span(), year=year)
        )  # fmt: skip
    for m in _DATE_FULL.finditer(text) if has_month else ():
        if any(_overlaps(m.span(), q.span) for q in found):
            continue
        g = m.groupdict()
        month_word = (g["month"] or g["month2"] or g["month3"] or g["month4"]).lower()
        month = _MONTHS[month_word]
        day_s = g["day"] or g["day2"] or g["day3"]
        year_s = g["year"] or g["year2"] or g["year3"] or g["year4"]
        day = int(day_s) if day_s else None
        year = int(year_s) if year_s else None
        if month_word == "may" and day is None and year is None:
            continue
        if year is not None and not YEAR_MIN <= year <= YEAR_MAX:
            continue
        try:
            if year is not None:
                low = date(year, month, day or 1).toordinal()
                if day is None:
                    nxt = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
                    high = nxt.toordinal() - 1
                else:
                    high = low
                value, lo, hi = float(low), float(low), float(high)
            else:
                date(2000, month, day or 1)  # validates the day
                value = lo = hi = float(month * 100 + (day or 0))
        except ValueError:
            continue
        granularity = "day" if day else "month"
        found.append(
            Quantity(value, lo, hi, granularity, "", "date", m.group(), m.span(), year=year,
                     month=month, day=day)
        )  # fmt: skip
    return found


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _bounds(value: float, half_unit: float, comparator: str, is_round: bool) -> tuple[float, float]:
    """Interval of the true value given rounding, hedge and comparator."""
    spread = half_unit
    if is_round:
        spread = max(spread, abs(value) * ROUND_NUMBER_TOLERANCE)
    if comparator == "<":
        return -math.inf, value
    if comparator == "<=":
        return -math.inf, value
    if comparator == ">":
        return value, math.inf
    if comparator == ">=":
        return value, math.inf
    if comparator == "near":
        return value * (1 - NEAR_TOLERANCE), value + half_unit
    if comparator == "~":
        spread = max(spread, abs(value) * HEDGE_TOLERANCE)
    return value - spread, value + spread


def _quantity_from_num(text: str, num: _Num) -> Quantity:
    """Attach currency, scale, percent, unit, comparator and trend to one bare number."""
    start, end = num.start, num.end
    value, half_unit = num.value, num.half_unit
    lower = text.lower()
    kind: Kind = "count"
    unit = ""
    # currency symbol before
    cur = _CURRENCY_BEFORE.search(lower[max(0, start - 4) : start])
    if cur:
        kind, unit = "currency", _CURRENCY_PREFIX[cur.group("cur")]
        start -= len(cur.group())
    # scale after
    scale = _SCALE_AFTER.match(text[end:])
    if scale:
        word = (scale.group("glued") or scale.group("word")).lower()
        word = re.sub(r"\s+", " ", word)
        if scale.group("glued") or word not in _GLUED_ONLY:
            factor = _SCALES[word]
            value, half_unit = value * factor, half_unit * factor
            end += scale.end()
            if word == "mdp":
                kind, unit = "currency", "mxn"
    # percent / currency word after
    pct = _PERCENT_AFTER.match(text[end:])
    if pct and kind == "count":
        kind, unit = "percent", "%"
        end += pct.end()
    else:
        cw = _CURRENCY_AFTER.match(text[end:])
        if cw and kind in {"count", "currency"}:
            code = _CURRENCY_WORDS.get(cw.group("cur").lower(), "eur")
            if kind == "count" or unit == "$":
                unit = code
            kind = "currency"
            end += cw.end()
    # year
    if (
        kind == "count"
        and not scale
        and half_unit == 0.5
        and text[num.start : num.end].isdigit()
        and len(text[num.start : num.end]) == 4
        and YEAR_MIN <= num.value <= YEAR_MAX
        and _is_year_position(text, start, end)
    ):
        year = int(num.value)
        lo = float(date(year, 1, 1).toordinal())
        hi = float(date(year, 12, 31).toordinal())
        return Quantity(lo, lo, hi, "year", "", "year", text[start:end], (start, end), year=year)
    # unit noun after
    if kind == "count":
        rest = text[end:]
        trimmed = rest[1:] if rest.startswith("-") else rest.lstrip()
        nxt = _WORD.match(trimmed)
        if nxt:
            word = nxt.group()
            lemma = _lemma(word)
            gap = len(rest) - len(trimmed)
            is_measure = lemma in _DURATIONS or lemma in _LENGTHS or word.lower() in _DURATIONS
            if gap <= 1 and (
                is_measure or (word.lower() not in _STOPWORDS and lemma not in _STOPWORDS)
            ):
                end = end + gap + nxt.end()
                if lemma in _DURATIONS or word.lower() in _DURATIONS:
                    factor = _DURATIONS.get(lemma, _DURATIONS.get(word.lower(), 1.0))
                    kind, unit = "duration", "minute"
                    value, half_unit = value * factor, half_unit * factor
                elif lemma in _LENGTHS:
                    kind, unit = "length", "km"
                    value, half_unit = value * _LENGTHS[lemma], half_unit * _LENGTHS[lemma]
                else:
                    unit = lemma
    # comparator / hedge before
    comparator, hedge = "=", ""
    before = lower[max(0, start - 40) : start]
    for pattern, comp in _COMPARATOR_RE:
        cm = pattern.search(before)
        if cm:
            comparator, hedge = comp, cm.group(1)
            start = start - len(before) + cm.start(1)
            break
    # trend / change
    if kind == "percent":
        trend = _TREND_BEFORE.search(lower[max(0, start - 60) : start])
        after = _TREND_AFTER.match(lower[end:])
        word = ""
        if trend:
            word = trend.group("trend")
            if not (word == "down" or word == "up") or not trend.group("fill"):
                start = start - len(lower[max(0, start - 60) : start]) + trend.start("trend")
            else:
                word = ""
        elif after:
            word = after.group("trend")
            end += after.end()
        if word:
            sign = -1.0 if word in _TREND_DOWN_SET else 1.0
            kind = "change"
            value = sign * value
    round_number = num.round_number
    low, high = _bounds(value, half_unit, comparator, round_number)
    if kind == "change" and value < 0:
        # comparators on a fall apply to its size: "fell more than 10%" is below −10 %
        flipped = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}
        if comparator in flipped:
            low, high = _bounds(value, half_unit, flipped[comparator], round_number)
        elif comparator == "near":
            low, high = value - half_unit, value * (1 - NEAR_TOLERANCE)
    return Quantity(
        value, min(low, high), max(low, high), comparator, unit, kind, text[start:end],
        (start, end), hedge=hedge,
    )  # fmt: skip


def _is_year_position(text: str, start: int, end: int) -> bool:
    """Whether a four-digit number at [start, end) reads as a year (see `_YEAR_STRONG`)."""
    before = text[max(0, start - 12) : start]
    if _YEAR_STRONG.search(before):
        return True
    rest = text[end:].lstrip()
    nxt = _WORD.match(rest)
    unit_follows = nxt is not None and nxt.group().lower() not in _STOPWORDS | _MONTHS.keys()
    ends_clause = not rest or rest[0] in ".,;:)!?"
    return not unit_follows and (bool(_YEAR_WEAK.search(before)) or ends_clause)


def _multipliers(text: str) -> list[Quantity]:
    lower = text.lower()
    found: list[Quantity] = []
    for pattern, factor in _MULTIPLIERS:
        for m in pattern.finditer(lower):
            change = (factor - 1) * 100
            low = (factor * (1 - MULTIPLIER_TOLERANCE) - 1) * 100
            high = (factor * (1 + MULTIPLIER_TOLERANCE) - 1) * 100
            found.append(
                Quantity(change, low, high, "x", "%", "change", text[m.start() : m.end()],
                         m.span(), hedge=f"x{factor:g}")
            )  # fmt: skip
    return found


def _merge_ranges(text: str, quantities: list[Quantity], lang: str) -> list[Quantity]:
    """Join "between 30 and 40", "30-40", "de 30 a 40" into one range, "2 hours 5 minutes"
    into one duration."""
    out: list[Quantity] = []
    i = 0
    while i < len(quantities):
        a = quantities[i]
        if i + 1 < len(quantities) and a.kind not in {"year", "date", "period", "change"}:
            b = quantities[i + 1]
            join = text[a.span[1] : b.span[0]]
            # "7 minutes 40 seconds", "3 hours and 20 minutes": one duration
            if (
                a.kind == b.kind == "duration"
                and a.comparator == b.comparator == "="
                and join.strip().lower() in {"", "and", "y", ","}
                and b.value < a.value
            ):
                span = (a.span[0], b.span[1])
                out.append(
                    Quantity(a.value + b.value, a.value + b.low, a.value + b.high, "=", "minute",
                             "duration", text[span[0] : span[1]], span)
                )  # fmt: skip
                i += 2
                continue
            opener = _RANGE_OPEN.search(text[max(0, a.span[0] - 12) : a.span[0]])
            # "30-40", "$15 billion to $25 billion", or "30 to 40 minutes" where the first
            # number borrows the second's unit; never "rose from 30 to 40" (a change)
            word = join.strip().lower()
            dash = word in {"-", "–", "—"} or (
                word in {"to", "a", "al"}
                and ((a.kind == "count" and not a.unit) or (a.kind, a.unit) == (b.kind, b.unit))
                and not _TREND_FROM.search(text[max(0, a.span[0] - 30) : a.span[0]].lower())
            )
            if (
                _RANGE_JOIN.match(join)
                and (opener or dash)
                and a.comparator == "="
                and b.comparator == "="
                and b.kind not in {"year", "date", "period", "change"}
                and (a.kind == b.kind or (a.kind == "count" and not a.unit))
            ):
                raw_a, raw_b = _raw_value(text, a, lang), _raw_value(text, b, lang)
                factor = b.value / raw_b if raw_b else 1.0
                # "$30 and $40 million": the bare first number borrows the second's scale/unit
                if raw_a and a.value == raw_a:
                    a_low, a_value = a.low * factor, a.value * factor
                else:
                    a_low, a_value = a.low, a.value
                if a_value < b.value:  # "22 – 12" is a score or a list, not a range
                    start = a.span[0]
                    if opener:
                        start = max(0, a.span[0] - 12) + opener.start()
                        while start < a.span[0] and not text[start].isalnum():
                            start += 1
                    span = (start, b.span[1])
                    out.append(
                        Quantity((a_value + b.value) / 2, a_low, b.high, "range", b.unit, b.kind,
                                 text[span[0] : span[1]], span)
                    )  # fmt: skip
                    i += 2
                    continue
        out.append(a)
        i += 1
    return out


def _raw_value(text: str, q: Quantity, lang: str) -> float:
    m = _NUMBER.search(text, q.span[0], q.span[1])
    if not m:
        return 0.0
    parsed = _parse_digits(m.group(), lang)
    return parsed[0] if parsed else 0.0


def parse_quantities(text: str, lang: str | None = None) -> list[Quantity]:
    """All quantities and dates in `text`, in order of appearance.

    `lang` is "en" or "es"; None detects it from function words. It decides how a lone
    "1.866" is read (Spanish thousands, English decimal) and which words are written numbers.
    """
    words = _WORD.findall(text.lower())
    lang = lang or _detect_language(words)
    found = _dates(text, set(words))
    found.extend(_multipliers(text))
    taken = [q.span for q in found]
    nums = [n for n in _digit_numbers(text, lang) if not _inside(n, taken)]
    numeric: list[Quantity] = []
    for num in nums:
        numeric.append(_quantity_from_num(text, num))
    taken += [q.span for q in numeric]
    for num in _written_numbers(text, lang, taken):
        q = _quantity_from_num(text, num)
        if q.kind != "year":
            numeric.append(q)
    numeric.sort(key=lambda q: q.span)
    found.extend(_merge_ranges(text, numeric, lang))
    found.sort(key=lambda q: q.span)
    return found


def _inside(num: _Num, spans: list[tuple[int, int]]) -> bool:
    return any(_overlaps((num.start, num.end), s) for s in spans)


# ---------------------------------------------------------------------------------------------
# Alignment
# ---------------------------------------------------------------------------------------------

_EXCLUDED_CONTEXT = (
    _STOPWORDS
    | set(_MONTHS)
    | set(_SCALES)
    | set(_CURRENCY_WORDS)
    | set(_TREND_DOWN.split("|"))
    | set(_TREND_UP.split("|"))
    | {"percent", "por", "ciento", "cent", "doubled", "halved", "tripled", "under", "below",
       "above", "least", "most", "fewer", "greater"}
)  # fmt: skip


@dataclass(frozen=True)
class _Context:
    wide: frozenset[str]
    tight: frozenset[str]


def _content_tokens(text: str) -> list[tuple[int, int, str]]:
    """(start, end, token) for every word, number and clause-break token."""
    return [(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(text)]


def _is_content(token: str) -> bool:
    low = token.lower()
    return (
        token[0].isalpha()
        and len(low) > 2
        and low not in _EXCLUDED_CONTEXT
        and _strip_accents(low) not in _EXCLUDED_CONTEXT
    )


def _context(
    tokens: list[tuple[int, int, str]], q: Quantity, spans: list[tuple[int, int]]
) -> _Context:
    unit_stem = _stem(q.unit) if q.unit else ""
    wide: set[str] = set()
    tight: set[str] = set()
    for direction in (-1, 1):
        idx = [i for i, t in enumerate(tokens) if (t[1] <= q.span[0] if direction < 0
                                                    else t[0] >= q.span[1])]  # fmt: skip
        if direction < 0:
            idx.reverse()
        n_tight, max_tight = 0, (TIGHT_LEFT if direction < 0 else TIGHT_RIGHT)
        for steps, i in enumerate(idx):
            start, end, tok = tokens[i]
            if tok in _CLAUSE_BREAK or steps >= WIDE_WINDOW:
                break
            if any(s <= start and end <= e for s, e in spans) or not _is_content(tok):
                continue
            stem = _stem(tok)
            if stem == unit_stem:
                continue
            wide.add(stem)
            if n_tight < max_tight:
                tight.add(stem)
                n_tight += 1
    return _Context(frozenset(wide), frozenset(tight))


def _all_content(text: str) -> frozenset[str]:
    return frozenset(_stem(t) for t in _WORD.findall(text) if _is_content(t))


_FAMILY = {"count": "count", "percent": "percent", "currency": "currency",
           "duration": "duration", "length": "length", "change": "change", "year": "date",
           "date": "date", "period": "date"}  # fmt: skip


def _units_compatible(c: Quantity, s: Quantity, c_ctx: _Context, s_ctx: _Context) -> bool:
    if c.kind == "currency":
        return c.unit == s.unit or (
            "$" in {c.unit, s.unit} and {c.unit, s.unit} <= {"$", "usd", "mxn"}
        )
    if c.kind == "count":
        if c.unit == s.unit:
            return True
        if not c.unit:
            return _stem(s.unit) in c_ctx.wide
        if not s.unit:
            return _stem(c.unit) in s_ctx.wide
        return False
    return True


def _is_baseline(sentence: str, q: Quantity) -> bool:
    return bool(_BASELINE_RE.search(sentence[max(0, q.span[0] - 30) : q.span[0]].lower()))


def _compare_values(c: Quantity, s: Quantity) -> tuple[str, Outcome]:
    """Rule name and outcome for two aligned quantities of one family."""
    if _FAMILY[c.kind] == "date":
        return _compare_dates(c, s)
    if c.kind == "change" and c.value * s.value < 0:
        return "direction", "contradicts"
    overlap = min(c.high, s.high) - max(c.low, s.low)
    ok = overlap > OVERLAP_EPSILON  # intervals that merely touch do not overlap
    if c.comparator in {"<", "<=", ">", ">=", "near", "~"}:
        rule = f"{'hedge' if c.comparator in {'near', '~'} else 'comparator'}: {c.hedge}"
    elif c.comparator == "range" or s.comparator == "range":
        rule = "range"
    elif c.comparator == "x" or s.comparator == "x":
        rule = f"multiplier: {c.text if c.comparator == 'x' else s.text}"
    else:
        rule = "rounding"
    if s.comparator in {"<", "<=", ">", ">=", "near", "~"} and rule == "rounding":
        rule = f"source {'hedge' if s.comparator in {'near', '~'} else 'comparator'}: {s.hedge}"
    return rule, "consistent" if ok else "contradicts"


def _compare_dates(c: Quantity, s: Quantity) -> tuple[str, Outcome]:
    if c.year is not None and s.year is not None:
        if c.year != s.year:
            return "year", "contradicts"
        overlap = min(c.high, s.high) - max(c.low, s.low)
        if overlap < 0:
            return ("month" if c.month and s.month and c.month != s.month else "period",
                    "contradicts")  # fmt: skip
        return "date", "consistent"
    if c.month and s.month:
        if c.month != s.month:
            return "month", "contradicts"
        if c.day and s.day and c.day != s.day:
            return "day", "contradicts"
        return "date", "consistent"
    return "date granularity", "unrelated"


def _compare(
    claim: str,
    sentence: str,
    c: Quantity,
    s: Quantity,
    c_ctx: _Context,
    s_ctx: _Context,
    claim_words: frozenset[str],
    sentence_words: frozenset[str],
) -> QuantityComparison:
    def result(rule: str, outcome: Outcome) -> QuantityComparison:
        return QuantityComparison(c.text, s.text, sentence, rule, outcome, c.span)

    if _FAMILY[c.kind] != _FAMILY[s.kind]:
        return result("kind mismatch", "unrelated")
    if not _units_compatible(c, s, c_ctx, s_ctx):
        return result("unit mismatch", "unrelated")
    if _is_baseline(sentence, s) and not _is_baseline(claim, c):
        return result("baseline", "unrelated")
    if len(c_ctx.wide & s_ctx.wide) < MIN_SHARED_CONTEXT:
        return result("context: no shared words", "unrelated")
    novel = len(s_ctx.tight - claim_words) + len(c_ctx.tight - sentence_words)
    if novel > MAX_NOVEL_QUALIFIERS:
        return result("context: different qualifiers", "unrelated")
    rule, outcome = _compare_values(c, s)
    return result(rule, outcome)


def compare_claim_to_sentence(claim: str, sentence: str) -> list[QuantityComparison]:
    """Compare every claim quantity with every quantity of one source sentence.

    Pairs of different kinds, incompatible units or different context come back `unrelated`
    with the reason as `rule`; aligned pairs come back `consistent` or `contradicts`.
    """
    claim_qs = parse_quantities(claim)
    if not claim_qs:
        return []
    return _compare_parsed(claim, claim_qs, sentence)


def _compare_parsed(
    claim: str, claim_qs: list[Quantity], sentence: str
) -> list[QuantityComparison]:
    source_qs = parse_quantities(sentence)
    if not source_qs:
        return []
    c_tokens, s_tokens = _content_tokens(claim), _content_tokens(sentence)
    c_spans, s_spans = [q.span for q in claim_qs], [q.span for q in source_qs]
    claim_words, sentence_words = _all_content(claim), _all_content(sentence)
    s_ctxs = [_context(s_tokens, s, s_spans) for s in source_qs]
    other_frame = _other_time_frame(claim_qs, source_qs)
    out: list[QuantityComparison] = []
    for c in claim_qs:
        c_ctx = _context(c_tokens, c, c_spans)
        for s, s_ctx in zip(source_qs, s_ctxs, strict=True):
            if other_frame:
                out.append(QuantityComparison(c.text, s.text, sentence, "time frame",
                                              "unrelated", c.span))  # fmt: skip
                continue
            out.append(_compare(claim, sentence, c, s, c_ctx, s_ctx, claim_words, sentence_words))
    return out


def _other_time_frame(claim_qs: list[Quantity], source_qs: list[Quantity]) -> bool:
    """A statistic claim and a sentence whose dates all disagree with the claim's dates.

    "Homicides fell 11.1% in 2025" vs "Homicides fell 4% in 2024" measures another period:
    neither the numbers nor the years are compared. Claims made only of dates ("spoke to Trump
    on Jan. 22") are events, and their dates are compared as usual.
    """
    c_dates = [q for q in claim_qs if _FAMILY[q.kind] == "date"]
    s_dates = [q for q in source_qs if _FAMILY[q.kind] == "date"]
    if not c_dates or not s_dates or len(c_dates) == len(claim_qs):
        return False
    return all(_compare_dates(c, s)[1] == "contradicts" for c in c_dates for s in s_dates)


def check_citations(claim: str, sentences: Sequence[str]) -> QuantityReport:
    """Compare the claim's quantities with those of each cited sentence."""
    claim_qs = parse_quantities(claim)
    comparisons: list[QuantityComparison] = []
    if claim_qs:
        for sentence in sentences:
            comparisons.extend(_compare_parsed(claim, claim_qs, sentence))
    return QuantityReport(claim, tuple(comparisons), tuple(claim_qs))
