"""Which evidence may support a claim: publisher allow/deny lists, independence from the claim's
own article and speaker, and how old the cited evidence is.

Publisher names are compared case-insensitively after normalisation (`name_forms`): accents,
punctuation and a leading "the" are ignored, and a stored publisher such as
"U.S. Department of Justice, Office of Public Affairs (press release)" also answers to the
part before its first comma and to itself without the parenthesis.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from factcheck.models import Citation, Claim, Evidence, ExcludedEvidence, RetrievalRecord

NO_PUBLISHER_ALLOWED = "factcheck:no-allowed-publisher-in-collection"
"""Stands in for an empty `$in` list (Chroma refuses one) when no stored publisher is allowed."""

_PARENTHESES = re.compile(r"\([^)]*\)")
_NON_WORD = re.compile(r"[\W_]+")


def name_key(name: str) -> str:
    """Case-, accent- and punctuation-insensitive key of a name."""
    decomposed = unicodedata.normalize("NFKD", name)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    words = _NON_WORD.sub(" ", bare.casefold()).split()
    if len(words) > 1 and words[0] == "the":
        words = words[1:]
    return " ".join(words)


def name_forms(name: str | None) -> set[str]:
    """The keys a name answers to: the whole name, without parentheses, and the part before
    its first comma."""
    if not name:
        return set()
    plain = _PARENTHESES.sub(" ", name)
    return {key for key in map(name_key, (name, plain, plain.split(",")[0])) if key}


def matching(names: Iterable[str], wanted: Iterable[str]) -> list[str]:
    """The `names` that match any of `wanted` (same normalised form)."""
    keys = set().union(*(name_forms(w) for w in wanted))
    return sorted(name for name in names if name_forms(name) & keys)


def publisher_where(
    allow: Iterable[str], deny: Iterable[str], known: Iterable[str]
) -> dict[str, Any] | None:
    """A Chroma `where` filter keeping allowed and dropping denied publishers, spelled as
    they are stored (`known`: the collection's distinct publisher names). With an allow list,
    sources without a publisher are left out; a deny list keeps them."""
    allow, deny, known = list(allow), list(deny), list(known)
    clauses: list[dict[str, Any]] = []
    if allow:
        allowed = matching(known, allow) or [NO_PUBLISHER_ALLOWED]
        clauses.append({"publisher": {"$in": allowed}})
    denied = matching(known, deny) if deny else []
    if denied:
        clauses.append({"publisher": {"$nin": denied}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def not_independent(speaker: str | None, article_publisher: str | None) -> dict[str, str]:
    """Names whose publications are not independent evidence for a claim, with the reason."""
    names: dict[str, str] = {}
    if article_publisher and article_publisher.strip():
        names[article_publisher.strip()] = "article_publisher"
    if speaker and speaker.strip():
        names.setdefault(speaker.strip(), "speaker")
    return names


def split_independent(
    evidence: list[Evidence], own: dict[str, str], k: int
) -> tuple[list[Evidence], list[ExcludedEvidence]]:
    """The first `k` passages not published by an `own` name (renumbered from 1), and the
    passages left out for that reason ahead of the last one kept."""
    own_forms = [(name_forms(name), reason) for name, reason in own.items()]
    kept: list[Evidence] = []
    excluded: list[ExcludedEvidence] = []
    for item in evidence:
        if len(kept) == k:
            break
        forms = name_forms(item.chunk.publisher)
        reason = next((r for f, r in own_forms if forms & f), None)
        if reason is not None:
            excluded.append(
                ExcludedEvidence(
                    chunk_id=item.chunk.id,
                    source_id=item.chunk.source_id,
                    publisher=item.chunk.publisher,
                    title=item.chunk.title,
                    reason=reason,  # type: ignore[arg-type]
                )
            )
        else:
            kept.append(item.model_copy(update={"number": len(kept) + 1}))
    return kept, excluded


def evidence_age(citations: Iterable[Citation], on: date) -> int | None:
    """Days from the newest dated citation to `on` (None when no citation is dated)."""
    dates = [c.published for c in citations if c.published is not None]
    return (on - max(dates)).days if dates else None


@dataclass(frozen=True, kw_only=True)
class RetrievalSettings:
    """How evidence is fetched for a claim, and which evidence is acceptable.

    Evidence published after `as_of` (else after the claim's date, when
    `evidence_before_claim_date`) is left out; undated evidence is kept. With
    `exclude_own_sources`, passages published by the claim's article publisher or its speaker
    are dropped (and recorded); to fill `top_k`, twice as many are fetched (at most
    `candidates`). A result is flagged stale when its newest dated citation is more than
    `max_evidence_age_days` (0: never) older than the cutoff day, else the day of the verdict.
    `top_k`, `candidates` and `rrf_k` have no defaults here: they come from the settings.
    """

    top_k: int
    candidates: int
    rrf_k: int
    evidence_before_claim_date: bool = True
    as_of: date | None = None
    allow_publishers: tuple[str, ...] = ()
    deny_publishers: tuple[str, ...] = ()
    tier_weights: Mapping[int, float] = field(default_factory=dict)
    exclude_own_sources: bool = True
    max_evidence_age_days: int = 365
    reranker: str | None = None
    """The re-ranker the retriever applies (recorded in results), None when it applies none."""
    rerank_depth: int | None = None
    rerank_weight: float | None = None

    def cutoff(self, claim: Claim) -> tuple[date | None, str | None]:
        """The last publication day of usable evidence for `claim`, and what set it."""
        if self.as_of is not None:
            return self.as_of, "as_of"
        if self.evidence_before_claim_date and claim.claim_date is not None:
            return claim.claim_date, "claim_date"
        return None, None

    def record(
        self, claim: Claim, own: Mapping[str, str], prior_threshold: float | None
    ) -> RetrievalRecord:
        """What a result records of these settings for `claim`."""
        cutoff, basis = self.cutoff(claim)
        return RetrievalRecord(
            top_k=self.top_k,
            candidates=self.candidates,
            rrf_k=self.rrf_k,
            cutoff=cutoff,
            cutoff_basis=basis,  # type: ignore[arg-type]
            allow_publishers=list(self.allow_publishers),
            deny_publishers=list(self.deny_publishers),
            tier_weights=dict(self.tier_weights),
            not_independent=list(own),
            max_evidence_age_days=self.max_evidence_age_days or None,
            prior_match_threshold=prior_threshold,
            reranker=self.reranker,
            rerank_depth=self.rerank_depth,
            rerank_weight=self.rerank_weight,
        )

    def search_options(self, publishers: Callable[[], Iterable[str]]) -> dict[str, Any]:
        """The `where` and `tier_weights` search arguments this policy needs (none if none);
        `publishers` lists the stored publisher names, called only for allow/deny lists."""
        options: dict[str, Any] = {}
        if self.allow_publishers or self.deny_publishers:
            options["where"] = publisher_where(
                self.allow_publishers, self.deny_publishers, publishers()
            )
        if self.tier_weights:
            options["tier_weights"] = self.tier_weights
        return options
