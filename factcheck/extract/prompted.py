"""Article → check-worthy claims, each anchored to the verbatim words of the article.

The article is split into sentences and processed in windows of a few sentences with some
context on either side (small models need short passages; `FACTCHECK_EXTRACTION_WINDOW_SENTENCES`).
Every quote the model returns is located in its window; a quote that cannot be found exactly or
after normalisation is repaired to the closest sentence when that is unambiguous, else rejected
and reported. Claims below the check-worthiness threshold are dropped and counted; duplicates
within the article are merged. Instruction-like text ("ignore all previous instructions ...")
never becomes a claim.

With a sentence scorer (`prefilter`), sentences are scored first: windows with no sentence at
or above `prefilter_threshold` are not sent, and the others are trimmed to the run from their
first to their last such sentence; every sentence's score is kept in `outcome.sentences`.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from factcheck.errors import LLMError
from factcheck.extract.sentences import SentenceScorer, is_instruction, score_sentences
from factcheck.language import article_language
from factcheck.llm.prompts import PromptLibrary
from factcheck.llm.schemas import ExtractedClaim, ExtractionReply
from factcheck.llm.structured import StructuredLLM, StructuredReply
from factcheck.models import Article, Claim, SentenceRecord, Usage
from factcheck.text import Span, closest_sentence, find_quote, split_sentences, words

STEP = "extract"


@dataclass(frozen=True)
class ExtractionSettings:
    """How articles are cut into windows and which claims are kept."""

    window_sentences: int = 8
    context_sentences: int = 2
    max_claims_per_window: int = 8
    checkworthiness_threshold: float = 0.5
    prefilter_threshold: float | None = None
    """With a scorer: the cut-off of the window pre-filter (None: the scorer's own)."""


@dataclass(frozen=True)
class RejectedClaim:
    """A claim the model proposed that was not emitted, and why."""

    claim: str
    quote: str
    reason: str


@dataclass
class ExtractionOutcome:
    """Claims from one article plus what was dropped, repaired and spent."""

    article_id: str
    claims: list[Claim] = field(default_factory=list)
    rejected: list[RejectedClaim] = field(default_factory=list)
    below_threshold: int = 0
    repaired: int = 0
    duplicates: int = 0
    dropped_speakers: int = 0
    windows: int = 0
    failed_windows: list[WindowFailure] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    seconds: float = 0.0
    sentences: list[SentenceRecord] = field(default_factory=list)
    """Every sentence scored, with its status (empty when sentences were not scored)."""
    skipped_windows: int = 0
    """Windows the pre-filter kept from the model (no check-worthy sentence)."""


@dataclass(frozen=True)
class WindowFailure:
    """A window whose extraction failed (its claims are missing; the others are kept)."""

    start: int
    end: int
    error: LLMError


@dataclass(frozen=True)
class Window:
    """A run of sentences sent to the model together, with context around it."""

    passage: Span
    sentences: list[Span]
    before: Span | None
    after: Span | None


def make_windows(text: str, size: int, context: int) -> list[Window]:
    """Cut `text` into windows of `size` sentences with `context` sentences either side."""
    sentences = split_sentences(text)
    windows = []
    for i in range(0, len(sentences), size):
        chunk = sentences[i : i + size]
        before = sentences[max(0, i - context) : i]
        after = sentences[i + size : i + size + context]
        windows.append(
            Window(
                passage=Span(chunk[0].start, chunk[-1].end),
                sentences=chunk,
                before=Span(before[0].start, before[-1].end) if before else None,
                after=Span(after[0].start, after[-1].end) if after else None,
            )
        )
    return windows


class ClaimExtractor:
    """Extracts anchored, decontextualised, de-duplicated claims from articles."""

    def __init__(
        self,
        llm: StructuredLLM,
        prompts: PromptLibrary,
        settings: ExtractionSettings | None = None,
        prefilter: SentenceScorer | None = None,
    ) -> None:
        self.llm = llm
        self.prompt = prompts.get(STEP)
        self.settings = settings or ExtractionSettings()
        self.prefilter = prefilter

    @property
    def prompt_hash(self) -> str:
        """Content hash of the extraction prompt in use."""
        return self.prompt.hash

    async def extract(self, article: Article) -> ExtractionOutcome:
        """All check-worthy claims of `article`; windows are processed concurrently."""
        started = time.perf_counter()
        outcome = ExtractionOutcome(article_id=article.id)
        windows = make_windows(
            article.text, self.settings.window_sentences, self.settings.context_sentences
        )
        if self.prefilter is not None:
            windows = await self._prefilter(article, windows, outcome)
        outcome.windows = len(windows)
        replies = await asyncio.gather(
            *(self._ask(article, w) for w in windows), return_exceptions=True
        )
        candidates: list[Claim] = []
        for window, reply in zip(windows, replies, strict=True):
            if isinstance(reply, LLMError):
                # One bad window must not sink the article: record it and keep the rest.
                if isinstance(reply.usage, Usage):
                    outcome.usage.add(reply.usage)
                outcome.failed_windows.append(
                    WindowFailure(window.passage.start, window.passage.end, reply)
                )
                continue
            if isinstance(reply, BaseException):
                raise reply
            outcome.usage.add(reply.usage)
            for item in reply.value.claims:
                claim = self._anchor(article, window, item, outcome)
                if claim is None:
                    continue
                if claim.checkworthiness < self.settings.checkworthiness_threshold:
                    outcome.below_threshold += 1
                    continue
                candidates.append(claim)
        if windows and len(outcome.failed_windows) == len(windows):
            failure = outcome.failed_windows[0].error
            failure.usage = outcome.usage
            raise failure
        outcome.claims = _dedupe(candidates, outcome)
        outcome.seconds = time.perf_counter() - started
        return outcome

    async def _prefilter(
        self, article: Article, windows: list[Window], outcome: ExtractionOutcome
    ) -> list[Window]:
        """Windows trimmed to their check-worthy sentences; windows without one dropped."""
        assert self.prefilter is not None
        cut = self.settings.prefilter_threshold
        scored = await asyncio.to_thread(score_sentences, article.text, self.prefilter, cut)
        outcome.sentences = [s.record() for s in scored]
        keep = {(s.start, s.end) for s in scored if s.status == "checked"}
        kept = []
        for window in windows:
            worthy = [s for s in window.sentences if (s.start, s.end) in keep]
            if not worthy:
                outcome.skipped_windows += 1
                continue
            first = window.sentences.index(worthy[0])
            last = window.sentences.index(worthy[-1])
            kept.append(
                Window(
                    passage=Span(worthy[0].start, worthy[-1].end),
                    sentences=window.sentences[first : last + 1],
                    before=window.before,
                    after=window.after,
                )
            )
        return kept

    async def _ask(self, article: Article, window: Window) -> StructuredReply:
        text = article.text
        messages = self.prompt.render(
            title=article.title or "(untitled)",
            publisher=article.publisher or "(unknown)",
            published=article.published.isoformat() if article.published else "(unknown)",
            context_before=window.before.of(text) if window.before else "",
            passage=window.passage.of(text),
            context_after=window.after.of(text) if window.after else "",
            max_claims=self.settings.max_claims_per_window,
            **(
                {"article_language": article_language(text)}
                if self.prompt.uses("article_language")
                else {}
            ),
        )
        return await self.llm.ask(messages, ExtractionReply)

    @staticmethod
    def _speaker(speaker: str | None, window_text: str, outcome: ExtractionOutcome) -> str | None:
        """The speaker if the passage names them; a speaker the passage never mentions (e.g.
        copied from the prompt's examples) is dropped and counted, not kept."""
        speaker = " ".join((speaker or "").split()) or None
        if speaker is None or _grounded(speaker, window_text, min_word_length=3):
            return speaker
        outcome.dropped_speakers += 1
        return None

    def _anchor(
        self, article: Article, window: Window, item: ExtractedClaim, outcome: ExtractionOutcome
    ) -> Claim | None:
        text = article.text
        claim_text = " ".join(item.claim.split())
        if not claim_text:
            outcome.rejected.append(RejectedClaim(item.claim, item.quote, "empty claim text"))
            return None
        span = find_quote(text, item.quote, window.passage.start, window.passage.end)
        if span is None:
            span = closest_sentence(text, item.quote, window.sentences)
            if span is None:
                outcome.rejected.append(
                    RejectedClaim(claim_text, item.quote, "quote not found in the article passage")
                )
                return None
            outcome.repaired += 1
        if is_instruction(claim_text) or is_instruction(span.of(text)):
            outcome.rejected.append(
                RejectedClaim(claim_text, item.quote, "instruction-like text, not a statement")
            )
            return None
        window_text = _window_text(article, window)
        if not _grounded(claim_text, window_text):
            outcome.rejected.append(
                RejectedClaim(
                    claim_text,
                    item.quote,
                    "claim not grounded in the article passage (most of its words are not there)",
                )
            )
            return None
        if _share(claim_text, span.of(text)) < QUOTE_MIN_SHARE:
            # The quote does not carry the claim (small models pair a claim with a neighbouring
            # sentence): re-anchor to the window sentence that does, if one clearly does.
            best = max(window.sentences, key=lambda s: _share(claim_text, s.of(text)))
            if _share(claim_text, best.of(text)) < GROUNDING_MIN_SHARE:
                outcome.rejected.append(
                    RejectedClaim(claim_text, item.quote, "the quote does not carry the claim")
                )
                return None
            span = best
            outcome.repaired += 1
        return Claim.make(
            article_id=article.id,
            text=claim_text,
            quote=span.of(text),
            start=span.start,
            end=span.end,
            speaker=self._speaker(item.speaker, window_text, outcome),
            claim_type=item.claim_type,
            checkworthiness=item.checkworthiness,
            claim_date=article.published,
        )


GROUNDING_MIN_SHARE = 0.5
"""Share of a claim's content words (4+ letters) that must occur in its window or the title."""


def _window_text(article: Article, window: Window) -> str:
    start = window.before.start if window.before else window.passage.start
    end = window.after.end if window.after else window.passage.end
    return f"{article.title or ''} {article.text[start:end]}"


QUOTE_MIN_SHARE = 0.4
"""Share of a claim's content words its quote must contain (else it is re-anchored)."""


def _share(claim_text: str, source_text: str, min_word_length: int = 4) -> float:
    """Share of the claim's content words (`min_word_length`+ letters) found in the source."""
    content = {w for w in words(claim_text) if len(w) >= min_word_length}
    if not content:
        return 1.0
    return len(content & set(words(source_text))) / len(content)


def _grounded(claim_text: str, source_text: str, min_word_length: int = 4) -> bool:
    """Whether the claim is mostly made of the source's words: decontextualisation may add a
    few names, but a claim copied from elsewhere (e.g. the prompt's examples) is rejected."""
    return _share(claim_text, source_text, min_word_length) >= GROUNDING_MIN_SHARE


def _dedupe(claims: list[Claim], outcome: ExtractionOutcome) -> list[Claim]:
    """Merge claims with the same normalised text or near-identical wording (Jaccard ≥ 0.9),
    keeping the most check-worthy, in article order."""
    kept: list[Claim] = []
    for claim in sorted(claims, key=lambda c: -c.checkworthiness):
        tokens = set(words(claim.text))
        if any(_jaccard(tokens, set(words(k.text))) >= 0.9 for k in kept):
            outcome.duplicates += 1
            continue
        kept.append(claim)
    return sorted(kept, key=lambda c: (c.start, c.end))


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 1.0
