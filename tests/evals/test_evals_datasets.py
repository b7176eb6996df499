"""Converted datasets: every file validates, ids are unique, label mappings hold on known rows."""

import subprocess
import sys
from pathlib import Path

import pytest

from factcheck.evals import datasets as ds
from factcheck.evals.datasets import (
    DATASETS,
    TASK_MODELS,
    DatasetError,
    index_by_id,
    load_checkworthiness,
    load_corpus,
    load_extraction,
    load_records,
    load_retrieval,
    load_verification,
    task_of,
)

REPO = Path(__file__).resolve().parents[2]
needs_shared = pytest.mark.skipif(
    not (ds.shared_data_dir() / "README.md").is_file(), reason="shared data folder not present"
)


def _files(committed: bool) -> list[tuple[str, str]]:
    return [
        (i.name, stem) for i in DATASETS.values() if i.committed is committed for stem in i.files
    ]


@pytest.mark.parametrize(("dataset", "stem"), _files(committed=True))
def test_committed_file_validates(dataset: str, stem: str) -> None:
    records = load_records(dataset, stem, TASK_MODELS[task_of(stem)])
    assert records
    index_by_id(records)  # ids unique
    if task_of(stem) != "corpus":
        assert all(r.dataset in DATASETS for r in records)  # type: ignore[union-attr]


def test_committed_sizes_stay_small() -> None:
    total = sum(p.stat().st_size for p in (REPO / "evals" / "datasets").rglob("*") if p.is_file())
    assert total < 8_000_000


def test_uncommitted_data_is_not_in_the_repo() -> None:
    for name in ("climate-fever", "ct19"):
        files = {p.name for p in (REPO / "evals" / "datasets" / name).iterdir()}
        assert files == {"SOURCE.md"}


@needs_shared
@pytest.mark.parametrize(("dataset", "stem"), _files(committed=False))
def test_runtime_dataset_validates(dataset: str, stem: str) -> None:
    records = load_records(dataset, stem, TASK_MODELS[task_of(stem)])
    assert records
    index_by_id(records)


# --- known rows --------------------------------------------------------------------------


def test_check_covid_rows_and_sentence_ids() -> None:
    cases = index_by_id(load_verification("check-covid", "dev"))
    refute = cases["check-covid:60ac5f7ff9b9e03ea4d8e68e_0"]
    assert (refute.source_label, refute.label) == ("REFUTE", "REFUTED")
    assert refute.gold_evidence_ids == ["asnvwu1u:0", "asnvwu1u:3"]
    assert refute.meta["primary_ids"] == ["asnvwu1u:3"]
    nei = cases["check-covid:60ac5f7ff9b9e03ea4d8e68e_2"]
    assert (nei.source_label, nei.label) == ("NOTENOUGHINFO", "NOT_ENOUGH_EVIDENCE")
    speaking = cases["check-covid:608b51bbf9b9e03ea4d8e4c2_1"]
    assert (speaking.label, speaking.gold_evidence_ids) == ("SUPPORTED", ["zozvt5y1:7"])
    assert "superemitters" in speaking.evidence[0].text

    corpus = index_by_id(load_corpus("check-covid"))
    assert len(corpus) == 347
    # every evidence item is the corpus sentence its id names: `<cord_id>:<sent_index>`
    train = load_verification("check-covid", "train")
    for case in [*cases.values(), *train]:
        for item in case.evidence:
            doc_id, index = item.id.rsplit(":", 1)
            assert corpus[doc_id].sentences[int(index)] == item.text  # type: ignore[index]
            assert item.title == corpus[doc_id].title


def test_check_covid_retrieval_flags_nei_twins() -> None:
    retrieval = index_by_id(load_retrieval("check-covid", "dev"))
    nei = retrieval["check-covid:60ac5f7ff9b9e03ea4d8e68e_2"]
    assert nei.gold_doc_ids == ["asnvwu1u"] and not nei.label_scorable
    assert "check-covid:60ac5f7ff9b9e03ea4d8e68e_0" in nei.meta["same_claim_ids"]  # type: ignore[operator]
    assert all(c.label_scorable == (c.label != "NOT_ENOUGH_EVIDENCE") for c in retrieval.values())
    corpus = index_by_id(load_corpus("check-covid"))
    for case in retrieval.values():
        sentence_ids = {s for d in case.gold_doc_ids for s in corpus[d].sentence_ids()}
        assert set(case.gold_sentence_ids) <= sentence_ids


def test_fever_symmetric_rows() -> None:
    cases = index_by_id(load_verification("fever-symmetric", "dev"))
    assert len(cases) == 708
    original = cases["fever-symmetric:54253"]
    assert (original.source_label, original.label) == ("REFUTES", "REFUTED")
    synthetic = cases["fever-symmetric:542530000002"]
    assert (synthetic.label, synthetic.meta["fever_id"], synthetic.meta["synthetic"]) == (
        "SUPPORTED",
        "54253",
        True,
    )
    assert synthetic.gold_evidence_ids == [synthetic.evidence[0].id]
    vick = next(c for c in cases.values() if "Michael Dwayne Vick" in c.evidence[0].text)
    assert "Vick ( born June 26 , 1980 ) is" in vick.evidence[0].text  # -LRB- … -RRB- undone
    assert not any("-LRB-" in c.claim + c.evidence[0].text for c in cases.values())


def test_factcheck_gpt_rows() -> None:
    stance = index_by_id(load_verification("factcheck-gpt", "all"))
    irrelevant = stance["factcheck-gpt:stance:0:0:0:0"]
    assert (irrelevant.source_label, irrelevant.label) == ("irrelevant", "NOT_ENOUGH_EVIDENCE")
    assert irrelevant.gold_evidence_ids == []
    partial = stance["factcheck-gpt:stance:0:1:0:0"]
    assert (partial.source_label, partial.label) == ("partially-support", "NOT_ENOUGH_EVIDENCE")
    assert partial.gold_evidence_ids == [partial.evidence[0].id]
    support = stance["factcheck-gpt:stance:0:1:1:0"]
    assert (support.source_label, support.label) == ("completely-support", "SUPPORTED")
    refute = stance["factcheck-gpt:stance:0:2:0:0"]
    assert (refute.source_label, refute.label) == ("refute", "REFUTED")
    assert refute.evidence[0].url == "https://en.wikipedia.org/wiki/William_O._Douglas"

    doc = index_by_id(load_extraction("factcheck-gpt"))["factcheck-gpt:doc:0"]
    assert [s.index for s in doc.sentences] == [0, 1, 2]
    assert len(doc.gold_claims) == 5  # 1 + 2 + 2 claims
    first = doc.gold_claims[0]
    assert first.sentence_index == 0 and first.sentence in doc.text
    assert (first.category, first.checkworthy, first.factual) == ("factual", True, False)
    assert doc.sentences[1].decontextualised.startswith("Justice William O. Douglas was born")  # type: ignore[union-attr]

    cw = index_by_id(load_checkworthiness("factcheck-gpt", "all"))
    assert len(cw) == 311 and sum(c.checkworthy for c in cw.values()) == 277
    assert cw["factcheck-gpt:sentence:0:0"].checkworthy
    assert {c.source_label for c in cw.values() if not c.checkworthy} == {
        "other",
        "opinion",
        "not_a_claim",
    }


@needs_shared
def test_climate_fever_rows() -> None:
    cases = index_by_id(load_verification("climate-fever", "dev"))
    assert len(cases) == 769
    first = cases["climate-fever:0"]
    assert (first.source_label, first.label) == ("SUPPORTS", "SUPPORTED")
    assert first.gold_evidence_ids == ["Global warming:14", "Habitat destruction:61"]
    assert {e.label for e in first.evidence} == {"SUPPORTED", "NOT_ENOUGH_EVIDENCE"}
    disputed = [c for c in cases.values() if c.source_label == "DISPUTED"]
    assert len(disputed) == 66 and all(c.label == "CONFLICTING" for c in disputed)
    assert all({"SUPPORTED", "REFUTED"} <= {e.label for e in c.evidence} for c in disputed)
    assert len(load_corpus("climate-fever")) == 2945
    retrieval = load_retrieval("climate-fever", "dev")
    assert sum(not c.gold_doc_ids for c in retrieval) == 234  # NOT_ENOUGH_INFO claims


@needs_shared
def test_ct19_rows() -> None:
    cases = index_by_id(load_checkworthiness("ct19", "train"))
    assert len(cases) == 16421 and sum(c.checkworthy for c in cases.values()) == 440
    first = cases["ct19:20160209_msnbc_dem:1"]
    assert (first.speaker, first.checkworthy, first.context) == ("TODD", False, None)
    third = cases["ct19:20160209_msnbc_dem:3"]
    assert third.context is not None and third.context.startswith("TODD: Good evening")


# --- smoke suite -------------------------------------------------------------------------


def test_smoke_suite_is_a_consistent_subset() -> None:
    verification = load_verification("smoke", "all")
    retrieval = load_retrieval("smoke", "all")
    corpus = index_by_id(load_corpus("smoke"))
    assert (len(verification), len(retrieval), len(corpus)) == (24, 12, 40)
    assert len(load_extraction("smoke")) == 4
    assert len(load_checkworthiness("smoke", "all")) == 10
    assert all(d in corpus for c in retrieval for d in c.gold_doc_ids)
    full = {
        **index_by_id(load_verification("fever-symmetric", "dev")),
        **index_by_id(load_verification("check-covid", "dev")),
    }
    assert all(full[c.id] == c for c in verification)  # copies of dev cases, unchanged


# --- loading -----------------------------------------------------------------------------


def test_shared_data_dir_env_override(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(ds.SHARED_DATA_ENV, raising=False)
    assert ds.shared_data_dir() == ds.REPO_ROOT.parent / "shared" / "data"
    monkeypatch.setenv(ds.SHARED_DATA_ENV, str(tmp_path))
    assert ds.shared_data_dir() == tmp_path
    with pytest.raises(DatasetError, match=str(tmp_path)):
        load_checkworthiness("ct19", "train")


def test_loader_errors() -> None:
    with pytest.raises(DatasetError, match="unknown dataset"):
        load_verification("nope", "dev")
    with pytest.raises(DatasetError, match="has no"):
        load_verification("fever-symmetric", "train")


@needs_shared
def test_conversion_is_reproducible() -> None:
    script = REPO / "evals" / "convert_datasets.py"
    result = subprocess.run(
        [sys.executable, str(script), "--check"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
