"""ClaimReview export: required and recommended fields, rating-scale mapping, settings errors.

Field lists written down from memory (not fetched) of:
- Google Search Central, "Fact Check (ClaimReview) structured data":
  https://developers.google.com/search/docs/appearance/structured-data/factcheck
- schema.org: https://schema.org/ClaimReview, https://schema.org/Claim, https://schema.org/Rating
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest

from factcheck.app import publisher_of
from factcheck.config import Settings
from factcheck.errors import ConfigError
from factcheck.io.results import read_results
from factcheck.models import ArticleRecord, Verdict
from factcheck.reports.claimreview import (
    DEFAULT_SCALE,
    claim_review,
    claim_reviews,
    load_scale,
    speaker_entity,
    to_json,
)
from tests.reports.report_fixtures import CLAIMS, SCRIPT, write_results

# Google: required on ClaimReview.
REQUIRED = {"claimReviewed", "reviewRating", "url"}
# Google: recommended on ClaimReview (datePublished: schema.org CreativeWork, shown by Fact Check
# Explorer; Google's examples always carry it).
RECOMMENDED = {"author", "itemReviewed", "datePublished"}
# Google: Rating needs alternateName; bestRating/worstRating/ratingValue for numeric ratings,
# worstRating >= 1, bestRating > worstRating, worstRating <= ratingValue <= bestRating.
RATING_REQUIRED = {"@type", "alternateName"}
RATING_NUMERIC = {"ratingValue", "bestRating", "worstRating"}
# Google: recommended on the reviewed Claim: appearance (or firstAppearance), author, datePublished.
CLAIM_RECOMMENDED = {"appearance", "author", "datePublished"}

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def settings(**overrides) -> Settings:
    values = {
        "org_name": "Verificado Example",
        "org_url": "https://verificado.example.org",
        "review_url_template": "https://verificado.example.org/checks/{article_id}/{result_id}",
    }
    return Settings(_env_file=None, **(values | overrides))


def validate(review: dict) -> None:
    """Assert one ClaimReview has the required fields with the right shapes."""
    assert review["@context"] == "https://schema.org" and review["@type"] == "ClaimReview"
    assert review.keys() >= REQUIRED
    assert isinstance(review["claimReviewed"], str) and review["claimReviewed"]
    assert review["url"].startswith(("https://", "http://"))
    if "datePublished" in review:
        assert ISO_DATE.match(review["datePublished"])
    author = review["author"]
    assert author["@type"] == "Organization" and author["name"]
    rating = review["reviewRating"]
    assert rating["@type"] == "Rating" and rating.keys() >= RATING_REQUIRED
    numeric = RATING_NUMERIC & rating.keys()
    assert numeric in (set(), RATING_NUMERIC)  # all three numeric fields, or none
    if numeric:
        assert 1 <= rating["worstRating"] < rating["bestRating"]
        assert rating["worstRating"] <= rating["ratingValue"] <= rating["bestRating"]
    item = review["itemReviewed"]
    assert item["@type"] == "Claim"
    if "author" in item:
        assert item["author"]["@type"] in {"Person", "Organization"} and item["author"]["name"]
    if "datePublished" in item:
        assert ISO_DATE.match(item["datePublished"])
    if "appearance" in item:
        assert item["appearance"]["@type"] == "CreativeWork"
        assert item["appearance"]["url"].startswith(("https://", "http://"))


@pytest.fixture
def run(tmp_path):
    return read_results(write_results(tmp_path / "results.jsonl"))


def test_every_review_has_required_and_recommended_fields(run):
    reviews, skipped = claim_reviews(run, publisher_of(settings()))
    assert skipped == 0 and len(reviews) == len(CLAIMS)
    for review in reviews:
        validate(review)
        assert review.keys() >= RECOMMENDED
    # the fixture's speakers ("Mexican officials", "Mayor <img…>", "the trade office") are not
    # names written in their articles: no review names them as the claim's author
    assert not [r for r in reviews if "author" in r["itemReviewed"]]
    hostile = [r for r in reviews if "/hostile/" in r["url"]]
    for review in hostile:
        assert review["itemReviewed"].keys() >= CLAIM_RECOMMENDED - {"author"}


def test_author_only_for_a_validated_speaker(run):
    text = (
        "Bloomberg reported on Monday that Pemex had canceled a shipment. "
        "President Claudia Sheinbaum said homicides fell 37% in 2025.\n"
        "By Mexico News Daily chief staff writer Peter Davies"
    )
    article = ArticleRecord(id="seed", text=text, published=date(2026, 1, 29))
    base = next(iter(run.results))
    expected = {
        "Claudia Sheinbaum": True,
        "Bloomberg": True,
        "Bloomberg reported on Monday that Pemex had canceled": False,  # a clause
        "Peter Davies": False,  # the byline
        "Jane Roe": False,  # not in the article
    }
    for speaker, kept in expected.items():
        claim = base.claim.model_copy(update={"speaker": speaker, "article_id": "seed"})
        review = claim_review(
            base.model_copy(update={"claim": claim}),
            article,
            publisher_of(settings()),
            run_id="r",
            review_date=date(2026, 2, 1),
        )
        assert review is not None
        assert ("author" in review["itemReviewed"]) is kept, speaker
        if kept:
            assert review["itemReviewed"]["author"]["name"] == speaker


def test_mapping_of_one_claim(run):
    result = next(r for r in run.results if r.claim.id == CLAIMS["injected"].id)
    review = claim_review(
        result,
        run.articles["hostile"],
        publisher_of(settings()),
        run_id="run 1",
        review_date=date(2026, 2, 1),
    )
    assert review["claimReviewed"] == CLAIMS["injected"].text
    assert review["url"] == f"https://verificado.example.org/checks/hostile/{result.id}"
    assert review["datePublished"] == "2026-02-01"
    assert review["reviewRating"] == {
        "@type": "Rating",
        "alternateName": "False",
        "ratingValue": 1,
        "bestRating": 5,
        "worstRating": 1,
    }
    item = review["itemReviewed"]
    assert "author" not in item  # "Mayor <img…>" is not a name written in the article
    assert item["datePublished"] == "2026-01-29"
    assert item["appearance"]["url"] == "https://news.example.org/story?id=1&x=<b>"
    assert item["appearance"]["publisher"]["@type"] == "Organization"


def test_default_scale_labels_and_label_only_ratings(run):
    reviews, _ = claim_reviews(run, publisher_of(settings()))
    by_text = {r["claimReviewed"]: r["reviewRating"] for r in reviews}
    conflicting = by_text[CLAIMS["nested"].text]
    assert conflicting == {"@type": "Rating", "alternateName": "Conflicting evidence"}
    assert by_text[CLAIMS["cross_a"].text]["alternateName"] == "Unproven"
    assert by_text[CLAIMS["outer"].text]["ratingValue"] == 5


def test_custom_scale_file_and_null_means_not_exported(run, tmp_path):
    scale = tmp_path / "scale.json"
    scale.write_text(
        json.dumps(
            {
                "bestRating": 3,
                "worstRating": 1,
                "ratings": {
                    "SUPPORTED": {"alternateName": "Verdadero", "ratingValue": 3},
                    "REFUTED": {"alternateName": "Falso", "ratingValue": 1},
                    "CONFLICTING": {"alternateName": "Engañoso", "ratingValue": 2},
                    "NOT_ENOUGH_EVIDENCE": None,
                },
            }
        ),
        encoding="utf-8",
    )
    reviews, skipped = claim_reviews(run, publisher_of(settings(rating_scale=scale)))
    assert skipped == 1  # the one NOT_ENOUGH_EVIDENCE result
    labels = {r["reviewRating"]["alternateName"] for r in reviews}
    assert labels == {"Verdadero", "Falso", "Engañoso"}
    for review in reviews:
        validate(review)
        assert review["reviewRating"]["bestRating"] == 3


@pytest.mark.parametrize(
    ("scale", "message"),
    [
        ({"ratings": {"SUPPORTED": {"alternateName": "True"}}}, "every verdict"),
        ({"worstRating": 0, "ratings": {}}, "worstRating"),
        ({"bestRating": 1, "worstRating": 1, "ratings": {}}, "greater"),
        (
            {"ratings": {v.value: {"alternateName": "x", "ratingValue": 9} for v in Verdict}},
            "outside the scale",
        ),
        ({"ratings": {"MAYBE": None}}, "ratings"),
    ],
)
def test_bad_scale_files_name_the_setting(tmp_path, scale, message):
    path = tmp_path / "scale.json"
    path.write_text(json.dumps(scale), encoding="utf-8")
    with pytest.raises(ConfigError, match="FACTCHECK_RATING_SCALE") as info:
        load_scale(path)
    assert message in str(info.value)


def test_missing_or_bad_publisher_settings():
    with pytest.raises(ConfigError) as info:
        publisher_of(Settings(_env_file=None))
    for name in ["FACTCHECK_ORG_NAME", "FACTCHECK_ORG_URL", "FACTCHECK_REVIEW_URL_TEMPLATE"]:
        assert name in str(info.value)
    for template in ["https://x.org/{id}", "javascript:{result_id}", "/reviews/{result_id}"]:
        with pytest.raises(ConfigError, match="REVIEW_URL_TEMPLATE"):
            publisher_of(settings(review_url_template=template))
    with pytest.raises(ConfigError, match="ORG_URL"):
        publisher_of(settings(org_url="javascript:alert(1)"))


def test_ids_are_percent_encoded_in_the_review_url(run):
    result = run.results[0].model_copy(update={"id": "a/b?c=d#e"})
    publisher = publisher_of(settings(review_url_template="https://x.org/{result_id}"))
    assert publisher.review_url(result, "r") == "https://x.org/a%2Fb%3Fc%3Dd%23e"


def test_unknown_speaker_date_or_url_are_left_out_not_guessed(run):
    publisher = publisher_of(settings())
    nested = next(r for r in run.results if r.claim.id == CLAIMS["nested"].id)
    review = claim_review(
        nested, run.articles["hostile"], publisher, run_id="r", review_date=date(2026, 2, 1)
    )
    assert "author" not in review["itemReviewed"]  # no speaker: not attributed to anyone
    assert review["itemReviewed"]["appearance"]["publisher"]["name"].startswith("Daily")
    calm = run.articles["calm"].model_copy(update={"publisher": None, "url": "ftp://x.org/a"})
    review = claim_review(
        nested.model_copy(update={"claim": nested.claim.model_copy(update={"claim_date": None})}),
        calm,
        publisher,
        run_id="r",
        review_date=date(2026, 2, 1),
    )
    assert "appearance" not in review["itemReviewed"]  # no http(s) article URL
    assert "datePublished" not in review["itemReviewed"]
    validate(review)


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("Claudia Sheinbaum", "Person"),
        ("Donald Trump", "Person"),
        ("Mexico's Security Cabinet", "Organization"),
        ("SESNSP", "Organization"),
        ("the Finance Ministry", "Organization"),
        ("Mexican officials", "Organization"),
    ],
)
def test_speaker_entity(name, kind):
    assert speaker_entity(name) == {"@type": kind, "name": name}


def test_json_is_safe_inside_a_script_tag(run):
    reviews, _ = claim_reviews(run, publisher_of(settings()))
    text = to_json(reviews)
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == reviews
    assert any(SCRIPT in r["claimReviewed"] for r in json.loads(text))


def test_default_scale_is_the_documented_example():
    example = Path(__file__).resolve().parents[2] / "docs" / "rating-scale.example.json"
    assert load_scale(example) == DEFAULT_SCALE
