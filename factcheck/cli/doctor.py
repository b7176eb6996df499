"""`factcheck doctor`: which LLM, embedder and store are configured, and whether each responds."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import typer
from rich.table import Table

from factcheck.cli.common import cli_settings
from factcheck.cli.terminal import EXIT_CONFIG, EXIT_OK, out


def doctor() -> None:
    """Show which LLM, embedder and Chroma store are configured, and check that each responds."""
    from factcheck.app import build_llm, make_embedder, open_store
    from factcheck.llm.schemas import VerificationReply

    settings = cli_settings()
    table = Table("part", "configured", "check")
    failures = 0

    def check(part: str, configured: str, probe: Callable[[], str]) -> None:
        nonlocal failures
        try:
            table.add_row(part, configured, f"[green]ok[/green] {probe()}")
        except Exception as exc:  # noqa: BLE001 - report any failure as a failed check
            failures += 1
            table.add_row(part, configured, f"[red]failed[/red] {type(exc).__name__}: {exc}")

    def probe_llm() -> str:
        llm = build_llm(settings)
        started = time.perf_counter()
        reply = asyncio.run(
            llm.ask(
                [
                    (
                        "user",
                        'Reply with JSON: {"rationale": "test", '
                        '"verdict": "NOT_ENOUGH_EVIDENCE", "confidence": 0.5, '
                        '"citations": []}',
                    )
                ],
                VerificationReply,
            )
        )
        return (
            f"{llm.model_name}: structured reply in {time.perf_counter() - started:.1f} s, "
            f"{reply.usage.prompt_tokens}+{reply.usage.completion_tokens} tokens"
        )

    def probe_embedder() -> str:
        embedder = make_embedder(settings)
        vector = embedder(["doctor check"])[0]
        return f"{len(vector)}-dimensional embedding"

    def probe_store() -> str:
        store = open_store(settings)
        return f"{store.count()} chunks in '{settings.collection}'"

    check(
        "LLM", f"{settings.resolved_backend()} ({settings.base_url or settings.model})", probe_llm
    )
    check("embedder", settings.embedder, probe_embedder)
    mode = (
        f"server {settings.chroma_host}:{settings.chroma_port}"
        if settings.chroma_host
        else f"embedded {settings.chroma_path}"
    )
    check("Chroma", mode, probe_store)
    out.print(table)
    out.print("Telemetry to Chroma is off (anonymized_telemetry=False).")
    raise typer.Exit(EXIT_OK if failures == 0 else EXIT_CONFIG)
