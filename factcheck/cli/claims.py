"""`factcheck extract` and `factcheck verify`: claims out of articles, verdicts for claims."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from factcheck.cli.common import AsOf, check_inputs, cli_settings, fail, with_as_of
from factcheck.cli.terminal import console, exit_code, out
from factcheck.errors import AuthenticationFailed, FactcheckError, InputError
from factcheck.io.results import BlockWriter
from factcheck.models import ClaimResult


def extract(
    paths: Annotated[
        list[str],
        typer.Argument(
            help="Article files, folders or http(s) URLs (.txt, .md, .html, .pdf), .jsonl/.csv "
            "with one article per line, or .urls with one URL per line.",
            callback=check_inputs,
        ),
    ],
    output: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write claims as JSONL here (default: print them)."),
    ] = None,
) -> None:
    """Extract the check-worthy claims of articles, each anchored to the article's own words."""
    from factcheck.app import build_app, fetch_settings
    from factcheck.io.inputs import read_articles

    settings = cli_settings()
    try:
        application = build_app(settings)
    except FactcheckError as exc:
        raise fail(exc) from None
    extractor = application.pipeline.extractor
    sink = output.open("w", encoding="utf-8") if output else sys.stdout
    counts = {"ok": 0, "failed": 0}

    async def extract_all() -> None:
        # One event loop for every article: HTTP clients are bound to the loop they start on.
        for item in read_articles(
            paths, max_bytes=settings.max_input_bytes, fetch=fetch_settings(settings)
        ):
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

    try:
        asyncio.run(extract_all())
    except AuthenticationFailed as exc:
        raise fail(exc) from None
    ok, failed = counts["ok"], counts["failed"]
    if output:
        sink.close()
    raise typer.Exit(exit_code(ok, failed))


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
    from factcheck.io.claims import read_claims

    settings = with_as_of(cli_settings(), as_of)
    try:
        claims = list(read_claims(claim))
        application = build_app(settings)
        application.require_sources()
    except FactcheckError as exc:
        raise fail(exc) from None
    try:
        records = asyncio.run(application.pipeline.check_claims(claims))
    except AuthenticationFailed as exc:
        raise fail(exc) from None
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
