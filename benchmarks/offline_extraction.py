"""Measure the offline (sentence-level) extractor and the check-worthiness pre-filter.

    PYTHONPATH=. python benchmarks/offline_extraction.py seed [--backend local|fake]
    PYTHONPATH=. python benchmarks/offline_extraction.py fcgpt --split dev [--backend local]
    PYTHONPATH=. python benchmarks/offline_extraction.py ct19
    PYTHONPATH=. python benchmarks/offline_extraction.py attribution
    PYTHONPATH=. python benchmarks/offline_extraction.py prefilter [--backend fake|local]

* `seed`: the seed article through `factcheck.app.make_extractor` (the product wiring): every
  claim with its speaker, the sentence statuses, LLM calls/tokens and seconds.
* `fcgpt`: Factcheck-GPT extraction documents of one split of the project's held-back
  convention (`factcheck.evals.splits.split_of("factcheck-gpt:doc:<d>")`: `dev` = held back from
  every training, `train` = the rest, for tuning); claim recall/precision exactly as the evals
  harness computes them (MiniLM cosine >= 0.85, one-to-one), quote anchoring.
* `ct19`: MAP of the sentence ranking on the CT19 debates held back from the head's training
  (the list `training/checkworthiness/train.py` chooses), scored by the app's scorer, with and
  without the factual-statement filter of `factcheck.extract.sentences` (filtered lines score 0).
* `attribution`: the attribution scorer on evals/datasets/attribution (dev and fresh).
* `prefilter`: the prompted extractor with and without the window pre-filter on the seed article
  and the Factcheck-GPT `dev` documents: claims found, calls and tokens.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from factcheck.app import build_llm, make_extractor, make_scorer  # noqa: E402
from factcheck.config import Settings  # noqa: E402
from factcheck.evals.datasets import load_checkworthiness, load_extraction  # noqa: E402
from factcheck.evals.matching import cosine_matrix, greedy_matches  # noqa: E402
from factcheck.evals.metrics import average_precision  # noqa: E402
from factcheck.evals.splits import split_of  # noqa: E402
from factcheck.extract.sentences import not_factual_reason  # noqa: E402
from factcheck.llm.prompts import PromptLibrary  # noqa: E402
from factcheck.models import Article  # noqa: E402
from factcheck.retrieval.embeddings import MiniLMEmbeddingFunction  # noqa: E402

SEED = ROOT / "seeds/articles/mexico-news-daily-sheinbaum-trump-call.txt"


def extractor_for(backend: str, **overrides: object):
    settings = Settings(_env_file=None, llm_backend=backend, **overrides).for_backend()
    llm = build_llm(settings)
    return make_extractor(settings, llm, PromptLibrary(settings.prompts_dir)), settings


def seed(args: argparse.Namespace) -> None:
    extractor, settings = extractor_for(args.backend, extractor="sentences")
    text = SEED.read_text(encoding="utf-8")
    started = time.perf_counter()
    outcome = asyncio.run(extractor.extract(Article(id="seed", text=text)))
    seconds = time.perf_counter() - started
    statuses = defaultdict(int)
    for s in outcome.sentences:
        statuses[s.status] += 1
    u = outcome.usage
    print(
        f"backend={args.backend} extractor={settings.extractor} rewrite={settings.claim_rewrite} "
        f"claims={len(outcome.claims)} sentences={dict(statuses)} calls={u.calls} "
        f"tokens={u.prompt_tokens}+{u.completion_tokens} seconds={seconds:.1f}"
    )
    for claim in outcome.claims:
        print(f"- [{claim.speaker or '—'}] {claim.text}")
    for rejected in outcome.rejected:
        print(f"  rejected rewrite: {rejected.claim!r} ({rejected.reason})")


def fcgpt_cases(split: str) -> list:
    cases = load_extraction("factcheck-gpt", "all")
    return [c for c in cases if (split_of(c.id) == "dev") == (split == "dev")]


def fcgpt(args: argparse.Namespace) -> None:
    overrides: dict[str, object] = {"extractor": args.extractor}
    if args.rewrite:
        overrides["claim_rewrite"] = args.rewrite
    if args.threshold is not None:
        overrides["sentence_threshold"] = args.threshold
    extractor, settings = extractor_for(args.backend, **overrides)
    embed = MiniLMEmbeddingFunction().embed
    cases = fcgpt_cases(args.split)
    gold_cw = matched_gold = emitted = matched = anchored = calls = tokens = 0
    started = time.perf_counter()
    for case in cases:
        outcome = asyncio.run(extractor.extract(Article(id=case.id, text=case.text)))
        extracted = [c.text for c in outcome.claims]
        gold = [g.text for g in case.gold_claims]
        matches = greedy_matches(cosine_matrix(embed, extracted, gold))
        gold_cw += sum(bool(g.checkworthy) for g in case.gold_claims)
        matched_gold += sum(bool(case.gold_claims[j].checkworthy) for _, j, _ in matches)
        emitted += len(extracted)
        matched += len(matches)
        anchored += sum(case.text[c.start : c.end] == c.quote for c in outcome.claims)
        calls += outcome.usage.calls
        tokens += outcome.usage.prompt_tokens + outcome.usage.completion_tokens
    recall = matched_gold / gold_cw if gold_cw else 0.0
    precision = matched / emitted if emitted else 0.0
    print(
        f"factcheck-gpt {args.split}: {len(cases)} documents, backend={args.backend} "
        f"extractor={settings.extractor} rewrite={settings.claim_rewrite} "
        f"threshold={args.threshold if args.threshold is not None else 'head default'}\n"
        f"claim recall {recall:.3f} ({matched_gold}/{gold_cw})  precision {precision:.3f} "
        f"({matched}/{emitted})  quote anchoring {anchored / emitted if emitted else 1:.3f}  "
        f"claims/doc {emitted / len(cases):.2f}  LLM calls {calls}  tokens {tokens}  "
        f"{time.perf_counter() - started:.0f} s"
    )


def ct19(args: argparse.Namespace) -> None:
    from training.checkworthiness.train import ct19_dev_debates

    cases = load_checkworthiness("ct19", "train")

    def stem(case) -> str:
        return str(case.meta["file"]).removesuffix(".tsv")

    dev = set(ct19_dev_debates(sorted({stem(c) for c in cases})))
    settings = Settings(_env_file=None, llm_backend="fake").for_backend()
    scorer = make_scorer(settings)
    by_debate: dict[str, list] = defaultdict(list)
    for case in cases:
        if stem(case) in dev:
            by_debate[stem(case)].append(case)
    head_ap, filtered_ap = [], []
    for stem, rows in sorted(by_debate.items()):
        scores = [s.score for s in scorer.score([r.text for r in rows])]
        labels = [int(bool(r.checkworthy)) for r in rows]
        filtered = [
            0.0 if not_factual_reason(r.text) else s for r, s in zip(rows, scores, strict=True)
        ]
        head_ap.append(average_precision(labels, scores))
        filtered_ap.append(average_precision(labels, filtered))
        print(
            f"{stem}: lines={len(rows)} positives={sum(labels)} AP head={head_ap[-1]:.3f} "
            f"head+filter={filtered_ap[-1]:.3f}"
        )
    print(
        f"CT19 held-back debates ({len(by_debate)}): MAP head={statistics.mean(head_ap):.3f} "
        f"head+factual filter={statistics.mean(filtered_ap):.3f}"
    )


def attribution(args: argparse.Namespace) -> None:
    from factcheck.evals.attribution import score

    for name in ("attribution-dev.jsonl", "attribution-fresh.jsonl"):
        print(name)
        score(ROOT / "evals/datasets/attribution" / name)


def prefilter(args: argparse.Namespace) -> None:
    documents = [Article(id="seed", text=SEED.read_text(encoding="utf-8"))]
    documents += [Article(id=c.id, text=c.text) for c in fcgpt_cases("dev")]
    for flag in (False, True):
        extra = {"sentence_threshold": args.threshold} if args.threshold is not None else {}
        extractor, _ = extractor_for(
            args.backend, extractor="prompted", extraction_prefilter=flag, **extra
        )
        claims = calls = prompt = completion = skipped = seed_claims = 0
        for article in documents if args.backend == "fake" else documents[:1]:
            outcome = asyncio.run(extractor.extract(article))
            claims += len(outcome.claims)
            seed_claims += len(outcome.claims) if article.id == "seed" else 0
            calls += outcome.usage.calls
            prompt += outcome.usage.prompt_tokens
            completion += outcome.usage.completion_tokens
            skipped += outcome.skipped_windows
        print(
            f"prefilter={flag}: documents={len(documents) if args.backend == 'fake' else 1} "
            f"claims={claims} (seed {seed_claims}) LLM calls={calls} "
            f"tokens={prompt}+{completion}={prompt + completion} windows skipped={skipped}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("seed", "fcgpt", "prefilter"):
        p = sub.add_parser(name)
        p.add_argument("--backend", default="local", choices=("local", "fake"))
        if name in ("fcgpt", "prefilter"):
            p.add_argument("--threshold", type=float)
        if name == "fcgpt":
            p.add_argument("--split", default="dev", choices=("dev", "train"))
            p.add_argument("--extractor", default="sentences", choices=("sentences", "prompted"))
            p.add_argument("--rewrite", choices=("needed", "always", "never"))
    sub.add_parser("ct19")
    sub.add_parser("attribution")
    args = parser.parse_args()
    {
        "seed": seed,
        "fcgpt": fcgpt,
        "ct19": ct19,
        "attribution": attribution,
        "prefilter": prefilter,
    }[args.command](args)


if __name__ == "__main__":
    main()
