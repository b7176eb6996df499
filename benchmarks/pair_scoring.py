"""Cross-encoder pair scoring, one sequence per run: two threads in one run vs one run per core.

    nice -n 15 python benchmarks/pair_scoring.py [--model reranker|nli] [--pairs 200]

The re-ranker and the NLI model run one (claim, passage) pair per `session.run` (see
`factcheck.retrieval.onnx.PER_SEQUENCE`). This times both ways of using the cores on the same
pairs, interleaved: `intra-op` (one run at a time, every core inside it) and `runs-per-core`
(one intra-op thread per run, one run per core, `onnx.runs_in_parallel`). Pairs are Check-COVID
dev claims with passages of the store's size (800 characters) from their corpus; nothing is
downloaded. Prints milliseconds per pair, the ratio, and whether both gave identical logits.
"""

from __future__ import annotations

import argparse

import numpy as np
from _common import cores, median_rate, print_footer, print_header, repeat_alternating

from factcheck.evals.datasets import load_corpus, load_retrieval
from factcheck.retrieval.onnx import cpu_session, packaged_file, pair_logits, pair_tokenizer

MODELS = {
    "reranker": ("assets/reranker/reranker-minilm-int8.onnx", 1),
    "nli": ("assets/nli/nli-minilm-int8.onnx", 3),
}


def main() -> None:
    """Score `--pairs` pairs both ways, `--repeats` times each, interleaved; print figures."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", choices=sorted(MODELS), default="reranker")
    ap.add_argument("--pairs", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    print_header(f"{args.model} pair scoring, one sequence per run, {args.pairs} pairs")
    resource, width = MODELS[args.model]
    path = packaged_file(resource)
    claims = [c.claim for c in load_retrieval("check-covid", "dev")]
    passages = [d.text[:800] for d in load_corpus("check-covid")]
    firsts = [claims[i % len(claims)] for i in range(args.pairs)]
    seconds = [passages[(7 * i) % len(passages)] for i in range(args.pairs)]
    tokenizer = pair_tokenizer(256)
    n = cores()
    one_run = cpu_session(path, n)
    per_core = cpu_session(path, 1)

    def intra_op() -> np.ndarray:
        return pair_logits(one_run, tokenizer, firsts, seconds, width=width, batch_size=1)

    def runs_per_core() -> np.ndarray:
        return pair_logits(
            per_core, tokenizer, firsts, seconds, width=width, batch_size=1, workers=n
        )

    identical = np.array_equal(intra_op(), runs_per_core())  # also the warm-up
    timings = repeat_alternating(
        {"intra-op": intra_op, "runs-per-core": runs_per_core}, args.repeats
    )
    ms = {name: 1000 / median_rate(args.pairs, t)[0] for name, t in timings.items()}
    for name, value in ms.items():
        print(f"{name:>14}: {value:.1f} ms per pair (median of {args.repeats})")
    print(
        f"runs-per-core is {ms['intra-op'] / ms['runs-per-core']:.2f}x faster; "
        f"identical logits: {identical}"
    )
    print_footer()


if __name__ == "__main__":
    main()
