"""Build attribution-dev.jsonl from the hand annotations in articles.py (checks the alignment)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parents[2])]

from articles import FRESH, OWN, SEED, SEED_BYLINE, SEED_ID  # noqa: E402

from factcheck.text import split_sentences  # noqa: E402

SEED_PATH = Path("/work/shared/seeds/000_8e7a6b0d8cb652d7.txt")


def records(article_id: str, byline: str | None, text: str, annotations: list) -> list[dict]:
    """One record per sentence; fails loudly if the annotations drift from the splitter."""
    sentences = [span.of(text) for span in split_sentences(text)]
    if len(sentences) != len(annotations):
        raise SystemExit(f"{article_id}: {len(sentences)} sentences, {len(annotations)} labels")
    out = []
    for i, (sentence, (prefix, speaker, notes)) in enumerate(
        zip(sentences, annotations, strict=True)
    ):
        if not sentence.startswith(prefix):
            raise SystemExit(f"{article_id}[{i}]: {sentence[:40]!r} != {prefix!r}")
        if speaker is not None and speaker not in text:
            raise SystemExit(f"{article_id}[{i}]: speaker {speaker!r} not in the article")
        out.append(
            {
                "article_id": article_id,
                "sentence": sentence,
                "context_before": sentences[:i],
                "speaker": speaker,
                "notes": notes,
                "byline": byline,
            }
        )
    return out


def main() -> None:
    rows = records(SEED_ID, SEED_BYLINE, SEED_PATH.read_text(encoding="utf-8"), SEED)
    for article in OWN:
        rows += records(*article)
    fresh = [row for article in FRESH for row in records(*article)]
    for name, part in (("attribution-dev.jsonl", rows), ("attribution-fresh.jsonl", fresh)):
        with (HERE / name).open("w", encoding="utf-8") as f:
            for row in part:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
        named = sum(r["speaker"] is not None for r in part)
        print(f"{name}: {len(part)} sentences, {named} attributed, {len(part) - named} without")


if __name__ == "__main__":
    main()
