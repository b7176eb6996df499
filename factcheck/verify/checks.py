"""The checks every verdict passes through, whichever verifier gave it (LLM, NLI, cascade).

- Numbers and dates: the claim's quantities are compared with those of the cited sentences
  (`verify.quantities`) and every comparison is recorded in the result. A SUPPORTED verdict
  whose citations state a different value for the claim's quantity cannot stand.
- Citations: SUPPORTED, REFUTED and CONFLICTING stand only on at least one citation that passed
  validation; otherwise the verdict is NOT_ENOUGH_EVIDENCE, with the reason recorded.
"""

from __future__ import annotations

from collections.abc import Sequence

from factcheck.models import (
    Citation,
    Claim,
    ClaimResult,
    Evidence,
    Provenance,
    QuantityCheck,
    Verdict,
    VerdictReason,
)
from factcheck.verify.base import ClaimVerifier
from factcheck.verify.quantities import QuantityReport, check_citations

COMMITTED = frozenset({Verdict.SUPPORTED, Verdict.REFUTED, Verdict.CONFLICTING})
DOWNGRADED_CONFIDENCE = 0.5
"""Confidence of a verdict turned into NOT_ENOUGH_EVIDENCE by a check: the evidence was not
judged insufficient, the verdict was withdrawn, so no more than even odds are claimed."""


def quantity_report(claim: str, sentences: Sequence[str]) -> QuantityReport:
    """The claim's numbers and dates compared with those of `sentences`."""
    return check_citations(claim, list(sentences))


def recorded(report: QuantityReport, chunk_of: dict[str, str | None]) -> list[QuantityCheck]:
    """The report's comparisons as result records (`chunk_of` maps a sentence to its chunk)."""
    return [
        QuantityCheck(
            claim_value=c.claim_text,
            source_value=c.source_text,
            sentence=c.sentence,
            chunk_id=chunk_of.get(c.sentence),
            rule=c.rule,
            outcome=c.outcome,
        )
        for c in report.comparisons
    ]


def mismatch_summary(report: QuantityReport) -> str:
    """The contradicting comparisons in one line each (for notes and re-asks)."""
    return "; ".join(c.describe() for c in report.comparisons if c.outcome == "contradicts")


def citation_quantities(
    claim: str, citations: Sequence[Citation]
) -> tuple[QuantityReport, list[QuantityCheck]]:
    """Compare the claim with its citations; the report and its records."""
    report = quantity_report(claim, [c.quote for c in citations])
    return report, recorded(report, {c.quote: c.chunk_id for c in citations})


def enforce(result: ClaimResult) -> ClaimResult:
    """Apply the checks to one result (idempotent)."""
    report, checks = citation_quantities(result.claim.text, result.citations)
    merged = list(result.quantity_checks)
    merged += [check for check in checks if check not in merged]
    update: dict[str, object] = {"quantity_checks": merged}
    reason = result.reason
    notes = list(result.notes)
    if result.verdict in COMMITTED and not result.citations:
        update |= {
            "verdict": Verdict.NOT_ENOUGH_EVIDENCE,
            "confidence": min(result.confidence, DOWNGRADED_CONFIDENCE),
        }
        reason = VerdictReason.NO_VALID_CITATION
        notes.append(
            f"{result.verdict} withdrawn: no citation passed validation "
            f"({len(result.rejected_citations)} rejected)"
        )
    elif result.verdict is Verdict.SUPPORTED and report.contradicted:
        update |= {
            "verdict": Verdict.NOT_ENOUGH_EVIDENCE,
            "confidence": min(result.confidence, DOWNGRADED_CONFIDENCE),
        }
        reason = VerdictReason.QUANTITY_MISMATCH
        notes.append(f"SUPPORTED withdrawn: {mismatch_summary(report)}")
    if reason is None:
        reason = (
            VerdictReason.NO_RELEVANT_EVIDENCE
            if result.verifier == "threshold"
            else VerdictReason.EVIDENCE
        )
    update |= {"reason": reason, "notes": notes}
    return result.model_copy(update=update)


class CheckedVerifier:
    """Any `ClaimVerifier` with `enforce` applied to its results (what the pipeline runs)."""

    def __init__(self, inner: ClaimVerifier) -> None:
        self.inner = inner

    @property
    def prompt_hash(self) -> str:
        """The wrapped verifier's identity."""
        return self.inner.prompt_hash

    async def verify(
        self, claim: Claim, evidence: list[Evidence], provenance: Provenance
    ) -> ClaimResult:
        """The wrapped verifier's result, checked."""
        return enforce(await self.inner.verify(claim, evidence, provenance))

    def result_id(self, claim: Claim, shown: list[Evidence], provenance: Provenance) -> str:
        """The wrapped verifier's result id."""
        return self.inner.result_id(claim, shown, provenance)
