"""The review desk: fact-checkers confirm or change machine verdicts in the browser.

`serve` starts it (see `factcheck serve`); reviews live in SQLite (`store`), the runs are read
through `runs`; `publish` takes reviews onward to ClaimReview and to the reports, and
`factcheck.evals.reviews` turns them into eval cases.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


def serve(
    run_dirs: Sequence[Path],
    *,
    db: Path | None = None,
    host: str = "127.0.0.1",
    port: int = 8765,
    token: str | None = None,
) -> None:
    """Serve the review desk over `run_dirs` (see `factcheck.review.server.serve`)."""
    from factcheck.review.server import serve as run_server

    run_server(run_dirs, db=db, host=host, port=port, token=token)


__all__ = ["serve"]
