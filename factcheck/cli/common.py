"""What every command shares: settings loaded once with a fix-it error, the backend notice,
the `--as-of` option and the error exit."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from factcheck.cli.terminal import EXIT_CONFIG, console
from factcheck.config import Settings, load_settings
from factcheck.errors import FactcheckError
from factcheck.io.fetch import is_url

_notice_shown = {"local": False}


def cli_settings() -> Settings:
    """The settings with the backend's profile applied; a configuration error (including an
    unknown `FACTCHECK_*` name) exits 1."""
    try:
        settings = load_settings()
    except FactcheckError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(EXIT_CONFIG) from None
    notice_backend(settings)
    return settings.for_backend()


def notice_backend(settings: Settings) -> None:
    """Say once, plainly, when the demo-grade local model is in use."""
    if settings.resolved_backend() == "local" and not _notice_shown["local"]:
        _notice_shown["local"] = True
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


def with_as_of(settings: Settings, as_of: datetime | None) -> Settings:
    """The settings with `--as-of` applied (unchanged when not given)."""
    return settings.model_copy(update={"as_of": as_of.date()}) if as_of else settings


def fail(exc: BaseException) -> typer.Exit:
    """Print the error and return the exit (code 1) to raise."""
    console.print(f"[red]error:[/red] {exc}")
    return typer.Exit(EXIT_CONFIG)


def check_inputs(values: list[str] | None) -> list[str | Path] | None:
    """Typer callback for input arguments: http(s) URLs pass as they are, anything else must
    be an existing file or folder."""
    if values is None:
        return None
    missing = [v for v in values if not is_url(v) and not Path(v).exists()]
    if missing:
        raise typer.BadParameter(
            f"{', '.join(missing)}: no such file or folder (URLs must start with http:// or "
            "https://)"
        )
    return [v.strip() if is_url(v) else Path(v) for v in values]
