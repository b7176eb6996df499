"""Prototype: does a small logistic model over decision features rank committed NLI verdicts
better than the deciding sentence's confidence alone? Fitted on the calibration split,
measured on dev (risk–coverage). Prints both curves; writes nothing to the package.

    nice -n 10 python -m training.nli.commit_features
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np

from factcheck.evals.datasets import VerificationCase
from factcheck.evals.stages import evidence_for
from factcheck.models import Verdict
from factcheck.text import words
from factcheck.verify.nli import NLISettings, NLIVerifier, aggregate
from training.nli.data import check_covid_cases, climate_fever_cases, factcheck_gpt_cases
from training.nli.evaluate import CachedModel

COMMITTED = (Verdict.SUPPORTED, Verdict.REFUTED)


def features(
    verifier: NLIVerifier, case: VerificationCase
) -> tuple[list[float], bool, float] | None:
    """(features, correct, confidence) of a committed decision; None when not committed."""
    scored = verifier.score(case.claim, evidence_for(case))
    decision = aggregate(scored, verifier.settings)
    if decision.verdict not in COMMITTED:
        return None
    verdict = decision.verdict
    other = Verdict.REFUTED if verdict is Verdict.SUPPORTED else Verdict.SUPPORTED
    top = decision.deciding[0]
    agree = sum(s.top is verdict and s.p_raw(verdict) >= 0.5 for s in scored)
    oppose = max((s.p_raw(other) for s in scored), default=0.0)
    claim_words = set(words(case.claim))
    overlap = len(claim_words & set(words(top.text))) / max(1, len(claim_words))
    x = [
        top.p_raw(verdict),
        top.p_raw(verdict) - oppose,
        min(agree, 3) / 3,
        top.p_raw(Verdict.NOT_ENOUGH_EVIDENCE),
        overlap,
        1.0 if top.adjusted else 0.0,
        1.0 if verdict is Verdict.REFUTED else 0.0,
        min(len(scored), 30) / 30,
    ]
    return x, str(verdict) == case.label, decision.confidence


def fit(x: np.ndarray, y: np.ndarray, l2: float = 1.0, steps: int = 4000) -> np.ndarray:
    """L2-regularised logistic regression by gradient descent (weights + bias)."""
    xb = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(xb.shape[1])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-xb @ w))
        grad = xb.T @ (p - y) / len(y) + l2 * np.r_[w[:-1], 0] / len(y)
        w -= 0.5 * grad
    return w


def curve(score: Sequence[float], correct: Sequence[bool], total: int) -> list[tuple]:
    order = np.argsort(-np.asarray(score))
    out = []
    for share in (0.1, 0.2, 0.3, 0.4, 0.5):
        n = round(share * total)
        if n == 0 or n > len(order):
            continue
        kept = [correct[i] for i in order[:n]]
        out.append((share, n, round(float(np.mean(kept)), 3)))
    return out


def main() -> None:
    model = CachedModel()
    verifier = NLIVerifier(model, NLISettings(commit_threshold=0.0))
    sets = {
        "calibration": [
            *check_covid_cases("calibration"),
            *climate_fever_cases("calibration"),
            *factcheck_gpt_cases("calibration"),
        ],
        "check-covid dev": check_covid_cases("dev"),
        "climate-fever held-back": climate_fever_cases("dev"),
        "factcheck-gpt held-back": factcheck_gpt_cases("dev"),
    }
    data = {}
    for name, cases in sets.items():
        rows = [r for r in (features(verifier, c) for c in cases) if r is not None]
        data[name] = (rows, len(cases))
        print(name, len(cases), "claims,", len(rows), "committed", flush=True)
    rows, _ = data["calibration"]
    x = np.asarray([r[0] for r in rows])
    y = np.asarray([1.0 if r[1] else 0.0 for r in rows])
    w = fit(x, y)
    print("weights", json.dumps([round(float(v), 3) for v in w]))
    for name, (rows, total) in data.items():
        xs = np.asarray([r[0] for r in rows])
        learned = 1 / (1 + np.exp(-(np.hstack([xs, np.ones((len(xs), 1))]) @ w)))
        correct = [r[1] for r in rows]
        print(name, "confidence:", curve([r[2] for r in rows], correct, total))
        print(name, "learned:   ", curve(list(learned), correct, total))


if __name__ == "__main__":
    main()
