"""Reviewed verdicts beside machine verdicts: what the reports need of a person's review.

The review desk (`factcheck.review`) keeps reviews in SQLite; the CLI turns them into
`HumanVerdict`s keyed by result id and hands them to the reports, which then show the
reviewer's verdict and the machine's side by side.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from factcheck.models import ClaimResult


@dataclass(frozen=True)
class HumanVerdict:
    """A person's review of one result."""

    verdict: str
    reviewer: str
    rationale: str = ""
    rating: str = ""
    ready_to_publish: bool = False
    updated_at: str = ""


Reviews = Mapping[str, HumanVerdict]
"""Result id → its review."""


@dataclass(frozen=True)
class ReviewTally:
    """How many results were reviewed, and how many reviews changed the verdict."""

    results: int = 0
    reviewed: int = 0
    changed: int = 0
    ready: int = 0


def tally(results: Iterable[ClaimResult], reviews: Reviews) -> ReviewTally:
    """Count reviews over `results`."""
    n = reviewed = changed = ready = 0
    for result in results:
        n += 1
        review = reviews.get(result.id)
        if review is None:
            continue
        reviewed += 1
        changed += review.verdict != result.verdict.value
        ready += review.ready_to_publish
    return ReviewTally(n, reviewed, changed, ready)
