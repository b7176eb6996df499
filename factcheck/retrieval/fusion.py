"""Fusing rankings: reciprocal-rank fusion, min-max score fusion, and credibility-tier weights."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def rrf_fuse(
    rankings: list[list[str]], k: int, weights: Sequence[float] | None = None
) -> list[tuple[str, float]]:
    """Reciprocal-rank fusion: score(id) = Σ over rankings of weight / (k + rank), rank from 1
    (weights default to 1).

    Returns `(id, score)` best first; equal scores rank by id, so the result does not depend on
    the order the rankings listed them in.
    """
    scores: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights or [1.0] * len(rankings), strict=True):
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))


def score_fuse(
    rankings: list[list[tuple[str, float]]], weights: Sequence[float]
) -> list[tuple[str, float]]:
    """Score fusion: each ranking's scores min-max normalised over its own list (a list whose
    scores are all equal counts 1 for each), weighted and summed; an id missing from a ranking
    gets 0 from it. Best first; ties rank by id (as `rrf_fuse`)."""
    fused: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        if not ranking:
            continue
        values = [score for _, score in ranking]
        low, span = min(values), max(values) - min(values)
        for item, score in ranking:
            norm = (score - low) / span if span > 0 else 1.0
            fused[item] = fused.get(item, 0.0) + weight * norm
    return sorted(fused.items(), key=lambda pair: (-pair[1], pair[0]))


def weigh_by_tier(
    ranking: list[tuple[str, float]],
    tiers: Mapping[str, object],
    weights: Mapping[int, float],
) -> list[tuple[str, float]]:
    """A fused ranking rescored by each chunk's credibility-tier weight (1.0 for untiered
    chunks and tiers not listed) and re-sorted, best first (equal scores by id)."""

    def weight(chunk_id: str) -> float:
        tier = tiers.get(chunk_id)
        return weights.get(tier, 1.0) if isinstance(tier, int) else 1.0

    return sorted(((i, s * weight(i)) for i, s in ranking), key=lambda pair: (-pair[1], pair[0]))
