"""The reference store: reference sources split into chunks in a Chroma collection, searched
densely (Chroma, cosine) and lexically (in-process BM25), the two rankings fused.

Chroma runs embedded (`PersistentClient` in a folder) unless a server host is given, then as a
client of a Chroma server (`factcheck.retrieval.chroma`). Chroma's anonymised telemetry is
always turned off. The collection's metadata carries a content fingerprint
(`factcheck.retrieval.fingerprint`), so the lexical index is rebuilt only when it changed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.errors import ChromaError
from langchain_text_splitters import RecursiveCharacterTextSplitter
from pydantic import BaseModel, Field

from factcheck.errors import IngestError, InputError, StoreError
from factcheck.io.inputs import Source
from factcheck.io.series import TableRow
from factcheck.models import Evidence, SourceChunk
from factcheck.retrieval.chroma import (
    Embedder,
    StoreLocation,
    check_existing,
    chroma_where,
    collection_pages,
    make_client,
)
from factcheck.retrieval.chunking import Chunk, chunk_from, indexed_text, split_source, yyyymmdd
from factcheck.retrieval.embeddings import embedder_label
from factcheck.retrieval.fingerprint import (
    EMPTY_FINGERPRINT,
    FINGERPRINT_KEY,
    format_fingerprint,
    parse_fingerprint,
    xor_ids,
)
from factcheck.retrieval.fusion import rrf_fuse, score_fuse, weigh_by_tier
from factcheck.retrieval.lexical import LexicalIndex
from factcheck.retrieval.rerank import Reranker, reorder_head
from factcheck.retrieval.store_lock import ingest_lock

logger = logging.getLogger(__name__)

_LEXICAL_OVERFETCH = 4
_INGEST_BATCH = 512
SearchMode = Literal["hybrid", "dense", "lexical"]


@dataclass(frozen=True)
class ChunkingSettings:
    """How sources are split: characters per chunk, overlap, and whether chunks are embedded
    after their source's title."""

    chunk_size: int
    chunk_overlap: int
    chunk_title: bool


@dataclass(frozen=True)
class SearchSettings:
    """How one query is answered: `top_k` chunks out of each ranking's top `candidates`,
    fused by RRF (`rrf_k`) or by min-max score fusion weighted `dense_weight` : 1 - it."""

    top_k: int
    candidates: int
    rrf_k: int
    fusion: Literal["rrf", "score"]
    dense_weight: float


@dataclass(frozen=True)
class StoreSettings:
    """Everything the store needs: where it lives, how it chunks and how it searches."""

    location: StoreLocation
    chunking: ChunkingSettings
    search: SearchSettings


class IngestReport(BaseModel):
    """What one `ingest` call did."""

    sources: int = 0
    chunks_added: int = Field(default=0, description="Chunks embedded and stored now.")
    chunks_existing: int = 0
    chunks_removed: int = Field(default=0, description="Stale chunks of re-ingested sources.")
    errors: list[str] = Field(default_factory=list)
    flagged_chunks: int = Field(
        default=0,
        description="Chunks of this ingest's sources that the prompt-injection scan flagged "
        "(new or already stored).",
    )
    fingerprint: str = EMPTY_FINGERPRINT
    seconds: float = 0.0


DENSE_EF_SEARCH = 1000
"""HNSW search breadth. Chroma's default (100) let two processes rank the same persisted
collection differently: the graph of its unsynced additions (all of a collection under ~1,000
chunks) is rebuilt in each process, by several threads. Measured with
`benchmarks/dense_determinism.py` on Check-COVID's 955 chunks in 4 fresh processes: dense top 30
differed for 6 of 207 queries at 100, 0 at 400 and at 1,000 (top 100: 152 → 2, ties of repeated
text, which the store now breaks by id). At or above a collection's size the search is
exhaustive; the latency cost at 100k chunks is in `benchmarks/query_latency.py`."""


class ReferenceStore:
    """Reference chunks in Chroma plus a BM25 index; hybrid search returns `Evidence`."""

    def __init__(
        self,
        client: ClientAPI,
        collection: Collection,
        embedding_function: Embedder,
        settings: StoreSettings,
        reranker: Reranker | None = None,
    ) -> None:
        self._client = client
        self._reranker = reranker
        self._collection = collection
        self._ef = embedding_function
        self._settings = settings
        self._location = settings.location
        self._lexical_dir = settings.location.chroma_path / "lexical" / settings.location.collection
        self._lexical: LexicalIndex | None = None
        self._publishers: tuple[str, list[str]] | None = None
        self._lock = threading.Lock()

    # ---------------------------------------------------------------------------------------
    # opening

    @classmethod
    def open(
        cls,
        settings: StoreSettings,
        embedding_function: Embedder,
        *,
        client: ClientAPI | None = None,
        reranker: Reranker | None = None,
    ) -> ReferenceStore:
        """Open (or create) the collection, checking it was built with the same embedder.
        Raises `StoreError` with the fix when it cannot. With a `reranker`, hybrid searches
        re-score their fused top candidates with it before the top-k cut."""
        name = settings.location.collection
        client = client or make_client(settings.location)
        check_existing(client, name, embedding_function)
        try:
            collection = client.get_or_create_collection(
                name,
                configuration={"hnsw": {"space": "cosine", "ef_search": DENSE_EF_SEARCH}},
                embedding_function=embedding_function,
            )
            raise_ef_search(collection, DENSE_EF_SEARCH)
        except (ChromaError, ValueError) as exc:
            raise StoreError(
                f"cannot open collection {name!r}: {exc}. Collection "
                "names are 3-512 characters from [a-zA-Z0-9._-] (FACTCHECK_COLLECTION)"
            ) from exc
        return cls(client, collection, embedding_function, settings, reranker)

    # ---------------------------------------------------------------------------------------
    # introspection

    @property
    def reranker(self) -> Reranker | None:
        """The re-ranker applied to hybrid searches, if any."""
        return self._reranker

    @property
    def embedder_name(self) -> str:
        """The embedding function's registered name, with its weights when it can run
        several (recorded in provenance)."""
        return embedder_label(self._ef)

    @property
    def collection_name(self) -> str:
        """The Chroma collection's name."""
        return self._location.collection

    @property
    def lexical_dir(self) -> Path:
        """Where the BM25 index of this collection is saved (`LexicalIndex.load` reads it)."""
        return self._lexical_dir

    @property
    def client(self) -> ClientAPI:
        """The Chroma client (other collections, e.g. prior fact checks, share it)."""
        return self._client

    @property
    def embedding_function(self) -> Embedder:
        """The embedding function of the collection."""
        return self._ef

    def count(self) -> int:
        """Number of chunks in the collection."""
        return self._collection.count()

    def ensure_not_empty(self) -> None:
        """Raise `StoreError` naming the store and the fix when it holds no chunks: checking
        claims against an empty store would answer NOT_ENOUGH_EVIDENCE for every claim."""
        if parse_fingerprint(self.fingerprint()) in (None, (0, 0)) and self.count() == 0:
            where = self._location.describe()
            raise StoreError(
                f"the reference store at {where} (collection {self._location.collection!r}) is "
                "empty: add sources with `factcheck ingest FILES`, or point "
                "FACTCHECK_CHROMA_PATH / FACTCHECK_COLLECTION at the store you built "
                "(a relative FACTCHECK_CHROMA_PATH is read from the folder you run in)."
            )

    def publishers(self) -> list[str]:
        """Distinct publisher names as stored, sorted; scanned once per fingerprint."""
        fingerprint = self.fingerprint()
        cached = self._publishers
        if cached is not None and cached[0] == fingerprint:
            return cached[1]
        names = sorted(
            {
                str(meta["publisher"])
                for page in collection_pages(self._collection, ["metadatas"])
                for meta in page["metadatas"]
                if meta and meta.get("publisher")
            }
        )
        self._publishers = (fingerprint, names)
        return names

    def fingerprint(self) -> str:
        """The collection's content fingerprint, read fresh (another process may have ingested).
        Computed by scanning chunk ids once if the collection has none recorded."""
        metadata = self._fresh_metadata()
        stored = metadata.get(FINGERPRINT_KEY)
        if isinstance(stored, str):
            return stored
        count, xor = self._scan_fingerprint()
        if count:
            self._write_fingerprint(count, xor)
        return format_fingerprint(count, xor)

    def describe(self) -> dict[str, object]:
        """Where the store lives and what it holds, for logs and `factcheck` output."""
        return {
            "mode": "embedded" if self._location.embedded else "server",
            "location": self._location.describe(),
            "collection": self._location.collection,
            "embedder": self.embedder_name,
            "chunks": self.count(),
            "fingerprint": self.fingerprint(),
            "telemetry": "off",
        }

    # ---------------------------------------------------------------------------------------
    # ingest

    def ingest(
        self, sources: Iterable[Source | InputError], *, batch_size: int = _INGEST_BATCH
    ) -> IngestReport:
        """Split, embed and upsert sources; chunks already stored are skipped (not re-embedded)
        and chunks of an earlier version of a source (same id, other text) are removed.
        `InputError` items (from `read_sources`) are recorded in the report's errors.

        An embedded store takes one writer at a time: a second process ingesting meanwhile
        gets `StoreError` naming the store and the fix."""
        with ingest_lock(self._location):
            return self._ingest(sources, batch_size)

    def _ingest(self, sources: Iterable[Source | InputError], batch_size: int) -> IngestReport:
        started = time.perf_counter()
        report = IngestReport()
        count, xor = self._current_state()
        splitter = RecursiveCharacterTextSplitter(
            chunk_size=self._settings.chunking.chunk_size,
            chunk_overlap=self._settings.chunking.chunk_overlap,
            add_start_index=True,
        )
        seen: set[str] = set()
        pending: dict[str, list[Chunk]] = {}
        buffered = 0
        try:
            for source in sources:
                chunks = self._prepare(source, splitter, seen, report)
                if chunks is None:
                    continue
                pending[chunks[0].source_id] = chunks
                buffered += len(chunks)
                if buffered >= batch_size:
                    count, xor = self._flush(pending, report, count, xor)
                    pending, buffered = {}, 0
            count, xor = self._flush(pending, report, count, xor)
        except ChromaError as exc:
            raise IngestError(
                f"storing chunks failed after {report.chunks_added} new chunks were stored: {exc}"
            ) from exc
        finally:
            report.fingerprint = self._write_fingerprint(count, xor)
            report.seconds = time.perf_counter() - started
        return report

    def _prepare(
        self,
        source: Source | InputError,
        splitter: RecursiveCharacterTextSplitter,
        seen: set[str],
        report: IngestReport,
    ) -> list[Chunk] | None:
        if isinstance(source, InputError):
            report.errors.append(str(source))
            return None
        where = source.path or source.id
        if source.id in seen:
            report.errors.append(
                f"{where}: duplicate source id {source.id!r} in this ingest; "
                "skipped (give each source a unique id)"
            )
            return None
        seen.add(source.id)
        try:
            chunks = split_source(source, splitter, title=self._settings.chunking.chunk_title)
        except IngestError as exc:
            report.errors.append(f"{where}: {exc}")
            return None
        if not chunks:
            report.errors.append(f"{where}: no text to index; skipped")
            return None
        report.sources += 1
        report.flagged_chunks += sum(bool(c.metadata.get("injection_flagged")) for c in chunks)
        return chunks

    def _flush(
        self, pending: dict[str, list[Chunk]], report: IngestReport, count: int, xor: int
    ) -> tuple[int, int]:
        """Store the pending sources' new chunks and drop their stale ones."""
        if not pending:
            return count, xor
        got = self._collection.get(
            where={"source_id": {"$in": list(pending)}}, include=["metadatas"]
        )
        existing = set(got["ids"])
        chunks = [chunk for group in pending.values() for chunk in group]
        self._backfill_scan(chunks, dict(zip(got["ids"], got["metadatas"] or [], strict=False)))
        wanted = {chunk.id for chunk in chunks}
        stale = sorted(existing - wanted)
        fresh = [chunk for chunk in chunks if chunk.id not in existing]
        report.chunks_existing += len(wanted & existing)
        limit = self._max_batch()
        for start in range(0, len(stale), limit):
            batch = stale[start : start + limit]
            self._collection.delete(ids=batch)
            count, xor = count - len(batch), xor_ids(xor, batch)
            report.chunks_removed += len(batch)
        for start in range(0, len(fresh), limit):
            batch = fresh[start : start + limit]
            titled = any(c.indexed_text != c.text for c in batch)
            self._collection.upsert(
                ids=[c.id for c in batch],
                documents=[c.text for c in batch],
                metadatas=[c.metadata for c in batch],
                # Chroma embeds the documents themselves unless told what to embed instead.
                embeddings=self._ef([c.indexed_text for c in batch]) if titled else None,  # type: ignore[arg-type]
            )
            count, xor = count + len(batch), xor_ids(xor, [c.id for c in batch])
            report.chunks_added += len(batch)
        return count, xor

    def _backfill_scan(self, chunks: list[Chunk], stored: dict[str, Any]) -> None:
        """Stored chunks from before the prompt-injection scan get its metadata now (same ids
        and text, so neither the fingerprint nor the indexes change)."""
        stale = [
            c for c in chunks if c.id in stored and "injection_flagged" not in (stored[c.id] or {})
        ]
        limit = self._max_batch()
        for start in range(0, len(stale), limit):
            batch = stale[start : start + limit]
            self._collection.update(
                ids=[c.id for c in batch], metadatas=[c.metadata for c in batch]
            )

    def _max_batch(self) -> int:
        return max(1, int(self._client.get_max_batch_size()))

    # ---------------------------------------------------------------------------------------
    # fingerprint

    def _fresh_metadata(self) -> dict[str, Any]:
        fresh = self._client.get_collection(self._location.collection, embedding_function=self._ef)
        return dict(fresh.metadata or {})

    def _current_state(self) -> tuple[int, int]:
        """(count, xor) as recorded, or scanned when missing or out of date."""
        parsed = parse_fingerprint(self._fresh_metadata().get(FINGERPRINT_KEY))
        if parsed is not None and parsed[0] == self.count():
            return parsed
        return self._scan_fingerprint()

    def _scan_fingerprint(self) -> tuple[int, int]:
        count, xor = 0, 0
        for page in collection_pages(self._collection, []):
            count += len(page["ids"])
            xor = xor_ids(xor, page["ids"])
        return count, xor

    def _write_fingerprint(self, count: int, xor: int) -> str:
        """Record the fingerprint in the collection metadata (re-scanning if another writer
        changed the collection meanwhile) and return it."""
        if count != self.count():
            count, xor = self._scan_fingerprint()
        fingerprint = format_fingerprint(count, xor)
        metadata = self._fresh_metadata()
        if metadata.get(FINGERPRINT_KEY) != fingerprint:
            metadata[FINGERPRINT_KEY] = fingerprint
            self._collection.modify(metadata=metadata)
        return fingerprint

    # ---------------------------------------------------------------------------------------
    # lexical index

    def lexical_index(self, fingerprint: str | None = None) -> LexicalIndex:
        """The BM25 index for the collection's current fingerprint (read now unless given):
        kept in memory, loaded from disk if saved, else built from the collection and saved."""
        fingerprint = fingerprint or self.fingerprint()
        with self._lock:
            if self._lexical is not None and self._lexical.fingerprint == fingerprint:
                return self._lexical
            index = LexicalIndex.load(self._lexical_dir, fingerprint)
            if index is None:
                index = self._build_lexical(fingerprint)
            self._lexical = index
            return index

    def _build_lexical(self, fingerprint: str) -> LexicalIndex:
        started = time.perf_counter()
        index = LexicalIndex.build(fingerprint, self.lexical_rows())
        if self.fingerprint() == fingerprint:
            index.save(self._lexical_dir)
        logger.info(
            "built lexical index over %d chunks in %.2fs",
            len(index.ids),
            time.perf_counter() - started,
        )
        return index

    def lexical_rows(self) -> Iterator[tuple[str, str, int, str | None]]:
        """Every chunk as (id, indexed text, published YYYYMMDD or 0, language or None), for a
        BM25 build (each chunk is tokenised in its language)."""
        for page in collection_pages(self._collection, ["documents", "metadatas"]):
            for chunk_id, text, meta in zip(
                page["ids"], page["documents"], page["metadatas"], strict=True
            ):
                meta = meta or {}
                language = meta.get("language")
                yield (
                    chunk_id,
                    indexed_text(text or "", meta),
                    int(meta.get("published_int", 0)),
                    language if isinstance(language, str) else None,
                )

    # ---------------------------------------------------------------------------------------
    # statistics tables

    def series_rows(self, series_id: str) -> list[tuple[SourceChunk, TableRow]]:
        """Every stored row of one statistics-table series (`factcheck.io.tables`), oldest
        period first: one Chroma `where` lookup on the `series_id` metadata."""
        got = self._collection.get(
            where={"series_id": series_id}, include=["documents", "metadatas"]
        )
        rows: list[tuple[SourceChunk, TableRow]] = []
        for chunk_id, text, meta in zip(
            got["ids"], got["documents"] or [], got["metadatas"] or [], strict=True
        ):
            meta = dict(meta or {})
            row = TableRow.from_metadata(meta)
            if row is not None:
                rows.append((chunk_from(chunk_id, text or "", meta), row))
        return sorted(rows, key=lambda pair: (pair[1].period, pair[0].id))

    # ---------------------------------------------------------------------------------------
    # search

    def search(
        self,
        query: str,
        *,
        k: int | None = None,
        candidates: int | None = None,
        rrf_k: int | None = None,
        published_on_or_before: date | None = None,
        include_undated: bool = True,
        where: dict[str, Any] | None = None,
        mode: SearchMode = "hybrid",
        tier_weights: Mapping[int, float] | None = None,
        rerank: bool = True,
    ) -> list[Evidence]:
        """Hybrid search for one query; see `search_many`."""
        return self.search_many(
            [query],
            k=k,
            candidates=candidates,
            rrf_k=rrf_k,
            published_on_or_before=published_on_or_before,
            include_undated=include_undated,
            where=where,
            mode=mode,
            tier_weights=tier_weights,
            rerank=rerank,
        )[0]

    def search_many(
        self,
        queries: Sequence[str],
        *,
        k: int | None = None,
        candidates: int | None = None,
        rrf_k: int | None = None,
        published_on_or_before: date | None = None,
        include_undated: bool = True,
        where: dict[str, Any] | None = None,
        mode: SearchMode = "hybrid",
        tier_weights: Mapping[int, float] | None = None,
        rerank: bool = True,
    ) -> list[list[Evidence]]:
        """For each query, the top `k` chunks by RRF of the dense and BM25 top-`candidates`,
        numbered from 1. Defaults come from the store's `SearchSettings`.
        `mode="dense"` or `"lexical"` ranks by that one ranking alone (for evals).

        `published_on_or_before` keeps chunks of sources published on or before that date
        (undated sources too unless `include_undated=False`); `where` is a Chroma metadata
        filter applied to both rankings. Queries are embedded in one batch.

        `tier_weights` (credibility tier → weight) multiplies each fused score by the weight of
        its source's tier (1.0 for untiered sources and tiers not listed) before the top-`k`
        cut; `Evidence.score` is then the weighted score.

        With the store's re-ranker (and `rerank`, in hybrid mode), the re-ranker's `depth` best
        fused candidates are re-scored by reading each next to the query and re-ordered by that
        score blended with their fused rank (`blended_order`) before the top-`k` cut; each
        `Evidence` then records its `rerank_score` and `fused_rank`.
        """
        search = self._settings.search
        k = k or search.top_k
        candidates = max(candidates or search.candidates, k)
        rrf_k = rrf_k or search.rrf_k
        if not queries:
            return []
        # The recorded fingerprint holds the chunk count: reading it is one metadata lookup
        # (~0.5 ms), where `count()` scans the collection (~8 ms at 100k chunks).
        fingerprint = self.fingerprint()
        parsed = parse_fingerprint(fingerprint)
        if parsed is not None and parsed[0] == 0:
            return [[] for _ in queries]
        vectors = np.asarray(self._ef.embed_query(list(queries)), dtype=np.float32)
        if mode not in ("hybrid", "dense", "lexical"):
            raise ValueError(f"search mode must be hybrid, dense or lexical, not {mode!r}")
        dense = (
            self._dense(
                vectors, candidates, chroma_where(published_on_or_before, include_undated, where)
            )
            if mode != "lexical"
            else [[] for _ in queries]
        )
        lexical = [
            self._lexical_search(
                q, candidates, published_on_or_before, include_undated, where, fingerprint
            )
            if mode != "dense"
            else []
            for q in queries
        ]
        fused = [self._fuse(d, lx, rrf_k) for d, lx in zip(dense, lexical, strict=True)]
        if tier_weights:
            fused = self._weigh(fused, tier_weights)
        reranker = self._reranker if rerank and mode == "hybrid" else None
        depth = max(k, reranker.depth) if reranker else k
        fused = [hits[:depth] for hits in fused]
        records = self._fetch({i for hits in fused for i, _ in hits})
        results = [
            self._evidence(hits, dict(d), dict(lx), vector, records)
            for hits, d, lx, vector in zip(fused, dense, lexical, vectors, strict=True)
        ]
        if reranker is None:
            return results
        return [
            rerank_evidence(query, found, reranker, k, titled=self._settings.chunking.chunk_title)
            for query, found in zip(queries, results, strict=True)
        ]

    def _fuse(
        self, dense: list[tuple[str, float]], lexical: list[tuple[str, float]], rrf_k: int
    ) -> list[tuple[str, float]]:
        """The two rankings fused as configured (`fusion`, `dense_weight`)."""
        weight = self._settings.search.dense_weight
        if self._settings.search.fusion == "score":
            return score_fuse([dense, lexical], [weight, 1.0 - weight])
        # RRF weights scaled so that dense_weight 0.5 is plain RRF (1 and 1).
        rankings = [[i for i, _ in dense], [i for i, _ in lexical]]
        return rrf_fuse(rankings, rrf_k, [2 * weight, 2 * (1.0 - weight)])

    def _weigh(
        self, fused: list[list[tuple[str, float]]], weights: Mapping[int, float]
    ) -> list[list[tuple[str, float]]]:
        """Each ranking rescored by its chunks' tier weights and re-sorted (stable)."""
        ids = sorted({i for hits in fused for i, _ in hits})
        if not ids:
            return fused
        got = self._collection.get(ids=ids, include=["metadatas"])
        tiers = {
            i: (meta or {}).get("credibility_tier")
            for i, meta in zip(got["ids"], got["metadatas"] or [], strict=True)
        }

        return [weigh_by_tier(hits, tiers, weights) for hits in fused]

    def _dense(
        self, vectors: np.ndarray, n: int, where: dict[str, Any] | None
    ) -> list[list[tuple[str, float]]]:
        result = self._collection.query(
            query_embeddings=vectors, n_results=n, where=where, include=["distances"]
        )
        distances = result["distances"] or [[] for _ in result["ids"]]
        # Equal distances (repeated text) come back in no fixed order: break ties by id.
        return [
            sorted(
                ((i, 1.0 - float(dist)) for i, dist in zip(ids, dists, strict=True)),
                key=lambda hit: (-hit[1], hit[0]),
            )
            for ids, dists in zip(result["ids"], distances, strict=True)
        ]

    def _lexical_search(
        self,
        query: str,
        n: int,
        published_on_or_before: date | None,
        include_undated: bool,
        where: dict[str, Any] | None,
        fingerprint: str | None = None,
    ) -> list[tuple[str, float]]:
        """BM25 top `n`. The date filter is applied inside the index; a `where` filter by
        asking Chroma which of the top `n * 4` hits match, and if fewer than `n` do, by
        fetching every matching id once (so at most two Chroma calls, whatever the filter)."""
        index = self.lexical_index(fingerprint)
        limit = yyyymmdd(published_on_or_before) if published_on_or_before else None
        scores = index.scores(query, published_on_or_before=limit, include_undated=include_undated)
        if where is None:
            return index.top(scores, n)
        window = index.top(scores, n * _LEXICAL_OVERFETCH)
        if not window:
            return []
        allowed = set(
            self._collection.get(ids=[i for i, _ in window], where=where, include=[])["ids"]
        )
        kept = [hit for hit in window if hit[0] in allowed]
        if len(kept) >= n or len(window) < n * _LEXICAL_OVERFETCH:
            return kept[:n]
        matching = self._collection.get(where=where, include=[])["ids"]
        return index.top(index.restrict(scores, matching), n)

    def _fetch(self, ids: set[str]) -> dict[str, tuple[str, dict[str, Any], np.ndarray]]:
        if not ids:
            return {}
        got = self._collection.get(
            ids=sorted(ids), include=["documents", "metadatas", "embeddings"]
        )
        return {
            i: (doc or "", dict(meta or {}), np.asarray(emb, dtype=np.float32))
            for i, doc, meta, emb in zip(
                got["ids"], got["documents"], got["metadatas"], got["embeddings"], strict=True
            )
        }

    @staticmethod
    def _evidence(
        hits: list[tuple[str, float]],
        dense: dict[str, float],
        lexical: dict[str, float],
        vector: np.ndarray,
        records: dict[str, tuple[str, dict[str, Any], np.ndarray]],
    ) -> list[Evidence]:
        dense_rank = {i: r for r, i in enumerate(dense, start=1)}
        lexical_rank = {i: r for r, i in enumerate(lexical, start=1)}
        out: list[Evidence] = []
        for chunk_id, score in hits:
            text, meta, embedding = records[chunk_id]
            similarity = dense.get(chunk_id)
            if similarity is None:
                similarity = _cosine(vector, embedding)
            out.append(
                Evidence(
                    number=len(out) + 1,
                    chunk=chunk_from(chunk_id, text, meta),
                    score=score,
                    dense_rank=dense_rank.get(chunk_id),
                    dense_similarity=similarity,
                    lexical_rank=lexical_rank.get(chunk_id),
                    lexical_score=lexical.get(chunk_id),
                )
            )
        return out


# --------------------------------------------------------------------------------------------
# helpers


def raise_ef_search(collection: Collection, ef_search: int) -> None:
    """Raise the collection's HNSW `ef_search` to at least `ef_search` (collections made
    before the setting existed have Chroma's 100); a larger value is kept."""
    current = (collection.configuration_json.get("hnsw") or {}).get("ef_search") or 0
    if current < ef_search:
        collection.modify(configuration={"hnsw": {"ef_search": ef_search}})


def rerank_evidence(
    query: str, found: list[Evidence], reranker: Reranker, k: int, *, titled: bool = True
) -> list[Evidence]:
    """`found` with its first `reranker.depth` passages re-scored by the re-ranker (read as
    indexed: after the title when chunks are `titled`) and re-ordered by `blended_order` with
    the re-ranker's weight, each with its `rerank_score` and `fused_rank`; then the rest in
    fused order; cut to `k` and renumbered."""
    head = found[: reranker.depth]
    passages = [
        indexed_text(ev.chunk.text, {"titled": titled, "title": ev.chunk.title}) for ev in head
    ]
    scores = reranker.scores(query, passages)
    reordered = reorder_head(found, scores, reranker.weight)
    return [ev.model_copy(update={"number": n}) for n, ev in enumerate(reordered[:k], start=1)]


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    norm = float(np.linalg.norm(a) * np.linalg.norm(b))
    return float(np.dot(a, b) / norm) if norm else 0.0
