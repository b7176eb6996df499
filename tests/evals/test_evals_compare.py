"""Comparisons (CI gate, McNemar, flips), the eval command's exit code, and report escaping."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import numpy as np
import pytest
from typer.testing import CliRunner

from factcheck.cli.main import app
from factcheck.evals import metrics as m
from factcheck.evals.compare import (
    EXIT_REGRESSION,
    compare_runs,
    v_accuracy,
    v_f1,
    v_macro_f1,
)
from factcheck.evals.html import html_report
from factcheck.evals.records import CaseRecord, EvalRun, RunSpec, read_run, write_run
from factcheck.evals.render import markdown
from factcheck.evals.report import comparison_tables, run_tables
from factcheck.evals.scoring import summarize
from factcheck.evals.suites import Task

TASK = "verification:smoke/all"
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
