"""Per-task metrics from case records, using the pure functions of `metrics.py`.

Conventions: label metrics use only `scorable` cases; an ERROR prediction counts as wrong;
macro-F1 averages over the gold labels present in the task; calibration uses cases with a
confidence; citations are scored (micro) on cases whose gold label is SUPPORTED, REFUTED or
CONFLICTING; retrieval metrics skip cases without gold documents.
"""

from __future__ import annotations

from collections.abc import Sequence

from factcheck.evals import metrics as m
from factcheck.evals.datasets import LABELS
from factcheck.evals.matching import MATCH_THRESHOLD
from factcheck.evals.records import ERROR_LABEL, RERANKED, CaseRecord, CaseUsage, TaskSummary
from factcheck.evals.suites import Task

PRECISION_AT = (5, 10, 50)
PERTURBATIONS = "perturbations"
"""The dataset of number-perturbed claim pairs (`evals/build_perturbations.py`)."""
LOWER_IS_BETTER = {"ece", "brier", "error_rate", "citation_failure_rate", "seconds_per_case"}
"""Metrics where a decrease is an improvement (everything else: higher is better, except
`abstention_rate`, which has no better direction)."""


COMMITTED = ("SUPPORTED", "REFUTED", "CONFLICTING")
"""Verdicts that commit to an answer (NOT_ENOUGH_EVIDENCE abstains; ERROR is neither)."""


def label_order(labels: set[str]) -> list[str]:
    """Verdict labels in their canonical order, then any others (e.g. ERROR) sorted."""
    return [x for x in LABELS if x in labels] + sorted(labels - set(LABELS))


def spread_probabilities(pred: str, confidence: float) -> dict[str, float]:
    """The verifier's one confidence as a distribution: `confidence` on its verdict, the rest
    spread evenly over the other three verdicts (what Brier needs)."""
    others = [x for x in LABELS if x != pred]
    rest = (1.0 - confidence) / len(others)
    return {x: (confidence if x == pred else rest) for x in LABELS}


def reliability_bins(
    confidence: Sequence[float], correct: Sequence[bool], n_bins: int = 10
) -> list[tuple[float, float, int]]:
    """(mean confidence, accuracy, count) of each non-empty equal-width bin (as the ECE)."""
    bins: list[list[tuple[float, bool]]] = [[] for _ in range(n_bins)]
    for conf, ok in zip(confidence, correct, strict=True):
        bins[min(int(conf * n_bins), n_bins - 1)].append((conf, ok))
    return [
        (
            round(sum(c for c, _ in b) / len(b), 4),
            round(sum(ok for _, ok in b) / len(b), 4),
            len(b),
        )
        for b in bins
        if b
    ]


def verdict_metrics(cases: Sequence[CaseRecord]) -> tuple[dict[str, float | None], TaskSummary]:
    """Accuracy, F1s, abstention, calibration and citation metrics of verdict cases."""
    scored = [c for c in cases if c.scorable and c.gold is not None]
    out: dict[str, float | None] = {"scored": float(len(scored))}
    partial = TaskSummary(task="", stage="verification", dataset="", cases=len(cases))
    if not scored:
        return out, partial
    gold = [c.gold or "" for c in scored]
    pred = [c.pred or ERROR_LABEL for c in scored]
    labels = label_order(set(gold))
    out["accuracy"] = m.accuracy(gold, pred)
    out["macro_f1"] = m.macro_f1(gold, pred, labels)
    out["f1_refuted"] = m.f1_for_class(gold, pred) if "REFUTED" in labels else None
    out["abstention_rate"] = m.abstention_rate(pred)
    out["error_rate"] = sum(p == ERROR_LABEL for p in pred) / len(pred)
    partial.confusion = m.confusion_matrix(gold, pred, label_order(set(gold) | set(pred)))
    if "CONFLICTING" in labels:
        conflicting = m.per_class_scores(gold, pred, ["CONFLICTING"])["CONFLICTING"]
        out["precision_conflicting"] = conflicting.precision
        out["recall_conflicting"] = conflicting.recall
    committed = [p in COMMITTED for p in pred]
    curve = m.risk_coverage(
        [float(c.confidence or 0.0) for c in scored],
        [g == p for g, p in zip(gold, pred, strict=True)],
        committed,
    )
    out["coverage"], out["committed_precision"] = curve[0].coverage, curve[0].precision
    partial.risk_coverage = [
        (
            p.threshold,
            round(p.coverage, 6),
            None if p.precision is None else round(p.precision, 6),
            p.n,
        )
        for p in curve
    ]
    confident = [c for c in scored if c.confidence is not None and c.pred in LABELS]
    if confident:
        conf = [float(c.confidence or 0.0) for c in confident]
        ok = [bool(c.correct) for c in confident]
        out["ece"] = m.expected_calibration_error(conf, ok)
        out["brier"] = m.brier_score(
            [spread_probabilities(c.pred or "", float(c.confidence or 0.0)) for c in confident],
            [c.gold or "" for c in confident],
            LABELS,
        )
        partial.reliability = reliability_bins(conf, ok)
    citable = [c for c in scored if c.gold_ids and c.pred != ERROR_LABEL]
    if citable:
        precision, recall = m.micro_citation_precision_recall(
            [c.cited_ids for c in citable], [c.gold_ids for c in citable]
        )
        out["citation_precision"], out["citation_recall"] = precision, recall
    produced = sum(c.citations + c.rejected_citations for c in cases)
    out["citation_failure_rate"] = (
        sum(c.rejected_citations for c in cases) / produced if produced else None
    )
    return out, partial


def perturbation_metrics(cases: Sequence[CaseRecord]) -> dict[str, float | None]:
    """The number-perturbation set: `<id>:original` cases are gold SUPPORTED, their
    `<id>:perturbed-<k>` copies gold REFUTED (`evals/build_perturbations.py`).

    `perturbed_not_supported`: share of perturbed claims not labelled SUPPORTED (target ≥ 0.9);
    `original_supported`: share of the unperturbed claims labelled SUPPORTED; `pairs_flipped`:
    share of (original, perturbed copy) pairs with both, i.e. the verifier saw the change.
    """
    originals = {c.case_id.rsplit(":", 1)[0]: c for c in cases if c.gold == "SUPPORTED"}
    perturbed = [c for c in cases if c.gold == "REFUTED"]
    out: dict[str, float | None] = {"perturbed_not_supported": None, "original_supported": None}
    if perturbed:
        out["perturbed_not_supported"] = sum(c.pred != "SUPPORTED" for c in perturbed) / len(
            perturbed
        )
    if originals:
        supported = sum(c.pred == "SUPPORTED" for c in originals.values())
        out["original_supported"] = supported / len(originals)
    pairs = [
        (originals[key], c) for c in perturbed if (key := c.case_id.rsplit(":", 1)[0]) in originals
    ]
    out["pairs"] = float(len(pairs))
    if pairs:
        out["pairs_flipped"] = sum(
            o.pred == "SUPPORTED" and p.pred != "SUPPORTED" for o, p in pairs
        ) / len(pairs)
    return out


def retrieval_metrics(cases: Sequence[CaseRecord], modes: Sequence[str]) -> dict[str, float | None]:
    """recall@5, recall@10, MRR@10 (the ranking holds 10 documents) and nDCG@10 per mode."""
    scored = [c for c in cases if c.gold_docs and all(mode in c.retrieved for mode in modes)]
    out: dict[str, float | None] = {"queries": float(len(scored))}
    if not scored:
        return out
    gold = [c.gold_docs for c in scored]
    for mode in modes:
        ranked = [c.retrieved[mode] for c in scored]
        out[f"{mode}.recall@5"] = m.mean_recall_at_k(ranked, gold, 5)
        out[f"{mode}.recall@10"] = m.mean_recall_at_k(ranked, gold, 10)
        out[f"{mode}.mrr@10"] = m.mean_reciprocal_rank([r[:10] for r in ranked], gold)
        out[f"{mode}.ndcg@10"] = m.mean_ndcg_at_k(ranked, gold, 10)
    return out


def extraction_metrics(cases: Sequence[CaseRecord]) -> dict[str, float | None]:
    """Claim recall / precision / F1 (micro over documents) and quote anchoring."""
    details = [c.extraction for c in cases if c.extraction is not None]
    out: dict[str, float | None] = {
        "documents": float(len(details)),
        "error_rate": sum(c.error is not None for c in cases) / len(cases) if cases else None,
        "match_threshold": MATCH_THRESHOLD,
    }
    if not details:
        return out
    gold = sum(d.gold_checkworthy for d in details)
    extracted = sum(d.emitted for d in details)
    recall = sum(d.gold_matched for d in details) / gold if gold else 0.0
    precision = sum(d.extracted_matched for d in details) / extracted if extracted else 0.0
    out["claim_recall"], out["claim_precision"] = recall, precision
    out["claim_f1"] = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    out["claims_per_doc"] = extracted / len(details)
    proposed = sum(d.proposed for d in details)
    anchored = sum(d.anchored for d in details)
    out["anchoring_rate"] = anchored / proposed if proposed else None
    out["repaired_rate"] = sum(d.repaired for d in details) / anchored if anchored else None
    return out


def checkworthiness_metrics(cases: Sequence[CaseRecord]) -> dict[str, float | None]:
    """F1 / precision / recall of the check-worthy class, accuracy, precision@k by score."""
    scored = [c for c in cases if c.gold is not None]
    out: dict[str, float | None] = {}
    if not scored:
        return out
    gold = [c.gold or "" for c in scored]
    pred = [c.pred or ERROR_LABEL for c in scored]
    positive = m.per_class_scores(gold, pred, ["true"])["true"]
    out["f1"], out["precision"], out["recall"] = positive.f1, positive.precision, positive.recall
    out["accuracy"] = m.accuracy(gold, pred)
    out["error_rate"] = sum(p == ERROR_LABEL for p in pred) / len(pred)
    ranked = sorted(scored, key=lambda c: (-(c.score or 0.0), c.case_id))
    for k in PRECISION_AT:
        if len(ranked) >= k:
            out[f"precision@{k}"] = sum(c.gold == "true" for c in ranked[:k]) / k
    return out


def total_usage(cases: Sequence[CaseRecord]) -> CaseUsage:
    """Usage summed over cases."""
    total = CaseUsage()
    for case in cases:
        total.add(case.usage)
    return total


def summarize(task: Task, cases: Sequence[CaseRecord], wall_seconds: float) -> TaskSummary:
    """The task's metrics, plot data, usage and timings."""
    summary = TaskSummary(
        task=task.name,
        stage=task.stage,
        dataset=task.dataset,
        cases=len(cases),
        usage=total_usage(cases),
        wall_seconds=round(wall_seconds, 3),
        prompt_hashes=cases[0].prompt_hashes if cases else {},
    )
    if task.stage in ("verification", "e2e"):
        metrics, partial = verdict_metrics(cases)
        summary.confusion, summary.reliability = partial.confusion, partial.reliability
        summary.risk_coverage = partial.risk_coverage
        if task.dataset == PERTURBATIONS:
            metrics |= perturbation_metrics(cases)
        if task.stage == "e2e":
            metrics |= {
                f"evidence.{k}": v
                for k, v in retrieval_metrics(cases, ["shown"]).items()
                if k.endswith(("recall@5", "recall@10", "mrr@10"))
            }
    elif task.stage == "retrieval":
        modes = ["dense", "lexical", "hybrid"]
        if any(RERANKED in c.retrieved for c in cases):
            modes.append(RERANKED)
        metrics = retrieval_metrics(cases, modes)
    elif task.stage == "extraction":
        metrics = extraction_metrics(cases)
    else:
        metrics = checkworthiness_metrics(cases)
    if cases:
        metrics["seconds_per_case"] = sum(c.seconds for c in cases) / len(cases)
    summary.metrics = {k: (round(v, 6) if isinstance(v, float) else v) for k, v in metrics.items()}
    return summary
