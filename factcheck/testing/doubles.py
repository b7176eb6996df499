"""Test doubles for users' tests, the project's tests and benchmarks: deterministic offline
embedders (registered with Chroma, so a collection made with them can be reopened) and an
in-memory retriever. The fake chat model is `factcheck.llm.fake`; the fake server `testing`."""

from __future__ import annotations

import hashlib
import re
from datetime import date
from typing import Any

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.utils.embedding_functions import register_embedding_function

from factcheck.models import Evidence, SourceChunk, content_id

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


def chunk(text: str, title: str = "Ref", published: date | None = None) -> SourceChunk:
    """A source chunk covering the whole of `text`."""
    return SourceChunk(
        id=content_id(text),
        source_id=content_id("src", text),
        text=text,
        start=0,
        end=len(text),
        title=title,
        url="https://example.org/ref",
        published=published,
    )


class ListRetriever:
    """Returns word-overlap-ranked chunks from a fixed list; can be told to fail on a query."""

    def __init__(self, texts: list[str], fail_on: str | None = None) -> None:
        self.chunks = [chunk(t, title=f"Ref {i}") for i, t in enumerate(texts, start=1)]
        self.fail_on = fail_on
        self.queries: list[str] = []

    def search(
        self,
        query: str,
        *,
        k: int,
        candidates: int,
        rrf_k: int,
        published_on_or_before: date | None = None,
    ) -> list[Evidence]:
        self.queries.append(query)
        if self.fail_on and self.fail_on in query:
            raise RuntimeError(f"store unavailable for {query!r}")
        words = set(query.lower().split())
        scored = sorted(self.chunks, key=lambda c: -len(words & set(c.text.lower().split())))
        out = []
        for number, c in enumerate(scored[:k], start=1):
            overlap = len(words & set(c.text.lower().split())) / max(1, len(words))
            out.append(
                Evidence(
                    number=number,
                    chunk=c,
                    score=1 / (rrf_k + number),
                    dense_rank=number,
                    dense_similarity=overlap,
                )
            )
        return out

    def fingerprint(self) -> str:
        return content_id(*(c.id for c in self.chunks))
