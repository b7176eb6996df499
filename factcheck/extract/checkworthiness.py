"""Offline check-worthiness scores for sentences: MiniLM embedding + cheap cues → a tiny head.

The head is a logistic regression over the 384-d all-MiniLM-L6-v2 sentence embedding (from
`factcheck.retrieval.embeddings.MiniLMEmbeddingFunction`) and the cue features computed by
`cue_features` below (numbers, dates, named entities, trend words, opinion markers, ...). It
ships as a few-KB ONNX graph, `factcheck/assets/checkworthiness/checkworthiness-head.onnx`,
run with onnxruntime; how it was trained and measured is in the `MODEL_CARD.md` beside it
(training code: `training/checkworthiness/train.py`).

The graph returns, besides the score, each cue's additive share of the logit and the
embedding's share (relative to the training mean), so every score comes with its reasons.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import json
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import numpy.typing as npt

from factcheck.errors import FactcheckError
from factcheck.text import split_sentences

if TYPE_CHECKING:
    import onnxruntime as ort

__all__ = [
    "CUE_LABELS",
    "CUE_NAMES",
    "DEFAULT_THRESHOLD",
    "CheckworthinessError",
    "CheckworthinessScorer",
    "SentenceEmbedder",
    "SentenceScore",
    "cue_features",
    "head_path",
]

DEFAULT_THRESHOLD = 0.6
"""Default cut-off on `SentenceScore.score` for "check-worthy" (see MODEL_CARD.md: chosen on
out-of-fold predictions of the training data, then measured on the held-back dev parts)."""

HEAD_FILE = "checkworthiness-head.onnx"
META_FILE = "checkworthiness-head.json"
REASON_MIN_CONTRIBUTION = 0.15
"""A cue is named as a reason when it moves the logit by at least this."""
EMBEDDING_REASON_MIN_CONTRIBUTION = 1.5
"""The embedding (relative to its class-balanced training mean) is named from this much on."""
MAX_REASONS = 4

FloatArray = npt.NDArray[np.float32]


class CheckworthinessError(FactcheckError, RuntimeError):
    """The shipped head is missing, altered, or does not match this code's features."""


class SentenceEmbedder(Protocol):
    """What the scorer needs from an embedder: `MiniLMEmbeddingFunction` satisfies it."""

    def embed(self, texts: Sequence[str]) -> FloatArray:
        """One L2-normalised 384-d float32 row per text, in input order."""
        ...


# --------------------------------------------------------------------------- cue features

_NUMBER_WORDS = (
    r"hundred|thousand|million|billion|trillion|dozens?|half|twice|thrice|"
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|"
    r"forty|fifty|sixty|seventy|eighty|ninety"
)
_NUMBER = re.compile(rf"\d|\b(?:{_NUMBER_WORDS})\b", re.I)
_PERCENT = re.compile(r"%|\bper ?cent\b|\bpercentage\b", re.I)
_CURRENCY = re.compile(
    r"[$€£¥]|\b(?:dollars?|euros?|pounds? sterling|yuan|yen|rupees?|USD|EUR|GBP)\b", re.I
)
_MONTHS = (
    r"January|February|March|April|May|June|July|August|September|October|November|December|"
    r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec"
)
_DATE = re.compile(
    rf"\b(?:1[5-9]\d\d|20\d\d)s?\b|\b(?:{_MONTHS})\.? \d{{1,2}}\b|\b\d{{1,2}} (?:{_MONTHS})\b|"
    r"\b(?i:last|this|next|past) (?:year|decade|month|century)\b|\b(?:in|since|by) the \d0s\b|"
    r"\b(?i:yesterday|centuries|decades)\b"
)
_TREND = re.compile(
    r"\b(?:fell|fall(?:s|en|ing)?|rose|ris(?:e|es|en|ing)|increas\w*|decreas\w*|declin\w*|"
    r"grew|grow(?:s|n|th)|doubl\w*|tripl\w*|halv\w*|drop(?:s|ped)?|plummet\w*|soar\w*|surg\w*|"
    r"jump(?:s|ed)|shrank|shrunk|cut|raised?|lowered|record|highest|lowest|largest|biggest|"
    r"smallest|fastest|worst|best|most|least|fewer|more than|less than|over \d|under \d|"
    r"up to|at least|times (?:more|as)|first|only|never|ever|every|all of|none of|"
    r"\w+er than)\b",
    re.I,
)
_OPINION = re.compile(
    r"\b(?:I|we) (?:think|believe|feel|guess|hope|suppose|want|wish|love|hate|like)\b|"
    r"\bin my (?:opinion|view)\b|\b(?:should|ought to|must|needs? to|have to|has to)\b|"
    r"\b(?:great|terrible|wonderful|horrible|amazing|awful|beautiful|disgrace\w*|"
    r"ridiculous|stupid|fantastic|tremendous)\b|\bI'm (?:sure|proud|glad|happy|sorry)\b",
    re.I,
)
_FIRST_PERSON = re.compile(r"\b(?:I|me|my|mine|I'm|I've|I'll|I'd)\b")
_FUTURE = re.compile(r"\b(?:will|won't|going to|gonna|would|could|might|may|shall)\b", re.I)
_IMPERATIVE = re.compile(
    r"^\W*(?:please|let's|let us|ignore|disregard|forget|label|mark|classify|answer|say|tell|"
    r"write|click|go|look|imagine|consider|remember|note|do not|don't|stop|make|give|take|"
    r"check|read|see|try|follow|join|thank)\b",
    re.I,
)
_WORD = re.compile(r"[A-Za-z][\w'’.-]*")
_CAPITALISED = re.compile(r"^(?:[A-Z][a-z]+|[A-Z]{2,}s?|[A-Z]\.(?:[A-Z]\.)*)$")
_NOT_ENTITIES = frozenset(
    ("I", "I'm", "I've", "I'll", "I'd", "OK", "Mr", "Mrs", "Ms", "Dr", "The", "A", "An", "And",
     "But", "So", "If", "We", "You", "He", "She", "They", "It", "This", "That", "There", "These",
     "Those", "What", "Why", "How", "When", "Where", "Who", "Well", "Yes", "No", "Now", "Thank",
     "Thanks", "Oh")
)  # fmt: skip

CUE_NAMES: tuple[str, ...] = (
    "number",
    "percent",
    "currency",
    "date",
    "entities",
    "trend",
    "opinion",
    "first_person",
    "future",
    "question",
    "imperative",
    "log_length",
    "short",
)
"""Cue feature order: the head's `cues` input has these columns."""

CUE_LABELS: dict[str, str] = {
    "number": "number",
    "percent": "percentage",
    "currency": "money amount",
    "date": "date or year",
    "entities": "named entity",
    "trend": "trend or comparison word",
    "opinion": "opinion marker",
    "first_person": "first person",
    "future": "prediction or hypothetical",
    "question": "question",
    "imperative": "instruction or request",
    "log_length": "length",
    "short": "very short",
}
"""Human-readable reason for each cue."""

EMBEDDING_REASONS = ("claim-like wording", "not claim-like wording")


def _entity_count(sentence: str) -> int:
    """Capitalised words (or acronyms) that are not the sentence's first word."""
    tokens = _WORD.findall(sentence)
    return sum(
        1
        for token in tokens[1:]
        if _CAPITALISED.match(token.rstrip(".’'")) and token.rstrip(".’'") not in _NOT_ENTITIES
    )


def cue_features(sentence: str) -> list[float]:
    """The cue features of one sentence, in `CUE_NAMES` order (raw, unscaled)."""
    words = _WORD.findall(sentence)
    n_words = len(words)
    return [
        float(bool(_NUMBER.search(sentence))),
        float(bool(_PERCENT.search(sentence))),
        float(bool(_CURRENCY.search(sentence))),
        float(bool(_DATE.search(sentence))),
        float(np.log1p(min(_entity_count(sentence), 8))),
        float(bool(_TREND.search(sentence))),
        float(bool(_OPINION.search(sentence))),
        float(bool(_FIRST_PERSON.search(sentence))),
        float(bool(_FUTURE.search(sentence))),
        float("?" in sentence),
        float(bool(_IMPERATIVE.search(sentence))),
        float(np.log1p(min(n_words, 80))),
        float(n_words < 5),
    ]


def cue_matrix(sentences: Sequence[str]) -> FloatArray:
    """`cue_features` of each sentence as a `(len(sentences), len(CUE_NAMES))` float32 array."""
    if not sentences:
        return np.zeros((0, len(CUE_NAMES)), dtype=np.float32)
    return np.asarray([cue_features(s) for s in sentences], dtype=np.float32)


# --------------------------------------------------------------------------- the head


@dataclass(frozen=True)
class SentenceScore:
    """A sentence's check-worthiness: `score` in 0..1 and the main reasons behind it."""

    sentence: str
    score: float
    reasons: list[str] = field(default_factory=list)
    start: int | None = None
    """Character offset in the scored text (`score_text` only)."""
    end: int | None = None


def head_path() -> Path:
    """Path of the shipped ONNX head."""
    resource = importlib.resources.files("factcheck").joinpath(
        f"assets/checkworthiness/{HEAD_FILE}"
    )
    return Path(str(resource))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass(frozen=True)
class _Head:
    session: ort.InferenceSession
    meta: dict[str, Any]


_LOCK = threading.Lock()
_HEADS: dict[Path, _Head] = {}


def _load_head(path: Path) -> _Head:
    """Load (once per process) the ONNX head and check it against its metadata and our cues."""
    with _LOCK:
        head = _HEADS.get(path)
        if head is not None:
            return head
        meta_path = path.with_name(META_FILE)
        if not path.is_file() or not meta_path.is_file():
            raise CheckworthinessError(
                f"The check-worthiness head is missing ({path} and {meta_path.name} are "
                "needed). Fix: reinstall factcheck."
            )
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        actual = _sha256(path)
        if actual != meta.get("head_sha256"):
            raise CheckworthinessError(
                f"{path} has sha256 {actual}, but {meta_path.name} expects "
                f"{meta.get('head_sha256')}: the head and its metadata do not belong together."
            )
        if tuple(meta.get("cue_names", ())) != CUE_NAMES:
            raise CheckworthinessError(
                f"{path} was trained on cues {meta.get('cue_names')}, this code computes "
                f"{list(CUE_NAMES)}: retrain the head (training/checkworthiness/train.py)."
            )
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        session = ort.InferenceSession(
            str(path), sess_options=options, providers=["CPUExecutionProvider"]
        )
        head = _Head(session, meta)
        _HEADS[path] = head
        return head


def _reasons(cue_contrib: npt.NDArray[np.float32], emb_contrib: float) -> list[str]:
    """The cues (and the embedding) that moved the logit most, strongest first."""
    named = [(float(c), CUE_LABELS[name]) for name, c in zip(CUE_NAMES, cue_contrib, strict=True)]
    named = [(c, label) for c, label in named if label != "length"]
    strong = [(c, label) for c, label in named if abs(c) >= REASON_MIN_CONTRIBUTION]
    if abs(emb_contrib) >= EMBEDDING_REASON_MIN_CONTRIBUTION:
        label = EMBEDDING_REASONS[0] if emb_contrib > 0 else EMBEDDING_REASONS[1]
        strong.append((emb_contrib, label))
    strong.sort(key=lambda item: -abs(item[0]))
    return [label for _, label in strong[:MAX_REASONS]]


class CheckworthinessScorer:
    """Scores sentences 0..1 for check-worthiness with the shipped head; fully offline.

    ``embedder`` is the project's offline MiniLM (`factcheck.retrieval.embeddings.
    MiniLMEmbeddingFunction`, passed in by the composition root: extraction and retrieval are
    sibling layers) or any object with the same ``embed`` method and 384-d normalised output.
    """

    def __init__(
        self,
        embedder: SentenceEmbedder,
        *,
        threshold: float = DEFAULT_THRESHOLD,
        path: Path | None = None,
    ) -> None:
        """``path`` overrides the shipped head (its ``.json`` metadata must sit beside it)."""
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"threshold must be in 0..1, got {threshold}")
        self.embedder = embedder
        self.threshold = threshold
        self._head = _load_head((path or head_path()).resolve())

    @property
    def info(self) -> dict[str, Any]:
        """Provenance of the head (sha256, training data, metrics) for run records."""
        return dict(self._head.meta)

    def score(self, sentences: Sequence[str]) -> list[SentenceScore]:
        """One `SentenceScore` per sentence, in input order; deterministic."""
        if isinstance(sentences, str):
            raise TypeError("expected a sequence of sentences, got a single str")
        items = list(sentences)
        if not items:
            return []
        embeddings = np.asarray(self.embedder.embed(items), dtype=np.float32)
        cues = cue_matrix(items)
        score, cue_contrib, emb_contrib = self._head.session.run(
            ["score", "cue_contributions", "embedding_contribution"],
            {"embedding": embeddings, "cues": cues},
        )
        return [
            SentenceScore(
                sentence=text,
                score=float(score[i, 0]),
                reasons=_reasons(cue_contrib[i], float(emb_contrib[i, 0])),
            )
            for i, text in enumerate(items)
        ]

    def score_text(self, text: str) -> list[SentenceScore]:
        """Split ``text`` into sentences (`factcheck.text.split_sentences`) and score each."""
        spans = split_sentences(text)
        scored = self.score([span.of(text) for span in spans])
        return [
            SentenceScore(s.sentence, s.score, s.reasons, start=span.start, end=span.end)
            for s, span in zip(scored, spans, strict=True)
        ]

    def is_checkworthy(self, item: SentenceScore) -> bool:
        """Whether ``item`` reaches this scorer's threshold."""
        return item.score >= self.threshold
