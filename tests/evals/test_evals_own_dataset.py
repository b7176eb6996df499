"""Bring your own eval set: `factcheck eval STAGE --dataset PATH` reads a folder or file in the
harness's schemas in place, and names its tasks by the path (never a built-in dataset's name)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from factcheck.cli.main import app
from factcheck.evals.datasets import DATASETS, DatasetError, dataset_slug, datasets_dir
from factcheck.evals.records import read_run
from factcheck.evals.render import md_cell
from factcheck.evals.suites import Task, dataset_tasks, load_cases

SMOKE = datasets_dir() / "smoke"


@pytest.fixture
def own_folder(tmp_path: Path) -> Path:
    """A copy of the smoke set in a folder that is even *called* smoke."""
    folder = tmp_path / "newsroom" / "smoke"
    folder.mkdir(parents=True)
    for name in ("verification-all.jsonl", "retrieval-all.jsonl", "corpus.jsonl"):
        shutil.copy(SMOKE / name, folder / name)
    return folder


def test_a_folder_is_named_by_its_path_and_never_mixed_with_a_built_in_set(own_folder):
    tasks = dataset_tasks("verification,e2e", [own_folder])
    name = str(own_folder.resolve())
    assert [t.name for t in tasks] == [f"verification:{name}/all", f"e2e:{name}/all"]
    assert all(t.dataset != "smoke" and not t.committed_text for t in tasks)
    assert Task.parse(tasks[0].name) == tasks[0]  # run files pair tasks by this name
    assert len(load_cases(tasks[0])) == len(load_cases(Task.parse("verification:smoke/all")))
    assert DATASETS["smoke"].committed and not DATASETS["smoke"].paths  # built-in untouched
    slug = dataset_slug(name)
    assert slug.startswith("ext-smoke-") and "/" not in slug


def test_a_single_file_of_any_name(tmp_path):
    mine = tmp_path / "my claims.jsonl"
    shutil.copy(SMOKE / "verification-all.jsonl", mine)
    (task,) = dataset_tasks("verification", [mine])
    assert task.stage == "verification" and task.dataset == str(mine.resolve())
    assert task.split == "my claims" and len(load_cases(task)) == 24
    with pytest.raises(DatasetError, match=r"corpus\.jsonl"):
        dataset_tasks("e2e", [mine])


def test_clear_errors_for_missing_stages_and_unknown_names(own_folder):
    with pytest.raises(DatasetError, match="no extraction file"):
        dataset_tasks("extraction", [own_folder])
    with pytest.raises(DatasetError, match="unknown: verification-fever"):
        dataset_tasks("verification-fever", [own_folder])
    assert {t.stage for t in dataset_tasks("all", [own_folder])} == {
        "verification",
        "retrieval",
        "e2e",
    }


def test_eval_command_on_your_own_dataset(own_folder, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FACTCHECK_LLM_CACHE", str(tmp_path / "llm.sqlite"))
    done = CliRunner().invoke(
        app,
        [
            "eval",
            "verification",
            "--dataset",
            str(own_folder),
            "--backend",
            "fake",
            "--limit",
            "5",
            "--out",
            str(tmp_path / "out"),
        ],
    )
    assert done.exit_code == 0, done.output
    run = read_run(tmp_path / "out" / "run.jsonl")
    name = str(own_folder.resolve())
    assert run.spec.datasets == [name] and run.spec.tasks == [f"verification:{name}/all"]
    assert name in run.spec.suite and run.spec.run_id.startswith("verification-ext-smoke-")
    assert len(run.cases) == 5 and all(c.text is None for c in run.cases)  # text stays out
    report = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert md_cell(name) in report.splitlines()[0]  # the title names the dataset's path
