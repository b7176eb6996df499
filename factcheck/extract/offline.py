"""The offline extractor: sentences → check-worthiness → threshold → speaker → rewrite → claims.

Made for the small local model, which extracts poorly from whole passages: the choice of
*what* to check is made by the shipped check-worthiness head (`checkworthiness.py`, every
sentence scored, score and reasons kept), *who* said it by deterministic attribution
(`attribution.py`, a validated name or None, never a clause or the byline), and the LLM is only
asked to rewrite one check-worthy sentence at a time into self-contained claims, which are
checked against the sentence (`rewrite.py`). Every claim is anchored to its whole sentence.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass
from typing import Literal

from factcheck.extract.attribution import Attributor, byline_of, is_valid_speaker
from factcheck.extract.checkworthiness import cue_features
from factcheck.extract.prompted import ExtractionOutcome, RejectedClaim
from factcheck.extract.rewrite import (
    ClaimRewriter,
    Rewrite,
    needs_rewrite,
    resolve_pronoun,
    split_clauses,
    subject_of,
)
from factcheck.extract.sentences import CandidateSentence, SentenceScorer, score_sentences
from factcheck.models import Article, Claim, ClaimType
from factcheck.text import words

RewriteMode = Literal["needed", "always", "never"]

_DIGIT = re.compile(r"\d|%|\bper ?cent\b", re.I)
_FUTURE = re.compile(r"\b(?:will|would|could|might|may|going to)\b", re.I)


@dataclass(frozen=True)
class OfflineSettings:
    """Which sentences become claims and how they are rewritten."""

    threshold: float | None = None
    """Check-worthiness cut-off; None means the scorer's own (the head's tuned threshold)."""
    rewrite: RewriteMode = "needed"
    """`needed`: only sentences that lean on their context (pronouns, "on Thursday", quotes)
    go to the LLM; `always`: every check-worthy sentence; `never`: sentences as they are."""
    context_sentences: int = 3
    """Sentences before the one rewritten that the model sees (for names behind pronouns)."""
    max_claims_per_sentence: int = 3
    split_clauses: bool = True
    """Split compound sentences into their statements in their own words (`split_clauses`),
    after the rewrite or instead of it."""
    resolve_pronouns: bool = True
    """Replace a leading "He"/"It"/"They" left in a claim (rewritten or not) by the last
    explicit subject before it (`resolve_pronoun`)."""


def claim_type_of(sentence: str) -> ClaimType:
    """A coarse type from the sentence's cues (numbers → statistic, modals → prediction)."""
    if _DIGIT.search(sentence):
        return ClaimType.STATISTIC
    if _FUTURE.search(sentence):
        return ClaimType.PREDICTION
    return ClaimType.EVENT if cue_features(sentence)[3] else ClaimType.OTHER


class OfflineExtractor:
    """Sentence-level extraction with the check-worthiness head and a rewriting LLM."""

    def __init__(
        self,
        scorer: SentenceScorer,
        rewriter: ClaimRewriter | None = None,
        settings: OfflineSettings | None = None,
    ) -> None:
        self.scorer = scorer
        self.rewriter = rewriter
        self.settings = settings or OfflineSettings()

    @property
    def threshold(self) -> float:
        """The check-worthiness cut-off in use."""
        return self.scorer.threshold if self.settings.threshold is None else self.settings.threshold

    @property
    def prompt_hash(self) -> str:
        """Hash of the rewrite prompt ("none" when sentences are used as they are)."""
        return self.rewriter.prompt_hash if self.rewriter is not None else "none"

    async def extract(self, article: Article) -> ExtractionOutcome:
        """Claims of `article`, one or more per check-worthy sentence, with every sentence's
        score and status in `outcome.sentences`."""
        started = time.perf_counter()
        outcome = ExtractionOutcome(article_id=article.id)
        sentences = await asyncio.to_thread(
            score_sentences, article.text, self.scorer, self.threshold
        )
        byline = byline_of(article.text)
        attributor = Attributor(article.text, byline, article.title, [s.text for s in sentences])
        checked = [s for s in sentences if s.status == "checked"]
        outcome.below_threshold = sum(s.status == "below_threshold" for s in sentences)
        outcome.windows = len(checked)
        rewrites = await asyncio.gather(*(self._rewrite(article, s, sentences) for s in checked))
        candidates: list[Claim] = []
        subjects = self._subjects(sentences)
        for sentence, rewrite in zip(checked, rewrites, strict=True):
            subject = subjects[sentence.index]
            outcome.usage.add(rewrite.usage)
            outcome.rejected.extend(
                RejectedClaim(text, sentence.text, f"rewrite rejected: {why}")
                for text, why in rewrite.rejected
            )
            outcome.repaired += rewrite.rewritten
            found = attributor.speaker_of(sentence.index)
            speaker = found.speaker if found else None
            if speaker is not None and not is_valid_speaker(speaker, attributor.text, byline):
                outcome.dropped_speakers += 1
                speaker = None
            texts = rewrite.claims
            if self.settings.split_clauses:
                texts = [part for text in texts for part in split_clauses(text)]
            if self.settings.resolve_pronouns:
                resolved = []
                for text in texts:
                    resolved.append(resolve_pronoun(text, subject))
                    subject = subject_of(resolved[-1]) or subject
                texts = resolved
            for text in texts[: self.settings.max_claims_per_sentence]:
                candidates.append(
                    Claim.make(
                        article_id=article.id,
                        text=text,
                        quote=sentence.text,
                        start=sentence.start,
                        end=sentence.end,
                        speaker=speaker,
                        claim_type=claim_type_of(sentence.text),
                        checkworthiness=round(min(1.0, max(0.0, sentence.score or 0.0)), 4),
                        claim_date=article.published,
                    )
                )
        outcome.claims = dedupe_claims(candidates, outcome)
        outcome.sentences = [s.record() for s in sentences]
        outcome.seconds = time.perf_counter() - started
        return outcome

    @staticmethod
    def _subjects(sentences: list[CandidateSentence]) -> list[str | None]:
        """For each sentence, the last explicit subject of the sentences before it (what a
        leading "He"/"It" most likely refers to)."""
        out: list[str | None] = []
        last: str | None = None
        for sentence in sentences:
            out.append(last)
            for part in split_clauses(sentence.text):
                last = subject_of(resolve_pronoun(part, last)) or last
        return out

    async def _rewrite(
        self, article: Article, sentence: CandidateSentence, sentences: list[CandidateSentence]
    ) -> Rewrite:
        mode = self.settings.rewrite
        if (
            self.rewriter is None
            or mode == "never"
            or (mode == "needed" and not needs_rewrite(sentence.text))
        ):
            return Rewrite([sentence.text], False)
        before = sentences[
            max(0, sentence.index - self.settings.context_sentences) : sentence.index
        ]
        context = " ".join(s.text for s in before if s.status != "not_factual")
        return await self.rewriter.rewrite(
            sentence.text, context, title=article.title, published=article.published
        )


def dedupe_claims(claims: list[Claim], outcome: ExtractionOutcome) -> list[Claim]:
    """Drop claims whose normalised wording repeats an earlier one (counted), article order."""
    kept: list[Claim] = []
    seen: set[str] = set()
    for claim in sorted(claims, key=lambda c: (c.start, c.end)):
        key = " ".join(words(claim.text))
        if key in seen:
            outcome.duplicates += 1
            continue
        seen.add(key)
        kept.append(claim)
    return kept
