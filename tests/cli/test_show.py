"""`factcheck show RESULT_ID` and the audit lines of the Markdown and HTML reports, on a
hand-built results file (no LLM, no store)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from factcheck.cli.main import EXIT_CONFIG, EXIT_OK, app
from factcheck.io.results import BlockWriter, read_results
from factcheck.models import ExcludedEvidence, PriorCheck, RetrievalRecord
from factcheck.reports.html import html_report
from factcheck.reports.markdown import markdown_report
from tests.reports.report_fixtures import CLAIMS, lines

PRIOR = PriorCheck(
    id="p1",
    claim_reviewed="Mexico sent 37 prisoners to the US in January.",
    rating="True",
    reviewer="Example Checks",
    review_date=date(2026, 1, 22),
    url="https://checks.example.org/prisoners",
    similarity=0.91,
)
RETRIEVAL = RetrievalRecord(
    top_k=6,
    candidates=30,
    rrf_k=60,
    cutoff=date(2026, 1, 29),
    cutoff_basis="claim_date",
    deny_publishers=["Bad Blog"],
    tier_weights={1: 1.0, 3: 0.5},
    not_independent=["Daily News", "Mexican officials"],
    max_evidence_age_days=365,
    prior_match_threshold=0.8,
)
EXCLUDED = ExcludedEvidence(
    chunk_id="chunk-own", source_id="own-1", publisher="Daily News", reason="article_publisher"
)


def audited_lines() -> list[object]:
    """The fixture run, with the "outer" claim's result carrying every audit field."""
    out: list[object] = []
    for line in lines():
        if getattr(line, "type", None) == "result" and line.claim.id == CLAIMS["outer"].id:  # type: ignore[union-attr]
            provenance = line.provenance.model_copy(  # type: ignore[union-attr]
                update={"retrieval": RETRIEVAL, "timings": {"retrieve": 0.12, "verify": 0.5}}
            )
            line = line.model_copy(  # type: ignore[union-attr]
                update={
                    "id": "abcdef0123456789",
                    "rationale": "Literal [red]markup[/red] stays text.",
                    "provenance": provenance,
                    "stale_evidence": True,
                    "evidence_age_days": 400,
                    "excluded_evidence": [EXCLUDED],
                    "prior_checks": [PRIOR],
                }
            )
        out.append(line)
    return out


@pytest.fixture
def results(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FACTCHECK_OUTPUT_DIR", str(tmp_path / "runs"))
    path = tmp_path / "runs" / "20260130T120000Z" / "results.jsonl"
    path.parent.mkdir(parents=True)
    with BlockWriter(path) as writer:
        for line in audited_lines():
            writer.write_line(line)  # type: ignore[arg-type]
    return path


def show(*args: str):
    return CliRunner().invoke(app, ["show", *args], env={"COLUMNS": "160"})


def test_show_prints_the_audit_trail(results: Path) -> None:
    shown = show("abcdef0123456789", "--results", str(results))
    assert shown.exit_code == EXIT_OK, shown.output
    text = shown.output
    for expected in [
        "Result abcdef0123456789",
        "run 20260130T120000Z",
        "Mexico sent 37 prisoners to the US on 20 January 2026.",  # claim
        "“Officials said 37 prisoners were sent to the US on 20 January.”",  # quote
        f"{CLAIMS['outer'].start}–{CLAIMS['outer'].end}",  # offsets
        "Mexican officials",  # speaker
        "hostile",  # article id
        "SUPPORTED",
        "0.80",  # confidence
        "Literal [red]markup[/red] stays text.",  # rationale, not interpreted as markup
        "newest cited source 400 days old",  # stale
        "True — Example Checks, 2026-01-22, https://checks.example.org/prisoners",  # prior
        "Exports rose 5%",  # a citation
        "Reference passage",  # the evidence passage
        "score 0.03000 · dense rank 1 · lexical unranked",
        "chunk-own",  # excluded passage
        "hand-written-test",  # model
        '{"temperature": 0.0}',  # parameters
        "verify ve456",  # prompt hash
        "minilm",
        "fp-0123abcd",
        "2026-01-29 (claim_date)",  # cutoff
        "top_k 6, candidates 30, rrf_k 60",
        "Bad Blog",
        "1:1.0, 3:0.5",
        "retrieve 0.120s",
        "1 calls, 100 prompt + 20 completion tokens",
    ]:
        assert expected in text, expected


def test_show_finds_by_prefix_under_the_output_dir(results: Path, tmp_path: Path) -> None:
    default = show("abcdef01")
    assert default.exit_code == EXIT_OK and "Result abcdef0123456789" in default.output
    folder = show("abcdef01", "--results", str(tmp_path / "runs"))
    assert folder.exit_code == EXIT_OK
    copy = tmp_path / "elsewhere.jsonl"
    copy.write_text(results.read_text(encoding="utf-8"), encoding="utf-8")
    both = show("abcdef01", "--results", str(results), "--results", str(copy))
    assert both.exit_code == EXIT_OK and "also in" in both.output


def test_show_exits_1_when_the_result_is_not_found(results: Path) -> None:
    missing = show("0000000000000000", "--results", str(results))
    assert missing.exit_code == EXIT_CONFIG
    assert "no result 0000000000000000 in 1 results file(s)" in missing.output
    short = show("abc", "--results", str(results))
    assert short.exit_code == EXIT_CONFIG and "at least 6 characters" in short.output
    nothing = show("abcdef01", "--results", str(results.parent.parent.parent / "nope"))
    assert nothing.exit_code == 2  # typer: the path must exist


def test_reports_show_the_audit_lines(results: Path) -> None:
    run = read_results(results)
    markdown = markdown_report(run)
    assert "Result `abcdef0123456789`" in markdown
    assert "evidence published by 2026-01-29 (claim date)" in markdown
    assert "Stale evidence: the newest cited source is 400 days old (limit 365)" in markdown
    assert "1 passage(s) left out as not independent" in markdown and "Daily News" in markdown
    assert "Previously fact-checked: **True** by Example Checks, 2026-01-22" in markdown
    assert "<https://checks.example.org/prisoners>" in markdown
    page = html_report(run)
    assert "result <code>abcdef0123456789</code>" in page
    assert "Stale evidence: the newest cited source is 400 days old." in page
    assert "1 passage(s) left out as not independent" in page
    assert "Previously fact-checked:" in page
    assert 'href="https://checks.example.org/prisoners"' in page
