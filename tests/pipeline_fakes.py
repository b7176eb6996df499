"""Test doubles for the pipeline: an in-memory retriever (the fake LLM ships in the package)."""

from __future__ import annotations

from datetime import date

from factcheck.models import Evidence, SourceChunk, content_id


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
