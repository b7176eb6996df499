"""Hand-built results (no LLM) for report tests: hostile text everywhere, overlapping claims,
plus an HTML parser that reads back highlights and checks for injected markup."""

from __future__ import annotations

from datetime import UTC, date, datetime
from html.parser import HTMLParser
from pathlib import Path

from factcheck.io.results import BlockWriter
from factcheck.models import (
    ArticleRecord,
    Citation,
    Claim,
    ClaimResult,
    ClaimType,
    ErrorRecord,
    Evidence,
    Provenance,
    RejectedCitation,
    RunHeader,
    RunSummary,
    SourceChunk,
    Usage,
    Verdict,
)

SCRIPT = "<script>document.title='pwned'</script>"
IMG = "<img src=x onerror=\"document.title='pwned'\">"
TITLE = "Fact-check report"

HOSTILE_TEXT = (
    "Officials said 37 prisoners were sent to the US on 20 January.\r\n"
    f"{SCRIPT} The mayor claimed {IMG} crime fell 12% in 2025.\n"
    "Exports rose 5% while imports fell 3%, the ministry said & \"quoted\" 'it'."
)
CALM_TEXT = "The USMCA joint review is due on 1 July 2026, the trade office said."


def _span(text: str, quote: str) -> tuple[int, int]:
    start = text.index(quote)
    return start, start + len(quote)


def claim(article: str, text: str, quote: str, *, speaker: str | None = None) -> Claim:
    """A claim anchored at the first occurrence of `quote` in the article text."""
    source = HOSTILE_TEXT if article == "hostile" else CALM_TEXT
    start, end = _span(source, quote)
    return Claim.make(
        article_id=article,
        text=text,
        quote=quote,
        start=start,
        end=end,
        speaker=speaker,
        claim_type=ClaimType.STATISTIC,
        checkworthiness=0.9,
        claim_date=date(2026, 1, 29),
    )


PROVENANCE = Provenance(
    model="hand-written-test",
    model_params={"temperature": 0.0},
    prompt_hashes={"extract": "ex123", "verify": "ve456"},
    embedder="minilm",
    collection="references",
    collection_fingerprint="fp-0123abcd",
    usage=Usage(calls=1, prompt_tokens=100, completion_tokens=20),
    created_at=datetime(2026, 1, 30, 12, 0, tzinfo=UTC),
)

CHUNK = SourceChunk(
    id="chunk-1",
    source_id="src-1",
    text=f"Reference passage {SCRIPT} with {IMG} inside.",
    start=0,
    end=40,
    title=f"Ministry note {IMG}",
    url="javascript:document.title='pwned'",
    published=date(2026, 1, 12),
)


def result(c: Claim, verdict: Verdict, rationale: str, citations: list[Citation]) -> ClaimResult:
    """A result with fixed provenance and one evidence passage."""
    return ClaimResult(
        id=f"r-{c.id}",
        claim=c,
        verdict=verdict,
        confidence=0.8,
        rationale=rationale,
        citations=citations,
        rejected_citations=[RejectedCitation(evidence_number=9, quote=SCRIPT, reason=IMG)],
        evidence=[Evidence(number=1, chunk=CHUNK, score=0.03, dense_rank=1)],
        provenance=PROVENANCE,
    )


HOSTILE_CITATIONS = [
    Citation(
        chunk_id="chunk-1",
        quote=f"quoted {SCRIPT} and {IMG}",
        source_title=f"Source {IMG}",
        source_url="javascript:document.title='pwned'",
        published=date(2026, 1, 12),
    ),
    Citation(
        chunk_id="chunk-2",
        quote="Exports rose 5%",
        source_title="Trade bulletin",
        source_url='https://example.org/trade?a=1&b="><script>alert(1)</script>',
        published=None,
    ),
]

CLAIMS = {
    "outer": claim(
        "hostile",
        "Mexico sent 37 prisoners to the US on 20 January 2026.",
        "Officials said 37 prisoners were sent to the US on 20 January.",
        speaker="Mexican officials",
    ),
    "nested": claim("hostile", "37 prisoners were sent.", "37 prisoners were sent"),
    "injected": claim(
        "hostile",
        f"The mayor {SCRIPT} said crime fell 12% in 2025 {IMG}.",
        f"The mayor claimed {IMG} crime fell 12% in 2025.",
        speaker=f"Mayor {IMG}",
    ),
    "cross_a": claim("hostile", "Exports rose 5% in 2025.", "Exports rose 5% while imports"),
    "cross_b": claim("hostile", "Imports fell 3% in 2025.", "imports fell 3%, the ministry"),
    "calm": claim(
        "calm",
        "The USMCA joint review is due on 1 July 2026.",
        "The USMCA joint review is due on 1 July 2026",
        speaker="the trade office",
    ),
}

VERDICT_OF = {
    "outer": Verdict.SUPPORTED,
    "nested": Verdict.CONFLICTING,
    "injected": Verdict.REFUTED,
    "cross_a": Verdict.NOT_ENOUGH_EVIDENCE,
    "cross_b": Verdict.SUPPORTED,
    "calm": Verdict.SUPPORTED,
}


def lines() -> list[RunHeader | ArticleRecord | ClaimResult | ErrorRecord | RunSummary]:
    """A whole results file: header, articles, results, an error and a summary."""
    header = RunHeader(
        run_id="20260130T120000Z",
        started_at=datetime(2026, 1, 30, 12, 0, tzinfo=UTC),
        factcheck_version="0.1.0",
        config={"model_display": "hand-written-test", "embedder": "minilm"},
        prompt_hashes={"extract": "ex123", "verify": "ve456"},
    )
    articles = [
        ArticleRecord(
            id="hostile",
            title=f"Headline </title>{SCRIPT}",
            url="https://news.example.org/story?id=1&x=<b>",
            published=date(2026, 1, 29),
            publisher=f"Daily {IMG}",
            text=HOSTILE_TEXT,
        ),
        ArticleRecord(id="calm", title="Trade review", publisher="Trade Daily", text=CALM_TEXT),
    ]
    results = [
        result(
            c,
            VERDICT_OF[key],
            f"Rationale for {key}: {SCRIPT} {IMG}",
            HOSTILE_CITATIONS if key != "calm" else [],
        )
        for key, c in CLAIMS.items()
    ]
    error = ErrorRecord(
        item_id="calm-2",
        stage="verify",
        error="ValueError",
        message=f"model said {SCRIPT}",
        article_id="calm",
    )
    summary = RunSummary(
        run_id=header.run_id,
        finished_at=datetime(2026, 1, 30, 12, 5, tzinfo=UTC),
        articles=2,
        claims=7,
        results=6,
        errors=1,
        usage=Usage(calls=8, prompt_tokens=800, completion_tokens=160),
        wall_seconds=12.5,
    )
    return [header, *articles, *results, error, summary]


def write_results(path: Path) -> Path:
    """Write the hand-built results file and return its path."""
    with BlockWriter(path) as writer:
        for line in lines():
            writer.write_line(line)
    return path


class DomProbe(HTMLParser):
    """Reads back a rendered report: mark text per claim, article text, tags and attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.mark_text: dict[str, str] = {}
        self.mark_classes: dict[str, set[str]] = {}
        self.numbers: dict[str, list[str]] = {}
        self.article_texts: list[str] = []
        self.title = ""
        self._marks: list[str] = []
        self._in_article = False
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag == "mark" and a.get("data-claim"):
            key = a["data-claim"] or ""
            self._marks.append(key)
            self.mark_text.setdefault(key, "")
            self.mark_classes.setdefault(key, set()).update((a.get("class") or "").split())
            if a.get("data-n"):
                self.numbers.setdefault(key, []).append(a["data-n"] or "")
        elif tag == "div" and "article-text" in (a.get("class") or ""):
            self._in_article = True
            self.article_texts.append("")
        elif tag == "title" and not self.title:
            self._in_title = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "mark" and self._marks:
            self._marks.pop()
        elif tag == "div":
            self._in_article = False
        elif tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        for key in self._marks:
            self.mark_text[key] += data
        if self._in_article:
            self.article_texts[-1] += data
        if self._in_title:
            self.title += data


def probe(document: str) -> DomProbe:
    """Parse a document with `DomProbe`."""
    parser = DomProbe()
    parser.feed(document)
    parser.close()
    return parser
