"""Time periods and statistics-table rows: the shared vocabulary of the table reader
(`factcheck.io.tables`), the store (which keeps a row's fields as chunk metadata) and the trend
computation (`factcheck.verify.trends`).

A `Period` is a window of whole calendar months, `first`..`last` inclusive, each month counted
as `year * 12 + month - 1`: a year, a half (H1/H2), a quarter, a month, or any run of months
("January–May 2025"). Month numbers sort and subtract, so a table's periods are sortable keys and
"the same window a year earlier" is `shifted(-1)`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

Aggregation = Literal["sum", "mean", "none"]
"""How rows of a series combine into a longer window: counts add up (`sum`), levels such as
rates or prices average (`mean`), and `none` compares single rows only."""

MONTH_NAMES = {
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    "es": [
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ],
}
_MONTH_WORDS: dict[str, int] = {}
for _names in (
    MONTH_NAMES["en"],
    MONTH_NAMES["es"],
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
    ["ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic"],
):
    for _number, _name in enumerate(_names, start=1):
        _MONTH_WORDS[_name.lower()] = _number
_MONTH_WORDS.update({"sept": 9, "setiembre": 9})
MONTH_PATTERN = "|".join(sorted(_MONTH_WORDS, key=len, reverse=True))
"""Month names and abbreviations (English and Spanish) as a regex alternation."""


def month_number(word: str) -> int | None:
    """1–12 for an English or Spanish month name or abbreviation (any case), else None."""
    return _MONTH_WORDS.get(word.lower().rstrip("."))


@dataclass(frozen=True, order=True)
class Period:
    """A window of whole months, `first`..`last` inclusive (month = year * 12 + month - 1)."""

    first: int
    last: int

    @classmethod
    def of(cls, year: int, first_month: int = 1, last_month: int | None = None) -> Period:
        """Months `first_month`..`last_month` (default: to the end of the year) of `year`."""
        end = 12 if last_month is None else last_month
        return cls(year * 12 + first_month - 1, year * 12 + end - 1)

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        """One calendar month."""
        return cls.of(year, month, month)

    @property
    def months(self) -> int:
        """Number of months in the window."""
        return self.last - self.first + 1

    @property
    def year(self) -> int:
        """Year of the first month."""
        return self.first // 12

    def contains(self, other: Period) -> bool:
        """Whether `other` lies inside this window."""
        return self.first <= other.first and other.last <= self.last

    def shifted(self, years: int) -> Period:
        """The same months `years` years later (earlier when negative)."""
        return Period(self.first + 12 * years, self.last + 12 * years)

    @property
    def key(self) -> str:
        """A sortable key: `2025`, `2025-H1`, `2025-Q2`, `2025-06`, or `2025-01..2025-05`."""
        y1, m1 = divmod(self.first, 12)
        y2, m2 = divmod(self.last, 12)
        m1, m2 = m1 + 1, m2 + 1
        if y1 == y2:
            if (m1, m2) == (1, 12):
                return f"{y1}"
            if m1 == m2:
                return f"{y1}-{m1:02d}"
            if m2 - m1 == 5 and m1 in (1, 7):
                return f"{y1}-H{1 if m1 == 1 else 2}"
            if m2 - m1 == 2 and m1 % 3 == 1:
                return f"{y1}-Q{(m1 + 2) // 3}"
        return f"{y1}-{m1:02d}..{y2}-{m2:02d}"

    def label(self, language: str | None = "en") -> str:
        """How the window reads in a passage: "2024", "June 2025", "January–June 2025";
        in Spanish "junio de 2025", "enero–junio de 2025"."""
        names = MONTH_NAMES["es" if language == "es" else "en"]
        of = " de " if language == "es" else " "
        y1, m1 = divmod(self.first, 12)
        y2, m2 = divmod(self.last, 12)
        if y1 == y2 and (m1, m2) == (0, 11):
            return str(y1)
        if y1 == y2 and m1 == m2:
            return f"{names[m1]}{of}{y1}"
        if y1 == y2:
            return f"{names[m1]}–{names[m2]}{of}{y1}"
        if (m1, m2) == (0, 11):
            return f"{y1}–{y2}"
        return f"{names[m1]}{of}{y1}–{names[m2]}{of}{y2}"


_YEAR = r"(?P<year>(?:18|19|20|21)\d\d)"
_CELL_FORMS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(rf"^{_YEAR}$"), "year"),
    (re.compile(rf"^{_YEAR}[-/.](?P<month>\d{{1,2}})(?:[-/.]\d{{1,2}})?$"), "month"),
    (re.compile(rf"^{_YEAR}\s*[-/ ]?\s*[QT](?P<quarter>[1-4])$", re.I), "quarter"),
    (re.compile(rf"^[QT](?P<quarter>[1-4])\s*[-/ ]?\s*{_YEAR}$", re.I), "quarter"),
    (re.compile(rf"^{_YEAR}\s*[-/ ]?\s*[HS](?P<half>[12])$", re.I), "half"),
    (re.compile(rf"^[HS](?P<half>[12])\s*[-/ ]?\s*{_YEAR}$", re.I), "half"),
    (re.compile(rf"^(?P<name>{MONTH_PATTERN})\.?(?:\s+de)?[\s\-/]+{_YEAR}$", re.I), "named"),
]


def parse_period(value: object) -> Period | None:
    """A table cell as a period, or None when it is not one.

    Accepted: a year (`2024`, or the number 2024), a month (`2025-06`, `2025/6`, `June 2025`,
    `junio de 2025`, `Jun-2025`, a date or datetime, which stands for its month), a quarter
    (`2025-Q2`, `Q2 2025`, `T2 2025`) and a half (`2025-H1`, `H1 2025`, `S1 2025`)."""
    if isinstance(value, datetime | date):
        return Period.month(value.year, value.month)
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        if float(value).is_integer() and 1800 <= value <= 2199:
            return Period.of(int(value))
        return None
    if not isinstance(value, str):
        return None
    text = " ".join(value.split())
    for pattern, form in _CELL_FORMS:
        match = pattern.match(text)
        if not match:
            continue
        year = int(match.group("year"))
        if form == "year":
            return Period.of(year)
        if form == "month":
            month = int(match.group("month"))
            return Period.month(year, month) if 1 <= month <= 12 else None
        if form == "quarter":
            q = int(match.group("quarter"))
            return Period.of(year, 3 * q - 2, 3 * q)
        if form == "half":
            h = int(match.group("half"))
            return Period.of(year, 6 * h - 5, 6 * h)
        number = month_number(match.group("name"))
        return Period.month(year, number) if number else None
    return None


class TableRow(BaseModel):
    """One value of one series in a statistics table, as kept in the row's chunk metadata."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    table_id: str
    series_id: str
    series: str
    geo: str | None = None
    period: Period
    value: float
    value_text: str
    unit: str | None = None
    aggregation: Aggregation = "sum"
    note: str | None = None

    def metadata(self) -> dict[str, str | int | float | bool]:
        """Chroma-ready metadata (None values left out)."""
        meta: dict[str, str | int | float | bool | None] = {
            "table": True,
            "table_id": self.table_id,
            "series_id": self.series_id,
            "series": self.series,
            "geo": self.geo,
            "period": self.period.key,
            "period_first": self.period.first,
            "period_last": self.period.last,
            "value": self.value,
            "value_text": self.value_text,
            "unit": self.unit,
            "aggregation": self.aggregation,
            "note": self.note,
        }
        return {k: v for k, v in meta.items() if v is not None}

    @classmethod
    def from_metadata(cls, meta: dict[str, Any]) -> TableRow | None:
        """The row a chunk's metadata describes, or None when the chunk is not a table row."""
        if not meta.get("table"):
            return None
        try:
            return cls(
                table_id=str(meta["table_id"]),
                series_id=str(meta["series_id"]),
                series=str(meta["series"]),
                geo=meta.get("geo"),
                period=Period(int(meta["period_first"]), int(meta["period_last"])),
                value=float(meta["value"]),
                value_text=str(meta.get("value_text", meta["value"])),
                unit=meta.get("unit"),
                aggregation=meta.get("aggregation", "sum"),
                note=meta.get("note"),
            )
        except (KeyError, TypeError, ValueError):
            return None


def format_number(value: float, decimals: int = 0) -> str:
    """`33241` → "33,241"; `-1444.5` with 1 decimal → "-1,444.5" (the forms tables are quoted in
    across Mexico's and English-language statistics: comma thousands, point decimals)."""
    return f"{value:,.{max(0, decimals)}f}"
