"""Fixtures of the reader tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.io.web_server import serve


@pytest.fixture
def web_server(tmp_path: Path) -> Iterator[str]:
    """The base URL of a real HTTP server on 127.0.0.1 (see `tests.io.web_server`)."""
    with serve(tmp_path) as base:
        yield base
