"""`factcheck report`, `export` and `show`: what a finished run gives readers and publishers."""

from __future__ import annotations

import sys
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from factcheck.cli.common import fail
from factcheck.cli.terminal import EXIT_CONFIG, console, out
from factcheck.config import load_settings
from factcheck.errors import FactcheckError
from factcheck.io.results import find_result, read_results, results_files
from factcheck.reports.html import html_report
from factcheck.reports.markdown import markdown_report
from factcheck.reports.reviewed import HumanVerdict
from factcheck.review.runs import default_db_path


class ReportFormat(StrEnum):
    """Formats of `factcheck report`."""

    md = "md"
    html = "html"


class ExportFormat(StrEnum):
    """Formats of `factcheck export`."""

    claimreview = "claimreview"


def report(
    results: Annotated[Path, typer.Argument(help="A results.jsonl file.", exists=True)],
    fmt: Annotated[
        ReportFormat,
        typer.Option("--format", "-f", help="md (Markdown) or html (one self-contained page)."),
    ] = ReportFormat.md,
    output: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the report here (default: print).")
    ] = None,
    reviews: Annotated[
        Path | None,
        typer.Option(
            "--reviews",
            help="Review database of `factcheck serve`: show each reviewed claim's reviewer "
            "verdict beside the machine's (default: reviews.sqlite beside the run, if any).",
        ),
    ] = None,
    no_reviews: Annotated[
        bool, typer.Option("--no-reviews", help="Leave reviews out even when a database exists.")
    ] = False,
) -> None:
    """Print or write the report of a results file, as Markdown or HTML."""
    try:
        run = read_results(results)
        human = None if no_reviews else reviews_of(results, reviews)
    except FactcheckError as exc:
        raise fail(exc) from None
    if fmt is ReportFormat.html:
        text = html_report(run, reviews=human)
    else:
        text = markdown_report(run, reviews=human)
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
        console.print(f"Wrote {output}")
    elif fmt is ReportFormat.html:
        sys.stdout.write(text)
    else:
        out.print(text, markup=False, highlight=False)


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
            help="datePublished of the reviews (default: the day each verdict was made, or "
            "the day of the review with --reviewed-only).",
        ),
    ] = None,
    reviewed_only: Annotated[
        bool | None,
        typer.Option(
            "--reviewed-only/--all-results",
            help="--reviewed-only: only results a person marked ready to publish in `factcheck "
            "serve`, with the reviewer's verdict, rationale and rating. Default: on when a "
            "review database exists beside the run (or --db is given), else --all-results.",
            show_default=False,
        ),
    ] = None,
    db: Annotated[
        Path | None,
        typer.Option(help="Review database (default: reviews.sqlite beside the run)."),
    ] = None,
) -> None:
    """Export results for publishing: one ClaimReview per claim, a draft for your editors.

    Needs FACTCHECK_ORG_NAME, FACTCHECK_ORG_URL and FACTCHECK_REVIEW_URL_TEMPLATE; verdicts are
    mapped to your labels by FACTCHECK_RATING_SCALE (see .env.example).
    """
    from factcheck.app import publisher_of
    from factcheck.reports.claimreview import claim_reviews, to_json
    from factcheck.review.publish import review_db_beside, reviewed_claim_reviews
    from factcheck.review.store import ReviewStore

    when = review_date.date() if review_date else None
    try:
        publisher = publisher_of(load_settings())
        run = read_results(results)
        found = review_db_beside(results, db)
    except FactcheckError as exc:
        raise fail(exc) from None
    if reviewed_only is None:
        reviewed_only = found is not None
    if reviewed_only:
        if found is None:
            raise fail(
                FactcheckError(
                    f"--reviewed-only: no review database beside the run "
                    f"({default_db_path([results])}); pass --db"
                )
            )
        console.print(f"Reviewed results only (reviews in {escape(str(found))})")
        reviews, skipped = reviewed_claim_reviews(
            run.results,
            run.articles,
            ReviewStore(found),
            publisher,
            run_id=run.header.run_id if run.header else "",
            review_date=when,
        )
        not_ready = len(run.results) - len(reviews) - skipped
    else:
        reviews, skipped = claim_reviews(run, publisher, review_date=when)
        not_ready = 0
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
        + (f"; {not_ready} results not reviewed or not ready to publish" if not_ready else "")
    )


def reviews_of(results: Path, db: Path | None) -> dict[str, HumanVerdict] | None:
    """The reviews to show in a run's report: from `db`, else from reviews.sqlite beside the
    run when it exists; None when there is no database."""
    from factcheck.review.publish import human_verdicts, review_db_beside
    from factcheck.review.store import ReviewStore

    found = review_db_beside(results, db)
    return human_verdicts(ReviewStore(found)) if found else None


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
    from factcheck.cli.show import render

    if results:
        where = results
    else:
        try:
            where = [load_settings().output_dir]
        except FactcheckError as exc:
            raise fail(exc) from None
    files = results_files(where)
    try:
        found = find_result(result_id, files)
    except FactcheckError as exc:
        raise fail(exc) from None
    except (OSError, ValueError) as exc:
        raise fail(FactcheckError(f"cannot read the results: {exc}")) from None
    if found is None:
        searched = ", ".join(str(p) for p in where)
        console.print(
            f"[red]error:[/red] no result {escape(result_id)} in {len(files)} results "
            f"file(s) under {escape(searched)}"
        )
        raise typer.Exit(EXIT_CONFIG)
    render(found, out)
