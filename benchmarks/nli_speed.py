"""Throughput of the shipped NLI verifier: (claim, sentence) pairs per second.

    nice -n 15 python benchmarks/nli_speed.py [--pairs 1000] [--threads 2] [--batch-size 32]

Pairs are Check-COVID dev claims with their gold rationale sentences and FEVER-Symmetric dev
claims with their evidence sentence (committed datasets; nothing is downloaded), scored by
`NLIModel.logits` (batches sorted by length, padded to their longest member). Prints pairs/s,
mean tokens per pair and the load average, since other jobs on the machine slow it down.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from factcheck.evals.datasets import load_verification
from factcheck.verify.nli import NLIModel


def main() -> None:
    """Time the model on `--pairs` pairs, `--repeats` times, and print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pairs", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    cases = load_verification("check-covid", "dev") + load_verification("fever-symmetric", "dev")
    pairs = [(c.claim, e.text) for c in cases for e in c.evidence][: args.pairs]
    claims, texts = [p[0] for p in pairs], [p[1] for p in pairs]
    model = NLIModel(threads=args.threads, batch_size=args.batch_size)
    model.load()
    assert model._tokenizer is not None
    tokens = [len(e.ids) for e in model._tokenizer.encode_batch(pairs)]
    model.logits(claims[:64], texts[:64])  # warm-up
    rates = []
    for _ in range(args.repeats):
        started = time.perf_counter()
        model.logits(claims, texts)
        rates.append(len(pairs) / (time.perf_counter() - started))
    print(f"model        {model.model_path.name} ({model.model_path.stat().st_size / 1e6:.1f} MB)")
    print(
        f"pairs        {len(pairs)} (mean {statistics.mean(tokens):.0f} tokens, max {max(tokens)})"
    )
    print(f"threads      {args.threads}, batch size {args.batch_size}")
    print(
        f"pairs/s      median {statistics.median(rates):.1f} (runs: "
        + ", ".join(f"{r:.1f}" for r in rates)
        + ")"
    )
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
