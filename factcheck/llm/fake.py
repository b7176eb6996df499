"""A fake chat model that supports structured output, for tests, evals and benchmarks.

LangChain's own fake chat models do not implement `with_structured_output`; this one does, by
asking its responder for JSON text and parsing it exactly as a JSON-mode server reply would be
parsed, so the re-ask and validation paths run for real.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import BaseModel, ConfigDict

from factcheck.llm.json_chat import JsonStructuredOutputMixin
from factcheck.llm.schemas import (
    CitedQuote,
    ExtractedClaim,
    ExtractionReply,
    RewriteReply,
    VerificationReply,
)
from factcheck.models import ClaimType, Verdict

Reply = str | dict | BaseModel | Exception
Responder = Callable[[list[BaseMessage], type[BaseModel] | None], Reply]


def _as_text(reply: Reply) -> str:
    if isinstance(reply, BaseModel):
        return reply.model_dump_json()
    if isinstance(reply, dict):
        return json.dumps(reply)
    return reply


class FakeChatModel(JsonStructuredOutputMixin, BaseChatModel):
    """Answers from a script (`replies`, consumed in order) or a `responder` function.

    With neither, it uses `heuristic_responder`: deterministic, rule-based answers good enough
    to drive the whole pipeline offline. `latency` (seconds) simulates a slow server.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    replies: list[Any] | None = None
    responder: Responder | None = None
    latency: float = 0.0
    model_name: str = "fake"
    calls: int = 0

    @property
    def _llm_type(self) -> str:
        return "factcheck-fake"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        # Part of LangChain's cache key: fakes that answer differently must not share replies.
        if self.replies is not None:
            source = "scripted"
        else:
            source = getattr(self.responder or heuristic_responder, "__qualname__", "responder")
        return {"model_name": self.model_name, "responder": source}

    def _reply_text(self, messages: list[BaseMessage], schema: type[BaseModel] | None) -> str:
        self.calls += 1
        if self.replies is not None:
            if not self.replies:
                raise RuntimeError("FakeChatModel ran out of scripted replies")
            reply = self.replies.pop(0)
            if isinstance(reply, Exception):
                raise reply
            return _as_text(reply)
        responder = self.responder or heuristic_responder
        return _as_text(responder(messages, schema))

    def _result(self, messages: list[BaseMessage], text: str) -> ChatResult:
        prompt_tokens = sum(len(str(m.content).split()) for m in messages)
        completion_tokens = len(text.split())
        message = AIMessage(
            content=text,
            usage_metadata={
                "input_tokens": prompt_tokens,
                "output_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        )
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return self._result(messages, self._reply_text(messages, kwargs.get("response_schema")))

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        if self.latency:
            await asyncio.sleep(self.latency)
        return self._result(messages, self._reply_text(messages, kwargs.get("response_schema")))


# --- the heuristic responder -------------------------------------------------------------------

_PASSAGE = re.compile(r"<passage>\n?(.*?)\n?</passage>", re.S)
_EVIDENCE = re.compile(r'<evidence number="(\d+)"[^>]*>\n?(.*?)\n?</evidence>', re.S)
_CLAIM = re.compile(r"<claim>\n?(.*?)\n?</claim>", re.S)
_DATA_TAG = re.compile(r"<passage>|<claim>")
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]?")
_WORD = re.compile(r"\w+")
_NEGATION = {"not", "no", "never", "none", "neither", "nor", "false", "didn't", "isn't"}


def heuristic_responder(
    messages: Sequence[BaseMessage], schema: type[BaseModel] | None
) -> BaseModel:
    """Rule-based replies: sentences with digits become claims; word overlap decides verdicts.

    It reads only the delimited data sections of the rendered prompts (`<passage>`,
    `<claim>`, `<evidence>`), so it works with any prompt wording that keeps those tags. It
    reads the last message holding such a section: a re-ask ends with our correction, and a
    real model answers it from the whole conversation.
    """
    with_data = [m for m in messages if m.type == "human" and _DATA_TAG.search(str(m.content))]
    text = str((with_data or list(messages))[-1].content)
    if schema is ExtractionReply:
        return _extract(text)
    if schema is VerificationReply:
        return _verify(text)
    if schema is RewriteReply:
        return _rewrite(text)
    raise ValueError(f"heuristic_responder has no rule for schema {schema!r}")


def _extract(prompt: str) -> ExtractionReply:
    match = _PASSAGE.search(prompt)
    passage = match.group(1) if match else ""
    claims = []
    for sentence in _SENTENCE.findall(passage):
        sentence = sentence.strip()
        if len(sentence) > 20 and any(ch.isdigit() for ch in sentence):
            claims.append(
                ExtractedClaim(
                    quote=sentence,
                    claim=sentence,
                    speaker=None,
                    claim_type=ClaimType.STATISTIC,
                    checkworthiness=0.8,
                )
            )
    return ExtractionReply(claims=claims[:8])


def _rewrite(prompt: str) -> RewriteReply:
    """The sentence itself, as the one claim."""
    match = _PASSAGE.search(prompt)
    return RewriteReply(claims=[" ".join((match.group(1) if match else "").split())])


def _verify(prompt: str) -> VerificationReply:
    claim_match = _CLAIM.search(prompt)
    claim_words = set(_WORD.findall((claim_match.group(1) if claim_match else "").lower()))
    best: tuple[float, int, str] = (0.0, 0, "")
    for number, passage in _EVIDENCE.findall(prompt):
        for sentence in _SENTENCE.findall(passage):
            words = set(_WORD.findall(sentence.lower()))
            overlap = len(claim_words & words) / max(1, len(claim_words))
            if overlap > best[0]:
                best = (overlap, int(number), sentence.strip())
    overlap, number, sentence = best
    if overlap < 0.5:
        return VerificationReply(
            rationale="The evidence does not address the claim closely.",
            verdict=Verdict.NOT_ENOUGH_EVIDENCE,
            confidence=0.5,
            citations=[],
        )
    negated = bool(_NEGATION & set(_WORD.findall(sentence.lower()))) != bool(
        _NEGATION & claim_words
    )
    verdict = Verdict.REFUTED if negated else Verdict.SUPPORTED
    return VerificationReply(
        rationale=f"Evidence {number} closely matches the claim's wording.",
        verdict=verdict,
        confidence=round(min(0.95, overlap), 2),
        citations=[CitedQuote(evidence=number, quote=sentence)],
    )
