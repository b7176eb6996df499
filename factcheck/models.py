"""Pydantic types shared by every stage: articles, claims, evidence, verdicts and run records."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from factcheck.text import words


def content_id(*parts: object, length: int = 16) -> str:
    """A short, stable hex id derived from the given parts (sha256 of their joined text)."""
    joined = "\x1f".join("" if p is None else str(p) for p in parts)
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()[:length]


def page_locator(page: int | None, page_end: int | None = None) -> str:
    """ "p. 14" for one page, "pp. 14–15" for a range, "" when `page` is None."""
    if page is None:
        return ""
    return f"p. {page}" if page_end in (None, page) else f"pp. {page}–{page_end}"


class Verdict(StrEnum):
    """The closed set of verdicts the pipeline may emit."""

    SUPPORTED = "SUPPORTED"
    REFUTED = "REFUTED"
    NOT_ENOUGH_EVIDENCE = "NOT_ENOUGH_EVIDENCE"
    CONFLICTING = "CONFLICTING"


class ClaimType(StrEnum):
    """What kind of assertion a claim is; predictions and opinions are rarely check-worthy."""

    STATISTIC = "statistic"
    EVENT = "event"
    QUOTE = "quote"
    POLICY = "policy"
    PREDICTION = "prediction"
    OTHER = "other"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Article(_Frozen):
    """A news article to check. `id` defaults to a hash of its text when not given."""

    id: str = ""
    text: str
    title: str | None = None
    url: str | None = None
    published: date | None = None
    publisher: str | None = None
    author: str | None = Field(default=None, description="The byline, when the input has one.")
    retrieved: datetime | None = Field(default=None, description="When `url` was fetched.")

    @model_validator(mode="before")
    @classmethod
    def _default_id(cls, data: object) -> object:
        if isinstance(data, dict) and not data.get("id") and isinstance(data.get("text"), str):
            data = {**data, "id": content_id(data["text"])}
        return data


class Claim(_Frozen):
    """A self-contained, check-worthy claim anchored to the exact words of its article."""

    id: str
    article_id: str
    text: str = Field(description="Self-contained claim, understandable without the article.")
    quote: str = Field(description="Verbatim span of the article the claim comes from.")
    start: int = Field(ge=0, description="Character offset of `quote` in the article text.")
    end: int = Field(ge=0, description="End offset (exclusive) of `quote` in the article text.")
    speaker: str | None = Field(default=None, description="Who asserts the claim.")
    claim_type: ClaimType = ClaimType.OTHER
    checkworthiness: float = Field(ge=0.0, le=1.0)
    claim_date: date | None = None

    @classmethod
    def make(cls, *, article_id: str, text: str, **fields: object) -> Claim:
        """Build a claim whose id is derived from its article and normalised text."""
        return cls(
            id=content_id(article_id, " ".join(words(text))),
            article_id=article_id,
            text=text,
            **fields,
        )

    @property
    def dedup_key(self) -> str:
        """Key shared by the same claim in different articles."""
        return content_id(" ".join(words(self.text)))


class SourceChunk(_Frozen):
    """A piece of a reference source as stored in Chroma, with offsets into the source text."""

    id: str
    source_id: str
    text: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    title: str | None = None
    url: str | None = None
    published: date | None = None
    publisher: str | None = None
    credibility_tier: int | None = None
    page: int | None = Field(default=None, ge=1, description="First page (PDF sources).")
    page_end: int | None = Field(default=None, ge=1, description="Last page (PDF sources).")
    injection_rules: list[str] = Field(
        default_factory=list,
        description="Prompt-injection rules that fired on the text at ingest "
        "(`factcheck.injection`); empty when none did or the chunk predates the scan.",
    )
    series_id: str | None = Field(
        default=None,
        description="For a row of a statistics table: the series it belongs to "
        "(`factcheck.io.tables`), so the series' other rows can be fetched for trends.",
    )
    series: str | None = Field(default=None, description="What that series counts (its label).")

    @property
    def locator(self) -> str:
        """The passage's pages: "p. 14", "pp. 14–15", or "" for a source without pages."""
        return page_locator(self.page, self.page_end)

    @property
    def injection_flagged(self) -> bool:
        """Whether the text was flagged as addressing the model at ingest."""
        return bool(self.injection_rules)


class Evidence(_Frozen):
    """A retrieved chunk as shown to the verifier, numbered from 1, with its retrieval scores."""

    number: int = Field(ge=1)
    chunk: SourceChunk
    score: float = Field(
        description="Fused (RRF) score, times the source's tier weight when tier weights are set "
        "(see `Provenance.retrieval`)."
    )
    dense_rank: int | None = None
    dense_similarity: float | None = None
    lexical_rank: int | None = None
    lexical_score: float | None = None
    rerank_score: float | None = Field(
        default=None,
        description="The relevance re-ranker's score (a logit; higher is more relevant), when "
        "the evidence was re-ranked.",
    )
    fused_rank: int | None = Field(
        default=None, description="Rank in the fused first-stage list, before re-ranking."
    )


class Citation(_Frozen):
    """A verbatim quote from one evidence chunk, checked to occur in it."""

    chunk_id: str
    quote: str
    source_title: str | None = None
    source_url: str | None = None
    published: date | None = None
    page: int | None = None
    page_end: int | None = None

    @classmethod
    def from_chunk(cls, chunk: SourceChunk, quote: str) -> Citation:
        """`quote` (already checked to occur in `chunk`) with the chunk's source details."""
        return cls(
            chunk_id=chunk.id,
            quote=quote,
            source_title=chunk.title,
            source_url=chunk.url,
            published=chunk.published,
            page=chunk.page,
            page_end=chunk.page_end,
        )

    @property
    def locator(self) -> str:
        """Where in the source the quoted passage is: "p. 14", "pp. 14–15", or "" without
        pages."""
        return page_locator(self.page, self.page_end)


class RejectedCitation(_Frozen):
    """A citation the model produced that failed validation, kept for audit (never emitted)."""

    evidence_number: int
    quote: str
    reason: str


class ExcludedEvidence(_Frozen):
    """A retrieved passage not shown to the verifier because it is not independent of the claim
    (its publisher is the article's publisher or the claim's speaker)."""

    chunk_id: str
    source_id: str
    publisher: str | None = None
    title: str | None = None
    reason: Literal["article_publisher", "speaker"]


class PriorCheck(_Frozen):
    """A published fact check (ClaimReview) of a claim close to this one."""

    id: str
    claim_reviewed: str
    rating: str = Field(description="The reviewer's rating label (ClaimReview alternateName).")
    rating_value: float | None = None
    reviewer: str | None = None
    review_date: date | None = None
    url: str | None = None
    claim_author: str | None = None
    similarity: float = Field(description="Cosine similarity of the two claims' embeddings.")


class Usage(BaseModel):
    """Token usage and call counts, summed over LLM calls.

    `retried_429`, `retried_5xx` and `timeouts` count what the OpenAI SDK met on the wire and
    retries on (each is retried unless that call's SDK retries were used up, in which case the
    call fails); `sdk_retries` counts the requests the SDK re-sent. Re-asks are ours (`reasks`).
    Calls answered from the LLM cache (`FACTCHECK_LLM_CACHE`) count in `calls` and their stored
    tokens in the token counts (what the work takes), and again in `cache_hits` and `cached_*`
    (what was not paid for): cost and token budgets use `billable_*`. Calls answered through
    the OpenAI Batch API count again in `batch_*` (billed at half price).
    """

    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    reasks: int = 0
    retried_429: int = 0
    retried_5xx: int = 0
    timeouts: int = 0
    sdk_retries: int = 0
    cache_hits: int = 0
    cached_prompt_tokens: int = 0
    cached_completion_tokens: int = 0
    batch_calls: int = 0
    batch_prompt_tokens: int = 0
    batch_completion_tokens: int = 0

    @property
    def billable_prompt_tokens(self) -> int:
        """Prompt tokens sent to the model (cache hits excluded)."""
        return self.prompt_tokens - self.cached_prompt_tokens

    @property
    def billable_completion_tokens(self) -> int:
        """Completion tokens the model generated (cache hits excluded)."""
        return self.completion_tokens - self.cached_completion_tokens

    @property
    def billable_tokens(self) -> int:
        """Prompt plus completion tokens actually spent (cache hits excluded)."""
        return self.billable_prompt_tokens + self.billable_completion_tokens

    def add(self, other: Usage) -> None:
        """Accumulate another usage record into this one."""
        for name in type(self).model_fields:
            setattr(self, name, getattr(self, name) + getattr(other, name))


class RetrievalRecord(BaseModel):
    """The retrieval settings and source policy a result was produced with."""

    top_k: int
    candidates: int
    rrf_k: int
    cutoff: date | None = Field(
        default=None, description="Evidence published after this day was left out."
    )
    cutoff_basis: Literal["as_of", "claim_date"] | None = None
    include_undated: bool = True
    allow_publishers: list[str] = Field(default_factory=list)
    deny_publishers: list[str] = Field(default_factory=list)
    tier_weights: dict[int, float] = Field(default_factory=dict)
    not_independent: list[str] = Field(
        default_factory=list,
        description="Names whose publications were not accepted as evidence for this claim: "
        "the article's publisher and the claim's speaker.",
    )
    max_evidence_age_days: int | None = None
    prior_match_threshold: float | None = None
    reranker: str | None = Field(
        default=None, description="The relevance re-ranker applied, if any (FACTCHECK_RERANK)."
    )
    rerank_depth: int | None = Field(
        default=None, description="How many fused candidates the re-ranker re-scored."
    )
    rerank_weight: float | None = Field(
        default=None,
        description="Share of the re-ranker's rank in the new order (1: its order alone).",
    )


class Provenance(BaseModel):
    """What is needed to reproduce a result."""

    model: str
    model_params: dict[str, object] = Field(default_factory=dict)
    prompt_hashes: dict[str, str] = Field(default_factory=dict)
    embedder: str | None = None
    collection: str | None = None
    collection_fingerprint: str | None = None
    timings: dict[str, float] = Field(default_factory=dict)
    usage: Usage = Field(default_factory=Usage)
    created_at: datetime | None = None
    retrieval: RetrievalRecord | None = None


class VerdictReason(StrEnum):
    """Why a verdict is what it is, beyond the evidence itself (shown beside every verdict)."""

    EVIDENCE = "evidence"
    """The verifier judged the evidence and committed to the verdict."""
    NO_RELEVANT_EVIDENCE = "no_relevant_evidence"
    """No passage in the store reached the relevance threshold."""
    UNDECIDED_OFFLINE = "undecided_offline"
    """The offline verifier leaned one way but not confidently enough to commit."""
    LANGUAGE_UNSUPPORTED = "language_unsupported"
    """The claim or its evidence is in a language the verifier cannot read."""
    QUANTITY_MISMATCH = "quantity_mismatch"
    """A cited source states a different value for the claim's number or date."""
    NO_VALID_CITATION = "no_valid_citation"
    """The verdict had no citation that passed validation."""
    UNTRUSTED_SUPPORT = "untrusted_support"
    """The verdict rested only on passages flagged as possible prompt injection."""
    CORROBORATION = "corroboration"
    """A refutation from a higher-tier source outweighed support from a lower-tier one."""


REASON_TEXT: dict[VerdictReason, str] = {
    VerdictReason.EVIDENCE: "judged on the evidence",
    VerdictReason.NO_RELEVANT_EVIDENCE: "no relevant evidence in the store",
    VerdictReason.UNDECIDED_OFFLINE: "undecided offline (the offline model was not sure enough)",
    VerdictReason.LANGUAGE_UNSUPPORTED: "not judged: a language the verifier cannot read",
    VerdictReason.QUANTITY_MISMATCH: "withdrawn: a cited number or date differs from the claim's",
    VerdictReason.NO_VALID_CITATION: "withdrawn: no citation passed validation",
    VerdictReason.UNTRUSTED_SUPPORT: "withdrawn: it rested only on passages flagged as possible "
    "prompt injection",
    VerdictReason.CORROBORATION: "decided by source tiers: a higher-tier refutation outweighs "
    "lower-tier support",
}
"""How each reason reads in reports."""


class QuantityCheck(_Frozen):
    """One comparison of a number or date in the claim with one in a cited sentence."""

    claim_value: str = Field(description="The claim's quantity, as written.")
    source_value: str = Field(description="The source's quantity, as written.")
    sentence: str = Field(description="The cited sentence the source value comes from.")
    chunk_id: str | None = None
    rule: str = Field(description="The rule that decided, e.g. 'comparator: under'.")
    outcome: Literal["consistent", "contradicts", "unrelated"]

    def describe(self) -> str:
        """`claim "under eight minutes" vs source "9.4 minutes": contradicts (comparator)`."""
        return (
            f'claim "{self.claim_value}" vs source "{self.source_value}": {self.outcome} '
            f"({self.rule})"
        )


class ClaimResult(BaseModel):
    """The verdict on one claim, with its rationale, validated citations and evidence."""

    type: Literal["result"] = "result"
    id: str
    claim: Claim
    verdict: Verdict
    confidence: float = Field(ge=0.0, le=1.0)
    rationale: str
    citations: list[Citation] = Field(default_factory=list)
    rejected_citations: list[RejectedCitation] = Field(default_factory=list)
    evidence: list[Evidence] = Field(default_factory=list)
    excluded_evidence: list[ExcludedEvidence] = Field(default_factory=list)
    stale_evidence: bool = Field(
        default=False,
        description="The newest dated citation is more than `max_evidence_age_days` older "
        "than the claim's date (or the as-of date, else the day of the verdict).",
    )
    evidence_age_days: int | None = Field(
        default=None, description="Age of the newest dated citation on that day, in days."
    )
    prior_checks: list[PriorCheck] = Field(
        default_factory=list, description="Earlier fact checks of a close claim, closest first."
    )
    provenance: Provenance
    verifier: str = Field(default="llm", description="Which verifier produced the verdict.")
    notes: list[str] = Field(
        default_factory=list,
        description="Short machine-written remarks, e.g. a cascade's hand-off or disagreement.",
    )
    reason: VerdictReason | None = Field(
        default=None, description="Why the verdict is what it is (None in older results)."
    )
    quantity_checks: list[QuantityCheck] = Field(
        default_factory=list,
        description="Numbers and dates of the claim compared with those of the cited sentences.",
    )
    unscored_sentences: int = Field(
        default=0,
        description="Evidence sentences the offline verifier left unscored (over its cap, or "
        "in a language it cannot read).",
    )

    @property
    def reason_text(self) -> str:
        """The reason as it reads in reports ("" for results that predate reasons)."""
        return REASON_TEXT[self.reason] if self.reason else ""

    @property
    def aligned_quantity_checks(self) -> list[QuantityCheck]:
        """The number and date comparisons that lined up (consistent or contradicting)."""
        return [q for q in self.quantity_checks if q.outcome != "unrelated"]


SentenceStatus = Literal["checked", "below_threshold", "not_factual"]
"""What extraction did with a sentence: turned it into claims (`checked`), scored it below the
check-worthiness threshold, or left it out as not a factual statement (a question, an
instruction, a byline, a fragment)."""


class SentenceRecord(BaseModel):
    """One sentence of an article as extraction saw it, so reports can show coverage."""

    start: int = Field(ge=0, description="Character offset of the sentence in the article text.")
    end: int = Field(ge=0, description="End offset (exclusive).")
    score: float | None = Field(
        default=None, description="Check-worthiness 0..1 (None when the sentence was not scored)."
    )
    reasons: list[str] = Field(
        default_factory=list, description="The main reasons for the score or the status."
    )
    status: SentenceStatus


class ArticleRecord(BaseModel):
    """An article's text and metadata, written once per article so reports can show claims in
    context (claim offsets index into `text`)."""

    type: Literal["article"] = "article"
    id: str
    title: str | None = None
    url: str | None = None
    published: date | None = None
    publisher: str | None = None
    author: str | None = None
    retrieved: datetime | None = None
    text: str
    sentences: list[SentenceRecord] = Field(
        default_factory=list,
        description="Every sentence extraction scored, with what it did with it (empty when "
        "the extractor does not score sentences).",
    )

    @classmethod
    def from_article(cls, article: Article) -> ArticleRecord:
        """The record of an input article."""
        return cls(**article.model_dump())


class ErrorRecord(BaseModel):
    """A failure on one item (article or claim); the batch goes on without it."""

    type: Literal["error"] = "error"
    item_id: str
    stage: Literal["input", "extract", "retrieve", "verify", "worker"]
    """`worker`: the process checking the item died too often (a cluster run)."""
    error: str
    message: str
    article_id: str | None = None
    claim: Claim | None = None


class RunHeader(BaseModel):
    """First line of a results file: the configuration the run used."""

    type: Literal["header"] = "header"
    run_id: str
    started_at: datetime
    factcheck_version: str
    config: dict[str, object]
    prompt_hashes: dict[str, str]


class ItemDone(BaseModel):
    """Closes the block of lines one input item produced; a resumed run skips such items."""

    type: Literal["done"] = "done"
    item_id: str
    records: int
    usage: Usage = Field(default_factory=Usage, description="LLM usage spent on this item.")


class RunSummary(BaseModel):
    """Last line of a results file: counts, usage and wall time."""

    type: Literal["summary"] = "summary"
    run_id: str
    finished_at: datetime
    articles: int = 0
    claims: int = 0
    results: int = 0
    errors: int = 0
    verdicts: dict[str, int] = Field(default_factory=dict)
    usage: Usage = Field(default_factory=Usage)
    cost_usd: float | None = Field(default=None, description="None when the model is unpriced.")

    @property
    def cost_per_claim_usd(self) -> float | None:
        """Run cost divided by the claims checked (None when unpriced or no claims)."""
        return self.cost_usd / self.claims if self.cost_usd is not None and self.claims else None

    deduplicated: int = 0
    skipped: int = Field(default=0, description="Items already done by an earlier attempt.")
    stopped: str | None = Field(default=None, description="Why the run stopped early, if it did.")
    wall_seconds: float = 0.0


RunLine = Annotated[
    RunHeader | ArticleRecord | ClaimResult | ErrorRecord | ItemDone | RunSummary,
    Field(discriminator="type"),
]


Record = ClaimResult | ErrorRecord
"""What the pipeline emits per claim: a result or an error record."""


@dataclass(frozen=True)
class ItemBlock:
    """Everything one input item (an article, or an unreadable input) produced.

    Blocks are the unit of durability: a run file holds whole blocks, each closed by a marker,
    so a resumed run knows exactly which items are done.
    """

    item_id: str
    records: list[Record]
    usage: Usage = field(default_factory=Usage)
    article: ArticleRecord | None = None
    """The article's text and metadata, written before its records."""
