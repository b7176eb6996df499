"""Number perturbations: a claim whose number also appears in its gold evidence, and a copy with
that number changed so the evidence contradicts it (`evals/build_perturbations.py`).

Pure and deterministic: the value changed and its replacement depend only on the claim and a
`random.Random` seeded by the caller with the case id. A number qualifies when the same value
(digits compared without thousands separators; number words as words) occurs in the evidence
and it is not part of a name (COVID-19, H1N1, S358) nor a bound ("more than 5", "at least 3",
"up to 10"), where a changed value might still be true.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from factcheck.io.series import MONTH_NAMES

WORD_NUMBERS = {
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
}
"""Number words a claim may use (one is left out: it is too often an article)."""
WORD_FOR = {v: k for k, v in WORD_NUMBERS.items()}
MULTIPLES = {"doubled": "halved", "halved": "doubled", "tripled": "halved"}
MONTHS = tuple(MONTH_NAMES["en"])

BOUND = re.compile(
    r"(more|fewer|less|greater|higher|lower|over|under|above|below|least|most|up to|than|"
    r"exceed(?:s|ed|ing)?|within|nearly|almost|as (?:many|much|few|little|high|low) as|by)\s*$",
    re.IGNORECASE,
)
"""Words before a number that make it a bound rather than a value."""
NUMBER = re.compile(
    r"(?<![\w\-./])"
    r"(?P<num>\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)"
    r"(?P<pct>\s?(?:%|percent\b|per cent\b))?"
    r"(?![\w\-/]|\.\d)",
)
WORD = re.compile(
    r"(?<![\w\-])(?P<word>" + "|".join([*WORD_NUMBERS, *MULTIPLES, *MONTHS]) + r")(?![\w\-])",
    re.IGNORECASE,
)
RANGE_AFTER = re.compile(r"^\s*(?:to|-|–|and|or)\s*\d")
RANGE_BEFORE = re.compile(r"\d\s*(?:to|-|–|and|or)\s*$")
NAME_BEFORE = re.compile(r"(?:^|[^.!?]\s)[A-Z][\w\-]*\s+$")
"""A capitalised word (not at a sentence start) right before a number: Joe Dirt 2, Apollo 11,
Fantastic Four."""


@dataclass(frozen=True)
class Mention:
    """One number, date, count or percentage in a claim."""

    start: int
    end: int
    text: str
    kind: str
    """`year`, `percent`, `number`, `word` (a number word), `multiple` (doubled...) or `month`
    (a month name followed by a day or year)."""
    value: float | None


@dataclass(frozen=True)
class Perturbation:
    """A changed claim and what was changed."""

    claim: str
    original: str
    new: str
    rule: str


def _month(mention: Mention) -> int:
    return MONTHS.index(mention.text.capitalize())


def _value(num: str) -> float:
    return float(num.replace(",", ""))


def mentions(text: str) -> list[Mention]:
    """Numbers, years, percentages and number words of a text, in order."""
    found: list[Mention] = []
    for m in NUMBER.finditer(text):
        num, pct = m.group("num"), m.group("pct")
        value = _value(num)
        if pct:
            kind = "percent"
        elif re.fullmatch(r"(1[5-9]|20)\d\d", num):
            kind = "year"
        else:
            kind = "number"
        found.append(Mention(m.start(), m.end(), m.group(0), kind, value))
    for m in WORD.finditer(text):
        word = m.group("word").lower()
        if word.capitalize() in MONTHS:
            # A month only as part of a date ("May 15", "September 1994"): May is also a verb.
            if not re.match(r"\s+\d", text[m.end() :]) or not m.group(0)[0].isupper():
                continue
            kind = "month"
        else:
            kind = "multiple" if word in MULTIPLES else "word"
        found.append(Mention(m.start(), m.end(), m.group(0), kind, WORD_NUMBERS.get(word)))
    return sorted(found, key=lambda x: x.start)


def _excluded(claim: str, mention: Mention) -> bool:
    """A bound, one end of a range, or a number inside a name."""
    before, after = claim[: mention.start], claim[mention.end :]
    if BOUND.search(before) or RANGE_AFTER.match(after) or RANGE_BEFORE.search(before):
        return True
    if re.search(r"\(\s*$", before) and re.match(r"\s+[A-Za-z][^()]*\)", after):
        return True  # a disambiguation, Hush ( 2016 film ): changing it names another entity
    return mention.kind in ("number", "word") and bool(NAME_BEFORE.search(before))


def shared(claim: str, evidence: str) -> list[Mention]:
    """The claim's mentions whose value also occurs in the evidence (and that are not bounds)."""
    in_evidence = mentions(evidence)
    values = {(m.kind == "percent", m.value) for m in in_evidence if m.kind != "multiple"}
    words = {m.text.lower() for m in in_evidence if m.kind in ("multiple", "month")}
    out = []
    for m in mentions(claim):
        if _excluded(claim, m):
            continue
        if m.kind in ("multiple", "month"):
            if m.text.lower() in words:
                out.append(m)
        elif (
            (m.kind == "percent", m.value) in values
            or (m.kind == "word" and (False, m.value) in values)
            or (m.kind == "number" and (False, m.value) in values)
        ):
            out.append(m)
    return out


def _format_like(original: str, value: float) -> str:
    """`value` written as `original` is: same decimals, thousands separators if it had them."""
    decimals = len(original.split(".", 1)[1]) if "." in original else 0
    if "," in original:
        return f"{value:,.{decimals}f}"
    return f"{value:.{decimals}f}"


def _new_value(mention: Mention, rng: random.Random) -> float:
    value = float(mention.value or 0)
    if mention.kind == "year":
        return value + rng.choice([-5, -4, -3, -2, 2, 3, 4, 5])
    if mention.kind == "word":
        return float(rng.choice([v for v in WORD_FOR if abs(v - value) >= 2]))
    if mention.kind == "percent" and value <= 100:
        candidates = [value * f for f in (0.4, 0.5, 0.6, 1.5, 1.7, 2.0)]
        candidates = [c for c in candidates if c <= 100 and abs(c - value) >= 1]
        if not candidates:
            candidates = [max(0.0, value - 20)] if value > 50 else [value + 20]
        return rng.choice(candidates)
    if value < 10 and value.is_integer():
        return float(rng.choice([v for v in range(1, 16) if abs(v - value) >= 2]))
    return value * rng.choice([0.4, 0.5, 0.6, 1.4, 1.7, 2.0])


def perturb(claim: str, mention: Mention, rng: random.Random) -> Perturbation:
    """The claim with `mention` changed to a clearly different value of the same kind."""
    if mention.kind == "month":
        month = rng.choice([x for x in MONTHS if abs(MONTHS.index(x) - _month(mention)) >= 2])
        new, rule = month, "month changed"
    elif mention.kind == "multiple":
        word = MULTIPLES[mention.text.lower()]
        new = word.capitalize() if mention.text[0].isupper() else word
        rule = f"{mention.text.lower()}→{word}"
    elif mention.kind == "word":
        word = WORD_FOR[int(_new_value(mention, rng))]
        new = word.capitalize() if mention.text[0].isupper() else word
        rule = "number word"
    else:
        num_text = NUMBER.match(mention.text)
        assert num_text is not None
        num = num_text.group("num")
        suffix = mention.text[len(num) :]
        new_value = _new_value(mention, rng)
        new_num = _format_like(num, new_value)
        if new_num == num:  # rounding undid the change: step by one unit of the last digit
            new_num = _format_like(
                num, new_value + 10 ** -(len(num.split(".", 1)[1]) if "." in num else 0)
            )
        new = new_num + suffix
        rule = {"year": "year shift", "percent": "percentage scaled"}.get(
            mention.kind, "count scaled" if _value(num) >= 10 else "small count changed"
        )
    text = claim[: mention.start] + new + claim[mention.end :]
    return Perturbation(text, mention.text, new, rule)


def perturb_case(claim: str, evidence: str, rng: random.Random) -> Perturbation | None:
    """Perturb one shared mention (chosen with `rng`) so that the evidence no longer holds the
    new value; None when the claim shares no number with its evidence."""
    candidates = shared(claim, evidence)
    if not candidates:
        return None
    mention = rng.choice(candidates)
    for _ in range(10):
        p = perturb(claim, mention, rng)
        if p.new.lower() not in evidence.lower() and p.new.lower() not in claim.lower():
            return p
    return None
