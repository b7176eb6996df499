"""The Python API: a `Checker` for notebooks and scripts, built exactly as the CLI builds its
parts (same settings, same backend choice and small-model profile, same pipeline)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from factcheck.app import App, build_app, fetch_settings, ingest_paths
from factcheck.config import Settings, load_settings
from factcheck.errors import FactcheckError
from factcheck.io.claims import plain_claim
from factcheck.models import Article, Claim, ClaimResult, ErrorRecord, Record
from factcheck.retrieval.store import IngestReport

T = TypeVar("T")


class Checker:
    """Check articles and claims against your reference store.

    >>> checker = Checker.open()                      # settings from FACTCHECK_* / .env
    >>> checker.ingest(["seeds/reference"])           # add trusted sources
    >>> checker.check_claim("Homicides in Mexico fell in 2025.")

    In a notebook (a running event loop) use the `a`-prefixed coroutines with `await`.
    """

    def __init__(self, app: App) -> None:
        self.app = app

    @classmethod
    def open(cls, settings: Settings | None = None, **overrides: Any) -> Checker:
        """A checker from `settings` (default: the environment and `.env`, validated as the
        CLI validates them); keyword `overrides` replace single settings, e.g.
        `Checker.open(llm_backend="fake", chroma_path="my-store")`."""
        if settings is None:
            settings = load_settings(**overrides)
        elif overrides:
            settings = settings.model_copy(update=overrides)
        return cls(build_app(settings))

    @property
    def settings(self) -> Settings:
        """The settings in force (with the backend's profile applied)."""
        return self.app.settings

    def ingest(self, paths: Sequence[str | Path]) -> IngestReport:
        """Add reference files, folders or http(s) URLs (.txt, .md, .html, .pdf, .jsonl, .csv,
        .urls, and statistics tables: .csv/.xlsx with a .table.json sidecar) to the store;
        items that cannot be read are listed in the report's `errors`, the rest are stored."""
        store = self.app.reference_store
        if store is None:
            raise FactcheckError("this checker searches a bare retriever: it has no store")
        return ingest_paths(
            store,
            list(paths),
            max_bytes=self.settings.max_input_bytes,
            fetch=fetch_settings(self.settings),
        )

    async def acheck_article(
        self,
        text: str,
        *,
        title: str | None = None,
        url: str | None = None,
        published: date | None = None,
        publisher: str | None = None,
        article_id: str = "",
    ) -> list[Record]:
        """Extract the article's check-worthy claims and verify each: one `ClaimResult` per
        claim, or an `ErrorRecord` where a claim (or the whole article) failed."""
        self.app.require_sources()
        article = Article(
            id=article_id,
            text=text,
            title=title,
            url=url,
            published=published,
            publisher=publisher,
        )
        records: list[Record] = []
        async for block in self.app.pipeline.run([article]):
            records.extend(block.records)
        return records

    def check_article(self, text: str, **metadata: Any) -> list[Record]:
        """`acheck_article` for scripts (no running event loop)."""
        return _run(self.acheck_article(text, **metadata))

    async def acheck_claims(self, claims: Iterable[str | Claim]) -> list[Record]:
        """Verify claims given as plain text (or `Claim` objects), no extraction; results in
        input order."""
        self.app.require_sources()
        made = [plain_claim(c, article_id="api") if isinstance(c, str) else c for c in claims]
        return await self.app.pipeline.check_claims(made)

    def check_claims(self, claims: Iterable[str | Claim]) -> list[Record]:
        """`acheck_claims` for scripts (no running event loop)."""
        return _run(self.acheck_claims(claims))

    def check_claim(self, claim: str | Claim) -> ClaimResult:
        """Verify one claim; raises `FactcheckError` with the cause if it failed."""
        (record,) = self.check_claims([claim])
        if isinstance(record, ErrorRecord):
            raise FactcheckError(f"{record.stage} failed: {record.message}")
        return record


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    coroutine.close()
    raise FactcheckError(
        "an event loop is already running (a notebook?): use `await checker.acheck_...` "
        "instead of the blocking method"
    )
