"""Chroma clients and collections: where the store lives, opening it with telemetry off, and
refusing a collection built with another embedder or distance."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import chromadb
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.api.types import Documents, EmbeddingFunction
from chromadb.errors import ChromaError, NotFoundError

from factcheck.errors import StoreError
from factcheck.retrieval.chunking import yyyymmdd

logger = logging.getLogger(__name__)

Embedder = EmbeddingFunction[Documents]

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


@dataclass(frozen=True)
class StoreLocation:
    """Where the reference store lives: an embedded folder, or a Chroma server when `host`
    is set; and the collection's name."""

    chroma_path: Path
    collection: str
    chroma_host: str | None = None
    chroma_port: int = 8000

    @property
    def embedded(self) -> bool:
        """Whether the store runs in this process (not on a server)."""
        return not self.chroma_host

    def describe(self) -> str:
        """`host:port` of the server, or the embedded folder."""
        return str(self.chroma_path) if self.embedded else f"{self.chroma_host}:{self.chroma_port}"


SCAN_PAGE = 1000
"""Rows fetched per `get` when a whole collection is read."""


def collection_pages(collection: Collection, include: list[str]) -> Iterator[dict[str, Any]]:
    """The whole collection, `SCAN_PAGE` rows at a time (for ingest, index builds and
    re-embedding; never on the query path)."""
    offset = 0
    while True:
        page = collection.get(
            include=include,  # type: ignore[arg-type]
            limit=SCAN_PAGE,
            offset=offset,
        )
        if not page["ids"]:
            return
        yield page  # type: ignore[misc]
        offset += len(page["ids"])


def make_client(location: StoreLocation) -> ClientAPI:
    """A Chroma client for the location (telemetry off); `StoreError` with the fix if none."""
    chroma_settings = chromadb.Settings(anonymized_telemetry=False)
    try:
        if location.chroma_host:
            return chromadb.HttpClient(
                host=location.chroma_host, port=location.chroma_port, settings=chroma_settings
            )
        return chromadb.PersistentClient(path=str(location.chroma_path), settings=chroma_settings)
    except (ChromaError, ValueError, OSError) as exc:
        where = (
            (
                f"the Chroma server at {location.chroma_host}:{location.chroma_port} (start it "
                "with `chroma run --path DIR --host HOST --port PORT`, or unset "
                "FACTCHECK_CHROMA_HOST to use the embedded store)"
            )
            if location.chroma_host
            else f"the embedded store at {location.chroma_path} (check FACTCHECK_CHROMA_PATH)"
        )
        raise StoreError(f"cannot open {where}: {exc}") from exc


def check_existing(client: ClientAPI, name: str, ef: Embedder) -> None:
    """Refuse to reopen a collection built with another embedder or distance."""
    try:
        existing = client.get_collection(name, embedding_function=None)
    except (NotFoundError, ValueError):
        return
    config = existing.configuration_json or {}
    conflict = _embedder_conflict(config.get("embedding_function"), ef)
    if conflict:
        raise StoreError(
            f"collection {name!r} was built with embedder {conflict[0]}, but {conflict[1]} is "
            "configured: their vectors are not comparable, and mixing them would rank nonsense. "
            "Fix: re-embed the stored chunks with the configured embedder (`factcheck ingest "
            "--reembed`), or set FACTCHECK_EMBEDDER back to the one that built the collection, "
            "or use another collection name (FACTCHECK_COLLECTION)."
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


def chroma_where(
    published_on_or_before: date | None, include_undated: bool, where: dict[str, Any] | None
) -> dict[str, Any] | None:
    """The Chroma `where` filter for a date limit plus an optional metadata filter."""
    clauses: list[dict[str, Any]] = []
    if published_on_or_before is not None:
        dated = {"published_int": {"$lte": yyyymmdd(published_on_or_before)}}
        clauses.append({"$or": [dated, {"dated": False}]} if include_undated else dated)
    if where:
        clauses.append(where)
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}
