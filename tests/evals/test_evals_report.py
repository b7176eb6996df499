"""Eval report tables."""


def test_hybrid_mode_is_named_after_its_fusion_settings():
    from factcheck.evals.report import hybrid_name

    assert hybrid_name({}) == "hybrid (RRF)"
    assert hybrid_name({"fusion": "rrf", "dense_weight": 0.5}) == "hybrid (RRF)"
    assert (
        hybrid_name({"fusion": "score", "dense_weight": 0.6, "chunk_title": True})
        == "hybrid (score, dense weight 0.6, titles)"
    )


def test_verification_report_has_per_class_confusion_and_risk_coverage_tables():
    from datetime import UTC, datetime

    from factcheck.evals.records import CaseRecord, EvalRun, RunSpec, RunSummaryLine
    from factcheck.evals.render import markdown
    from factcheck.evals.report import run_tables
    from factcheck.evals.scoring import summarize
    from factcheck.evals.suites import Task

    task = Task.parse("verification:climate-fever/heldback")
    golds = ["SUPPORTED", "CONFLICTING", "CONFLICTING", "NOT_ENOUGH_EVIDENCE"]
    preds = ["SUPPORTED", "CONFLICTING", "REFUTED", "CONFLICTING"]
    cases = [
        CaseRecord(
            task=task.name,
            stage="verification",
            dataset=task.dataset,
            case_id=f"c{i}",
            gold=g,
            pred=p,
            correct=g == p,
            confidence=c,
        )
        for i, (g, p, c) in enumerate(zip(golds, preds, [0.9, 0.65, 0.55, 0.4], strict=True))
    ]
    summary = summarize(task, cases, 1.0)
    # CONFLICTING: 1 of 2 predictions right (precision 0.5), 1 of 2 gold found (recall 0.5)
    assert summary.metrics["precision_conflicting"] == 0.5
    assert summary.metrics["recall_conflicting"] == 0.5
    assert summary.metrics["coverage"] == 1.0 and summary.metrics["committed_precision"] == 0.5
    spec = RunSpec(
        run_id="r",
        suite="s",
        tasks=[task.name],
        backend="fake",
        model="fake",
        factcheck_version="0",
        started_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    run = EvalRun(spec, cases)
    run.summary = RunSummaryLine(
        run_id="r", finished_at=datetime(2026, 1, 1, tzinfo=UTC), tasks=[summary]
    )
    titles = [t.title for t in run_tables(run)]
    assert "Per-class precision and recall" in titles
    assert any(t.startswith("Confusion matrix: verification:climate-fever") for t in titles)
    curve = next(t for t in run_tables(run) if t.title.startswith("Risk–coverage"))
    # ≥ 0.60: the 0.9 (right) and 0.65 (right) verdicts of 4 cases
    assert ["verification:climate-fever/heldback", "≥ 0.60", "0.500", "1.000", "2"] in curve.rows
    assert "Risk–coverage" in markdown(run_tables(run), "t")
