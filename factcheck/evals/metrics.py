"""Pure metric functions for the evals harness.

Labels are plain strings (``SUPPORTED``, ``REFUTED``, ``NOT_ENOUGH_EVIDENCE``, ``CONFLICTING``);
a harness that records a failed case should map it to a string outside the label set (e.g.
``"ERROR"``) so that it counts as wrong, and pass ``labels=`` explicitly.

Conventions, the same in every function:

* **Empty input** (no cases, or no queries) raises ``ValueError``: a score of nothing is a caller
  bug, not a number. Sequences that must be paired must have equal lengths (``ValueError``).
* **Zero division** inside precision, recall and F1 (a class never predicted, never in the gold
  labels, nothing cited, nothing gold) gives ``0.0``, as scikit-learn's ``zero_division=0``.
* **Retrieval** metrics are per query; a query with no relevant ids raises ``ValueError`` (skip
  such cases; their score would be meaningless). A retrieved id repeated later in the ranking is
  ignored after its first occurrence.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import NamedTuple

FALSE_CLASS = "REFUTED"
"""The class whose F1 is reported separately: false claims are the minority and the point."""

ABSTAIN_LABELS: tuple[str, ...] = ("NOT_ENOUGH_EVIDENCE",)


def _check_paired(a: Sequence[object], b: Sequence[object], what: str = "cases") -> int:
    if len(a) != len(b):
        raise ValueError(f"length mismatch: {len(a)} vs {len(b)} {what}")
    if len(a) == 0:
        raise ValueError(f"no {what} to score")
    return len(a)


def _ratio(num: float, den: float) -> float:
    """num / den, or 0.0 when den is 0 (the zero-division convention)."""
    return num / den if den else 0.0


# --- retrieval ---------------------------------------------------------------------------


def _dedupe(ids: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(ids))


def _check_query(relevant: Collection[str], k: int | None = None) -> None:
    if len(relevant) == 0:
        raise ValueError("query has no relevant ids; skip it")
    if k is not None and k < 1:
        raise ValueError(f"k must be >= 1, got {k}")


def recall_at_k(retrieved: Sequence[str], relevant: Collection[str], k: int) -> float:
    """Fraction of the relevant ids found in the first k retrieved: |top-k ∩ R| / |R|."""
    _check_query(relevant, k)
    rel = set(relevant)
    return len(rel.intersection(_dedupe(retrieved)[:k])) / len(rel)


def reciprocal_rank(retrieved: Sequence[str], relevant: Collection[str]) -> float:
    """1 / (1-based rank of the first relevant id), or 0.0 if none is retrieved."""
    _check_query(relevant)
    rel = set(relevant)
    for rank, doc_id in enumerate(_dedupe(retrieved), start=1):
        if doc_id in rel:
            return 1.0 / rank
    return 0.0


def ndcg_at_k(retrieved: Sequence[str], relevant: Collection[str], k: int) -> float:
    """nDCG@k with binary relevance: DCG = Σ_{i≤k} rel_i / log2(i + 1), over the ideal DCG."""
    _check_query(relevant, k)
    rel = set(relevant)
    dcg = sum(
        1.0 / math.log2(rank + 1)
        for rank, doc_id in enumerate(_dedupe(retrieved)[:k], start=1)
        if doc_id in rel
    )
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(k, len(rel)) + 1))
    return dcg / ideal


def _mean_over_queries(values: list[float]) -> float:
    if len(values) == 0:
        raise ValueError("no queries to score")
    return sum(values) / len(values)


def mean_recall_at_k(
    retrieved: Sequence[Sequence[str]], relevant: Sequence[Collection[str]], k: int
) -> float:
    """Mean of `recall_at_k` over queries."""
    _check_paired(retrieved, relevant, "queries")
    return _mean_over_queries(
        [recall_at_k(r, g, k) for r, g in zip(retrieved, relevant, strict=True)]
    )


def mean_reciprocal_rank(
    retrieved: Sequence[Sequence[str]], relevant: Sequence[Collection[str]]
) -> float:
    """MRR: mean of `reciprocal_rank` over queries."""
    _check_paired(retrieved, relevant, "queries")
    return _mean_over_queries(
        [reciprocal_rank(r, g) for r, g in zip(retrieved, relevant, strict=True)]
    )


def mean_ndcg_at_k(
    retrieved: Sequence[Sequence[str]], relevant: Sequence[Collection[str]], k: int
) -> float:
    """Mean of `ndcg_at_k` over queries."""
    _check_paired(retrieved, relevant, "queries")
    return _mean_over_queries(
        [ndcg_at_k(r, g, k) for r, g in zip(retrieved, relevant, strict=True)]
    )


# --- classification ----------------------------------------------------------------------


class ClassScores(NamedTuple):
    """Precision, recall and F1 of one class; support is its number of gold cases."""

    precision: float
    recall: float
    f1: float
    support: int


def _labels(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str] | None) -> list[str]:
    """The given labels, or by default the sorted union of gold and predicted labels."""
    if labels is not None:
        return list(labels)
    return sorted(set(gold) | set(pred))


def accuracy(gold: Sequence[str], pred: Sequence[str]) -> float:
    """Fraction of cases whose prediction equals the gold label."""
    n = _check_paired(gold, pred)
    return sum(g == p for g, p in zip(gold, pred, strict=True)) / n


def confusion_matrix(
    gold: Sequence[str], pred: Sequence[str], labels: Sequence[str] | None = None
) -> dict[str, dict[str, int]]:
    """Counts as ``matrix[gold_label][predicted_label]``, every label a row and a column.

    With ``labels`` given, a gold or predicted label outside it raises ``ValueError``.
    """
    _check_paired(gold, pred)
    labs = _labels(gold, pred, labels)
    matrix = {g: dict.fromkeys(labs, 0) for g in labs}
    for g, p in zip(gold, pred, strict=True):
        if g not in matrix or p not in matrix:
            raise ValueError(f"label outside {labs}: gold {g!r}, predicted {p!r}")
        matrix[g][p] += 1
    return matrix


def per_class_scores(
    gold: Sequence[str], pred: Sequence[str], labels: Sequence[str] | None = None
) -> dict[str, ClassScores]:
    """Precision, recall, F1 and support per label (zero division → 0.0).

    Predictions outside ``labels`` (e.g. ``"ERROR"``) are wrong for their gold class and are
    nobody's false positive.
    """
    _check_paired(gold, pred)
    out: dict[str, ClassScores] = {}
    for label in _labels(gold, pred, labels):
        tp = sum(g == label and p == label for g, p in zip(gold, pred, strict=True))
        n_pred = sum(p == label for p in pred)
        n_gold = sum(g == label for g in gold)
        precision = _ratio(tp, n_pred)
        recall = _ratio(tp, n_gold)
        out[label] = ClassScores(
            precision, recall, _ratio(2 * precision * recall, precision + recall), n_gold
        )
    return out


def f1_for_class(gold: Sequence[str], pred: Sequence[str], label: str = FALSE_CLASS) -> float:
    """F1 of one class (default REFUTED, the "false claims" class)."""
    return per_class_scores(gold, pred, [label])[label].f1


def macro_f1(
    gold: Sequence[str], pred: Sequence[str], labels: Sequence[str] | None = None
) -> float:
    """Unweighted mean of per-class F1 over ``labels`` (default: labels seen in gold or pred).

    Pass the dataset's label set explicitly: a label that never occurs scores 0.0 and drags the
    mean down, and the default lets a stray prediction add a class.
    """
    scores = per_class_scores(gold, pred, labels)
    if not scores:
        raise ValueError("no labels to average over")
    return sum(s.f1 for s in scores.values()) / len(scores)


def abstention_rate(pred: Sequence[str], abstain_labels: Collection[str] = ABSTAIN_LABELS) -> float:
    """Fraction of predictions that decline to decide (default: NOT_ENOUGH_EVIDENCE)."""
    if len(pred) == 0:
        raise ValueError("no cases to score")
    return sum(p in abstain_labels for p in pred) / len(pred)


# --- citations ---------------------------------------------------------------------------


def citation_precision(cited: Collection[str], gold: Collection[str]) -> float:
    """Share of distinct cited sentence ids that are gold rationale ids (nothing cited → 0.0)."""
    cited_set = set(cited)
    return _ratio(len(cited_set & set(gold)), len(cited_set))


def citation_recall(cited: Collection[str], gold: Collection[str]) -> float:
    """Share of the gold rationale ids that are cited (no gold ids → 0.0; skip such cases)."""
    gold_set = set(gold)
    return _ratio(len(gold_set & set(cited)), len(gold_set))


def micro_citation_precision_recall(
    cited: Sequence[Collection[str]], gold: Sequence[Collection[str]]
) -> tuple[float, float]:
    """Citation (precision, recall) pooled over cases: Σ|C∩G| / Σ|C| and Σ|C∩G| / Σ|G|."""
    _check_paired(cited, gold)
    hits = sum(len(set(c) & set(g)) for c, g in zip(cited, gold, strict=True))
    return (
        _ratio(hits, sum(len(set(c)) for c in cited)),
        _ratio(hits, sum(len(set(g)) for g in gold)),
    )


# --- calibration -------------------------------------------------------------------------


def expected_calibration_error(
    confidence: Sequence[float], correct: Sequence[bool], n_bins: int = 10
) -> float:
    """Top-label ECE with equal-width bins: Σ_b (n_b / N) · |accuracy_b − mean confidence_b|.

    ``confidence[i]`` is the probability the system gave its predicted label, in [0, 1];
    ``correct[i]`` whether that label was right. Bin b covers [b/n_bins, (b+1)/n_bins), the last
    bin also includes 1.0; empty bins contribute nothing.
    """
    n = _check_paired(confidence, correct)
    if n_bins < 1:
        raise ValueError(f"n_bins must be >= 1, got {n_bins}")
    bins: list[list[tuple[float, bool]]] = [[] for _ in range(n_bins)]
    for conf, ok in zip(confidence, correct, strict=True):
        if not 0.0 <= conf <= 1.0:
            raise ValueError(f"confidence {conf} outside [0, 1]")
        bins[min(int(conf * n_bins), n_bins - 1)].append((conf, ok))
    ece = 0.0
    for members in bins:
        if members:
            acc = sum(ok for _, ok in members) / len(members)
            mean_conf = sum(c for c, _ in members) / len(members)
            ece += len(members) / n * abs(acc - mean_conf)
    return ece


def brier_score(
    probabilities: Sequence[Mapping[str, float]], gold: Sequence[str], labels: Sequence[str]
) -> float:
    """Multi-class Brier score (Brier 1950): mean over cases of Σ_k (p_k − y_k)², in [0, 2].

    ``probabilities[i]`` maps labels to probabilities; a label it omits has probability 0. The
    probabilities are not renormalised (normalise them before calling if needed). Lower is
    better; a one-hot correct forecast scores 0, a one-hot wrong one 2.
    """
    n = _check_paired(probabilities, gold)
    label_set = set(labels)
    total = 0.0
    for probs, g in zip(probabilities, gold, strict=True):
        if g not in label_set or not set(probs) <= label_set:
            raise ValueError(f"label outside {list(labels)}: gold {g!r}, given {sorted(probs)}")
        for label in labels:
            p = probs.get(label, 0.0)
            if not 0.0 <= p <= 1.0:
                raise ValueError(f"probability {p} outside [0, 1]")
            total += (p - (1.0 if label == g else 0.0)) ** 2
    return total / n


# --- selective prediction ----------------------------------------------------------------

RISK_COVERAGE_THRESHOLDS: tuple[float, ...] = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95)
"""Confidence thresholds of the risk–coverage curve (0.0: every committed verdict)."""


class CoveragePoint(NamedTuple):
    """One point of a risk–coverage curve."""

    threshold: float
    coverage: float
    """Share of all cases with a committed verdict whose confidence is ≥ threshold."""
    precision: float | None
    """Share of those verdicts that are correct; None when there are none."""
    n: int
    """How many verdicts that is."""


def risk_coverage(
    confidences: Sequence[float],
    correct: Sequence[bool],
    committed: Sequence[bool],
    thresholds: Sequence[float] = RISK_COVERAGE_THRESHOLDS,
) -> list[CoveragePoint]:
    """Precision of committed verdicts, and the share of cases they cover, per threshold.

    A case counts at threshold t when ``committed[i]`` (the system gave a verdict rather than
    abstaining: SUPPORTED / REFUTED / CONFLICTING) and ``confidences[i] >= t``. Coverage is over
    *all* cases, so abstentions lower it; precision is over the counted cases only (None when
    there are none — a precision of nothing is not 0).
    """
    n_all = _check_paired(confidences, correct)
    _check_paired(confidences, committed)
    points = []
    for t in thresholds:
        kept = [
            ok
            for conf, ok, c in zip(confidences, correct, committed, strict=True)
            if c and conf >= t
        ]
        precision = sum(kept) / len(kept) if kept else None
        points.append(CoveragePoint(t, len(kept) / n_all, precision, len(kept)))
    return points


def average_precision(labels: Sequence[int], scores: Sequence[float]) -> float:
    """AP of the ranking by score (ties keep input order), as the CheckThat! 2019 scorer:
    the mean of precision at each positive's rank (0 when there is no positive)."""
    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    hits, total = 0, 0.0
    for rank, i in enumerate(order, start=1):
        if labels[i]:
            hits += 1
            total += hits / rank
    return total / hits if hits else 0.0
