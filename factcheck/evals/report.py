"""Eval reports as plain tables: `run_tables` and `comparison_tables` turn a run / a
comparison into `Table`s, which `render.py` (terminal, Markdown) and `html.py` lay out, so
every report says the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from factcheck.evals.compare import N_RESAMPLES, Comparison, MetricDelta
from factcheck.evals.records import ERROR_LABEL, EvalRun, TaskSummary

MAX_FLIP_ROWS = 100

VERDICT_COLUMNS = (
    ("accuracy", "acc"),
    ("macro_f1", "macro-F1"),
    ("f1_refuted", "F1 REFUTED"),
    ("abstention_rate", "abstain"),
    ("coverage", "committed"),
    ("committed_precision", "committed P"),
    ("ece", "ECE"),
    ("brier", "Brier"),
    ("citation_precision", "cite P"),
    ("citation_recall", "cite R"),
    ("citation_failure_rate", "cite invalid"),
    ("evidence.shown.recall@5", "evidence R@5"),
    ("error_rate", "errors"),
)
EXTRACTION_COLUMNS = (
    ("claim_recall", "claim R"),
    ("claim_precision", "claim P"),
    ("claim_f1", "claim F1"),
    ("anchoring_rate", "anchored"),
    ("repaired_rate", "repaired"),
    ("claims_per_doc", "claims/doc"),
    ("match_threshold", "match cos ≥"),
    ("error_rate", "errors"),
)
CHECKWORTHINESS_COLUMNS = (
    ("f1", "F1"),
    ("precision", "P"),
    ("recall", "R"),
    ("accuracy", "acc"),
    ("precision@5", "P@5"),
    ("precision@10", "P@10"),
    ("precision@50", "P@50"),
    ("error_rate", "errors"),
)
RETRIEVAL_COLUMNS = (
    ("recall@5", "recall@5"),
    ("recall@10", "recall@10"),
    ("mrr@10", "MRR@10"),
    ("ndcg@10", "nDCG@10"),
)
MODE_NAMES = {
    "dense": "dense",
    "lexical": "BM25",
    "hybrid": "hybrid (RRF)",
    "hybrid+rerank": "hybrid + re-rank",
}


def hybrid_name(retrieval: dict[str, object]) -> str:
    """How the hybrid ranking was fused, from the run's retrieval settings (runs recorded
    before the fusion setting existed used plain RRF)."""
    fusion = retrieval.get("fusion", "rrf")
    weight = retrieval.get("dense_weight", 0.5)
    title = ", titles" if retrieval.get("chunk_title") else ""
    if fusion == "rrf" and weight == 0.5:
        return f"hybrid (RRF{title})"
    return f"hybrid ({fusion}, dense weight {weight}{title})"


@dataclass
class Table:
    """A titled table of already formatted cells."""

    title: str
    headers: list[str]
    rows: list[list[str]]
    note: str | None = None


def fmt(value: float | int | None, digits: int = 3) -> str:
    """A number for a table cell; None → an em dash."""
    if value is None:
        return "—"
    if isinstance(value, int) or (float(value).is_integer() and abs(value) >= 10):
        return f"{int(value):,}"
    return f"{value:.{digits}f}"


def signed(value: float | None, digits: int = 3) -> str:
    """A difference with its sign."""
    return "—" if value is None else f"{value:+.{digits}f}"


# --- a single run ------------------------------------------------------------------------------


def _metric_table(
    title: str, tasks: Sequence[TaskSummary], columns: Sequence[tuple[str, str]], count: str
) -> Table:
    used = [(k, h) for k, h in columns if any(t.metrics.get(k) is not None for t in tasks)]
    rows = [
        [t.task, fmt(int(t.metrics.get(count) or t.cases))]
        + [fmt(t.metrics.get(k)) for k, _ in used]
        for t in tasks
    ]
    return Table(title, ["task", "n", *[h for _, h in used]], rows)


def per_class_rows(t: TaskSummary) -> list[list[str]]:
    """Precision, recall and F1 of each verdict label, from the task's confusion matrix."""
    matrix = t.confusion or {}
    rows = []
    for label in matrix:
        if label == ERROR_LABEL:
            continue
        tp = matrix[label].get(label, 0)
        n_gold = sum(matrix[label].values())
        n_pred = sum(row.get(label, 0) for row in matrix.values())
        p = tp / n_pred if n_pred else 0.0
        r = tp / n_gold if n_gold else 0.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        rows.append([t.task, label, fmt(p), fmt(r), fmt(f1), fmt(n_gold), fmt(n_pred)])
    return rows


def verdict_detail_tables(tasks: Sequence[TaskSummary]) -> list[Table]:
    """Per-class precision/recall, confusion matrices, the risk–coverage curve and, for the
    number-perturbation set, its own lines."""
    tables: list[Table] = []
    rows = [row for t in tasks for row in per_class_rows(t)]
    if rows:
        tables.append(
            Table(
                "Per-class precision and recall",
                ["task", "label", "precision", "recall", "F1", "gold n", "predicted n"],
                rows,
                "CONFLICTING is Climate-FEVER's DISPUTED (evidence both supports and refutes)."
                if any((t.confusion or {}).get("CONFLICTING") for t in tasks)
                and any(sum((t.confusion or {}).get("CONFLICTING", {}).values()) for t in tasks)
                else None,
            )
        )
    for t in tasks:
        if not t.confusion:
            continue
        labels = list(t.confusion)
        tables.append(
            Table(
                f"Confusion matrix: {t.task} (rows gold, columns predicted)",
                ["gold ↓ predicted →", *labels],
                [[g, *(fmt(t.confusion[g].get(p, 0)) for p in labels)] for g in labels],
            )
        )
    curve_rows = [
        [
            t.task,
            "all committed" if threshold == 0 else f"≥ {threshold:.2f}",
            fmt(coverage),
            fmt(precision),
            fmt(n),
        ]
        for t in tasks
        for threshold, coverage, precision, n in t.risk_coverage or []
    ]
    if curve_rows:
        tables.append(
            Table(
                "Risk–coverage: committed verdicts (SUPPORTED / REFUTED / CONFLICTING) by "
                "confidence",
                ["task", "confidence", "coverage", "precision", "n"],
                curve_rows,
                "coverage = share of all scored cases with a committed verdict at or above the "
                "confidence threshold; precision = share of those verdicts that are correct "
                "(— when there are none).",
            )
        )
    perturbed = [t for t in tasks if "perturbed_not_supported" in t.metrics]
    if perturbed:
        tables.append(
            Table(
                "Number perturbations (originals gold SUPPORTED, perturbed copies gold REFUTED)",
                [
                    "task",
                    "pairs",
                    "perturbed: not SUPPORTED",
                    "original: SUPPORTED",
                    "pairs: both",
                ],
                [
                    [
                        t.task,
                        fmt(int(t.metrics.get("pairs") or 0)),
                        fmt(t.metrics.get("perturbed_not_supported")),
                        fmt(t.metrics.get("original_supported")),
                        fmt(t.metrics.get("pairs_flipped")),
                    ]
                    for t in perturbed
                ],
                "target: ≥ 0.90 of perturbed claims not labelled SUPPORTED. 'pairs: both' = the "
                "original is SUPPORTED and its perturbed copy is not.",
            )
        )
    return tables


def cost_row(t: TaskSummary) -> list[str]:
    """Cost and speed cells of one task summary."""
    u, n = t.usage, max(1, t.cases)
    return [
        t.task,
        fmt(t.cases),
        fmt(u.calls),
        fmt(u.model_calls),
        fmt(u.cache_hits),
        fmt(u.prompt_tokens / n, 1),
        fmt(u.completion_tokens / n, 1),
        fmt(u.reasks),
        fmt(t.metrics.get("seconds_per_case"), 3),
        fmt(t.wall_seconds / n, 3),
        fmt(t.wall_seconds, 2),
    ]


COST_HEADERS = [
    "task",
    "cases",
    "LLM calls",
    "model calls",
    "cache hits",
    "prompt tok/case",
    "completion tok/case",
    "re-asks",
    "latency s/case",
    "wall s/case",
    "wall s",
]


def run_tables(run: EvalRun) -> list[Table]:
    """Spec, metrics per stage, and cost/speed tables of one run."""
    s = run.spec
    info = [
        ["suite", s.suite],
        ["run", s.run_id],
        ["backend · model", f"{s.backend} · {s.model}"],
        ["verifier", s.verifier or "not recorded"],
        ["prompts", ", ".join(f"{k} {v}" for k, v in sorted(s.prompt_hashes.items()))],
        ["limit · seed", f"{s.limit if s.limit is not None else 'all'} · {s.seed}"],
        ["embedder", s.embedder or "—"],
        ["git commit", s.git_commit or "—"],
        ["LLM cache", s.llm_cache or "off"],
        ["command", s.command or "—"],
    ]
    tables = [Table("Run", ["", ""], info)]
    summaries = run.summary.tasks if run.summary else []
    by_stage = {
        stage: [t for t in summaries if t.stage == stage]
        for stage in ("verification", "e2e", "retrieval", "extraction", "checkworthiness")
    }
    if by_stage["verification"]:
        tables.append(
            _metric_table(
                "Verification given evidence", by_stage["verification"], VERDICT_COLUMNS, "scored"
            )
        )
    if by_stage["e2e"]:
        tables.append(
            _metric_table(
                "End to end (retrieve + verify; scorable cases)",
                by_stage["e2e"],
                VERDICT_COLUMNS,
                "scored",
            )
        )
    tables += verdict_detail_tables(by_stage["verification"] + by_stage["e2e"])
    if by_stage["retrieval"]:
        names = {**MODE_NAMES, "hybrid": hybrid_name(s.retrieval)}
        rows = [
            [t.task, names[mode], fmt(int(t.metrics.get("queries") or 0))]
            + [fmt(t.metrics.get(f"{mode}.{k}")) for k, _ in RETRIEVAL_COLUMNS]
            for t in by_stage["retrieval"]
            for mode in MODE_NAMES
            if f"{mode}.recall@5" in t.metrics
        ]
        tables.append(
            Table(
                "Retrieval (documents ranked by their best chunk)",
                ["task", "mode", "queries", *[h for _, h in RETRIEVAL_COLUMNS]],
                rows,
            )
        )
    if by_stage["extraction"]:
        tables.append(
            _metric_table("Extraction", by_stage["extraction"], EXTRACTION_COLUMNS, "documents")
        )
    if by_stage["checkworthiness"]:
        tables.append(
            _metric_table(
                "Check-worthiness", by_stage["checkworthiness"], CHECKWORTHINESS_COLUMNS, "cases"
            )
        )
    if summaries:
        total = run.summary.usage if run.summary else None
        note = (
            f"{total.calls} LLM calls: {total.model_calls} to the model, {total.cache_hits} "
            f"answered from the cache; run wall time {run.summary.wall_seconds:.1f} s."
            if total and run.summary
            else None
        )
        for dataset, info in (run.summary.stores if run.summary else {}).items():
            how = (
                f"embedded in this run in {info.get('ingest_seconds')} s (included in the wall "
                "time)"
                if info.get("ingested_now")
                else "reused from the store cache"
            )
            note = f"{note} Corpus store {dataset}: {info.get('chunks')} chunks, {how}."
        tables.append(Table("Cost and speed", COST_HEADERS, [cost_row(t) for t in summaries], note))
    return tables


# --- a comparison ------------------------------------------------------------------------------


def status(delta: MetricDelta, tolerance: float) -> str:
    """REGRESSED / improved / no significant change, from the CI."""
    if delta.low is None or delta.high is None:
        return ""
    if delta.regressed(tolerance):
        return "REGRESSED"
    better = delta.low > 0 if delta.higher_is_better else delta.high < 0
    worse = delta.high < 0 if delta.higher_is_better else delta.low > 0
    if better:
        return "improved"
    return "worse, within tolerance" if worse else "no significant change"


def comparison_tables(cmp: Comparison) -> list[Table]:
    """Changes, gated deltas with CIs, other deltas, McNemar and flips, flipped cases, cost."""
    changes = [[f"prompt {k}", a or "—", b or "—"] for k, (a, b) in cmp.prompt_changes.items()]
    changes += [[k, str(a), str(b)] for k, (a, b) in cmp.other_changes.items()]
    verdict = cmp.verdict()
    tables = []
    warnings = cmp.warnings()
    if warnings:
        tables.append(
            Table(
                "WARNING: read this before trusting the comparison",
                ["", "warning"],
                [[str(i), w] for i, w in enumerate(warnings, start=1)],
                verdict,
            )
        )
    tables += [
        Table(
            "What changed (baseline → candidate)",
            ["", "baseline", "candidate"],
            changes or [["nothing", "", ""]],
            f"baseline {cmp.baseline.run_id} · candidate {cmp.candidate.run_id}. " + verdict,
        )
    ]
    gated = [d for t in cmp.tasks for d in t.deltas if d.gated]
    tables.append(
        Table(
            "Headline metrics: paired bootstrap 95% CI of candidate − baseline",
            ["task", "metric", "baseline", "candidate", "Δ", "95% CI", "status"],
            [
                [
                    d.task,
                    d.metric,
                    fmt(d.baseline),
                    fmt(d.candidate),
                    signed(d.delta),
                    f"[{signed(d.low)}, {signed(d.high)}]",
                    status(d, cmp.tolerance),
                ]
                for d in gated
            ],
            f"{N_RESAMPLES} paired resamples of the cases, seed 0; gate: a headline metric whose "
            f"whole CI lies below −{cmp.tolerance} fails the comparison.",
        )
    )
    other = [d for t in cmp.tasks for d in t.deltas if not d.gated and d.delta not in (None, 0.0)]
    if other:
        tables.append(
            Table(
                "Other metrics that changed (point estimates)",
                ["task", "metric", "baseline", "candidate", "Δ"],
                [
                    [d.task, d.metric, fmt(d.baseline), fmt(d.candidate), signed(d.delta)]
                    for d in other
                ],
            )
        )
    rows = []
    for t in cmp.tasks:
        mc = t.mcnemar
        rows.append(
            [
                t.task,
                fmt(t.paired),
                f"b={mc.b} c={mc.c} p={mc.p_value:.3g}" if mc else "—",
                *(
                    fmt(t.flips.get(k)) if t.flips else "—"
                    for k in (
                        "improved",
                        "regressed",
                        "changed_wrong",
                        "unchanged_correct",
                        "unchanged_wrong",
                    )
                ),
            ]
        )
    tables.append(
        Table(
            "Per-case changes (exact McNemar on correctness; b = baseline right & candidate wrong)",
            [
                "task",
                "paired",
                "McNemar",
                "improved",
                "regressed",
                "changed, still wrong",
                "both right",
                "both wrong, same",
            ],
            rows,
        )
    )
    flips = [(t.task, f) for t in cmp.tasks for f in t.flip_cases]
    if flips:
        tables.append(
            Table(
                "Flipped cases",
                ["task", "case", "claim / sentence", "gold", "baseline", "candidate", "change"],
                [
                    [
                        task,
                        f.case_id,
                        (f.text or "")[:160],
                        f.gold,
                        f.baseline,
                        f.candidate,
                        f.flip.value.replace("_", " "),
                    ]
                    for task, f in flips[:MAX_FLIP_ROWS]
                ],
                f"first {MAX_FLIP_ROWS} of {len(flips)}" if len(flips) > MAX_FLIP_ROWS else None,
            )
        )
    cost = []
    for t in cmp.tasks:
        a, b = t.baseline_summary, t.candidate_summary
        n = max(1, t.paired)
        cost.append(
            [
                t.task,
                f"{a.usage.model_calls / n:.2f} → {b.usage.model_calls / n:.2f}",
                f"{a.usage.cache_hits} / {b.usage.cache_hits}",
                f"{a.usage.prompt_tokens / n:.0f} → {b.usage.prompt_tokens / n:.0f}",
                f"{a.usage.completion_tokens / n:.0f} → {b.usage.completion_tokens / n:.0f}",
                " → ".join(fmt(x.metrics.get("seconds_per_case")) for x in (a, b)),
            ]
        )
    tables.append(
        Table(
            "Cost and latency (baseline → candidate, per case)",
            [
                "task",
                "model calls",
                "cache hits (A / B)",
                "prompt tokens",
                "completion tokens",
                "latency s",
            ],
            cost,
        )
    )
    return tables
