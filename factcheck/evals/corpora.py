"""Dataset corpora as reference stores, built once and reused from an on-disk cache.

Each corpus is ingested through `ReferenceStore.ingest` (the pipeline's own chunking and
embedding) into an embedded Chroma database under `<cache_dir>/stores/<dataset>-<key>/`, the
key hashing the corpus content, the embedder's identity and the chunk settings. A re-run finds
the database with the same fingerprint and does not re-embed anything.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import chromadb
from chromadb.api.types import Documents, EmbeddingFunction

from factcheck.app import store_settings
from factcheck.config import Settings
from factcheck.evals.datasets import CorpusDoc, dataset_slug, load_corpus
from factcheck.io.inputs import Source
from factcheck.retrieval.rerank import Reranker
from factcheck.retrieval.store import ReferenceStore, raise_ef_search

log = logging.getLogger(__name__)

_MARKER = "factcheck-eval-store.json"


def corpus_sources(docs: list[CorpusDoc]) -> list[Source]:
    """Corpus documents as reference sources (the id is the document id)."""
    return [
        Source(id=d.id, text=d.text, title=d.title, url=d.url, published=d.published) for d in docs
    ]


def store_key(
    docs: list[CorpusDoc], embedder: EmbeddingFunction[Documents], settings: Settings
) -> str:
    """Hash of the corpus content, the embedder identity and the chunking settings."""
    digest = hashlib.sha256()
    for doc in docs:
        digest.update(doc.model_dump_json().encode("utf-8"))
        digest.update(b"\n")
    config = embedder.get_config() if hasattr(embedder, "get_config") else {}
    identity = {
        k: v for k, v in (config or {}).items() if k not in {"batch_size", "intra_op_threads"}
    }
    digest.update(
        json.dumps(
            {
                "embedder": embedder.name(),
                "config": identity,
                "chunk_size": settings.chunk_size,
                "chunk_overlap": settings.chunk_overlap,
                # only when on, so stores cached before the setting existed stay valid
                **({"chunk_title": True} if settings.chunk_title else {}),
            },
            sort_keys=True,
        ).encode("utf-8")
    )
    return digest.hexdigest()[:16]


def chunk_bound(docs: list[CorpusDoc], settings: Settings) -> int:
    """An upper bound on the chunks the store's splitter makes of `docs`."""
    stride = max(1, settings.chunk_size - settings.chunk_overlap)
    return sum(len(d.text) // stride + 1 for d in docs)


def _exhaustive_dense_search(
    settings: Settings, embedder: EmbeddingFunction[Documents], chunks: int
) -> None:
    """Create (or update) the collection with HNSW `ef_search` ≥ its size, before the store
    opens it, so dense search visits every chunk and ranks the same in every process.

    With Chroma's default (`ef_search=100`), dense top-100 rankings of the same persisted
    collection differed between processes (8 of 207 Check-COVID queries, recall@5 0.686 vs
    0.696): the index is rebuilt from the log in each process when it holds fewer items than
    `sync_threshold`. A change of `ef_search` takes effect for a process that has not loaded
    the index yet, hence before `ReferenceStore.open`.
    """
    client = chromadb.PersistentClient(
        path=str(settings.chroma_path), settings=chromadb.Settings(anonymized_telemetry=False)
    )
    ef_search = max(100, chunks)
    collection = client.get_or_create_collection(
        settings.collection,
        configuration={"hnsw": {"space": "cosine", "ef_search": ef_search}},
        embedding_function=embedder,
    )
    raise_ef_search(collection, ef_search)


@dataclass
class CorpusStores:
    """Opens (building on first use) one store per dataset corpus, and indexes the corpora."""

    settings: Settings
    embedder: EmbeddingFunction[Documents]
    cache_dir: Path
    reranker: Reranker | None = None
    """Applied to hybrid searches (the retrieval stage also records them without it)."""
    _stores: dict[str, ReferenceStore] = field(default_factory=dict)
    _docs: dict[str, dict[str, CorpusDoc]] = field(default_factory=dict)
    built: dict[str, dict[str, object]] = field(default_factory=dict)
    """Per dataset: key, path, chunks, whether it was (re)built in this process, seconds."""

    def docs(self, dataset: str) -> dict[str, CorpusDoc]:
        """The dataset's corpus documents by id."""
        if dataset not in self._docs:
            self._docs[dataset] = {d.id: d for d in load_corpus(dataset)}
        return self._docs[dataset]

    def store(self, dataset: str) -> ReferenceStore:
        """The dataset's corpus store, ingested if the cache does not hold it yet."""
        if dataset in self._stores:
            return self._stores[dataset]
        docs = list(self.docs(dataset).values())
        key = store_key(docs, self.embedder, self.settings)
        path = self.cache_dir / "stores" / f"{dataset_slug(dataset)}-{key}"
        settings = self.settings.model_copy(
            update={
                "chroma_path": path,
                "chroma_host": None,
                "collection": f"eval-{dataset_slug(dataset)}",
            }
        )
        _exhaustive_dense_search(settings, self.embedder, chunk_bound(docs, settings))
        store = ReferenceStore.open(store_settings(settings), self.embedder, reranker=self.reranker)
        marker = path / _MARKER
        recorded = json.loads(marker.read_text(encoding="utf-8")) if marker.is_file() else {}
        fingerprint = store.fingerprint()
        rebuilt = recorded.get("fingerprint") != fingerprint or store.count() == 0
        seconds = 0.0
        if rebuilt:
            log.info("embedding the %s corpus (%d documents) into %s", dataset, len(docs), path)
            report = store.ingest(corpus_sources(docs))
            if report.errors:
                log.warning(
                    "%s corpus: %d ingest errors, first: %s",
                    dataset,
                    len(report.errors),
                    report.errors[0],
                )
            fingerprint, seconds = report.fingerprint, report.seconds
            marker.write_text(
                json.dumps({"fingerprint": fingerprint, "documents": len(docs)}), encoding="utf-8"
            )
        self.built[dataset] = {
            "key": key,
            "chunks": store.count(),
            "fingerprint": fingerprint,
            "ingested_now": rebuilt,
            "ingest_seconds": round(seconds, 2),
        }
        self._stores[dataset] = store
        return store
