"""Score `factcheck.extract.attribution` on a hand-annotated JSONL set.

`python -m factcheck.evals.attribution evals/datasets/attribution/attribution-dev.jsonl [-v]`
prints accuracy (speaker exact match, None included), precision and recall on attributed
sentences, and how many predicted speakers fail `is_valid_speaker` (must be 0).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from factcheck.extract.attribution import Attributor, is_valid_speaker


def score(path: str | Path, verbose: bool = False) -> dict[str, float]:
    """Score one JSONL set (fields article_id, sentence, context_before, speaker, notes and an
    optional byline); each article is rebuilt from its longest context. Prints and returns."""
    rows = [
        json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line
    ]
    articles: dict[str, list[str]] = {}
    for row in rows:
        full = [*row["context_before"], row["sentence"]]
        if len(full) > len(articles.get(row["article_id"], [])):
            articles[row["article_id"]] = full
    attributors = {
        key: Attributor(
            "\n".join(sents),
            next((r.get("byline") for r in rows if r["article_id"] == key), None),
            sentences=sents,
        )
        for key, sents in articles.items()
    }
    correct = predicted = gold = hits = non_names = 0
    for row in rows:
        attributor = attributors[row["article_id"]]
        found = attributor.speaker_of(len(row["context_before"]))
        guess = found.speaker if found else None
        correct += guess == row["speaker"]
        predicted += guess is not None
        gold += row["speaker"] is not None
        hits += guess is not None and guess == row["speaker"]
        if guess is not None and not is_valid_speaker(guess, attributor.text, attributor.byline):
            non_names += 1
        if verbose and guess != row["speaker"]:
            print(
                f"  MISS {row['article_id']}: {row['sentence'][:70]!r} "
                f"gold={row['speaker']!r} got={guess!r}"
            )
    result = {
        "sentences": len(rows),
        "accuracy": correct / len(rows),
        "precision": hits / predicted if predicted else 0.0,
        "recall": hits / gold if gold else 0.0,
        "non_name_speakers": non_names,
    }
    print(f"sentences={len(rows)} gold_attributed={gold} predicted={predicted}")
    print(
        f"accuracy={result['accuracy']:.3f} precision={result['precision']:.3f} "
        f"recall={result['recall']:.3f} non_name_speakers={non_names}"
    )
    return result


if __name__ == "__main__":
    if len(sys.argv) < 2:
        raise SystemExit("usage: python -m factcheck.evals.attribution DATASET.jsonl [-v]")
    score(sys.argv[1], verbose="-v" in sys.argv[2:])
