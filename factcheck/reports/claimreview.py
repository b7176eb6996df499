"""ClaimReview export: one schema.org `ClaimReview` (JSON-LD) per checked claim.

This is the markup Google's Fact Check Tools read. Our verdicts are mapped to the
organisation's own rating labels by a rating scale (a JSON file, `FACTCHECK_RATING_SCALE`):

    {"bestRating": 5, "worstRating": 1,
     "ratings": {"SUPPORTED": {"alternateName": "True", "ratingValue": 5},
                 "REFUTED": {"alternateName": "False", "ratingValue": 1},
                 "CONFLICTING": {"alternateName": "Conflicting evidence"},
                 "NOT_ENOUGH_EVIDENCE": null}}

A verdict mapped to `null` is not exported. A rating without `ratingValue` is a label only
(no numeric fields), because CONFLICTING and NOT_ENOUGH_EVIDENCE say something about the
evidence, not how true the claim is. The export is a draft for editors: verdicts come from a model.
"""

from __future__ import annotations

import json
import string
from datetime import date
from pathlib import Path
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from factcheck.errors import ConfigError
from factcheck.extract.attribution import byline_of, is_valid_speaker
from factcheck.io.results import RunResults
from factcheck.models import ArticleRecord, ClaimResult, Verdict
from factcheck.reports.html_parts import safe_url

URL_FIELDS = frozenset({"result_id", "claim_id", "article_id", "run_id"})


class Rating(BaseModel):
    """The organisation's label for one verdict, and optionally its place on the numeric scale."""

    model_config = ConfigDict(extra="forbid", validate_by_name=True, validate_by_alias=True)

    alternate_name: str = Field(alias="alternateName", min_length=1)
    rating_value: int | float | None = Field(default=None, alias="ratingValue")


class RatingScale(BaseModel):
    """Verdict → rating mapping. Every verdict must be listed; `null` means "do not export"."""

    model_config = ConfigDict(extra="forbid", validate_by_name=True, validate_by_alias=True)

    best_rating: int | float = Field(default=5, alias="bestRating")
    worst_rating: int | float = Field(default=1, alias="worstRating", ge=1)
    ratings: dict[Verdict, Rating | None]

    @model_validator(mode="after")
    def _check(self) -> RatingScale:
        if self.best_rating <= self.worst_rating:
            raise ValueError("bestRating must be greater than worstRating")
        missing = set(Verdict) - set(self.ratings)
        if missing:
            raise ValueError(f"ratings must list every verdict; missing {sorted(missing)}")
        for verdict, rating in self.ratings.items():
            value = rating.rating_value if rating else None
            if value is not None and not self.worst_rating <= value <= self.best_rating:
                raise ValueError(f"{verdict}: ratingValue {value} is outside the scale")
        return self


DEFAULT_SCALE = RatingScale(
    best_rating=5,
    worst_rating=1,
    ratings={
        Verdict.SUPPORTED: Rating(alternate_name="True", rating_value=5),
        Verdict.REFUTED: Rating(alternate_name="False", rating_value=1),
        Verdict.CONFLICTING: Rating(alternate_name="Conflicting evidence"),
        Verdict.NOT_ENOUGH_EVIDENCE: Rating(alternate_name="Unproven"),
    },
)

_ORG_WORDS = frozenset(
    word
    for line in (
        "ministry ministerio secretariat secretaría secretaria department government",
        "gobierno office agency bank banco institute instituto university universidad",
        "commission comisión committee council consejo party partido union association",
        "asociación corporation company inc inc. ltd ltd. llc s.a. corp corp. group grupo",
        "cabinet gabinete congress congreso senate senado parliament court tribunal",
        "police policía army ejército navy marina embassy administration authority bureau",
        "board federation organization organisation foundation fundación newspaper news",
        "times daily press media network ngo officials authorities",
    )
    for word in line.split()
)


def speaker_entity(name: str) -> dict[str, str]:
    """A schema.org Person or Organization for a speaker's name (a keyword/acronym heuristic)."""
    tokens = name.replace(",", " ").replace("'s", " ").split()
    is_org = any(t.lower() in _ORG_WORDS for t in tokens) or any(
        len(t) >= 2 and t.isupper() and t.isalpha() for t in tokens
    )
    return {"@type": "Organization" if is_org else "Person", "name": name}


class Publisher(BaseModel):
    """Who publishes the reviews, where, and on which rating scale."""

    name: str
    url: str
    review_url_template: str
    scale: RatingScale = DEFAULT_SCALE

    def review_url(self, result: ClaimResult, run_id: str) -> str:
        """The review's URL from the template, each value percent-encoded."""
        values = {
            "result_id": result.id,
            "claim_id": result.claim.id,
            "article_id": result.claim.article_id,
            "run_id": run_id,
        }
        return self.review_url_template.format(**{k: quote(v, safe="") for k, v in values.items()})


def load_scale(path: Path | None) -> RatingScale:
    """The rating scale from a JSON file, or the default scale when no file is given."""
    if path is None:
        return DEFAULT_SCALE
    try:
        return RatingScale.model_validate_json(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"FACTCHECK_RATING_SCALE: cannot read {path}: {exc}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "scale"
        raise ConfigError(
            f"FACTCHECK_RATING_SCALE: {path} is not a valid rating scale ({where}: "
            f"{first['msg']}); see docs/rating-scale.example.json"
        ) from None


def make_publisher(
    org_name: str | None,
    org_url: str | None,
    review_url_template: str | None,
    rating_scale: Path | None,
) -> Publisher:
    """The publisher (FACTCHECK_ORG_NAME, _ORG_URL, _REVIEW_URL_TEMPLATE, _RATING_SCALE), with a
    fix-it error for anything missing or malformed."""
    problems = []
    if not org_name:
        problems.append("FACTCHECK_ORG_NAME is not set (your organisation's name)")
    if not safe_url(org_url):
        problems.append("FACTCHECK_ORG_URL must be your organisation's http(s) home page")
    template = review_url_template or ""
    try:
        fields = {f for _, f, _, _ in string.Formatter().parse(template) if f is not None}
    except ValueError as exc:
        fields = {f"<{exc}>"}
    if not template or fields - URL_FIELDS:
        problems.append(
            "FACTCHECK_REVIEW_URL_TEMPLATE must be an http(s) URL using only the placeholders "
            "{result_id} {claim_id} {article_id} {run_id}, e.g. "
            "https://factcheck.example.org/reviews/{result_id}"
        )
    elif not safe_url(template.format(**{f: "x" for f in URL_FIELDS})):
        problems.append("FACTCHECK_REVIEW_URL_TEMPLATE must be an absolute http(s) URL")
    if problems:
        raise ConfigError(
            "ClaimReview export needs publisher settings:\n  "
            + "\n  ".join(problems)
            + "\nSet them in the environment or .env (see .env.example)."
        )
    return Publisher(
        name=org_name or "",
        url=org_url or "",
        review_url_template=template,
        scale=load_scale(rating_scale),
    )


def _rating(scale: RatingScale, rating: Rating) -> dict[str, object]:
    out: dict[str, object] = {"@type": "Rating", "alternateName": rating.alternate_name}
    if rating.rating_value is not None:
        out |= {
            "ratingValue": rating.rating_value,
            "bestRating": scale.best_rating,
            "worstRating": scale.worst_rating,
        }
    return out


def _appearance(article: ArticleRecord) -> dict[str, object] | None:
    url = safe_url(article.url)
    if url is None:
        return None
    work: dict[str, object] = {"@type": "CreativeWork", "url": url}
    if article.title:
        work["headline"] = article.title
    if article.published:
        work["datePublished"] = article.published.isoformat()
    if article.publisher:
        work["publisher"] = {"@type": "Organization", "name": article.publisher}
    return work


def valid_author(speaker: str, article: ArticleRecord | None) -> bool:
    """Whether a claim's speaker may be published as its author: a name (not a clause such as
    "Bloomberg reported on Monday that ..."), found in the article and not its byline. Without
    the article's text only the form of the name is checked."""
    if article is None:
        return is_valid_speaker(speaker, speaker)
    text = f"{article.title}\n{article.text}" if article.title else article.text
    return is_valid_speaker(speaker, text, byline_of(article.text))


def claim_review(
    result: ClaimResult,
    article: ArticleRecord | None,
    publisher: Publisher,
    *,
    run_id: str,
    review_date: date,
) -> dict[str, object] | None:
    """The ClaimReview of one result, or None when the scale says not to export its verdict.

    The claim's author is its speaker when that is a validated name (`is_valid_speaker`: found
    in the article, not a clause, not the byline); otherwise it is omitted rather than guessed
    (the article's publisher is still named in `appearance`). The claim's date is its `claim_date`,
    else the article's publication date.
    """
    rating = publisher.scale.ratings.get(result.verdict)
    if rating is None:
        return None
    claim = result.claim
    item: dict[str, object] = {"@type": "Claim"}
    if claim.speaker and valid_author(claim.speaker, article):
        item["author"] = speaker_entity(claim.speaker)
    claim_date = claim.claim_date or (article.published if article else None)
    if claim_date:
        item["datePublished"] = claim_date.isoformat()
    appearance = _appearance(article) if article else None
    if appearance:
        item["appearance"] = appearance
    return {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": publisher.review_url(result, run_id),
        "claimReviewed": claim.text,
        "datePublished": review_date.isoformat(),
        "author": {"@type": "Organization", "name": publisher.name, "url": publisher.url},
        "reviewRating": _rating(publisher.scale, rating),
        "itemReviewed": item,
    }


def claim_reviews(
    run: RunResults, publisher: Publisher, *, review_date: date | None = None
) -> tuple[list[dict[str, object]], int]:
    """ClaimReviews for every result (in article and offset order), and how many were skipped.

    The review date is `review_date`, else the day the verdict was made.
    """
    run_id = run.header.run_id if run.header else ""
    order = {article_id: i for i, article_id in enumerate(run.articles)}
    results = sorted(
        run.results,
        key=lambda r: (
            order.get(r.claim.article_id, len(order)),
            r.claim.article_id,
            r.claim.start,
        ),
    )
    reviews, skipped = [], 0
    for result in results:
        made = result.provenance.created_at or (run.header.started_at if run.header else None)
        when = review_date or (made.date() if made else date.today())
        review = claim_review(
            result,
            run.articles.get(result.claim.article_id),
            publisher,
            run_id=run_id,
            review_date=when,
        )
        if review is None:
            skipped += 1
        else:
            reviews.append(review)
    return reviews, skipped


def to_json(reviews: list[dict[str, object]]) -> str:
    """Pretty JSON, safe to paste inside `<script type="application/ld+json">` (no `<`, `>`,
    `&` or line separators appear literally)."""
    text = json.dumps(reviews, indent=2, ensure_ascii=False)
    for ch, repl in {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"}.items():
        text = text.replace(ch, repl)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029") + "\n"
