"""The whole loop: review claims of a run (store API), export the reviews as an eval set, score
the verifier on it with `factcheck eval … --dataset` (fake backend), and compare two verify
prompts on the newsroom's own claims with the paired statistics."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from factcheck.cli.main import app
from factcheck.evals.records import read_run
from factcheck.evals.runner import EvalOptions, run_suite
from factcheck.evals.suites import dataset_tasks
from factcheck.llm.fake import FakeChatModel
from factcheck.models import Verdict
from factcheck.review.store import ReviewInput, ReviewStore
from tests.review.synthetic import VERDICTS, write_synthetic

PROMPTS = Path(__file__).resolve().parents[2] / "prompts"
REVIEWED = 12


@pytest.fixture
def reviewed_run(tmp_path: Path) -> Path:
    """A 20-claim run; 12 claims reviewed: every third verdict changed to SUPPORTED."""
    runs = tmp_path / "runs"
    write_synthetic(runs / "run-1" / "results.jsonl", 20)
    store = ReviewStore(runs / "reviews.sqlite")
    for i in range(REVIEWED):
        machine = VERDICTS[i % len(VERDICTS)]
        verdict = Verdict.SUPPORTED if i % 3 == 0 else machine
        store.save(
            f"syn-{i}",
            ReviewInput(verdict, "ana", ready_to_publish=i % 2 == 0),
            expected_version=0,
        )
    return runs / "run-1"


def test_reviews_become_an_eval_set_scored_with_paired_statistics(
    reviewed_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FACTCHECK_LLM_CACHE", str(tmp_path / "llm.sqlite"))
    monkeypatch.setenv("FACTCHECK_VERIFIER", "llm")
    dataset = tmp_path / "newsroom-evals"
    runner = CliRunner()
    exported = runner.invoke(app, ["review", "export-evals", str(reviewed_run), "-o", str(dataset)])
    assert exported.exit_code == 0, exported.output
    assert f"{REVIEWED} verification cases, {REVIEWED} end-to-end cases" in exported.output
    # the converter never overwrites without --force
    again = runner.invoke(app, ["review", "export-evals", str(reviewed_run), "-o", str(dataset)])
    assert again.exit_code == 1 and "--force" in again.output

    evaluate = ["eval", "verification", "--dataset", str(dataset), "--backend", "fake"]
    scored = runner.invoke(app, [*evaluate, "--out", str(tmp_path / "scored")])
    assert scored.exit_code == 0, scored.output
    run = read_run(tmp_path / "scored" / "run.jsonl")
    assert len(run.cases) == REVIEWED and all(c.case_id.startswith("reviews:") for c in run.cases)
    assert {c.gold for c in run.cases} <= {v.value for v in Verdict}

    changed = tmp_path / "verify-v2"
    changed.mkdir()
    for name in ("verify.system.md", "verify.user.md"):
        text = (PROMPTS / name).read_text(encoding="utf-8")
        (changed / name).write_text(text + "\nAnswer carefully.\n", encoding="utf-8")
    compared = runner.invoke(
        app,
        [*evaluate, "--baseline-prompt", f"verify={changed}", "--out", str(tmp_path / "compared")],
    )
    assert compared.exit_code in (0, 5), compared.output
    report = (tmp_path / "compared" / "report.md").read_text(encoding="utf-8")
    assert "paired bootstrap 95% CI" in report and "McNemar" in report
    assert "NOT MEASURED" not in report  # the fake LLM verifier rendered the verify prompt
    assert f"only {REVIEWED} paired case(s)" in report  # and 12 cases are called too few


def test_reviewed_claims_as_end_to_end_cases(reviewed_run: Path, tmp_path: Path) -> None:
    from factcheck.evals.reviews import export_evals
    from factcheck.review.runs import RunIndex

    dataset = tmp_path / "newsroom-evals"
    store = ReviewStore(reviewed_run.parent / "reviews.sqlite")
    export_evals(RunIndex([reviewed_run]).results(), store, dataset)
    (task,) = dataset_tasks("e2e", [dataset])
    run = run_suite(
        EvalOptions(
            "e2e",
            backend="fake",
            datasets=[dataset],
            llm_cache=None,
            cache_dir=tmp_path / "cache",
        ),
        chat_model=FakeChatModel(),
    )
    assert run.spec.tasks == [task.name]
    cases = run.cases
    assert len(cases) == REVIEWED and all(c.error is None for c in cases)
    assert all(c.retrieved.get("shown") for c in cases)  # retrieved from the shown passages
