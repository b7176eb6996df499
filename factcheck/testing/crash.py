"""Fault injection for cluster tests: a worker process that dies on a marked article."""

from __future__ import annotations

import os
from dataclasses import dataclass

from factcheck.errors import InputError
from factcheck.models import Article


@dataclass(frozen=True)
class CrashOn:
    """An item hook for `cli.cluster.ClusterOptions`: kills the worker process at once (no
    cleanup, like a segfault or the OOM killer) when an article's text contains `marker`."""

    marker: str
    exit_code: int = 70

    def __call__(self, item: Article | InputError) -> None:
        """Die if `item` is marked."""
        if isinstance(item, Article) and self.marker in item.text:
            os._exit(self.exit_code)
