"""Comparisons (CI gate, McNemar, flips), the eval command's exit code, and report escaping."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from factcheck.cli.main import app
from factcheck.evals import metrics as m
from factcheck.evals.compare import (
    EXIT_NOT_MEASURED,
    EXIT_REGRESSION,
    compare_runs,
    unrendered_prompts,
    v_accuracy,
    v_f1,
    v_macro_f1,
)
from factcheck.evals.html import html_report
from factcheck.evals.records import CaseRecord, EvalRun, RunSpec, read_run, write_run
from factcheck.evals.render import markdown, md_cell
from factcheck.evals.report import comparison_tables, run_tables
from factcheck.evals.scoring import summarize
from factcheck.evals.suites import Task

TASK = "verification:smoke/all"
PROMPTS = Path(__file__).resolve().parents[2] / "prompts"
LABELS = ["SUPPORTED", "REFUTED", "NOT_ENOUGH_EVIDENCE"]


def _spec(label: str, verify: str = "aaaa") -> RunSpec:
    return RunSpec(
        run_id=f"test-{label}",
        label=label,
        suite=TASK,
        tasks=[TASK],
        backend="fake",
        model="fake",
        prompt_hashes={"extract": "eeee", "verify": verify},
        factcheck_version="0",
        started_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


def _run(
    label: str,
    preds: list[str],
    golds: list[str],
    texts: list[str] | None = None,
    verify: str = "aaaa",
) -> EvalRun:
    cases = [
        CaseRecord(
            task=TASK,
            stage="verification",
            dataset="smoke",
            case_id=f"c{i}",
            text=(texts[i] if texts else f"claim {i}"),
            gold=g,
            pred=p,
            correct=p == g,
            confidence=0.8,
        )
        for i, (p, g) in enumerate(zip(preds, golds, strict=True))
    ]
    run = EvalRun(_spec(label, verify), cases)
    from factcheck.evals.records import RunSummaryLine

    run.summary = RunSummaryLine(
        run_id=run.spec.run_id,
        finished_at=datetime(2026, 1, 1, tzinfo=UTC),
        tasks=[summarize(Task.parse(TASK), cases, 1.0)],
    )
    return run


def _golds(n: int = 60) -> list[str]:
    return [LABELS[i % 3] for i in range(n)]


def test_vectorised_metrics_match_the_pure_functions():
    rng = np.random.default_rng(1)
    gold = rng.integers(0, 3, 200).astype(float)
    pred = rng.integers(0, 4, 200).astype(float)  # 3 = a label outside the gold set
    g, p = [str(int(x)) for x in gold], [str(int(x)) for x in pred]
    assert v_accuracy(gold[None], pred[None])[0] == pytest.approx(m.accuracy(g, p))
    assert v_f1(gold[None], pred[None], 1)[0] == pytest.approx(m.f1_for_class(g, p, "1"))
    assert v_macro_f1(gold[None], pred[None], [0, 1, 2])[0] == pytest.approx(
        m.macro_f1(g, p, ["0", "1", "2"])
    )


def test_constructed_regression_fails_the_gate():
    golds = _golds()
    baseline = _run("baseline", golds, golds)  # always right
    worse = [g if i % 2 else "CONFLICTING" for i, g in enumerate(golds)]  # half wrong
    candidate = _run("candidate", worse, golds, verify="bbbb")
    cmp = compare_runs(baseline, candidate, tolerance=0.02)
    assert cmp.exit_code == EXIT_REGRESSION
    accuracy = next(d for d in cmp.regressions if d.metric == "accuracy")
    assert accuracy.delta == pytest.approx(-0.5) and accuracy.high < -0.02
    assert cmp.prompt_changes == {"verify": ("aaaa", "bbbb")}
    (task,) = cmp.tasks
    assert task.mcnemar is not None and (task.mcnemar.b, task.mcnemar.c) == (30, 0)
    assert task.mcnemar.p_value < 1e-6
    assert task.flips["regressed"] == 30 and len(task.flip_cases) == 30


def test_no_change_or_small_noise_passes():
    golds = _golds()
    base = _run("baseline", golds, golds)
    assert compare_runs(base, copy.deepcopy(base)).exit_code == 0
    one_worse = list(golds)
    one_worse[0] = "CONFLICTING"
    cmp = compare_runs(base, _run("candidate", one_worse, golds), tolerance=0.02)
    accuracy = next(d for d in cmp.tasks[0].deltas if d.metric == "accuracy")
    assert accuracy.delta == pytest.approx(-1 / 60)
    assert cmp.exit_code == 0  # the CI reaches above -0.02: not significant beyond tolerance


def test_eval_command_exits_5_on_a_regression_against_a_baseline_file(tmp_path, monkeypatch):
    """Run the CLI on the smoke verification task against a constructed perfect baseline."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FACTCHECK_LLM_CACHE", str(tmp_path / "llm.sqlite"))
    runner = CliRunner()
    first = runner.invoke(app, ["eval", TASK, "--backend", "fake", "--out", str(tmp_path / "a")])
    assert first.exit_code == 0, first.output
    run = read_run(tmp_path / "a" / "run.jsonl")
    perfect = copy.deepcopy(run)
    for case in perfect.cases:
        case.pred, case.correct = case.gold, True
    write_run(tmp_path / "perfect.jsonl", perfect)
    result = runner.invoke(
        app,
        [
            "eval",
            TASK,
            "--backend",
            "fake",
            "--baseline",
            str(tmp_path / "perfect.jsonl"),
            "--out",
            str(tmp_path / "b"),
        ],
    )
    assert result.exit_code == EXIT_REGRESSION, result.output
    assert "REGRESSED" in result.output
    same = runner.invoke(
        app,
        [
            "eval",
            TASK,
            "--backend",
            "fake",
            "--baseline",
            str(tmp_path / "a" / "run.jsonl"),
            "--out",
            str(tmp_path / "c"),
        ],
    )
    assert same.exit_code == 0, same.output
    report = (tmp_path / "c" / "report.md").read_text(encoding="utf-8")
    assert "PASS" in report and "cache hits" in report


def test_reports_escape_script_in_a_claim():
    evil = '<script>alert("x")</script> & <img src=x onerror=alert(1)>'
    golds = _golds(6)
    texts = [evil] * 6
    base = _run("baseline", golds, golds, texts)
    cand = _run("candidate", ["CONFLICTING"] * 6, golds, texts, verify="b<script>")
    cmp = compare_runs(base, cand)
    page = html_report(cand, cmp, base)
    assert "<script" not in page.lower() and "<img" not in page.lower()
    assert "&lt;script&gt;" in page
    md = markdown(comparison_tables(cmp) + run_tables(cand), "t")
    assert "<script" not in md and "<img" not in md


# --- no silent traps -----------------------------------------------------------------------------


def _with_usage(run: EvalRun, *, calls: int, steps: dict[str, str]) -> EvalRun:
    for case in run.cases:
        case.usage.calls = calls
        case.prompt_hashes = dict(steps)
    return run


def test_a_changed_prompt_no_case_rendered_does_not_pass():
    """The verify prompt changed, but every case was decided without a model call (the
    offline NLI verifier): the comparison measured nothing, so the gate must not pass."""
    golds = _golds()
    base = _with_usage(_run("baseline", golds, golds), calls=0, steps={"verify": "aaaa"})
    cand = _with_usage(
        _run("candidate", golds, golds, verify="bbbb"), calls=0, steps={"verify": "bbbb"}
    )
    cmp = compare_runs(base, cand)
    assert cmp.unrendered_prompts == ["verify"]
    assert cmp.exit_code == EXIT_NOT_MEASURED and not cmp.regressions
    assert cmp.verdict().startswith("NOT MEASURED")
    md = markdown(comparison_tables(cmp), "t")
    assert "PASS" not in md and "NOT MEASURED" in md and "WARNING" in md
    assert "no case on either side made a request with it" in md
    page = html_report(cand, cmp, base)
    assert "PASS" not in page and "NOT MEASURED" in page
    # the same change with model calls on one side is measured: no warning, the gate passes
    called = _with_usage(
        _run("candidate", golds, golds, verify="bbbb"), calls=1, steps={"verify": "bbbb"}
    )
    measured = compare_runs(base, called)
    assert measured.unrendered_prompts == [] and measured.exit_code == 0
    # a changed extract prompt in a verification-only suite is never rendered either
    assert (
        "extract" in unrendered_prompts({"extract": ("e1", "e2")}, base, called)
        and unrendered_prompts({"verify": ("a", "b")}, base, called) == []
    )


def test_runs_with_no_task_in_common_do_not_pass():
    golds = _golds()
    base = _run("baseline", golds, golds)
    other = copy.deepcopy(base)
    for case in other.cases:
        case.task = "verification:/data/newsroom/all"
    other.spec.tasks = ["verification:/data/newsroom/all"]
    cmp = compare_runs(base, other)
    assert cmp.tasks == [] and cmp.exit_code == EXIT_NOT_MEASURED
    assert cmp.verdict().startswith("NOT MEASURED") and "No paired task" in cmp.warnings()[0]


def test_small_samples_and_zero_width_intervals_are_called_out():
    golds = _golds(12)
    base = _run("baseline", golds, golds)
    cmp = compare_runs(base, copy.deepcopy(base))
    assert cmp.exit_code == 0 and [t.paired for t in cmp.small_tasks] == [12]
    assert {d.metric for d in cmp.zero_width} >= {"accuracy"}
    warnings = " ".join(cmp.warnings())
    assert "only 12 paired case(s)" in warnings and "nothing can be concluded" in warnings
    assert "Zero-width 95% intervals" in warnings
    md = markdown(comparison_tables(cmp), "t")
    assert "nothing can be concluded" in md and "Zero-width" in md
    large = _golds(60)
    one_off = list(large)
    one_off[0] = "CONFLICTING"
    roomy = compare_runs(_run("baseline", large, large), _run("candidate", one_off, large))
    assert roomy.small_tasks == [] and "accuracy" not in {d.metric for d in roomy.zero_width}
    assert not any("nothing can be concluded" in w for w in roomy.warnings())


def test_mcnemar_heading_is_not_double_escaped():
    golds = _golds()
    cmp = compare_runs(_run("baseline", golds, golds), _run("candidate", golds, golds))
    md = markdown(comparison_tables(cmp), "t")
    assert "b = baseline right & candidate wrong" in md
    assert "&amp;" not in md
    assert md_cell("&lt;b&gt; & <i>") == "&amp;lt;b&amp;gt; & &lt;i&gt;"


def test_eval_command_refuses_a_verify_prompt_comparison_under_the_nli_verifier(
    tmp_path, monkeypatch
):
    """The reported trap, end to end: a verify-prompt change compared under the default
    offline NLI verifier used to print PASS with 0 model calls on both sides."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FACTCHECK_LLM_CACHE", str(tmp_path / "llm.sqlite"))
    monkeypatch.setenv("FACTCHECK_VERIFIER", "nli")
    changed = tmp_path / "verify-v2"
    changed.mkdir()
    for name in ("verify.system.md", "verify.user.md"):
        text = (PROMPTS / name).read_text(encoding="utf-8")
        (changed / name).write_text(text + "\nBe brief.\n", encoding="utf-8")
    result = CliRunner().invoke(
        app,
        [
            "eval",
            TASK,
            "--backend",
            "fake",
            "--limit",
            "6",
            "--baseline-prompt",
            f"verify={changed}",
            "--out",
            str(tmp_path / "out"),
        ],
    )
    assert result.exit_code == EXIT_NOT_MEASURED, result.output
    report = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert "NOT MEASURED" in report and "PASS" not in report
    assert "nothing can be concluded" in report  # 6 cases
