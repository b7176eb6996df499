"""The terminal side of the CLI: its two consoles, exit codes and progress bar."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

EXIT_OK, EXIT_CONFIG, EXIT_USAGE, EXIT_PARTIAL, EXIT_FAILED = 0, 1, 2, 3, 4

console = Console(stderr=True)
"""Messages, warnings and progress (stderr)."""
out = Console()
"""Results: tables and summaries (stdout)."""


def exit_code(ok: int, failed: int) -> int:
    """0 when nothing failed, 3 when some items did, 4 when none succeeded."""
    if failed == 0:
        return EXIT_OK
    return EXIT_PARTIAL if ok else EXIT_FAILED


def progress_bar() -> Progress:
    """The progress bar of long commands (shown only on a terminal)."""
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
        disable=not console.is_terminal,
    )
