"""Text pieces of the claim page: context around a span, cited words, safe links."""

from __future__ import annotations

import pytest

from factcheck.models import Citation, SourceChunk
from factcheck.review.highlight import Piece, cited, http_url, in_context

CHUNK = SourceChunk(
    id="c1", source_id="s", text="Exports rose 5% while imports fell 3%.", start=0, end=38
)


def test_in_context_marks_the_span_with_ellipses() -> None:
    text = "a" * 10 + "QUOTE" + "b" * 10
    assert in_context(text, 10, 15, chars=4) == [
        Piece("…aaaa"),
        Piece("QUOTE", marked=True),
        Piece("bbbb…"),
    ]
    assert in_context(text, 0, 5) == [Piece("aaaaa", marked=True), Piece(text[5:])]
    assert in_context(text, 20, 99) is None


def test_cited_marks_each_quote_and_merges_overlaps() -> None:
    citations = [
        Citation(chunk_id="c1", quote="rose 5%"),
        Citation(chunk_id="c1", quote="5% while"),
        Citation(chunk_id="c1", quote="IMPORTS FELL"),  # case differs: still found
        Citation(chunk_id="other", quote="Exports"),
        Citation(chunk_id="c1", quote="not in the passage"),
    ]
    assert cited(CHUNK, citations) == [
        Piece("Exports "),
        Piece("rose 5% while", marked=True),
        Piece(" "),
        Piece("imports fell", marked=True),
        Piece(" 3%."),
    ]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.org/a?b=1", "https://example.org/a?b=1"),
        (" http://example.org ", "http://example.org"),
        ("javascript:alert(1)", None),
        ("JaVaScRiPt:alert(1)", None),
        ("data:text/html,<script>", None),
        ("//evil.example/x", None),
        ('https://example.org/"><script>', None),
        ("https://exa mple.org", None),
        ("", None),
        (None, None),
    ],
)
def test_only_absolute_http_urls_are_links(url: str | None, expected: str | None) -> None:
    assert http_url(url) == expected
