"""Fine-tune all-MiniLM-L6-v2 as a (claim, passage) relevance cross-encoder; seeded.

Training venv, repository root, under nice::

    HF_HUB_OFFLINE=1 nice -n 10 /work/venv-train/bin/python -m training.retrieval.train_reranker \\
        --examples /work/retrieval-train/examples.jsonl --probe-steps 10
    ... --max-queries 3000 --run-dir training/retrieval/runs/<date>-reranker

Each training group is one claim with its relevant passage and `--group - 1` negatives mined
from the first stage (`training.retrieval.data`), topped up with passages of other claims of
the same source; the loss is cross-entropy over the group's scores (listwise: the relevant
passage must outscore the claim's hardest candidates). One output logit = relevance. Weights
go to --out (outside git); `training.json` records settings, seed, data hashes and timings.
"""

from __future__ import annotations

import math
import os
import random
import time
from pathlib import Path

import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from training.loop import (
    optimise,
    print_progress,
    retrieval_arguments,
    save_retrieval_run,
    warmup_then_linear,
)
from training.nli.train import base_model_dir, seed_everything
from training.retrieval.examples import Example, cap_per_source, read_examples
from training.retrieval.nli_init import relevance_model
from training.retrieval.train_embedder import freeze_lower


def group_texts(
    example: Example, size: int, by_source: dict[str, list[Example]], rng: random.Random
) -> list[str]:
    """The positive first, then mined negatives, topped up with other claims' passages."""
    texts = [example.positive, *example.negatives[: size - 1]]
    pool = by_source[example.source]
    while len(texts) < size:
        other = rng.choice(pool)
        if other.query != example.query and other.positive not in texts:
            texts.append(other.positive)
    return texts


def main() -> None:
    """Parse arguments, train, write training.json."""
    ap = retrieval_arguments(
        __doc__.split("\n\n")[0], out=Path("/work/retrieval-train/reranker"), lr=4e-5
    )
    ap.add_argument("--queries-per-batch", type=int, default=8)
    ap.add_argument("--group", type=int, default=4, help="passages per claim (1 relevant)")
    ap.add_argument("--max-queries", type=int, default=None, help="seeded sample of examples")
    ap.add_argument("--max-length", type=int, default=256)
    ap.add_argument(
        "--from-nli",
        action="store_true",
        help="start from the shipped NLI cross-encoder (training.retrieval.nli_init)",
    )
    args = ap.parse_args()

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    torch.set_num_threads(args.threads)
    seed_everything(args.seed)
    started = time.perf_counter()
    rng = random.Random(args.seed)
    examples = read_examples(args.examples)
    by_source: dict[str, list[Example]] = {}
    for ex in examples:
        by_source.setdefault(ex.source, []).append(ex)
    if args.max_per_source:
        examples = cap_per_source(examples, args.max_per_source, rng)
    if args.max_queries and len(examples) > args.max_queries:
        examples = rng.sample(examples, args.max_queries)
    tokenizer = AutoTokenizer.from_pretrained(base_model_dir())
    if args.from_nli:
        model = relevance_model(base_model_dir())
    else:
        start_from = args.init or base_model_dir()
        model = AutoModelForSequenceClassification.from_pretrained(start_from, num_labels=1)
    freeze_lower(model.bert, args.frozen_layers)
    total_steps = args.probe_steps or math.ceil(len(examples) / args.queries_per_batch)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=args.lr, weight_decay=0.01)
    scheduler = warmup_then_linear(optimizer, total_steps, args.warmup)
    order = list(examples)
    rng.shuffle(order)
    print(f"{len(examples)} claims, {total_steps} steps", flush=True)
    model.train()
    losses: list[float] = []
    t0 = time.perf_counter()
    for step in range(total_steps):
        batch = order[step * args.queries_per_batch : (step + 1) * args.queries_per_batch]
        queries, passages = [], []
        for ex in batch:
            texts = group_texts(ex, args.group, by_source, rng)
            queries += [ex.query] * len(texts)
            passages += texts
        enc = tokenizer(
            queries,
            passages,
            truncation="longest_first",
            max_length=args.max_length,
            padding=True,
            return_tensors="pt",
        )
        logits = model(**enc).logits.view(len(batch), args.group)
        loss = torch.nn.functional.cross_entropy(logits, torch.zeros(len(batch), dtype=torch.long))
        losses.append(optimise(loss, trainable, optimizer, scheduler))
        print_progress(step + 1, total_steps, losses, t0, every=10)
    train_seconds = time.perf_counter() - t0
    if args.probe_steps:
        print(f"probe: {train_seconds / total_steps:.2f} s/step", flush=True)
        return
    save_retrieval_run(
        args,
        "reranker",
        model,
        tokenizer,
        {
            "model": "(claim, passage) relevance cross-encoder",
            "loss": f"listwise cross-entropy over groups of {args.group} (1 relevant)",
            "steps": total_steps,
            "claims": len(examples),
            **({"init": "NLI cross-encoder, dequantised int8 (nli_init)"} if args.from_nli else {}),
        },
        losses=losses,
        train_seconds=train_seconds,
        started=started,
    )


if __name__ == "__main__":
    main()
