"""Measure the cosine threshold for matching extracted claims to gold claims.

    python evals/calibrate_claim_match.py [--docs 40]

Pairs come from Factcheck-GPT documents outside the smoke suite (the first `--docs` of them):

* positive — the same claim in other words: a gold claim and the sentence it was extracted
  from, or that sentence's decontextualised rewrite, when the sentence yields exactly one
  claim and the texts differ (what an extractor's wording looks like next to the gold);
* negative, sibling — two gold claims split from the same sentence (the hardest case for
  one-to-one matching: same topic, different facts);
* negative, same document — gold claims of two different sentences of one document.

Prints the similarity distributions and the threshold maximising Youden's J over all
negatives; `factcheck/evals/matching.py` records the chosen value.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a plain checkout

from factcheck.evals.datasets import ExtractionCase, load_extraction
from factcheck.evals.matching import MATCH_THRESHOLD, best_threshold
from factcheck.retrieval.embeddings import embedder_from_settings
from factcheck.text import words


def _same(a: str, b: str) -> bool:
    return words(a) == words(b)


def pairs_of(docs: list[ExtractionCase]) -> dict[str, list[tuple[str, str]]]:
    """Positive, sibling and same-document pairs of the given documents."""
    out: dict[str, list[tuple[str, str]]] = {"positive": [], "sibling": [], "same-doc": []}
    for doc in docs:
        by_sentence: dict[int, list[str]] = {}
        for claim in doc.gold_claims:
            by_sentence.setdefault(claim.sentence_index, []).append(claim.text)
        for sent in doc.sentences:
            claims = by_sentence.get(sent.index, [])
            if len(claims) == 1:
                for other in (sent.text, sent.decontextualised):
                    if other and not _same(other, claims[0]):
                        out["positive"].append((claims[0], other))
            for i, a in enumerate(claims):
                out["sibling"].extend((a, b) for b in claims[i + 1 :])
        indices = sorted(by_sentence)
        for i, s in enumerate(indices):
            for t in indices[i + 1 :]:
                out["same-doc"].append((by_sentence[s][0], by_sentence[t][0]))
    return out


def _rates(sims: dict[str, list[float]], cut: float) -> str:
    return "  ".join(
        f"{'TPR' if name == 'positive' else 'FPR ' + name} "
        f"{sum(v >= cut for v in values) / len(values):.3f}"
        for name, values in sims.items()
    )


def main() -> None:
    """Build the pairs, embed them, print distributions and the best cut."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=40, help="dev documents (rest: held out)")
    args = parser.parse_args()
    smoke = {case.id for case in load_extraction("smoke")}
    docs = [c for c in load_extraction("factcheck-gpt") if c.id not in smoke]
    splits = {"dev": pairs_of(docs[: args.docs]), "held-out": pairs_of(docs[args.docs :])}
    texts = sorted({t for split in splits.values() for ps in split.values() for p in ps for t in p})
    vectors = embedder_from_settings("minilm").embed(texts)
    row = {t: i for i, t in enumerate(texts)}

    def cos(a: str, b: str) -> float:
        return float(vectors[row[a]] @ vectors[row[b]])

    sims = {
        split: {name: [cos(a, b) for a, b in ps] for name, ps in kinds.items()}
        for split, kinds in splits.items()
    }
    print(f"{args.docs} dev documents, {len(docs) - args.docs} held out (smoke excluded)")
    for name, values in sims["dev"].items():
        q = statistics.quantiles(values, n=20)
        print(
            f"dev {name:9} n={len(values):4}  mean {statistics.mean(values):.3f}  "
            f"p5 {q[0]:.3f}  p25 {q[4]:.3f}  median {statistics.median(values):.3f}  "
            f"p75 {q[14]:.3f}  p95 {q[18]:.3f}"
        )
    dev = sims["dev"]
    cut, tpr, fpr = best_threshold(dev["positive"], dev["sibling"] + dev["same-doc"])
    print(f"dev Youden-optimal cut {cut:.3f}: TPR {tpr:.3f}, FPR {fpr:.3f} (all negatives)")
    for t in (0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9):
        print(f"  dev at {t:.2f}: {_rates(dev, t)}")
    held_out = _rates(sims["held-out"], MATCH_THRESHOLD)
    print(f"held-out at MATCH_THRESHOLD {MATCH_THRESHOLD}: {held_out}")


if __name__ == "__main__":
    main()
