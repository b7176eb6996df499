from datetime import date

from factcheck.config import default_prompts_dir
from factcheck.errors import InputError
from factcheck.extract import ClaimExtractor
from factcheck.llm.fake import FakeChatModel
from factcheck.llm.prompts import PromptLibrary
from factcheck.llm.structured import StructuredLLM
from factcheck.models import Article, ClaimResult, ErrorRecord
from factcheck.pipeline import Pipeline
from factcheck.retrieval.source_policy import RetrievalSettings
from factcheck.testing.doubles import ListRetriever
from factcheck.verify.llm import LLMVerifier

REFERENCES = [
    "In 2025 Mexico recorded 24,000 homicide victims according to SESNSP.",
    "The USMCA joint review is due on 1 July 2026.",
]


def pipeline(retriever=None, responder=None, concurrency=3):
    llm = StructuredLLM(FakeChatModel(responder=responder), max_reasks=0)
    prompts = PromptLibrary(default_prompts_dir())
    return Pipeline(
        ClaimExtractor(llm, prompts),
        retriever or ListRetriever(REFERENCES),
        LLMVerifier(llm, prompts, relevance_threshold=0.2),
        retrieval=RetrievalSettings(top_k=6, candidates=30, rrf_k=60),
        concurrency=concurrency,
        model="fake",
    )


def article(i, text):
    return Article(id=f"a{i}", text=text, published=date(2026, 1, 29))


async def collect(p, items, **options):
    return [r async for block in p.run(items, **options) for r in block.records]


async def test_batch_produces_results_with_provenance():
    p = pipeline()
    records = await collect(p, [article(1, "In 2025 Mexico recorded 24,000 homicide victims.")])
    results = [r for r in records if isinstance(r, ClaimResult)]
    assert len(results) == 1
    result = results[0]
    assert result.verdict == "SUPPORTED"
    assert result.citations and result.citations[0].quote in REFERENCES[0]
    assert set(result.provenance.prompt_hashes) == {"extract", "verify"}
    assert result.provenance.collection_fingerprint
    assert result.provenance.usage.calls == 1  # verification; extraction is counted per article
    assert p.stats.usage.calls == 2


async def test_one_bad_item_never_stops_the_batch():
    def responder(messages, schema):
        if "EXPLODE" in messages[-1].content:
            raise ValueError("model crashed on this article")
        from factcheck.llm.fake import heuristic_responder

        return heuristic_responder(messages, schema)

    retriever = ListRetriever(REFERENCES, fail_on="USMCA")
    items = [
        article(1, "In 2025 Mexico recorded 24,000 homicide victims."),
        InputError("not UTF-8", source="bad.txt"),
        article(2, "EXPLODE 12 times."),
        article(3, "The USMCA joint review is due on 1 July 2026."),
    ]
    records = await collect(pipeline(retriever, responder), items)
    errors = {r.stage: r for r in records if isinstance(r, ErrorRecord)}
    assert set(errors) == {"input", "extract", "retrieve"}
    assert errors["input"].item_id == "bad.txt"
    assert errors["extract"].article_id == "a2"
    assert errors["retrieve"].claim is not None
    assert sum(isinstance(r, ClaimResult) for r in records) == 1


async def test_same_claim_in_many_articles_is_verified_once():
    text = "In 2025 Mexico recorded 24,000 homicide victims."
    retriever = ListRetriever(REFERENCES)
    p = pipeline(retriever)
    records = await collect(p, [article(i, text) for i in range(5)])
    results = [r for r in records if isinstance(r, ClaimResult)]
    assert len(results) == 5
    assert len({r.claim.article_id for r in results}) == 5
    assert len({r.id for r in results}) == 5
    assert len(retriever.queries) == 1
    assert p.stats.deduplicated == 4


async def test_check_claims_keeps_input_order():
    p = pipeline()
    from factcheck.io.claims import plain_claim

    claims = [
        plain_claim("The USMCA joint review is due on 1 July 2026."),
        plain_claim("Pigs can fly over 3 mountains."),
    ]
    records = await p.check_claims(claims)
    assert [r.claim.text for r in records] == [c.text for c in claims]


async def test_skip_and_stop():
    p = pipeline()
    items = [article(i, f"In 2025 Mexico recorded {i},000 homicide victims.") for i in range(6)]
    records = await collect(p, items, skip={"a0", "a1"})
    assert p.stats.skipped == 2
    assert {r.claim.article_id for r in records} == {"a2", "a3", "a4", "a5"}
    p = pipeline(concurrency=1)
    calls = iter(range(100))
    records = await collect(p, items, should_stop=lambda: "budget" if next(calls) >= 2 else None)
    assert p.stats.stopped == "budget"
    assert {r.claim.article_id for r in records} == {"a0", "a1"}


async def test_usage_of_failed_calls_is_still_counted():
    from factcheck.llm.fake import heuristic_responder
    from factcheck.llm.schemas import VerificationReply

    def responder(messages, schema):
        return "not json" if schema is VerificationReply else heuristic_responder(messages, schema)

    p = pipeline(responder=responder)
    blocks = [b async for b in p.run([article(1, "In 2025 Mexico recorded 24,000 homicides.")])]
    assert [r.stage for r in blocks[0].records] == ["verify"]
    assert blocks[0].usage.calls == 2  # one extraction call + one failed verification call
    assert p.stats.usage.calls == 2


async def test_failed_window_is_reported_beside_the_other_claims():
    from factcheck.llm.fake import heuristic_responder

    def responder(messages, schema):
        prompt = str(messages[-1].content)
        if "<passage>\n" in prompt and "BROKEN" in prompt.split("<passage>\n")[1].split("</")[0]:
            return "{truncated"
        return heuristic_responder(messages, schema)

    text = (
        "In 2025 Mexico recorded 24,000 homicide victims. "
        + "Filler sentence here. " * 8
        + "BROKEN 12 window text here."
    )
    p = pipeline(responder=responder)
    records = await collect(p, [article(1, text)])
    kinds = sorted(type(r).__name__ for r in records)
    assert kinds == ["ClaimResult", "ErrorRecord"]
    error = next(r for r in records if isinstance(r, ErrorRecord))
    assert error.stage == "extract" and error.item_id.startswith("a1@")


async def test_finished_claims_are_kept_compressed_and_serve_later_duplicates():
    """A long run must not keep every result alive for de-duplication: once a claim is done its
    entry is compressed JSON, and a duplicate arriving later gets the same verdict from it."""
    text = "In 2025 Mexico recorded 24,000 homicide victims."
    retriever = ListRetriever(REFERENCES)
    p = pipeline(retriever, concurrency=1)  # one article at a time: the duplicates come later
    records = await collect(p, [article(i, text) for i in range(3)])
    first, *later = [r for r in records if isinstance(r, ClaimResult)]
    assert len(later) == 2 and len(retriever.queries) == 1
    assert p.stats.deduplicated == 2
    assert all(isinstance(entry, bytes) for entry in p._by_claim.values())
    for copy in later:
        assert copy.claim.article_id != first.claim.article_id and copy.id != first.id
        assert copy.model_dump(exclude={"claim", "id"}) == first.model_dump(exclude={"claim", "id"})
