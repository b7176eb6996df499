"""Choose the NLI verifier's commit threshold (abstention) and CONFLICTING threshold, and
measure risk–coverage, on the product path (`NLIVerifier.decide`, number check included).

Settings are chosen on the *calibration* split (claims never trained on and never used for
reporting: `factcheck/evals/splits.py`); the dev splits are only measured. Run from the
repository root in the product venv, under `nice`::

    nice -n 10 python -m training.nli.abstention --out training/nli/runs/DATE

Prints the tables for the model card and writes `abstention.json`.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from factcheck.evals import metrics
from factcheck.evals.datasets import VerificationCase
from factcheck.evals.stages import evidence_for
from factcheck.models import VerdictReason
from factcheck.verify.nli import Decision, NLISettings, NLIVerifier
from training.nli.data import check_covid_cases, climate_fever_cases, factcheck_gpt_cases
from training.nli.evaluate import CachedModel

TARGET_PRECISION = 0.80
"""Precision the committed SUPPORTED/REFUTED verdicts must reach on the calibration split."""
THRESHOLDS = (0.0, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)
CONFLICT_THRESHOLDS = (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8)
COMMITTED = {"SUPPORTED", "REFUTED"}


@dataclass(frozen=True)
class Scored:
    """One claim's gold label and the product-path decision without abstention."""

    gold: str
    decision: Decision


def decide_all(
    model: CachedModel, cases: Sequence[VerificationCase], conflict: float
) -> list[Scored]:
    """Decisions at commit threshold 0 (never abstain) and the given conflict threshold."""
    verifier = NLIVerifier(model, NLISettings(conflict_threshold=conflict, commit_threshold=0.0))
    return [Scored(c.label, verifier.decide(c.claim, evidence_for(c))[0]) for c in cases]


def committed_at(scored: Sequence[Scored], threshold: float) -> list[Scored]:
    """The SUPPORTED/REFUTED decisions that would be committed at `threshold`."""
    return [
        s
        for s in scored
        if s.decision.verdict in COMMITTED
        and s.decision.reason is VerdictReason.EVIDENCE
        and s.decision.confidence >= threshold
    ]


def risk_coverage(scored: Sequence[Scored]) -> list[dict[str, float]]:
    """Per threshold: share of claims committed and precision of the committed verdicts."""
    rows = []
    for t in THRESHOLDS:
        kept = committed_at(scored, t)
        correct = sum(s.decision.verdict == s.gold for s in kept)
        rows.append(
            {
                "threshold": t,
                "committed": len(kept),
                "coverage": round(len(kept) / max(1, len(scored)), 4),
                "precision": round(correct / len(kept), 4) if kept else float("nan"),
            }
        )
    return rows


def choose_commit_threshold(rows: list[dict[str, float]]) -> float:
    """The lowest threshold whose committed precision reaches the target (most coverage)."""
    for row in rows:
        if row["committed"] and row["precision"] >= TARGET_PRECISION:
            return float(row["threshold"])
    return float(rows[-1]["threshold"])


def conflict_scores(scored: Sequence[Scored]) -> dict[str, float]:
    """Precision and recall of CONFLICTING against DISPUTED (gold CONFLICTING)."""
    gold = [s.gold for s in scored]
    pred = [str(s.decision.verdict) for s in scored]
    tp = sum(g == p == "CONFLICTING" for g, p in zip(gold, pred, strict=True))
    predicted, actual = pred.count("CONFLICTING"), gold.count("CONFLICTING")
    return {
        "predicted": predicted,
        "gold": actual,
        "precision": round(tp / predicted, 4) if predicted else float("nan"),
        "recall": round(tp / actual, 4) if actual else float("nan"),
        "f1": round(metrics.f1_for_class(gold, pred, "CONFLICTING"), 4),
    }


def with_abstention(scored: Sequence[Scored], threshold: float) -> list[str]:
    """Predicted labels once decisions below `threshold` abstain."""
    kept = {id(s) for s in committed_at(scored, threshold)}
    return [
        str(s.decision.verdict)
        if s.decision.verdict not in COMMITTED or id(s) in kept
        else "NOT_ENOUGH_EVIDENCE"
        for s in scored
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    started = time.perf_counter()
    model = CachedModel()
    calibration = {
        "check-covid": check_covid_cases("calibration"),
        "climate-fever": climate_fever_cases("calibration"),
        "factcheck-gpt": factcheck_gpt_cases("calibration"),
    }
    dev = {
        "check-covid dev": check_covid_cases("dev"),
        "climate-fever held-back": climate_fever_cases("dev"),
        "factcheck-gpt held-back": factcheck_gpt_cases("dev"),
    }
    record: dict[str, object] = {"target_precision": TARGET_PRECISION}

    # 1. CONFLICTING: the threshold with the best CONFLICTING F1 on Climate-FEVER calibration.
    conflict_grid = {}
    for t in CONFLICT_THRESHOLDS:
        conflict_grid[str(t)] = conflict_scores(decide_all(model, calibration["climate-fever"], t))
    best_conflict = max(
        CONFLICT_THRESHOLDS,
        key=lambda t: (conflict_grid[str(t)]["f1"], t),
    )
    record["conflict_grid_calibration"] = conflict_grid
    record["conflict_threshold"] = best_conflict
    print("conflict grid (climate-fever calibration):", json.dumps(conflict_grid), flush=True)

    # 2. Commit threshold on the pooled calibration claims.
    pooled = [s for cases in calibration.values() for s in decide_all(model, cases, best_conflict)]
    rows = risk_coverage(pooled)
    commit = choose_commit_threshold(rows)
    record["calibration_risk_coverage"] = rows
    record["commit_threshold"] = commit
    print(f"calibration ({len(pooled)} claims):", json.dumps(rows), flush=True)
    print(f"chosen: commit {commit}, conflict {best_conflict}", flush=True)

    # 3. Dev: risk-coverage, committed precision at the chosen threshold, macro-F1, CONFLICTING.
    reports = {}
    for name, cases in dev.items():
        scored = decide_all(model, cases, best_conflict)
        gold = [s.gold for s in scored]
        labels = sorted({*gold, "SUPPORTED", "REFUTED", "NOT_ENOUGH_EVIDENCE"})
        before = [str(s.decision.verdict) for s in scored]
        after = with_abstention(scored, commit)
        chosen = (
            next(r for r in risk_coverage(scored) if r["threshold"] == commit)
            if (commit in THRESHOLDS)
            else None
        )
        reports[name] = {
            "claims": len(scored),
            "risk_coverage": risk_coverage(scored),
            "at_commit_threshold": chosen,
            "macro_f1_without_abstention": round(metrics.macro_f1(gold, before, labels), 4),
            "macro_f1_with_abstention": round(metrics.macro_f1(gold, after, labels), 4),
            "conflicting": conflict_scores(scored),
        }
        print(name, json.dumps(reports[name]), flush=True)
    record["dev"] = reports
    record["seconds"] = round(time.perf_counter() - started, 1)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "abstention.json").write_text(json.dumps(record, indent=1) + "\n")
    print(f"wrote {args.out / 'abstention.json'} in {record['seconds']} s")


if __name__ == "__main__":
    main()
