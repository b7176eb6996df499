"""Reading the retrieval training examples (written by `training.retrieval.data`); torch-free."""

from __future__ import annotations

import hashlib
import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

_WORD = re.compile(r"\w+")
MAX_NEGATIVE_OVERLAP = 0.6
"""A mined negative sharing more than this share of the positive's words is dropped: FEVER
claims about one entity share evidence, so such a "negative" is often evidence too."""


@dataclass(frozen=True)
class Example:
    """A claim, one relevant passage, every relevant passage of that claim, mined negatives."""

    query: str
    positive: str
    all_positives: tuple[str, ...]
    negatives: tuple[str, ...]
    source: str


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.casefold()))


def _clean_negatives(positives: set[str], negatives: list[str]) -> tuple[str, ...]:
    kept: list[str] = []
    for neg in negatives:
        if neg in positives or any(p in neg or neg in p for p in positives):
            continue
        nw = _words(neg)
        if any(
            len(nw & _words(p)) > MAX_NEGATIVE_OVERLAP * max(1, len(_words(p))) for p in positives
        ):
            continue
        kept.append(neg)
    return tuple(kept)


def read_examples(path: Path) -> list[Example]:
    """The examples, each knowing all positives of its query (for masking and filtering)."""
    rows = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    positives: dict[str, set[str]] = {}
    for row in rows:
        positives.setdefault(row["query"], set()).add(row["positive"])
    return [
        Example(
            query=row["query"],
            positive=row["positive"],
            all_positives=tuple(sorted(positives[row["query"]])),
            negatives=_clean_negatives(positives[row["query"]], row["negatives"]),
            source=row["source"],
        )
        for row in rows
    ]


def hard_negative(example: Example, rng: random.Random) -> str | None:
    """One of the two best-ranked mined negatives, or None when there is none."""
    if not example.negatives:
        return None
    return rng.choice(example.negatives[:2])


def sha256_of(path: Path) -> str:
    """sha256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def cap_per_source(examples: list[Example], cap: int, rng: random.Random) -> list[Example]:
    """At most `cap` examples of each source (a seeded sample), in their original order."""
    by_source: dict[str, list[int]] = {}
    for i, ex in enumerate(examples):
        by_source.setdefault(ex.source, []).append(i)
    keep: set[int] = set()
    for _source, idx in sorted(by_source.items()):
        keep.update(idx if len(idx) <= cap else rng.sample(idx, cap))
    return [ex for i, ex in enumerate(examples) if i in keep]
