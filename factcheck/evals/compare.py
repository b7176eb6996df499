"""Compare a candidate run with a baseline run on the same cases.

Cases are paired by `(task, case_id)`; both sides' metrics are recomputed on the paired cases
only. Each task's headline metrics get a paired percentile-bootstrap 95% CI of
candidate − baseline (`stats.paired_bootstrap_ci`, vectorised); per-case correctness gets an
exact McNemar test; every changed prediction is listed as improved / regressed /
changed-but-still-wrong. A gated metric *regresses* when its whole CI lies beyond the tolerance
on the bad side (below −tolerance for higher-is-better metrics): that is the CI gate, exit 5.

No silent passes: a prompt whose hash differs between the two runs but that no case on either
side rendered (no request made with it, e.g. the verify prompt under the offline NLI verifier,
or the extract prompt in a verification-only suite) means the comparison measured nothing about
it: the gate does not pass (exit 6). Tasks with fewer than `MIN_CASES` paired cases, and headline
metrics whose interval has zero width, are called out as inconclusive.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from factcheck.evals.records import ERROR_LABEL, CaseRecord, EvalRun, RunSpec, TaskSummary
from factcheck.evals.scoring import LOWER_IS_BETTER, label_order, summarize
from factcheck.evals.stats import (
    Flip,
    McNemarResult,
    classify_flip,
    mcnemar_from_correct,
    paired_bootstrap_ci,
)
from factcheck.evals.suites import Task

EXIT_REGRESSION = 5
EXIT_NOT_MEASURED = 6
"""A compared prompt was never rendered: the comparison says nothing about it."""
MIN_CASES = 30
"""Fewer paired cases than this: a plain warning that nothing can be concluded."""
N_RESAMPLES = 2000
Array = NDArray[np.float64]


@dataclass(frozen=True)
class MetricDelta:
    """One metric on both sides; `low`/`high` is the 95% CI of the delta (None: no CI)."""

    task: str
    metric: str
    baseline: float | None
    candidate: float | None
    low: float | None = None
    high: float | None = None
    higher_is_better: bool = True
    gated: bool = False

    @property
    def delta(self) -> float | None:
        """candidate − baseline."""
        if self.baseline is None or self.candidate is None:
            return None
        return self.candidate - self.baseline

    def regressed(self, tolerance: float) -> bool:
        """Significantly worse by more than `tolerance` (the CI lies wholly beyond it)."""
        if not self.gated or self.low is None or self.high is None:
            return False
        if self.higher_is_better:
            return self.high < -tolerance
        return self.low > tolerance


@dataclass(frozen=True)
class FlipCase:
    """A case whose prediction changed."""

    case_id: str
    text: str | None
    gold: str
    baseline: str
    candidate: str
    flip: Flip


@dataclass
class TaskComparison:
    """Everything compared for one task."""

    task: str
    stage: str
    paired: int
    baseline_summary: TaskSummary
    candidate_summary: TaskSummary
    deltas: list[MetricDelta] = field(default_factory=list)
    mcnemar: McNemarResult | None = None
    flips: dict[str, int] = field(default_factory=dict)
    flip_cases: list[FlipCase] = field(default_factory=list)
    unpaired: int = 0


@dataclass
class Comparison:
    """A candidate run against a baseline run."""

    baseline: RunSpec
    candidate: RunSpec
    tolerance: float
    prompt_changes: dict[str, tuple[str | None, str | None]]
    other_changes: dict[str, tuple[object, object]]
    tasks: list[TaskComparison]
    unrendered_prompts: list[str] = field(default_factory=list)
    """Changed prompts that no case on either side made a request with."""

    @property
    def regressions(self) -> list[MetricDelta]:
        """Gated metrics that regressed significantly beyond the tolerance."""
        return [d for t in self.tasks for d in t.deltas if d.regressed(self.tolerance)]

    @property
    def small_tasks(self) -> list[TaskComparison]:
        """Tasks with fewer than `MIN_CASES` paired cases."""
        return [t for t in self.tasks if t.paired < MIN_CASES]

    @property
    def zero_width(self) -> list[MetricDelta]:
        """Headline metrics whose 95% interval has zero width (every resample gave the same
        difference: usually both sides answered every case alike, or too few cases)."""
        return [
            d
            for t in self.tasks
            for d in t.deltas
            if d.gated and d.low is not None and d.high is not None and d.low == d.high
        ]

    @property
    def exit_code(self) -> int:
        """5 when anything regressed; else 6 when a compared prompt was never rendered; else 0."""
        if self.regressions:
            return EXIT_REGRESSION
        return EXIT_NOT_MEASURED if self.unrendered_prompts or not self.tasks else 0

    def verdict(self) -> str:
        """The gate's one-line outcome."""
        if self.regressions:
            return (
                f"FAIL: {len(self.regressions)} metric(s) regressed beyond ±{self.tolerance} "
                f"with 95% confidence (exit {EXIT_REGRESSION})"
            )
        if not self.tasks:
            return (
                "NOT MEASURED: no task of the candidate pairs with a task of the baseline "
                "(different datasets or suites), so nothing was compared "
                f"(exit {EXIT_NOT_MEASURED})"
            )
        if self.unrendered_prompts:
            steps = ", ".join(self.unrendered_prompts)
            return (
                f"NOT MEASURED: the {steps} prompt changed but no case on either side rendered "
                f"it, so nothing about the change was compared (exit {EXIT_NOT_MEASURED})"
            )
        return f"PASS: no metric regressed beyond ±{self.tolerance} with 95% confidence"

    def warnings(self) -> list[str]:
        """What makes the outcome weaker than it looks, in plain words."""
        out = []
        if not self.tasks:
            out.append(
                f"No paired task: the baseline has {', '.join(self.baseline.tasks) or 'none'}; "
                f"the candidate has {', '.join(self.candidate.tasks) or 'none'}. Tasks pair by "
                "name, and a dataset of your own is named by its path."
            )
        for step in self.unrendered_prompts:
            before, after = self.prompt_changes.get(step, (None, None))
            out.append(
                f"The {step} prompt differs ({before or '—'} → {after or '—'}) but no case on "
                f"either side made a request with it (0 model calls and 0 cache hits with it): "
                f"the stages that render it did not run or did not call the model (verifier "
                f"{self.baseline.verifier or '?'} → {self.candidate.verifier or '?'}; the "
                "offline NLI verifier never renders the verify prompt). This comparison says "
                "nothing about the prompt change; run it with --backend and a verifier that "
                "renders the prompt (FACTCHECK_VERIFIER=llm)."
            )
        for t in self.small_tasks:
            out.append(
                f"{t.task}: only {t.paired} paired case(s) (fewer than {MIN_CASES}): nothing can "
                "be concluded from this comparison, whichever way the numbers point."
            )
        if self.zero_width:
            names = ", ".join(f"{d.task} {d.metric}" for d in self.zero_width)
            out.append(
                f"Zero-width 95% intervals ({names}): every resample gave the same difference, "
                "usually because both sides answered every case alike or there were too few "
                "cases. That is no evidence of equality, only of no observed difference."
            )
        return out


# --- vectorised metrics (rows = bootstrap resamples) ------------------------------------------


def _safe_div(num: Array, den: Array) -> Array:
    num, den = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    return np.divide(num, den, out=np.zeros(np.broadcast(num, den).shape), where=den > 0)


def v_accuracy(gold: Array, pred: Array) -> Array:
    """Accuracy per row."""
    return (gold == pred).mean(axis=-1)


def v_f1(gold: Array, pred: Array, cls: int) -> Array:
    """F1 of one class per row (zero division → 0, as metrics.py)."""
    tp = ((gold == cls) & (pred == cls)).sum(axis=-1)
    precision = _safe_div(tp, (pred == cls).sum(axis=-1))
    recall = _safe_div(tp, (gold == cls).sum(axis=-1))
    return _safe_div(2 * precision * recall, precision + recall)


def v_macro_f1(gold: Array, pred: Array, classes: Sequence[int]) -> Array:
    """Mean F1 over `classes` per row."""
    return np.mean([v_f1(gold, pred, c) for c in classes], axis=0)


def v_ratio(num: Array, den: Array) -> Array:
    """Σnum / Σden per row (micro average)."""
    return _safe_div(num.sum(axis=-1), den.sum(axis=-1))


def v_mean(values: Array) -> Array:
    """Mean per row."""
    return values.mean(axis=-1)


# --- per-stage paired metrics ------------------------------------------------------------------

VecMetric = Callable[..., Array]
PairedArrays = tuple[list[Array], list[Array]]


def _label_arrays(
    pairs: Sequence[tuple[CaseRecord, CaseRecord]],
) -> tuple[Array, Array, Array, dict[str, int]]:
    labels = label_order(
        {a.gold or "" for a, _ in pairs}
        | {a.pred or ERROR_LABEL for a, _ in pairs}
        | {b.pred or ERROR_LABEL for _, b in pairs}
    )
    code = {label: i for i, label in enumerate(labels)}
    gold = np.array([code[a.gold or ""] for a, _ in pairs], dtype=float)
    pred_a = np.array([code[a.pred or ERROR_LABEL] for a, _ in pairs], dtype=float)
    pred_b = np.array([code[b.pred or ERROR_LABEL] for _, b in pairs], dtype=float)
    return gold, pred_a, pred_b, code


def _paired_metrics(
    stage: str, pairs: Sequence[tuple[CaseRecord, CaseRecord]]
) -> list[tuple[str, VecMetric, PairedArrays]]:
    """(metric name, vectorised metric, (arrays A, arrays B)) for the gated headline metrics."""
    if stage in ("verification", "e2e", "checkworthiness"):
        pairs = [(a, b) for a, b in pairs if a.scorable and a.gold is not None]
        if not pairs:
            return []
        gold, pa, pb, code = _label_arrays(pairs)
        sides = ([gold, pa], [gold, pb])
        if stage == "checkworthiness":
            pos = code.get("true", -1)
            return [
                ("f1", lambda g, p: v_f1(g, p, pos), sides),
                ("accuracy", v_accuracy, sides),
            ]
        classes = [code[label] for label in label_order({a.gold or "" for a, _ in pairs})]
        out = [
            ("accuracy", v_accuracy, sides),
            ("macro_f1", lambda g, p: v_macro_f1(g, p, classes), sides),
        ]
        if "REFUTED" in code and code["REFUTED"] in classes:
            out.append(("f1_refuted", lambda g, p: v_f1(g, p, code["REFUTED"]), sides))
        return out
    if stage == "retrieval":
        from factcheck.evals.metrics import ndcg_at_k, recall_at_k

        pairs = [(a, b) for a, b in pairs if a.gold_docs]
        out = []
        for mode in ("dense", "lexical", "hybrid", "hybrid+rerank"):
            if not pairs or not all(mode in a.retrieved and mode in b.retrieved for a, b in pairs):
                continue
            for name, fn in (
                ("recall@5", lambda r, g: recall_at_k(r, g, 5)),
                ("ndcg@10", lambda r, g: ndcg_at_k(r, g, 10)),
            ):
                a_vals = np.array([fn(a.retrieved[mode], a.gold_docs) for a, _ in pairs])
                b_vals = np.array([fn(b.retrieved[mode], b.gold_docs) for _, b in pairs])
                out.append((f"{mode}.{name}", v_mean, ([a_vals], [b_vals])))
        return out
    if stage == "extraction":
        pairs = [(a, b) for a, b in pairs if a.extraction and b.extraction]
        if not pairs:
            return []

        def col(side: int, attr: str) -> Array:
            return np.array([float(getattr(p[side].extraction, attr)) for p in pairs])

        return [
            (
                "claim_recall",
                v_ratio,
                (
                    [col(0, "gold_matched"), col(0, "gold_checkworthy")],
                    [col(1, "gold_matched"), col(1, "gold_checkworthy")],
                ),
            ),
            (
                "claim_precision",
                v_ratio,
                (
                    [col(0, "extracted_matched"), col(0, "emitted")],
                    [col(1, "extracted_matched"), col(1, "emitted")],
                ),
            ),
        ]
    return []


def _correctness(
    stage: str, pairs: Sequence[tuple[CaseRecord, CaseRecord]]
) -> tuple[list[bool], list[bool]] | None:
    if stage in ("verification", "e2e", "checkworthiness"):
        scored = [(a, b) for a, b in pairs if a.scorable and a.gold is not None]
        return [bool(a.correct) for a, _ in scored], [bool(b.correct) for _, b in scored]
    if stage == "retrieval":
        scored = [(a, b) for a, b in pairs if a.gold_docs and "hybrid" in a.retrieved]

        def hit(c: CaseRecord) -> bool:
            return bool(set(c.retrieved.get("hybrid", [])[:5]) & set(c.gold_docs))

        return [hit(a) for a, _ in scored], [hit(b) for _, b in scored]
    return None


def compare_task(
    task: str, pairs: Sequence[tuple[CaseRecord, CaseRecord]], *, unpaired: int = 0, seed: int = 0
) -> TaskComparison:
    """Compare one task on its paired cases."""
    parsed = Task.parse(task)
    stage = parsed.stage
    summaries = [
        summarize(parsed, [p[i] for p in pairs], sum(p[i].seconds for p in pairs)) for i in (0, 1)
    ]
    result = TaskComparison(task, stage, len(pairs), summaries[0], summaries[1], unpaired=unpaired)
    gated: set[str] = set()
    for name, metric, (arrays_a, arrays_b) in _paired_metrics(stage, pairs):
        ci = paired_bootstrap_ci(
            metric, arrays_a, arrays_b, n_resamples=N_RESAMPLES, seed=seed, vectorized=True
        )
        base = float(metric(*(x[None, :] for x in arrays_a))[0])
        result.deltas.append(
            MetricDelta(
                task,
                name,
                base,
                base + ci.difference,
                ci.low,
                ci.high,
                name not in LOWER_IS_BETTER,
                gated=True,
            )
        )
        gated.add(name)
    for name, value in summaries[1].metrics.items():
        before = summaries[0].metrics.get(name)
        if name in gated or name in {"scored", "queries", "documents", "match_threshold"}:
            continue
        if before is None and value is None:
            continue
        result.deltas.append(
            MetricDelta(task, name, before, value, higher_is_better=name not in LOWER_IS_BETTER)
        )
    correctness = _correctness(stage, pairs)
    if correctness and correctness[0]:
        result.mcnemar = mcnemar_from_correct(*correctness)
    if stage in ("verification", "e2e", "checkworthiness"):
        counts = dict.fromkeys((f.value for f in Flip), 0)
        for a, b in pairs:
            if not a.scorable or a.gold is None:
                continue
            flip = classify_flip(a.gold, a.pred or ERROR_LABEL, b.pred or ERROR_LABEL)
            counts[flip.value] += 1
            if flip in (Flip.IMPROVED, Flip.REGRESSED, Flip.CHANGED_WRONG):
                result.flip_cases.append(
                    FlipCase(
                        a.case_id,
                        b.text or a.text,
                        a.gold,
                        a.pred or ERROR_LABEL,
                        b.pred or ERROR_LABEL,
                        flip,
                    )
                )
        result.flips = counts
    return result


def _other_changes(a: RunSpec, b: RunSpec) -> dict[str, tuple[object, object]]:
    fields = (
        "backend",
        "model",
        "model_params",
        "embedder",
        "retrieval",
        "extraction",
        "seed",
        "limit",
    )
    return {f: (getattr(a, f), getattr(b, f)) for f in fields if getattr(a, f) != getattr(b, f)}


def compare_runs(
    baseline: EvalRun, candidate: EvalRun, *, tolerance: float = 0.02, seed: int = 0
) -> Comparison:
    """Pair the two runs' cases per task and compare every task both runs have."""
    a_tasks, b_tasks = baseline.by_task(), candidate.by_task()
    tasks: list[TaskComparison] = []
    for task, b_cases in b_tasks.items():
        if task not in a_tasks:
            continue
        a_by_id = {c.case_id: c for c in a_tasks[task]}
        pairs = [(a_by_id[c.case_id], c) for c in b_cases if c.case_id in a_by_id]
        unpaired = len(b_cases) + len(a_tasks[task]) - 2 * len(pairs)
        if pairs:
            tasks.append(compare_task(task, pairs, unpaired=unpaired, seed=seed))
    steps = sorted(set(baseline.spec.prompt_hashes) | set(candidate.spec.prompt_hashes))
    changes = {
        s: (baseline.spec.prompt_hashes.get(s), candidate.spec.prompt_hashes.get(s))
        for s in steps
        if baseline.spec.prompt_hashes.get(s) != candidate.spec.prompt_hashes.get(s)
    }
    return Comparison(
        baseline.spec,
        candidate.spec,
        tolerance,
        changes,
        _other_changes(baseline.spec, candidate.spec),
        tasks,
        unrendered_prompts=unrendered_prompts(changes, baseline, candidate),
    )


def unrendered_prompts(
    changes: dict[str, tuple[str | None, str | None]], *runs: EvalRun
) -> list[str]:
    """The changed prompts that no case of `runs` made a request with (a case records the
    hashes of the prompts its stage renders, and its requests, cache hits included)."""
    used = {
        step
        for run in runs
        for case in run.cases
        if case.usage.calls > 0
        for step in case.prompt_hashes
    }
    return [step for step in changes if step not in used]
