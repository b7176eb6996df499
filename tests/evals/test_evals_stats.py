"""Paired bootstrap, exact McNemar and flip classification."""

import time

import numpy as np
import pytest

from factcheck.evals import metrics, stats
from factcheck.evals.stats import Flip

S, R, N = "SUPPORTED", "REFUTED", "NOT_ENOUGH_EVIDENCE"


def mean_rows(correct: np.ndarray) -> np.ndarray:
    """Vectorised accuracy: one value per resample row."""
    return correct.mean(axis=-1)


# --- McNemar -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("b", "c", "expected"),
    [
        # n = 10: 2 · (C(10,0) + C(10,1)) / 2¹⁰ = 2 · 11 / 1024 = 0.021484375
        (1, 9, 0.021484375),
        (9, 1, 0.021484375),
        # n = 10: 2 · 1 / 1024
        (0, 10, 0.001953125),
        # n = 15: 2 · (1 + 15 + 105 + 455) / 2¹⁵ = 1152 / 32768 = 0.03515625
        (3, 12, 0.03515625),
        # b = c: the doubled tail exceeds 1 → capped at 1
        (5, 5, 1.0),
        # no discordant pairs → no evidence of a difference
        (0, 0, 1.0),
        # n = 1: 2 · 1/2 = 1
        (0, 1, 1.0),
    ],
)
def test_mcnemar_exact_known_values(b: int, c: int, expected: float) -> None:
    assert stats.mcnemar_exact(b, c).p_value == pytest.approx(expected, rel=1e-12)


def test_mcnemar_large_n_is_finite() -> None:
    # 2**n overflows a float for n > 1023; the exact integer ratio must not.
    result = stats.mcnemar_exact(900, 1100)
    assert 0.0 < result.p_value < 1e-4


def test_mcnemar_from_correct() -> None:
    a = [True, True, False, False, True]
    b = [True, False, True, True, True]
    result = stats.mcnemar_from_correct(a, b)  # A-only right: case 1; B-only right: cases 2, 3
    assert (result.b, result.c) == (1, 2)
    with pytest.raises(ValueError):
        stats.mcnemar_exact(-1, 2)


# --- flips -------------------------------------------------------------------------------


def test_classify_flips_all_kinds() -> None:
    gold = [S, S, R, R, N]
    a = [R, S, N, S, S]
    b = [S, R, S, S, N]
    assert stats.classify_flips(gold, a, b) == [
        Flip.IMPROVED,  # A wrong → B right
        Flip.REGRESSED,  # A right → B wrong
        Flip.CHANGED_WRONG,  # N → S, both wrong
        Flip.UNCHANGED_WRONG,  # S → S, both wrong
        Flip.IMPROVED,
    ]
    assert stats.classify_flip(S, S, S) is Flip.UNCHANGED_CORRECT
    counts = stats.flip_counts(stats.classify_flips(gold, a, b))
    assert counts[Flip.IMPROVED] == 2 and counts[Flip.UNCHANGED_CORRECT] == 0
    assert sum(counts.values()) == len(gold)
    with pytest.raises(ValueError):
        stats.classify_flips([S], [S, S], [S])


# --- bootstrap ---------------------------------------------------------------------------


def test_bootstrap_reproducible_with_seed() -> None:
    rng = np.random.default_rng(1)
    a = rng.random(200) < 0.6
    b = rng.random(200) < 0.7

    def run(seed: int) -> stats.BootstrapResult:
        return stats.paired_bootstrap_ci(
            mean_rows, [a], [b], n_resamples=300, seed=seed, vectorized=True
        )

    assert run(7) == run(7)
    assert run(7) != run(8)
    result = run(7)
    assert result.difference == pytest.approx(b.mean() - a.mean())
    assert result.low <= result.difference <= result.high


def test_bootstrap_vectorised_matches_loop() -> None:
    # Same seed → same resample indices, so the loop and the vectorised path agree exactly.
    rng = np.random.default_rng(2)
    a = (rng.random(50) < 0.5).astype(float)
    b = (rng.random(50) < 0.6).astype(float)
    loop = stats.paired_bootstrap_ci(lambda x: float(x.mean()), [a], [b], n_resamples=200, seed=3)
    vec = stats.paired_bootstrap_ci(mean_rows, [a], [b], n_resamples=200, seed=3, vectorized=True)
    assert loop.low == pytest.approx(vec.low) and loop.high == pytest.approx(vec.high)
    assert loop.difference == pytest.approx(vec.difference)


def test_bootstrap_macro_f1_and_identical_systems() -> None:
    gold = np.array([S, S, R, R, R, N, N, S, R, N] * 3)
    pred_a = np.array([S, R, R, S, R, R, N, S, N, N] * 3)
    pred_b = np.array([S, S, R, R, R, N, S, S, R, N] * 3)
    result = stats.paired_bootstrap_ci(
        metrics.macro_f1, [gold, pred_a], [gold, pred_b], n_resamples=200, seed=0
    )
    assert result.difference == pytest.approx(
        metrics.macro_f1(gold, pred_b) - metrics.macro_f1(gold, pred_a)
    )
    assert result.low <= result.difference <= result.high
    same = stats.paired_bootstrap_ci(
        metrics.macro_f1, [gold, pred_a], [gold, pred_a], n_resamples=50, seed=0
    )
    assert (same.difference, same.low, same.high) == (0.0, 0.0, 0.0)
    assert not same.excludes_zero()


def test_bootstrap_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="same length"):
        stats.paired_bootstrap_ci(mean_rows, [np.ones(3)], [np.ones(4)], vectorized=True)
    with pytest.raises(ValueError, match="no cases"):
        stats.paired_bootstrap_ci(mean_rows, [np.ones(0)], [np.ones(0)], vectorized=True)
    with pytest.raises(ValueError, match="confidence"):
        stats.paired_bootstrap_ci(mean_rows, [np.ones(3)], [np.ones(3)], confidence=1.0)


def test_bootstrap_coverage_simulation() -> None:
    """95% CIs cover the true accuracy difference in about 95% of repeated experiments.

    Two fake systems with per-case accuracies 0.70 and 0.78 (true difference 0.08) are run on
    N = 400 cases, 200 times. Their errors are positively correlated, as real systems' are: for
    half of the cases both draw from one shared uniform (a shared "difficulty"), for the other
    half independently, which leaves the marginal accuracies exact. Each repetition gets a
    paired bootstrap CI with 400 resamples.

    Tolerance band 0.88–0.99: with 200 repetitions the observed coverage of a true-95% procedure
    has standard error √(0.95·0.05/200) ≈ 0.015, so 0.92–0.98 is ±2 SE. The percentile bootstrap
    slightly under-covers at finite N, and 400 resamples add Monte Carlo noise to the
    percentiles, so the lower bound allows ~4.5 SE; the upper bound (≈ +2.6 SE) catches
    intervals that are grossly too wide. The seeds are fixed, so the test is deterministic.

    Coverage alone barely tells a paired interval from one that ignores the pairing (that one
    covers ~99% here), so the mean width is also checked against the paired normal theory:
    P(both right) = 0.5·0.70 + 0.5·0.70·0.78 = 0.623, cov = 0.623 − 0.546 = 0.077,
    var(b − a) = 0.21 + 0.1716 − 2·0.077 = 0.2276, SE = √(0.2276/400) = 0.02385,
    width ≈ 2·1.96·SE = 0.0935 (unpaired: 2·1.96·√((0.21 + 0.1716)/400) = 0.121).
    """
    p_a, p_b, n_cases, reps = 0.70, 0.78, 400, 200
    true_diff = p_b - p_a
    rng = np.random.default_rng(20261127)
    start = time.perf_counter()
    covered = 0
    widths = []
    for rep in range(reps):
        shared = rng.random(n_cases)
        use_shared = rng.random(n_cases) < 0.5
        u_a = np.where(use_shared, shared, rng.random(n_cases))
        u_b = np.where(use_shared, shared, rng.random(n_cases))
        correct_a, correct_b = u_a < p_a, u_b < p_b
        ci = stats.paired_bootstrap_ci(
            mean_rows, [correct_a], [correct_b], n_resamples=400, seed=rep, vectorized=True
        )
        covered += ci.low <= true_diff <= ci.high
        widths.append(ci.high - ci.low)
    coverage = covered / reps
    assert 0.88 <= coverage <= 0.99, coverage
    assert float(np.mean(widths)) == pytest.approx(0.0935, rel=0.08)
    assert time.perf_counter() - start < 20.0
