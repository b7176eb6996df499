"""The checks every verdict passes through, whichever verifier gave it (LLM, NLI, cascade).

- Numbers and dates: the claim's quantities are compared with those of the cited sentences
  (`verify.quantities`) and every comparison is recorded in the result. A SUPPORTED verdict
  whose citations state a different value for the claim's quantity cannot stand.
- Citations: SUPPORTED, REFUTED and CONFLICTING stand only on at least one citation that passed
  validation; otherwise the verdict is NOT_ENOUGH_EVIDENCE, with the reason recorded.
- Source tiers: when passages carry credibility tiers, a SUPPORTED verdict that cites only
  sources of a lower tier than the best one shown is withdrawn (reason `corroboration`):
  support from an untiered or low-tier source alone does not outweigh a better source.
- Trends: for a claim about a change whose evidence holds a statistics-table row, the change
  is computed from the table (`verify.trends`), shown as a passage and recorded; a SUPPORTED
  verdict whose direction or percentage the computation contradicts is withdrawn.
- Untrusted passages (flagged as possible prompt injection, `retrieval.injection`) never count:
  citations of them are dropped, a verdict resting only on them is withdrawn, every flagged
  passage is listed in the notes, and a verdict shown such a passage keeps at most
  `UNTRUSTED_CONFIDENCE_CAP` confidence (the model's own confidence is not taken as is).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from factcheck.models import (
    Citation,
    Claim,
    ClaimResult,
    Evidence,
    Provenance,
    QuantityCheck,
    RejectedCitation,
    Verdict,
    VerdictReason,
)
from factcheck.verify.base import (
    LOWEST_TIER,
    ClaimVerifier,
    effective_tier,
    injection_rules,
    tiers_in_use,
)
from factcheck.verify.quantities import QuantityReport, check_citations
from factcheck.verify.trends import TREND_RULE, TrendChecker

COMMITTED = frozenset({Verdict.SUPPORTED, Verdict.REFUTED, Verdict.CONFLICTING})
DOWNGRADED_CONFIDENCE = 0.5
"""Confidence of a verdict turned into NOT_ENOUGH_EVIDENCE by a check: the evidence was not
judged insufficient, the verdict was withdrawn, so no more than even odds are claimed."""
UNTRUSTED_CONFIDENCE_CAP = 0.6
"""Most confidence a verdict keeps when its evidence held a passage that addresses the model
(an injected confidence such as 0.99 is never passed on)."""
REJECTED_CITATION_CAP = 0.7
"""Most confidence a verdict keeps when some of its citations failed validation."""


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


def untrusted_passages(result: ClaimResult) -> dict[str, list[str]]:
    """Chunk id → injection rules, for every flagged passage shown with the result."""
    flagged = {}
    for item in result.evidence:
        rules = injection_rules(item.chunk)
        if rules:
            flagged[item.chunk.id] = rules
    return flagged


def withdraw(result: ClaimResult, reason: VerdictReason, note: str) -> dict[str, object]:
    """The update that turns a committed verdict into NOT_ENOUGH_EVIDENCE, with its reason.
    Its citations support nothing any more: they move to the rejected citations (kept for
    audit, never shown as the verdict's sources)."""
    number = {e.chunk.id: e.number for e in result.evidence}
    moved = [
        RejectedCitation(
            evidence_number=number.get(c.chunk_id, 1),
            quote=c.quote,
            reason=f"the {result.verdict} verdict it supported was withdrawn ({reason})",
        )
        for c in result.citations
    ]
    return {
        "verdict": Verdict.NOT_ENOUGH_EVIDENCE,
        "confidence": min(result.confidence, DOWNGRADED_CONFIDENCE),
        "reason": reason,
        "notes": [*result.notes, note],
        "citations": [],
        "rejected_citations": [*result.rejected_citations, *moved],
    }


def enforce(result: ClaimResult) -> ClaimResult:
    """Apply the checks to one result (idempotent)."""
    notes = list(result.notes)
    flagged = untrusted_passages(result)
    for item in result.evidence:
        if item.chunk.id in flagged:
            note = (
                f"passage {item.number} ({item.chunk.title or item.chunk.source_id}) flagged as "
                f"possible prompt injection ({', '.join(flagged[item.chunk.id])}): shown "
                "defanged, never used as support"
            )
            if note not in notes:
                notes.append(note)
    cited_untrusted = any(c.chunk_id in flagged for c in result.citations)
    trusted = [c for c in result.citations if c.chunk_id not in flagged]
    confidence = result.confidence
    if flagged:
        confidence = min(confidence, UNTRUSTED_CONFIDENCE_CAP)
    if result.rejected_citations:
        confidence = min(confidence, REJECTED_CITATION_CAP)
    report, checks = citation_quantities(result.claim.text, trusted)
    merged = list(result.quantity_checks)
    merged += [check for check in checks if check not in merged]
    result = result.model_copy(
        update={
            "citations": trusted,
            "confidence": confidence,
            "notes": notes,
            "quantity_checks": merged,
        }
    )
    if result.verdict in COMMITTED and not trusted and cited_untrusted:
        return result.model_copy(
            update=withdraw(
                result,
                VerdictReason.UNTRUSTED_SUPPORT,
                f"{result.verdict} withdrawn: its only citations were flagged passages",
            )
        )
    if result.verdict in COMMITTED and not trusted:
        return result.model_copy(
            update=withdraw(
                result,
                VerdictReason.NO_VALID_CITATION,
                f"{result.verdict} withdrawn: no citation passed validation "
                f"({len(result.rejected_citations)} rejected)",
            )
        )
    tiered = tiers_in_use(result.evidence)
    if result.verdict is Verdict.SUPPORTED and tiered:
        tier_of = {e.chunk.id: effective_tier(e.chunk, tiered) or 0 for e in result.evidence}
        best_shown = min(tier_of.values())
        best_cited = min(tier_of.get(c.chunk_id, LOWEST_TIER) for c in trusted)
        if best_cited > best_shown:
            return result.model_copy(
                update=withdraw(
                    result,
                    VerdictReason.CORROBORATION,
                    f"SUPPORTED withdrawn: support comes only from tier-{best_cited} sources "
                    f"while a tier-{best_shown} source was shown; lower-tier support alone does "
                    "not stand",
                )
            )
    computed = [
        q
        for q in result.quantity_checks
        if q.rule.startswith(TREND_RULE) and q.outcome == "contradicts"
    ]
    if result.verdict is Verdict.SUPPORTED and computed:
        return result.model_copy(
            update=withdraw(
                result,
                VerdictReason.QUANTITY_MISMATCH,
                "SUPPORTED withdrawn: computed from the table, "
                + "; ".join(q.describe() for q in computed),
            )
        )
    if result.verdict is Verdict.SUPPORTED and report.contradicted:
        return result.model_copy(
            update=withdraw(
                result,
                VerdictReason.QUANTITY_MISMATCH,
                f"SUPPORTED withdrawn: {mismatch_summary(report)}",
            )
        )
    if result.reason is None:
        reason = (
            VerdictReason.NO_RELEVANT_EVIDENCE
            if result.verifier == "threshold"
            else VerdictReason.EVIDENCE
        )
        result = result.model_copy(update={"reason": reason})
    return result


class CheckedVerifier:
    """Any `ClaimVerifier` with `enforce` applied to its results (what the pipeline runs).

    With `trends`, a change claim whose evidence holds a statistics-table row is shown the
    change computed from the table as one more passage, and the computation's checks are
    recorded in the result before `enforce` (see `verify.trends`)."""

    def __init__(self, inner: ClaimVerifier, trends: TrendChecker | None = None) -> None:
        self.inner = inner
        self.trends = trends

    @property
    def prompt_hash(self) -> str:
        """The wrapped verifier's identity."""
        return self.inner.prompt_hash

    async def verify(
        self, claim: Claim, evidence: list[Evidence], provenance: Provenance
    ) -> ClaimResult:
        """The wrapped verifier's result, checked."""
        trend = (
            await asyncio.to_thread(self.trends.assess, claim, evidence) if self.trends else None
        )
        if trend is not None and trend.evidence is not None:
            evidence = [*evidence, trend.evidence]
        result = await self.inner.verify(claim, evidence, provenance)
        if trend is not None:
            result = result.model_copy(
                update={
                    "quantity_checks": [*result.quantity_checks, *trend.checks],
                    "notes": [*result.notes, trend.note],
                }
            )
        return enforce(result)

    def result_id(self, claim: Claim, shown: list[Evidence], provenance: Provenance) -> str:
        """The wrapped verifier's result id."""
        return self.inner.result_id(claim, shown, provenance)
