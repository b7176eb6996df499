"""The relevance re-ranker: a MiniLM cross-encoder trained to score how relevant a passage is
to a claim (`training/retrieval`), run on the fused top candidates before the top-k cut.

The first stage (dense + BM25) ranks each chunk without reading it next to the claim; the
cross-encoder reads both together, one MiniLM pass per pair, so it is applied to the `depth`
best fused candidates only, and its order is blended with the fused one (`blended_order`).
Offline, int8 ONNX, shipped in `factcheck/assets/reranker` with its model card.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from factcheck.files import sha256_file
from factcheck.models import Evidence
from factcheck.retrieval.onnx import (
    PER_SEQUENCE,
    ModelFileError,
    available_cores,
    packaged_file,
    pair_logits,
    pair_tokenizer,
    parallel_session,
)

if TYPE_CHECKING:
    import onnxruntime as ort
    from tokenizers import Tokenizer

RERANKER_NAME = "factcheck-reranker-minilm-int8"
RERANKER_RESOURCE = "assets/reranker/reranker-minilm-int8.onnx"
RERANKER_SHA256 = "a0a344be51b55cd8a839a2dd159d9d630aeb365a5fe26491bcc02bbc1b7dcbc7"
MAX_LENGTH = 256
"""Tokens per (claim, passage) pair, truncated longest-first (as in training)."""


class Reranker:
    """Scores (claim, passage) relevance with the shipped cross-encoder; loads on first use."""

    def __init__(
        self,
        *,
        depth: int,
        weight: float,
        threads: int | None = None,
        batch_size: int = PER_SEQUENCE,
        model_path: Path | None = None,
    ) -> None:
        """`depth`: how many fused candidates are re-scored per query; `weight`: the share of
        the re-ranker's rank in their new order (`blended_order`; 1: its order alone, 0: the
        fused order). Their defaults are settings (`FACTCHECK_RERANK_DEPTH`, `_WEIGHT`)."""
        if depth < 1:
            raise ValueError(f"re-rank depth must be at least 1, got {depth}")
        if not 0.0 <= weight <= 1.0:
            raise ValueError(f"re-rank weight must be between 0 and 1, got {weight}")
        self.depth = depth
        self.weight = weight
        self.threads = threads or available_cores()
        self.batch_size = batch_size
        self.model_path = model_path or packaged_file(RERANKER_RESOURCE)
        self._session: ort.InferenceSession | None = None
        self._workers = 1
        self._tokenizer: Tokenizer | None = None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        """The re-ranker's name, as recorded in results."""
        return RERANKER_NAME

    def load(self) -> None:
        """Load the model now (checks the file's hash when it is the shipped one)."""
        with self._lock:
            if self._session is not None:
                return
            if not self.model_path.is_file():
                raise ModelFileError(
                    f"The re-ranker model file is missing: {self.model_path}. Fix: reinstall "
                    "factcheck, or set FACTCHECK_RERANK=false to rank without it."
                )
            if self.model_path == packaged_file(RERANKER_RESOURCE):
                actual = sha256_file(self.model_path)
                if actual != RERANKER_SHA256:
                    raise ModelFileError(
                        f"The re-ranker model file {self.model_path} has sha256 {actual}, "
                        f"expected {RERANKER_SHA256}. Fix: reinstall factcheck."
                    )
            self._tokenizer = pair_tokenizer(MAX_LENGTH)
            self._session, self._workers = parallel_session(
                self.model_path, self.threads, one_sequence_per_run=self.batch_size == PER_SEQUENCE
            )

    def scores(self, query: str, passages: Sequence[str]) -> np.ndarray:
        """Relevance logits of each passage to `query` (higher is more relevant)."""
        if not passages:
            return np.zeros(0, dtype=np.float32)
        self.load()
        assert self._session is not None and self._tokenizer is not None
        logits = pair_logits(
            self._session,
            self._tokenizer,
            [query] * len(passages),
            list(passages),
            width=1,
            batch_size=self.batch_size,
            workers=self._workers,
        )
        return logits[:, 0]


def blended_order(scores: np.ndarray, weight: float) -> list[int]:
    """Positions of candidates given in fused order, re-ordered by the weighted mean of their
    re-ranker rank (share `weight`) and their fused rank; ties keep the fused order.

    Ranks, not scores, are blended: the two scales are unrelated, and a rank mean lets a weak
    re-ranker nudge the first stage instead of overruling it."""
    n = len(scores)
    rerank_rank = np.empty(n, dtype=np.float64)
    rerank_rank[np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")] = np.arange(n)
    blended = weight * rerank_rank + (1.0 - weight) * np.arange(n)
    return sorted(range(n), key=lambda i: (blended[i], i))


def reorder_head(found: list[Evidence], scores: np.ndarray, weight: float) -> list[Evidence]:
    """`found` (in fused order) with its first `len(scores)` passages re-ordered by
    `blended_order` of their re-ranker `scores`, each given its `rerank_score` and `fused_rank`;
    then the rest in fused order. Numbers are left as they were."""
    depth = len(scores)
    head, tail = found[:depth], found[depth:]
    reranked = [
        head[i].model_copy(
            update={"rerank_score": round(float(scores[i]), 4), "fused_rank": head[i].number}
        )
        for i in blended_order(scores, weight)
    ]
    return [*reranked, *tail]
