"""HTML building blocks for the report: escaping, safe links, claim highlights at character
offsets (overlaps nest deterministically) and an inline SVG verdict chart."""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from factcheck.models import ClaimResult, SentenceRecord

VERDICTS = ("SUPPORTED", "REFUTED", "CONFLICTING", "NOT_ENOUGH_EVIDENCE")
LABELS = {
    "SUPPORTED": "Supported",
    "REFUTED": "Refuted",
    "CONFLICTING": "Conflicting",
    "NOT_ENOUGH_EVIDENCE": "Not enough evidence",
    "ERROR": "Error",
}
CSS_CLASS = {
    "SUPPORTED": "v-supported",
    "REFUTED": "v-refuted",
    "CONFLICTING": "v-conflicting",
    "NOT_ENOUGH_EVIDENCE": "v-nee",
    "ERROR": "v-error",
}
BAR_COLOUR = {
    "SUPPORTED": "#2da44e",
    "REFUTED": "#cf222e",
    "CONFLICTING": "#bf8700",
    "NOT_ENOUGH_EVIDENCE": "#8c959f",
    "ERROR": "#24292f",
}


def esc(value: object) -> str:
    """Escape any value for HTML text or a quoted attribute; carriage returns survive parsing."""
    text = "" if value is None else str(value)
    return html.escape(text, quote=True).replace("\r", "&#13;")


def safe_url(url: str | None) -> str | None:
    """The URL if it is an absolute http(s) URL, else None (never link anything else)."""
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in {"http", "https"} or not parts.netloc:
        return None
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        return None
    return url


def link(url: str | None, text: str | None = None) -> str:
    """An escaped external link, or the escaped URL as plain text when it is not http(s)."""
    href = safe_url(url)
    if href is None:
        return f'<span class="muted">{esc(url)}</span>' if url else ""
    return (
        f'<a href="{esc(href)}" rel="noopener noreferrer" target="_blank" '
        f'referrerpolicy="no-referrer">{esc(text or href)}</a>'
    )


# --- highlights --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Highlight:
    """A span of article text to mark: [start, end) with its claim number, key and verdict."""

    start: int
    end: int
    number: int
    key: str
    verdict: str
    title: str = ""


def _open_tag(span: Highlight, last: bool) -> str:
    classes = f"claim {CSS_CLASS.get(span.verdict, 'v-nee')}" + (" last" if last else "")
    number = f' data-n="{span.number}"' if last else ""
    return (
        f'<mark class="{classes}" data-claim="{esc(span.key)}" '
        f'data-verdict="{esc(span.verdict)}" title="{esc(span.title)}"{number}>'
    )


def highlight(text: str, spans: Iterable[Highlight]) -> str:
    """`text`, escaped, with each valid span wrapped in `<mark>` elements.

    Nested spans nest. A span that crosses the end of an enclosing one is split into fragments
    (the enclosing span is closed, the crossing one reopened), so every claim's fragments, read
    in order, spell exactly `text[start:end]`. Spans open longest-first at equal starts, ties by
    claim number, so the markup is deterministic. The last fragment of each claim carries its
    number (`data-n`, shown by CSS). Empty or out-of-range spans are skipped.
    """
    valid = sorted(
        (s for s in spans if 0 <= s.start < s.end <= len(text)),
        key=lambda s: (s.start, -s.end, s.number),
    )
    starting: dict[int, list[Highlight]] = {}
    for span in valid:
        starting.setdefault(span.start, []).append(span)
    bounds = sorted({0, len(text)} | {s.start for s in valid} | {s.end for s in valid})
    parts: list[str] = []
    stack: list[Highlight] = []
    opened: dict[int, int] = {}  # claim number → index in parts of its latest open tag

    def open_(span: Highlight) -> None:
        opened[span.number] = len(parts)
        parts.append(_open_tag(span, last=False))
        stack.append(span)

    for i, pos in enumerate(bounds):
        ending = [depth for depth, s in enumerate(stack) if s.end == pos]
        if ending:
            reopen = [s for s in stack[ending[0] :] if s.end != pos]
            for span in reversed(stack[ending[0] :]):
                parts.append("</mark>")
                if span.end == pos:
                    parts[opened[span.number]] = _open_tag(span, last=True)
            del stack[ending[0] :]
            for span in reopen:
                open_(span)
        for span in starting.get(pos, []):
            open_(span)
        if i + 1 < len(bounds):
            parts.append(esc(text[pos : bounds[i + 1]]))
    return "".join(parts)


STATUS_TEXT = {
    "checked": "Checked: turned into claims (coloured by verdict)",
    "below_threshold": "Not checked: check-worthiness below the threshold",
    "not_factual": "Not checked: not a factual statement",
}


def _sentence_title(sentence: SentenceRecord) -> str:
    title = STATUS_TEXT[sentence.status]
    if sentence.score is not None:
        title += f" (score {sentence.score:.2f})"
    if sentence.reasons:
        title += ": " + ", ".join(sentence.reasons)
    return title


def coverage(text: str, sentences: Iterable[SentenceRecord], spans: Iterable[Highlight]) -> str:
    """`highlight(text, spans)` with each scored sentence wrapped in a
    `<span class="sentence s-<status>">` that says what extraction did with it (checked, below
    the threshold with its score, not a factual statement). A sentence that a claim's span
    crosses is left unwrapped, so claim marks are never split by sentence markup."""
    spans = [s for s in spans if 0 <= s.start < s.end <= len(text)]
    wrapped: list[SentenceRecord] = []
    position = 0
    for sentence in sorted(sentences, key=lambda s: (s.start, s.end)):
        if not position <= sentence.start < sentence.end <= len(text):
            continue
        crossed = any(
            h.start < sentence.end
            and sentence.start < h.end
            and not (sentence.start <= h.start and h.end <= sentence.end)
            for h in spans
        )
        if not crossed:
            wrapped.append(sentence)
            position = sentence.end

    def region(start: int, end: int) -> str:
        inside = [
            Highlight(h.start - start, h.end - start, h.number, h.key, h.verdict, h.title)
            for h in spans
            if start <= h.start and h.end <= end
        ]
        return highlight(text[start:end], inside)

    parts, position = [], 0
    for sentence in wrapped:
        parts.append(region(position, sentence.start))
        score = "" if sentence.score is None else f' data-score="{sentence.score:.2f}"'
        parts.append(
            f'<span class="sentence s-{sentence.status}" data-status="{sentence.status}"'
            f'{score} title="{esc(_sentence_title(sentence))}">'
            f"{region(sentence.start, sentence.end)}</span>"
        )
        position = sentence.end
    parts.append(region(position, len(text)))
    return "".join(parts)


def locate(text: str, result: ClaimResult) -> tuple[int, int] | None:
    """The claim's offsets if they are in range and spell its quote exactly, else None."""
    c = result.claim
    if 0 <= c.start < c.end <= len(text) and text[c.start : c.end] == c.quote:
        return c.start, c.end
    return None


# --- chart -------------------------------------------------------------------------------------


def verdict_chart(rows: Sequence[tuple[str, Counter[str]]]) -> str:
    """Inline SVG of stacked horizontal bars: verdict (and error) counts per row."""
    label_w, bar_w, row_h, count_w = 260, 560, 28, 80
    width, height = label_w + bar_w + count_w, row_h * len(rows) + 8
    keys = [*VERDICTS, "ERROR"]
    summary = "; ".join(
        f"{name}: " + ", ".join(f"{counts[k]} {LABELS[k].lower()}" for k in keys if counts[k])
        for name, counts in rows
    )
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img">'
        f"<title>{esc(summary)}</title>"
    ]
    for i, (name, counts) in enumerate(rows):
        y = 4 + i * row_h
        shown = name if len(name) <= 32 else name[:31] + "…"
        out.append(
            f'<text x="{label_w - 8}" y="{y + 18}" text-anchor="end" font-size="13" '
            f'fill="#1f2328">{esc(shown)}</text>'
        )
        total = sum(counts[k] for k in keys)
        out.append(
            f'<rect x="{label_w}" y="{y + 3}" width="{bar_w}" height="{row_h - 8}" '
            'fill="#f6f8fa" stroke="#d0d7de"/>'
        )
        x = float(label_w)
        for key in keys:
            if not counts[key]:
                continue
            w = bar_w * counts[key] / total
            out.append(
                f'<rect class="bar {CSS_CLASS[key]}" x="{x:.1f}" y="{y + 3}" width="{w:.1f}" '
                f'height="{row_h - 8}" fill="{BAR_COLOUR[key]}">'
                f"<title>{esc(LABELS[key])}: {counts[key]}</title></rect>"
            )
            if w >= 20:
                out.append(
                    f'<text x="{x + w / 2:.1f}" y="{y + 18}" text-anchor="middle" '
                    f'font-size="12" fill="#fff">{counts[key]}</text>'
                )
            x += w
        note = f"{total} claims" if total != 1 else "1 claim"
        out.append(
            f'<text x="{label_w + bar_w + 8}" y="{y + 18}" font-size="12" '
            f'fill="#59636e">{note}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def legend() -> str:
    """An HTML legend of the chart colours."""
    items = "".join(
        f'<span><i class="sw" style="background:{BAR_COLOUR[k]}"></i>{LABELS[k]}</span>'
        for k in [*VERDICTS, "ERROR"]
    )
    return f'<p class="legend">{items}</p>'
