"""Fit the temperature and measure the shipped NLI verifier against a majority-class baseline.

Product venv (torch-free), repository root, under `nice`::

    nice -n 15 python -m training.nli.evaluate --calibrate --out training/nli/runs/DATE

``--calibrate`` fits the temperature on the calibration split (factcheck/evals/splits.py; never on a
dev split) and writes ``factcheck/assets/nli/calibration.json``. The evaluation then runs the
product code path (``NLIVerifier.decide`` on the given gold evidence) on the dev splits and
writes ``evaluation.json`` plus a Markdown table (``evaluation.md``) to ``--out``.

Claim-level confidence is the verdict's confidence; ECE is top-label ECE (10 bins); the Brier
score puts the confidence on the predicted label and spreads the rest evenly over the other
labels of the dataset's label set (so it needs only the verdict and its confidence).
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from factcheck.evals import metrics
from factcheck.evals.datasets import VerificationCase, load_verification
from factcheck.evals.stages import evidence_for
from factcheck.files import sha256_file
from factcheck.retrieval.onnx import packaged_file
from factcheck.verify.nli import (
    CALIBRATION_RESOURCE,
    LABELS,
    Calibration,
    NLIModel,
    NLISettings,
    NLIVerifier,
    softmax,
)
from training.nli.data import (
    case_pairs,
    check_covid_cases,
    climate_fever_cases,
    factcheck_gpt_cases,
    heldback_pairs,
)

LABEL_NAMES = [str(x) for x in LABELS]


def fit_temperature(logits: np.ndarray, gold: np.ndarray) -> tuple[float, float, float]:
    """Temperature minimising the NLL (grid over log-space, then refined); (T, nll@1, nll@T)."""

    def nll(t: float) -> float:
        p = softmax(logits, t)
        return float(-np.log(np.clip(p[np.arange(len(gold)), gold], 1e-12, None)).mean())

    grid = np.exp(np.linspace(np.log(0.25), np.log(8.0), 121))
    best = min(grid, key=nll)
    fine = np.linspace(best * 0.95, best * 1.05, 41)
    best = float(min(fine, key=nll))
    return round(best, 4), nll(1.0), nll(best)


def calibrate(model: NLIModel, path: Path) -> dict[str, object]:
    """Fit T on the calibration split's pairs (Check-COVID train, Climate-FEVER, Factcheck-GPT)."""
    pairs = [
        *case_pairs(check_covid_cases("calibration"), "check-covid"),
        *case_pairs(climate_fever_cases("calibration"), "climate-fever"),
        *case_pairs(
            (
                c
                for c in factcheck_gpt_cases("calibration")
                if c.source_label != "partially-support"
            ),
            "factcheck-gpt",
        ),
    ]
    logits = model.logits([p.claim for p in pairs], [p.evidence for p in pairs])
    gold = np.array([LABEL_NAMES.index(p.label) for p in pairs])
    t, before, after = fit_temperature(logits, gold)
    model.load()
    record = {
        "temperature": t,
        "model_sha256": model.sha256,
        "fitted_on": dict(Counter(p.source for p in pairs)),
        "labels": dict(Counter(p.label for p in pairs)),
        "nll_at_1": round(before, 4),
        "nll_at_t": round(after, 4),
        "method": "NLL-minimising temperature on pair logits of the calibration split "
        "(factcheck/evals/splits.py): disjoint from training pairs and from every dev split",
        "fitted_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    model.calibration = Calibration(t, model.sha256)
    return record


class CachedModel(NLIModel):
    """`NLIModel` that remembers logits per (claim, text): each pair is scored once although
    every set is evaluated at two temperatures."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.cache: dict[tuple[str, str], np.ndarray] = {}

    def logits(self, claims: Sequence[str], evidence: Sequence[str]) -> np.ndarray:
        """Logits of the pairs, computing only the ones not seen before."""
        keys = list(zip(claims, evidence, strict=True))
        todo = list(dict.fromkeys(k for k in keys if k not in self.cache))
        if todo:
            fresh = super().logits([k[0] for k in todo], [k[1] for k in todo])
            self.cache.update(zip(todo, fresh, strict=True))
        return np.asarray([self.cache[k] for k in keys], dtype=np.float32).reshape(-1, 3)


def scores(
    gold: Sequence[str], pred: Sequence[str], conf: Sequence[float], labels: Sequence[str]
) -> dict[str, float]:
    """Accuracy, macro-F1, REFUTED F1, ECE and Brier (see the module docstring)."""
    out = {
        "n": len(gold),
        "accuracy": metrics.accuracy(gold, pred),
        "macro_f1": metrics.macro_f1(gold, pred, labels),
        "refuted_f1": metrics.f1_for_class(gold, pred),
    }
    if conf:
        correct = [g == p for g, p in zip(gold, pred, strict=True)]
        out["ece"] = metrics.expected_calibration_error(conf, correct)
        spread = []
        for p, c in zip(pred, conf, strict=True):
            others = [x for x in labels if x != p]
            rest = (1.0 - c) / len(others) if p in labels else 1.0 / len(labels)
            spread.append({x: (c if x == p else rest) for x in labels})
        out["brier"] = metrics.brier_score(spread, gold, labels)
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in out.items()}


def majority(gold: Sequence[str], labels: Sequence[str]) -> dict[str, float]:
    """The always-the-most-frequent-gold-label baseline."""
    top = Counter(gold).most_common(1)[0][0]
    return {"label": top, **scores(gold, [top] * len(gold), [], labels)}


def claim_level(
    verifier: NLIVerifier, cases: list[VerificationCase], labels: Sequence[str]
) -> dict[str, dict[str, object]]:
    """Product path per claim, at temperature 1 and at the fitted temperature."""
    out: dict[str, dict[str, object]] = {}
    gold = [c.label for c in cases]
    t = verifier.model.temperature
    for name, temp in (("uncalibrated", 1.0), ("calibrated", t)):
        verifier.model.calibration = Calibration(temp, verifier.model.sha256)
        decisions = [verifier.decide(c.claim, evidence_for(c))[0] for c in cases]
        pred = [str(d.verdict) for d in decisions]
        out[name] = scores(gold, pred, [d.confidence for d in decisions], labels)
    verifier.model.calibration = Calibration(t, verifier.model.sha256)
    out["majority"] = majority(gold, labels)
    out["predicted"] = dict(Counter(pred))
    out["cascade"] = cascade_shares(gold, pred, [d.confidence for d in decisions])
    return out


CASCADE_THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95)


def cascade_shares(
    gold: Sequence[str], pred: Sequence[str], conf: Sequence[float]
) -> dict[str, dict[str, float]]:
    """For each cascade threshold: the share of claims handed to the LLM (calibrated NLI
    confidence below it) and the NLI's accuracy on the claims it settles itself."""
    out: dict[str, dict[str, float]] = {}
    for t in CASCADE_THRESHOLDS:
        kept = [g == p for g, p, c in zip(gold, pred, conf, strict=True) if c >= t]
        out[str(t)] = {
            "to_llm": round(1 - len(kept) / max(1, len(gold)), 4),
            "nli_settled_accuracy": round(sum(kept) / len(kept), 4) if kept else float("nan"),
        }
    return out


def tune_decide_threshold(model: NLIModel) -> dict[str, object]:
    """Macro-F1 of the claim-level rule on the calibration split for a grid of decide
    thresholds (dev splits are never used to choose settings)."""
    cases = [
        *check_covid_cases("calibration"),
        *climate_fever_cases("calibration"),
        *factcheck_gpt_cases("calibration"),
    ]
    cases = [c for c in cases if c.label in LABEL_NAMES]
    gold = [c.label for c in cases]
    grid: dict[str, float] = {}
    for t in (0.34, 0.38, 0.42, 0.46, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8):
        verifier = NLIVerifier(model, NLISettings(decide_threshold=t))
        pred = [str(verifier.decide(c.claim, evidence_for(c))[0].verdict) for c in cases]
        grid[str(t)] = round(metrics.macro_f1(gold, pred, LABEL_NAMES), 4)
    return {"claims": len(cases), "macro_f1_by_decide_threshold": grid}


def sentence_level(model: NLIModel, cases: list[VerificationCase]) -> dict[str, dict[str, object]]:
    """Climate-FEVER per-sentence labels: argmax of the pair probabilities."""
    pairs = list(case_pairs(cases, "climate-fever"))
    logits = model.logits([p.claim for p in pairs], [p.evidence for p in pairs])
    gold = [p.label for p in pairs]
    out: dict[str, dict[str, object]] = {}
    for name, temp in (("uncalibrated", 1.0), ("calibrated", model.temperature)):
        probs = softmax(logits, temp)
        pred = [LABEL_NAMES[i] for i in probs.argmax(1)]
        res = scores(gold, pred, [float(x) for x in probs.max(1)], LABEL_NAMES)
        dists = [dict(zip(LABEL_NAMES, map(float, row), strict=True)) for row in probs]
        res["brier"] = round(metrics.brier_score(dists, gold, LABEL_NAMES), 4)
        out[name] = res
    out["majority"] = majority(gold, LABEL_NAMES)
    return out


def run(verifier: NLIVerifier) -> dict[str, object]:
    """Every dev measurement, keyed by dataset."""
    three = LABEL_NAMES
    cf = climate_fever_cases("dev")
    jobs: dict[str, Callable[[], dict[str, dict[str, object]]]] = {
        "check-covid dev (claims, gold evidence)": lambda: claim_level(
            verifier, check_covid_cases("dev"), three
        ),
        "climate-fever held-back (sentences)": lambda: sentence_level(verifier.model, cf),
        "climate-fever held-back (claims, 4-way)": lambda: claim_level(
            verifier, cf, [*three, "CONFLICTING"]
        ),
        "fever-symmetric dev (claims)": lambda: claim_level(
            verifier, load_verification("fever-symmetric", "dev"), ["SUPPORTED", "REFUTED"]
        ),
        "factcheck-gpt held-back (stance, strict)": lambda: claim_level(
            verifier, factcheck_gpt_cases("dev"), three
        ),
    }
    results: dict[str, object] = {}
    for name, job in jobs.items():
        started = time.perf_counter()
        results[name] = {**job(), "seconds": round(time.perf_counter() - started, 1)}
        print(name, json.dumps(results[name]), flush=True)
    return results


def table(results: dict[str, object]) -> str:
    """The Markdown comparison table for the model card."""
    rows = [
        "| dev set | n | system | accuracy | macro-F1 | REFUTED F1 | ECE (T=1 → T) "
        "| Brier (T=1 → T) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, res in results.items():
        assert isinstance(res, dict)
        u, c, m = res["uncalibrated"], res["calibrated"], res["majority"]
        rows.append(
            f"| {name} | {c['n']} | NLI | {c['accuracy']:.3f} | {c['macro_f1']:.3f} | "
            f"{c['refuted_f1']:.3f} | {u['ece']:.3f} → {c['ece']:.3f} | "
            f"{u['brier']:.3f} → {c['brier']:.3f} |"
        )
        rows.append(
            f"| | | majority ({m['label']}) | {m['accuracy']:.3f} | {m['macro_f1']:.3f} | "
            f"{m['refuted_f1']:.3f} | | |"
        )
    rows += ["", cascade_table(results)]
    return "\n".join(rows) + "\n"


def cascade_table(results: dict[str, object]) -> str:
    """Share of claims the cascade hands to the LLM, per threshold (NLI accuracy on the rest)."""
    head = " | ".join(f"≥ {t}" for t in CASCADE_THRESHOLDS)
    rows = [
        f"| dev set (claims) | {head} |",
        "|---" * (len(CASCADE_THRESHOLDS) + 1) + "|",
    ]
    for name, res in results.items():
        shares = res.get("cascade") if isinstance(res, dict) else None
        if not shares:
            continue
        cells = " | ".join(
            f"{shares[str(t)]['to_llm']:.0%} to LLM ({shares[str(t)]['nli_settled_accuracy']:.2f})"
            for t in CASCADE_THRESHOLDS
        )
        rows.append(f"| {name} | {cells} |")
    return "\n".join(rows)


def agreement(fp32: Path, int8: Path, threads: int) -> dict[str, object]:
    """Label agreement and probability differences of int8 vs fp32 on the held-back pairs."""
    pairs = [p for ps in heldback_pairs().values() for p in ps]
    claims, texts = [p.claim for p in pairs], [p.evidence for p in pairs]
    results = {}
    for name, path in (("fp32", fp32), ("int8", int8)):
        model = NLIModel(path, Calibration(1.0, sha256_file(path)), threads=threads)
        model.load()
        started = time.perf_counter()
        results[name] = softmax(model.logits(claims, texts))
        results[name + "_seconds"] = time.perf_counter() - started
    a, b = results["fp32"], results["int8"]
    return {
        "pairs": len(pairs),
        "label_agreement": round(float((a.argmax(1) == b.argmax(1)).mean()), 4),
        "max_abs_prob_diff": round(float(np.abs(a - b).max()), 4),
        "mean_abs_prob_diff": round(float(np.abs(a - b).mean()), 5),
        "fp32_pairs_per_s": round(len(pairs) / results["fp32_seconds"], 1),
        "int8_pairs_per_s": round(len(pairs) / results["int8_seconds"], 1),
        "int8_bytes": int8.stat().st_size,
        "fp32_bytes": fp32.stat().st_size,
    }


def main() -> None:
    """Calibrate (optionally), evaluate, write evaluation.json and evaluation.md."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--calibrate", action="store_true")
    ap.add_argument("--tune", action="store_true", help="grid of decide thresholds, then stop")
    ap.add_argument("--agreement", type=Path, help="fp32 ONNX file to compare the int8 one with")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    model = CachedModel(threads=args.threads)
    if args.calibrate:
        model.calibration = Calibration(1.0, sha256_file(model.model_path))
        print(json.dumps(calibrate(model, packaged_file(CALIBRATION_RESOURCE)), indent=1))
    if args.tune:
        print(json.dumps(tune_decide_threshold(model), indent=1))
        return
    verifier = NLIVerifier(model, NLISettings())
    compared = agreement(args.agreement, model.model_path, args.threads) if args.agreement else None
    if compared:
        print(json.dumps(compared, indent=1), flush=True)
    results = run(verifier)
    args.out.mkdir(parents=True, exist_ok=True)
    record = {
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "model_sha256": model.sha256,
        "temperature": model.temperature,
        "settings": NLISettings().__dict__,
        "int8_vs_fp32": compared,
        "results": results,
    }
    (args.out / "evaluation.json").write_text(json.dumps(record, indent=2) + "\n", "utf-8")
    (args.out / "evaluation.md").write_text(table(results), encoding="utf-8")
    print(table(results))


if __name__ == "__main__":
    main()
