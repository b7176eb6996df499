"""`factcheck serve` (the review desk) and `factcheck review …` (what reviews feed onward)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from factcheck.cli.common import fail
from factcheck.cli.terminal import EXIT_CONFIG, console
from factcheck.errors import FactcheckError


def serve(
    run_dirs: Annotated[
        list[Path],
        typer.Argument(help="Run folders (or results.jsonl files) to review.", exists=True),
    ],
    db: Annotated[
        Path | None,
        typer.Option(help="Review database (default: reviews.sqlite beside the first run)."),
    ] = None,
    host: Annotated[
        str, typer.Option(help="Address to bind; anything but loopback needs --token.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8765,
    token: Annotated[
        str | None,
        typer.Option(
            help="Access token every request must carry (or FACTCHECK_REVIEW_TOKEN); open "
            "the desk once with ?token=… to set its cookie.",
        ),
    ] = None,
) -> None:
    """The review desk: confirm or change verdicts in the browser; reviews go to SQLite."""
    from factcheck.review import serve as serve_desk

    try:
        serve_desk(run_dirs, db=db, host=host, port=port, token=token)
    except FactcheckError as exc:
        raise fail(exc) from None


review_app = typer.Typer(
    name="review",
    no_args_is_help=True,
    add_completion=False,
    help="Work with the reviews made in the review desk (`factcheck serve`).",
)


@review_app.command("export-evals")
def export_evals_command(
    run_dirs: Annotated[
        list[Path],
        typer.Argument(
            help="Run folders (or results.jsonl files) the reviews were made on.", exists=True
        ),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="The eval dataset folder to write.")],
    db: Annotated[
        Path | None,
        typer.Option(help="Review database (default: reviews.sqlite beside the first run)."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite dataset files already in OUT.")
    ] = False,
) -> None:
    """Write the reviewed claims as an eval dataset folder for `factcheck eval STAGE --dataset
    OUT`: verification cases (the evidence the verifier was shown; gold = the reviewer's
    verdict), end-to-end cases and the corpus of shown passages. Existing dataset files
    (committed ones included) are never overwritten without --force."""
    from factcheck.evals.reviews import export_evals
    from factcheck.review.runs import RunIndex, default_db_path
    from factcheck.review.store import ReviewStore

    path = db or default_db_path(run_dirs)
    if not path.is_file():
        console.print(f"[red]error:[/red] no review database at {escape(str(path))}")
        raise typer.Exit(EXIT_CONFIG)
    try:
        index = RunIndex(run_dirs)
        written = export_evals(index.results(), ReviewStore(path), out, force=force)
    except FileExistsError as exc:
        console.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(EXIT_CONFIG) from None
    except FactcheckError as exc:
        raise fail(exc) from None
    console.print(
        f"{written.cases} verification cases, {written.e2e_cases} end-to-end cases and "
        f"{written.corpus_docs} corpus passages to {written.path}"
        + (
            f"; {written.skipped_no_evidence} reviewed claims had no evidence"
            if written.skipped_no_evidence
            else ""
        )
        + f"\nScore a prompt on them: factcheck eval verification --dataset {written.path}",
        markup=False,
        highlight=False,
    )
