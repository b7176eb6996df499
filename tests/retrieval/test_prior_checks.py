"""Prior fact checks: reading ClaimReview files (array, object, JSONL, Fact Check Tools shape,
malformed items), storing them beside the reference collection and matching claims."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from factcheck.app import store_settings
from factcheck.config import Settings, default_prompts_dir
from factcheck.errors import InputError
from factcheck.extract import ClaimExtractor
from factcheck.io.results import read_results
from factcheck.llm.fake import FakeChatModel
from factcheck.llm.prompts import PromptLibrary
from factcheck.llm.structured import StructuredLLM
from factcheck.models import Article, ClaimResult
from factcheck.pipeline import Pipeline
from factcheck.reports.claimreview import Publisher, claim_reviews, to_json
from factcheck.retrieval.prior_checks import (
    ClaimReviewRecord,
    PriorCheckStore,
    open_prior_checks,
    read_claimreviews,
)
from factcheck.retrieval.source_policy import RetrievalSettings
from factcheck.retrieval.store import ReferenceStore
from factcheck.testing.doubles import HashEmbedding, ListRetriever
from factcheck.verify.llm import LLMVerifier
from tests.reports.report_fixtures import write_results

REVIEW = {
    "@context": "https://schema.org",
    "@type": "ClaimReview",
    "url": "https://checks.example.org/prisoners",
    "claimReviewed": "Mexico sent 37 cartel prisoners to the United States in January 2026.",
    "datePublished": "2026-01-22",
    "author": {"@type": "Organization", "name": "Example Checks"},
    "reviewRating": {"@type": "Rating", "alternateName": "True", "ratingValue": 5},
    "itemReviewed": {"@type": "Claim", "author": {"@type": "Person", "name": "Sheinbaum"}},
}
GOOGLE = {
    "claims": [
        {
            "text": "Homicides in Mexico fell 40 percent under Sheinbaum.",
            "claimant": "Claudia Sheinbaum",
            "claimDate": "2026-01-12T00:00:00Z",
            "claimReview": [
                {
                    "publisher": {"name": "Animal Político", "site": "animalpolitico.com"},
                    "url": "https://animalpolitico.example/homicidios",
                    "title": "¿Bajaron 40% los homicidios?",
                    "reviewDate": "2026-01-14T00:00:00Z",
                    "textualRating": "Engañoso",
                    "languageCode": "es",
                },
                {"publisher": {"site": "other.example"}, "textualRating": "Misleading"},
            ],
        }
    ],
    "nextPageToken": "abc",
}


def read(path: Path) -> tuple[list[ClaimReviewRecord], list[str]]:
    items = list(read_claimreviews(path))
    return (
        [i for i in items if isinstance(i, ClaimReviewRecord)],
        [str(i) for i in items if isinstance(i, InputError)],
    )


def test_reads_what_factcheck_export_writes(tmp_path: Path) -> None:
    run = read_results(write_results(tmp_path / "results.jsonl"))
    publisher = Publisher(
        name="Verificado", url="https://v.example.org", review_url_template="https://v/{result_id}"
    )
    reviews, _ = claim_reviews(run, publisher)
    path = tmp_path / "claimreview.json"
    path.write_text(to_json(reviews), encoding="utf-8")
    records, errors = read(path)
    assert errors == [] and len(records) == len(reviews)
    first = next(r for r in records if r.claim_reviewed.startswith("Mexico sent 37"))
    assert first.claim_author is None  # "Mexican officials" is not a name in the article
    assert first.reviewer == "Verificado" and first.rating == "True" and first.rating_value == 5
    assert first.url and first.url.startswith("https://v/") and first.review_date


def test_reads_an_object_jsonl_and_fact_check_tools_claims(tmp_path: Path) -> None:
    one = tmp_path / "one.json"
    one.write_text(json.dumps(REVIEW, indent=2), encoding="utf-8")
    (record,), errors = read(one)
    assert errors == [] and record == ClaimReviewRecord(
        claim_reviewed=REVIEW["claimReviewed"],
        rating="True",
        rating_value=5.0,
        reviewer="Example Checks",
        review_date=date(2026, 1, 22),
        url=REVIEW["url"],
        claim_author="Sheinbaum",
    )
    lines = tmp_path / "many.jsonl"
    lines.write_text(json.dumps(REVIEW) + "\n\n" + json.dumps(GOOGLE) + "\n", encoding="utf-8")
    records, errors = read(lines)
    assert errors == [] and len(records) == 3
    google = records[1]
    assert (google.rating, google.reviewer, google.claim_author) == (
        "Engañoso",
        "Animal Político",
        "Claudia Sheinbaum",
    )
    assert google.review_date == date(2026, 1, 14) and google.url
    assert records[2].reviewer == "other.example" and records[2].url is None
    graph = tmp_path / "graph.json"
    graph.write_text(json.dumps({"@graph": [REVIEW, REVIEW]}), encoding="utf-8")
    assert len(read(graph)[0]) == 2


def test_malformed_items_are_reported_one_by_one(tmp_path: Path) -> None:
    no_rating = {k: v for k, v in REVIEW.items() if k != "reviewRating"}
    bad_date = {**REVIEW, "datePublished": "last Tuesday"}
    bad_review = {"text": "A claim.", "claimReview": [{"publisher": {"name": "X"}}, "oops"]}
    path = tmp_path / "mixed.jsonl"
    path.write_text(
        "\n".join(
            [
                json.dumps(REVIEW),
                "{not json",
                json.dumps(no_rating),
                json.dumps(bad_date),
                json.dumps({"hello": "world"}),
                json.dumps(bad_review),
                "[1, 2]",
            ]
        ),
        encoding="utf-8",
    )
    records, errors = read(path)
    assert len(records) == 1
    expected = [
        "line 2: not JSON",
        "line 3: no rating label (reviewRating.alternateName)",
        "line 4: datePublished 'last Tuesday' is not a date",
        "line 5: neither a ClaimReview",
        "line 6: review 1: no rating label (textualRating)",
        "line 6: review 2: expected a JSON object",
        "line 7: expected a JSON object, got list",
    ]
    assert len(errors) == len(expected)
    for message, error in zip(expected, errors, strict=False):
        assert str(path) in error and message in error, (message, error)
    truncated = tmp_path / "truncated.json"
    truncated.write_text(json.dumps([REVIEW, REVIEW])[:-30], encoding="utf-8")
    records, errors = read(truncated)
    assert records == [] and len(errors) == 1 and "not valid JSON" in errors[0]
    empty = tmp_path / "empty.json"
    empty.write_text("\n", encoding="utf-8")
    assert "empty" in read(empty)[1][0]


@pytest.fixture
def store(tmp_path: Path) -> ReferenceStore:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        chroma_path=tmp_path / "chroma",
        collection="refs",
        prior_match_threshold=0.8,
    )
    return ReferenceStore.open(store_settings(settings), HashEmbedding())


def priors_of(store: ReferenceStore, threshold: float = 0.8) -> PriorCheckStore:
    priors = PriorCheckStore.open(store, threshold, create=True)
    assert priors is not None
    return priors


def test_ingest_is_idempotent_and_lives_in_its_own_collection(store: ReferenceStore) -> None:
    assert open_prior_checks(store, 0.75) is None  # nothing ingested yet
    priors = priors_of(store)
    assert priors.name == "refs-claimreviews"
    record = ClaimReviewRecord(claim_reviewed="Prisoners were sent.", rating="True")
    report = priors.ingest([record, InputError("bad item", source="f.json")])
    assert (report.added, report.existing, report.errors) == (1, 0, ["f.json: bad item"])
    again = priors.ingest([record.model_copy(update={"rating": "Mostly true"})])
    assert (again.added, again.existing) == (0, 1) and priors.count() == 1
    assert priors.match("Prisoners were sent.")[0].rating == "Mostly true"  # metadata refreshed
    assert store.count() == 0  # the reference collection is untouched
    assert open_prior_checks(store, 0.75) is not None


def test_matching_threshold(store: ReferenceStore) -> None:
    priors = priors_of(store, threshold=0.8)
    priors.ingest(
        [
            ClaimReviewRecord(
                claim_reviewed=REVIEW["claimReviewed"], rating="True", reviewer="Example Checks"
            ),
            ClaimReviewRecord(claim_reviewed="The peso fell against the dollar.", rating="False"),
        ]
    )
    # The hash embedder is a bag of words: the same words in another order are identical.
    (match,) = priors.match("In January 2026 Mexico sent 37 cartel prisoners to the United States.")
    assert match.rating == "True" and match.similarity == pytest.approx(1.0, abs=1e-3)
    assert priors.match("Banxico cut its interest rate to 7.25 percent.") == []
    partial = "Mexico sent cartel prisoners."
    (near,) = priors_of(store, threshold=0.0).match(partial)[:1]
    assert 0.3 < near.similarity < 0.95
    assert priors_of(store, threshold=near.similarity - 0.01).match(partial)
    assert not priors_of(store, threshold=near.similarity + 0.01).match(partial)


def test_checks_published_after_the_as_of_day_are_left_out(store: ReferenceStore) -> None:
    priors = priors_of(store)
    claim = "Mexico sent 37 cartel prisoners to the United States."
    priors.ingest(
        [
            ClaimReviewRecord(claim_reviewed=claim, rating="True", review_date=date(2026, 2, 1)),
            ClaimReviewRecord(claim_reviewed=claim + " ", rating="Undated"),
        ]
    )
    assert {m.rating for m in priors.match(claim)} == {"True", "Undated"}
    assert {m.rating for m in priors.match(claim, date(2026, 2, 1))} == {"True", "Undated"}
    assert {m.rating for m in priors.match(claim, date(2026, 1, 31))} == {"Undated"}


async def test_pipeline_reports_prior_checks_beside_the_fresh_verdict(
    store: ReferenceStore,
) -> None:
    priors = priors_of(store)
    priors.ingest(
        [
            ClaimReviewRecord(
                claim_reviewed="Mexico sent 37 cartel prisoners to the United States.",
                rating="True",
                reviewer="Example Checks",
                review_date=date(2026, 1, 22),
                url="https://checks.example.org/prisoners",
            )
        ]
    )
    llm = StructuredLLM(FakeChatModel(), max_reasks=0)
    prompts = PromptLibrary(default_prompts_dir())
    text = "Mexico sent 37 cartel prisoners to the United States."
    pipeline = Pipeline(
        ClaimExtractor(llm, prompts),
        ListRetriever([text]),
        LLMVerifier(llm, prompts, relevance_threshold=0.0),
        retrieval=RetrievalSettings(top_k=6, candidates=30, rrf_k=60),
        model="fake",
        priors=priors,
    )
    blocks = [b async for b in pipeline.run([Article(id="a", text=text)])]
    (result,) = blocks[0].records
    assert isinstance(result, ClaimResult) and result.verdict == "SUPPORTED"
    (prior,) = result.prior_checks
    assert prior.rating == "True" and prior.reviewer == "Example Checks"
    assert result.provenance.retrieval and result.provenance.retrieval.prior_match_threshold == 0.8


def test_cli_ingests_claimreviews(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from factcheck.cli.main import EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, app

    monkeypatch.setenv("FACTCHECK_LLM_BACKEND", "fake")
    monkeypatch.setenv("FACTCHECK_CHROMA_PATH", str(tmp_path / "chroma"))
    monkeypatch.chdir(tmp_path)
    good = tmp_path / "good.json"
    good.write_text(json.dumps([REVIEW, GOOGLE]), encoding="utf-8")
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(REVIEW) + "\n{oops\n", encoding="utf-8")

    def invoke(*args: str):
        return CliRunner().invoke(app, list(args))

    assert invoke("ingest").exit_code == EXIT_USAGE
    first = invoke("ingest", "--claimreview", str(good))
    assert first.exit_code == EXIT_OK, first.output
    assert "3 new" in first.output and "references-claimreviews" in first.output
    partial = invoke("ingest", "--claimreview", str(bad))
    assert partial.exit_code == EXIT_PARTIAL, partial.output
    assert "0 new, 1 already present" in partial.output and "line 2: not JSON" in partial.output
