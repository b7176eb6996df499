"""Deterministic train / calibration / held-back splits of the NLI verifier's training data.

The one source of truth for which eval cases the shipped NLI model was trained on: used by
training (`training.nli.data`) and by the evals harness (the `heldback` split of Climate-FEVER
and Factcheck-GPT). Stdlib-only and torch-free, so the training venv and the product venv agree.
A case's split depends only on a stable key (claim id, or document id) hashed with a salt: no
random state, no ordering effects. The held-back split is called `dev` here (training's name
for "measuring"); the evals harness calls it `heldback` so it is not confused with the
datasets' own dev files.
"""

from __future__ import annotations

import hashlib
from typing import Literal

Split = Literal["train", "calibration", "dev"]

DEV_FRACTION = 0.30
"""Share of Climate-FEVER claims and Factcheck-GPT documents held back for measuring."""
CALIBRATION_FRACTION = 0.15
"""Share of the remaining keys (and of Check-COVID train claims) kept for fitting temperature."""

HELDBACK_DATASETS = ("climate-fever", "factcheck-gpt")
"""Datasets partly used for training the NLI model, whose eval tasks have a `heldback` split."""


def _unit(key: str, salt: str) -> float:
    digest = hashlib.sha256(f"{salt}\x1f{key}".encode()).hexdigest()
    return int(digest[:12], 16) / float(1 << 48)


def split_of(key: str, *, has_dev: bool = True) -> Split:
    """`dev` (measuring) for ~30% of keys when `has_dev`, `calibration` for ~15% of the rest,
    else `train`. Datasets with their own dev split (Check-COVID) pass `has_dev=False`."""
    if has_dev and _unit(key, "dev") < DEV_FRACTION:
        return "dev"
    return "calibration" if _unit(key, "calibration") < CALIBRATION_FRACTION else "train"


def climate_fever_key(case_id: str) -> str:
    """Split key of a Climate-FEVER case: the claim id (`climate-fever:<claim_id>`)."""
    return case_id


def factcheck_gpt_key(case_id: str) -> str:
    """Split key of a Factcheck-GPT stance case: its document (`factcheck-gpt:stance:d:s:c:e`),
    so that claims of one document never straddle splits."""
    return "factcheck-gpt:doc:" + case_id.split(":")[2]


def check_covid_key(case_id: str, group: str | None) -> str:
    """Split key of a Check-COVID *train* case: its claim group (twins stay together)."""
    return f"check-covid:{group}" if group else case_id


def is_heldback(dataset: str, case_id: str) -> bool:
    """Whether a Climate-FEVER or Factcheck-GPT case is in the split held back from training
    and calibration of the NLI model (`split_of(key) == "dev"`)."""
    if dataset == "climate-fever":
        return split_of(climate_fever_key(case_id)) == "dev"
    if dataset == "factcheck-gpt":
        return split_of(factcheck_gpt_key(case_id)) == "dev"
    raise ValueError(f"{dataset!r} has no held-back split; datasets: {HELDBACK_DATASETS}")
