from datetime import date

from factcheck.config import default_prompts_dir
from factcheck.extract import ClaimExtractor, ExtractionSettings, make_windows
from factcheck.llm.fake import FakeChatModel
from factcheck.llm.prompts import PromptLibrary
from factcheck.llm.structured import StructuredLLM
from factcheck.models import Article

ARTICLE = Article(
    id="a1",
    published=date(2026, 1, 29),
    text=(
        "Sheinbaum said homicides fell 37% in 2025. She spoke to reporters in Mexico City.\n"
        "The USMCA will be reviewed in July 2026. It was a nice day."
    ),
)


def claim(quote, text, score=0.9, speaker=None):
    return {
        "quote": quote,
        "claim": text,
        "speaker": speaker,
        "claim_type": "statistic",
        "checkworthiness": score,
    }


def extractor(replies, **settings):
    llm = StructuredLLM(FakeChatModel(replies=replies), max_reasks=0)
    return ClaimExtractor(llm, PromptLibrary(default_prompts_dir()), ExtractionSettings(**settings))


async def test_claims_are_anchored_filtered_and_deduplicated():
    reply = {
        "claims": [
            claim(
                "homicides fell 37% in 2025",
                "Homicides in Mexico fell 37% in 2025.",
                speaker="Claudia Sheinbaum",
            ),
            claim(
                "“The USMCA will be reviewed in July 2026.”",
                "The USMCA will be reviewed in July 2026.",
            ),
            claim("It was a nice day.", "It was a nice day.", score=0.1),
            claim("Homicides fell 37% in 2025", "Homicides in Mexico fell 37 % in 2025"),
            claim("Crime vanished entirely last week", "Crime vanished."),
        ]
    }
    outcome = await extractor([reply], window_sentences=10).extract(ARTICLE)
    texts = [c.text for c in outcome.claims]
    assert texts == [
        "Homicides in Mexico fell 37% in 2025.",
        "The USMCA will be reviewed in July 2026.",
    ]
    first, second = outcome.claims
    assert ARTICLE.text[first.start : first.end] == first.quote == "homicides fell 37% in 2025"
    assert ARTICLE.text[second.start : second.end] == "The USMCA will be reviewed in July 2026."
    assert first.speaker == "Claudia Sheinbaum" and first.claim_date == date(2026, 1, 29)
    assert outcome.below_threshold == 1
    assert outcome.duplicates == 1
    assert [r.reason for r in outcome.rejected] == ["quote not found in the article passage"]
    assert outcome.usage.calls == 1


async def test_claim_ids_are_stable():
    reply = {
        "claims": [claim("The USMCA will be reviewed in July 2026.", "USMCA review July 2026")]
    }
    a = await extractor([reply], window_sentences=10).extract(ARTICLE)
    b = await extractor([reply], window_sentences=10).extract(ARTICLE)
    assert a.claims[0].id == b.claims[0].id


async def test_quotes_must_come_from_their_own_window():
    # window 1 = sentences 1-2, window 2 = sentences 3-4; a quote from window 2 returned for
    # window 1 is not anchored there (it would be a claim taken from the context).
    replies = [{"claims": [claim("The USMCA will be reviewed in July 2026", "x")]}, {"claims": []}]
    outcome = await extractor(replies, window_sentences=2, context_sentences=1).extract(ARTICLE)
    assert outcome.windows == 2
    assert outcome.claims == []
    assert len(outcome.rejected) == 1


def test_windows_cover_all_sentences_with_context():
    windows = make_windows(ARTICLE.text, size=2, context=1)
    assert len(windows) == 2
    assert windows[0].before is None and windows[0].after is not None
    assert windows[1].passage.of(ARTICLE.text).startswith("The USMCA")
    assert windows[1].before.of(ARTICLE.text) == "She spoke to reporters in Mexico City."


async def test_a_failing_window_keeps_the_other_windows_claims():
    replies = ["not json", {"claims": [claim("The USMCA will be reviewed in July 2026", "x y")]}]
    outcome = await extractor(replies, window_sentences=2, context_sentences=0).extract(ARTICLE)
    assert [c.quote for c in outcome.claims] == ["The USMCA will be reviewed in July 2026"]
    assert len(outcome.failed_windows) == 1 and outcome.failed_windows[0].start == 0
    assert outcome.usage.calls == 2


async def test_all_windows_failing_fails_the_article():
    import pytest

    from factcheck.errors import OutputValidationError

    with pytest.raises(OutputValidationError) as info:
        await extractor(["bad", "worse"], window_sentences=2).extract(ARTICLE)
    assert info.value.usage.calls == 2


async def test_claims_not_grounded_in_the_passage_are_rejected():
    reply = {
        "claims": [
            claim(
                "Sheinbaum said homicides fell 37% in 2025",
                "Bus fares in the capital fell after the mayor intervened",
            )
        ]
    }
    outcome = await extractor([reply], window_sentences=10).extract(ARTICLE)
    assert outcome.claims == []
    assert "not grounded" in outcome.rejected[0].reason


async def test_speakers_the_passage_never_names_are_dropped():
    reply = {
        "claims": [
            claim(
                "homicides fell 37% in 2025", "Homicides fell 37% in 2025", speaker="Maria Lopez"
            ),
            claim(
                "The USMCA will be reviewed in July 2026",
                "The USMCA will be reviewed in July 2026",
                speaker="Sheinbaum",
            ),
        ]
    }
    outcome = await extractor([reply], window_sentences=10).extract(ARTICLE)
    assert [c.speaker for c in outcome.claims] == [None, "Sheinbaum"]
    assert outcome.dropped_speakers == 1


async def test_a_quote_that_does_not_carry_the_claim_is_reanchored():
    reply = {
        "claims": [
            claim(
                "She spoke to reporters in Mexico City.", "The USMCA will be reviewed in July 2026."
            )
        ]
    }
    outcome = await extractor([reply], window_sentences=10).extract(ARTICLE)
    assert [c.quote for c in outcome.claims] == ["The USMCA will be reviewed in July 2026."]
    assert outcome.repaired == 1
