"""Every committed eval run: no verdict other than NOT_ENOUGH_EVIDENCE without a valid citation.

Runs made before that rule existed (2026-12-02, `factcheck/verify/checks.py`) are listed in
`LEGACY` with the count that breaks it, so a new run cannot slip in and a regenerated one must
leave the list.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUNS = sorted([*ROOT.glob("evals/baselines/*/run*.jsonl"), *ROOT.glob("evals/examples/*/*.jsonl")])
COMMITTED = {"SUPPORTED", "REFUTED", "CONFLICTING"}
LEGACY = {
    # local 0.5B LLM runs of 2026-11-28, before committed verdicts needed a valid citation
    "evals/examples/prompt-comparison/baseline.jsonl": 7,
    "evals/examples/prompt-comparison/run.jsonl": 5,
}


def uncited(path: Path) -> int:
    count = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record.get("type") == "case" and record.get("pred") in COMMITTED:
            count += not record.get("citations")
    return count


def test_there_are_committed_runs():
    assert len(RUNS) >= 5


@pytest.mark.parametrize("path", RUNS, ids=lambda p: str(p.relative_to(ROOT)))
def test_committed_verdicts_stand_on_a_valid_citation(path: Path):
    name = str(path.relative_to(ROOT))
    assert uncited(path) == LEGACY.get(name, 0), (
        f"{name}: committed verdicts without a valid citation (regenerate the run with the "
        "current verifier and drop it from LEGACY)"
    )
