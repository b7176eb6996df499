"""`factcheck ingest`: reference sources and published fact checks into the store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from factcheck.cli.common import check_inputs, cli_settings, fail
from factcheck.cli.terminal import EXIT_USAGE, console, exit_code, out
from factcheck.config import Settings
from factcheck.errors import FactcheckError
from factcheck.retrieval.store import ReferenceStore


def ingest(
    paths: Annotated[
        list[str] | None,
        typer.Argument(
            help="Reference files, folders or http(s) URLs: .txt, .md, .html, .pdf, .jsonl/.csv "
            "(one source per line with text and optional title, url, published, publisher, "
            "credibility_tier, language), statistics tables (.csv or .xlsx with a "
            "NAME.table.json sidecar), or .urls (one URL per line). URLs are fetched within the "
            "FACTCHECK_FETCH_* limits.",
            callback=check_inputs,
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
    reembed: Annotated[
        bool,
        typer.Option(
            "--reembed",
            help="Re-embed every stored chunk (and prior fact check) with the configured "
            "embedder (FACTCHECK_EMBEDDER) — needed after changing it; no source files needed.",
        ),
    ] = False,
) -> None:
    """Add trusted reference sources (and published fact checks) to the store. Re-ingesting
    the same files adds nothing."""
    from factcheck.app import fetch_settings, ingest_paths, open_store

    if not paths and not claimreview and not reembed:
        console.print("Give reference files or folders, --claimreview FILE, or --reembed.")
        raise typer.Exit(EXIT_USAGE)
    settings = cli_settings()
    if reembed:
        reembed_collections(settings)
        if not paths and not claimreview:
            raise typer.Exit(0)
    try:
        store = open_store(settings)
    except FactcheckError as exc:
        raise fail(exc) from None
    ok, failed = ingest_claimreviews(store, settings, claimreview) if claimreview else (0, 0)
    if paths:
        report = ingest_paths(
            store, paths, max_bytes=settings.max_input_bytes, fetch=fetch_settings(settings)
        )
        for error in report.errors:
            console.print(f"[red]skipped[/red] {escape(error)}")
        out.print(
            f"Ingested {report.sources} sources into [bold]{settings.collection}[/bold]: "
            f"{report.chunks_added} new chunks, {report.chunks_existing} already present; "
            f"{store.count()} chunks in the collection."
        )
        flagged = report.flagged_chunks
        out.print(
            f"{'[yellow]' if flagged else ''}{flagged} passage{'' if flagged == 1 else 's'} "
            f"flagged{'[/yellow]' if flagged else ''} as possible prompt injection (text "
            "addressing the model); evidence from them carries `injection_rules`."
        )
        ok, failed = ok + report.sources, failed + len(report.errors)
    raise typer.Exit(exit_code(ok, failed))


def reembed_collections(settings: Settings) -> None:
    """Re-embed the store's collections with the configured embedder; exit 1 on failure."""
    from factcheck.app import reembed_store_of

    try:
        report = reembed_store_of(settings)
    except FactcheckError as exc:
        raise fail(exc) from None
    for name, rows in report.collections.items():
        out.print(f"Re-embedded {rows} rows of [bold]{name}[/bold] with {report.embedder}.")
    out.print(f"Re-embedding took {report.seconds:.1f} s.")


def ingest_claimreviews(
    store: ReferenceStore, settings: Settings, files: list[Path]
) -> tuple[int, int]:
    """Store the fact checks in `files` beside the reference collection; (stored, failed)."""
    from factcheck.app import open_prior_checks
    from factcheck.retrieval.prior_checks import read_claimreviews

    try:
        priors = open_prior_checks(store, settings, create=True)
    except FactcheckError as exc:
        raise fail(exc) from None
    if priors is None:  # only when the collection vanished while being created
        raise fail(FactcheckError("cannot create the ClaimReview collection"))
    report = priors.ingest(item for path in files for item in read_claimreviews(path))
    for error in report.errors:
        console.print(f"[red]skipped[/red] {escape(error)}")
    out.print(
        f"Ingested {report.added + report.existing} ClaimReviews into [bold]{priors.name}"
        f"[/bold]: {report.added} new, {report.existing} already present; {priors.count()} "
        "in the collection."
    )
    return report.added + report.existing, len(report.errors)
