"""Run a suite: settings → `build_app` (the CLI's own wiring) → stage tasks → a run file.

    run = run_suite(EvalOptions("smoke", backend="fake"))
    write_run(Path("evals/runs/smoke.jsonl"), run)

The LLM response cache (`factcheck/cache.py`) makes re-runs cheap: an unchanged suite makes no
model calls, and a changed prompt re-runs only the stages that render it. Dataset corpora are
embedded once into a store cache (`factcheck/evals/corpora.py`).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import subprocess
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import chromadb
import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction
from langchain_core.language_models import BaseChatModel

from factcheck import __version__
from factcheck.app import build_app, make_embedder, make_reranker, store_settings
from factcheck.config import Settings, load_settings
from factcheck.evals.corpora import CorpusStores
from factcheck.evals.datasets import REPO_ROOT, dataset_slug
from factcheck.evals.matching import Embed
from factcheck.evals.records import CaseRecord, EvalRun, RunSpec, RunSummaryLine, TaskSummary
from factcheck.evals.scoring import summarize, total_usage
from factcheck.evals.stages import RETRIEVAL_DEPTH, EvalContext, run_task
from factcheck.evals.suites import Task, dataset_tasks, load_cases, sample, suite_tasks
from factcheck.llm.cache import SQLiteLLMCache
from factcheck.retrieval.embeddings import embedder_label
from factcheck.retrieval.store import ReferenceStore

RUNS_DIR = REPO_ROOT / "evals" / "runs"
CACHE_DIR = RUNS_DIR / ".cache"
DEFAULT_LLM_CACHE = CACHE_DIR / "llm.sqlite"


@dataclass
class EvalOptions:
    """What to run and how. `backend=None` keeps the configured (`FACTCHECK_LLM_BACKEND`) one."""

    suite: str
    backend: str | None = "fake"
    limit: int | None = None
    seed: int = 0
    prompts_dir: Path | None = None
    prompt_overrides: dict[str, Path] = field(default_factory=dict)
    llm_cache: Path | None = DEFAULT_LLM_CACHE
    cache_dir: Path = CACHE_DIR
    label: str = "candidate"
    case_ids: dict[str, set[str]] | None = None
    """Restrict each task to these case ids (to pair with a baseline run)."""
    command: str | None = None
    datasets: list[Path] = field(default_factory=list)
    """Datasets of your own (`--dataset PATH`): then `suite` names the stages to run on them."""

    def tasks(self) -> tuple[Task, ...]:
        """The tasks to run: a named suite's, or the stages over `datasets`."""
        if self.datasets:
            return dataset_tasks(self.suite, self.datasets)
        return suite_tasks(self.suite)

    def suite_label(self) -> str:
        """The suite as reports name it: with datasets of your own, their paths too."""
        if not self.datasets:
            return self.suite
        paths = ", ".join(str(Path(p).expanduser().resolve()) for p in self.datasets)
        return f"{self.suite} --dataset {paths}"

    def run_name(self) -> str:
        """The start of the run id (no path separators)."""
        name = self.suite
        if self.datasets:
            slugs = (dataset_slug(str(Path(p).expanduser().resolve())) for p in self.datasets)
            name = f"{name}-{'+'.join(slugs)}"
        return name.replace(",", "+").replace(":", "_").replace("/", "_")


def eval_settings(options: EvalOptions, base: Settings | None = None) -> Settings:
    """The pipeline settings for an eval run: backend, prompts and LLM cache from `options`."""
    settings = base if base is not None else load_settings()
    updates: dict[str, object] = {"llm_cache": options.llm_cache}
    if options.backend:
        updates["llm_backend"] = options.backend
    if options.prompts_dir is not None:
        updates["prompts_dir"] = options.prompts_dir
    return settings.model_copy(update=updates).for_backend()


def show_path(path: Path) -> str:
    """A path relative to the repository when inside it (run files get committed)."""
    resolved = Path(path).resolve()
    return str(resolved.relative_to(REPO_ROOT)) if resolved.is_relative_to(REPO_ROOT) else str(path)


def git_commit() -> str | None:
    """The checkout's commit (with `+dirty` when it has uncommitted changes), if known."""
    try:
        head = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{head}+dirty" if dirty else head


def _embed_function(embedder: EmbeddingFunction[Documents]) -> Embed:
    """Texts → vectors through the embedder's `embed` if it has one, else its `__call__`."""
    embed = getattr(embedder, "embed", None)
    if callable(embed):
        return embed  # type: ignore[no-any-return]
    return lambda texts: np.asarray(embedder(list(texts)), dtype=np.float32)


def _placeholder_store(
    settings: Settings, embedder: EmbeddingFunction[Documents]
) -> ReferenceStore:
    """An empty in-memory store for `build_app`: stages open their own corpus stores.

    Ephemeral clients share one in-memory system per process, so the collection is named
    after the embedder (a collection refuses to reopen with another embedder).
    """
    client = chromadb.EphemeralClient(settings=chromadb.Settings(anonymized_telemetry=False))
    identity = json.dumps([embedder.name(), embedder.get_config()], sort_keys=True, default=str)
    name = f"eval-unused-{hashlib.sha256(identity.encode()).hexdigest()[:12]}"
    unused = settings.model_copy(update={"collection": name, "chroma_host": None})
    return ReferenceStore.open(store_settings(unused), embedder, client=client)


def _spec(
    options: EvalOptions, settings: Settings, ctx: EvalContext, counts: dict[str, int]
) -> RunSpec:
    app = ctx.app
    started = datetime.now(UTC)
    return RunSpec(
        run_id=f"{options.run_name()}-{options.label}-{started.strftime('%Y%m%dT%H%M%S%fZ')}",
        label=options.label,
        suite=options.suite_label(),
        datasets=[str(Path(p).expanduser().resolve()) for p in options.datasets],
        tasks=list(counts),
        case_counts=counts,
        limit=options.limit,
        seed=options.seed,
        backend=settings.resolved_backend(),
        model=app.llm.model_name,
        verifier=settings.verifier,
        model_params=app.llm.describe(),
        prompt_hashes=app.prompts.hashes(),
        prompt_dirs={
            step: show_path(options.prompt_overrides.get(step, settings.prompts_dir))
            for step in app.prompts.hashes()
        },
        embedder=embedder_label(ctx.corpora.embedder),
        retrieval={
            "top_k": settings.top_k,
            "candidates": settings.candidates,
            "rrf_k": settings.rrf_k,
            "relevance_threshold": settings.resolved_relevance_threshold(),
            "chunk_size": settings.chunk_size,
            "chunk_overlap": settings.chunk_overlap,
            "chunk_title": settings.chunk_title,
            "fusion": settings.fusion,
            "dense_weight": settings.dense_weight,
            "retrieval_stage_depth": RETRIEVAL_DEPTH,
            "reranker": ctx.corpora.reranker.name if ctx.corpora.reranker else None,
            "rerank_depth": ctx.corpora.reranker.depth if ctx.corpora.reranker else None,
            "rerank_weight": ctx.corpora.reranker.weight if ctx.corpora.reranker else None,
        },
        extraction=asdict(app.pipeline.extractor.settings),
        llm_cache=show_path(settings.llm_cache) if settings.llm_cache else None,
        factcheck_version=__version__,
        git_commit=git_commit(),
        command=options.command,
        started_at=started,
    )


async def run_suite_async(
    options: EvalOptions,
    *,
    settings: Settings | None = None,
    chat_model: BaseChatModel | None = None,
    embedder: EmbeddingFunction[Documents] | None = None,
    progress: Callable[[str], None] | None = None,
) -> EvalRun:
    """Run every task of the suite. `chat_model` / `embedder` replace the configured ones
    (tests); `progress` receives one line per task started and finished."""
    clock = time.perf_counter()
    tasks = options.tasks()
    settings = eval_settings(options, settings)
    if chat_model is not None and settings.llm_cache and chat_model.cache is None:
        chat_model.cache = SQLiteLLMCache(settings.llm_cache)
    embedder = embedder or make_embedder(settings)
    app = build_app(
        settings,
        chat_model=chat_model,
        store=_placeholder_store(settings, embedder),
        prompt_overrides=options.prompt_overrides,
    )
    ctx = EvalContext(
        app=app,
        corpora=CorpusStores(settings, embedder, options.cache_dir, make_reranker(settings)),
        embed=_embed_function(embedder),
        max_cases_in_flight=max(2, settings.concurrency * 2),
    )
    selected = {}
    for task in tasks:
        cases = sample(load_cases(task), options.limit, options.seed)
        if options.case_ids is not None and task.name in options.case_ids:
            wanted = options.case_ids[task.name]
            cases = [c for c in cases if getattr(c, "id", None) in wanted]
        selected[task] = cases
    spec = _spec(options, settings, ctx, {t.name: len(c) for t, c in selected.items()})
    records: list[CaseRecord] = []
    summaries: list[TaskSummary] = []
    for task, cases in selected.items():
        if progress:
            progress(f"{options.label}: {task.name}: {len(cases)} cases …")
        started = time.perf_counter()
        task_records = await run_task(ctx, task, cases)
        summary = summarize(task, task_records, time.perf_counter() - started)
        summaries.append(summary)
        records.extend(task_records)
        if progress:
            u = summary.usage
            progress(
                f"{options.label}: {task.name}: done in {summary.wall_seconds:.1f} s "
                f"({u.model_calls} model calls, {u.cache_hits} cache hits)"
            )
    summary = RunSummaryLine(
        run_id=spec.run_id,
        finished_at=datetime.now(UTC),
        tasks=summaries,
        usage=total_usage(records),
        wall_seconds=round(time.perf_counter() - clock, 3),
        stores=ctx.corpora.built,
    )
    return EvalRun(spec, records, summary)


def run_suite(
    options: EvalOptions,
    *,
    settings: Settings | None = None,
    chat_model: BaseChatModel | None = None,
    embedder: EmbeddingFunction[Documents] | None = None,
    progress: Callable[[str], None] | None = None,
) -> EvalRun:
    """Synchronous `run_suite_async`."""
    return asyncio.run(
        run_suite_async(
            options, settings=settings, chat_model=chat_model, embedder=embedder, progress=progress
        )
    )
