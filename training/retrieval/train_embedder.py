"""Fine-tune all-MiniLM-L6-v2 as a claim→evidence bi-encoder; seeded, reproducible.

Training venv (torch, transformers; see training/nli/README.md), repository root, under nice::

    HF_HUB_OFFLINE=1 nice -n 10 /work/venv-train/bin/python -m training.retrieval.train_embedder \\
        --examples /work/retrieval-train/examples.jsonl --probe-steps 10
    ... --epochs 1 --run-dir training/retrieval/runs/<date>-embedder

Loss: in-batch negatives plus one mined hard negative per query (multiple-negatives ranking
loss: cross-entropy over scaled cosine similarities of each claim to every passage of the
batch). Passages equal to another query's positive are masked rather than taught as
negatives (Check-COVID claims share gold abstracts). Mean pooling and L2 normalisation, as the
product's embedder (`factcheck.retrieval.embeddings`). Weights go to --out (outside git);
`training.json` records settings, seed, data hashes and timings. Export:
`training.retrieval.export`.
"""

from __future__ import annotations

import argparse
import os
import random
import time
from pathlib import Path
from typing import Any

import torch
from transformers import AutoModel, AutoTokenizer

from training.loop import (
    optimise,
    print_progress,
    retrieval_arguments,
    save_retrieval_run,
    warmup_then_linear,
)
from training.nli.train import base_model_dir, seed_everything
from training.retrieval.examples import (
    Example,
    cap_per_source,
    hard_negative,
    read_examples,
)

SCALE = 20.0
"""Similarity scale of the ranking loss (sentence-transformers' default for this loss)."""


def mean_pool(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of the token vectors under the attention mask, L2-normalised."""
    weights = mask.unsqueeze(-1).to(hidden.dtype)
    pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
    return torch.nn.functional.normalize(pooled, dim=-1)


def embed(model: Any, tokenizer: Any, texts: list[str], max_length: int) -> torch.Tensor:
    """Normalised embeddings of `texts` (with gradients when the model is training)."""
    enc = tokenizer(
        texts, truncation=True, max_length=max_length, padding=True, return_tensors="pt"
    )
    out = model(**enc)
    return mean_pool(out.last_hidden_state, enc["attention_mask"])


def batches_of(examples: list[Example], size: int, rng: random.Random) -> list[list[Example]]:
    """Shuffled batches of one source each (similar lengths pad little, and same-domain
    passages are harder in-batch negatives), in which no query appears twice (its other
    positives would be taught as negatives)."""
    by_source: dict[str, list[Example]] = {}
    for ex in examples:
        by_source.setdefault(ex.source, []).append(ex)
    out: list[list[Example]] = []
    for _source, pool in sorted(by_source.items()):
        pool = list(pool)
        rng.shuffle(pool)
        while pool:
            batch: list[Example] = []
            keys: set[str] = set()
            rest: list[Example] = []
            for ex in pool:
                if len(batch) < size and ex.query not in keys:
                    batch.append(ex)
                    keys.add(ex.query)
                else:
                    rest.append(ex)
            out.append(batch)
            pool = rest
    rng.shuffle(out)
    return out


def freeze_lower(model: Any, layers: int) -> None:
    """Freeze the embeddings and the lowest `layers` transformer layers (less to compute
    backwards on CPU; the upper layers carry the task)."""
    for param in model.embeddings.parameters():
        param.requires_grad_(False)
    for layer in model.encoder.layer[:layers]:
        for param in layer.parameters():
            param.requires_grad_(False)


def batch_loss(
    model: Any, tokenizer: Any, batch: list[Example], rng: random.Random, args: argparse.Namespace
) -> torch.Tensor:
    """Multiple-negatives ranking loss of one batch."""
    negatives = [n for n in (hard_negative(ex, rng) for ex in batch) if n is not None]
    passages = [ex.positive for ex in batch] + negatives
    q = embed(model, tokenizer, [ex.query for ex in batch], args.query_length)
    p = embed(model, tokenizer, passages, args.passage_length)
    scores = q @ p.T * SCALE
    # Mask passages that are another in-batch query's positive text (shared gold evidence).
    positives = {ex.query: set(ex.all_positives) for ex in batch}
    mask = torch.zeros_like(scores, dtype=torch.bool)
    for i, ex in enumerate(batch):
        for j, text in enumerate(passages):
            if j != i and text in positives[ex.query]:
                mask[i, j] = True
    scores = scores.masked_fill(mask, float("-inf"))
    return torch.nn.functional.cross_entropy(scores, torch.arange(len(batch)))


def main() -> None:
    """Parse arguments, train, write training.json."""
    ap = retrieval_arguments(
        __doc__.split("\n\n")[0], out=Path("/work/retrieval-train/embedder"), lr=3e-5
    )
    ap.add_argument("--epochs", type=float, default=1.0)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--query-length", type=int, default=64)
    ap.add_argument("--passage-length", type=int, default=256)
    args = ap.parse_args()

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    torch.set_num_threads(args.threads)
    seed_everything(args.seed)
    started = time.perf_counter()
    examples = read_examples(args.examples)
    if args.max_per_source:
        examples = cap_per_source(examples, args.max_per_source, random.Random(args.seed))
    tokenizer = AutoTokenizer.from_pretrained(base_model_dir())
    model = AutoModel.from_pretrained(args.init or base_model_dir())
    freeze_lower(model, args.frozen_layers)
    rng = random.Random(args.seed)
    steps_per_epoch = len(batches_of(examples, args.batch_size, random.Random(0)))
    total_steps = args.probe_steps or max(1, int(steps_per_epoch * args.epochs))
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=args.lr, weight_decay=0.01)
    scheduler = warmup_then_linear(optimizer, total_steps, args.warmup)
    print(f"{len(examples)} examples, {total_steps} steps", flush=True)
    model.train()
    step, losses, t0 = 0, [], time.perf_counter()
    while step < total_steps:
        for batch in batches_of(examples, args.batch_size, rng):
            if step >= total_steps:
                break
            loss = batch_loss(model, tokenizer, batch, rng, args)
            losses.append(optimise(loss, trainable, optimizer, scheduler))
            step += 1
            print_progress(step, total_steps, losses, t0, every=10)
    train_seconds = time.perf_counter() - t0
    if args.probe_steps:
        print(
            f"probe: {train_seconds / step:.2f} s/step; 1 epoch ≈ "
            f"{train_seconds / step * steps_per_epoch / 60:.1f} min",
            flush=True,
        )
        return
    save_retrieval_run(
        args,
        "embedder",
        model,
        tokenizer,
        {
            "model": "claim→evidence bi-encoder",
            "loss": f"multiple-negatives ranking (in-batch + 1 mined hard negative), scale {SCALE}",
            "steps": step,
            "examples": len(examples),
        },
        losses=losses,
        train_seconds=train_seconds,
        started=started,
    )


if __name__ == "__main__":
    main()
