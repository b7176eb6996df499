"""Claim + numbered evidence → verdict, confidence, rationale and mechanically checked citations.

A citation is kept only if its number is one of the passages shown and its quote occurs in that
passage (up to case, whitespace and quote marks); the emitted quote is the passage's own
verbatim text. Invalid citations trigger a re-ask; if they persist, they are dropped and kept
in `rejected_citations` for audit. Claims with no passage above the relevance threshold get
NOT_ENOUGH_EVIDENCE without an LLM call.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from factcheck.language import detect_language, language_name
from factcheck.llm.prompts import PromptLibrary
from factcheck.llm.schemas import VerificationReply
from factcheck.llm.structured import StructuredLLM
from factcheck.models import (
    Claim,
    ClaimResult,
    Evidence,
    Provenance,
    RejectedCitation,
    Verdict,
    content_id,
)
from factcheck.text import neutralize_tags
from factcheck.verify.base import check_citations, relevant_evidence, render_evidence
from factcheck.verify.checks import mismatch_summary, quantity_report

STEP = "verify"
VERIFIER_NAME = "llm"


class LLMVerifier:
    """Judges claims against evidence with an LLM."""

    def __init__(
        self,
        llm: StructuredLLM,
        prompts: PromptLibrary,
        *,
        relevance_threshold: float = 0.25,
        output_language: str = "claim",
    ) -> None:
        self.llm = llm
        self.prompt = prompts.get(STEP)
        self.relevance_threshold = relevance_threshold
        self.output_language = output_language

    def rationale_language(self, claim: Claim) -> str:
        """The language the rationale is asked for: `output_language`, or with "claim" the
        claim's detected language (the claim's own wording's language when undetermined)."""
        code = detect_language(claim.text) if self.output_language == "claim" else None
        name = language_name(code or self.output_language)
        return name or "the language the claim is written in"

    @property
    def prompt_hash(self) -> str:
        """Content hash of the verification prompt in use."""
        return self.prompt.hash

    def relevant(self, evidence: list[Evidence]) -> list[Evidence]:
        """Evidence whose dense similarity reaches the threshold, renumbered from 1."""
        return relevant_evidence(evidence, self.relevance_threshold)

    async def verify(
        self, claim: Claim, evidence: list[Evidence], provenance: Provenance
    ) -> ClaimResult:
        """The verdict on `claim`; `provenance` is completed with usage, timings and hashes."""
        started = time.perf_counter()
        shown = self.relevant(evidence)
        provenance = provenance.model_copy(deep=True)
        provenance.prompt_hashes[STEP] = self.prompt_hash
        provenance.created_at = datetime.now(UTC)
        if not shown:
            best = max((e.dense_similarity or 0.0 for e in evidence), default=0.0)
            provenance.timings["verify"] = time.perf_counter() - started
            return ClaimResult(
                id=self.result_id(claim, [], provenance),
                claim=claim,
                verdict=Verdict.NOT_ENOUGH_EVIDENCE,
                # Heuristic, documented: the less similar the best passage, the surer we are
                # that the store holds nothing on the claim.
                confidence=round(max(0.5, 1.0 - best), 3),
                rationale=(
                    f"No reference passage reached the relevance threshold "
                    f"(best similarity {best:.2f} < {self.relevance_threshold:.2f}); "
                    "the store holds no evidence on this claim."
                ),
                evidence=evidence,
                provenance=provenance,
                verifier="threshold",
            )
        messages = self.prompt.render(
            claim=neutralize_tags(claim.text),
            speaker=claim.speaker or "(the article itself)",
            claim_date=claim.claim_date.isoformat() if claim.claim_date else "(unknown)",
            evidence=render_evidence(shown),
            **(
                {"output_language": self.rationale_language(claim)}
                if self.prompt.uses("output_language")
                else {}
            ),
        )
        rejected_on_exhaustion: list[RejectedCitation] = []
        flags: list[str] = []

        def validate(reply: VerificationReply) -> None:
            valid, rejected = check_citations(reply, shown)
            if rejected:
                raise ValueError(
                    "; ".join(
                        f"citation of passage {r.evidence_number} ({r.quote[:80]!r}): {r.reason}"
                        for r in rejected
                    )
                    + ". Quote words exactly as they appear in the passage."
                )
            if reply.verdict is Verdict.SUPPORTED and not flags:
                report = quantity_report(claim.text, [c.quote for c in valid])
                if report.contradicted:
                    # Asked once: the final checks withdraw a SUPPORTED that still contradicts.
                    flags.append(f"quantity mismatch flagged, re-asked: {mismatch_summary(report)}")
                    raise ValueError(
                        "The passages you cite state a different number or date than the claim: "
                        f"{mismatch_summary(report)}. A claim whose number or date the source "
                        "contradicts is not SUPPORTED; reconsider the verdict."
                    )

        def drop_invalid(reply: VerificationReply) -> VerificationReply:
            _, rejected = check_citations(reply, shown)
            rejected_on_exhaustion.extend(rejected)
            return reply

        reply = await self.llm.ask(
            messages, VerificationReply, validate=validate, on_exhausted=drop_invalid
        )
        answer: VerificationReply = reply.value
        citations, _ = check_citations(answer, shown)
        provenance.usage.add(reply.usage)
        provenance.timings["verify"] = time.perf_counter() - started
        return ClaimResult(
            id=self.result_id(claim, shown, provenance),
            claim=claim,
            verdict=answer.verdict,
            confidence=answer.confidence,
            rationale=answer.rationale.strip(),
            citations=citations,
            rejected_citations=rejected_on_exhaustion,
            evidence=shown,
            provenance=provenance,
            verifier=VERIFIER_NAME,
            notes=flags,
        )

    def result_id(self, claim: Claim, shown: list[Evidence], provenance: Provenance) -> str:
        """Deterministic id: same claim, evidence, model and prompt → same result id."""
        return content_id(
            "result", claim.id, provenance.model, self.prompt_hash, *(e.chunk.id for e in shown)
        )
