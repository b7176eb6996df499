"""Metric functions against hand-computed examples (arithmetic in the comments)."""

import math

import pytest

from factcheck.evals import metrics as m

S, R, N, C = "SUPPORTED", "REFUTED", "NOT_ENOUGH_EVIDENCE", "CONFLICTING"


# --- retrieval ---------------------------------------------------------------------------


def test_recall_at_k_dedupes_and_counts_relevant() -> None:
    ranked = ["d3", "d1", "d2", "d1", "d5"]  # after dedupe: d3 d1 d2 d5
    relevant = {"d1", "d5"}
    assert m.recall_at_k(ranked, relevant, 1) == 0.0  # {d3} ∩ R = ∅
    assert m.recall_at_k(ranked, relevant, 2) == 0.5  # {d3, d1}: 1 of 2
    assert m.recall_at_k(ranked, relevant, 4) == 1.0  # d5 is 4th once the repeat is dropped
    assert m.recall_at_k([], relevant, 5) == 0.0


def test_reciprocal_rank_and_mrr() -> None:
    assert m.reciprocal_rank(["x", "d1"], {"d1"}) == 0.5  # first hit at rank 2
    assert m.reciprocal_rank(["x", "y"], {"d1"}) == 0.0
    # (1/2 + 1/1 + 0) / 3 = 0.5
    assert m.mean_reciprocal_rank([["x", "a"], ["a"], ["x"]], [{"a"}, {"a"}, {"a"}]) == 0.5


def test_ndcg_binary() -> None:
    # DCG = 1/log2(3) + 1/log2(4) = 0.630930 + 0.5 = 1.130930 (hits at ranks 2 and 3)
    # IDCG = 1/log2(2) + 1/log2(3) + 1/log2(4) = 1 + 0.630930 + 0.5 = 2.130930 (3 relevant, k=3)
    expected = (1 / math.log2(3) + 0.5) / (1 + 1 / math.log2(3) + 0.5)
    assert m.ndcg_at_k(["a", "b", "c"], {"b", "c", "z"}, 3) == pytest.approx(expected)
    assert expected == pytest.approx(0.530721, abs=1e-6)
    assert m.ndcg_at_k(["b", "a"], {"b"}, 2) == 1.0
    # ideal is capped at k: one relevant at rank 1 with k=1 → 1/1
    assert m.ndcg_at_k(["b"], {"b", "c"}, 1) == 1.0
    # mean over two queries: (1 + 0) / 2
    assert m.mean_ndcg_at_k([["b"], ["x"]], [{"b"}, {"b"}], 1) == 0.5
    assert m.mean_recall_at_k([["b"], ["x"]], [{"b"}, {"b"}], 1) == 0.5


def test_retrieval_conventions() -> None:
    with pytest.raises(ValueError, match="no relevant"):
        m.recall_at_k(["a"], set(), 1)
    with pytest.raises(ValueError, match="k must be"):
        m.ndcg_at_k(["a"], {"a"}, 0)
    with pytest.raises(ValueError, match="no queries"):
        m.mean_reciprocal_rank([], [])
    with pytest.raises(ValueError, match="length mismatch"):
        m.mean_recall_at_k([["a"]], [], 1)


# --- classification ----------------------------------------------------------------------

GOLD = [S, S, R, R, R, N]
PRED = [S, R, R, S, R, R]


def test_accuracy() -> None:
    assert m.accuracy([S, R, N, R], [S, N, N, R]) == 0.75  # 3 of 4
    with pytest.raises(ValueError, match="no cases"):
        m.accuracy([], [])
    with pytest.raises(ValueError, match="length mismatch"):
        m.accuracy([S], [S, R])


def test_per_class_scores_by_hand() -> None:
    scores = m.per_class_scores(GOLD, PRED)
    # SUPPORTED: tp=1 (case 0); predicted S at cases 0, 3 → P = 1/2; gold S = 2 → R = 1/2; F1 = 1/2
    assert scores[S] == pytest.approx((0.5, 0.5, 0.5, 2))
    # REFUTED: tp=2 (cases 2, 4); predicted R at 1, 2, 4, 5 → P = 2/4; gold R = 3 → R = 2/3
    # F1 = 2 · (1/2)(2/3) / (1/2 + 2/3) = (2/3) / (7/6) = 4/7
    assert scores[R] == pytest.approx((0.5, 2 / 3, 4 / 7, 3))
    # NOT_ENOUGH_EVIDENCE: never predicted → P = 0/0 → 0.0 by convention; R = 0/1; F1 = 0
    assert scores[N] == (0.0, 0.0, 0.0, 1)
    # macro over the 3 labels seen: (1/2 + 4/7 + 0) / 3 = (15/14) / 3 = 5/14
    assert m.macro_f1(GOLD, PRED) == pytest.approx(5 / 14)
    # with CONFLICTING in the label set it scores 0 and the mean is (15/14) / 4 = 15/56
    assert m.macro_f1(GOLD, PRED, labels=[S, R, N, C]) == pytest.approx(15 / 56)
    assert m.f1_for_class(GOLD, PRED) == pytest.approx(4 / 7)  # default class REFUTED
    assert m.f1_for_class(GOLD, PRED, S) == pytest.approx(0.5)


def test_confusion_matrix() -> None:
    cm = m.confusion_matrix(GOLD, PRED, labels=[S, R, N])
    assert cm == {
        S: {S: 1, R: 1, N: 0},
        R: {S: 1, R: 2, N: 0},
        N: {S: 0, R: 1, N: 0},
    }
    assert sum(sum(row.values()) for row in cm.values()) == len(GOLD)
    with pytest.raises(ValueError, match="label outside"):
        m.confusion_matrix([S], ["ERROR"], labels=[S, R])


def test_failed_predictions_count_as_wrong() -> None:
    gold, pred = [S, R], ["ERROR", R]
    assert m.accuracy(gold, pred) == 0.5
    # S: never predicted → F1 0; R: P = R = 1 → F1 1; macro = 1/2. ERROR is no class's FP.
    assert m.macro_f1(gold, pred, labels=[S, R]) == 0.5


def test_abstention_rate() -> None:
    assert m.abstention_rate([N, S, N, R]) == 0.5
    assert m.abstention_rate([N, C, S], abstain_labels={N, C}) == pytest.approx(2 / 3)
    with pytest.raises(ValueError):
        m.abstention_rate([])


# --- citations ---------------------------------------------------------------------------


def test_citation_precision_recall() -> None:
    # cited {a, b, c}, gold {b, d}: 1 hit → P = 1/3, R = 1/2; duplicates count once
    assert m.citation_precision(["a", "b", "c", "b"], {"b", "d"}) == pytest.approx(1 / 3)
    assert m.citation_recall(["a", "b", "c"], {"b", "d"}) == 0.5
    assert m.citation_precision([], {"b"}) == 0.0  # nothing cited: 0/0 → 0.0
    assert m.citation_recall(["a"], []) == 0.0  # no gold: 0/0 → 0.0
    # micro: hits 1 + 0 = 1; Σ|cited| = 2 + 1 = 3; Σ|gold| = 1 + 2 = 3 → (1/3, 1/3)
    p, r = m.micro_citation_precision_recall([["a", "b"], ["c"]], [["b"], ["d", "e"]])
    assert (p, r) == pytest.approx((1 / 3, 1 / 3))


# --- calibration -------------------------------------------------------------------------


def test_ece_equal_width_bins() -> None:
    # 10 bins. 0.9 → bin 9 (acc 1, conf 0.9); 0.8 → bin 8 (acc 0, conf 0.8);
    # 0.3, 0.35 → bin 3 (acc 1/2, conf 0.325).
    # ECE = 1/4·|1 − 0.9| + 1/4·|0 − 0.8| + 2/4·|0.5 − 0.325| = 0.025 + 0.2 + 0.0875 = 0.3125
    ece = m.expected_calibration_error([0.9, 0.8, 0.3, 0.35], [True, False, False, True])
    assert ece == pytest.approx(0.3125)
    assert m.expected_calibration_error([1.0, 1.0], [True, True]) == 0.0  # 1.0 is in the last bin
    # 2 bins: [0, .5) holds 0.3 (wrong) → |0 − .3|; [.5, 1] holds 0.6 (right) → |1 − .6|
    # ECE = 1/2·0.3 + 1/2·0.4 = 0.35
    assert m.expected_calibration_error([0.3, 0.6], [False, True], n_bins=2) == pytest.approx(0.35)
    with pytest.raises(ValueError, match="outside"):
        m.expected_calibration_error([1.2], [True])
    with pytest.raises(ValueError):
        m.expected_calibration_error([], [])


def test_brier_multiclass() -> None:
    labels = [S, R, N]
    # case 1 (gold S): (0.7 − 1)² + 0.2² + 0.1² = 0.09 + 0.04 + 0.01 = 0.14
    # case 2 (gold R, all mass on S): (1 − 0)² + (0 − 1)² + 0² = 2
    # mean = (0.14 + 2) / 2 = 1.07
    probs = [{S: 0.7, R: 0.2, N: 0.1}, {S: 1.0}]
    assert m.brier_score(probs, [S, R], labels) == pytest.approx(1.07)
    assert m.brier_score([{S: 1.0}], [S], labels) == 0.0
    with pytest.raises(ValueError, match="label outside"):
        m.brier_score([{"X": 1.0}], [S], labels)
    with pytest.raises(ValueError, match="outside"):
        m.brier_score([{S: 1.5}], [S], labels)


# --- selective prediction ----------------------------------------------------------------


def test_risk_coverage_hand_computed() -> None:
    # 5 cases; case 3 abstained (not committed), whatever its confidence.
    conf = [0.95, 0.55, 0.99, 0.72, 0.61]
    correct = [True, False, True, True, False]
    committed = [True, True, False, True, True]
    points = m.risk_coverage(conf, correct, committed, thresholds=(0.0, 0.6, 0.7, 0.96))
    # t=0:    cases 1,2,4,5 → 4/5 covered, correct 1,4 → 2/4
    assert points[0] == m.CoveragePoint(0.0, 0.8, 0.5, 4)
    # t=0.6:  cases 1 (0.95), 4 (0.72), 5 (0.61) → 3/5, correct 1,4 → 2/3
    assert points[1].coverage == pytest.approx(0.6) and points[1].n == 3
    assert points[1].precision == pytest.approx(2 / 3)
    # t=0.7:  cases 1, 4 → 2/5, both correct
    assert points[2] == m.CoveragePoint(0.7, 0.4, 1.0, 2)
    # t=0.96: only case 3 is that confident, and it abstained → nothing committed
    assert points[3] == m.CoveragePoint(0.96, 0.0, None, 0)


def test_risk_coverage_default_thresholds_and_errors() -> None:
    points = m.risk_coverage([0.5], [True], [True])
    assert [p.threshold for p in points] == [0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95]
    assert [p.n for p in points] == [1, 1, 0, 0, 0, 0, 0]
    with pytest.raises(ValueError):
        m.risk_coverage([], [], [])
    with pytest.raises(ValueError):
        m.risk_coverage([0.5], [True], [True, False])


def test_average_precision_by_hand():
    from factcheck.evals.metrics import average_precision

    # ranking by score: pos (1/1), neg, pos (2/3) → (1 + 2/3) / 2
    assert average_precision([1, 0, 1], [0.9, 0.8, 0.7]) == pytest.approx((1 + 2 / 3) / 2)
    assert average_precision([0, 0], [0.5, 0.4]) == 0.0
