"""Stores follow the embedder: a collection built with another embedder is refused with the
fix, and `reembed_store` rebuilds it (and its prior fact checks) from what it stores."""

from __future__ import annotations

from pathlib import Path

import pytest

from factcheck.app import store_settings
from factcheck.config import Settings
from factcheck.errors import StoreError
from factcheck.io.inputs import Source
from factcheck.retrieval.chroma import make_client
from factcheck.retrieval.prior_checks import PriorCheckStore, prior_collection_name
from factcheck.retrieval.reembed import PENDING_SUFFIX, reembed_store
from factcheck.retrieval.store import ReferenceStore
from factcheck.testing.doubles import HashEmbedding, OtherEmbedding

SOURCES = [
    Source(id="a", text="Unemployment fell in March as factories hired.", title="Jobs"),
    Source(id="b", text="Wheat harvests were larger than expected this year.", title="Farms"),
]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(chroma_path=tmp_path / "chroma", collection="refs")


def test_other_embedder_is_refused_with_the_reembed_fix(settings: Settings) -> None:
    ReferenceStore.open(store_settings(settings), HashEmbedding()).ingest(SOURCES)
    with pytest.raises(StoreError, match="factcheck ingest --reembed"):
        ReferenceStore.open(store_settings(settings), OtherEmbedding())


def test_reembed_rebuilds_the_collection_with_the_new_embedder(settings: Settings) -> None:
    old = ReferenceStore.open(store_settings(settings), HashEmbedding())
    old.ingest(SOURCES)
    before = {e.chunk.id for e in old.search("factories hired", k=2)}
    fingerprint, count = old.fingerprint(), old.count()
    PriorCheckStore.open(old, 0.9, create=True)

    location = store_settings(settings).location
    report = reembed_store(location, OtherEmbedding())

    assert report.embedder == "factcheck-test-other"
    assert report.collections == {"refs": count, prior_collection_name("refs"): 0}
    new = ReferenceStore.open(store_settings(settings), OtherEmbedding())
    assert new.count() == count and new.fingerprint() == fingerprint
    assert {e.chunk.id for e in new.search("factories hired", k=2)} == before
    names = {c.name for c in make_client(location).list_collections()}
    assert not any(n.endswith(PENDING_SUFFIX) for n in names)
    with pytest.raises(StoreError, match="--reembed"):  # the old embedder is now the wrong one
        ReferenceStore.open(store_settings(settings), HashEmbedding())


def test_reembed_finishes_a_run_killed_after_the_delete(settings: Settings) -> None:
    ReferenceStore.open(store_settings(settings), HashEmbedding()).ingest(SOURCES)
    location = store_settings(settings).location
    client = make_client(location)
    old = client.get_collection("refs", embedding_function=None)
    got = old.get(include=["documents", "metadatas", "embeddings"])
    pending = client.create_collection(
        "refs" + PENDING_SUFFIX,
        configuration={"hnsw": {"space": "cosine"}},
        embedding_function=OtherEmbedding(),
        metadata=dict(old.metadata or {}),
    )
    pending.add(
        ids=got["ids"],
        documents=got["documents"],
        metadatas=got["metadatas"],
        embeddings=got["embeddings"],
    )
    client.delete_collection("refs")  # killed here, before the rename

    report = reembed_store(location, OtherEmbedding())

    assert report.collections["refs"] == len(got["ids"])
    assert ReferenceStore.open(store_settings(settings), OtherEmbedding()).count() == len(
        got["ids"]
    )


def test_nothing_to_reembed_is_an_error_naming_the_collection(settings: Settings) -> None:
    with pytest.raises(StoreError, match="'refs' does not exist"):
        reembed_store(store_settings(settings).location, OtherEmbedding())
