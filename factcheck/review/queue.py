"""The review queue: filter, sort and paginate the indexed rows against the current reviews."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlencode

from factcheck.review.runs import QueueRow
from factcheck.review.store import ReviewSummary

PAGE_SIZE = 50
STATUSES = ("unreviewed", "confirmed", "changed", "ready")
SORTS = (
    "queue",
    "claim",
    "verdict",
    "verifier",
    "confidence",
    "checkworthiness",
    "article",
    "publisher",
    "status",
)


def status_of(row: QueueRow, review: ReviewSummary | None) -> str:
    """unreviewed, confirmed (reviewer kept the machine verdict) or changed."""
    if review is None:
        return "unreviewed"
    return "confirmed" if review.verdict == row.verdict else "changed"


def _float(value: str | None) -> float | None:
    try:
        number = float(value) if value not in (None, "") else None
    except ValueError:
        return None
    return number if number is not None and math.isfinite(number) else None


@dataclass(frozen=True)
class Filters:
    """Queue filters, sort and page, as given in the query string."""

    verdict: str = ""
    verifier: str = ""
    conf_min: float | None = None
    conf_max: float | None = None
    cw_min: float | None = None
    article: str = ""
    publisher: str = ""
    status: str = ""
    sort: str = "queue"
    order: str = "asc"
    page: int = 1

    @classmethod
    def parse(cls, params: Mapping[str, str]) -> Filters:
        """Filters from query parameters; unknown or malformed values are ignored."""
        sort = params.get("sort", "queue")
        try:
            page = max(1, int(params.get("page", "1")))
        except ValueError:
            page = 1
        status = params.get("status", "")
        return cls(
            verdict=params.get("verdict", ""),
            verifier=params.get("verifier", ""),
            conf_min=_float(params.get("conf_min")),
            conf_max=_float(params.get("conf_max")),
            cw_min=_float(params.get("cw_min")),
            article=params.get("article", "").strip(),
            publisher=params.get("publisher", "").strip(),
            status=status if status in STATUSES else "",
            sort=sort if sort in SORTS else "queue",
            order="desc" if params.get("order") == "desc" else "asc",
            page=page,
        )

    def params(self, **overrides: object) -> dict[str, str]:
        """The non-default query parameters (with overrides), for links."""
        values: dict[str, object] = {
            "verdict": self.verdict,
            "verifier": self.verifier,
            "conf_min": self.conf_min,
            "conf_max": self.conf_max,
            "cw_min": self.cw_min,
            "article": self.article,
            "publisher": self.publisher,
            "status": self.status,
            "sort": "" if self.sort == "queue" else self.sort,
            "order": "" if self.order == "asc" else self.order,
            "page": "" if self.page == 1 else self.page,
        } | overrides
        return {k: str(v) for k, v in values.items() if v not in (None, "")}

    def query(self, **overrides: object) -> str:
        """`params` as a query string."""
        return urlencode(self.params(**overrides))

    def suffix(self, **overrides: object) -> str:
        """`?` + `query`, or nothing when there are no parameters."""
        query = self.query(**overrides)
        return f"?{query}" if query else ""

    @property
    def narrows(self) -> bool:
        """Whether any filter is set."""
        return bool(
            self.verdict
            or self.verifier
            or self.article
            or self.publisher
            or self.status
            or self.conf_min is not None
            or self.conf_max is not None
            or self.cw_min is not None
        )

    def matches(self, row: QueueRow, review: ReviewSummary | None) -> bool:
        """Whether the row passes every filter (article and publisher: case-insensitive
        substring of the id/title or the name)."""
        if self.verdict and row.verdict != self.verdict:
            return False
        if self.verifier and row.verifier != self.verifier:
            return False
        if self.conf_min is not None and row.confidence < self.conf_min:
            return False
        if self.conf_max is not None and row.confidence > self.conf_max:
            return False
        if self.cw_min is not None and row.checkworthiness < self.cw_min:
            return False
        if self.article:
            needle = self.article.lower()
            if needle not in row.article_id.lower() and needle not in row.article_title.lower():
                return False
        if self.publisher and self.publisher.lower() not in row.publisher.lower():
            return False
        if self.status == "ready":
            return review is not None and review.ready_to_publish
        return not self.status or status_of(row, review) == self.status


@dataclass
class QueuePage:
    """One page of the filtered, sorted queue."""

    rows: list[tuple[QueueRow, ReviewSummary | None]]
    total: int
    page: int
    pages: int
    counts: Counter[str] = field(default_factory=Counter)


def _sort_key(name: str, reviews: Mapping[str, ReviewSummary]) -> Callable[[QueueRow], object]:
    if name == "status":
        return lambda r: status_of(r, reviews.get(r.id))
    attribute = {"article": "article_title"}.get(name, name)
    return lambda r: getattr(r, attribute)


def filtered(
    rows: Sequence[QueueRow], reviews: Mapping[str, ReviewSummary], filters: Filters
) -> list[QueueRow]:
    """The rows passing the filters, in the requested order."""
    if filters.narrows:
        out = [r for r in rows if filters.matches(r, reviews.get(r.id))]
    else:
        out = list(rows)
    if filters.sort != "queue":
        out.sort(key=_sort_key(filters.sort, reviews), reverse=filters.order == "desc")
    elif filters.order == "desc":
        out.reverse()
    return out


def status_counts(
    rows: Mapping[str, QueueRow], reviews: Mapping[str, ReviewSummary]
) -> Counter[str]:
    """Results per review status over the whole queue (`rows` by id; ready counted apart).
    Walks the reviews, not the rows: reviews are usually far fewer."""
    counts: Counter[str] = Counter({s: 0 for s in STATUSES})
    for result_id, review in reviews.items():
        row = rows.get(result_id)
        if row is None:
            continue
        counts[status_of(row, review)] += 1
        counts["ready"] += review.ready_to_publish
    counts["unreviewed"] = len(rows) - counts["confirmed"] - counts["changed"]
    return counts


def queue_page(
    rows: Sequence[QueueRow],
    by_id: Mapping[str, QueueRow],
    reviews: Mapping[str, ReviewSummary],
    filters: Filters,
) -> QueuePage:
    """The page of the queue the filters ask for (clamped to the last page)."""
    matching = filtered(rows, reviews, filters)
    pages = max(1, math.ceil(len(matching) / PAGE_SIZE))
    page = min(filters.page, pages)
    chunk = matching[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    return QueuePage(
        rows=[(r, reviews.get(r.id)) for r in chunk],
        total=len(matching),
        page=page,
        pages=pages,
        counts=status_counts(by_id, reviews),
    )


def neighbours(
    rows: Sequence[QueueRow],
    reviews: Mapping[str, ReviewSummary],
    filters: Filters,
    result_id: str,
) -> tuple[str | None, str | None]:
    """Previous and next result ids around `result_id` in the filtered queue."""
    ids = [r.id for r in filtered(rows, reviews, filters)]
    try:
        i = ids.index(result_id)
    except ValueError:
        return None, ids[0] if ids else None
    return (ids[i - 1] if i > 0 else None, ids[i + 1] if i + 1 < len(ids) else None)
