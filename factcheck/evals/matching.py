"""Matching extracted claims to gold claims by sentence-embedding cosine (all-MiniLM-L6-v2).

Two claims match when their cosine similarity reaches `MATCH_THRESHOLD`; matching is one to
one, greedy from the most similar pair down, so a single broad claim cannot stand in for
several atomic gold claims. The threshold was chosen on Factcheck-GPT dev pairs with
`evals/calibrate_claim_match.py` (see evals/README.md for the measurement).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import pairwise

import numpy as np
from numpy.typing import NDArray

MATCH_THRESHOLD = 0.85
"""Cosine at or above which an extracted claim counts as the same claim as a gold one."""

Embed = Callable[[Sequence[str]], NDArray[np.float32]]
"""Texts → L2-normalised vectors, one row per text."""


def cosine_matrix(embed: Embed, left: Sequence[str], right: Sequence[str]) -> NDArray[np.float64]:
    """Cosine similarity of every left text with every right text, shape (len(left), len(right))."""
    if not left or not right:
        return np.zeros((len(left), len(right)))
    vectors = np.asarray(embed([*left, *right]), dtype=np.float64)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    vectors = vectors / np.maximum(norms, 1e-12)
    return vectors[: len(left)] @ vectors[len(left) :].T


def greedy_matches(
    similarity: NDArray[np.float64], threshold: float = MATCH_THRESHOLD
) -> list[tuple[int, int, float]]:
    """One-to-one `(row, column, similarity)` pairs, most similar first, all ≥ `threshold`."""
    pairs = sorted(
        (
            (float(similarity[i, j]), i, j)
            for i in range(similarity.shape[0])
            for j in range(similarity.shape[1])
            if similarity[i, j] >= threshold
        ),
        key=lambda p: (-p[0], p[1], p[2]),
    )
    used_rows: set[int] = set()
    used_cols: set[int] = set()
    out: list[tuple[int, int, float]] = []
    for sim, i, j in pairs:
        if i in used_rows or j in used_cols:
            continue
        used_rows.add(i)
        used_cols.add(j)
        out.append((i, j, round(sim, 4)))
    return out


def best_threshold(
    positives: Sequence[float], negatives: Sequence[float]
) -> tuple[float, float, float]:
    """The cut maximising Youden's J = TPR − FPR; returns (threshold, TPR, FPR).

    Candidate cuts are the midpoints between consecutive distinct observed scores.
    """
    if not positives or not negatives:
        raise ValueError("need positive and negative pairs")
    scores = sorted(set(positives) | set(negatives))
    cuts = [(a + b) / 2 for a, b in pairwise(scores)] or scores
    best = (cuts[0], 0.0, 0.0)
    best_j = -1.0
    for cut in cuts:
        tpr = sum(p >= cut for p in positives) / len(positives)
        fpr = sum(n >= cut for n in negatives) / len(negatives)
        if tpr - fpr > best_j:
            best_j, best = tpr - fpr, (cut, tpr, fpr)
    return best
