"""Publishing reviewed results: only those a reviewer marked ready, with the reviewer's verdict,
rationale and rating label, as ClaimReview drafts."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from factcheck.errors import ConfigError
from factcheck.models import ArticleRecord, ClaimResult
from factcheck.reports.claimreview import DEFAULT_SCALE, Publisher, claim_review
from factcheck.reports.reviewed import HumanVerdict
from factcheck.review.runs import RunResults, default_db_path
from factcheck.review.store import Review, ReviewStore

RATING_LABELS: tuple[str, ...] = tuple(
    dict.fromkeys(r.alternate_name for r in DEFAULT_SCALE.ratings.values() if r is not None)
)
"""Rating labels offered in the review form (the default ClaimReview scale's)."""


@dataclass(frozen=True)
class Reviewed:
    """A result as its reviewer approved it: verdict and rationale replaced by the review's."""

    result: ClaimResult
    machine: ClaimResult
    review: Review

    @property
    def reviewer(self) -> str:
        """Who approved it."""
        return self.review.reviewer

    @property
    def rating(self) -> str:
        """The reviewer's rating label ('' when none was picked)."""
        return self.review.rating


def human_verdicts(store: ReviewStore) -> dict[str, HumanVerdict]:
    """Every review in the store as the reports show it (result id → reviewer's verdict)."""
    return {
        result_id: HumanVerdict(
            verdict=review.verdict.value,
            reviewer=review.reviewer,
            rationale=review.rationale,
            rating=review.rating,
            ready_to_publish=review.ready_to_publish,
            updated_at=review.updated_at,
        )
        for result_id, review in store.all().items()
    }


def review_db_beside(results_path: Path, db: Path | None = None) -> Path | None:
    """The review database of a run: `db` when given (it must exist), else `reviews.sqlite`
    beside the run folder when there is one, else None."""
    if db is not None:
        if not Path(db).is_file():
            raise ConfigError(f"no review database at {db}")
        return Path(db)
    path = default_db_path([results_path])
    return path if path.is_file() else None


def reviewed_ready(results: Iterable[ClaimResult], store: ReviewStore) -> Iterator[Reviewed]:
    """The results whose review is marked ready to publish, with the reviewer's verdict and
    rationale (the machine's rationale when the reviewer left it empty)."""
    reviews = store.all()
    for result in results:
        review = reviews.get(result.id)
        if review is None or not review.ready_to_publish:
            continue
        approved = result.model_copy(
            update={
                "verdict": review.verdict,
                "rationale": review.rationale.strip() or result.rationale,
            }
        )
        yield Reviewed(result=approved, machine=result, review=review)


def reviewed_claim_reviews(
    results: Iterable[ClaimResult],
    articles: dict[str, ArticleRecord],
    store: ReviewStore,
    publisher: Publisher,
    *,
    run_id: str,
    review_date: date | None = None,
) -> tuple[list[dict[str, object]], int]:
    """ClaimReviews of the results marked ready, rated with the reviewer's verdict and label;
    and how many were skipped because the scale does not export their verdict."""
    out, skipped = [], 0
    for item in reviewed_ready(results, store):
        when = review_date or date.fromisoformat(item.review.updated_at[:10])
        review = claim_review(
            item.result,
            articles.get(item.result.claim.article_id),
            publisher,
            run_id=run_id,
            review_date=when,
        )
        if review is None:
            skipped += 1
            continue
        rating = review["reviewRating"]
        if item.rating and isinstance(rating, dict) and rating["alternateName"] != item.rating:
            # the reviewer's own label: a label only, the scale's number belongs to another
            review["reviewRating"] = {"@type": "Rating", "alternateName": item.rating}
        out.append(review)
    return out, skipped


def reviewed_export(
    run: RunResults,
    results_path: Path,
    db: Path | None,
    *,
    publisher: Publisher,
    review_date: date | None = None,
) -> tuple[list[dict[str, object]], int]:
    """`factcheck export --reviewed-only`: ClaimReviews of a run's results marked ready in the
    review database (`db`, else `reviews.sqlite` beside the run)."""
    path = db or default_db_path([results_path])
    if not path.exists():
        raise ConfigError(f"no review database at {path} (pass --db)")
    return reviewed_claim_reviews(
        run.results,
        run.articles,
        ReviewStore(path),
        publisher,
        run_id=run.header.run_id if run.header else "",
        review_date=review_date,
    )
