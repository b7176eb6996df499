"""`factcheck eval`: score pipeline stages on eval datasets and compare prompt versions."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from factcheck.cli.common import fail
from factcheck.cli.terminal import EXIT_OK, EXIT_USAGE, console, out
from factcheck.errors import FactcheckError


def eval_command(
    suite: Annotated[
        str,
        typer.Argument(
            help="Suite name (`factcheck eval list` shows them) or task names; with --dataset, "
            "the stage(s) to run on it (verification, e2e, retrieval, extraction, "
            "checkworthiness, a comma-separated list, or all)."
        ),
    ],
    dataset: Annotated[
        list[Path] | None,
        typer.Option(
            "--dataset",
            help="Your own eval set: a folder of <task>-<split>.jsonl files (+ corpus.jsonl) "
            "or one such file, in the harness's schemas (evals/README.md); e.g. the folder "
            "`factcheck review export-evals` writes. Read in place, never copied; its runs are "
            "labelled with its path. Repeatable.",
            exists=True,
        ),
    ] = None,
    baseline: Annotated[
        Path | None,
        typer.Option(help="Compare with this earlier run.jsonl (same cases).", exists=True),
    ] = None,
    baseline_prompts: Annotated[
        Path | None,
        typer.Option(help="Also run the suite with the prompts in DIR and compare.", exists=True),
    ] = None,
    baseline_prompt: Annotated[
        list[str] | None,
        typer.Option(help="STEP=DIR: baseline uses DIR's prompt for STEP (repeatable)."),
    ] = None,
    prompts: Annotated[
        Path | None, typer.Option(help="Candidate prompts directory (default: configured).")
    ] = None,
    tolerance: Annotated[
        float, typer.Option(help="Fail (exit 5) when a metric's whole 95% CI is below -TOL.")
    ] = 0.02,
    backend: Annotated[
        str | None, typer.Option(help="fake | local | openai (default: configured backend).")
    ] = None,
    limit: Annotated[int | None, typer.Option(help="Sample N cases per task.", min=1)] = None,
    seed: Annotated[int | None, typer.Option(help="Sampling seed (default 0).")] = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Output folder (default evals/runs/<run id>).")
    ] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Do not use the LLM cache.")] = False,
) -> None:
    """Score pipeline stages on eval datasets; compare prompt versions with paired CIs.

    Exit codes: 0 done; 1 configuration or data error; 5 a metric regressed (CI gate); 6 a
    compared prompt was never rendered by any case (the comparison measured nothing).
    """
    from factcheck.evals.command import EvalRequest, parse_step_dirs, print_outcome, run_eval
    from factcheck.evals.datasets import DatasetError
    from factcheck.evals.suites import SUITE_HELP, SUITES

    if suite == "list" and not dataset:
        for name in SUITES:
            out.print(f"{name:30} {SUITE_HELP.get(name, '')}", markup=False, highlight=False)
        raise typer.Exit(EXIT_OK)
    if backend not in (None, "fake", "local", "openai"):
        console.print(f"[red]error:[/red] --backend must be fake, local or openai, not {backend}")
        raise typer.Exit(EXIT_USAGE)
    try:
        request = EvalRequest(
            suite=suite,
            backend=backend,
            limit=limit,
            seed=seed,
            prompts_dir=prompts,
            baseline=baseline,
            baseline_prompts=baseline_prompts,
            baseline_prompt=parse_step_dirs(baseline_prompt or []),
            tolerance=tolerance,
            out=out_dir,
            use_cache=not no_cache,
            command=" ".join(["factcheck", *sys.argv[1:]]),
            datasets=list(dataset or []),
        )
        outcome = run_eval(request, lambda line: console.print(line, markup=False, soft_wrap=True))
    except ValueError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(EXIT_USAGE) from None
    except (FactcheckError, DatasetError, ImportError) as exc:
        raise fail(exc) from None
    print_outcome(outcome, out)
    raise typer.Exit(outcome.exit_code)
