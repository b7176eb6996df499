"""Deterministic, offline embedding functions for tests (registered with Chroma so that a
collection created with them can be reopened)."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.utils.embedding_functions import register_embedding_function

_WORD = re.compile(r"[^\W\d_]+")


@register_embedding_function
class HashEmbedding(EmbeddingFunction[Documents]):
    """Hashed bag of *words* → L2-normalised vector. Digits are ignored on purpose: like many
    dense models, this one cannot tell "7.3 percent" from "4.1 percent"."""

    def __init__(self, dim: int = 64) -> None:
        self.dim = dim
        self.calls = 0
        self.embedded = 0

    def __call__(self, input: Documents) -> Embeddings:
        self.calls += 1
        self.embedded += len(input)
        return [self._vector(text) for text in input]

    def _vector(self, text: str) -> np.ndarray:
        vector = np.zeros(self.dim, dtype=np.float32)
        for word in _WORD.findall(text.lower()):
            digest = hashlib.sha256(word.encode("utf-8")).digest()
            sign = 1.0 if digest[4] & 1 else -1.0
            vector[int.from_bytes(digest[:4], "big") % self.dim] += sign
        norm = float(np.linalg.norm(vector))
        if norm == 0.0:
            vector[0] = 1.0
            return vector
        return vector / norm

    @staticmethod
    def name() -> str:
        return "factcheck-test-hash"

    def get_config(self) -> dict[str, Any]:
        return {"dim": self.dim, "batch_size": 32}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> HashEmbedding:
        return HashEmbedding(dim=int(config.get("dim", 64)))

    def default_space(self) -> str:  # type: ignore[override]
        return "cosine"


@register_embedding_function
class OtherEmbedding(HashEmbedding):
    """Same vectors, another name: reopening a HashEmbedding collection with it must fail."""

    @staticmethod
    def name() -> str:
        return "factcheck-test-other"

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> OtherEmbedding:
        return OtherEmbedding(dim=int(config.get("dim", 64)))
