"""Build the number-perturbation set, evals/datasets/perturbations/verification-dev.jsonl.

    python evals/build_perturbations.py            # (re)write the committed file
    python evals/build_perturbations.py --check    # exit 1 if it differs from a fresh build

Sources (dev / held-back data only, never a test split): Check-COVID dev, FEVER-Symmetric dev
and Factcheck-GPT held-back — claims labelled SUPPORTED whose text holds a number, year, month,
count or percentage that also appears, same value, in the gold evidence. Each such claim gives
one `<source id>:original` case (gold SUPPORTED) and up to `--variants` `:perturbed-<k>` copies
with that value changed (gold REFUTED; `factcheck/evals/perturb.py`), each seeded by
`random.Random(f"{seed}:{source id}:{k}")`. Climate-FEVER held-back claims qualify too, but its
licence is unknown, so they are only counted (`--report`), never written.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a plain checkout

from factcheck.evals.datasets import (
    EvidenceItem,
    VerificationCase,
    datasets_dir,
    load_verification,
    write_jsonl,
)
from factcheck.evals.perturb import perturb_case

SOURCES = (
    ("check-covid", "dev"),
    ("fever-symmetric", "dev"),
    ("factcheck-gpt", "heldback"),
)
"""Committed sources (licences allow it: MIT, CC BY-SA 3.0, Apache-2.0)."""
UNCOMMITTED = (("climate-fever", "heldback"),)
DATASET = "perturbations"


def gold_items(case: VerificationCase) -> list[EvidenceItem]:
    """The gold evidence items (all items when none is marked), without per-item labels."""
    items = [e for e in case.evidence if e.id in case.gold_evidence_ids] or case.evidence
    return [e.model_copy(update={"label": None}) for e in items]


def build(seed: int, variants: int, sources: tuple[tuple[str, str], ...]) -> list[VerificationCase]:
    """Original and perturbed cases, in source order."""
    out: list[VerificationCase] = []
    seen: set[str] = set()
    for dataset, split in sources:
        for case in load_verification(dataset, split):
            if case.label != "SUPPORTED" or case.claim in seen:
                continue
            items = gold_items(case)
            evidence = " ".join(e.text for e in items)
            changed = []
            for k in range(1, variants + 1):
                p = perturb_case(case.claim, evidence, random.Random(f"{seed}:{case.id}:{k}"))
                if p is not None and p.claim not in {c.claim for c in changed}:
                    changed.append(p)
            if not changed:
                continue
            seen.add(case.claim)
            base = {
                "source_dataset": dataset,
                "source_split": split,
                "source_id": case.id,
                "source_label": case.source_label,
            }
            gold_ids = [e.id for e in items]
            out.append(
                VerificationCase(
                    id=f"{DATASET}:{case.id}:original",
                    dataset=DATASET,
                    claim=case.claim,
                    label="SUPPORTED",
                    source_label=case.source_label,
                    evidence=items,
                    gold_evidence_ids=gold_ids,
                    meta={**base, "perturbed": False},
                )
            )
            for k, p in enumerate(changed, start=1):
                out.append(
                    VerificationCase(
                        id=f"{DATASET}:{case.id}:perturbed-{k}",
                        dataset=DATASET,
                        claim=p.claim,
                        label="REFUTED",
                        source_label="perturbed",
                        evidence=items,
                        gold_evidence_ids=gold_ids,
                        meta={
                            **base,
                            "perturbed": True,
                            "original_claim": case.claim,
                            "original_value": p.original,
                            "new_value": p.new,
                            "rule": p.rule,
                        },
                    )
                )
    return out


def describe(cases: list[VerificationCase], title: str) -> None:
    """Counts per source and rule."""
    originals = Counter(str(c.meta["source_dataset"]) for c in cases if not c.meta["perturbed"])
    perturbed = Counter(str(c.meta["source_dataset"]) for c in cases if c.meta["perturbed"])
    rules = Counter(str(c.meta["rule"]) for c in cases if c.meta["perturbed"])
    print(f"{title}: {sum(originals.values())} originals, {sum(perturbed.values())} perturbed")
    for source in originals:
        print(f"  {source}: {originals[source]} originals, {perturbed[source]} perturbed")
    print("  rules: " + ", ".join(f"{r} {n}" for r, n in rules.most_common()))


def main(argv: list[str] | None = None) -> int:
    """Write (or check) the committed file."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--variants", type=int, default=2, help="perturbed copies per claim")
    parser.add_argument("--check", action="store_true", help="exit 1 if the file differs")
    parser.add_argument(
        "--report", action="store_true", help="also count Climate-FEVER held-back (not written)"
    )
    args = parser.parse_args(argv)
    cases = build(args.seed, args.variants, SOURCES)
    describe(cases, "committed")
    if args.report:
        describe(
            build(args.seed, args.variants, UNCOMMITTED), "climate-fever held-back (not written)"
        )
    path = datasets_dir() / DATASET / "verification-dev.jsonl"
    data = "".join(c.model_dump_json(exclude_none=True) + "\n" for c in cases).encode()
    if args.check:
        same = path.is_file() and path.read_bytes() == data
        print(f"{path}: {'up to date' if same else 'DIFFERS'}")
        return 0 if same else 1
    size = write_jsonl(path, cases)
    print(f"wrote {path} ({len(cases)} cases, {size:,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
