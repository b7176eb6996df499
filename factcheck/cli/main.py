"""The `factcheck` command: ingest reference sources, extract claims, verify them, run batches.

Exit codes (for scripts): 0 every item succeeded; 1 configuration or setup error (nothing ran);
2 wrong command-line usage; 3 partial: some items failed (see the error lines in the output);
4 failed: no item succeeded.
"""

from __future__ import annotations

import logging
import sys

import typer

from factcheck import __version__
from factcheck.cli import claims, doctor, evaluate, outputs, review, run, sources
from factcheck.cli.terminal import (  # noqa: F401 - exit codes re-exported for callers
    EXIT_CONFIG,
    EXIT_FAILED,
    EXIT_OK,
    EXIT_PARTIAL,
    EXIT_USAGE,
    out,
)

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
app.command()(sources.ingest)
app.command()(claims.extract)
app.command()(claims.verify)
app.command()(run.run)
app.command()(run.demo)
app.command()(doctor.doctor)
app.command()(outputs.report)
app.command()(outputs.export)
app.command(name="eval")(evaluate.eval_command)
app.command()(outputs.show)
app.command()(review.serve)
app.add_typer(review.review_app, name="review")


@app.command()
def version() -> None:
    """Print the version."""
    out.print(__version__)


def main() -> None:
    """Console-script entry point."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app(args=run.with_ray_default(sys.argv[1:]))


if __name__ == "__main__":
    main()
