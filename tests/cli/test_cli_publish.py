"""`factcheck report --format html|md`, `factcheck export --format claimreview`, and the
report.html written by `factcheck run` (fake model, embedded Chroma in a tmp dir)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from factcheck.cli.main import EXIT_CONFIG, EXIT_OK, app
from factcheck.io.results import read_results
from tests.reports.report_fixtures import CLAIMS, probe, write_results

ROOT = Path(__file__).resolve().parents[2]
PUBLISHER = {
    "FACTCHECK_ORG_NAME": "Verificado Example",
    "FACTCHECK_ORG_URL": "https://verificado.example.org",
    "FACTCHECK_REVIEW_URL_TEMPLATE": "https://verificado.example.org/checks/{result_id}",
}


@pytest.fixture
def results(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name in [*PUBLISHER, "FACTCHECK_RATING_SCALE"]:
        monkeypatch.delenv(name, raising=False)
    return write_results(tmp_path / "results.jsonl")


def invoke(*args: str):
    return CliRunner().invoke(app, list(args))


def test_report_formats(results, tmp_path):
    md = invoke("report", str(results))
    assert md.exit_code == EXIT_OK and md.output.startswith("# Fact-check report")
    page = invoke("report", str(results), "--format", "html")
    assert page.exit_code == EXIT_OK and page.output.startswith("<!DOCTYPE html>")
    out = tmp_path / "out" / "report.html"
    written = invoke("report", str(results), "-f", "html", "--out", str(out))
    assert written.exit_code == EXIT_OK
    assert probe(out.read_text(encoding="utf-8")).mark_text[CLAIMS["calm"].id]
    assert invoke("report", str(results), "--format", "pdf").exit_code == 2


def test_export_claimreview(results, tmp_path, monkeypatch):
    refused = invoke("export", "--format", "claimreview", str(results))
    assert refused.exit_code == EXIT_CONFIG and "FACTCHECK_ORG_NAME" in refused.output
    for name, value in PUBLISHER.items():
        monkeypatch.setenv(name, value)
    out = tmp_path / "claimreview.json"
    done = invoke("export", "--format", "claimreview", str(results), "--out", str(out))
    assert done.exit_code == EXIT_OK, done.output
    reviews = json.loads(out.read_text(encoding="utf-8"))
    assert len(reviews) == len(CLAIMS)
    assert {r["@type"] for r in reviews} == {"ClaimReview"}
    dated = invoke("export", str(results), "--date", "2026-02-02")
    assert dated.exit_code == EXIT_OK
    start = dated.output.index("[")
    end = dated.output.rindex("]") + 1
    assert {r["datePublished"] for r in json.loads(dated.output[start:end])} == {"2026-02-02"}


def test_run_writes_html_report_with_article_text(tmp_path, monkeypatch):
    monkeypatch.setenv("FACTCHECK_LLM_BACKEND", "fake")
    monkeypatch.setenv("FACTCHECK_CHROMA_PATH", str(tmp_path / "chroma"))
    monkeypatch.chdir(tmp_path)
    assert invoke("ingest", str(ROOT / "seeds" / "reference")).exit_code == EXIT_OK
    run_dir = tmp_path / "run"
    result = invoke("run", str(ROOT / "seeds" / "articles"), "--out", str(run_dir))
    assert result.exit_code == EXIT_OK, result.output
    run = read_results(run_dir / "results.jsonl")
    (article,) = run.articles.values()
    assert article.publisher == "Mexico News Daily" and article.url
    dom = probe((run_dir / "report.html").read_text(encoding="utf-8"))
    assert dom.article_texts == [article.text]
    assert run.results
    for r in run.results:
        assert dom.mark_text[r.claim.id] == r.claim.quote
