"""`factcheck verify/run --as-of DATE` with the fake model, the seed references and an
embedded Chroma in a tmp dir."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from factcheck.cli.main import EXIT_OK, app
from factcheck.io.results import read_results

REFERENCES = Path(__file__).resolve().parents[2] / "seeds" / "reference"


def invoke(*args: str):
    return CliRunner().invoke(app, list(args))


def test_as_of_excludes_later_evidence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FACTCHECK_LLM_BACKEND", "fake")
    monkeypatch.setenv("FACTCHECK_CHROMA_PATH", str(tmp_path / "chroma"))
    monkeypatch.chdir(tmp_path)
    assert invoke("ingest", str(REFERENCES)).exit_code == EXIT_OK
    claim = "Mexico sent 37 cartel prisoners to the United States in January 2026."
    out = tmp_path / "verify.jsonl"
    done = invoke("verify", claim, "--as-of", "2025-12-31", "--out", str(out))
    assert done.exit_code == EXIT_OK, done.output
    (result,) = read_results(out).results
    retrieval = result.provenance.retrieval
    assert retrieval and (retrieval.cutoff, retrieval.cutoff_basis) == (date(2025, 12, 31), "as_of")
    assert result.evidence
    assert all(
        e.chunk.published is None or e.chunk.published <= date(2025, 12, 31)
        for e in result.evidence
    )

    articles = tmp_path / "articles.jsonl"
    articles.write_text(
        json.dumps({"id": "a", "text": claim, "published": "2026-01-29", "publisher": "X"}) + "\n",
        encoding="utf-8",
    )
    run_dir = tmp_path / "run"
    ran = invoke("run", str(articles), "--as-of", "2025-06-30", "--out", str(run_dir))
    assert ran.exit_code == EXIT_OK, ran.output
    run = read_results(run_dir / "results.jsonl")
    assert run.header and run.header.config["as_of"] == "2025-06-30"
    (result,) = run.results
    assert result.provenance.retrieval and result.provenance.retrieval.cutoff == date(2025, 6, 30)
    assert all(
        e.chunk.published is None or e.chunk.published <= date(2025, 6, 30) for e in result.evidence
    )
