"""Per-language BM25 (Snowball stemmers, stop words), the `language` chunk metadata, and
statistics-table rows in the store (`series_rows`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from factcheck.app import store_settings
from factcheck.config import Settings
from factcheck.io.inputs import Source, read_sources
from factcheck.retrieval.lexical import LexicalIndex, query_tokens, tokenize
from factcheck.retrieval.store import ReferenceStore
from factcheck.testing.doubles import HashEmbedding

SPANISH = (
    "El INEGI informó que los homicidios en México disminuyeron durante el primer semestre, "
    "según las estadísticas de defunciones registradas."
)
ENGLISH = "Unemployment in the euro area fell to a record low as factories kept hiring workers."


@pytest.fixture
def store(tmp_path: Path) -> ReferenceStore:
    settings = Settings(chroma_path=tmp_path / "chroma", collection="refs", fusion="rrf")  # type: ignore[call-arg]
    return ReferenceStore.open(store_settings(settings), HashEmbedding())


def test_spanish_words_are_stemmed_and_stop_words_dropped() -> None:
    assert tokenize("homicidios", "es") == tokenize("homicidio", "es") == ["homicidi"]
    assert tokenize("Los homicidios de la región", "es") == ["homicidi", "region"]
    assert tokenize("disminuyeron", "es") == tokenize("disminuyó", "es")
    # English: stemmed too; unknown languages fall back to English
    assert tokenize("homicides falling", "en") == ["homicid", "fall"]
    assert tokenize("homicides", "xx") == tokenize("homicides", None) == ["homicid"]
    assert tokenize("1,866 víctimas en 2025", "es") == ["1866", "victim", "2025"]


def test_query_is_tokenised_in_every_language_of_the_index() -> None:
    assert query_tokens("homicidios registrados", ["en", "es"]) == [
        "homicidio",
        "registrado",
        "homicidi",
        "registr",
    ]


def test_a_spanish_chunk_is_found_by_another_inflection(store: ReferenceStore) -> None:
    report = store.ingest(
        [Source(id="es", text=SPANISH), Source(id="en", text=ENGLISH, language="en")]
    )
    assert report.errors == []
    languages = {
        m["source_id"]: m["language"]
        for m in store.client.get_collection("refs").get()["metadatas"]
    }
    assert languages == {"es": "es", "en": "en"}  # detected / as stated
    (hit,) = store.search("homicidio disminuyó", k=1, mode="lexical")
    assert hit.chunk.source_id == "es" and hit.lexical_score and hit.lexical_score > 0
    index = store.lexical_index()
    assert index.languages == ("en", "es")
    # Tokenised as English instead, another inflection of the verb does not match at all
    plain = LexicalIndex.build("plain", [("es", SPANISH, 0, "xx")])
    assert plain.top(plain.scores("disminuyó"), 1) == []
    spanish = LexicalIndex.build("es", [("es", SPANISH, 0, "es")])
    assert [i for i, _ in spanish.top(spanish.scores("disminuyó"), 1)] == ["es"]


def test_saved_index_keeps_its_languages(store: ReferenceStore) -> None:
    store.ingest([Source(id="es", text=SPANISH)])
    fingerprint = store.fingerprint()
    store.lexical_index(fingerprint)  # built and saved
    reopened = LexicalIndex.load(store.lexical_dir, fingerprint)
    assert reopened is not None and reopened.languages == ("es",)


def test_table_rows_are_stored_and_a_series_is_fetched_in_period_order(
    store: ReferenceStore, tmp_path: Path
) -> None:
    folder = tmp_path / "tables"
    folder.mkdir()
    (folder / "v.csv").write_text(
        "month,victims\n2025-02,900\n2025-01,950\n2024-12,1000\n", encoding="utf-8"
    )
    (folder / "v.table.json").write_text(
        json.dumps(
            {
                "title": "Victims",
                "publisher": "SESNSP",
                "time_column": "month",
                "value_columns": {"victims": "Intentional homicide victims"},
                "geo": "Mexico",
            }
        ),
        encoding="utf-8",
    )
    report = store.ingest(read_sources(folder))
    assert report.errors == [] and report.chunks_added == 3
    rows = store.series_rows("v/victims/mexico")
    assert [r.period.key for _, r in rows] == ["2024-12", "2025-01", "2025-02"]
    assert [r.value for _, r in rows] == [1000.0, 950.0, 900.0]
    chunk, _ = rows[0]
    assert chunk.text == "Intentional homicide victims, Mexico, December 2024: 1,000 (SESNSP)"
    assert chunk.series_id == "v/victims/mexico" and chunk.series == "Intentional homicide victims"
    assert store.series_rows("no/such/series") == []
    (hit,) = store.search("homicide victims January 2025", k=1, where={"table": True})
    assert hit.chunk.series_id == "v/victims/mexico"


def test_a_name_alone_does_not_make_a_store_mixed(store: ReferenceStore) -> None:
    # lingua takes "Holstein, James A." for German; one such line made every query of an
    # English store be tokenised in German too.
    store.ingest(
        [
            Source(id="ref", text="Holstein, James A."),
            Source(id="es", text=SPANISH),
        ]
    )
    fingerprint = store.fingerprint()
    assert store.lexical_index(fingerprint).languages == ("en", "es")
