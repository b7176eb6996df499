"""The `factcheck` command: ingest reference sources, extract claims, verify them, run batches.

Exit codes (for scripts): 0 every item succeeded; 1 configuration or setup error (nothing ran);
2 wrong command-line usage; 3 partial: some items failed (see the error lines in the output);
4 failed: no item succeeded.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from factcheck import __version__
from factcheck.batch_api import PollSettings
from factcheck.batching import BatchMode
from factcheck.config import Settings, load_settings
from factcheck.errors import FactcheckError, InputError
from factcheck.job import run_job
from factcheck.models import Claim, ClaimResult, ClaimType
from factcheck.report import markdown_report, read_results
from factcheck.report_html import html_report
from factcheck.runs import BlockWriter, Budget, RunDirectory, parse_shard
from factcheck.terminal import (  # noqa: F401 - exit codes re-exported for callers
    EXIT_CONFIG,
    EXIT_FAILED,
    EXIT_OK,
    EXIT_PARTIAL,
    EXIT_USAGE,
    console,
    exit_code,
    out,
)

if TYPE_CHECKING:
    from factcheck.store import ReferenceStore

app = typer.Typer(
    name="factcheck",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
    help="Find the check-worthy claims in news articles and check them against the reference "
    "sources you trust. Verdicts: SUPPORTED, REFUTED, NOT_ENOUGH_EVIDENCE, CONFLICTING; "
    "every citation quotes a source word for word.\n\n"
    "Exit codes: 0 all done; 1 configuration error; 2 usage error; 3 partial (some items "
    "failed, see the errors in the output); 4 nothing succeeded.",
)
_DEMO_NOTICE_SHOWN = False


def _settings() -> Settings:
    try:
        settings = load_settings()
    except FactcheckError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(EXIT_CONFIG) from None
    _notice_backend(settings)
    return settings.for_backend()


def _notice_backend(settings: Settings) -> None:
    """Say once, plainly, when the demo-grade local model is in use."""
    global _DEMO_NOTICE_SHOWN
    if settings.resolved_backend() == "local" and not _DEMO_NOTICE_SHOWN:
        _DEMO_NOTICE_SHOWN = True
        console.print(
            "[yellow]No OpenAI key or server configured: using the small local model. Its "
            "results are demo-grade.[/yellow] For real work set FACTCHECK_OPENAI_API_KEY (OpenAI) "
            "or FACTCHECK_BASE_URL + FACTCHECK_MODEL (an OpenAI-compatible server)."
        )


AsOf = Annotated[
    datetime | None,
    typer.Option(
        "--as-of",
        formats=["%Y-%m-%d"],
        help="Check claims as of this day: evidence published later is left out (undated "
        "sources are kept). Default: each claim's own date (its article's publication date).",
    ),
]


def _with_as_of(settings: Settings, as_of: datetime | None) -> Settings:
    return settings.model_copy(update={"as_of": as_of.date()}) if as_of else settings


def _fail(exc: Exception) -> typer.Exit:
    console.print(f"[red]error:[/red] {exc}")
    return typer.Exit(EXIT_CONFIG)


# --- ingest ----------------------------------------------------------------------------------


@app.command()
def ingest(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Reference files or folders: .txt, .md, .html, or .jsonl (one source per line "
            "with text and optional title, url, published, publisher, credibility_tier).",
            exists=True,
        ),
    ] = None,
    claimreview: Annotated[
        list[Path] | None,
        typer.Option(
            "--claimreview",
            help="Published fact checks to match new claims against: ClaimReview JSON-LD (a "
            "JSON array, one object, or JSONL; what `factcheck export` writes) or Google Fact "
            "Check Tools claims. Repeatable.",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Add trusted reference sources (and published fact checks) to the store. Re-ingesting
    the same files adds nothing."""
    from factcheck.app import open_store
    from factcheck.inputs import read_sources

    if not paths and not claimreview:
        console.print("Give reference files or folders, or --claimreview FILE.")
        raise typer.Exit(EXIT_USAGE)
    settings = _settings()
    try:
        store = open_store(settings)
    except FactcheckError as exc:
        raise _fail(exc) from None
    ok, failed = _ingest_claimreviews(store, settings, claimreview) if claimreview else (0, 0)
    if paths:
        sources, errors = [], []
        for item in read_sources(paths):
            (errors if isinstance(item, InputError) else sources).append(item)
        for error in errors:
            console.print(f"[red]skipped[/red] {error}")
        report = store.ingest(sources)
        out.print(
            f"Ingested {report.sources} sources into [bold]{settings.collection}[/bold]: "
            f"{report.chunks_added} new chunks, {report.chunks_existing} already present; "
            f"{store.count()} chunks in the collection."
        )
        ok, failed = ok + len(sources), failed + len(errors) + len(report.errors)
    raise typer.Exit(exit_code(ok, failed))


def _ingest_claimreviews(
    store: ReferenceStore, settings: Settings, files: list[Path]
) -> tuple[int, int]:
    """Store the fact checks in `files` beside the reference collection; (stored, failed)."""
    from factcheck.prior_checks import PriorCheckStore, read_claimreviews

    try:
        priors = PriorCheckStore.open(store, settings, create=True)
    except FactcheckError as exc:
        raise _fail(exc) from None
    if priors is None:  # only when the collection vanished while being created
        raise _fail(FactcheckError("cannot create the ClaimReview collection"))
    report = priors.ingest(item for path in files for item in read_claimreviews(path))
    for error in report.errors:
        console.print(f"[red]skipped[/red] {escape(error)}")
    out.print(
        f"Ingested {report.added + report.existing} ClaimReviews into [bold]{priors.name}"
        f"[/bold]: {report.added} new, {report.existing} already present; {priors.count()} "
        "in the collection."
    )
    return report.added + report.existing, len(report.errors)


# --- extract ---------------------------------------------------------------------------------


@app.command()
def extract(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="Article files or folders (.txt, .md, .html) or .jsonl/.csv with one article per "
            "line.",
            exists=True,
        ),
    ],
    output: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write claims as JSONL here (default: print them)."),
    ] = None,
) -> None:
    """Extract the check-worthy claims of articles, each anchored to the article's own words."""
    from factcheck.app import build_app
    from factcheck.inputs import read_articles

    settings = _settings()
    try:
        application = build_app(settings)
    except FactcheckError as exc:
        raise _fail(exc) from None
    extractor = application.pipeline.extractor
    sink = output.open("w", encoding="utf-8") if output else sys.stdout
    counts = {"ok": 0, "failed": 0}

    async def extract_all() -> None:
        # One event loop for every article: HTTP clients are bound to the loop they start on.
        for item in read_articles(paths):
            if isinstance(item, InputError):
                console.print(f"[red]skipped[/red] {item}")
                counts["failed"] += 1
                continue
            try:
                outcome = await extractor.extract(item)
            except FactcheckError as exc:
                console.print(f"[red]article {item.id} failed:[/red] {exc}")
                counts["failed"] += 1
                continue
            counts["ok"] += 1
            for claim in outcome.claims:
                sink.write(claim.model_dump_json() + "\n")
            for failure in outcome.failed_windows:
                console.print(
                    f"[red]{item.id} characters {failure.start}-{failure.end} "
                    f"failed:[/red] {failure.error}"
                )
            console.print(
                f"{item.id}: {len(outcome.claims)} claims ({outcome.below_threshold} below "
                f"threshold, {len(outcome.rejected)} rejected, {outcome.repaired} repaired, "
                f"{len(outcome.failed_windows)} failed windows)"
            )

    asyncio.run(extract_all())
    ok, failed = counts["ok"], counts["failed"]
    if output:
        sink.close()
    raise typer.Exit(exit_code(ok, failed))


# --- verify ----------------------------------------------------------------------------------


def _claims_from(value: str) -> Iterator[Claim]:
    path = Path(value)
    if not path.is_file():
        yield _plain_claim(value)
        return
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        if line.lstrip().startswith("{"):
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"line {number}: invalid JSON ({exc.msg})", source=value) from None
            if "article_id" in data and "quote" in data:
                yield Claim.model_validate(data)
                continue
            text = data.get("claim") or data.get("text")
            if not text:
                raise InputError(f"line {number}: no 'claim' or 'text' field", source=value)
            yield _plain_claim(text)
        else:
            yield _plain_claim(line.strip())


def _plain_claim(text: str) -> Claim:
    return Claim.make(
        article_id="cli",
        text=text,
        quote=text,
        start=0,
        end=len(text),
        claim_type=ClaimType.OTHER,
        checkworthiness=1.0,
    )


@app.command()
def verify(
    claim: Annotated[
        str,
        typer.Argument(
            help="A claim in quotes, or a file with one claim per line (plain text, "
            "or JSONL with a 'claim' field, or claims written by `factcheck extract`)."
        ),
    ],
    output: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write results JSONL here.")
    ] = None,
    as_of: AsOf = None,
) -> None:
    """Check claims against the reference store and print verdicts with citations."""
    from factcheck.app import build_app

    settings = _with_as_of(_settings(), as_of)
    try:
        claims = list(_claims_from(claim))
        application = build_app(settings)
    except FactcheckError as exc:
        raise _fail(exc) from None
    records = asyncio.run(application.pipeline.check_claims(claims))
    table = Table("claim", "verdict", "conf.", "citations")
    for record in records:
        if isinstance(record, ClaimResult):
            cites = "\n".join(
                f"“{c.quote[:90]}” — {c.source_title or c.chunk_id}" for c in record.citations
            )
            table.add_row(
                record.claim.text, record.verdict.value, f"{record.confidence:.2f}", cites or "—"
            )
        else:
            table.add_row(
                record.claim.text if record.claim else record.item_id,
                "[red]error[/red]",
                "",
                record.message,
            )
    out.print(table)
    if output:
        with BlockWriter(output) as writer:
            for record in records:
                writer.write_line(record)
    ok = sum(isinstance(r, ClaimResult) for r in records)
    raise typer.Exit(exit_code(ok, len(records) - ok))


# --- run -------------------------------------------------------------------------------------


@app.command()
def run(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Article files or folders (.txt, .md, .html; a NAME.meta.json beside a file may "
            "give title, url, published, publisher) or .jsonl/.csv with one article per line.",
            exists=True,
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
) -> None:
    """Check whole articles: extract claims, find evidence, give verdicts, write JSONL + report."""
    settings = _with_as_of(_settings(), as_of)
    try:
        if resume is not None:
            state = RunDirectory(resume).scan(repair=False)
            if state.header is None:
                raise FactcheckError(f"{resume}: no results file to resume")
            inputs = paths or [Path(p) for p in state.header.config.get("inputs", [])]
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
        try:
            shard_spec = parse_shard(shard) if shard else None
        except ValueError as exc:
            console.print(str(exc))
            raise typer.Exit(EXIT_USAGE) from None
        code = run_job(
            settings,
            inputs,
            run_dir,
            resume=resume is not None,
            budget=Budget(max_cost_usd=max_cost, max_tokens=max_tokens),
            shard=shard_spec,
            batch=BatchMode(window=batch_window, poll=PollSettings(deadline=batch_deadline))
            if batch_api
            else None,
        )
    except FactcheckError as exc:
        raise _fail(exc) from None
    raise typer.Exit(code)


@app.command()
def demo(
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Run directory (default: runs/demo-<timestamp>)."),
    ] = None,
) -> None:
    """Run the whole pipeline on the bundled seed article and reference notes (no key needed)."""
    from factcheck.app import open_store
    from factcheck.config import REPO_DIR
    from factcheck.inputs import read_sources

    settings = _settings()
    seeds = REPO_DIR / "seeds"
    if not seeds.is_dir():
        raise _fail(
            FactcheckError(
                f"seed files not found at {seeds}: run the demo from a source checkout of factcheck"
            )
        )
    settings = settings.model_copy(
        update={
            "chroma_path": settings.chroma_path.parent / "demo-chroma",
            "collection": "seed-references",
        }
    )
    clock = time.perf_counter()
    try:
        store = open_store(settings)
        sources = [s for s in read_sources([seeds / "reference"]) if not isinstance(s, InputError)]
        ingested = store.ingest(sources)
        console.print(
            f"Reference store: {ingested.sources} seed sources, {store.count()} chunks "
            f"({ingested.chunks_added} new)."
        )
        run_dir = out_dir or settings.output_dir / datetime.now(UTC).strftime("demo-%Y%m%dT%H%M%SZ")
        code = run_job(settings, [seeds / "articles"], run_dir)
    except FactcheckError as exc:
        raise _fail(exc) from None
    out.print(f"Demo finished in {time.perf_counter() - clock:.0f} s.")
    raise typer.Exit(code)


@app.command()
def doctor() -> None:
    """Show which LLM, embedder and Chroma store are configured, and check that each responds."""
    from factcheck.app import make_embedder, open_store
    from factcheck.llm import structured_llm_from_settings
    from factcheck.llm_schemas import VerificationReply

    settings = _settings()
    table = Table("part", "configured", "check")
    failures = 0

    def check(part: str, configured: str, probe: Callable[[], str]) -> None:
        nonlocal failures
        try:
            table.add_row(part, configured, f"[green]ok[/green] {probe()}")
        except Exception as exc:  # noqa: BLE001 - report any failure as a failed check
            failures += 1
            table.add_row(part, configured, f"[red]failed[/red] {type(exc).__name__}: {exc}")

    def probe_llm() -> str:
        llm = structured_llm_from_settings(settings)
        started = time.perf_counter()
        reply = asyncio.run(
            llm.ask(
                [
                    (
                        "user",
                        'Reply with JSON: {"rationale": "test", '
                        '"verdict": "NOT_ENOUGH_EVIDENCE", "confidence": 0.5, '
                        '"citations": []}',
                    )
                ],
                VerificationReply,
            )
        )
        return (
            f"{llm.model_name}: structured reply in {time.perf_counter() - started:.1f} s, "
            f"{reply.usage.prompt_tokens}+{reply.usage.completion_tokens} tokens"
        )

    def probe_embedder() -> str:
        embedder = make_embedder(settings)
        vector = embedder(["doctor check"])[0]
        return f"{len(vector)}-dimensional embedding"

    def probe_store() -> str:
        store = open_store(settings)
        return f"{store.count()} chunks in '{settings.collection}'"

    check(
        "LLM", f"{settings.resolved_backend()} ({settings.base_url or settings.model})", probe_llm
    )
    check("embedder", settings.embedder, probe_embedder)
    mode = (
        f"server {settings.chroma_host}:{settings.chroma_port}"
        if settings.chroma_host
        else f"embedded {settings.chroma_path}"
    )
    check("Chroma", mode, probe_store)
    out.print(table)
    out.print("Telemetry to Chroma is off (anonymized_telemetry=False).")
    raise typer.Exit(EXIT_OK if failures == 0 else EXIT_CONFIG)


class ReportFormat(StrEnum):
    """Formats of `factcheck report`."""

    md = "md"
    html = "html"


class ExportFormat(StrEnum):
    """Formats of `factcheck export`."""

    claimreview = "claimreview"


@app.command()
def report(
    results: Annotated[Path, typer.Argument(help="A results.jsonl file.", exists=True)],
    fmt: Annotated[
        ReportFormat,
        typer.Option("--format", "-f", help="md (Markdown) or html (one self-contained page)."),
    ] = ReportFormat.md,
    output: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the report here (default: print).")
    ] = None,
) -> None:
    """Print or write the report of a results file, as Markdown or HTML."""
    try:
        run = read_results(results)
    except FactcheckError as exc:
        raise _fail(exc) from None
    text = html_report(run) if fmt is ReportFormat.html else markdown_report(run)
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
        console.print(f"Wrote {output}")
    elif fmt is ReportFormat.html:
        sys.stdout.write(text)
    else:
        out.print(text, markup=False, highlight=False)


@app.command()
def export(
    results: Annotated[Path, typer.Argument(help="A results.jsonl file.", exists=True)],
    fmt: Annotated[
        ExportFormat,
        typer.Option("--format", "-f", help="claimreview: schema.org ClaimReview JSON-LD."),
    ] = ExportFormat.claimreview,
    output: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the JSON here (default: print).")
    ] = None,
    review_date: Annotated[
        datetime | None,
        typer.Option(
            "--date",
            formats=["%Y-%m-%d"],
            help="datePublished of the reviews (default: the day each verdict was made).",
        ),
    ] = None,
) -> None:
    """Export results for publishing: one ClaimReview per claim, a draft for your editors.

    Needs FACTCHECK_ORG_NAME, FACTCHECK_ORG_URL and FACTCHECK_REVIEW_URL_TEMPLATE; verdicts are
    mapped to your labels by FACTCHECK_RATING_SCALE (see .env.example).
    """
    from factcheck.claimreview import claim_reviews, publisher_from_settings, to_json

    try:
        publisher = publisher_from_settings(load_settings())
        run = read_results(results)
    except FactcheckError as exc:
        raise _fail(exc) from None
    reviews, skipped = claim_reviews(
        run, publisher, review_date=review_date.date() if review_date else None
    )
    text = to_json(reviews)
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    console.print(
        f"{len(reviews)} ClaimReviews"
        + (f" to {output}" if output else "")
        + (f"; {skipped} results not exported (their verdict maps to null)" if skipped else "")
    )


@app.command(name="eval")
def eval_command(
    suite: Annotated[
        str, typer.Argument(help="Suite name (`factcheck eval list` shows them) or task names.")
    ],
    baseline: Annotated[
        Path | None,
        typer.Option(help="Compare with this earlier run.jsonl (same cases).", exists=True),
    ] = None,
    baseline_prompts: Annotated[
        Path | None,
        typer.Option(help="Also run the suite with the prompts in DIR and compare.", exists=True),
    ] = None,
    baseline_prompt: Annotated[
        list[str] | None,
        typer.Option(help="STEP=DIR: baseline uses DIR's prompt for STEP (repeatable)."),
    ] = None,
    prompts: Annotated[
        Path | None, typer.Option(help="Candidate prompts directory (default: configured).")
    ] = None,
    tolerance: Annotated[
        float, typer.Option(help="Fail (exit 5) when a metric's whole 95% CI is below -TOL.")
    ] = 0.02,
    backend: Annotated[
        str | None, typer.Option(help="fake | local | openai (default: configured backend).")
    ] = None,
    limit: Annotated[int | None, typer.Option(help="Sample N cases per task.", min=1)] = None,
    seed: Annotated[int | None, typer.Option(help="Sampling seed (default 0).")] = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Output folder (default evals/runs/<run id>).")
    ] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Do not use the LLM cache.")] = False,
) -> None:
    """Score pipeline stages on eval datasets; compare prompt versions with paired CIs.

    Exit codes: 0 done; 1 configuration or data error; 5 a metric regressed (CI gate).
    """
    from factcheck.evals.command import EvalRequest, parse_step_dirs, print_outcome, run_eval
    from factcheck.evals.datasets import DatasetError
    from factcheck.evals.suites import SUITE_HELP, SUITES

    if suite == "list":
        for name in SUITES:
            out.print(f"{name:30} {SUITE_HELP.get(name, '')}", markup=False, highlight=False)
        raise typer.Exit(EXIT_OK)
    if backend not in (None, "fake", "local", "openai"):
        console.print(f"[red]error:[/red] --backend must be fake, local or openai, not {backend}")
        raise typer.Exit(EXIT_USAGE)
    try:
        request = EvalRequest(
            suite=suite,
            backend=backend,
            limit=limit,
            seed=seed,
            prompts_dir=prompts,
            baseline=baseline,
            baseline_prompts=baseline_prompts,
            baseline_prompt=parse_step_dirs(baseline_prompt or []),
            tolerance=tolerance,
            out=out_dir,
            use_cache=not no_cache,
            command=" ".join(["factcheck", *sys.argv[1:]]),
        )
        outcome = run_eval(request, lambda line: console.print(line, markup=False, soft_wrap=True))
    except ValueError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(EXIT_USAGE) from None
    except (FactcheckError, DatasetError, ImportError) as exc:
        raise _fail(exc) from None
    print_outcome(outcome, out)
    raise typer.Exit(outcome.exit_code)


@app.command()
def show(
    result_id: Annotated[str, typer.Argument(help="A result id (or a unique prefix of one).")],
    results: Annotated[
        list[Path] | None,
        typer.Option(
            "--results",
            help="Results files, or folders holding results.jsonl / */results.jsonl "
            "(repeatable). Default: every run under FACTCHECK_OUTPUT_DIR.",
            exists=True,
        ),
    ] = None,
) -> None:
    """Print a result's audit trail: claim in its article, verdict, citations, every evidence
    passage with its ranks and scores, prior fact checks, and what reproduces it."""
    from factcheck.show import find_result, render, results_files

    if results:
        where = results
    else:
        try:
            where = [load_settings().output_dir]
        except FactcheckError as exc:
            raise _fail(exc) from None
    files = results_files(where)
    try:
        found = find_result(result_id, files)
    except FactcheckError as exc:
        raise _fail(exc) from None
    except (OSError, ValueError) as exc:
        raise _fail(FactcheckError(f"cannot read the results: {exc}")) from None
    if found is None:
        searched = ", ".join(str(p) for p in where)
        console.print(
            f"[red]error:[/red] no result {escape(result_id)} in {len(files)} results "
            f"file(s) under {escape(searched)}"
        )
        raise typer.Exit(EXIT_CONFIG)
    render(found, out)


@app.command()
def version() -> None:
    """Print the version."""
    out.print(__version__)


def main() -> None:
    """Console-script entry point."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app()


if __name__ == "__main__":
    main()
