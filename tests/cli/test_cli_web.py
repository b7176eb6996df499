"""`factcheck ingest` and `factcheck run` on PDFs and URLs, end to end: a generated PDF and
pages from a real HTTP server on 127.0.0.1, the fake model and the offline embedder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from factcheck.app import open_store
from factcheck.cli.main import EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, app
from factcheck.config import load_settings
from factcheck.io.results import read_results
from tests.io.documents import make_pdf, make_scanned_pdf
from tests.io.web_server import serve


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    values = {
        "FACTCHECK_LLM_BACKEND": "fake",
        "FACTCHECK_CHROMA_PATH": str(tmp_path / "chroma"),
        "FACTCHECK_OUTPUT_DIR": str(tmp_path / "runs"),
        "FACTCHECK_FETCH_TIMEOUT": "2",
        "FACTCHECK_FETCH_MAX_BYTES": "500000",
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)
    with serve(tmp_path) as base:
        yield base


def invoke(*args: str):
    return CliRunner().invoke(app, list(args))


def test_ingest_a_pdf_urls_and_a_urls_file(env: str, tmp_path: Path) -> None:
    base = env
    pdf = make_pdf(tmp_path / "annual-report.pdf")
    scan = make_scanned_pdf(tmp_path / "scan.pdf")
    listing = tmp_path / "more.urls"
    listing.write_text(f"# one good, one too big\n{base}/notes.txt\n{base}/huge-streamed\n")
    result = invoke("ingest", str(pdf), str(scan), f"{base}/moved", f"{base}/missing", str(listing))
    assert result.exit_code == EXIT_PARTIAL, result.output
    assert "Ingested 3 sources" in result.output
    output = " ".join(result.output.split())
    assert f"{scan}: PDF has no text layer" in output and "OCR" in output
    assert f"{base}/missing: HTTP 404" in output
    assert f"{base}/huge-streamed" in output and "FACTCHECK_FETCH_MAX_BYTES" in output
    assert "500,000-byte cap" in output  # the setting reached the fetcher

    store = open_store(load_settings())
    (passage,) = store.search("prisoners United States February August", k=1, mode="lexical")
    assert passage.chunk.title == "Security and economy annual report 2025"
    assert (passage.chunk.page, passage.chunk.locator) == (2, "p. 2")
    (web,) = store.search("Harfuch extradition Supreme Court", k=1, mode="lexical")
    assert web.chunk.url == f"{base}/news?from=moved" and web.chunk.publisher == "Valley Ledger"
    got = store.client.get_collection(store.collection_name).get(
        ids=[web.chunk.id], include=["metadatas"]
    )
    meta = got["metadatas"][0]
    assert meta["author"] == "Lucía Ramírez" and meta["language"] == "en"
    assert str(meta["retrieved"]).startswith("20")

    again = invoke("ingest", str(pdf))
    assert again.exit_code == EXIT_OK and "0 new chunks" in again.output


def test_run_an_article_url_and_resume(env: str, tmp_path: Path) -> None:
    base = env
    assert invoke("ingest", str(make_pdf(tmp_path / "report.pdf"))).exit_code == EXIT_OK
    run_dir = tmp_path / "run-web"
    result = invoke("run", f"{base}/moved", f"{base}/logo.png", "--out", str(run_dir))
    assert result.exit_code == EXIT_PARTIAL, result.output
    run = read_results(run_dir / "results.jsonl")
    (article,) = run.articles.values()
    assert article.url == f"{base}/news?from=moved" and article.retrieved is not None
    assert article.author == "Lucía Ramírez" and "jorge_77" not in article.text
    (error,) = run.errors
    assert error.stage == "input" and f"{base}/logo.png" in error.message
    assert "'image/png'" in error.message
    assert run.header is not None
    assert run.header.config["inputs"] == [f"{base}/moved", f"{base}/logo.png"]
    resumed = invoke("run", "--resume", str(run_dir))
    assert resumed.exit_code == EXIT_OK and "nothing to do" in resumed.output


def test_a_missing_path_is_still_a_usage_error(env: str) -> None:
    result = invoke("ingest", "no-such-folder")
    assert result.exit_code == EXIT_USAGE
    assert "no such file or folder" in " ".join(result.output.split())
