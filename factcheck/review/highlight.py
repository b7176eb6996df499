"""Text pieces for the claim page: the claim in its article, cited words in evidence passages,
(links go through `reports.html_parts.safe_url`: absolute http/https only). Templates escape
every piece."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from factcheck.models import Citation, SourceChunk
from factcheck.reports.html_parts import safe_url

CONTEXT_CHARS = 400


@dataclass(frozen=True)
class Piece:
    """A run of text, highlighted or not."""

    text: str
    marked: bool = False


def http_url(url: str | None) -> str | None:
    """`safe_url`, also refusing quote, angle-bracket, backtick and backslash characters (the
    desk puts URLs in attributes of its own templates)."""
    safe = safe_url(url)
    return safe if safe and not any(ch in "<>\"'`\\" for ch in safe) else None


def in_context(text: str, start: int, end: int, chars: int = CONTEXT_CHARS) -> list[Piece] | None:
    """The span `text[start:end]` marked, with up to `chars` characters either side; None when
    the offsets do not fit the text."""
    if not 0 <= start <= end <= len(text):
        return None
    lo, hi = max(0, start - chars), min(len(text), end + chars)
    pieces = [
        Piece(("…" if lo else "") + text[lo:start]),
        Piece(text[start:end], marked=True),
        Piece(text[end:hi] + ("…" if hi < len(text) else "")),
    ]
    return [p for p in pieces if p.text]


def _spans(text: str, quotes: Iterable[str]) -> list[tuple[int, int]]:
    spans = []
    lower = text.lower()
    for quote in quotes:
        quote = quote.strip()
        if not quote:
            continue
        at = text.find(quote)
        if at < 0:
            at = lower.find(quote.lower())
        if at >= 0:
            spans.append((at, at + len(quote)))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def cited(chunk: SourceChunk, citations: Iterable[Citation]) -> list[Piece]:
    """The passage's text with the words cited from it marked."""
    text = chunk.text
    spans = _spans(text, (c.quote for c in citations if c.chunk_id == chunk.id))
    pieces, at = [], 0
    for start, end in spans:
        if start > at:
            pieces.append(Piece(text[at:start]))
        pieces.append(Piece(text[start:end], marked=True))
        at = end
    if at < len(text):
        pieces.append(Piece(text[at:]))
    return pieces
