"""Named suites: sets of stage tasks over the eval datasets, with reproducible sampling.

A task is `<stage>:<dataset>/<split>`, e.g. `verification:fever-symmetric/dev`. Retrieval and
end-to-end tasks retrieve from `<dataset>`'s corpus. `--limit N --seed S` samples N cases of
each task with `random.Random(S)` (cases keep their file order), so a limit with the same seed
always picks the same cases.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import get_args

from factcheck.evals.datasets import (
    DATASETS,
    DatasetError,
    load_checkworthiness,
    load_extraction,
    load_retrieval,
    load_verification,
    register_external,
)
from factcheck.evals.records import Stage

STAGES: tuple[Stage, ...] = get_args(Stage)

STAGE_PROMPTS: dict[Stage, tuple[str, ...]] = {
    "verification": ("verify",),
    "retrieval": (),
    "e2e": ("verify",),
    "extraction": ("extract",),
    "checkworthiness": ("extract",),
}
"""Which prompt files each stage renders (a prompt change re-runs only these stages)."""


@dataclass(frozen=True)
class Task:
    """One stage over one dataset split."""

    stage: Stage
    dataset: str
    split: str

    @property
    def name(self) -> str:
        """`<stage>:<dataset>/<split>`."""
        return f"{self.stage}:{self.dataset}/{self.split}"

    @classmethod
    def parse(cls, name: str) -> Task:
        """Inverse of `name`."""
        try:
            stage, rest = name.split(":", 1)
            dataset, split = rest.rsplit("/", 1)  # a dataset of your own is named by its path
        except ValueError:
            raise DatasetError(f"task {name!r} is not <stage>:<dataset>/<split>") from None
        if stage not in STAGES:
            raise DatasetError(f"unknown stage {stage!r} in task {name!r}; stages: {STAGES}")
        return cls(stage, dataset, split)  # type: ignore[arg-type]

    @property
    def committed_text(self) -> bool:
        """Whether this dataset's text may be written into run files (and so committed)."""
        info = DATASETS.get(self.dataset)
        return bool(info and info.committed)


def _t(name: str) -> Task:
    return Task.parse(name)


SUITES: dict[str, tuple[Task, ...]] = {
    "smoke": tuple(
        _t(f"{stage}:smoke/all")
        for stage in ("verification", "retrieval", "e2e", "extraction", "checkworthiness")
    ),
    "verification-fever": (_t("verification:fever-symmetric/dev"),),
    "verification-checkcovid": (_t("verification:check-covid/dev"),),
    "verification-climate": (_t("verification:climate-fever/heldback"),),
    "verification-factcheckgpt": (_t("verification:factcheck-gpt/heldback"),),
    "verification-perturbations": (_t("verification:perturbations/dev"),),
    "retrieval-checkcovid": (_t("retrieval:check-covid/dev"),),
    "retrieval-climate": (_t("retrieval:climate-fever/heldback"),),
    "e2e-checkcovid": (_t("e2e:check-covid/dev"),),
    "e2e-climate": (_t("e2e:climate-fever/heldback"),),
    "extraction-factcheckgpt": (_t("extraction:factcheck-gpt/all"),),
    "checkworthiness-factcheckgpt": (_t("checkworthiness:factcheck-gpt/all"),),
    "checkworthiness-ct19": (_t("checkworthiness:ct19/train"),),
}
SUITES["verification-all"] = tuple(
    t for name, tasks in SUITES.items() if name.startswith("verification-") for t in tasks
)
SUITES["retrieval-all"] = SUITES["retrieval-checkcovid"] + SUITES["retrieval-climate"]

SUITE_HELP: dict[str, str] = {
    "smoke": "every stage on the committed smoke files (seconds with the fake model)",
    "verification-fever": "verification given gold evidence, FEVER-Symmetric dev (708)",
    "verification-checkcovid": "verification given the gold rationale, Check-COVID dev (207)",
    "verification-climate": "verification given 5 evidence sentences, Climate-FEVER claims "
    "held back from NLI training (236 of the 769 dev claims)",
    "verification-factcheckgpt": "claim-evidence stance, Factcheck-GPT documents held back from "
    "NLI training (955 of 3,305 pairs)",
    "verification-perturbations": "SUPPORTED dev claims and copies with a number/date changed "
    "so the gold evidence refutes them",
    "retrieval-checkcovid": "claim → abstract, dense / BM25 / hybrid (+ re-rank), Check-COVID "
    "dev (207)",
    "retrieval-climate": "claim → evidence sentence among 2,945, Climate-FEVER claims held back "
    "from the NLI and retrieval models' training (236 of the 769 dev claims)",
    "e2e-checkcovid": "retrieve from the 347 abstracts, then verify, Check-COVID dev",
    "e2e-climate": "retrieve from the 2,945 sentences, then verify, Climate-FEVER held-back (236)",
    "extraction-factcheckgpt": "claims from 94 documents vs gold decontextualised claims",
    "checkworthiness-factcheckgpt": "sentence check-worthiness from extractor scores (311)",
    "checkworthiness-ct19": "debate-line check-worthiness, CheckThat! 2019 (16,421)",
    "verification-all": "all verification tasks",
    "retrieval-all": "both retrieval tasks",
}


def suite_tasks(suite: str) -> tuple[Task, ...]:
    """The tasks of a named suite, or of a comma-separated list of task names."""
    if suite in SUITES:
        return SUITES[suite]
    if ":" in suite:
        return tuple(Task.parse(name.strip()) for name in suite.split(",") if name.strip())
    raise DatasetError(f"unknown suite {suite!r}; suites: {', '.join(SUITES)}")


def dataset_tasks(stages: str, paths: Sequence[Path]) -> tuple[Task, ...]:
    """Tasks over datasets of your own (`factcheck eval STAGES --dataset PATH`): `stages` is a
    stage, a comma-separated list of stages, or `all` (every stage the files allow). Each
    dataset is named by its absolute path (see `datasets.register_external`)."""
    wanted = [s.strip() for s in stages.split(",") if s.strip()]
    everything = wanted == ["all"]
    if everything:
        wanted = list(STAGES)
    unknown = [s for s in wanted if s not in STAGES]
    if unknown:
        raise DatasetError(
            f"with --dataset, SUITE is a stage, a comma-separated list of stages or `all`; "
            f"unknown: {', '.join(unknown)} (stages: {', '.join(STAGES)})"
        )
    tasks: list[Task] = []
    for path in paths:
        for stage in wanted:
            kind = "retrieval" if stage in ("retrieval", "e2e") else stage
            try:
                name, splits = register_external(path, kind)  # type: ignore[arg-type]
            except DatasetError:
                if everything:
                    continue
                raise
            tasks += [Task(stage, name, split) for split in splits]  # type: ignore[arg-type]
    if not tasks:
        raise DatasetError(f"no {stages} cases in {', '.join(str(p) for p in paths)}")
    return tuple(tasks)


def load_cases(task: Task) -> Sequence[object]:
    """All cases of a task, in file order."""
    loaders = {
        "verification": load_verification,
        "retrieval": load_retrieval,
        "e2e": load_retrieval,
        "extraction": load_extraction,
        "checkworthiness": load_checkworthiness,
    }
    return loaders[task.stage](task.dataset, task.split)


def sample(cases: Sequence[object], limit: int | None, seed: int) -> list[object]:
    """`limit` cases drawn with `random.Random(seed)`, kept in their original order."""
    if limit is None or limit >= len(cases):
        return list(cases)
    if limit < 1:
        raise ValueError(f"--limit must be at least 1, got {limit}")
    chosen = sorted(random.Random(seed).sample(range(len(cases)), limit))
    return [cases[i] for i in chosen]
