"""One check-worthy sentence → self-contained claims, written by the LLM and checked against it.

The model sees the sentence and a few sentences before it, and is asked to replace pronouns
with names, drop the "X said that" frame and split a sentence that states several facts. Every
claim it writes is then checked against what it was given (`check_rewrite`): no number that is
not in the sentence, no name or date that is neither in the sentence nor in its context, most
content words from the sentence, and a negation kept. A claim that fails is dropped; when none
passes (or the call fails) the sentence itself is the claim. A small model cannot then add a
fact, only fail to improve the sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from factcheck.errors import LLMError
from factcheck.llm.prompts import PromptLibrary
from factcheck.llm.schemas import RewriteReply
from factcheck.llm.structured import StructuredLLM
from factcheck.models import Usage
from factcheck.text import neutralize_tags, words

STEP = "rewrite"

MIN_SENTENCE_SHARE = 0.6
"""Share of a rewritten claim's content words (4+ letters) that must come from the sentence
(the rest may come from its context: the names that replace pronouns)."""

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_CAPITALISED = re.compile(r"\b[A-ZÁÉÍÓÚÑÜ][\w’'-]*")
_DATE_WORDS = frozenset(
    [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "yesterday",
        "today",
        "tomorrow",
    ]
)
_NEGATIONS = frozenset({"not", "no", "never", "none", "nor", "neither", "nothing", "without"})
_REFERENCE = re.compile(
    r"\b(?:he|she|they|him|her|them|his|hers|their|its|it|this|these|those|we|our|"
    r"my|(?-i:I)|the (?:president|minister|mayor|governor|company|government|agency|report|deal|"
    r"pact|agreement|call|plan|bill|law|official|administration))\b|"
    r"\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|yesterday|today|"
    r"last (?:week|month|year)|this (?:week|month|year)|next (?:week|month|year))\b|[“”\"]",
    re.I,
)


def needs_rewrite(sentence: str) -> bool:
    """Whether the sentence leans on its context (pronouns, "the president", "on Thursday",
    quotation marks) and so is worth rewriting; otherwise it already stands alone."""
    return bool(_REFERENCE.search(sentence))


_LEAD = re.compile(
    r"^(?:(?:no|yes|in fact|additionally|overall|however|therefore|thus|also|furthermore|"
    r"moreover|in addition|in short|in summary|in conclusion|as a result|for example|"
    r"for instance|meanwhile|similarly|instead|indeed|finally|first|second|third|lastly|so|"
    r"as such|based on (?:my|our) [^,]{0,40}|as of (?:my|our) [^,]{0,40}),\s+)+",
    re.I,
)
_BECAUSE = re.compile(r"^(?:this|that|it) is (?:because|due to the fact that)\s+", re.I)
_CLAUSE_BREAK = re.compile(
    r";\s+|,\s+(?:while|whereas|but|although|though)\s+|\s+because\s+|,\s+which\s+(?=(?:is|are|"
    r"was|were|has|have|had|can|could|will|would|may|might|makes?|made|allows?|led|leads?)\b)|"
    r",\s+and\s+(?!(?:is|are|was|were|has|have|had|can|could|will|would|may|might|\w+ed)\b)",
)
_AUXILIARY = r"is|are|was|were|has|have|had|can|could|will|would|may|might|must|should|does|do|did"
_SHARED_SUBJECT = re.compile(
    rf"^(?P<subject>.+?)\s+(?P<verb>(?:{_AUXILIARY})\b.*?|\w+ed\b.*?)"
    rf"(?:,\s+and|\s+and)\s+(?P<second>(?:(?:{_AUXILIARY})|\w+ed)\b.+)$"
)
MIN_CLAUSE_WORDS = 5
_REPORTED = re.compile(r"\b(?:that|said|says|told|who|which|and|or)\b")
"""A subject with these words is a clause or a list ("X said that she and Trump"), not one."""


def _finish(text: str) -> str:
    text = text.strip(" ,;:—-")
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in '.!?”"' else text + "."


def split_clauses(sentence: str) -> list[str]:
    """The separate statements of a compound sentence, in its own words (no model): leading
    discourse markers ("In fact,", "Additionally,") dropped, then split at semicolons, "while",
    "because", ", which <verb>", ", and <new subject>", and "<subject> <verb> ... and <verb>"
    (the subject repeated). Parts shorter than `MIN_CLAUSE_WORDS` words stay joined; a sentence
    with one statement comes back as it is (minus its discourse marker)."""
    core = _BECAUSE.sub("", _LEAD.sub("", sentence.strip()))
    if len(core.split()) < MIN_CLAUSE_WORDS:
        return [sentence]
    parts = [_LEAD.sub("", p.strip()) for p in _CLAUSE_BREAK.split(core) if p and p.strip()]
    if any(len(p.split()) < MIN_CLAUSE_WORDS for p in parts):
        parts = [core]
    joined: list[str] = []
    for part in parts:  # "X didn't deny it, but stressed that ...": the subject is repeated
        if joined and part[:1].islower():
            subject = subject_of(joined[0])
            if subject is None:
                joined = [core]  # no subject to repeat: keep the sentence whole
                break
            part = f"{subject} {part}"
        joined.append(part)
    out: list[str] = []
    for part in joined:
        shared = _SHARED_SUBJECT.match(part.strip())
        if (
            shared
            and len(shared.group("subject").split()) <= 8
            and not _REPORTED.search(shared.group("subject"))
        ):
            first = f"{shared.group('subject')} {shared.group('verb')}"
            second = f"{shared.group('subject')} {shared.group('second')}"
            if min(len(first.split()), len(second.split())) >= MIN_CLAUSE_WORDS:
                out += [_finish(first), _finish(second)]
                continue
        out.append(_finish(part))
    return out or [sentence]


_PRESENT_VERBS = (
    r"uses|makes|allows|provides|contains|includes|remains|becomes|means|requires|produces|"
    r"causes|occurs|lives|says|refers|consists|depends|helps|plays|takes|gives|leads|covers|"
    r"runs|holds|serves|lies|stands|reaches|lasts|grows|feeds|eats"
)
_PRONOUN_SUBJECT = re.compile(r"^(?:He|She|It|They|This|These)(?=\s)")
_SUBJECT = re.compile(
    rf"^(?P<subject>(?!(?:He|She|It|They|This|These|That|There|I|We|You)\b)[A-Z][^,;:]*?)\s+"
    rf"(?:{_AUXILIARY}|{_PRESENT_VERBS}|\w+ed|(?:did|does|do|is|are|was|were|has|have)n[’']t)\b"
)
MAX_SUBJECT_WORDS = 8


def subject_of(statement: str) -> str | None:
    """The explicit subject of a statement ("Justice William O. Douglas" in "Justice William O.
    Douglas was born ..."): the words before its first verb, if short and not a pronoun."""
    match = _SUBJECT.match(statement.strip())
    if not match or len(match.group("subject").split()) > MAX_SUBJECT_WORDS:
        return None
    return match.group("subject")


def resolve_pronoun(statement: str, subject: str | None) -> str:
    """`statement` with a leading pronoun subject ("He", "It", "They", "This") replaced by
    `subject` (the previous statement's subject), when there is one."""
    if not subject or not _PRONOUN_SUBJECT.match(statement):
        return statement
    return _PRONOUN_SUBJECT.sub(subject, statement, count=1)


def _numbers(text: str) -> set[str]:
    return {n.replace(",", "") for n in _NUMBER.findall(text)}


def _has_negation(text: str) -> bool:
    tokens = set(words(text))
    return bool(tokens & _NEGATIONS) or "n't" in text.replace("’", "'")


def check_rewrite(claim: str, sentence: str, context: str) -> str | None:
    """Why a rewritten `claim` may not stand for `sentence` (given `context`), or None if it may.

    Numbers must occur in the sentence; names (capitalised words) and date words in the
    sentence or the context; most content words come from the sentence; a negated sentence
    stays negated."""
    if len(words(claim)) < 4:
        return "too short"
    new_numbers = _numbers(claim) - _numbers(sentence)
    if new_numbers:
        return f"new number {sorted(new_numbers)[0]}"
    allowed = set(words(f"{sentence} {context}"))
    new_dates = (set(words(claim)) & _DATE_WORDS) - allowed
    if new_dates:
        return f"new date {sorted(new_dates)[0]}"
    for name in _CAPITALISED.findall(claim):
        token = words(name)
        if token and not set(token) <= allowed:
            return f"new name {name}"
    content = {w for w in words(claim) if len(w) >= 4}
    if content and len(content & set(words(sentence))) / len(content) < MIN_SENTENCE_SHARE:
        return "most words are not the sentence's"
    if _has_negation(sentence) and not _has_negation(claim):
        return "negation dropped"
    return None


@dataclass
class Rewrite:
    """The claims for one sentence, the rejected rewrites and what the call cost."""

    claims: list[str]
    rewritten: bool
    rejected: list[tuple[str, str]] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    error: str | None = None


class ClaimRewriter:
    """Asks the LLM to rewrite one sentence into self-contained claims, and checks them."""

    def __init__(self, llm: StructuredLLM, prompts: PromptLibrary, max_claims: int = 3) -> None:
        self.llm = llm
        self.prompt = prompts.get(STEP)
        self.max_claims = max_claims

    @property
    def prompt_hash(self) -> str:
        """Content hash of the rewrite prompt in use."""
        return self.prompt.hash

    async def rewrite(
        self,
        sentence: str,
        context: str,
        *,
        title: str | None = None,
        published: date | None = None,
    ) -> Rewrite:
        """Checked claims for `sentence`; the sentence itself when no rewrite passes."""
        messages = self.prompt.render(
            title=neutralize_tags(title or "(untitled)"),
            published=published.isoformat() if published else "(unknown)",
            context=neutralize_tags(context),
            sentence=neutralize_tags(sentence),
            max_claims=self.max_claims,
        )
        try:
            reply = await self.llm.ask(messages, RewriteReply)
        except LLMError as exc:
            usage = exc.usage if isinstance(exc.usage, Usage) else Usage()
            return Rewrite([sentence], False, usage=usage, error=str(exc))
        out = Rewrite([], True, usage=reply.usage)
        seen: set[str] = set()
        for raw in reply.value.claims[: self.max_claims]:
            claim = " ".join(raw.split())
            reason = check_rewrite(claim, sentence, f"{title or ''} {context}")
            key = " ".join(words(claim))
            if reason is None and key in seen:
                reason = "duplicate"
            if reason is not None:
                out.rejected.append((claim, reason))
                continue
            seen.add(key)
            out.claims.append(claim)
        if not out.claims:
            out.claims, out.rewritten = [sentence], False
        return out
