"""URLs fetched from a real HTTP server on 127.0.0.1: pages, PDFs and text are read like files,
with the final URL and the time of retrieval; every failure (404, 500, redirect loop, size cap,
wrong content type, timeout, refused connection) is one error naming the URL and the fix, and
the rest of the batch goes on."""

from __future__ import annotations

import socket
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from factcheck.errors import InputError
from factcheck.io.fetch import FetchSettings, fetch, is_url, make_client
from factcheck.io.inputs import Source, read_articles, read_sources
from factcheck.models import Article
from factcheck.retrieval.chunking import source_metadata

LIMITS = FetchSettings(connect_timeout=2.0, timeout=1.0, max_bytes=1_000_000, max_redirects=3)


def split(items: list) -> tuple[list, list[InputError]]:
    return [i for i in items if not isinstance(i, InputError)], [
        i for i in items if isinstance(i, InputError)
    ]


def test_one_bad_url_never_stops_the_rest(web_server: str) -> None:
    base = web_server
    urls = [
        f"{base}/missing",
        f"{base}/moved",
        f"{base}/broken",
        f"{base}/loop-a",
        f"{base}/huge-declared",
        f"{base}/huge-streamed",
        f"{base}/logo.png",
        f"{base}/report.pdf",
        f"{base}/slow",
        f"{base}/notes.txt",
    ]
    items = list(read_sources(urls, fetch=LIMITS))
    assert len(items) == len(urls)
    errors = {
        url: str(item)
        for url, item in zip(urls, items, strict=True)
        if isinstance(item, InputError)
    }
    assert set(errors) == {
        f"{base}/missing",
        f"{base}/broken",
        f"{base}/loop-a",
        f"{base}/huge-declared",
        f"{base}/huge-streamed",
        f"{base}/logo.png",
        f"{base}/slow",
    }
    for url, message in errors.items():
        assert message.startswith(url), message  # every error names its URL
    assert "HTTP 404" in errors[f"{base}/missing"] and "check the URL" in errors[f"{base}/missing"]
    assert "HTTP 500" in errors[f"{base}/broken"] and "try again later" in errors[f"{base}/broken"]
    loop = errors[f"{base}/loop-a"]
    assert "more than 3 redirects" in loop and "FACTCHECK_FETCH_MAX_REDIRECTS" in loop
    for huge in ("huge-declared", "huge-streamed"):
        message = errors[f"{base}/{huge}"]
        assert "1,000,000-byte cap" in message and "FACTCHECK_FETCH_MAX_BYTES" in message
    assert "'image/png'" in errors[f"{base}/logo.png"]
    assert "FACTCHECK_FETCH_TIMEOUT" in errors[f"{base}/slow"]


def test_a_redirect_that_resolves_records_the_final_url_and_time(web_server: str) -> None:
    before = datetime.now(UTC) - timedelta(seconds=1)
    (source,) = read_sources([f"{web_server}/moved"], fetch=LIMITS)
    assert isinstance(source, Source), source
    assert source.url == f"{web_server}/news?from=moved"  # final URL, not the canonical link
    assert source.retrieved is not None and before <= source.retrieved <= datetime.now(UTC)
    assert source.title == "Mexico sends 37 more cartel prisoners to the US"
    assert source.author == "Lucía Ramírez" and source.publisher == "Valley Ledger"
    assert source.published == date(2026, 1, 21) and source.language == "en"
    assert "jorge_77" not in source.text and "Mexico sent 37 alleged" in source.text
    meta = source_metadata(source)
    assert meta["retrieved"] == source.retrieved.isoformat()
    assert meta["url"] == source.url and meta["author"] == "Lucía Ramírez"
    assert meta["language"] == "en"


def test_pdf_and_text_urls_are_read_by_their_content_type(web_server: str) -> None:
    pdf, text = read_sources([f"{web_server}/report.pdf", f"{web_server}/notes.txt"])
    assert isinstance(pdf, Source) and isinstance(text, Source), (pdf, text)
    assert pdf.page_starts is not None and len(pdf.page_starts) == 3
    assert pdf.title == "Security and economy annual report 2025"
    assert pdf.url == f"{web_server}/report.pdf" and pdf.retrieved is not None
    assert text.text == "Exports rose 4% in March."


def test_urls_file(web_server: str, tmp_path: Path) -> None:
    listing = tmp_path / "reading-list.urls"
    listing.write_text(
        f"# sources for the prisoner story\n\n{web_server}/news\nnot a url\n"
        f"  {web_server}/missing  \n{web_server}/report.pdf\n",
        encoding="utf-8",
    )
    good, errors = split(list(read_sources([listing], fetch=LIMITS)))
    assert [s.url for s in good] == [f"{web_server}/news", f"{web_server}/report.pdf"]
    first, second = (str(e) for e in errors)
    assert first.startswith(f"{listing}:4") and "not an http(s) URL" in first
    assert first.endswith("lines starting with # are skipped)")
    assert second.startswith(f"{listing}:5") and f"{web_server}/missing" in second
    assert "HTTP 404" in second


def test_article_urls(web_server: str) -> None:
    (article,) = read_articles([f"{web_server}/news"], fetch=LIMITS)
    assert isinstance(article, Article), article
    assert article.url == f"{web_server}/news" and article.retrieved is not None
    assert article.author == "Lucía Ramírez" and article.title
    assert article.text.startswith("Mexico sends 37 more cartel prisoners to the US\n\n")


def test_refused_connection_and_other_schemes() -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/story"
    (error,) = read_sources([url], fetch=LIMITS)
    assert isinstance(error, InputError)
    assert str(error).startswith(url) and "cannot fetch" in str(error)
    with make_client(LIMITS) as client:
        refused = fetch("ftp://example.org/file.html", LIMITS, client)
    assert isinstance(refused, InputError) and "only http and https" in str(refused)
    assert is_url("https://example.org") and is_url("HTTP://example.org/x")
    assert not is_url("ftp://example.org") and not is_url("story.html")


def test_reading_stops_at_the_cap(web_server: str) -> None:
    cap = 10_000
    limits = FetchSettings(max_bytes=cap, timeout=5.0)
    with make_client(limits) as client:
        got = fetch(f"{web_server}/huge-streamed", limits, client)
        ok = fetch(f"{web_server}/notes.txt", limits, client)
    assert isinstance(got, InputError) and f"over {cap:,} bytes" in str(got)
    assert not isinstance(ok, InputError) and ok.body == b"Exports rose 4% in March."
