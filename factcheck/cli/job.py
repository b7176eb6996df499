"""The `run` job as a UI-free service: article inputs to a run folder (results, reports,
summary), resumable, with budgets, shards and batch mode. The terminal side is `cli.run`."""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from factcheck import __version__
from factcheck.app import App
from factcheck.errors import FactcheckError, RunInterrupted
from factcheck.io.fetch import FetchSettings, is_url
from factcheck.io.results import (
    BlockWriter,
    IndexedRun,
    ResumeState,
    RunDirectory,
    iter_lines,
)
from factcheck.llm.pricing import Price, cost_usd
from factcheck.models import (
    ClaimResult,
    ErrorRecord,
    ItemDone,
    RunHeader,
    RunSummary,
    Usage,
)
from factcheck.pipeline import RunStats, item_id_of
from factcheck.reports.html import write_html_report
from factcheck.reports.markdown import write_markdown_report
from factcheck.reports.reviewed import HumanVerdict


class RunEvents(Protocol):
    """What a front end hears from a running job (the CLI draws a progress bar from it)."""

    def notice(self, message: str) -> None:
        """Something the user should know (a dropped torn block, changed prompts)."""

    def progress(self, stats: RunStats, tokens: int, cost: float | None) -> None:
        """Called after each finished item and about once a second."""

    def item_error(self, record: ErrorRecord) -> None:
        """An item or claim failed (recorded in the results file; the run goes on)."""


class QuietEvents:
    """Events that go nowhere (scripts, notebooks, tests)."""

    def notice(self, message: str) -> None:
        """Ignored."""

    def progress(self, stats: RunStats, tokens: int, cost: float | None) -> None:
        """Ignored."""

    def item_error(self, record: ErrorRecord) -> None:
        """Ignored."""


@dataclass
class RunOutcome:
    """How a job ended and where its files are."""

    run_dir: Path
    already_finished: bool = False
    stopped: str | None = None
    """Why a budget stopped the run early (resumable), else None."""
    interrupted: str | None = None
    """Why the run was interrupted resumably (e.g. a batch still running), else None."""
    results: int = 0
    errors: int = 0
    summary: RunSummary | None = None
    index: IndexedRun | None = field(default=None, repr=False)

    @property
    def results_path(self) -> Path:
        """The run's results file."""
        return RunDirectory(self.run_dir).results


def describe_store(app: App) -> dict[str, object]:
    """What the run header records of the store (a bare retriever has no description)."""
    describe = getattr(app.store, "describe", None)
    return describe() if callable(describe) else {"retriever": type(app.store).__name__}


def check_new_run(run_dir: Path, *, resume: bool) -> None:
    """Raise `FactcheckError` when `run_dir` already holds a run and `resume` is not set
    (callers check before building an app, which is slow; `run_job` checks again)."""
    results = RunDirectory(run_dir).results
    if not resume and results.exists():
        raise FactcheckError(
            f"{results} exists: use --resume {run_dir} to continue that run, or choose "
            "another --out folder"
        )


def run_job(
    app: App,
    paths: Sequence[str | Path],
    run_dir: Path,
    *,
    price: Price,
    resume: bool = False,
    budget: Budget | None = None,
    shard: tuple[int, int] | None = None,
    header_config: dict[str, object] | None = None,
    events: RunEvents | None = None,
    max_input_bytes: int | None = None,
    fetch: FetchSettings | None = None,
) -> RunOutcome:
    """Run the pipeline of `app` over the articles in `paths` into `run_dir` (resuming it if
    asked), then write its reports. Never prints: progress and notices go to `events`.

    Raises `FactcheckError` when `run_dir` already holds a run and `resume` is not set."""
    from factcheck.io.inputs import read_articles

    events = events or QuietEvents()
    runs = RunDirectory(run_dir)
    state = open_run(run_dir, resume=resume, events=events)
    if state is not None and state.finished:
        return RunOutcome(run_dir, already_finished=True)
    pipeline = app.pipeline
    budget = budget or Budget()

    def spent() -> tuple[int, float | None]:
        usage = app.llm.totals  # live: counts calls as they finish
        return usage.billable_tokens, cost_usd(usage, price)

    header = run_header(
        run_dir,
        state,
        (header_config or {})
        | {
            "model_display": app.llm.model_name,
            "store": describe_store(app),
            "inputs": input_names(paths),
        },
        pipeline.prompt_hashes(),
        events,
    )
    clock = time.perf_counter()
    outcome = RunOutcome(run_dir)
    with BlockWriter(runs.results) as writer:
        if state is None or state.header is None:
            writer.write_line(header)

        def report_progress() -> None:
            events.progress(pipeline.stats, *spent())

        async def tick() -> None:
            while True:
                report_progress()
                await asyncio.sleep(1.0)

        async def consume() -> None:
            skip = state.done if state else set()
            items: Iterable = read_articles(
                list(paths),
                fetch=fetch,
                **({"max_bytes": max_input_bytes} if max_input_bytes else {}),
            )
            if shard is not None:
                items = (i for i in items if in_shard(item_id_of(i), shard))
            ticker = asyncio.create_task(tick())
            try:
                async for block in pipeline.run(
                    items, skip=skip, should_stop=lambda: budget.exceeded(*spent())
                ):
                    writer.write_block(block)
                    for record in block.records:
                        if isinstance(record, ErrorRecord):
                            events.item_error(record)
                    report_progress()
            finally:
                ticker.cancel()

        try:
            asyncio.run(consume())
        except RunInterrupted as stop:
            outcome.interrupted = str(stop)
            return outcome
        outcome.stopped = pipeline.stats.stopped
        if outcome.stopped is None:
            outcome.summary = summarize(
                header.run_id,
                runs.results,
                wall_seconds=time.perf_counter() - clock,
                price=price,
                stopped=None,
                skipped=pipeline.stats.skipped,
                deduplicated=pipeline.stats.deduplicated,
            )
            writer.write_line(outcome.summary)
    return write_reports(outcome)


def open_run(run_dir: Path, *, resume: bool, events: RunEvents) -> ResumeState | None:
    """The state of the run being resumed (its file cut back to the last whole block), or None
    for a new run. Raises `FactcheckError` when `run_dir` holds a run and `resume` is not set."""
    state = RunDirectory(run_dir).scan() if resume else None
    if state is not None and state.dropped_bytes and not state.finished:
        events.notice(
            f"Dropped an incomplete final block ({state.dropped_bytes} bytes); its "
            "item will be redone."
        )
    check_new_run(run_dir, resume=resume)
    return state


def input_names(paths: Sequence[str | Path]) -> list[str]:
    """The run's inputs as its header records them: URLs as given, files as absolute paths."""
    return [str(p) if is_url(p) else str(Path(p).resolve()) for p in paths]


def run_header(
    run_dir: Path,
    state: ResumeState | None,
    config: dict[str, object],
    prompt_hashes: dict[str, str],
    events: RunEvents,
) -> RunHeader:
    """The header of a resumed run (with a notice when its prompts changed), else a new one."""
    if state is None or state.header is None:
        return RunHeader(
            run_id=run_dir.name,
            started_at=datetime.now(UTC),
            factcheck_version=__version__,
            config=config,
            prompt_hashes=prompt_hashes,
        )
    if state.header.prompt_hashes != prompt_hashes:
        events.notice(
            "The prompts changed since this run started; results will mix prompt versions "
            "(each result records its own hashes)."
        )
    return state.header


def write_reports(outcome: RunOutcome) -> RunOutcome:
    """Render the run's reports and fill in `outcome`'s counts and index.

    Reports are rendered from an index of the file, an article at a time: a long run's
    results are never all in memory at once."""
    results = outcome.results_path
    index = IndexedRun(results)
    reviews = existing_reviews(results)
    write_markdown_report(index, outcome.run_dir / "report.md", reviews=reviews)
    write_html_report(index, outcome.run_dir / "report.html", reviews=reviews)
    outcome.index = index
    outcome.results = sum(index.verdict_counts().values())
    outcome.errors = len(index.errors)
    return outcome


def existing_reviews(results: Path) -> dict[str, HumanVerdict] | None:
    """Reviews of the run's results when a review database exists beside the run (a resumed
    or re-reported run that people have started reviewing in `factcheck serve`)."""
    from factcheck.review.publish import human_verdicts, review_db_beside
    from factcheck.review.store import ReviewStore

    found = review_db_beside(results)
    return human_verdicts(ReviewStore(found)) if found else None


@dataclass(frozen=True)
class Budget:
    """Limits that stop a run cleanly (and resumably) once reached."""

    max_cost_usd: float | None = None
    max_tokens: int | None = None

    def exceeded(self, tokens: int, cost: float | None) -> str | None:
        """Why the budget is spent, or None."""
        if self.max_tokens is not None and tokens >= self.max_tokens:
            return f"token budget reached ({tokens} >= {self.max_tokens})"
        if self.max_cost_usd is not None and cost is not None and cost >= self.max_cost_usd:
            return f"cost budget reached (${cost:.4f} >= ${self.max_cost_usd})"
        return None


def summarize(
    run_id: str,
    results_path: Path,
    *,
    wall_seconds: float,
    price: Price | None,
    stopped: str | None,
    skipped: int,
    deduplicated: int,
) -> RunSummary:
    """The summary line of a whole run file, counted from its lines (all attempts) as they
    are read: nothing but the counts is kept, however long the run."""
    usage = Usage()
    done_ids: set[str] = set()
    input_errors: set[str] = set()
    verdicts: dict[str, int] = {}
    results = errors = claim_errors = 0
    for line in iter_lines(results_path):
        if isinstance(line, ItemDone):
            usage.add(line.usage)
            done_ids.add(line.item_id)
        elif isinstance(line, ClaimResult):
            results += 1
            verdicts[line.verdict.value] = verdicts.get(line.verdict.value, 0) + 1
        elif isinstance(line, ErrorRecord):
            errors += 1
            claim_errors += line.claim is not None
            if line.stage == "input":
                input_errors.add(line.item_id)
    return RunSummary(
        run_id=run_id,
        finished_at=datetime.now(UTC),
        articles=len(done_ids - input_errors),
        claims=results + claim_errors,
        results=results,
        errors=errors,
        verdicts=verdicts,
        usage=usage,
        cost_usd=cost_usd(usage, price),
        deduplicated=deduplicated,
        skipped=skipped,
        stopped=stopped,
        wall_seconds=round(wall_seconds, 3),
    )


def parse_shard(value: str) -> tuple[int, int]:
    """`"K/N"` → (K, N) with 0 ≤ K < N; raises ValueError with the expected form."""
    try:
        k, n = (int(part) for part in value.split("/"))
    except ValueError:
        raise ValueError(f"--shard {value!r}: expected K/N, e.g. 0/2") from None
    if not 0 <= k < n:
        raise ValueError(f"--shard {value!r}: need 0 <= K < N")
    return k, n


def in_shard(item_id: str, shard: tuple[int, int]) -> bool:
    """Whether an item belongs to shard K of N (stable hash of its id, same on every machine)."""
    k, n = shard
    return int(hashlib.sha256(item_id.encode("utf-8")).hexdigest(), 16) % n == k
