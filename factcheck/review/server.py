"""Starting the review desk: checks the bind address and token, indexes the runs, runs uvicorn."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from factcheck.errors import ConfigError
from factcheck.review.runs import RunIndex, default_db_path
from factcheck.review.security import LOOPBACK_NAMES, is_loopback
from factcheck.review.store import ReviewStore

TOKEN_ENV = "FACTCHECK_REVIEW_TOKEN"
MIN_TOKEN = 16


def check_bind(host: str, token: str | None) -> str | None:
    """The token to require (None on loopback without one). Raises `ConfigError` for a
    non-loopback host without a token, or a token too short to resist guessing."""
    token = token or os.environ.get(TOKEN_ENV) or None
    if token is not None and len(token) < MIN_TOKEN:
        raise ConfigError(f"the review token must be at least {MIN_TOKEN} characters long")
    if not is_loopback(host) and token is None:
        raise ConfigError(
            f"refusing to serve on {host} without an access token: pass --token or set "
            f"{TOKEN_ENV} (only 127.0.0.1/localhost may be served without one)"
        )
    return token


def serve(
    run_dirs: Sequence[Path],
    *,
    db: Path | None = None,
    host: str = "127.0.0.1",
    port: int = 8765,
    token: str | None = None,
    echo: bool = True,
) -> None:
    """Index the runs, open the review database and serve the desk until interrupted."""
    token = check_bind(host, token)
    try:
        import uvicorn

        from factcheck.review.app import create_app
    except ImportError as exc:
        raise ConfigError(
            f"the review desk needs {exc.name}: install the project's `review` extra "
            "(starlette, jinja2, uvicorn, python-multipart)"
        ) from None
    index = RunIndex(run_dirs)
    store = ReviewStore(db or default_db_path(list(run_dirs)))
    allowed = LOOPBACK_NAMES if is_loopback(host) else None
    app = create_app(index, store, token=token, allowed_hosts=allowed)
    if echo:
        where = f"http://{'[' + host + ']' if ':' in host else host}:{port}/"
        print(
            f"{len(index.rows)} claims from {len(index.files)} results file(s); "
            f"reviews in {store.path}"
        )
        print(f"Review desk at {where}" + ("?token=…" if token else ""))
    uvicorn.run(app, host=host, port=port, log_level="warning")
