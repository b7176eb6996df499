"""The eval runner end to end on the smoke suite with the fake model, and the LLM cache."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from factcheck.config import REPO_DIR, Settings
from factcheck.evals.datasets import load_checkworthiness, load_extraction, load_verification
from factcheck.evals.records import EvalRun, read_run, write_run
from factcheck.evals.runner import EvalOptions, run_suite
from factcheck.evals.stages import sentence_ids_of
from factcheck.evals.suites import SUITES, Task, sample, suite_tasks
from factcheck.llm.fake import FakeChatModel
from factcheck.testing.doubles import HashEmbedding

SMOKE_COUNTS = {
    "verification:smoke/all": 24,
    "retrieval:smoke/all": 12,
    "e2e:smoke/all": 12,
    "extraction:smoke/all": 4,
    "checkworthiness:smoke/all": 10,
}


@pytest.fixture(scope="module")
def store_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One corpus-store cache for the module: the smoke corpus is embedded once."""
    return tmp_path_factory.mktemp("eval-cache")


def _run(
    cache_dir: Path, llm_cache: Path, model: FakeChatModel, *, suite: str = "smoke", **kw: object
) -> EvalRun:
    options = EvalOptions(suite, backend="fake", llm_cache=llm_cache, cache_dir=cache_dir, **kw)
    return run_suite(
        options, settings=Settings(_env_file=None), chat_model=model, embedder=HashEmbedding()
    )


def _by_task(run: EvalRun) -> dict[str, object]:
    assert run.summary is not None
    return {t.task: t for t in run.summary.tasks}


def test_smoke_suite_end_to_end_with_the_fake_model(store_cache, tmp_path):
    model = FakeChatModel()
    run = _run(store_cache, tmp_path / "llm.sqlite", model)
    assert run.spec.case_counts == SMOKE_COUNTS
    assert run.spec.prompt_hashes.keys() == {"extract", "rewrite", "verify"}
    assert not [c for c in run.cases if c.error], [c.error for c in run.cases if c.error]
    tasks = _by_task(run)
    verification = tasks["verification:smoke/all"]
    assert 0.0 <= verification.metrics["accuracy"] <= 1.0
    assert verification.confusion and verification.reliability
    assert {"ece", "brier", "citation_precision", "abstention_rate"} <= verification.metrics.keys()
    retrieval = tasks["retrieval:smoke/all"].metrics
    for mode in ("dense", "lexical", "hybrid"):
        assert 0.0 <= retrieval[f"{mode}.recall@5"] <= retrieval[f"{mode}.recall@10"] <= 1.0
    assert "claim_recall" in tasks["extraction:smoke/all"].metrics
    assert "f1" in tasks["checkworthiness:smoke/all"].metrics
    # Every LLM request of the run reached the fake model (fresh cache) and was counted.
    assert model.calls == run.summary.usage.calls == run.summary.usage.model_calls > 0
    path = tmp_path / "run.jsonl"
    write_run(path, run)
    again = read_run(path)
    assert again.spec == run.spec and again.cases == run.cases and again.summary == run.summary


def test_rerun_makes_no_model_calls_and_a_prompt_change_reruns_only_its_stages(
    store_cache, tmp_path
):
    llm_cache = tmp_path / "llm.sqlite"
    first = FakeChatModel()
    _run(store_cache, llm_cache, first)
    assert first.calls > 0
    second = FakeChatModel()
    rerun = _run(store_cache, llm_cache, second)
    assert second.calls == 0
    assert rerun.summary and rerun.summary.usage.cache_hits == rerun.summary.usage.calls > 0

    prompts = tmp_path / "prompts"
    shutil.copytree(REPO_DIR / "prompts", prompts)
    user = prompts / "verify.user.md"
    user.write_text(user.read_text(encoding="utf-8") + "\nBe brief.\n", encoding="utf-8")
    third = FakeChatModel()
    changed = _run(store_cache, llm_cache, third, prompts_dir=prompts)
    tasks = _by_task(changed)
    assert changed.spec.prompt_hashes["verify"] != rerun.spec.prompt_hashes["verify"]
    assert changed.spec.prompt_hashes["extract"] == rerun.spec.prompt_hashes["extract"]
    for name in ("extraction:smoke/all", "checkworthiness:smoke/all"):
        assert tasks[name].usage.model_calls == 0 and tasks[name].usage.cache_hits > 0
    assert tasks["verification:smoke/all"].usage.model_calls == 24
    assert third.calls == sum(t.usage.model_calls for t in tasks.values()) >= 24


def test_limit_and_seed_sample_reproducibly(store_cache, tmp_path):
    cases = load_verification("smoke", "all")
    picked = sample(cases, 5, 7)
    assert picked == sample(cases, 5, 7) and len(picked) == 5
    assert [c.id for c in picked] == [c.id for c in cases if c in picked]  # file order kept
    assert sample(cases, 5, 8) != picked
    run = _run(
        store_cache,
        tmp_path / "llm.sqlite",
        FakeChatModel(),
        suite="verification:smoke/all",
        limit=5,
        seed=7,
    )
    assert [c.case_id for c in run.cases] == [c.id for c in picked]


def test_suites_name_real_tasks():
    for tasks in SUITES.values():
        for task in tasks:
            assert Task.parse(task.name) == task
    assert [t.name for t in suite_tasks("smoke")] == list(SMOKE_COUNTS)
    assert suite_tasks("verification:smoke/all,extraction:smoke/all")[1].stage == "extraction"
    assert load_extraction("smoke") and load_checkworthiness("smoke", "all")


def test_citation_offsets_map_to_sentence_ids():
    from factcheck.evals.datasets import CorpusDoc

    doc = CorpusDoc(
        id="d", text="One two. Three four. Five.", sentences=["One two.", "Three four.", "Five."]
    )
    assert sentence_ids_of(doc, 0, 3) == ["d:0"]
    assert sentence_ids_of(doc, 9, 20) == ["d:1"]
    assert sentence_ids_of(doc, 5, 15) == ["d:0", "d:1"]
    single = CorpusDoc(id="s", text="A sentence.")
    assert sentence_ids_of(single, 0, 4) == ["s"]
