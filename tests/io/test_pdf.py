"""PDF sources: text per page from a real generated PDF, page numbers carried from the reader
through chunking and the store to citations as "p. N" in show, report.md and report.html; scans,
encrypted and corrupt files are clear errors."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from factcheck.app import store_settings
from factcheck.cli.main import EXIT_OK, app
from factcheck.config import Settings
from factcheck.errors import InputError
from factcheck.io.inputs import Source, read_articles, read_sources
from factcheck.io.pdf import page_at
from factcheck.io.results import BlockWriter, RunResults
from factcheck.models import Citation, Claim, ClaimResult, ClaimType, Evidence, Provenance
from factcheck.reports.html import html_report
from factcheck.reports.markdown import markdown_report
from factcheck.retrieval.store import ReferenceStore
from factcheck.testing.doubles import HashEmbedding
from tests.io.documents import PAGE_TEXTS, make_pdf, make_scanned_pdf


def one_source(path: Path) -> Source:
    (item,) = read_sources([path])
    assert isinstance(item, Source), item
    return item


def page_of_text(snippet: str) -> int:
    """The page of the generated PDF that holds `snippet` (1-based)."""
    words = " ".join(snippet.split())[:40]
    (page,) = [n for n, text in enumerate(PAGE_TEXTS, start=1) if words in text]
    return page


def test_pdf_text_pages_and_metadata(tmp_path: Path) -> None:
    source = one_source(make_pdf(tmp_path / "report.pdf"))
    assert source.page_starts is not None and len(source.page_starts) == 3
    for number, start in enumerate(source.page_starts, start=1):
        following = source.text[start : start + 40]
        assert page_of_text(following) == number
        assert page_at(source.page_starts, start) == number
    assert " ".join(source.text.split()).count("Homicides in Mexico fell 12 percent") == 3
    assert source.title == "Security and economy annual report 2025"
    assert source.author == "Secretariado Ejecutivo"
    assert source.publisher == "Secretariado Ejecutivo"  # /Author only as a last resort
    assert source.published == date(2025, 3, 4)
    assert source.language == "es"
    assert source.path == str(tmp_path / "report.pdf")


def test_sidecar_overrides_pdf_metadata(tmp_path: Path) -> None:
    make_pdf(tmp_path / "report.pdf", title="Microsoft Word - draft_v3.docx", author=None)
    (tmp_path / "report.meta.json").write_text(
        json.dumps({"publisher": "SESNSP", "published": "2025-04-01", "credibility_tier": 1}),
        encoding="utf-8",
    )
    source = one_source(tmp_path / "report.pdf")
    assert source.title is None  # a word-processor file name is not a title
    assert (source.publisher, source.published, source.credibility_tier) == (
        "SESNSP",
        date(2025, 4, 1),
        1,
    )
    assert source.author is None


def test_empty_pages_keep_the_numbering(tmp_path: Path) -> None:
    pages = (PAGE_TEXTS[0], "", PAGE_TEXTS[2])
    source = one_source(make_pdf(tmp_path / "gap.pdf", pages, repeat=1))
    assert source.page_starts is not None
    third = source.text.index("The central bank")
    assert page_at(source.page_starts, third) == 3
    assert page_at(source.page_starts, third - 3) == 1  # the blank line before it: page 1


@pytest.fixture
def store(tmp_path: Path) -> ReferenceStore:
    settings = Settings(chroma_path=tmp_path / "chroma", chunk_size=300, chunk_overlap=0)
    return ReferenceStore.open(store_settings(settings), HashEmbedding())


def test_chunks_know_their_pages_through_the_store(tmp_path: Path, store: ReferenceStore) -> None:
    report = store.ingest(read_sources([make_pdf(tmp_path / "report.pdf")]))
    assert report.sources == 1 and not report.errors and report.chunks_added >= 6
    seen_pages: set[int] = set()
    for query in ("homicides Guanajuato", "prisoners transfer February", "central bank rate"):
        for evidence in store.search(query, k=10, mode="lexical"):
            chunk = evidence.chunk
            assert chunk.page is not None and chunk.page_end is not None
            first, last = page_of_text(chunk.text), page_of_text(chunk.text[-40:])
            assert (chunk.page, chunk.page_end) == (first, last), chunk.text
            seen_pages.add(chunk.page)
    assert seen_pages == {1, 2, 3}


def pdf_result(chunk_evidence: Evidence) -> ClaimResult:
    chunk = chunk_evidence.chunk
    quote = "Mexico sent 29 prisoners to the United States in February 2025"
    assert quote in " ".join(chunk.text.split())
    claim = Claim.make(
        article_id="a1",
        text="Mexico sent 29 prisoners to the US in February 2025.",
        quote="29 prisoners",
        start=0,
        end=12,
        claim_type=ClaimType.EVENT,
        checkworthiness=0.9,
    )
    return ClaimResult(
        id="pdfresult0001",
        claim=claim,
        verdict="SUPPORTED",
        confidence=0.9,
        rationale="The report states it.",
        citations=[Citation.from_chunk(chunk, quote)],
        evidence=[chunk_evidence],
        provenance=Provenance(model="m"),
    )


def test_citations_render_the_page(tmp_path: Path, store: ReferenceStore) -> None:
    store.ingest(read_sources([make_pdf(tmp_path / "report.pdf")]))
    (evidence,) = store.search("prisoners United States February August", k=1, mode="lexical")
    assert evidence.chunk.page == 2
    result = pdf_result(evidence)
    assert result.citations[0].page == 2 and result.citations[0].locator == "p. 2"

    markdown = markdown_report(RunResults(results=[result]))
    assert "— Security and economy annual report 2025, 2025-03-04, p. 2" in markdown
    html = html_report(RunResults(results=[result]))
    assert "<cite>Security and economy annual report 2025</cite>, 2025-03-04, p. 2" in html

    results = tmp_path / "runs" / "r1" / "results.jsonl"
    results.parent.mkdir(parents=True)
    with BlockWriter(results) as writer:
        writer.write_line(result)
    shown = CliRunner().invoke(
        app, ["show", "pdfresult", "--results", str(results)], env={"COLUMNS": "200"}
    )
    assert shown.exit_code == EXIT_OK, shown.output
    assert "Security and economy annual report 2025 · 2025-03-04 · p. 2" in shown.output
    assert "Secretariado Ejecutivo · 2025-03-04 · p. 2" in shown.output  # passage header


def test_a_range_of_pages_reads_pp() -> None:
    assert Citation(chunk_id="c", quote="q", page=14, page_end=15).locator == "pp. 14–15"
    assert Citation(chunk_id="c", quote="q", page=14, page_end=14).locator == "p. 14"
    assert Citation(chunk_id="c", quote="q").locator == ""


def test_scanned_pdf_needs_ocr(tmp_path: Path) -> None:
    make_scanned_pdf(tmp_path / "scan.pdf")
    (tmp_path / "ok.txt").write_text("A good source.", encoding="utf-8")
    items = list(read_sources([tmp_path]))
    assert [type(i) for i in items] == [Source, InputError]
    message = str(items[1])
    assert str(tmp_path / "scan.pdf") in message
    assert "no text layer" in message and "OCR" in message


def test_encrypted_pdf_is_reported_unless_it_opens_without_a_password(tmp_path: Path) -> None:
    make_pdf(tmp_path / "locked.pdf", user_password="s3cret")
    (error,) = read_sources([tmp_path / "locked.pdf"])
    assert isinstance(error, InputError)
    assert "locked.pdf" in str(error) and "password" in str(error) and "decrypt" in str(error)
    make_pdf(tmp_path / "restricted.pdf", user_password="")  # owner restrictions only
    assert one_source(tmp_path / "restricted.pdf").page_starts is not None


def test_corrupt_pdf_is_reported(tmp_path: Path) -> None:
    good = make_pdf(tmp_path / "good.pdf").read_bytes()
    (tmp_path / "cut.pdf").write_bytes(good[: len(good) // 3])
    (tmp_path / "junk.pdf").write_bytes(b"this is not a PDF at all\n" * 20)
    errors = list(read_sources([tmp_path / "cut.pdf", tmp_path / "junk.pdf"]))
    assert all(isinstance(e, InputError) for e in errors), errors
    for error, name in zip(errors, ("cut.pdf", "junk.pdf"), strict=True):
        assert name in str(error) and "PDF" in str(error)


def test_pdf_article(tmp_path: Path) -> None:
    (article,) = read_articles([make_pdf(tmp_path / "story.pdf")])
    assert not isinstance(article, InputError)
    assert article.title == "Security and economy annual report 2025"
    assert article.author == "Secretariado Ejecutivo"
    assert "central bank cut" in article.text
