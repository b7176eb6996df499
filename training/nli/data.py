"""Training pairs for the NLI verifier: (claim, evidence, label) from the shared data folders.

Torch-free (runs in either venv). Sources, label mappings, caps and the FEVER-Symmetric overlap
removal are documented in training/nli/README.md; `build_pairs` returns the pairs together with a
report (counts per source and label, removed overlaps, file hashes) for training.json.
"""

from __future__ import annotations

import csv
import json
import random
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from factcheck.evals.datasets import VerificationCase, load_verification, shared_data_dir
from factcheck.evals.sources import detokenize_ptb
from factcheck.evals.splits import (
    Split,
    check_covid_key,
    climate_fever_key,
    factcheck_gpt_key,
    split_of,
)
from factcheck.files import sha256_file
from factcheck.text import normalize, words

LABELS = ("SUPPORTED", "REFUTED", "NOT_ENOUGH_EVIDENCE")
S, R, N = LABELS

# At most this many pairs per (source, label) cell are kept (seeded sample), sized so that one
# epoch fits the ~1 h CPU budget (see training/nli/README.md). Large, synthetic or
# off-domain sources are capped so the in-domain ones (Check-COVID, Climate-FEVER,
# Factcheck-GPT) are not drowned; `None` keeps everything.
DEFAULT_CAPS: dict[str, int | None] = {
    "fever-dev-rte": 4000,
    "covidfact": 1200,
    "sufficient-facts": 2000,
    "healthver": 1000,
    "scifact": None,
    "check-covid": None,
    "climate-fever": None,
    "factcheck-gpt": None,
}
MISMATCH_SOURCES = ("check-covid", "climate-fever", "healthver", "covidfact", "fever-dev-rte")
"""Sources whose claims are paired with an unrelated evidence text of the same source → NEE."""


@dataclass(frozen=True)
class Pair:
    """One training or evaluation pair."""

    claim: str
    evidence: str
    label: str
    source: str
    key: str = ""


@dataclass
class DataReport:
    """What went into the training set, for training.json."""

    files: dict[str, str] = field(default_factory=dict)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    fever_symmetric_overlap: dict[str, Any] = field(default_factory=dict)
    dropped: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form."""
        return {
            "files_sha256": self.files,
            "pairs_per_source_and_label": self.counts,
            "fever_symmetric_overlap_removed": self.fever_symmetric_overlap,
            "dropped": self.dropped,
        }


def norm_key(text: str) -> str:
    """Matching key for claims: PTB escapes undone, casefolded word tokens joined by spaces."""
    return " ".join(words(detokenize_ptb(text)))


# --- the eval-split loaders (also used by training.nli.evaluate) ------------------------------


def check_covid_cases(split: Split) -> list[VerificationCase]:
    """Check-COVID: `dev` is the official dev split; train is split into train/calibration."""
    if split == "dev":
        return load_verification("check-covid", "dev")
    return [
        c
        for c in load_verification("check-covid", "train")
        if split_of(check_covid_key(c.id, str(c.meta.get("group") or "")), has_dev=False) == split
    ]


def climate_fever_cases(split: Split) -> list[VerificationCase]:
    """Climate-FEVER dev half, split by claim id."""
    return [
        c
        for c in load_verification("climate-fever", "dev")
        if split_of(climate_fever_key(c.id)) == split
    ]


def factcheck_gpt_cases(split: Split) -> list[VerificationCase]:
    """Factcheck-GPT stance pairs, split by document."""
    return [
        c
        for c in load_verification("factcheck-gpt", "all")
        if split_of(factcheck_gpt_key(c.id)) == split
    ]


def case_pairs(cases: Iterable[VerificationCase], source: str) -> Iterator[Pair]:
    """Pairs from eval-schema cases: per-item labels where the dataset has them (Climate-FEVER
    sentences), else the claim label for each evidence item, plus the joined evidence when a
    claim has several items (Check-COVID rationales of 2-4 sentences)."""
    for case in cases:
        items = case.evidence
        for item in items:
            label = item.label or case.label
            if label in LABELS:
                yield Pair(case.claim, item.text, label, source, case.id)
        if len(items) > 1 and all(i.label is None for i in items) and case.label in LABELS:
            yield Pair(case.claim, " ".join(i.text for i in items), case.label, source, case.id)


def heldback_pairs() -> dict[str, list[Pair]]:
    """Pair-level held-back sets for a quick check after training (not the product metric)."""

    def joined(cases: list[VerificationCase], source: str) -> list[Pair]:
        return [
            Pair(c.claim, " ".join(e.text for e in c.evidence), c.label, source, c.id)
            for c in cases
            if c.label in LABELS
        ]

    return {
        "check-covid-dev (joined rationale)": joined(check_covid_cases("dev"), "check-covid"),
        "climate-fever-dev (sentences)": list(
            case_pairs(climate_fever_cases("dev"), "climate-fever")
        ),
        "factcheck-gpt-dev (strict)": joined(factcheck_gpt_cases("dev"), "factcheck-gpt"),
        "fever-symmetric-dev": joined(load_verification("fever-symmetric", "dev"), "fever-sym"),
    }


# --- the extra training folders -------------------------------------------------------------


def _fever_rte(root: Path) -> Iterator[Pair]:
    base = root / "fever-dev-rte"
    lines = [
        (base / f"dev.{n}").read_text(encoding="utf-8").splitlines()
        for n in ("raw.input1", "raw.input0", "label")
    ]
    for i, (claim, evidence, label) in enumerate(zip(*lines, strict=True)):
        mapped = S if label.strip() == "entailment" else R
        yield Pair(claim, detokenize_ptb(evidence), mapped, "fever-dev-rte", f"fever-rte:{i}")


def _sufficient_facts(root: Path) -> Iterator[Pair]:
    for name in ("fever", "hover", "vitaminc"):
        path = root / "sufficient-facts" / f"{name}_sufficient_facts.jsonl"
        with path.open(encoding="utf-8") as fh:
            for i, line in enumerate(fh):
                row = json.loads(line)
                evidence = " ".join(detokenize_ptb(sent) for _title, sent in row["evidence"])
                if row["label_after"].startswith("NOT ENOUGH"):
                    label = N
                else:
                    label = S if row["label_before"].startswith("SUPPORT") else R
                yield Pair(row["claim"], evidence, label, "sufficient-facts", f"sf-{name}:{i}")


def _tsv(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        yield from csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)


def _covidfact(root: Path) -> Iterator[Pair]:
    for i, row in enumerate(_tsv(root / "covidfact" / "train.tsv")):
        label = S if row["label"] == "entailment" else R
        yield Pair(row["Sentence2"], row["sentence1"], label, "covidfact", f"covidfact:{i}")


def _scifact(root: Path) -> Iterator[Pair]:
    # Rationale sentences exist only for SUPPORT / CONTRADICT claims: not_entailment = refutes.
    for i, row in enumerate(_tsv(root / "scifact-rte" / "train.tsv")):
        label = S if row["entailment"] == "entailment" else R
        yield Pair(row["sentence2"], row["sentence1"], label, "scifact", f"scifact:{i}")


def _healthver(root: Path) -> Iterator[Pair]:
    mapping = {"Supports": S, "Refutes": R, "Neutral": N}
    with (root / "healthver" / "healthver_dev.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            yield Pair(row["claim"], row["evidence"], mapping[row["label"]], "healthver", row["id"])


def extra_source_pairs(root: Path) -> list[Pair]:
    """The claim–evidence pairs of FEVER RTE, COVID-Fact, SciFact and HealthVer dev (`root` is
    the shared data folder); also the retrieval models' extra training data."""
    vt = root / "verifier-train"
    return [*_fever_rte(vt), *_covidfact(vt), *_scifact(vt), *_healthver(vt)]


TRAIN_FILES = (
    "verifier-train/fever-dev-rte/dev.raw.input0",
    "verifier-train/fever-dev-rte/dev.raw.input1",
    "verifier-train/fever-dev-rte/dev.label",
    "verifier-train/sufficient-facts/fever_sufficient_facts.jsonl",
    "verifier-train/sufficient-facts/hover_sufficient_facts.jsonl",
    "verifier-train/sufficient-facts/vitaminc_sufficient_facts.jsonl",
    "verifier-train/covidfact/train.tsv",
    "verifier-train/scifact-rte/train.tsv",
    "verifier-train/healthver/healthver_dev.csv",
    "check-covid/train/covidCheck_train_composed+extracted.json",
    "check-covid/corpus.json",
    "climate-fever/climate-fever-dev.jsonl",
    "factcheck-gpt/subtask3_claim_evidence_stance.jsonl",
    "factcheck-gpt/factcheck-GPT-benchmark.jsonl",
    "fever-symmetric/fever_symmetric_dev.jsonl",
)


# --- assembly -----------------------------------------------------------------------------


def fever_symmetric_filter(pairs: list[Pair], report: DataReport) -> list[Pair]:
    """Drop every pair whose claim is a FEVER-Symmetric dev claim (normalised text), and, to be
    safe, every pair whose evidence contains a FEVER-Symmetric evidence sentence."""
    sym = load_verification("fever-symmetric", "dev")
    claims = {norm_key(c.claim) for c in sym}
    sentences = {normalize(detokenize_ptb(c.evidence[0].text)) for c in sym}
    sentences = {s for s in sentences if len(s) >= 30}
    kept: list[Pair] = []
    by_claim: Counter[str] = Counter()
    by_evidence: Counter[str] = Counter()
    matched_claims: set[str] = set()
    for pair in pairs:
        key = norm_key(pair.claim)
        if key in claims:
            by_claim[pair.source] += 1
            matched_claims.add(key)
            continue
        ev = normalize(pair.evidence)
        if any(s in ev for s in sentences):
            by_evidence[pair.source] += 1
            continue
        kept.append(pair)
    report.fever_symmetric_overlap = {
        "fever_symmetric_claims": len(claims),
        "distinct_claims_matched": len(matched_claims),
        "pairs_removed_by_claim": dict(by_claim),
        "pairs_removed_by_evidence_sentence": dict(by_evidence),
        "total_pairs_removed": sum(by_claim.values()) + sum(by_evidence.values()),
    }
    return kept


def mismatched_pairs(pairs: list[Pair], n: int, rng: random.Random) -> list[Pair]:
    """`n` NEE pairs: a claim with the evidence of another claim of the same source."""
    by_source: dict[str, list[Pair]] = {}
    for p in pairs:
        if p.source in MISMATCH_SOURCES:
            by_source.setdefault(p.source, []).append(p)
    sources = sorted(by_source)
    out: list[Pair] = []
    for i in range(n):
        pool = by_source[sources[i % len(sources)]]
        a, b = rng.choice(pool), rng.choice(pool)
        if norm_key(a.claim) == norm_key(b.claim):
            continue
        out.append(Pair(a.claim, b.evidence, N, "mismatched", f"{a.key}|{b.key}"))
    return out


def build_pairs(
    seed: int, caps: dict[str, int | None] | None = None
) -> tuple[list[Pair], DataReport]:
    """The shuffled, capped, label-balanced training pairs and a report of what went in."""
    caps = {**DEFAULT_CAPS, **(caps or {})}
    rng = random.Random(seed)
    root = shared_data_dir()
    report = DataReport(files={f: sha256_file(root / f) for f in TRAIN_FILES})
    vt = root / "verifier-train"
    pairs = [
        *_fever_rte(vt),
        *_sufficient_facts(vt),
        *_covidfact(vt),
        *_scifact(vt),
        *_healthver(vt),
        *case_pairs(check_covid_cases("train"), "check-covid"),
        *case_pairs(climate_fever_cases("train"), "climate-fever"),
    ]
    fcgpt = factcheck_gpt_cases("train")
    # partially-support is NEE under the strict eval mapping, but as a training signal it is
    # half support: dropped from training rather than taught as either label.
    report.dropped["factcheck-gpt partially-support"] = sum(
        c.source_label == "partially-support" for c in fcgpt
    )
    pairs += case_pairs(
        (c for c in fcgpt if c.source_label != "partially-support"), "factcheck-gpt"
    )
    pairs = [p for p in pairs if p.claim.strip() and p.evidence.strip()]
    pairs = fever_symmetric_filter(pairs, report)
    # Cap each (source, label) cell.
    cells: dict[tuple[str, str], list[Pair]] = {}
    for p in pairs:
        cells.setdefault((p.source, p.label), []).append(p)
    capped: list[Pair] = []
    for (source, _label), cell in sorted(cells.items()):
        cap = caps.get(source)
        capped += cell if cap is None or len(cell) <= cap else rng.sample(cell, cap)
    # Balance: top NEE up with mismatched pairs to the mean of SUPPORTED and REFUTED counts.
    per_label = Counter(p.label for p in capped)
    target = (per_label[S] + per_label[R]) // 2
    if per_label[N] < target:
        capped += mismatched_pairs(capped, target - per_label[N], rng)
    rng.shuffle(capped)
    counts: dict[str, dict[str, int]] = {}
    for p in capped:
        counts.setdefault(p.source, dict.fromkeys(LABELS, 0))[p.label] += 1
    counts["total"] = dict(Counter(p.label for p in capped))
    report.counts = counts
    return capped, report


if __name__ == "__main__":
    built, rep = build_pairs(13)
    print(json.dumps(rep.to_dict(), indent=1))
    print(len(built))
