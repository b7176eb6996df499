"""`factcheck doctor`: which LLM, embedder and store are configured, and whether each responds."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Annotated

import typer
from rich.table import Table

from factcheck.cli.common import cli_settings
from factcheck.cli.terminal import EXIT_CONFIG, EXIT_OK, out
from factcheck.config import Settings


def doctor(
    ray: Annotated[
        str | None,
        typer.Option(
            "--ray",
            metavar="[ADDRESS]",
            help="Also check a Ray cluster (HOST:PORT of its head, `auto`, or nothing for a "
            "local instance): every node's versions, and that each reaches the Chroma server "
            "and the LLM with its own environment's secrets.",
        ),
    ] = None,
) -> None:
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
    if ray is not None:
        failures += check_ray(table, settings, ray)
    out.print(table)
    out.print("Telemetry to Chroma is off (anonymized_telemetry=False).")
    raise typer.Exit(EXIT_OK if failures == 0 else EXIT_CONFIG)


def check_ray(table: Table, settings: Settings, address: str) -> int:
    """Rows for the Ray cluster and each of its nodes; the number of failed checks."""
    from factcheck.cli.cluster import check_cluster
    from factcheck.cli.run import LOCAL_RAY
    from factcheck.errors import FactcheckError

    where = "local instance" if address == LOCAL_RAY else address
    try:
        description, reports = check_cluster(settings, None if address == LOCAL_RAY else address)
    except FactcheckError as exc:
        table.add_row("Ray", where, f"[red]failed[/red] {exc}")
        return 1
    table.add_row("Ray", where, f"[green]ok[/green] {description}")
    failures = 0
    for report in reports:
        versions = ", ".join(f"{k} {v}" for k, v in report.versions.items())
        if report.problems:
            failures += 1
            problems = "; ".join(report.problems)
            table.add_row("Ray node", report.node, f"[red]failed[/red] {problems} ({versions})")
        else:
            ok = f"[green]ok[/green] reaches Chroma and the LLM ({versions})"
            table.add_row("Ray node", report.node, ok)
    return failures
