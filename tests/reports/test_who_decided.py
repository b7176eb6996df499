"""Reports say who decided each verdict, why, and show the number checks and notes."""

from __future__ import annotations

from pathlib import Path

from factcheck.io.results import read_results
from factcheck.models import QuantityCheck, Verdict, VerdictReason
from factcheck.reports.html import html_report
from factcheck.reports.markdown import markdown_report
from tests.reports.report_fixtures import lines, write_results

CHECK = QuantityCheck(
    claim_value="under eight minutes",
    source_value="9.4 minutes",
    sentence="The average response time was 9.4 minutes.",
    rule="comparator: under",
    outcome="contradicts",
)


def decided_run(tmp_path: Path):
    path = write_results(tmp_path / "results.jsonl")
    rewritten = []
    for line in lines():
        if getattr(line, "type", None) == "result" and line.verdict is Verdict.SUPPORTED:
            line = line.model_copy(
                update={
                    "verifier": "nli",
                    "reason": VerdictReason.QUANTITY_MISMATCH,
                    "quantity_checks": [CHECK],
                    "notes": ["cascade: nli could not decide; the LLM decided"],
                }
            )
        rewritten.append(line.model_dump_json())
    path.write_text("\n".join(rewritten) + "\n", encoding="utf-8")
    return read_results(path)


def test_html_banner_names_each_verifier_and_cards_show_reason_checks_and_notes(tmp_path):
    page = html_report(decided_run(tmp_path))
    assert (
        "Verdicts were given by the offline NLI verifier (<code>ve456</code>) for 3 claims; "
        "the LLM verifier (<code>hand-written-test</code>) for 3 claims"
    ) in page
    assert "withdrawn: a cited number or date differs" in page
    assert "claim &quot;under eight minutes&quot; vs source &quot;9.4 minutes&quot;" in page
    assert "Note: cascade: nli could not decide" in page


def test_markdown_shows_reason_checks_and_notes(tmp_path):
    text = markdown_report(decided_run(tmp_path))
    assert "withdrawn: a cited number or date differs" in text
    assert 'Number check: claim "under eight minutes" vs source "9.4 minutes": contradicts' in text
    assert "Note: cascade: nli could not decide" in text
