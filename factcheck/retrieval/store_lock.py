"""One writer at a time for an embedded store: Chroma's embedded client is thread-safe but not
process-safe, so an ingest takes an exclusive lock file in the store's folder and a second
process that tries to write meanwhile is refused with the fix (wait, or run a Chroma server)."""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from factcheck.errors import StoreError
from factcheck.retrieval.chroma import StoreLocation

LOCK_FILE = "factcheck-ingest.lock"
_held: dict[Path, int] = {}
_guard = threading.Lock()


@contextmanager
def ingest_lock(location: StoreLocation) -> Iterator[None]:
    """Hold the store's write lock for the block (a no-op for a Chroma server, which is
    process-safe). Re-entrant within one process."""
    if not location.embedded:
        yield
        return
    path = (location.chroma_path / LOCK_FILE).resolve()
    with _guard:
        if path in _held:
            _held[path] += 1
            handle = None
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle = path.open("a+", encoding="utf-8")
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                owner = handle.read().strip() or "another process"
                handle.close()
                raise StoreError(
                    f"the embedded store at {location.chroma_path} is being written by "
                    f"{owner}; the embedded store takes one writer at a time. Wait for it to "
                    "finish, or serve the store to several processes with `chroma run --path "
                    f"{location.chroma_path}` and set FACTCHECK_CHROMA_HOST."
                ) from None
            handle.seek(0)
            handle.truncate()
            handle.write(f"process {os.getpid()}")
            handle.flush()
            _held[path] = 1
    try:
        yield
    finally:
        with _guard:
            _held[path] -= 1
            if _held[path] == 0:
                del _held[path]
                if handle is not None:
                    handle.close()  # closing releases the flock
