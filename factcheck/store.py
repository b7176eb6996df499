"""The reference store: reference sources split into chunks in a Chroma collection, searched
densely (Chroma, cosine) and lexically (in-process BM25), the two rankings fused by RRF.

Chroma runs embedded (`PersistentClient` at `settings.chroma_path`) unless
`settings.chroma_host` is set, then as a client of a Chroma server. Chroma's anonymised
telemetry is always turned off.

The collection's metadata carries a fingerprint of its contents (`<count>-<xor of per-chunk-id
hashes>`), updated after every ingest, so any process can tell cheaply whether the collection
changed — the lexical index is rebuilt only then.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

import chromadb
import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.api.types import Documents, EmbeddingFunction
from chromadb.errors import ChromaError, NotFoundError
from langchain_text_splitters import RecursiveCharacterTextSplitter
from pydantic import BaseModel, Field

from factcheck.config import Settings
from factcheck.errors import IngestError, InputError, StoreError
from factcheck.inputs import Source
from factcheck.lexical import LexicalIndex
from factcheck.models import Evidence, SourceChunk, content_id

logger = logging.getLogger(__name__)

FINGERPRINT_KEY = "factcheck:fingerprint"
EMPTY_FINGERPRINT = "0-0000000000000000"
_SCAN_PAGE = 1000
_LEXICAL_OVERFETCH = 4
_INGEST_BATCH = 512
# Keys of an embedding function's config that do not change its vectors (ignored on reopen).
_OPERATIONAL_KEYS = frozenset(
    {
        "batch_size",
        "intra_op_threads",
        "inter_op_threads",
        "num_threads",
        "max_batch_inputs",
        "timeout",
        "max_retries",
        "device",
        "providers",
        "api_key_env_var",
    }
)

Embedder = EmbeddingFunction[Documents]
SearchMode = Literal["hybrid", "dense", "lexical"]


class IngestReport(BaseModel):
    """What one `ingest` call did."""

    sources: int = 0
    chunks_added: int = Field(default=0, description="Chunks embedded and stored now.")
    chunks_existing: int = 0
    chunks_removed: int = Field(default=0, description="Stale chunks of re-ingested sources.")
    errors: list[str] = Field(default_factory=list)
    fingerprint: str = EMPTY_FINGERPRINT
    seconds: float = 0.0


def rrf_fuse(rankings: list[list[str]], k: int) -> list[tuple[str, float]]:
    """Reciprocal-rank fusion: score(id) = Σ over rankings of 1 / (k + rank), rank from 1.

    Returns `(id, score)` best first; equal scores keep the order in which ids first appear
    (earlier rankings first).
    """
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda pair: -pair[1])


@dataclass(frozen=True)
class _Chunk:
    id: str
    source_id: str
    text: str
    metadata: dict[str, str | int | float | bool]


class ReferenceStore:
    """Reference chunks in Chroma plus a BM25 index; hybrid search returns `Evidence`."""

    def __init__(
        self,
        client: ClientAPI,
        collection: Collection,
        embedding_function: Embedder,
        settings: Settings,
        *,
        mode: Literal["embedded", "server"],
    ) -> None:
        self._client = client
        self._collection = collection
        self._ef = embedding_function
        self._settings = settings
        self._mode = mode
        self._lexical_dir = Path(settings.chroma_path) / "lexical" / settings.collection
        self._lexical: LexicalIndex | None = None
        self._publishers: tuple[str, list[str]] | None = None
        self._lock = threading.Lock()

    # ---------------------------------------------------------------------------------------
    # opening

    @classmethod
    def open(
        cls, settings: Settings, embedding_function: Embedder, *, client: ClientAPI | None = None
    ) -> ReferenceStore:
        """Open (or create) `settings.collection`, checking it was built with the same
        embedder. Raises `StoreError` with the fix when it cannot."""
        mode: Literal["embedded", "server"] = "server" if settings.chroma_host else "embedded"
        client = client or _make_client(settings)
        _check_existing(client, settings.collection, embedding_function)
        try:
            collection = client.get_or_create_collection(
                settings.collection,
                configuration={"hnsw": {"space": "cosine"}},
                embedding_function=embedding_function,
            )
        except (ChromaError, ValueError) as exc:
            raise StoreError(
                f"cannot open collection {settings.collection!r}: {exc}. Collection "
                "names are 3-512 characters from [a-zA-Z0-9._-] (FACTCHECK_COLLECTION)"
            ) from exc
        return cls(client, collection, embedding_function, settings, mode=mode)

    # ---------------------------------------------------------------------------------------
    # introspection

    @property
    def embedder_name(self) -> str:
        """The embedding function's registered name (recorded in provenance)."""
        return self._ef.name()

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

    def publishers(self) -> list[str]:
        """Distinct publisher names as stored, sorted; scanned once per fingerprint."""
        fingerprint = self.fingerprint()
        cached = self._publishers
        if cached is not None and cached[0] == fingerprint:
            return cached[1]
        names = sorted(
            {
                str(meta["publisher"])
                for page in self._scan(include=["metadatas"])
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
        return _format_fingerprint(count, xor)

    def describe(self) -> dict[str, object]:
        """Where the store lives and what it holds, for logs and `factcheck` output."""
        s = self._settings
        location = (
            f"{s.chroma_host}:{s.chroma_port}" if self._mode == "server" else str(s.chroma_path)
        )
        return {
            "mode": self._mode,
            "location": location,
            "collection": s.collection,
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
        `InputError` items (from `read_sources`) are recorded in the report's errors."""
        started = time.perf_counter()
        report = IngestReport()
        count, xor = self._current_state()
        splitter = RecursiveCharacterTextSplitter(
            chunk_size=self._settings.chunk_size,
            chunk_overlap=self._settings.chunk_overlap,
            add_start_index=True,
        )
        seen: set[str] = set()
        pending: dict[str, list[_Chunk]] = {}
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
    ) -> list[_Chunk] | None:
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
            chunks = split_source(source, splitter)
        except IngestError as exc:
            report.errors.append(f"{where}: {exc}")
            return None
        if not chunks:
            report.errors.append(f"{where}: no text to index; skipped")
            return None
        report.sources += 1
        return chunks

    def _flush(
        self, pending: dict[str, list[_Chunk]], report: IngestReport, count: int, xor: int
    ) -> tuple[int, int]:
        """Store the pending sources' new chunks and drop their stale ones."""
        if not pending:
            return count, xor
        existing = set(
            self._collection.get(where={"source_id": {"$in": list(pending)}}, include=[])["ids"]
        )
        chunks = [chunk for group in pending.values() for chunk in group]
        wanted = {chunk.id for chunk in chunks}
        stale = sorted(existing - wanted)
        fresh = [chunk for chunk in chunks if chunk.id not in existing]
        report.chunks_existing += len(wanted & existing)
        limit = self._max_batch()
        for start in range(0, len(stale), limit):
            batch = stale[start : start + limit]
            self._collection.delete(ids=batch)
            count, xor = count - len(batch), _xor_ids(xor, batch)
            report.chunks_removed += len(batch)
        for start in range(0, len(fresh), limit):
            batch = fresh[start : start + limit]
            self._collection.upsert(
                ids=[c.id for c in batch],
                documents=[c.text for c in batch],
                metadatas=[c.metadata for c in batch],
            )
            count, xor = count + len(batch), _xor_ids(xor, [c.id for c in batch])
            report.chunks_added += len(batch)
        return count, xor

    def _max_batch(self) -> int:
        return max(1, int(self._client.get_max_batch_size()))

    # ---------------------------------------------------------------------------------------
    # fingerprint

    def _fresh_metadata(self) -> dict[str, Any]:
        fresh = self._client.get_collection(self._settings.collection, embedding_function=self._ef)
        return dict(fresh.metadata or {})

    def _current_state(self) -> tuple[int, int]:
        """(count, xor) as recorded, or scanned when missing or out of date."""
        parsed = _parse_fingerprint(self._fresh_metadata().get(FINGERPRINT_KEY))
        if parsed is not None and parsed[0] == self.count():
            return parsed
        return self._scan_fingerprint()

    def _scan_fingerprint(self) -> tuple[int, int]:
        count, xor = 0, 0
        for page in self._scan(include=[]):
            count += len(page["ids"])
            xor = _xor_ids(xor, page["ids"])
        return count, xor

    def _write_fingerprint(self, count: int, xor: int) -> str:
        """Record the fingerprint in the collection metadata (re-scanning if another writer
        changed the collection meanwhile) and return it."""
        if count != self.count():
            count, xor = self._scan_fingerprint()
        fingerprint = _format_fingerprint(count, xor)
        metadata = self._fresh_metadata()
        if metadata.get(FINGERPRINT_KEY) != fingerprint:
            metadata[FINGERPRINT_KEY] = fingerprint
            self._collection.modify(metadata=metadata)
        return fingerprint

    def _scan(self, include: list[str]) -> Iterator[dict[str, Any]]:
        """The whole collection, page by page (ingest and index builds only, never queries)."""
        offset = 0
        while True:
            page = self._collection.get(
                include=include,
                limit=_SCAN_PAGE,  # type: ignore[arg-type]
                offset=offset,
            )
            if not page["ids"]:
                return
            yield page  # type: ignore[misc]
            offset += len(page["ids"])

    # ---------------------------------------------------------------------------------------
    # lexical index

    def lexical_index(self) -> LexicalIndex:
        """The BM25 index for the collection's current fingerprint: kept in memory, loaded
        from disk if saved, else built from the collection and saved."""
        fingerprint = self.fingerprint()
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
        index = LexicalIndex.build(fingerprint, self._lexical_rows())
        if self.fingerprint() == fingerprint:
            index.save(self._lexical_dir)
        logger.info(
            "built lexical index over %d chunks in %.2fs",
            len(index.ids),
            time.perf_counter() - started,
        )
        return index

    def _lexical_rows(self) -> Iterator[tuple[str, str, int]]:
        for page in self._scan(include=["documents", "metadatas"]):
            for chunk_id, text, meta in zip(
                page["ids"], page["documents"], page["metadatas"], strict=True
            ):
                yield chunk_id, text or "", int((meta or {}).get("published_int", 0))

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
    ) -> list[list[Evidence]]:
        """For each query, the top `k` chunks by RRF of the dense and BM25 top-`candidates`,
        numbered from 1. Defaults come from settings (top_k, candidates, rrf_k).
        `mode="dense"` or `"lexical"` ranks by that one ranking alone (for evals).

        `published_on_or_before` keeps chunks of sources published on or before that date
        (undated sources too unless `include_undated=False`); `where` is a Chroma metadata
        filter applied to both rankings. Queries are embedded in one batch.

        `tier_weights` (credibility tier → weight) multiplies each fused score by the weight of
        its source's tier (1.0 for untiered sources and tiers not listed) before the top-`k`
        cut; `Evidence.score` is then the weighted score.
        """
        k = k or self._settings.top_k
        candidates = max(candidates or self._settings.candidates, k)
        rrf_k = rrf_k or self._settings.rrf_k
        if not queries:
            return []
        if self.count() == 0:
            return [[] for _ in queries]
        vectors = np.asarray(self._ef.embed_query(list(queries)), dtype=np.float32)
        if mode not in ("hybrid", "dense", "lexical"):
            raise ValueError(f"search mode must be hybrid, dense or lexical, not {mode!r}")
        dense = (
            self._dense(
                vectors, candidates, _chroma_where(published_on_or_before, include_undated, where)
            )
            if mode != "lexical"
            else [[] for _ in queries]
        )
        lexical = [
            self._lexical_search(q, candidates, published_on_or_before, include_undated, where)
            if mode != "dense"
            else []
            for q in queries
        ]
        fused = [
            rrf_fuse([[i for i, _ in d], [i for i, _ in lx]], rrf_k)
            for d, lx in zip(dense, lexical, strict=True)
        ]
        if tier_weights:
            fused = self._weigh(fused, tier_weights)
        fused = [hits[:k] for hits in fused]
        records = self._fetch({i for hits in fused for i, _ in hits})
        return [
            self._evidence(hits, dict(d), dict(lx), vector, records)
            for hits, d, lx, vector in zip(fused, dense, lexical, vectors, strict=True)
        ]

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

        def weight(chunk_id: str) -> float:
            tier = tiers.get(chunk_id)
            return weights.get(tier, 1.0) if isinstance(tier, int) else 1.0

        return [
            sorted(((i, s * weight(i)) for i, s in hits), key=lambda pair: -pair[1])
            for hits in fused
        ]

    def _dense(
        self, vectors: np.ndarray, n: int, where: dict[str, Any] | None
    ) -> list[list[tuple[str, float]]]:
        result = self._collection.query(
            query_embeddings=vectors, n_results=n, where=where, include=["distances"]
        )
        distances = result["distances"] or [[] for _ in result["ids"]]
        return [
            [(i, 1.0 - float(dist)) for i, dist in zip(ids, dists, strict=True)]
            for ids, dists in zip(result["ids"], distances, strict=True)
        ]

    def _lexical_search(
        self,
        query: str,
        n: int,
        published_on_or_before: date | None,
        include_undated: bool,
        where: dict[str, Any] | None,
    ) -> list[tuple[str, float]]:
        """BM25 top `n`. The date filter is applied inside the index; a `where` filter by
        asking Chroma which of the top `n * 4` hits match, and if fewer than `n` do, by
        fetching every matching id once (so at most two Chroma calls, whatever the filter)."""
        index = self.lexical_index()
        limit = _yyyymmdd(published_on_or_before) if published_on_or_before else None
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
                    chunk=_chunk_from(chunk_id, text, meta),
                    score=score,
                    dense_rank=dense_rank.get(chunk_id),
                    dense_similarity=similarity,
                    lexical_rank=lexical_rank.get(chunk_id),
                    lexical_score=lexical.get(chunk_id),
                )
            )
        return out


# --------------------------------------------------------------------------------------------
# chunking


def split_source(source: Source, splitter: RecursiveCharacterTextSplitter) -> list[_Chunk]:
    """Chunks of a source with verified character offsets and Chroma-ready metadata."""
    base = _source_metadata(source)
    chunks: list[_Chunk] = []
    cursor = 0
    for index, doc in enumerate(splitter.create_documents([source.text])):
        text = doc.page_content
        start = int(doc.metadata.get("start_index", -1))
        if start < 0 or source.text[start : start + len(text)] != text:
            start = source.text.find(text, cursor)
            if start < 0:
                raise IngestError(f"chunk {index} could not be located in the source text")
        end = start + len(text)
        cursor = start + 1
        metadata = {**base, "start": start, "end": end, "chunk_index": index}
        chunks.append(
            _Chunk(
                id=content_id(source.id, start, text),
                source_id=source.id,
                text=text,
                metadata=metadata,
            )
        )
    return chunks


def _source_metadata(source: Source) -> dict[str, str | int | float | bool]:
    meta: dict[str, str | int | float | bool | None] = {
        "source_id": source.id,
        "title": source.title,
        "url": source.url,
        "publisher": source.publisher,
        "credibility_tier": source.credibility_tier,
        "source_path": source.path,
        "dated": source.published is not None,
    }
    if source.published is not None:
        meta["published"] = source.published.isoformat()
        meta["published_int"] = _yyyymmdd(source.published)
    return {key: value for key, value in meta.items() if value is not None}


def _chunk_from(chunk_id: str, text: str, meta: dict[str, Any]) -> SourceChunk:
    published = meta.get("published")
    return SourceChunk(
        id=chunk_id,
        source_id=str(meta.get("source_id", "")),
        text=text,
        start=int(meta.get("start", 0)),
        end=int(meta.get("end", len(text))),
        title=meta.get("title"),
        url=meta.get("url"),
        publisher=meta.get("publisher"),
        published=date.fromisoformat(published) if isinstance(published, str) else None,
        credibility_tier=meta.get("credibility_tier"),
    )


# --------------------------------------------------------------------------------------------
# helpers


def _make_client(settings: Settings) -> ClientAPI:
    chroma_settings = chromadb.Settings(anonymized_telemetry=False)
    try:
        if settings.chroma_host:
            return chromadb.HttpClient(
                host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings
            )
        return chromadb.PersistentClient(path=str(settings.chroma_path), settings=chroma_settings)
    except (ChromaError, ValueError, OSError) as exc:
        where = (
            (
                f"the Chroma server at {settings.chroma_host}:{settings.chroma_port} (start it "
                "with `chroma run --path DIR --host HOST --port PORT`, or unset "
                "FACTCHECK_CHROMA_HOST to use the embedded store)"
            )
            if settings.chroma_host
            else f"the embedded store at {settings.chroma_path} (check FACTCHECK_CHROMA_PATH)"
        )
        raise StoreError(f"cannot open {where}: {exc}") from exc


def _check_existing(client: ClientAPI, name: str, ef: Embedder) -> None:
    """Refuse to reopen a collection built with another embedder or distance."""
    try:
        existing = client.get_collection(name, embedding_function=None)
    except (NotFoundError, ValueError):
        return
    config = existing.configuration_json or {}
    conflict = _embedder_conflict(config.get("embedding_function"), ef)
    if conflict:
        raise StoreError(
            f"collection {name!r} was built with embedder {conflict[0]}, but {conflict[1]} was "
            "given: their vectors are not comparable. Use another collection name "
            "(FACTCHECK_COLLECTION) or re-ingest the sources into a new collection."
        )
    space = (config.get("hnsw") or config.get("spann") or {}).get("space", "cosine")
    if space != "cosine":
        raise StoreError(
            f"collection {name!r} uses the {space!r} distance, not cosine; use "
            "another collection name or re-ingest into a new collection."
        )


def _embedder_conflict(persisted: dict[str, Any] | None, ef: Embedder) -> tuple[str, str] | None:
    """(persisted, given) descriptions when they differ in name or a vector-relevant config
    key; None when they agree or the persisted one is unknown (legacy collections)."""
    if not persisted or persisted.get("type") != "known":
        if persisted:
            logger.warning("collection has a legacy embedding function; cannot verify it")
        return None
    old_name, new_name = persisted.get("name"), ef.name()
    old = _identity(persisted.get("config") or {})
    new = _identity(json.loads(json.dumps(ef.get_config() or {})))
    differs = old_name != new_name or any(old[key] != new[key] for key in old.keys() & new)
    return (f"{old_name!r} {old}", f"{new_name!r} {new}") if differs else None


def _identity(config: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in config.items() if key not in _OPERATIONAL_KEYS}


def _chroma_where(
    published_on_or_before: date | None, include_undated: bool, where: dict[str, Any] | None
) -> dict[str, Any] | None:
    clauses: list[dict[str, Any]] = []
    if published_on_or_before is not None:
        dated = {"published_int": {"$lte": _yyyymmdd(published_on_or_before)}}
        clauses.append({"$or": [dated, {"dated": False}]} if include_undated else dated)
    if where:
        clauses.append(where)
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _yyyymmdd(day: date) -> int:
    return day.year * 10_000 + day.month * 100 + day.day


def _id_hash(chunk_id: str) -> int:
    return int.from_bytes(hashlib.sha256(chunk_id.encode("utf-8")).digest()[:8], "big")


def _xor_ids(xor: int, ids: Iterable[str]) -> int:
    for chunk_id in ids:
        xor ^= _id_hash(chunk_id)
    return xor


def _format_fingerprint(count: int, xor: int) -> str:
    return f"{count}-{xor:016x}"


def _parse_fingerprint(value: object) -> tuple[int, int] | None:
    if not isinstance(value, str) or "-" not in value:
        return None
    count, _, xor = value.partition("-")
    try:
        return int(count), int(xor, 16)
    except ValueError:
        return None


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    norm = float(np.linalg.norm(a) * np.linalg.norm(b))
    return float(np.dot(a, b) / norm) if norm else 0.0
