"""What `factcheck eval` does: run a suite, optionally a baseline, compare, write reports.

Outputs go to `--out` (default `evals/runs/<run id>/`): `run.jsonl` (the candidate),
`baseline.jsonl` (when the baseline was run here), `report.md` and `report.html`.
Exit codes: 0 done (and no regression); 1 configuration or data error; 5 a headline metric
regressed beyond the tolerance with 95% confidence; 6 a compared prompt that no case rendered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from rich.console import Console

from factcheck.config import load_settings
from factcheck.evals.compare import Comparison, compare_runs
from factcheck.evals.html import html_report
from factcheck.evals.records import EvalRun, read_run, write_run
from factcheck.evals.render import markdown, print_tables
from factcheck.evals.report import comparison_tables, run_tables
from factcheck.evals.runner import DEFAULT_LLM_CACHE, RUNS_DIR, EvalOptions, run_suite


@dataclass
class EvalRequest:
    """The command line of `factcheck eval`, parsed."""

    suite: str
    backend: str | None = None
    limit: int | None = None
    seed: int | None = None
    prompts_dir: Path | None = None
    baseline: Path | None = None
    baseline_prompts: Path | None = None
    baseline_prompt: dict[str, Path] = field(default_factory=dict)
    tolerance: float = 0.02
    out: Path | None = None
    use_cache: bool = True
    command: str | None = None
    datasets: list[Path] = field(default_factory=list)


@dataclass
class EvalOutcome:
    """What was run and written, and the exit code."""

    candidate: EvalRun
    baseline: EvalRun | None
    comparison: Comparison | None
    out_dir: Path
    exit_code: int


def parse_step_dirs(values: list[str]) -> dict[str, Path]:
    """`STEP=DIR` pairs → {step: dir}; raises ValueError naming a malformed one."""
    out: dict[str, Path] = {}
    for value in values:
        step, sep, directory = value.partition("=")
        if not sep or not step or not directory:
            raise ValueError(f"--baseline-prompt expects STEP=DIR, got {value!r}")
        out[step.strip()] = Path(directory)
    return out


def run_eval(request: EvalRequest, say: Callable[[str], None]) -> EvalOutcome:
    """Run the candidate (and the baseline when asked), compare, and write the reports."""
    if request.baseline is not None and (request.baseline_prompts or request.baseline_prompt):
        raise ValueError("give either --baseline or --baseline-prompts / --baseline-prompt")
    settings = load_settings()
    cache = (settings.llm_cache or DEFAULT_LLM_CACHE) if request.use_cache else None
    base_options = EvalOptions(
        suite=request.suite,
        backend=request.backend,
        limit=request.limit,
        seed=request.seed or 0,
        prompts_dir=request.prompts_dir,
        llm_cache=cache,
        command=request.command,
        datasets=list(request.datasets),
    )
    baseline: EvalRun | None = None
    ran_baseline = False
    if request.baseline is not None:
        baseline = read_run(request.baseline)
        base_options = replace(
            base_options,
            limit=request.limit if request.limit is not None else baseline.spec.limit,
            seed=request.seed if request.seed is not None else baseline.spec.seed,
            case_ids={
                task: {c.case_id for c in cases} for task, cases in baseline.by_task().items()
            },
        )
    elif request.baseline_prompts is not None or request.baseline_prompt:
        baseline_options = replace(
            base_options,
            label="baseline",
            prompts_dir=request.baseline_prompts or request.prompts_dir,
            prompt_overrides=dict(request.baseline_prompt),
        )
        baseline = run_suite(baseline_options, settings=settings, progress=say)
        ran_baseline = True
    candidate = run_suite(base_options, settings=settings, progress=say)
    comparison = (
        compare_runs(baseline, candidate, tolerance=request.tolerance) if baseline else None
    )
    out_dir = request.out or RUNS_DIR / candidate.spec.run_id
    write_run(out_dir / "run.jsonl", candidate)
    if ran_baseline and baseline is not None:
        write_run(out_dir / "baseline.jsonl", baseline)
    tables = (comparison_tables(comparison) if comparison else []) + run_tables(candidate)
    title = f"factcheck eval · {candidate.spec.suite}"
    (out_dir / "report.md").write_text(markdown(tables, title), encoding="utf-8")
    (out_dir / "report.html").write_text(
        html_report(candidate, comparison, baseline), encoding="utf-8"
    )
    code = comparison.exit_code if comparison else 0
    return EvalOutcome(candidate, baseline, comparison, out_dir, code)


def print_outcome(outcome: EvalOutcome, console: Console) -> None:
    """The terminal report and where the files are."""
    tables = run_tables(outcome.candidate)
    if outcome.comparison:
        tables = comparison_tables(outcome.comparison) + tables[1:]
    print_tables(tables, console)
    console.print(
        f"Run file: {outcome.out_dir / 'run.jsonl'}\nReports:  {outcome.out_dir / 'report.md'}"
        f"  {outcome.out_dir / 'report.html'}",
        markup=False,
        highlight=False,
    )
