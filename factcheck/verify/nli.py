"""Offline NLI verifier: a fine-tuned all-MiniLM-L6-v2 cross-encoder (int8 ONNX) scores every
evidence sentence against the claim; the per-sentence scores are aggregated into a verdict.

Torch-free: onnxruntime + tokenizers + numpy. The model ships in ``factcheck/assets/nli/`` with
its temperature (``calibration.json``, which also pins the model's sha256) and model card.

Aggregation rule (per claim). Thresholds apply to the model's own sentence probabilities
(temperature 1); the confidence reported is temperature-calibrated. So calibration changes how
sure a verdict says it is, never which verdict it is.

1. Evidence chunks below the relevance threshold are dropped (as in the LLM verifier); with none
   left the verdict is NOT_ENOUGH_EVIDENCE, ``verifier="threshold"``.
2. Each chunk is split into sentences (``text.split_sentences``); each sentence gets
   P(SUPPORTED), P(REFUTED), P(NOT_ENOUGH_EVIDENCE).
3. ``s`` = the strongest supporting sentence's P(SUPPORTED), ``r`` = the strongest refuting
   sentence's P(REFUTED), each counted only when it is that sentence's top label.
4. ``s`` ≥ ``conflict_threshold`` and another sentence's P(REFUTED) ≥ ``conflict_threshold``
   (whatever its top label), both from credible sources (tier ≤ ``credible_max_tier``; when
   any passage has a tier, an untiered one or one without a publisher counts as the lowest)
   → CONFLICTING, confidence the smaller calibrated probability, citing both. Otherwise the
   larger of ``s``/``r`` ≥ ``decide_threshold`` → SUPPORTED / REFUTED, confidence the
   deciding sentence's calibrated probability, citing it (and a second one of the same stance
   above the threshold). Otherwise NOT_ENOUGH_EVIDENCE, confidence ``1 − max(s, r)`` on
   calibrated probabilities.
   Corroboration: a SUPPORTED verdict whose supporting source has a lower tier than a
   refuting sentence's source (P(REFUTED) ≥ ``decide_threshold``) becomes REFUTED (reason
   ``corroboration``). Sentences of passages flagged as possible prompt injection count for
   nothing (all their probability moves to NOT_ENOUGH_EVIDENCE).
5. Abstention: a SUPPORTED, REFUTED or CONFLICTING verdict whose calibrated confidence is below
   ``commit_threshold`` (chosen on dev data for precision; see the model card) becomes
   NOT_ENOUGH_EVIDENCE with the reason ``undecided_offline`` and the leaning in the rationale.

Before step 3, numbers and dates are checked (``verify.quantities``): a sentence that states a
different value for the claim's quantity counts as refuting (its support and refutation
probabilities swap when support was ahead), and a sentence the model reads as refuting whose
quantities are all unrelated to the claim's does not refute (refutation moves to neutral):
the model barely sees digits and reads "$47.3M overtime" as contradicting "$412 million".
Sentences in a language the model cannot read (it is English-only) are not scored, nor is a
claim in such a language (reason ``language_unsupported``); sentences past ``max_sentences``
are dropped least relevant first. Both counts are recorded in the result.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from factcheck.errors import FactcheckError
from factcheck.files import sha256_file
from factcheck.language import readable_by
from factcheck.models import (
    Citation,
    Claim,
    ClaimResult,
    Evidence,
    Provenance,
    QuantityCheck,
    Verdict,
    VerdictReason,
    content_id,
)
from factcheck.retrieval.onnx import (
    PER_SEQUENCE,
    available_cores,
    packaged_file,
    pair_logits,
    pair_tokenizer,
    parallel_session,
)
from factcheck.text import Span, split_sentences
from factcheck.verify.base import (
    effective_tier,
    injection_rules,
    relevant_evidence,
    tiers_in_use,
)
from factcheck.verify.checks import quantity_report, recorded
from factcheck.verify.quantities import QuantityComparison, QuantityReport

if TYPE_CHECKING:
    import onnxruntime as ort
    from tokenizers import Tokenizer

LABELS: tuple[Verdict, ...] = (
    Verdict.SUPPORTED,
    Verdict.REFUTED,
    Verdict.NOT_ENOUGH_EVIDENCE,
)
"""The model's output order."""
MAX_LENGTH = 128
VERIFIER_NAME = "nli"
MODEL_RESOURCE = "assets/nli/nli-minilm-int8.onnx"
CALIBRATION_RESOURCE = "assets/nli/calibration.json"
FloatArray = npt.NDArray[np.float32]


class NLIModelError(FactcheckError):
    """The shipped NLI model or its calibration file is missing, altered or mismatched."""


def softmax(logits: FloatArray, temperature: float = 1.0) -> FloatArray:
    """Row-wise softmax of `logits / temperature`."""
    z = logits / temperature
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return (e / e.sum(axis=-1, keepdims=True)).astype(np.float32)


@dataclass(frozen=True)
class Calibration:
    """Temperature fitted on held-out calibration data for one exact model file."""

    temperature: float
    model_sha256: str

    @classmethod
    def load(cls, path: Path | None = None) -> Calibration:
        """Read ``calibration.json`` (default: the shipped one)."""
        path = path or packaged_file(CALIBRATION_RESOURCE)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(float(data["temperature"]), str(data["model_sha256"]))
        except (OSError, ValueError, KeyError) as exc:
            raise NLIModelError(
                f"Cannot read the NLI calibration file {path}: {exc}. Fix: reinstall factcheck, "
                "or refit it with `python -m training.nli.evaluate --calibrate`."
            ) from exc


class NLIModel:
    """The ONNX cross-encoder: (claim, evidence) pairs → logits, with dynamic padding."""

    def __init__(
        self,
        model_path: Path | None = None,
        calibration: Calibration | None = None,
        *,
        threads: int | None = None,
        batch_size: int = PER_SEQUENCE,
    ) -> None:
        """Defaults: the shipped int8 model and its calibration; every available core."""
        self.model_path = model_path or packaged_file(MODEL_RESOURCE)
        self.calibration = calibration
        self.threads = threads or available_cores()
        self.batch_size = batch_size
        self._session: ort.InferenceSession | None = None
        self._workers = 1
        self._tokenizer: Tokenizer | None = None
        self._lock = threading.Lock()
        self.sha256 = ""

    def load(self) -> None:
        """Load the tokenizer and session now (checks the model file against its calibration)."""
        with self._lock:
            if self._session is not None:
                return
            if not self.model_path.is_file():
                raise NLIModelError(
                    f"The NLI model file is missing: {self.model_path}. Fix: reinstall factcheck."
                )
            self.sha256 = sha256_file(self.model_path)
            if self.calibration is None:
                if self.model_path == packaged_file(MODEL_RESOURCE):
                    self.calibration = Calibration.load()
                else:
                    self.calibration = Calibration(1.0, self.sha256)
            if self.calibration.model_sha256 != self.sha256:
                raise NLIModelError(
                    f"{self.model_path} has sha256 {self.sha256}, but its calibration was fitted "
                    f"for {self.calibration.model_sha256}. Fix: refit the temperature with "
                    "`python -m training.nli.evaluate --calibrate`."
                )
            tokenizer = pair_tokenizer(MAX_LENGTH)
            session, self._workers = parallel_session(
                self.model_path, self.threads, one_sequence_per_run=self.batch_size == PER_SEQUENCE
            )
            self._tokenizer = tokenizer
            self._session = session

    @property
    def temperature(self) -> float:
        """The fitted temperature (1.0 for an uncalibrated model)."""
        self.load()
        assert self.calibration is not None
        return self.calibration.temperature

    def logits(self, claims: Sequence[str], evidence: Sequence[str]) -> FloatArray:
        """Raw logits, shape ``(n, 3)`` in `LABELS` order; batches sorted by length."""
        if not claims and not evidence:
            return np.zeros((0, len(LABELS)), dtype=np.float32)
        self.load()
        assert self._tokenizer is not None and self._session is not None
        return pair_logits(
            self._session,
            self._tokenizer,
            claims,
            evidence,
            width=len(LABELS),
            batch_size=self.batch_size,
            workers=self._workers,
        )

    def probabilities(self, claims: Sequence[str], evidence: Sequence[str]) -> FloatArray:
        """Temperature-calibrated probabilities, shape ``(n, 3)`` in `LABELS` order."""
        return softmax(self.logits(claims, evidence), self.temperature)


@dataclass(frozen=True)
class NLISettings:
    """Thresholds of the aggregation rule (see the module docstring)."""

    decide_threshold: float = 0.5
    conflict_threshold: float = 0.8
    credible_max_tier: int = 2
    relevance_threshold: float = 0.25
    max_sentences: int = 200
    commit_threshold: float = 0.8
    """Calibrated confidence a SUPPORTED/REFUTED verdict needs, else it abstains (0: never);
    chosen on the calibration split for precision 0.80 (`training/nli/abstention.py`)."""
    languages: frozenset[str] = frozenset({"en"})
    """Languages the model reads (ISO 639-1)."""


@dataclass(frozen=True)
class ScoredSentence:
    """One evidence sentence with its probabilities: `raw` (temperature 1, what the thresholds
    see) and `probs` (temperature-calibrated, what confidences report)."""

    evidence: Evidence
    start: int
    end: int
    probs: tuple[float, float, float]
    raw: tuple[float, float, float]
    adjusted: str | None = None
    """Why the number check changed this sentence's probabilities (None: unchanged)."""

    @property
    def text(self) -> str:
        """The sentence, verbatim from the chunk."""
        return self.evidence.chunk.text[self.start : self.end]

    @property
    def top(self) -> Verdict:
        """The sentence's most probable label."""
        return LABELS[int(np.argmax(self.probs))]

    def p(self, label: Verdict) -> float:
        """Calibrated probability of `label`."""
        return self.probs[LABELS.index(label)]

    def p_raw(self, label: Verdict) -> float:
        """The model's own (temperature 1) probability of `label`."""
        return self.raw[LABELS.index(label)]


@dataclass(frozen=True)
class Decision:
    """The aggregated verdict, its confidence and the sentences it rests on."""

    verdict: Verdict
    confidence: float
    deciding: tuple[ScoredSentence, ...]
    reason: VerdictReason = VerdictReason.EVIDENCE
    leaning: Verdict | None = None
    """With `undecided_offline`: the verdict the model leaned to, below the commit threshold."""
    leaning_on: ScoredSentence | None = None
    """...and the sentence it leaned on (named in the rationale, not cited)."""


def aggregate(sentences: Sequence[ScoredSentence], settings: NLISettings) -> Decision:
    """Apply the aggregation rule of the module docstring to scored sentences."""
    tiered = tiers_in_use([s.evidence for s in sentences])

    def tier(sentence: ScoredSentence) -> int:
        found = effective_tier(sentence.evidence.chunk, tiered)
        return 0 if found is None else found

    def credible(sentence: ScoredSentence) -> bool:
        return tier(sentence) <= settings.credible_max_tier

    def strongest(label: Verdict) -> list[ScoredSentence]:
        hits = [s for s in sentences if s.top == label]
        return sorted(hits, key=lambda s: s.p_raw(label), reverse=True)

    sup, ref = strongest(Verdict.SUPPORTED), strongest(Verdict.REFUTED)
    s = sup[0].p_raw(Verdict.SUPPORTED) if sup else 0.0
    r = ref[0].p_raw(Verdict.REFUTED) if ref else 0.0
    # CONFLICTING: a credible supporting sentence and a credible sentence with refutation
    # probability at the threshold, whatever that sentence's top label (the model seldom makes
    # REFUTED a sentence's top label, so requiring it meant CONFLICTING never happened).
    t = settings.conflict_threshold
    refuting = sorted(
        (x for x in sentences if credible(x) and x is not (sup[0] if sup else None)),
        key=lambda x: x.p_raw(Verdict.REFUTED),
        reverse=True,
    )
    if sup and s >= t and credible(sup[0]) and refuting and refuting[0].p_raw(Verdict.REFUTED) >= t:
        against = refuting[0]
        confidence = min(sup[0].p(Verdict.SUPPORTED), against.p(Verdict.REFUTED))
        if confidence < settings.commit_threshold:
            return Decision(
                Verdict.NOT_ENOUGH_EVIDENCE,
                round(1.0 - confidence, 4),
                (),
                VerdictReason.UNDECIDED_OFFLINE,
                leaning=Verdict.CONFLICTING,
                leaning_on=against,
            )
        return Decision(Verdict.CONFLICTING, round(confidence, 4), (sup[0], against))
    reason = VerdictReason.EVIDENCE
    if max(s, r) >= settings.decide_threshold:
        verdict, ranked = (Verdict.SUPPORTED, sup) if s >= r else (Verdict.REFUTED, ref)
        if (
            verdict is Verdict.SUPPORTED
            and tiered
            and ref
            and r >= settings.decide_threshold
            and tier(ref[0]) < tier(sup[0])
        ):
            # Corroboration: support from a lower-tier (or untiered) source alone does not
            # outweigh a refutation from a higher-tier one.
            verdict, ranked, reason = Verdict.REFUTED, ref, VerdictReason.CORROBORATION
        extra = [x for x in ranked[1:2] if x.p_raw(verdict) >= settings.decide_threshold]
        confidence = ranked[0].p(verdict)
        if confidence < settings.commit_threshold:
            return Decision(
                Verdict.NOT_ENOUGH_EVIDENCE,
                round(1.0 - confidence, 4),
                (),
                VerdictReason.UNDECIDED_OFFLINE,
                leaning=verdict,
                leaning_on=ranked[0],
            )
        return Decision(verdict, round(confidence, 4), (ranked[0], *extra), reason)
    s_cal = sup[0].p(Verdict.SUPPORTED) if sup else 0.0
    r_cal = ref[0].p(Verdict.REFUTED) if ref else 0.0
    return Decision(Verdict.NOT_ENOUGH_EVIDENCE, round(1.0 - max(s_cal, r_cal), 4), ())


def _triple(row: FloatArray) -> tuple[float, float, float]:
    a, b, c = (float(x) for x in row)
    return a, b, c


def _label(item: Evidence) -> str:
    title = item.chunk.title or item.chunk.publisher
    return f"passage {item.number}" + (f" ({title})" if title else "")


def _short(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def rationale(decision: Decision, n_sentences: int, commit: float = 0.0) -> str:
    """A short templated rationale naming the deciding passages."""
    if decision.reason is VerdictReason.UNDECIDED_OFFLINE:
        leaning_on = decision.leaning_on
        where = (
            f' on {_label(leaning_on.evidence)}: "{_short(leaning_on.text)}"' if leaning_on else ""
        )
        return (
            f"Undecided offline: the NLI model leans {decision.leaning} at confidence "
            f"{1.0 - decision.confidence:.2f}{where}, below the {commit:.2f} it needs to commit; "
            "a stronger verifier (FACTCHECK_VERIFIER=cascade or llm) or a person should decide."
        )
    if decision.verdict is Verdict.NOT_ENOUGH_EVIDENCE:
        return (
            f"None of the {n_sentences} evidence sentences clearly supports or refutes the claim "
            f"(NLI model; confidence {decision.confidence:.2f})."
        )
    parts = []
    for s in decision.deciding:
        stance = "supports" if s.top is Verdict.SUPPORTED else "refutes"
        why = f" ({s.adjusted})" if s.adjusted else ""
        parts.append(
            f"P{_label(s.evidence)[1:]} {stance} the claim{why} (p={s.p(s.top):.2f}): "
            f'"{_short(s.text)}"'
        )
    if decision.verdict is Verdict.CONFLICTING:
        parts.append("Credible sources disagree.")
    if decision.reason is VerdictReason.CORROBORATION:
        parts.append("A higher-tier source refutes what a lower-tier source supports.")
    return " ".join(parts)


def check_numbers(
    claim: str, scored: list[ScoredSentence]
) -> tuple[list[ScoredSentence], list[QuantityCheck]]:
    """Apply the number check of the module docstring to scored sentences; also returns the
    aligned comparisons (consistent or contradicting) found in any of them."""
    report = quantity_report(claim, [s.text for s in scored])  # parses the claim once
    if not report.claim_quantities:
        return scored, []
    by_sentence: dict[str, list[QuantityComparison]] = {}
    for comparison in report.comparisons:
        by_sentence.setdefault(comparison.sentence, []).append(comparison)
    out, aligned = [], []
    for sentence in scored:
        comparisons = tuple(by_sentence.get(sentence.text, ()))
        own = QuantityReport(claim, comparisons, report.claim_quantities)
        aligned += [
            check
            for check in recorded(own, {sentence.text: sentence.evidence.chunk.id})
            if check.outcome != "unrelated"
        ]
        if own.contradicted and sentence.raw[0] > sentence.raw[1]:
            out.append(_swap(sentence, 0, 1, "its number or date differs from the claim's"))
        elif (
            sentence.top is Verdict.REFUTED
            and comparisons
            and all(c.outcome == "unrelated" for c in comparisons)
        ):
            out.append(_swap(sentence, 1, 2, None))
        else:
            out.append(sentence)
    return out, aligned


def distrust(sentence: ScoredSentence) -> ScoredSentence:
    """A sentence of a passage flagged as possible prompt injection counts for nothing: all its
    probability moves to NOT_ENOUGH_EVIDENCE (it is still listed, never support)."""
    if not injection_rules(sentence.evidence.chunk):
        return sentence
    neutral = (0.0, 0.0, 1.0)
    return dataclasses.replace(
        sentence, probs=neutral, raw=neutral, adjusted="flagged as possible prompt injection"
    )


def _swap(sentence: ScoredSentence, a: int, b: int, why: str | None) -> ScoredSentence:
    """The sentence with probabilities `a` and `b` exchanged (both calibrated and raw)."""

    def swapped(values: tuple[float, float, float]) -> tuple[float, float, float]:
        items = list(values)
        items[a], items[b] = items[b], items[a]
        return items[0], items[1], items[2]

    return dataclasses.replace(
        sentence,
        probs=swapped(sentence.probs),
        raw=swapped(sentence.raw),
        adjusted=why or "its numbers are unrelated to the claim's",
    )


class NLIVerifier:
    """Judges claims against evidence with the offline NLI model (interface: `ClaimVerifier`)."""

    def __init__(self, model: NLIModel | None = None, settings: NLISettings | None = None) -> None:
        self.model = model or NLIModel()
        self.settings = settings or NLISettings()

    @property
    def prompt_hash(self) -> str:
        """Stands in for a prompt hash: identifies the model file (`nli:<sha256 prefix>`)."""
        self.model.load()
        return f"nli:{self.model.sha256[:16]}"

    def sentences(self, evidence: list[Evidence]) -> tuple[list[tuple[Evidence, Span]], int]:
        """The evidence sentences to score, most relevant passage first (retrieval score), in a
        language the model reads, at most `max_sentences`; and how many were left out."""
        ranked = sorted(evidence, key=lambda e: -(e.score or 0.0))
        spans = [(item, span) for item in ranked for span in split_sentences(item.chunk.text)]
        readable = [
            (item, span)
            for item, span in spans
            if readable_by(span.of(item.chunk.text), self.settings.languages)
        ]
        kept = readable[: self.settings.max_sentences]
        return kept, len(spans) - len(kept)

    def score(self, claim: str, evidence: list[Evidence]) -> list[ScoredSentence]:
        """The evidence sentences (see `sentences`), scored, with the number check applied."""
        spans, _ = self.sentences(evidence)
        return self.score_spans(claim, spans)[0]

    def score_spans(
        self, claim: str, spans: list[tuple[Evidence, Span]]
    ) -> tuple[list[ScoredSentence], list[QuantityCheck]]:
        """Score the given sentences against the claim and apply the number check (see
        `check_numbers`)."""
        texts = [span.of(item.chunk.text) for item, span in spans]
        logits = self.model.logits([claim] * len(texts), texts)
        calibrated, raw = softmax(logits, self.model.temperature), softmax(logits)
        scored = [
            ScoredSentence(item, span.start, span.end, _triple(cal), _triple(own))
            for (item, span), cal, own in zip(spans, calibrated, raw, strict=True)
        ]
        scored, aligned = check_numbers(claim, scored)
        return [distrust(s) for s in scored], aligned

    def decide(self, claim: str, evidence: list[Evidence]) -> tuple[Decision, int]:
        """The aggregated decision and the number of sentences scored (synchronous)."""
        scored = self.score(claim, evidence)
        return aggregate(scored, self.settings), len(scored)

    async def verify(
        self, claim: Claim, evidence: list[Evidence], provenance: Provenance
    ) -> ClaimResult:
        """The verdict on `claim`; `provenance` is completed with the model hash and timings."""
        started = time.perf_counter()
        shown = relevant_evidence(evidence, self.settings.relevance_threshold)
        provenance = provenance.model_copy(deep=True)
        provenance.prompt_hashes["verify"] = self.prompt_hash
        provenance.model_params = {
            **provenance.model_params,
            "nli_model_sha256": self.model.sha256,
            "nli_temperature": self.model.temperature,
        }
        provenance.created_at = datetime.now(UTC)
        unscored = 0
        aligned: list[QuantityCheck] = []
        if not shown:
            best = max((e.dense_similarity or 0.0 for e in evidence), default=0.0)
            decision = Decision(
                Verdict.NOT_ENOUGH_EVIDENCE,
                round(max(0.5, 1.0 - best), 3),
                (),
                VerdictReason.NO_RELEVANT_EVIDENCE,
            )
            text = (
                f"No reference passage reached the relevance threshold (best similarity "
                f"{best:.2f} < {self.settings.relevance_threshold:.2f}); the store holds no "
                "evidence on this claim."
            )
            name = "threshold"
        elif not readable_by(claim.text, self.settings.languages):
            decision = Decision(
                Verdict.NOT_ENOUGH_EVIDENCE, 0.5, (), VerdictReason.LANGUAGE_UNSUPPORTED
            )
            text = (
                "Not judged: the claim is not in a language the offline NLI model reads "
                f"({', '.join(sorted(self.settings.languages))}). Use FACTCHECK_VERIFIER=cascade "
                "or llm with a multilingual model."
            )
            name = VERIFIER_NAME
        else:
            spans, unscored = self.sentences(shown)
            if not spans:
                decision = Decision(
                    Verdict.NOT_ENOUGH_EVIDENCE, 0.5, (), VerdictReason.LANGUAGE_UNSUPPORTED
                )
                text = (
                    "Not judged: none of the evidence sentences is in a language the offline "
                    "NLI model reads; use FACTCHECK_VERIFIER=cascade or llm."
                )
            else:
                scored, aligned = await asyncio.to_thread(self.score_spans, claim.text, spans)
                decision = aggregate(scored, self.settings)
                text = rationale(decision, len(scored), self.settings.commit_threshold)
            name = VERIFIER_NAME
        provenance.timings["verify"] = time.perf_counter() - started
        citations = [Citation.from_chunk(s.evidence.chunk, s.text) for s in decision.deciding]
        notes = (
            [
                f"{unscored} evidence sentence{'s' if unscored != 1 else ''} not scored (over "
                f"the cap of {self.settings.max_sentences}, or not in a language the model reads)"
            ]
            if unscored
            else []
        )
        return ClaimResult(
            id=self.result_id(claim, shown, provenance),
            claim=claim,
            verdict=decision.verdict,
            confidence=min(1.0, max(0.0, decision.confidence)),
            rationale=text,
            citations=citations,
            evidence=shown,
            provenance=provenance,
            verifier=name,
            reason=decision.reason,
            # The citations' own comparisons are added by `checks.enforce`, as for any verifier.
            quantity_checks=aligned,
            unscored_sentences=unscored,
            notes=notes,
        )

    def result_id(self, claim: Claim, shown: list[Evidence], provenance: Provenance) -> str:
        """Deterministic id: same claim, evidence and model → same result id."""
        return content_id("result", claim.id, self.prompt_hash, *(e.chunk.id for e in shown))
