from factcheck.io.results import RunResults
from factcheck.models import Citation, Claim, ClaimResult, ClaimType, Provenance
from factcheck.reports.markdown import markdown_report


def result_with(url: str, rationale: str = "ok") -> ClaimResult:
    claim = Claim.make(
        article_id="a",
        text="Claim *bold* [x](javascript:alert(1))",
        quote="q",
        start=0,
        end=1,
        claim_type=ClaimType.EVENT,
        checkworthiness=0.9,
    )
    return ClaimResult(
        id="r",
        claim=claim,
        verdict="SUPPORTED",
        confidence=0.9,
        rationale=rationale,
        provenance=Provenance(model="m"),
        citations=[Citation(chunk_id="c", quote="quoted", source_url=url)],
    )


def test_only_http_links_and_markup_is_escaped():
    safe = markdown_report(RunResults(results=[result_with("https://example.org/a")]))
    assert "<https://example.org/a>" in safe
    unsafe = markdown_report(RunResults(results=[result_with("javascript:alert(1)")]))
    assert "javascript:alert(1)>" not in unsafe and "<javascript" not in unsafe
    assert "\\[x\\]" in unsafe and "\\*bold\\*" in unsafe
    odd = markdown_report(RunResults(results=[result_with("https://e.org/<script>")]))
    assert "<script>" not in odd
