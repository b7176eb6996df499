"""Re-embedding a store's collections with another embedder (`factcheck ingest --reembed`).

Vectors of two embedders are not comparable, so a collection built with another one is refused
on open (`chroma.check_existing`). Re-embedding rebuilds it from what it stores — each chunk's
text and metadata — without the source files: the chunks are embedded into a new collection
beside the old one, which replaces it only once complete (delete, then rename). A run killed in
between leaves the new collection, which the next run finishes renaming; the old collection
is never left half re-embedded.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chromadb.api import ClientAPI
from chromadb.errors import NotFoundError

from factcheck.errors import StoreError
from factcheck.retrieval.chroma import Embedder, StoreLocation, collection_pages, make_client
from factcheck.retrieval.chunking import indexed_text
from factcheck.retrieval.prior_checks import prior_collection_name
from factcheck.retrieval.store_lock import ingest_lock

PENDING_SUFFIX = "-reembed-pending"

TextOf = Callable[[str, dict[str, Any]], str]
"""What a stored row is embedded from: (document, metadata) → text."""


@dataclass
class ReembedReport:
    """What a re-embed did, per collection: rows re-embedded (absent collections omitted)."""

    embedder: str
    collections: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def reembed_store(location: StoreLocation, embedder: Embedder) -> ReembedReport:
    """Re-embed the reference collection at `location` (and its prior fact checks, if any)
    with `embedder`. `StoreError` when there is nothing to re-embed or a writer holds the
    store."""
    started = time.perf_counter()
    report = ReembedReport(embedder=embedder.name())
    with ingest_lock(location):
        client = make_client(location)
        name = location.collection
        if not _exists(client, name) and not _exists(client, name + PENDING_SUFFIX):
            raise StoreError(
                f"collection {name!r} does not exist in {location.describe()}: nothing to "
                "re-embed. Check FACTCHECK_COLLECTION, or ingest sources first."
            )
        report.collections[name] = _reembed(client, name, embedder, indexed_text)
        priors = prior_collection_name(name)
        if _exists(client, priors) or _exists(client, priors + PENDING_SUFFIX):
            report.collections[priors] = _reembed(client, priors, embedder, _document)
    report.seconds = round(time.perf_counter() - started, 2)
    return report


def _document(document: str, _metadata: dict[str, Any]) -> str:
    return document


def _exists(client: ClientAPI, name: str) -> bool:
    try:
        client.get_collection(name, embedding_function=None)
    except (NotFoundError, ValueError):
        return False
    return True


def _reembed(client: ClientAPI, name: str, embedder: Embedder, text_of: TextOf) -> int:
    """Rebuild collection `name` with `embedder`; returns the rows re-embedded."""
    pending_name = name + PENDING_SUFFIX
    if not _exists(client, name):  # a previous run was killed after the delete: finish it
        pending = client.get_collection(pending_name, embedding_function=embedder)
        pending.modify(name=name)
        return pending.count()
    old = client.get_collection(name, embedding_function=None)
    if _exists(client, pending_name):  # an earlier run stopped while copying: start over
        client.delete_collection(pending_name)
    pending = client.create_collection(
        pending_name,
        configuration={"hnsw": {"space": "cosine"}},
        embedding_function=embedder,
        metadata=dict(old.metadata) if old.metadata else None,
    )
    rows = 0
    for page in collection_pages(old, ["documents", "metadatas"]):
        documents = [d or "" for d in page["documents"]]
        metadatas = [dict(m or {}) for m in page["metadatas"]]
        texts = [text_of(d, m) for d, m in zip(documents, metadatas, strict=True)]
        pending.add(
            ids=page["ids"],
            documents=documents,
            metadatas=metadatas,  # type: ignore[arg-type]
            embeddings=embedder(texts),
        )
        rows += len(page["ids"])
    client.delete_collection(name)
    pending.modify(name=name)
    return rows
