"""Character-offset text utilities: sentence spans and locating quotes in a text.

Quotes from a model rarely match byte for byte (curly vs straight quotes, spacing, case), so
matching is done on a normalised copy with a map back to the original offsets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

_QUOTE_MAP = str.maketrans(
    {
        "“": '"',
        "”": '"',
        "„": '"',
        "«": '"',
        "»": '"',
        "‘": "'",
        "’": "'",
        "‚": "'",
        "–": "-",
        "—": "-",
        "\u00a0": " ",
    }
)
# A sentence ends at . ! ? (optionally followed by closing quotes/brackets) before whitespace,
# or at a line break. Abbreviations such as "U.S." and "Jan." are kept whole below.
_BOUNDARY = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+|\n+")
_ABBREVIATION = re.compile(
    r"(?:\b(?:[A-Z]\.){1,3}|\b(?:Mr|Mrs|Ms|Dr|Prof|St|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|"
    r"Nov|Dec|No|Gen|Gov|Sen|Rep|vs|etc|Inc|Ltd|Co|Corp)\.)$"
)


@dataclass(frozen=True)
class Span:
    """A half-open character range `[start, end)` of some text."""

    start: int
    end: int

    def of(self, text: str) -> str:
        """The spanned substring of `text`."""
        return text[self.start : self.end]


def split_sentences(text: str) -> list[Span]:
    """Sentence spans of `text`, stripped of surrounding whitespace, covering all non-space text."""
    spans: list[Span] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        boundary = match.group()
        if "\n" not in boundary and _ABBREVIATION.search(text[start : match.start()]):
            continue
        end = match.start() + len(boundary.rstrip())
        spans.extend(_strip(text, start, end))
        start = match.end()
    spans.extend(_strip(text, start, len(text)))
    return spans


def _strip(text: str, start: int, end: int) -> list[Span]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return [Span(start, end)] if end > start else []


def normalize_with_map(text: str) -> tuple[str, list[int]]:
    """Normalised text (unified quotes/dashes, casefolded, single spaces) and, for each of its
    characters, the offset of the original character it came from."""
    out: list[str] = []
    index: list[int] = []
    previous_space = True
    for i, ch in enumerate(text.translate(_QUOTE_MAP)):
        if ch.isspace():
            if previous_space:
                continue
            out.append(" ")
            index.append(i)
            previous_space = True
            continue
        for folded in ch.casefold():
            out.append(folded)
            index.append(i)
        previous_space = False
    if out and out[-1] == " ":
        out.pop()
        index.pop()
    return "".join(out), index


def normalize(text: str) -> str:
    """The normalised form used for matching (see `normalize_with_map`)."""
    return normalize_with_map(text)[0]


def find_quote(text: str, quote: str, start: int = 0, end: int | None = None) -> Span | None:
    """Locate `quote` in `text[start:end]`: exactly, else after normalisation. None if absent."""
    end = len(text) if end is None else end
    quote = quote.strip()
    if not quote:
        return None
    exact = text.find(quote, start, end)
    if exact >= 0:
        return Span(exact, exact + len(quote))
    haystack, index = normalize_with_map(text[start:end])
    # Models wrap quotes in quotation marks and drop or add final punctuation: try the quote
    # without surrounding quote marks, then also without trailing punctuation.
    unquoted = quote.strip(" \"'“”‘’«»")
    for candidate in (unquoted, unquoted.rstrip(".,;:!?")):
        needle = normalize(candidate)
        found = haystack.find(needle) if needle else -1
        if found >= 0:
            return Span(start + index[found], start + index[found + len(needle) - 1] + 1)
    return None


def contains_quote(text: str, quote: str) -> bool:
    """Whether `quote` occurs in `text` up to case, whitespace and quote-mark differences."""
    return find_quote(text, quote) is not None


def closest_sentence(
    text: str, quote: str, sentences: list[Span], min_ratio: float = 0.85
) -> Span | None:
    """The sentence most similar to `quote` (difflib ratio on normalised text) if it reaches
    `min_ratio`, or the one sentence that contains most of the quote's words; else None."""
    target = normalize(quote)
    if not target:
        return None
    best, best_ratio = None, 0.0
    for span in sentences:
        candidate = normalize(span.of(text))
        ratio = SequenceMatcher(None, target, candidate, autojunk=False).ratio()
        if ratio > best_ratio:
            best, best_ratio = span, ratio
    return best if best_ratio >= min_ratio else None


_DATA_TAG = re.compile(r"</?\s*(passage|context|claim|evidence)\b[^>]*>", re.I)


def neutralize_tags(text: str) -> str:
    """Defang the prompt's own delimiter tags inside data, so article or source text cannot
    close its section and pose as instructions."""
    return _DATA_TAG.sub(lambda m: m.group().replace("<", "‹").replace(">", "›"), text)


_WORDS = re.compile(r"\w+")


def words(text: str) -> list[str]:
    """The normalised word tokens of `text` (punctuation dropped)."""
    return _WORDS.findall(normalize(text))
