"""Convert the shared dev data into the committed eval datasets under evals/datasets/.

    python evals/convert_datasets.py            # (re)write the committed files
    python evals/convert_datasets.py --check    # exit 1 if they differ from a fresh conversion

Reads $FACTCHECK_SHARED_DATA (default <repo>/../shared/data). Writes, for each dataset whose
licence allows it (check-covid, fever-symmetric, factcheck-gpt), `<task>-<split>.jsonl` files
and a copy of its licence, plus the `smoke` suite. Climate-FEVER and CheckThat! 2019 are not
written: the loaders convert them from the shared folder at run time. The SOURCE.md files are
written by hand. The conversion itself lives in factcheck/evals/sources.py.
"""

from __future__ import annotations

import argparse
import filecmp
import random
import shutil
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a plain checkout

from factcheck.evals.datasets import (
    DATASETS,
    CheckWorthinessCase,
    CorpusDoc,
    ExtractionCase,
    Record,
    RetrievalCase,
    VerificationCase,
    datasets_dir,
    shared_data_dir,
    write_jsonl,
)
from factcheck.evals.sources import convert

LICENCE_FILES = {
    "check-covid": "LICENSE",
    "fever-symmetric": "DATA_LICENSE",
    "factcheck-gpt": "LICENSE",
}
SMOKE_SEED = 20261127
SMOKE_CORPUS_SIZE = 40

T = TypeVar("T")


def _pick(
    pool: Sequence[T],
    quotas: dict[str, int],
    label_of: Callable[[T], str],
    group_of: Callable[[T], str],
    rng: random.Random,
) -> list[T]:
    """Seeded stratified sample: shuffle, then take cases until every label quota is met,
    at most one case per group (so no two cases share a claim or a document)."""
    order = list(pool)
    rng.shuffle(order)
    left = dict(quotas)
    used: set[str] = set()
    picked: list[T] = []
    for case in order:
        label, group = label_of(case), group_of(case)
        if left.get(label, 0) > 0 and group not in used:
            picked.append(case)
            left[label] -= 1
            used.add(group)
    if any(left.values()):
        raise RuntimeError(f"smoke: could not fill quotas {left}")
    return picked


def build_smoke(conv: dict[str, dict[str, list[Record]]]) -> dict[str, list[Record]]:
    """The smoke suite: tens of dev cases, chosen with `random.Random(SMOKE_SEED)`."""
    rng = random.Random(SMOKE_SEED)
    fever = [
        c for c in conv["fever-symmetric"]["verification-dev"] if isinstance(c, VerificationCase)
    ]
    fever_pick = _pick(
        fever,
        {"SUPPORTED": 6, "REFUTED": 6},
        lambda c: c.label,
        lambda c: str(c.meta["fever_id"]),
        rng,
    )
    covid = [c for c in conv["check-covid"]["verification-dev"] if isinstance(c, VerificationCase)]
    covid_pick = _pick(
        covid,
        {"SUPPORTED": 4, "REFUTED": 4, "NOT_ENOUGH_EVIDENCE": 4},
        lambda c: c.label,
        lambda c: str(c.meta["group"]),
        rng,
    )
    covid_ids = {c.id for c in covid_pick}
    retrieval = [
        c
        for c in conv["check-covid"]["retrieval-dev"]
        if isinstance(c, RetrievalCase) and c.id in covid_ids
    ]
    corpus = [d for d in conv["check-covid"]["corpus"] if isinstance(d, CorpusDoc)]
    gold_docs = {d for c in retrieval for d in c.gold_doc_ids}
    others = sorted(d.id for d in corpus if d.id not in gold_docs)
    chosen = gold_docs | set(rng.sample(others, SMOKE_CORPUS_SIZE - len(gold_docs)))
    docs = [
        c
        for c in conv["factcheck-gpt"]["extraction-all"]
        if isinstance(c, ExtractionCase)
        and 2 <= len(c.sentences) <= 4
        and len(c.gold_claims) >= 2
        and all(s.text in c.text for s in c.sentences)
    ]
    docs_pick = _pick(docs, {"doc": 4}, lambda c: "doc", lambda c: c.id, rng)
    sentences = [
        c
        for c in conv["factcheck-gpt"]["checkworthiness-all"]
        if isinstance(c, CheckWorthinessCase)
    ]
    cw_pick = _pick(
        sentences,
        {"True": 5, "False": 5},
        lambda c: str(c.checkworthy),
        lambda c: c.id.rsplit(":", 1)[0],
        rng,
    )

    def by_id(cases: Sequence[Record]) -> list[Record]:
        return sorted(cases, key=lambda c: c.id)

    return {
        "verification-all": by_id(fever_pick) + by_id(covid_pick),
        "retrieval-all": by_id(retrieval),
        "corpus": [d for d in corpus if d.id in chosen],
        "extraction-all": by_id(docs_pick),
        "checkworthiness-all": by_id(cw_pick),
    }


def write_all(data_dir: Path, out_dir: Path) -> list[tuple[Path, int, int]]:
    """Convert and write every committed dataset; return (path, records, bytes) per file."""
    conv = {name: convert(name, data_dir) for name in LICENCE_FILES}
    conv["smoke"] = build_smoke(conv)
    written: list[tuple[Path, int, int]] = []
    for name, files in conv.items():
        info = DATASETS[name]
        if not info.committed or set(files) != set(info.files):
            raise RuntimeError(f"{name}: converted files {sorted(files)} != {info.files}")
        for stem in info.files:
            path = out_dir / name / f"{stem}.jsonl"
            written.append((path, len(files[stem]), write_jsonl(path, files[stem])))
        if name in LICENCE_FILES:
            src = data_dir / name / LICENCE_FILES[name]
            shutil.copyfile(src, out_dir / name / LICENCE_FILES[name])
    return written


def _check(data_dir: Path, out_dir: Path) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        fresh = write_all(data_dir, Path(tmp))
        stale = []
        for path, _, _ in fresh:
            rel = path.relative_to(tmp)
            if not (out_dir / rel).is_file() or not filecmp.cmp(path, out_dir / rel, shallow=False):
                stale.append(str(rel))
    for rel in stale:
        print(f"differs from a fresh conversion: {rel}")
    print("up to date" if not stale else f"{len(stale)} file(s) stale")
    return 1 if stale else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared-data", type=Path, default=None, help="raw data folder")
    parser.add_argument("--out", type=Path, default=None, help="default: evals/datasets")
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args(argv)
    data_dir = args.shared_data or shared_data_dir()
    out_dir = args.out or datasets_dir()
    if args.check:
        return _check(data_dir, out_dir)
    for path, n, size in write_all(data_dir, out_dir):
        print(f"{path.relative_to(out_dir)}\t{n} records\t{size} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
