"""Shared test configuration: fast unit tests run first, integration tests (real servers) last."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Order unit tests before the tests marked `integration`."""
    items.sort(key=lambda item: item.get_closest_marker("integration") is not None)
