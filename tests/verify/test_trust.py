"""The cases fact-checkers reported, with the real offline NLI model: a verdict never
contradicts the number in its own citation, an unrelated number never refutes, every committed
verdict stands on a valid citation, and claims the model cannot read are not judged."""

from __future__ import annotations

import pytest

from factcheck.io.claims import plain_claim
from factcheck.models import (
    Citation,
    ClaimResult,
    Evidence,
    Provenance,
    Verdict,
    VerdictReason,
)
from factcheck.testing.doubles import chunk
from factcheck.verify.checks import CheckedVerifier, enforce
from factcheck.verify.nli import NLISettings, NLIVerifier


@pytest.fixture(scope="module")
def nli() -> CheckedVerifier:
    return CheckedVerifier(NLIVerifier(settings=NLISettings(relevance_threshold=-1.0)))


def evidence(*texts: str) -> list[Evidence]:
    return [
        Evidence(number=i, chunk=chunk(text, title=f"Source {i}"), score=1.0 / i)
        for i, text in enumerate(texts, start=1)
    ]


async def check(verifier: CheckedVerifier, claim: str, *texts: str) -> ClaimResult:
    return await verifier.verify(plain_claim(claim), evidence(*texts), Provenance(model="none"))


async def test_under_eight_minutes_is_not_supported_by_9_4_minutes(nli):
    result = await check(
        nli,
        "The average response time is under eight minutes.",
        "The average response time was 9.4 minutes in 2025, according to the fire department's "
        "annual report.",
    )
    assert result.verdict is not Verdict.SUPPORTED
    contradicting = [q for q in result.quantity_checks if q.outcome == "contradicts"]
    assert contradicting, result.quantity_checks
    assert contradicting[0].claim_value == "under eight minutes"
    assert contradicting[0].source_value == "9.4 minutes"


async def test_an_unrelated_number_does_not_refute(nli):
    result = await check(
        nli,
        "The police department receives $412 million.",
        "Police overtime cost the city $47.3M last year, according to the comptroller.",
    )
    assert result.verdict is not Verdict.REFUTED


async def test_a_true_number_can_still_be_supported(nli):
    result = await check(
        nli,
        "Mexico sent 37 cartel prisoners to the United States.",
        "Mexico sent 37 cartel prisoners to the United States on Tuesday, officials said.",
    )
    assert result.verdict is Verdict.SUPPORTED
    assert any(q.outcome == "consistent" for q in result.quantity_checks)


async def test_a_spanish_claim_is_not_judged_by_the_english_model(nli):
    result = await check(
        nli,
        "Los homicidios en México bajaron 11,1 % en el primer semestre de 2025.",
        "Homicides in Mexico fell 11.1% in the first half of 2025, the security ministry said.",
    )
    assert result.verdict is Verdict.NOT_ENOUGH_EVIDENCE
    assert result.reason is VerdictReason.LANGUAGE_UNSUPPORTED
    assert "language" in result.rationale


async def test_spanish_evidence_sentences_are_left_unscored_and_counted(nli):
    result = await check(
        nli,
        "Homicides in Mexico fell in the first half of 2025.",
        "Los homicidios dolosos bajaron en el primer semestre de 2025, informó el gobierno.",
    )
    assert result.unscored_sentences == 1
    assert result.reason is VerdictReason.LANGUAGE_UNSUPPORTED


def supported_without(citations: list[Citation]) -> ClaimResult:
    claim = plain_claim("The mayor cut bus fares by 10% in 2025.")
    return ClaimResult(
        id="r",
        claim=claim,
        verdict=Verdict.SUPPORTED,
        confidence=0.99,
        rationale="The model said so.",
        citations=citations,
        provenance=Provenance(model="x"),
    )


def test_a_committed_verdict_without_a_valid_citation_is_withdrawn():
    result = enforce(supported_without([]))
    assert result.verdict is Verdict.NOT_ENOUGH_EVIDENCE
    assert result.reason is VerdictReason.NO_VALID_CITATION
    assert result.confidence <= 0.5
    assert any("no citation passed validation" in n for n in result.notes)


def test_a_supported_verdict_citing_another_number_is_withdrawn():
    cited = Citation(chunk_id="c1", quote="The mayor cut bus fares by 25% in 2025.")
    result = enforce(supported_without([cited]))
    assert result.verdict is Verdict.NOT_ENOUGH_EVIDENCE
    assert result.reason is VerdictReason.QUANTITY_MISMATCH
    assert any("10%" in n and "25%" in n for n in result.notes)


def test_enforce_is_idempotent():
    cited = Citation(chunk_id="c1", quote="The mayor cut bus fares by 10% in 2025.")
    once = enforce(supported_without([cited]))
    assert once.verdict is Verdict.SUPPORTED and once.reason is VerdictReason.EVIDENCE
    assert enforce(once) == once


def test_abstention_below_the_commit_threshold():
    from factcheck.verify.nli import ScoredSentence, aggregate

    item = evidence("Bus fares fell in 2025.")[0]
    leaning = ScoredSentence(item, 0, 23, (0.7, 0.1, 0.2), (0.7, 0.1, 0.2))
    committed = aggregate([leaning], NLISettings(commit_threshold=0.6))
    assert committed.verdict is Verdict.SUPPORTED
    undecided = aggregate([leaning], NLISettings(commit_threshold=0.8))
    assert undecided.verdict is Verdict.NOT_ENOUGH_EVIDENCE
    assert undecided.reason is VerdictReason.UNDECIDED_OFFLINE
    assert undecided.leaning is Verdict.SUPPORTED


async def test_the_least_relevant_sentences_are_dropped_first_and_counted():
    verifier = NLIVerifier(settings=NLISettings(relevance_threshold=-1.0, max_sentences=2))
    items = [
        Evidence(number=1, chunk=chunk("Low one. Low two."), score=0.1),
        Evidence(number=2, chunk=chunk("High one. High two."), score=0.9),
    ]
    kept, unscored = verifier.sentences(items)
    assert [item.chunk.text[span.start : span.end] for item, span in kept] == [
        "High one.",
        "High two.",
    ]
    assert unscored == 2
