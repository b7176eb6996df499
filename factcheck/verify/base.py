"""What every verifier shares: the `ClaimVerifier` protocol the pipeline calls, the evidence
block shown to a model, the relevance cut, and the mechanical citation check (a cited number
must be a passage shown, and its quote must occur in that passage)."""

from __future__ import annotations

from functools import lru_cache
from typing import Protocol

from factcheck.injection import defang, scan
from factcheck.llm.schemas import VerificationReply
from factcheck.models import (
    Citation,
    Claim,
    ClaimResult,
    Evidence,
    Provenance,
    RejectedCitation,
    SourceChunk,
)
from factcheck.text import find_quote, neutralize_tags

LOWEST_TIER = 3
"""Credibility tiers run 1 (most credible) to 3."""


def injection_rules(chunk: SourceChunk) -> list[str]:
    """Prompt-injection rules that fire on the chunk: recorded at ingest, else scanned now (the
    second scan, when evidence is assembled, catches chunks stored before the scan existed)."""
    return list(chunk.injection_rules) or list(_scanned_rules(chunk.text))


@lru_cache(maxsize=4096)
def _scanned_rules(text: str) -> tuple[str, ...]:
    # One scan per passage text, however many checks (prompt, NLI sentences, final checks) ask.
    return tuple(scan(text).rules)


def effective_tier(chunk: SourceChunk, tiers_in_use: bool) -> int | None:
    """The chunk's credibility tier; when any passage has a tier, a passage without one (or
    without a known publisher) counts as the lowest tier. None when no tiers are in use."""
    if not tiers_in_use:
        return None
    if chunk.credibility_tier is None or not chunk.publisher:
        return chunk.credibility_tier if chunk.credibility_tier is not None else LOWEST_TIER
    return chunk.credibility_tier


def tiers_in_use(evidence: list[Evidence]) -> bool:
    """Whether any passage carries a credibility tier."""
    return any(e.chunk.credibility_tier is not None for e in evidence)


def render_evidence(evidence: list[Evidence]) -> str:
    """The numbered evidence block shown to the model, each passage delimited and labelled."""
    blocks = []
    for item in evidence:
        chunk = item.chunk
        label = " — ".join(
            x
            for x in (
                chunk.title,
                chunk.publisher,
                chunk.published.isoformat() if chunk.published else None,
            )
            if x
        )
        if chunk.credibility_tier is not None:
            label += f" — tier {chunk.credibility_tier}"
        label = neutralize_tags(label).replace('"', "'")
        rules = injection_rules(chunk)
        # A flagged passage is shown defanged and labelled: the model sees the attempt as data.
        trust = f' trust="untrusted: {", ".join(rules)}"' if rules else ""
        text = defang(chunk.text) if rules else chunk.text
        blocks.append(
            f'<evidence number="{item.number}" source="{label}"{trust}>\n'
            f"{neutralize_tags(text)}\n</evidence>"
        )
    return "\n\n".join(blocks) if blocks else "(no evidence)"


def check_citations(
    reply: VerificationReply, evidence: list[Evidence]
) -> tuple[list[Citation], list[RejectedCitation]]:
    """Split the reply's citations into valid ones (verbatim quotes) and rejected ones."""
    by_number = {e.number: e for e in evidence}
    valid: list[Citation] = []
    rejected: list[RejectedCitation] = []
    seen: set[tuple[str, int, int]] = set()
    for cited in reply.citations:
        item = by_number.get(cited.evidence)
        if item is None:
            rejected.append(
                RejectedCitation(
                    evidence_number=cited.evidence,
                    quote=cited.quote,
                    reason=f"there is no evidence passage number {cited.evidence}",
                )
            )
            continue
        span = find_quote(item.chunk.text, cited.quote)
        if span is None:
            rejected.append(
                RejectedCitation(
                    evidence_number=cited.evidence,
                    quote=cited.quote,
                    reason=f"the quote does not occur in evidence passage {cited.evidence}",
                )
            )
            continue
        key = (item.chunk.id, span.start, span.end)
        if key in seen:
            continue
        seen.add(key)
        valid.append(Citation.from_chunk(item.chunk, span.of(item.chunk.text)))
    return valid, rejected


class ClaimVerifier(Protocol):
    """What the pipeline needs of a verifier (the LLM `Verifier`, `nli.NLIVerifier`, the
    cascade): an identity to record, a verdict per claim, deterministic result ids."""

    @property
    def prompt_hash(self) -> str:
        """Identity of the verifier's prompt or model, recorded with every result."""
        ...

    async def verify(
        self, claim: Claim, evidence: list[Evidence], provenance: Provenance
    ) -> ClaimResult:
        """The verdict on `claim` given `evidence`."""
        ...

    def result_id(self, claim: Claim, shown: list[Evidence], provenance: Provenance) -> str:
        """Deterministic id of the result for `claim` on `shown` evidence."""
        ...


def relevant_evidence(evidence: list[Evidence], threshold: float) -> list[Evidence]:
    """Evidence whose dense similarity reaches `threshold` (or is unknown), renumbered from 1."""
    kept = [e for e in evidence if e.dense_similarity is None or e.dense_similarity >= threshold]
    return [e.model_copy(update={"number": i}) for i, e in enumerate(kept, start=1)]
