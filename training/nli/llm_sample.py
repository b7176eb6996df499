"""The packaged local LLM verifier vs the NLI verifier on a small stratified Check-COVID dev sample.

Product venv with the `local` extra, repository root, under `nice`::

    nice -n 15 python -m training.nli.llm_sample --per-label 8 --out training/nli/runs/DATE

Both verifiers see the same gold evidence (no retrieval). Slow: one local generation per claim.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path

from factcheck.app import build_llm
from factcheck.config import Settings, default_prompts_dir
from factcheck.evals import metrics
from factcheck.llm.prompts import PromptLibrary
from factcheck.models import Claim, ClaimType, Provenance
from factcheck.verify.llm import LLMVerifier
from factcheck.verify.nli import NLIVerifier
from training.nli.data import check_covid_cases
from training.nli.evaluate import LABEL_NAMES, as_evidence


async def main() -> None:
    """Run both verifiers on the sample; print and save the scores."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--per-label", type=int, default=8)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    cases = check_covid_cases("dev")
    sample = [
        c for label in LABEL_NAMES for c in [x for x in cases if x.label == label][: args.per_label]
    ]
    settings = Settings(_env_file=None, llm_backend="local").for_backend()
    llm = LLMVerifier(
        build_llm(settings),
        PromptLibrary(default_prompts_dir()),
        relevance_threshold=-1.0,
    )
    nli = NLIVerifier()
    gold, by = [c.label for c in sample], {"llm": [], "nli": []}
    started = time.perf_counter()
    for case in sample:
        claim = Claim.make(
            article_id=case.id,
            text=case.claim,
            quote=case.claim,
            start=0,
            end=len(case.claim),
            claim_type=ClaimType.OTHER,
            checkworthiness=1.0,
        )
        for name, verifier in (("llm", llm), ("nli", nli)):
            try:
                result = await verifier.verify(claim, as_evidence(case), Provenance(model="eval"))
                by[name].append(str(result.verdict))
            except Exception as exc:  # noqa: BLE001 - a failed case counts as wrong
                by[name].append("ERROR")
                print(f"{case.id} {name}: {type(exc).__name__}: {exc}"[:300], flush=True)
        print(case.id, case.label, by["llm"][-1], by["nli"][-1], flush=True)
    out = {
        "sample": len(sample),
        "seconds": round(time.perf_counter() - started, 1),
        "model": settings.model if settings.local_model_path else "packaged local model",
    }
    for name, pred in by.items():
        out[name] = {
            "accuracy": round(metrics.accuracy(gold, pred), 4),
            "macro_f1": round(metrics.macro_f1(gold, pred, LABEL_NAMES), 4),
            "refuted_f1": round(metrics.f1_for_class(gold, pred), 4),
            "predicted": {p: pred.count(p) for p in sorted(set(pred))},
        }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "llm_sample.json").write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    asyncio.run(main())
