"""Number perturbations, the perturbation set's scoring, and the held-back splits."""

from __future__ import annotations

import random

import pytest

from factcheck.evals.datasets import DATASETS, load_verification
from factcheck.evals.perturb import mentions, perturb_case, shared
from factcheck.evals.records import CaseRecord
from factcheck.evals.scoring import perturbation_metrics, summarize
from factcheck.evals.splits import is_heldback, split_of
from factcheck.evals.suites import SUITES, Task


def test_shared_values_skip_bounds_ranges_and_names() -> None:
    evidence = "In 2019, 37 of 120 patients (11.1%) were infected; more than 5 died; COVID-19."
    claim = "In 2019 37 patients (11.1%) were infected, more than 5 died of COVID-19."
    assert [m.text for m in shared(claim, evidence)] == ["2019", "37", "11.1%"]
    assert [m.kind for m in mentions("It doubled in May 2020, three times")] == [
        "multiple",
        "month",
        "year",
        "word",
    ]
    assert shared("It rose from 4 to 6 days.", "It rose from 4 to 6 days.") == []
    assert shared("Joe Dirt 2 was released.", "Joe Dirt 2 was released.") == []
    assert shared("Cases may fall.", "Cases may fall in May 2020.") == []  # May, the verb


def test_perturbation_changes_the_value_away_from_the_evidence() -> None:
    evidence = "Of the 37 patients, 11.1% were admitted in 2019; cases doubled."
    for claim in (
        "37 patients were seen.",
        "11.1% were admitted.",
        "It was 2019.",
        "Cases doubled.",
    ):
        for seed in range(20):
            p = perturb_case(claim, evidence, random.Random(seed))
            assert p is not None and p.claim != claim
            assert p.original in claim and p.new not in evidence
            assert p.claim == claim.replace(p.original, p.new, 1)
    p = perturb_case("Cases doubled.", evidence, random.Random(0))
    assert p is not None and p.new == "halved" and p.rule == "doubled→halved"
    assert perturb_case("No numbers here.", evidence, random.Random(0)) is None
    # deterministic
    a = perturb_case("It was 2019.", evidence, random.Random("x"))
    assert a == perturb_case("It was 2019.", evidence, random.Random("x"))


def test_perturbation_set_pairs_originals_with_refuted_copies() -> None:
    cases = load_verification("perturbations", "dev")
    originals = {c.id.rsplit(":", 1)[0]: c for c in cases if not c.meta["perturbed"]}
    copies = [c for c in cases if c.meta["perturbed"]]
    assert len(copies) >= 100 and all(c.label == "REFUTED" for c in copies)
    assert all(c.label == "SUPPORTED" for c in originals.values())
    for c in copies:
        original = originals[c.id.rsplit(":", 1)[0]]
        assert c.evidence == original.evidence and c.meta["original_claim"] == original.claim
        assert str(c.meta["new_value"]) in c.claim
    assert {str(c.meta["source_dataset"]) for c in cases} <= {
        "check-covid",
        "fever-symmetric",
        "factcheck-gpt",
    }


def _rec(case_id: str, gold: str, pred: str) -> CaseRecord:
    return CaseRecord(
        task="verification:perturbations/dev",
        stage="verification",
        dataset="perturbations",
        case_id=case_id,
        gold=gold,
        pred=pred,
        correct=gold == pred,
        confidence=0.9,
    )


def test_perturbation_metrics_hand_computed() -> None:
    S, R, N = "SUPPORTED", "REFUTED", "NOT_ENOUGH_EVIDENCE"
    cases = [
        _rec("perturbations:a:original", S, S),
        _rec("perturbations:a:perturbed-1", R, N),  # pair a/1 flipped
        _rec("perturbations:a:perturbed-2", R, S),  # pair a/2 not
        _rec("perturbations:b:original", S, N),
        _rec("perturbations:b:perturbed-1", R, R),  # original not SUPPORTED → not flipped
    ]
    out = perturbation_metrics(cases)
    assert out["perturbed_not_supported"] == pytest.approx(2 / 3)
    assert out["original_supported"] == 0.5
    assert out["pairs"] == 3 and out["pairs_flipped"] == pytest.approx(1 / 3)
    summary = summarize(Task.parse("verification:perturbations/dev"), cases, 1.0)
    assert summary.metrics["perturbed_not_supported"] == pytest.approx(0.666667)
    assert summary.risk_coverage and summary.risk_coverage[0][3] == 3  # S, R, S committed


def test_heldback_split_is_the_training_dev_split() -> None:
    assert DATASETS["climate-fever"].derived and DATASETS["factcheck-gpt"].derived
    cases = load_verification("factcheck-gpt", "heldback")
    assert len(cases) == 955
    assert all(split_of("factcheck-gpt:doc:" + c.id.split(":")[2]) == "dev" for c in cases)
    assert is_heldback("climate-fever", "climate-fever:0") == (split_of("climate-fever:0") == "dev")
    with pytest.raises(ValueError):
        is_heldback("check-covid", "check-covid:1")
    names = {t.name for t in SUITES["verification-all"]}
    assert "verification:climate-fever/heldback" in names
    assert "verification:factcheck-gpt/heldback" in names
    assert "verification:climate-fever/dev" not in names
