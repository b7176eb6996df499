"""Paired comparisons of two systems on the same cases.

* `paired_bootstrap_ci` — percentile bootstrap CI for metric(B) − metric(A), any metric.
* `mcnemar_exact` — exact two-sided McNemar test on the discordant pairs.
* `classify_flips` — per-case improved / regressed / changed-but-still-wrong / unchanged.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import ArrayLike, NDArray

Metric = Callable[..., float]
"""metric(*per_case_arrays) → float, e.g. ``lambda gold, pred: macro_f1(gold, pred)``."""
VectorMetric = Callable[..., NDArray[np.float64]]
"""metric(*arrays of shape (R, n)) → array of shape (R,): one value per resample row."""


@dataclass(frozen=True)
class BootstrapResult:
    """Observed difference metric(B) − metric(A) and its percentile confidence interval."""

    difference: float
    low: float
    high: float
    confidence: float
    n_resamples: int
    seed: int

    def excludes_zero(self) -> bool:
        """True when the whole interval lies on one side of 0."""
        return self.low > 0.0 or self.high < 0.0


def _as_arrays(arrays: Sequence[ArrayLike]) -> list[NDArray[np.generic]]:
    return [np.asarray(a) for a in arrays]


def paired_bootstrap_ci(
    metric: Metric | VectorMetric,
    arrays_a: Sequence[ArrayLike],
    arrays_b: Sequence[ArrayLike],
    *,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
    vectorized: bool = False,
) -> BootstrapResult:
    """Paired percentile-bootstrap CI for metric(B) − metric(A) on the same n cases.

    ``arrays_a`` / ``arrays_b`` are the per-case arrays the metric takes for each system (e.g.
    ``(gold, pred_a)`` and ``(gold, pred_b)``), each of length n and aligned by case. Every
    resample draws n case indices with replacement (``numpy.random.default_rng(seed)``) and
    applies the *same* indices to both systems, so the case-to-case correlation is kept; the
    metric is recomputed on each resample (hence macro-F1 works, not just means). The interval
    is the (α/2, 1 − α/2) percentiles of the resampled differences (α = 1 − confidence, numpy's
    linear interpolation) — the plain percentile method, no bias correction.

    With ``vectorized=True`` the metric gets 2-D arrays, one resample per row, and must return
    one value per row (e.g. ``lambda correct: correct.mean(axis=-1)``); this is much faster.
    """
    a = _as_arrays(arrays_a)
    b = _as_arrays(arrays_b)
    if not a or not b:
        raise ValueError("no per-case arrays given")
    n = len(a[0])
    if n == 0:
        raise ValueError("no cases to compare")
    if any(len(x) != n for x in (*a, *b)):
        raise ValueError("all per-case arrays must have the same length")
    if n_resamples < 1:
        raise ValueError(f"n_resamples must be >= 1, got {n_resamples}")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")

    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=(n_resamples, n))
    if vectorized:
        observed = float(metric(*(x[None, :] for x in b))[0] - metric(*(x[None, :] for x in a))[0])
        diffs = np.asarray(metric(*(x[idx] for x in b)), dtype=float) - np.asarray(
            metric(*(x[idx] for x in a)), dtype=float
        )
    else:
        observed = float(metric(*b)) - float(metric(*a))
        diffs = np.array(
            [
                float(metric(*(x[row] for x in b))) - float(metric(*(x[row] for x in a)))
                for row in idx
            ]
        )
    alpha = 1.0 - confidence
    low, high = np.quantile(diffs, [alpha / 2, 1.0 - alpha / 2])
    return BootstrapResult(observed, float(low), float(high), confidence, n_resamples, seed)


@dataclass(frozen=True)
class McNemarResult:
    """Discordant counts and the exact two-sided p-value."""

    b: int
    """Cases A got right and B got wrong."""
    c: int
    """Cases A got wrong and B got right."""
    p_value: float


def mcnemar_exact(b: int, c: int) -> McNemarResult:
    """Exact McNemar test: two-sided binomial test of b successes in n = b + c at p = 1/2.

    p = min(1, 2 · Σ_{i ≤ min(b, c)} C(n, i) / 2ⁿ), computed in exact integer arithmetic with
    ``math.comb``. With no discordant pairs (n = 0) there is no evidence of a difference: p = 1.
    """
    if b < 0 or c < 0:
        raise ValueError(f"counts must be non-negative, got b={b}, c={c}")
    n = b + c
    if n == 0:
        return McNemarResult(b, c, 1.0)
    tail = sum(math.comb(n, i) for i in range(min(b, c) + 1))
    return McNemarResult(b, c, min(1.0, 2 * tail / 2**n))


def mcnemar_from_correct(correct_a: Sequence[bool], correct_b: Sequence[bool]) -> McNemarResult:
    """Exact McNemar test from per-case correctness of systems A and B."""
    if len(correct_a) != len(correct_b):
        raise ValueError(f"length mismatch: {len(correct_a)} vs {len(correct_b)} cases")
    b = sum(bool(x) and not bool(y) for x, y in zip(correct_a, correct_b, strict=True))
    c = sum(not bool(x) and bool(y) for x, y in zip(correct_a, correct_b, strict=True))
    return mcnemar_exact(b, c)


class Flip(StrEnum):
    """How one case changed from system A (baseline) to system B (candidate)."""

    IMPROVED = "improved"
    """A wrong, B right."""
    REGRESSED = "regressed"
    """A right, B wrong."""
    CHANGED_WRONG = "changed_wrong"
    """Both wrong, with different predictions."""
    UNCHANGED_CORRECT = "unchanged_correct"
    """Both right."""
    UNCHANGED_WRONG = "unchanged_wrong"
    """Both wrong, with the same prediction."""


def classify_flip(gold: str, pred_a: str, pred_b: str) -> Flip:
    """Classify one case; right means the prediction equals the gold label."""
    a_ok, b_ok = pred_a == gold, pred_b == gold
    if a_ok and b_ok:
        return Flip.UNCHANGED_CORRECT
    if a_ok:
        return Flip.REGRESSED
    if b_ok:
        return Flip.IMPROVED
    return Flip.UNCHANGED_WRONG if pred_a == pred_b else Flip.CHANGED_WRONG


def classify_flips(gold: Sequence[str], pred_a: Sequence[str], pred_b: Sequence[str]) -> list[Flip]:
    """`classify_flip` for every case, in order."""
    if not len(gold) == len(pred_a) == len(pred_b):
        raise ValueError("gold and both prediction sequences must have the same length")
    return [classify_flip(g, a, b) for g, a, b in zip(gold, pred_a, pred_b, strict=True)]


def flip_counts(flips: Sequence[Flip]) -> dict[Flip, int]:
    """Number of cases of each kind, every kind present (0 when absent)."""
    counts = Counter(flips)
    return {kind: counts.get(kind, 0) for kind in Flip}
