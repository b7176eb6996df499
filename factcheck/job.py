"""`factcheck run`: one job from article inputs to a run folder (results, reports, summary)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path

from rich.table import Table

from factcheck import __version__
from factcheck.batching import BatchingLLM, BatchMode
from factcheck.config import Settings
from factcheck.errors import FactcheckError, RunInterrupted
from factcheck.llm import StructuredLLM
from factcheck.models import ClaimResult, RunHeader
from factcheck.pipeline import item_id_of
from factcheck.pricing import Price, cost_usd, load_price_table, price_for
from factcheck.report import IndexedRun, write_markdown_report
from factcheck.report_html import write_html_report
from factcheck.runs import BlockWriter, Budget, RunDirectory, in_shard, summarize
from factcheck.terminal import EXIT_OK, EXIT_PARTIAL, console, exit_code, out, progress_bar


def run_job(
    settings: Settings,
    paths: list[Path],
    run_dir: Path,
    *,
    resume: bool = False,
    budget: Budget | None = None,
    shard: tuple[int, int] | None = None,
    quiet: bool = False,
    batch: BatchMode | None = None,
) -> int:
    """Run the pipeline over articles into `run_dir`, resuming it if asked; returns exit code.

    With `batch`, the LLM calls go out as OpenAI batches (`factcheck.batching`)."""
    from factcheck.app import build_app
    from factcheck.inputs import read_articles

    runs = RunDirectory(run_dir)
    state = runs.scan() if resume else None
    if state is not None and state.finished:
        console.print(f"{runs.results} is already finished: nothing to do.")
        return EXIT_OK
    if state is not None and state.dropped_bytes:
        console.print(
            f"Dropped an incomplete final block ({state.dropped_bytes} bytes); its "
            "item will be redone."
        )
    if not resume and runs.results.exists():
        raise FactcheckError(
            f"{runs.results} exists: use --resume {run_dir} to continue that "
            "run, or choose another --out folder"
        )
    if batch is None:
        application = build_app(settings)
    else:
        from factcheck.batching import batching_llm

        batcher = batching_llm(settings, runs.path / "batches", batch)
        application = build_app(settings, llm=batcher, concurrency=batch.window)
    pipeline = application.pipeline
    price = (
        price_for(settings.model, load_price_table(settings.price_table))
        if (settings.resolved_backend() == "openai")
        else Price(0.0, 0.0)
    )
    budget = budget or Budget()

    def spent() -> tuple[int, float | None]:
        usage = application.llm.totals  # live: counts calls as they finish
        return usage.billable_tokens, cost_usd(usage, price)

    header = (
        state.header
        if state and state.header
        else RunHeader(
            run_id=run_dir.name,
            started_at=datetime.now(UTC),
            factcheck_version=__version__,
            config=settings.public_dict()
            | {
                "model_display": application.llm.model_name,
                "store": application.store.describe(),
                "inputs": [str(p.resolve()) for p in paths],
            },
            prompt_hashes=pipeline.prompt_hashes(),
        )
    )
    if state is not None and header.prompt_hashes != pipeline.prompt_hashes():
        console.print(
            "[yellow]The prompts changed since this run started; results will mix "
            "prompt versions (each result records its own hashes).[/yellow]"
        )
    clock = time.perf_counter()
    with BlockWriter(runs.results) as writer, progress_bar() as progress:
        if state is None or state.header is None:
            writer.write_line(header)
        task = progress.add_task("checking", total=None, detail="")

        def show() -> None:
            s = pipeline.stats
            tokens, cost = spent()
            rate = s.results / max(1e-9, time.perf_counter() - clock)
            progress.update(
                task,
                completed=s.articles + s.skipped,
                detail=(
                    f"{s.articles} articles · {s.claims} claims · {rate:.2f} claims/s · "
                    f"{application.llm.totals.calls} LLM calls · {tokens} tokens"
                    + (f" · ${cost:.4f}" if cost else "")
                    + f" · {s.errors} errors"
                    + _batch_progress(application.llm)
                ),
            )

        async def tick() -> None:
            while True:
                show()
                await asyncio.sleep(1.0)

        async def consume() -> None:
            skip = state.done if state else set()
            stop = lambda: budget.exceeded(*spent())  # noqa: E731
            items = read_articles(paths)
            if shard is not None:
                items = (i for i in items if in_shard(item_id_of(i), shard))
            ticker = asyncio.create_task(tick())
            try:
                async for block in pipeline.run(items, skip=skip, should_stop=stop):
                    writer.write_block(block)
                    for record in block.records:
                        if not isinstance(record, ClaimResult):
                            console.print(
                                f"[red]{record.stage} error[/red] {record.item_id}: "
                                f"{record.message[:300]}"
                            )
                    show()
            finally:
                ticker.cancel()

        try:
            asyncio.run(consume())
        except RunInterrupted as stop:
            console.print(f"[yellow]Interrupted:[/yellow] {stop}")
            return EXIT_PARTIAL
        stats = pipeline.stats
        if stats.stopped:
            console.print(
                f"[yellow]Stopped early: {stats.stopped}.[/yellow] Continue later with "
                f"`factcheck run --resume {run_dir}`."
            )
        else:
            writer.write_line(
                summarize(
                    header.run_id,
                    runs.results,
                    wall_seconds=time.perf_counter() - clock,
                    price=price,
                    stopped=None,
                    skipped=stats.skipped,
                    deduplicated=stats.deduplicated,
                )
            )
    # Reports are rendered from an index of the file, an article at a time: a long run's
    # results are never all in memory at once.
    run = IndexedRun(runs.results)
    write_markdown_report(run, run_dir / "report.md")
    write_html_report(run, run_dir / "report.html")
    if not quiet:
        print_summary(run_dir, run)
    if stats.stopped:
        return EXIT_PARTIAL
    return exit_code(sum(run.verdict_counts().values()), len(run.errors))


def _batch_progress(llm: StructuredLLM) -> str:
    """Batch counts for the progress line (empty unless the run uses the Batch API)."""
    if not isinstance(llm, BatchingLLM):
        return ""
    stats = llm.stats
    return (
        f" · {stats.batches} batches ({stats.from_batch} replies, {stats.fallback} live fallbacks)"
    )


SUMMARY_TABLE_ROWS = 50
"""Claims listed by `print_summary`; the reports have them all."""


def print_summary(run_dir: Path, run: IndexedRun | None = None) -> None:
    """A short table of the run's verdicts (the first claims, by article and position) and
    where its files are."""
    run = run or IndexedRun(run_dir / "results.jsonl")
    table = Table("result", "claim", "speaker", "verdict", "conf.", "by", title="Verdicts")
    total, shown = sum(run.verdict_counts().values()), 0
    for article_id in sorted(run.result_article_ids()):
        if shown == SUMMARY_TABLE_ROWS:
            break
        for r in sorted(run.results_of(article_id), key=lambda r: r.claim.start)[
            : SUMMARY_TABLE_ROWS - shown
        ]:
            shown += 1
            table.add_row(
                r.id[:8],
                r.claim.text[:110],
                r.claim.speaker or "—",
                r.verdict.value,
                f"{r.confidence:.2f}",
                r.verifier,
            )
    if total > shown:
        table.caption = f"the first {shown} of {total} claims; report.md has them all"
    out.print(table)
    summary = run.summary
    if summary:
        u = summary.usage
        per_claim = summary.cost_per_claim_usd
        cost = (
            f", ${summary.cost_usd:.4f} (${per_claim:.5f} per claim)"
            if summary.cost_usd and per_claim is not None
            else ""
        )
        out.print(
            f"{summary.articles} articles, {summary.claims} claims, {summary.results} "
            f"results, {summary.errors} errors; {u.calls} LLM calls ({u.reasks} re-asks; SDK "
            f"retries: {u.retried_429} after 429, {u.retried_5xx} after 5xx, {u.timeouts} "
            f"timeouts), {u.prompt_tokens + u.completion_tokens} tokens"
            + (f" ({u.cache_hits} calls answered from the LLM cache)" if u.cache_hits else "")
            + f"{cost}, "
            f"{summary.wall_seconds:.1f} s."
        )
    out.print(f"Results: {run_dir / 'results.jsonl'}\nReport:  {run_dir / 'report.md'}")
    out.print(f"HTML:    {run_dir / 'report.html'}")
    out.print("Audit one result: factcheck show RESULT")
