"""The lines of an eval run file (JSONL): one spec line, one line per case, one summary line.

Case lines are keyed by `(task, case_id)`, never by claim text. `text` (the claim, sentence or
document start) is kept only for datasets whose data may be committed, so a run file of
Climate-FEVER or CheckThat! 2019 holds ids and scores but none of their text.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, Field, TypeAdapter

from factcheck.evals.datasets import DatasetError

RERANKED = "hybrid+rerank"
"""Retrieval mode key of the hybrid ranking with the re-ranker applied (recorded when the
store has one)."""

Stage = Literal["verification", "retrieval", "e2e", "extraction", "checkworthiness"]
ERROR_LABEL = "ERROR"
"""The prediction recorded for a case whose pipeline call failed: it counts as wrong."""


class CaseUsage(BaseModel):
    """LLM usage of one case. `calls` counts every request, answered by the model or the cache;
    tokens include cache hits (LangChain reports the stored usage on a hit)."""

    calls: int = 0
    cache_hits: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_prompt_tokens: int = 0
    cached_completion_tokens: int = 0
    reasks: int = 0

    @property
    def model_calls(self) -> int:
        """Requests that reached the model (not answered from the cache)."""
        return max(0, self.calls - self.cache_hits)

    def add(self, other: CaseUsage) -> None:
        """Accumulate another usage into this one."""
        for name in type(self).model_fields:
            setattr(self, name, getattr(self, name) + getattr(other, name))


class ExtractionDetail(BaseModel):
    """What the extractor produced for one document and how it matched the gold claims."""

    emitted: int = Field(default=0, description="Claims the extractor emitted.")
    extracted: list[str] = Field(
        default_factory=list, description="Their texts (empty for uncommittable datasets)."
    )
    matches: list[tuple[int, int, float]] = Field(
        default_factory=list, description="(extracted index, gold index, cosine) pairs."
    )
    gold_total: int = 0
    gold_checkworthy: int = 0
    gold_matched: int = Field(default=0, description="Check-worthy gold claims matched.")
    extracted_matched: int = Field(default=0, description="Extracted claims matching any gold.")
    proposed: int = Field(default=0, description="Claims the model proposed.")
    anchored: int = Field(default=0, description="Proposed claims whose quote was located.")
    repaired: int = Field(default=0, description="Anchored by repair to the closest sentence.")
    below_threshold: int = 0


class RunSpec(BaseModel):
    """First line: everything needed to reproduce the run."""

    type: Literal["spec"] = "spec"
    run_id: str
    label: str = "candidate"
    suite: str
    datasets: list[str] = Field(
        default_factory=list,
        description="Absolute paths of datasets of your own (`--dataset`); their tasks are "
        "named by these paths.",
    )
    tasks: list[str]
    case_counts: dict[str, int] = Field(default_factory=dict)
    limit: int | None = None
    seed: int = 0
    backend: str
    model: str
    verifier: str | None = None
    """Who gives verdicts: `llm`, `nli` or `cascade` (None in runs written before it was kept)."""
    model_params: dict[str, object] = Field(default_factory=dict)
    prompt_hashes: dict[str, str] = Field(default_factory=dict)
    prompt_dirs: dict[str, str] = Field(default_factory=dict)
    embedder: str | None = None
    retrieval: dict[str, object] = Field(default_factory=dict)
    extraction: dict[str, object] = Field(default_factory=dict)
    llm_cache: str | None = None
    factcheck_version: str
    git_commit: str | None = None
    command: str | None = None
    started_at: datetime


class CaseRecord(BaseModel):
    """One case of one task. Which optional fields are set depends on the stage."""

    type: Literal["case"] = "case"
    task: str
    stage: Stage
    dataset: str
    case_id: str
    text: str | None = None
    gold: str | None = None
    pred: str | None = None
    correct: bool | None = None
    scorable: bool = True
    confidence: float | None = None
    score: float | None = Field(default=None, description="Check-worthiness score.")
    error: str | None = None
    cited_ids: list[str] = Field(default_factory=list)
    gold_ids: list[str] = Field(default_factory=list)
    citations: int = 0
    rejected_citations: int = 0
    retrieved: dict[str, list[str]] = Field(
        default_factory=dict, description="Ranked document ids per retrieval mode."
    )
    gold_docs: list[str] = Field(default_factory=list)
    extraction: ExtractionDetail | None = None
    usage: CaseUsage = Field(default_factory=CaseUsage)
    seconds: float = 0.0
    prompt_hashes: dict[str, str] = Field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str]:
        """`(task, case_id)`: how cases are paired across runs."""
        return (self.task, self.case_id)


class TaskSummary(BaseModel):
    """Metrics of one task, its cost, and what the plots need."""

    task: str
    stage: Stage
    dataset: str
    cases: int
    metrics: dict[str, float | None] = Field(default_factory=dict)
    confusion: dict[str, dict[str, int]] | None = None
    reliability: list[tuple[float, float, int]] | None = Field(
        default=None, description="(mean confidence, accuracy, count) per non-empty bin."
    )
    risk_coverage: list[tuple[float, float, float | None, int]] | None = Field(
        default=None,
        description="(confidence threshold, coverage, precision of committed verdicts, n) per "
        "threshold (`metrics.risk_coverage`).",
    )
    usage: CaseUsage = Field(default_factory=CaseUsage)
    wall_seconds: float = 0.0
    prompt_hashes: dict[str, str] = Field(default_factory=dict)


class RunSummaryLine(BaseModel):
    """Last line: per-task metrics and the run's totals."""

    type: Literal["summary"] = "summary"
    run_id: str
    finished_at: datetime
    tasks: list[TaskSummary]
    usage: CaseUsage = Field(default_factory=CaseUsage)
    wall_seconds: float = 0.0
    stores: dict[str, dict[str, object]] = Field(
        default_factory=dict,
        description="Corpus stores used: chunks, fingerprint, whether ingested in this run.",
    )


RunLine = Annotated[RunSpec | CaseRecord | RunSummaryLine, Field(discriminator="type")]
_LINE = TypeAdapter(RunLine)


@dataclass
class EvalRun:
    """A whole run: spec, cases (in task order) and summary."""

    spec: RunSpec
    cases: list[CaseRecord] = field(default_factory=list)
    summary: RunSummaryLine | None = None

    def by_task(self) -> dict[str, list[CaseRecord]]:
        """Cases grouped by task, in the spec's task order."""
        groups: dict[str, list[CaseRecord]] = {task: [] for task in self.spec.tasks}
        for case in self.cases:
            groups.setdefault(case.task, []).append(case)
        return groups

    def task_summary(self, task: str) -> TaskSummary | None:
        """The summary of one task, if the run has it."""
        if self.summary is None:
            return None
        return next((t for t in self.summary.tasks if t.task == task), None)


def write_run(path: Path, run: EvalRun) -> None:
    """Write a run as JSONL (spec, cases, summary), leaving out fields at their defaults."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines: list[RunSpec | CaseRecord | RunSummaryLine] = [
        run.spec,
        *run.cases,
        *([run.summary] if run.summary else []),
    ]
    with path.open("w", encoding="utf-8") as fh:
        for line in lines:
            # Defaults are left out to keep run files small; `type` is the line's tag.
            data = {"type": line.type, **line.model_dump(mode="json", exclude_defaults=True)}
            fh.write(json.dumps(data, ensure_ascii=False) + "\n")


def iter_run_lines(path: Path) -> Iterator[RunSpec | CaseRecord | RunSummaryLine]:
    """Parse a run file line by line; errors name the file and line."""
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if line.strip():
                try:
                    yield _LINE.validate_json(line)
                except ValueError as exc:
                    raise DatasetError(f"{path}:{number}: not an eval run line: {exc}") from exc


def read_run(path: Path) -> EvalRun:
    """Read a run file written by `write_run`."""
    spec: RunSpec | None = None
    cases: list[CaseRecord] = []
    summary: RunSummaryLine | None = None
    for line in iter_run_lines(path):
        if isinstance(line, RunSpec):
            spec = line
        elif isinstance(line, CaseRecord):
            cases.append(line)
        else:
            summary = line
    if spec is None:
        raise DatasetError(f"{path}: no spec line; is this an eval run file?")
    return EvalRun(spec, cases, summary)
