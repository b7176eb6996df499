"""`factcheck run` and `factcheck demo`: whole articles through the pipeline into a run folder,
with a progress bar and a summary table (the job itself is `cli.job`, free of UI)."""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import Progress, TaskID
from rich.table import Table

from factcheck.cli.cluster import ClusterOptions
from factcheck.cli.common import AsOf, check_inputs, cli_settings, fail, with_as_of
from factcheck.cli.job import Budget, RunOutcome, check_new_run, parse_shard, run_job
from factcheck.cli.terminal import (
    EXIT_OK,
    EXIT_PARTIAL,
    EXIT_USAGE,
    console,
    exit_code,
    out,
    progress_bar,
)
from factcheck.config import REPO_DIR, Settings
from factcheck.errors import AuthenticationFailed, FactcheckError
from factcheck.io.fetch import is_url
from factcheck.io.results import IndexedRun, RunDirectory
from factcheck.llm.batch.api import PollSettings
from factcheck.llm.batch.queue import BatchingLLM, BatchMode
from factcheck.llm.structured import StructuredLLM
from factcheck.models import ErrorRecord
from factcheck.pipeline import RunStats
from factcheck.verify.trends import TREND_RULE


class TerminalEvents:
    """Draws a running job on the terminal: progress line, notices, item errors."""

    def __init__(self, progress: Progress, llm: StructuredLLM | None = None) -> None:
        self._progress = progress
        self._llm = llm
        self._task: TaskID = progress.add_task("checking", total=None, detail="")
        self._clock = time.perf_counter()

    def notice(self, message: str) -> None:
        """Print a notice."""
        console.print(f"[yellow]{escape(message)}[/yellow]")

    def progress(self, stats: RunStats, tokens: int, cost: float | None) -> None:
        """Update the progress line."""
        rate = stats.results / max(1e-9, time.perf_counter() - self._clock)
        self._progress.update(
            self._task,
            completed=stats.articles + stats.skipped,
            detail=(
                f"{stats.articles} articles · {stats.claims} claims · {rate:.2f} claims/s · "
                f"{self._calls(stats)} LLM calls · {tokens} tokens"
                + (f" · ${cost:.4f}" if cost else "")
                + f" · {stats.errors} errors"
                + (_batch_progress(self._llm) if self._llm else "")
            ),
        )

    def _calls(self, stats: RunStats) -> int:
        """LLM calls so far: the local client's, or the cluster's as the job counts them."""
        return self._llm.totals.calls if self._llm is not None else stats.usage.calls

    def item_error(self, record: ErrorRecord) -> None:
        """Print an item's error."""
        console.print(
            f"[red]{record.stage} error[/red] {escape(record.item_id)}: "
            f"{escape(record.message[:300])}"
        )


def run_in_terminal(
    settings: Settings,
    paths: Sequence[str | Path],
    run_dir: Path,
    *,
    resume: bool = False,
    budget: Budget | None = None,
    shard: tuple[int, int] | None = None,
    batch: BatchMode | None = None,
    cluster: ClusterOptions | None = None,
    quiet: bool = False,
) -> int:
    """Build the app, run the job with a progress bar, print the summary; the exit code.
    With `cluster`, the job runs on a pool of Ray actors (`cli.cluster`)."""
    from factcheck.app import build_app, build_batch_app, fetch_settings, price_of

    check_new_run(run_dir, resume=resume)
    if cluster is not None:
        from factcheck.cli.cluster import run_cluster_job

        with progress_bar() as progress:
            outcome = run_cluster_job(
                settings,
                paths,
                run_dir,
                options=cluster,
                price=price_of(settings),
                resume=resume,
                budget=budget,
                shard=shard,
                header_config=settings.public_dict(),
                events=TerminalEvents(progress),
                fetch=fetch_settings(settings),
            )
        return finish(outcome, quiet=quiet)
    application = (
        build_app(settings)
        if batch is None
        else build_batch_app(settings, RunDirectory(run_dir).path / "batches", batch)
    )
    application.require_sources()
    with progress_bar() as progress:
        outcome = run_job(
            application,
            paths,
            run_dir,
            price=price_of(settings),
            resume=resume,
            budget=budget,
            shard=shard,
            header_config=settings.public_dict(),
            events=TerminalEvents(progress, application.llm),
            max_input_bytes=settings.max_input_bytes,
            fetch=fetch_settings(settings),
        )
    return finish(outcome, quiet=quiet)


def finish(outcome: RunOutcome, *, quiet: bool = False) -> int:
    """Say how the job ended; its exit code."""
    if outcome.already_finished:
        console.print(f"{outcome.results_path} is already finished: nothing to do.")
        return EXIT_OK
    if outcome.interrupted:
        console.print(f"[yellow]Interrupted:[/yellow] {escape(outcome.interrupted)}")
        return EXIT_PARTIAL
    if outcome.stopped:
        console.print(
            f"[yellow]Stopped early: {escape(outcome.stopped)}.[/yellow] Continue later with "
            f"`factcheck run --resume {outcome.run_dir}`."
        )
    if not quiet:
        print_summary(outcome.run_dir, outcome.index)
    if outcome.stopped:
        return EXIT_PARTIAL
    return exit_code(outcome.results, outcome.errors)


def run(
    paths: Annotated[
        list[str] | None,
        typer.Argument(
            help="Article files, folders or http(s) URLs (.txt, .md, .html, .pdf; a "
            "NAME.meta.json beside a file may give title, url, published, publisher), "
            ".jsonl/.csv with one article per line, or .urls with one URL per line.",
            callback=check_inputs,
        ),
    ] = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", "-o", help="Run folder (default: runs/<timestamp>).")
    ] = None,
    resume: Annotated[
        Path | None,
        typer.Option(
            help="Continue an interrupted run in this folder (inputs are taken from "
            "its header unless given). Items already done are skipped."
        ),
    ] = None,
    max_cost: Annotated[
        float | None, typer.Option(help="Stop starting new articles once this many USD are spent.")
    ] = None,
    max_tokens: Annotated[
        int | None, typer.Option(help="Stop starting new articles after this many tokens.")
    ] = None,
    shard: Annotated[
        str | None,
        typer.Option(
            help="K/N: process only shard K of N of the articles (by a stable hash of "
            "their ids), so N worker processes or machines can share one batch and "
            "one Chroma server (FACTCHECK_CHROMA_HOST)."
        ),
    ] = None,
    as_of: AsOf = None,
    batch_api: Annotated[
        bool,
        typer.Option(
            "--batch-api",
            help="Send the LLM calls through OpenAI's Batch API (about half the price, results "
            "within 24 h): the extraction calls of the articles in flight go out as one batch, "
            "then their verification calls. Failed items fall back to normal calls. If polling "
            "gives up, --resume continues the same batches.",
        ),
    ] = False,
    batch_window: Annotated[
        int, typer.Option(min=1, help="With --batch-api: articles in flight per round.")
    ] = 1000,
    batch_deadline: Annotated[
        float,
        typer.Option(min=1, help="With --batch-api: seconds to poll a batch before stopping."),
    ] = 25 * 3600.0,
    ray: Annotated[
        str | None,
        typer.Option(
            "--ray",
            metavar="[ADDRESS]",
            help="Run on a Ray cluster (extra `ray`): HOST:PORT of its head, `auto`, or nothing "
            "(or `local`) to start a local Ray instance. Needs a Chroma server every node "
            "reaches (FACTCHECK_CHROMA_HOST). See the README, 'Running on a cluster'.",
        ),
    ] = None,
    ray_actors: Annotated[
        int | None,
        typer.Option(min=1, help="With --ray: pipelines (actors); default one per cluster CPU."),
    ] = None,
    ray_actor_cpus: Annotated[
        float, typer.Option(min=0.01, help="With --ray: CPUs Ray reserves per actor.")
    ] = 1.0,
) -> None:
    """Check whole articles: extract claims, find evidence, give verdicts, write JSONL + report."""
    settings = with_as_of(cli_settings(), as_of)
    try:
        if resume is not None:
            state = RunDirectory(resume).scan(repair=False)
            if state.header is None:
                raise FactcheckError(f"{resume}: no results file to resume")
            inputs = paths or [
                p if is_url(p) else Path(p) for p in state.header.config.get("inputs", [])
            ]
            run_dir = resume
            started_as_of = state.header.config.get("as_of")
            if as_of is None and isinstance(started_as_of, str):
                settings = settings.model_copy(update={"as_of": date.fromisoformat(started_as_of)})
        elif paths:
            inputs = paths
            run_dir = out_dir or settings.output_dir / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        else:
            console.print("Give article files or folders, or --resume RUN_DIR.")
            raise typer.Exit(EXIT_USAGE)
        if out_dir is not None and out_dir.exists() and not out_dir.is_dir():
            console.print(
                f"--out {out_dir} is a file: give a folder for the run (results.jsonl and the "
                "reports are written inside it)."
            )
            raise typer.Exit(EXIT_USAGE)
        try:
            shard_spec = parse_shard(shard) if shard else None
        except ValueError as exc:
            console.print(str(exc))
            raise typer.Exit(EXIT_USAGE) from None
        code = run_in_terminal(
            settings,
            inputs,
            run_dir,
            resume=resume is not None,
            budget=Budget(max_cost_usd=max_cost, max_tokens=max_tokens),
            shard=shard_spec,
            batch=BatchMode(window=batch_window, poll=PollSettings(deadline=batch_deadline))
            if batch_api
            else None,
            cluster=cluster_options(ray, ray_actors, ray_actor_cpus, batch_api),
        )
    except (FactcheckError, AuthenticationFailed) as exc:
        raise fail(exc) from None
    raise typer.Exit(code)


LOCAL_RAY = "local"
"""The value `--ray` takes when no address follows it: start a local Ray instance."""
_RAY_ADDRESS = re.compile(r"^(ray://\S+|auto|local|[\w.\-]+:\d+|\[[0-9a-fA-F:]+\]:\d+)$")


def with_ray_default(argv: list[str]) -> list[str]:
    """`--ray` with no address after it (last, or followed by an option or an article path)
    becomes `--ray local`: the option's value is optional on the command line."""
    out = list(argv)
    for i, arg in enumerate(out):
        if arg != "--ray":
            continue
        following = out[i + 1] if i + 1 < len(out) else None
        if following is None or not _RAY_ADDRESS.match(following):
            out.insert(i + 1, LOCAL_RAY)
        break
    return out


def cluster_options(
    ray: str | None, actors: int | None, actor_cpus: float, batch_api: bool
) -> ClusterOptions | None:
    """The cluster options of `--ray`, or None without it."""
    if ray is None:
        return None
    if batch_api:
        raise FactcheckError("--ray and --batch-api do not combine: choose one")
    if not _RAY_ADDRESS.match(ray):
        raise FactcheckError(
            f"--ray {ray!r}: expected HOST:PORT of the cluster's head (e.g. 10.0.0.5:6379), "
            "ray://HOST:PORT, auto, or nothing for a local Ray instance"
        )
    return ClusterOptions(
        address=None if ray == LOCAL_RAY else ray, actors=actors, actor_cpus=actor_cpus
    )


def demo(
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Run directory (default: runs/demo-<timestamp>)."),
    ] = None,
) -> None:
    """Run the whole pipeline on the bundled seed article and reference notes (no key needed)."""
    from factcheck.app import ingest_paths, open_store

    settings = cli_settings()
    seeds = REPO_DIR / "seeds"
    if not seeds.is_dir():
        raise fail(
            FactcheckError(
                f"seed files not found at {seeds}: run the demo from a source checkout of factcheck"
            )
        )
    settings = settings.model_copy(
        update={
            "chroma_path": settings.chroma_path.parent / "demo-chroma",
            # one demo collection per embedder: the demo's own store follows the setting
            "collection": f"seed-references-{settings.embedder}",
        }
    )
    clock = time.perf_counter()
    try:
        store = open_store(settings)
        ingested = ingest_paths(store, [seeds / "reference"])
        console.print(
            f"Reference store: {ingested.sources} seed sources, {store.count()} chunks "
            f"({ingested.chunks_added} new)."
        )
        run_dir = out_dir or settings.output_dir / datetime.now(UTC).strftime("demo-%Y%m%dT%H%M%SZ")
        code = run_in_terminal(settings, [seeds / "articles"], run_dir)
        print_trend_checks(run_dir)
    except (FactcheckError, AuthenticationFailed) as exc:
        raise fail(exc) from None
    out.print(f"Demo finished in {time.perf_counter() - clock:.0f} s.")
    raise typer.Exit(code)


def print_trend_checks(run_dir: Path) -> None:
    """Each claim whose change was computed from a statistics table, with the computation's
    checks (the demo shows them: the seed article's homicide claim against the INEGI table)."""
    run = IndexedRun(RunDirectory(run_dir).results)
    for article_id in sorted(run.result_article_ids()):
        for result in sorted(run.results_of(article_id), key=lambda r: r.claim.start):
            checks = [q for q in result.quantity_checks if q.rule.startswith(TREND_RULE)]
            computed = [e for e in result.evidence if e.chunk.source_id.startswith("computed:")]
            if not checks and not computed:
                continue
            out.print(f"Trend from a table, result {result.id[:8]}: {escape(result.claim.text)}")
            for item in computed:
                out.print(f"  passage {item.number}: {escape(item.chunk.text.split('. ')[0])}.")
            for check in checks:
                out.print(
                    f'  claim "{escape(check.claim_value)}" vs computed '
                    f"{escape(check.source_value)}: {check.outcome}"
                )


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
    run = run or IndexedRun(RunDirectory(run_dir).results)
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
