"""ReferenceStore over an embedded Chroma in tmp_path, with a deterministic fake embedder."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest
from langchain_text_splitters import RecursiveCharacterTextSplitter

from factcheck.app import store_settings
from factcheck.config import Settings
from factcheck.errors import InputError, StoreError
from factcheck.io.inputs import Source
from factcheck.retrieval.lexical import LexicalIndex, tokenize
from factcheck.retrieval.store import ReferenceStore, rrf_fuse, score_fuse, split_source
from factcheck.testing.doubles import HashEmbedding, OtherEmbedding

PARAGRAPH = (
    "The statistics office said unemployment fell in March as factories hired. "
    "Economists had expected a smaller change. "
)


def make_settings(path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "chroma_path": path / "chroma",
        "collection": "refs",
        "chunk_size": 200,
        "chunk_overlap": 40,
        "fusion": "rrf",  # the RRF arithmetic below is checked by hand
        "dense_weight": 0.5,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
def store(settings: Settings) -> ReferenceStore:
    return ReferenceStore.open(store_settings(settings), HashEmbedding())


def source(sid: str, text: str, **fields: object) -> Source:
    return Source(id=sid, text=text, **fields)  # type: ignore[arg-type]


def long_source(sid: str = "long", repeats: int = 12, **fields: object) -> Source:
    return source(sid, PARAGRAPH * repeats, **fields)


def all_chunks(store: ReferenceStore) -> dict[str, tuple[str, dict]]:
    got = store.client.get_collection(store.collection_name).get(include=["documents", "metadatas"])
    return {
        i: (d, m) for i, d, m in zip(got["ids"], got["documents"], got["metadatas"], strict=True)
    }


# --- RRF -----------------------------------------------------------------------------------


def test_rrf_by_hand() -> None:
    fused = rrf_fuse([["a", "b", "c"], ["c", "a", "d"]], k=1)
    # a: 1/2 + 1/3, c: 1/4 + 1/2, b: 1/3, d: 1/4
    assert [i for i, _ in fused] == ["a", "c", "b", "d"]
    assert [round(s, 6) for _, s in fused] == [0.833333, 0.75, 0.333333, 0.25]
    assert rrf_fuse([["x"], ["y"]], k=60) == [("x", 1 / 61), ("y", 1 / 61)]  # tie: first list
    assert rrf_fuse([[], []], k=60) == []


# --- chunking ------------------------------------------------------------------------------


def test_offsets_round_trip_even_with_repeated_text() -> None:
    text = ("Same sentence again and again. " * 40) + "\n\n" + PARAGRAPH * 5
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=120, chunk_overlap=30, add_start_index=True
    )
    chunks = split_source(source("s", text), splitter)
    assert len(chunks) > 10
    starts = [c.metadata["start"] for c in chunks]
    assert starts == sorted(starts)
    for index, chunk in enumerate(chunks):
        assert text[chunk.metadata["start"] : chunk.metadata["end"]] == chunk.text
        assert chunk.metadata["chunk_index"] == index
    assert len({c.id for c in chunks}) == len(chunks)


def test_ingest_stores_offsets_and_metadata(store: ReferenceStore) -> None:
    src = long_source(
        title="Jobs",
        url="https://x",
        published=date(2024, 3, 5),
        publisher="Office",
        credibility_tier=1,
        path="/data/jobs.txt",
    )
    report = store.ingest([src])
    assert report.sources == 1 and report.chunks_added == store.count() > 3
    for text, meta in all_chunks(store).values():
        assert src.text[meta["start"] : meta["end"]] == text
        assert meta["published"] == "2024-03-05" and meta["published_int"] == 20240305
        assert (meta["title"], meta["url"], meta["publisher"], meta["credibility_tier"]) == (
            "Jobs",
            "https://x",
            "Office",
            1,
        )
        assert meta["source_id"] == "long" and meta["dated"] is True


def test_none_metadata_is_omitted(store: ReferenceStore) -> None:
    store.ingest([source("bare", "Just some text about rates.")])
    ((_, meta),) = all_chunks(store).values()
    assert "title" not in meta and "published" not in meta and meta["dated"] is False


def test_ids_are_deterministic_and_fingerprint_order_independent(tmp_path: Path) -> None:
    a, b = long_source("a"), source("b", "Another source about inflation at 3.2 percent.")
    one = ReferenceStore.open(store_settings(make_settings(tmp_path / "one")), HashEmbedding())
    two = ReferenceStore.open(store_settings(make_settings(tmp_path / "two")), HashEmbedding())
    one.ingest([a, b])
    two.ingest([b])
    two.ingest([a])
    assert set(all_chunks(one)) == set(all_chunks(two))
    assert one.fingerprint() == two.fingerprint()
    assert one.fingerprint().startswith(f"{one.count()}-")


# --- ingest --------------------------------------------------------------------------------


def test_reingest_adds_nothing_and_embeds_nothing(settings: Settings) -> None:
    embedder = HashEmbedding()
    store = ReferenceStore.open(store_settings(settings), embedder)
    sources = [long_source("a"), source("b", "Short one.")]
    first = store.ingest(sources)
    embedded = embedder.embedded
    fingerprint = store.fingerprint()
    second = store.ingest(sources)
    assert first.chunks_added > 0 and second.chunks_added == 0
    assert second.chunks_existing == first.chunks_added and second.sources == 2
    assert embedder.embedded == embedded
    assert store.fingerprint() == fingerprint == second.fingerprint


def test_changed_source_replaces_its_chunks(store: ReferenceStore) -> None:
    store.ingest([long_source("a", repeats=12)])
    report = store.ingest([long_source("a", repeats=3)])
    assert report.chunks_removed > 0
    texts = [t for t, _ in all_chunks(store).values()]
    assert store.count() == len(texts) == report.chunks_existing + report.chunks_added
    assert store.fingerprint().startswith(f"{store.count()}-")


def test_errors_and_duplicates_are_reported(store: ReferenceStore) -> None:
    items = [InputError("bad bytes", source="x.txt"), source("a", "One."), source("a", "Two.")]
    report = store.ingest(items)
    assert report.sources == 1
    assert report.errors[0] == "x.txt: bad bytes"
    assert "duplicate source id 'a'" in report.errors[1]


def test_batches_stay_within_max_batch_size(
    store: ReferenceStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store.client, "get_max_batch_size", lambda: 3)
    sizes: list[int] = []
    collection_type = type(store.client.get_collection(store.collection_name))
    upsert = collection_type.upsert

    def spy(self: object, **kwargs: object) -> None:
        sizes.append(len(kwargs["ids"]))  # type: ignore[arg-type]
        upsert(self, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(collection_type, "upsert", spy)
    report = store.ingest([long_source("a"), long_source("b", repeats=5)], batch_size=4)
    assert max(sizes) <= 3 and sum(sizes) == report.chunks_added == store.count()
    again = store.ingest([long_source("a", repeats=2)])  # deletes in batches too
    assert again.chunks_removed > 3
    assert store.fingerprint().startswith(f"{store.count()}-")


# --- opening -------------------------------------------------------------------------------


def test_reopen_with_another_embedder_fails(settings: Settings) -> None:
    ReferenceStore.open(store_settings(settings), HashEmbedding()).ingest(
        [source("a", "Some text.")]
    )
    with pytest.raises(StoreError) as caught:
        ReferenceStore.open(store_settings(settings), OtherEmbedding())
    message = str(caught.value)
    assert "factcheck-test-hash" in message and "factcheck-test-other" in message
    assert "another collection name" in message and "factcheck ingest --reembed" in message
    with pytest.raises(StoreError, match="'dim': 32"):
        ReferenceStore.open(store_settings(settings), HashEmbedding(dim=32))
    reopened = ReferenceStore.open(store_settings(settings), HashEmbedding())  # same embedder: fine
    assert reopened.count() == 1


def test_collection_is_cosine_and_telemetry_off(store: ReferenceStore) -> None:
    assert (
        store.client.get_collection(store.collection_name).configuration_json["hnsw"]["space"]
        == "cosine"
    )
    assert store.client.get_settings().anonymized_telemetry is False
    described = store.describe()
    assert described["mode"] == "embedded" and described["embedder"] == "factcheck-test-hash"
    assert described["chunks"] == 0 and described["collection"] == "refs"


def test_bad_collection_name(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="FACTCHECK_COLLECTION"):
        ReferenceStore.open(
            store_settings(make_settings(tmp_path, collection="x")), HashEmbedding()
        )


# --- search --------------------------------------------------------------------------------


def dated_corpus() -> list[Source]:
    return [
        source(
            "old",
            "Inflation reached 3.2 percent in 2020 according to the bank.",
            published=date(2020, 6, 1),
            title="Old",
        ),
        source(
            "new",
            "Inflation reached 3.2 percent in 2022 according to the bank.",
            published=date(2022, 6, 1),
            title="New",
        ),
        source(
            "undated", "Inflation reached 3.2 percent according to a bank report.", title="Undated"
        ),
        source(
            "other", "Wheat harvests were poor this year in the north.", published=date(2019, 1, 1)
        ),
    ]


def test_search_returns_numbered_evidence_with_scores(store: ReferenceStore) -> None:
    store.ingest(dated_corpus())
    evidence = store.search("inflation 3.2 percent bank", k=3, candidates=4, rrf_k=60)
    assert [e.number for e in evidence] == [1, 2, 3]
    assert {e.chunk.source_id for e in evidence} == {"old", "new", "undated"}
    for e in evidence:
        assert e.dense_similarity is not None and -1.0 <= e.dense_similarity <= 1.0001
        assert e.dense_rank is not None and e.lexical_rank is not None
        assert e.lexical_score and e.lexical_score > 0
        assert e.score == pytest.approx(1 / (60 + e.dense_rank) + 1 / (60 + e.lexical_rank))
    scores = [e.score for e in evidence]
    assert scores == sorted(scores, reverse=True)
    first = evidence[0].chunk
    assert first.title in {"Old", "New", "Undated"} and first.text


def test_date_filter_applies_to_dense_and_lexical(store: ReferenceStore) -> None:
    store.ingest(dated_corpus())
    evidence = store.search(
        "inflation 3.2 percent bank", k=4, candidates=4, published_on_or_before=date(2021, 1, 1)
    )
    ids = {e.chunk.source_id for e in evidence}
    assert "new" not in ids and {"old", "undated"} <= ids
    assert any(e.dense_rank for e in evidence) and any(e.lexical_rank for e in evidence)
    strict = store.search(
        "inflation 3.2 percent bank",
        k=4,
        candidates=4,
        published_on_or_before=date(2021, 1, 1),
        include_undated=False,
    )
    assert {e.chunk.source_id for e in strict} <= {"old", "other"}
    assert all(e.chunk.published and e.chunk.published <= date(2021, 1, 1) for e in strict)
    old_enough = {"published_on_or_before": date(2021, 1, 1), "k": 4, "candidates": 4}
    lexical = store.search("inflation 2022", mode="lexical", **old_enough)  # type: ignore[arg-type]
    dense = store.search("inflation 2022", mode="dense", **old_enough)  # type: ignore[arg-type]
    assert lexical and dense
    assert "new" not in {e.chunk.source_id for e in [*lexical, *dense]}


def test_where_filter_overfetches_lexical_hits(store: ReferenceStore) -> None:
    noise = [
        source(f"b{i}", f"Tariff tariff tariff rates rose {i} points.", publisher="B")
        for i in range(20)
    ]
    store.ingest(
        [
            *noise,
            source(
                "a1",
                "A long note: tariff rates were discussed once among many other topics of the day.",
                publisher="A",
            ),
        ]
    )
    hits = store.search("tariff rates", k=2, candidates=2, mode="lexical", where={"publisher": "A"})
    assert [e.chunk.id for e in hits] == [
        i for i, (_, m) in all_chunks(store).items() if m["source_id"] == "a1"
    ]
    common = store.search(
        "tariff rates", k=2, candidates=2, mode="lexical", where={"publisher": "B"}
    )
    assert len(common) == 2
    evidence = store.search("tariff rates", k=3, candidates=2, where={"publisher": "A"})
    assert [e.chunk.source_id for e in evidence] == ["a1"]


def test_hybrid_finds_exact_number_that_dense_misses(store: ReferenceStore) -> None:
    # The fake embedder ignores digits: every distractor embeds exactly like the query.
    distractors = [source(f"d{n}", f"Jobless rate {n}.{n} percent March") for n in range(1, 7)]
    target = source(
        "t",
        "The statistics office said the jobless rate was 7.3 percent "
        "in March, after revisions to earlier figures.",
    )
    store.ingest([*distractors, target])
    query = "jobless rate 7.3 percent March"
    dense_only = store.search(query, k=5, candidates=5, mode="dense")
    assert "t" not in {e.chunk.source_id for e in dense_only}
    evidence = store.search(query, k=5, candidates=5)
    hit = next(e for e in evidence if e.chunk.source_id == "t")
    assert hit.lexical_rank == 1 and hit.dense_rank is None
    vectors = store.embedding_function([query, target.text])
    expected = float(np.dot(vectors[0], vectors[1]))
    assert hit.dense_similarity == pytest.approx(expected, abs=1e-5)


def test_search_modes_rank_by_one_ranking_or_both(store: ReferenceStore) -> None:
    distractors = [source(f"d{n}", f"Jobless rate {n}.{n} percent March") for n in range(1, 7)]
    target = source(
        "t",
        "The statistics office said the jobless rate was 7.3 percent "
        "in March, after revisions to earlier figures.",
    )
    store.ingest([*distractors, target])
    query = "jobless rate 7.3 percent March"
    dense = store.search(query, k=5, candidates=5, mode="dense")
    lexical = store.search(query, k=5, candidates=5, mode="lexical")
    assert all(e.lexical_rank is None and e.dense_rank == e.number for e in dense)
    assert all(e.dense_rank is None and e.lexical_rank == e.number for e in lexical)
    assert lexical[0].chunk.source_id == "t" and "t" not in {e.chunk.source_id for e in dense}
    assert all(e.dense_similarity is not None for e in lexical)
    with pytest.raises(ValueError, match="search mode"):
        store.search(query, mode="sparse")  # type: ignore[arg-type]


def test_search_many_embeds_queries_once(settings: Settings) -> None:
    embedder = HashEmbedding()
    store = ReferenceStore.open(store_settings(settings), embedder)
    store.ingest(dated_corpus())
    calls = embedder.calls
    results = store.search_many(["inflation", "wheat harvests", "bank report"], k=2)
    assert embedder.calls == calls + 1
    assert [len(r) for r in results] == [2, 2, 2]
    assert results[1][0].chunk.source_id == "other"


def test_empty_store_and_stopword_query(store: ReferenceStore) -> None:
    assert store.search("anything") == []
    store.ingest(dated_corpus())
    evidence = store.search("the of and", k=2)  # no lexical tokens: dense only
    assert len(evidence) == 2 and all(e.lexical_rank is None for e in evidence)


# --- lexical index persistence -------------------------------------------------------------


def test_lexical_index_persisted_reused_and_rebuilt(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    builds: list[str] = []
    real_build = LexicalIndex.build.__func__  # type: ignore[attr-defined]

    def counting_build(cls: type[LexicalIndex], fingerprint: str, rows: object) -> LexicalIndex:
        builds.append(fingerprint)
        return real_build(cls, fingerprint, rows)

    monkeypatch.setattr(LexicalIndex, "build", classmethod(counting_build))
    store = ReferenceStore.open(store_settings(settings), HashEmbedding())
    store.ingest(dated_corpus())
    store.search("inflation")
    store.search("wheat")
    assert len(builds) == 1
    root = Path(settings.chroma_path) / "lexical" / "refs"
    saved = [p.name for p in root.iterdir()]
    assert saved == [LexicalIndex.dirname(store.fingerprint())]

    reopened = ReferenceStore.open(store_settings(settings), HashEmbedding())  # "another process"
    assert reopened.search("wheat")[0].chunk.source_id == "other"
    assert len(builds) == 1  # loaded from disk, not rebuilt

    store.ingest([source("fresh", "Rice exports doubled to 12,400 tonnes.")])
    assert reopened.search("rice 12400")[0].chunk.source_id == "fresh"
    assert len(builds) == 2
    assert [p.name for p in root.iterdir()] == [LexicalIndex.dirname(store.fingerprint())]


def test_tokenize_keeps_numbers() -> None:
    assert tokenize("The rate was 7.3% in 2020, up from 1,200 to 12,400.5 (U.S.)") == [
        "rate",
        "7.3",
        "2020",
        "up",
        "1200",
        "12400.5",
    ]
    assert tokenize("COVID-19 cases in the 2020s") == ["covid", "19", "case", "2020s"]


def test_search_reads_the_fingerprint_once_and_never_counts(
    store: ReferenceStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Per query: one metadata read (the fingerprint carries the count); no collection scan
    (`count()` scans every chunk: ~8 ms at 100k chunks)."""
    assert store.search("anything") == []
    store.ingest(dated_corpus())
    store.search("inflation")  # builds the lexical index (which re-reads the fingerprint)
    reads: list[str] = []
    real_fingerprint = store.fingerprint

    def counting_fingerprint() -> str:
        reads.append("fingerprint")
        return real_fingerprint()

    def no_count() -> int:
        raise AssertionError("search must not count the collection")

    monkeypatch.setattr(store, "fingerprint", counting_fingerprint)
    monkeypatch.setattr(store, "count", no_count)
    for mode in ("hybrid", "dense", "lexical"):
        reads.clear()
        assert store.search_many(["inflation", "wheat"], k=2, mode=mode)[1]  # type: ignore[arg-type]
        assert reads == ["fingerprint"], mode


# --- fusion settings and titled chunks --------------------------------------------------------


def test_weighted_rrf_and_score_fusion_by_hand() -> None:
    # dense weight 1.5, lexical 0.5: a = 1.5/2 + 0.5/3, b = 1.5/3, c = 0.5/2
    fused = rrf_fuse([["a", "b"], ["c", "a"]], k=1, weights=[1.5, 0.5])
    assert [i for i, _ in fused] == ["a", "b", "c"]
    assert fused[0][1] == pytest.approx(1.5 / 2 + 0.5 / 3)
    # scores normalised per ranking: dense a 1, b 0; lexical c 1, a 0.5, d 0
    fused = score_fuse([[("a", 0.9), ("b", 0.5)], [("c", 8.0), ("a", 5.0), ("d", 2.0)]], [0.6, 0.4])
    assert dict(fused) == pytest.approx({"a": 0.6 + 0.2, "b": 0.0, "c": 0.4, "d": 0.0})
    assert [i for i, _ in fused] == ["a", "c", "b", "d"]  # ties keep first appearance
    assert score_fuse([[("x", 3.0)], []], [0.6, 0.4]) == [("x", 0.6)]  # a lone hit counts 1
    assert score_fuse([[], []], [0.5, 0.5]) == []


def test_score_fusion_is_the_default_and_ranks_by_weighted_normalised_scores(
    tmp_path: Path,
) -> None:
    settings = Settings(_env_file=None, chroma_path=tmp_path / "c", collection="refs")  # type: ignore[call-arg]
    assert (settings.fusion, settings.dense_weight, settings.chunk_title) == ("score", 0.6, True)
    store = ReferenceStore.open(store_settings(settings), HashEmbedding())
    store.ingest(dated_corpus())
    evidence = store.search("inflation 3.2 percent bank", k=4, candidates=4)
    scores = [e.score for e in evidence]
    assert scores == sorted(scores, reverse=True) and 0 < scores[0] <= 1.0
    dense = store.search("inflation 3.2 percent bank", k=4, candidates=4, mode="dense")
    assert [e.dense_rank for e in dense] == [1, 2, 3, 4]


def test_titled_chunks_embed_and_index_the_title_but_store_the_text(tmp_path: Path) -> None:
    embedder = HashEmbedding()
    store = ReferenceStore.open(store_settings(make_settings(tmp_path, chunk_title=True)), embedder)
    text = "Exports doubled to 12,400 tonnes last year."
    store.ingest([source("rice", text, title="Rice trade in Mexico")])
    ((chunk_id, (stored, meta)),) = all_chunks(store).items()
    assert stored == text and meta["titled"] is True and meta["start"] == 0
    got = store.client.get_collection(store.collection_name).get(
        ids=[chunk_id], include=["embeddings"]
    )["embeddings"][0]
    assert np.allclose(got, embedder([f"Rice trade in Mexico. {text}"])[0])
    # BM25 sees the title too: a query made only of title words finds the chunk.
    hit = store.search("Mexico rice trade", k=1, mode="lexical")[0]
    assert hit.chunk.text == text and hit.lexical_rank == 1

    # Switching the setting changes the chunk ids, so the next ingest re-embeds the source.
    plain = ReferenceStore.open(
        store_settings(make_settings(tmp_path, chunk_title=False)), HashEmbedding()
    )
    report = plain.ingest([source("rice", text, title="Rice trade in Mexico")])
    assert (report.chunks_added, report.chunks_removed) == (1, 1)
    ((_, (_, meta)),) = all_chunks(plain).items()
    assert "titled" not in meta
    assert plain.search("Mexico rice trade", k=1, mode="lexical") == []


def test_bm25_ties_rank_by_chunk_id_whatever_the_insertion_order() -> None:
    rows = [
        (f"chunk-{i:02d}", "Sea level rose by 20 centimetres." if i % 3 else f"Other text {i}.", 0)
        for i in range(30)
    ]
    forward = LexicalIndex.build("f", rows)
    backward = LexicalIndex.build("b", list(reversed(rows)))
    query = "sea level rose"
    for n in (1, 5, 30):
        top = forward.top(forward.scores(query), n)
        assert top == backward.top(backward.scores(query), n)
        assert len(top) == min(n, 20)
    # equal scores come out in id order, including across the cut at n
    assert [i for i, _ in forward.top(forward.scores(query), 5)] == [
        "chunk-01",
        "chunk-02",
        "chunk-04",
        "chunk-05",
        "chunk-07",
    ]
