"""Cascade verification: the offline NLI model settles the claims it is sure of, the LLM the rest.

A claim whose NLI verdict has calibrated confidence ≥ the threshold (or that has no relevant
evidence at all) is settled without an LLM call; every other claim goes to the LLM verifier,
and so does every claim the NLI model abstained on or could not read (its language).
The result says who decided (``verifier``: ``nli``, ``threshold`` or ``llm``) and its ``notes``
record the hand-off, the NLI verdict, and any disagreement between the two.
"""

from __future__ import annotations

from factcheck.models import (
    Claim,
    ClaimResult,
    Evidence,
    Provenance,
    VerdictReason,
    content_id,
)
from factcheck.verify.base import ClaimVerifier
from factcheck.verify.nli import NLIVerifier


class CascadeVerifier:
    """NLI first; below `threshold` confidence, the LLM verifier decides. Same interface."""

    def __init__(self, nli: NLIVerifier, llm: ClaimVerifier, threshold: float = 0.9) -> None:
        self.nli = nli
        self.llm = llm
        self.threshold = threshold

    @property
    def prompt_hash(self) -> str:
        """Both parts' identities: `<nli model>+<llm verification prompt>`."""
        return f"{self.nli.prompt_hash}+{self.llm.prompt_hash}"

    async def verify(
        self, claim: Claim, evidence: list[Evidence], provenance: Provenance
    ) -> ClaimResult:
        """The NLI verdict if it is confident enough, else the LLM's, with notes on both."""
        first = await self.nli.verify(claim, evidence, provenance)
        said = f"nli said {first.verdict} (confidence {first.confidence:.2f})"
        handed = first.reason in (
            VerdictReason.UNDECIDED_OFFLINE,
            VerdictReason.LANGUAGE_UNSUPPORTED,
        )
        if not handed and (first.verifier == "threshold" or first.confidence >= self.threshold):
            why = (
                "no relevant evidence"
                if first.verifier == "threshold"
                else f"{said} ≥ threshold {self.threshold:.2f}"
            )
            note = f"cascade: settled without the LLM: {why}"
            return first.model_copy(
                update={
                    "id": self.result_id(claim, first.evidence, first.provenance),
                    "notes": [*first.notes, note],
                }
            )
        second = await self.llm.verify(claim, evidence, provenance)
        notes = [
            f"cascade: nli could not decide ({first.reason}); the LLM decided"
            if handed
            else f"cascade: {said} < threshold {self.threshold:.2f}; the LLM decided"
        ]
        if second.verdict != first.verdict:
            notes.append(
                f"disagreement: nli {first.verdict} ({first.confidence:.2f}) vs llm "
                f"{second.verdict} ({second.confidence:.2f})"
            )
        merged = second.provenance.model_copy(deep=True)
        merged.prompt_hashes["verify_nli"] = self.nli.prompt_hash
        merged.timings["verify_nli"] = first.provenance.timings.get("verify", 0.0)
        merged.model_params = {**first.provenance.model_params, **merged.model_params}
        return second.model_copy(
            update={
                "id": self.result_id(claim, second.evidence, merged),
                "provenance": merged,
                "notes": [*second.notes, *notes],
            }
        )

    def result_id(self, claim: Claim, shown: list[Evidence], provenance: Provenance) -> str:
        """Deterministic id over the claim, both verifiers' identities and the evidence."""
        return content_id(
            "result", claim.id, "cascade", self.prompt_hash, *(e.chunk.id for e in shown)
        )
