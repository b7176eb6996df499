"""Reviews onward: ClaimReview of reviewed-and-ready results only, the eval-set export round
trip, and the commands (`export --reviewed-only`, `review export-evals`, `serve` refusals)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from factcheck.cli.main import EXIT_CONFIG, EXIT_OK, app
from factcheck.errors import ConfigError
from factcheck.evals.datasets import CorpusDoc, RetrievalCase, VerificationCase, read_jsonl
from factcheck.evals.reviews import export_evals
from factcheck.models import Verdict
from factcheck.reports.claimreview import DEFAULT_SCALE, Publisher
from factcheck.review.publish import reviewed_claim_reviews, reviewed_ready
from factcheck.review.runs import RunIndex
from factcheck.review.server import TOKEN_ENV, check_bind
from factcheck.review.store import ReviewInput, ReviewStore
from tests.reports.report_fixtures import CLAIMS
from tests.review.conftest import result_id

PUBLISHER = Publisher(
    name="Verificado Example",
    url="https://verificado.example.org",
    review_url_template="https://verificado.example.org/checks/{result_id}",
    scale=DEFAULT_SCALE,
)
ENV = {
    "FACTCHECK_ORG_NAME": PUBLISHER.name,
    "FACTCHECK_ORG_URL": PUBLISHER.url,
    "FACTCHECK_REVIEW_URL_TEMPLATE": PUBLISHER.review_url_template,
}


@pytest.fixture
def reviewed(store: ReviewStore) -> ReviewStore:
    """outer: confirmed, ready; injected: changed to SUPPORTED, ready, own label; calm: changed,
    not ready."""
    store.save(
        result_id("outer"),
        ReviewInput(Verdict.SUPPORTED, "ana", ready_to_publish=True),
        expected_version=0,
    )
    store.save(
        result_id("injected"),
        ReviewInput(
            Verdict.SUPPORTED,
            "ben",
            rationale="The ministry note confirms it.",
            rating="Conflicting evidence",
            ready_to_publish=True,
        ),
        expected_version=0,
    )
    store.save(result_id("calm"), ReviewInput(Verdict.REFUTED, "ana"), expected_version=0)
    return store


def test_only_ready_reviews_are_published_with_the_reviewers_verdict(
    index: RunIndex, reviewed: ReviewStore
) -> None:
    items = {i.result.id: i for i in reviewed_ready(index.results(), reviewed)}
    assert set(items) == {result_id("outer"), result_id("injected")}
    injected = items[result_id("injected")]
    assert injected.machine.verdict is Verdict.REFUTED
    assert injected.result.verdict is Verdict.SUPPORTED
    assert injected.result.rationale == "The ministry note confirms it."
    assert (injected.reviewer, injected.rating) == ("ben", "Conflicting evidence")
    outer = items[result_id("outer")]
    assert outer.result.rationale == outer.machine.rationale  # empty rationale: machine's kept


def test_reviewed_claim_reviews_use_reviewer_rating(index: RunIndex, reviewed: ReviewStore) -> None:
    reviews, skipped = reviewed_claim_reviews(index.results(), {}, reviewed, PUBLISHER, run_id="r1")
    assert skipped == 0
    ratings = {r["claimReviewed"]: r["reviewRating"] for r in reviews}
    assert ratings[CLAIMS["injected"].text] == {
        "@type": "Rating",
        "alternateName": "Conflicting evidence",
    }
    assert ratings[CLAIMS["outer"].text]["ratingValue"] == 5


def test_export_reviewed_only_command(
    run_dir: Path, reviewed: ReviewStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(run_dir)
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    results = str(run_dir / "results.jsonl")
    done = CliRunner().invoke(
        app,
        [
            "export",
            results,
            "--reviewed-only",
            "--db",
            str(reviewed.path),
            "--out",
            str(run_dir / "cr.json"),
        ],
    )
    assert done.exit_code == EXIT_OK, done.output
    assert len(json.loads((run_dir / "cr.json").read_text(encoding="utf-8"))) == 2
    missing = CliRunner().invoke(app, ["export", results, "--reviewed-only"])
    assert missing.exit_code == EXIT_CONFIG and "no review database" in missing.output


def _ready_beside(run_dir: Path) -> ReviewStore:
    """A review database at the run's default place: injected changed and ready, calm not
    ready."""
    store = ReviewStore(run_dir.parent / "reviews.sqlite")
    store.save(
        result_id("injected"),
        ReviewInput(
            Verdict.SUPPORTED,
            "ben",
            rationale="The ministry note confirms it.",
            rating="Conflicting evidence",
            ready_to_publish=True,
        ),
        expected_version=0,
    )
    store.save(result_id("calm"), ReviewInput(Verdict.REFUTED, "ana"), expected_version=0)
    return store


def test_export_is_reviewed_only_by_default_when_a_database_is_beside_the_run(
    run_dir: Path, index: RunIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    results = str(run_dir / "results.jsonl")
    everything = CliRunner().invoke(app, ["export", results])
    assert everything.exit_code == EXIT_OK, everything.output
    machine = json.loads(everything.stdout)
    assert len(machine) > 1  # no database yet: every exportable result
    _ready_beside(run_dir)
    default = CliRunner().invoke(app, ["export", results])
    assert default.exit_code == EXIT_OK, default.output
    assert "Reviewed results only" in default.stderr
    (only,) = json.loads(default.stdout)
    assert only["claimReviewed"] == CLAIMS["injected"].text
    assert only["reviewRating"] == {"@type": "Rating", "alternateName": "Conflicting evidence"}
    assert "not reviewed or not ready" in default.stderr
    forced = CliRunner().invoke(app, ["export", results, "--all-results"])
    assert forced.exit_code == EXIT_OK and json.loads(forced.stdout) == machine


def test_reports_show_reviewed_and_machine_verdicts_side_by_side(
    run_dir: Path, tmp_path: Path
) -> None:
    results = str(run_dir / "results.jsonl")
    plain = CliRunner().invoke(app, ["report", results])
    assert plain.exit_code == EXIT_OK and "Review:" not in plain.stdout
    _ready_beside(run_dir)
    md = CliRunner().invoke(app, ["report", results])
    assert md.exit_code == EXIT_OK, md.output
    assert "Reviewed by a person: 2 of" in md.stdout
    assert "- Review: changed by ben" in md.stdout and "ready to publish" in md.stdout
    assert "| reviewer | ✅ SUPPORTED | The ministry note confirms it. |" in md.stdout
    assert "| machine (" in md.stdout and "❌ REFUTED" in md.stdout
    assert "- Review: not reviewed yet" in md.stdout
    assert "Review:" not in CliRunner().invoke(app, ["report", results, "--no-reviews"]).stdout
    page = tmp_path / "report.html"
    html = CliRunner().invoke(app, ["report", results, "-f", "html", "-o", str(page)])
    assert html.exit_code == EXIT_OK, html.output
    text = page.read_text(encoding="utf-8")
    assert '<table class="review">' in text and "The ministry note confirms it." in text
    assert "Review: changed by ben" in text and "Not reviewed yet." in text
    # an explicit database elsewhere, and a missing one
    other = CliRunner().invoke(app, ["report", results, "--reviews", str(tmp_path / "no.db")])
    assert other.exit_code == EXIT_CONFIG and "no review database" in other.output


def test_eval_export_round_trip(tmp_path: Path, index: RunIndex, reviewed: ReviewStore) -> None:
    out = tmp_path / "evals" / "reviews"
    written = export_evals(index.results(), reviewed, out)
    assert written.cases == 3 and written.skipped_no_evidence == 0
    cases = {
        c.meta["result_id"]: c for c in read_jsonl(out / "verification-all.jsonl", VerificationCase)
    }
    e2e = {c.meta["result_id"]: c for c in read_jsonl(out / "retrieval-all.jsonl", RetrievalCase)}
    corpus = {d.id for d in read_jsonl(out / "corpus.jsonl", CorpusDoc)}
    assert set(e2e) == set(cases) and corpus == {"chunk-1"}
    assert e2e[result_id("outer")].gold_doc_ids == ["chunk-1"]
    assert e2e[result_id("injected")].label == "SUPPORTED"
    assert set(cases) == {result_id(k) for k in ("outer", "injected", "calm")}
    injected = cases[result_id("injected")]
    assert injected.label == "SUPPORTED" and injected.meta["machine_verdict"] == "REFUTED"
    assert injected.claim == CLAIMS["injected"].text
    assert [e.id for e in injected.evidence] == ["chunk-1"]
    result = next(r for r in index.results() if r.id == result_id("injected"))
    assert injected.evidence[0].text == result.evidence[0].chunk.text
    assert injected.gold_evidence_ids == []  # verdict changed: machine citations not gold
    assert cases[result_id("outer")].gold_evidence_ids == ["chunk-1"]
    assert cases[result_id("outer")].meta["reviewer"] == "ana"
    with pytest.raises(FileExistsError):
        export_evals(index.results(), reviewed, out)
    assert export_evals(index.results(), reviewed, out, force=True).cases == 3


def test_export_evals_command_refuses_to_overwrite(
    tmp_path: Path, run_dir: Path, reviewed: ReviewStore
) -> None:
    out = tmp_path / "cases"
    args = ["review", "export-evals", str(run_dir), "--db", str(reviewed.path), "--out", str(out)]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == EXIT_OK, first.output
    assert "3 verification cases" in first.output
    before = (out / "verification-all.jsonl").read_bytes()
    again = CliRunner().invoke(app, args)
    assert again.exit_code == EXIT_CONFIG and "--force" in again.output
    assert (out / "verification-all.jsonl").read_bytes() == before
    assert CliRunner().invoke(app, [*args, "--force"]).exit_code == EXIT_OK


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::", "desk.example.org"])
def test_non_loopback_host_needs_a_token(host: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    with pytest.raises(ConfigError, match="token"):
        check_bind(host, None)
    assert check_bind(host, "x" * 20) == "x" * 20
    monkeypatch.setenv(TOKEN_ENV, "y" * 20)
    assert check_bind(host, None) == "y" * 20


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_loopback_needs_no_token(host: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    assert check_bind(host, None) is None
    with pytest.raises(ConfigError, match="at least"):
        check_bind(host, "short")


def test_serve_command_refuses_to_start_without_token(
    run_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    refused = CliRunner().invoke(app, ["serve", str(run_dir), "--host", "0.0.0.0"])
    assert refused.exit_code == EXIT_CONFIG
    assert "refusing to serve" in refused.output
    assert not (run_dir.parent / "reviews.sqlite").exists()  # refused before anything started


def test_run_reports_pick_up_the_review_database_beside_the_run(run_dir: Path) -> None:
    """`factcheck run` / `run --resume` render report.md and report.html with the reviews of a
    database beside the run (job.existing_reviews), and without them when there is none."""
    from factcheck.cli.job import existing_reviews

    results = run_dir / "results.jsonl"
    assert existing_reviews(results) is None
    _ready_beside(run_dir)
    reviews = existing_reviews(results)
    assert reviews is not None and reviews[result_id("injected")].verdict == "SUPPORTED"
    assert reviews[result_id("injected")].ready_to_publish
    assert not reviews[result_id("calm")].ready_to_publish
