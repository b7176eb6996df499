"""Machine–reviewer agreement: how often reviewers kept the machine's verdict, grouped."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from factcheck.models import Verdict
from factcheck.review.runs import QueueRow
from factcheck.review.store import ReviewSummary


@dataclass(frozen=True)
class Agreement:
    """Reviewed results of one group and how many kept the machine verdict."""

    group: str
    total: int
    reviewed: int
    agreed: int

    @property
    def rate(self) -> float | None:
        """Agreement among reviewed results (None when none was reviewed)."""
        return self.agreed / self.reviewed if self.reviewed else None


def agreement(
    rows: Sequence[QueueRow],
    reviews: Mapping[str, ReviewSummary],
    key: Callable[[QueueRow], str],
) -> list[Agreement]:
    """Agreement per group (`key` of each row), groups sorted by name."""
    totals: dict[str, list[int]] = {}
    for row in rows:
        counts = totals.setdefault(key(row), [0, 0, 0])
        counts[0] += 1
        review = reviews.get(row.id)
        if review is not None:
            counts[1] += 1
            counts[2] += review.verdict == row.verdict
    return [Agreement(g, *c) for g, c in sorted(totals.items())]


def confusion(
    rows: Sequence[QueueRow], reviews: Mapping[str, ReviewSummary]
) -> dict[str, dict[str, int]]:
    """Machine verdict → reviewer verdict → count, over reviewed results."""
    table = {m.value: {r.value: 0 for r in Verdict} for m in Verdict}
    for row in rows:
        review = reviews.get(row.id)
        if review is not None and row.verdict in table and review.verdict in table:
            table[row.verdict][review.verdict] += 1
    return table


def model_version(row: QueueRow) -> str:
    """The model and verify-prompt hash a result was made with."""
    return f"{row.model} · verify prompt {row.prompt or '?'}"
