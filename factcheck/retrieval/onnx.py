"""The one ONNX-runtime helper of the offline models (the MiniLM embedder, the NLI verifier,
the re-ranker): CPU sessions configured alike, the bundled MiniLM tokenizer checked by its hash,
cross-encoder pair scoring, file hashes and the cores this process may use."""

from __future__ import annotations

import importlib.resources
import os
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from factcheck.errors import FactcheckError
from factcheck.files import sha256_file

if TYPE_CHECKING:
    import onnxruntime as ort
    from tokenizers import Encoding, Tokenizer

TOKENIZER_RESOURCE = "assets/minilm/tokenizer.json"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"


class ModelFileError(FactcheckError):
    """A shipped model or tokenizer file is missing or altered; the message names the fix."""


def packaged_file(resource: str) -> Path:
    """Path of a file shipped inside the `factcheck` package (e.g. `assets/nli/...`)."""
    return Path(str(importlib.resources.files("factcheck").joinpath(resource)))


def tokenizer_file() -> Path:
    """Path of the MiniLM tokenizer shipped in ``factcheck/assets/minilm``."""
    return packaged_file(TOKENIZER_RESOURCE)


def check_tokenizer_file(path: Path) -> None:
    """Raise `ModelFileError` unless `path` is the bundled tokenizer, unaltered."""
    if not path.is_file() or sha256_file(path) != TOKENIZER_SHA256:
        raise ModelFileError(
            f"The bundled tokenizer {path} is missing or altered (expected sha256 "
            f"{TOKENIZER_SHA256}). Fix: reinstall factcheck."
        )


def available_cores() -> int:
    """CPU cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


PER_SEQUENCE = 1
"""Batch size for the int8 models factcheck exports itself (NLI, claims embedder, re-ranker).
`quantize_dynamic` quantizes activations with one scale per tensor (DynamicQuantizeLinear), so
in a batch each sequence's output depends on its batch mates (measured: up to 0.019 cosine for
the claims embedder, 0.08 logits for the re-ranker) and a result would change with what else
was scored beside it. One sequence per run makes every output a function of its own input; on
2 cores it was also faster than batches of 32 (no padding): 19–21 vs 12–14 passages/s
embedded, 30 re-ranker pairs in 1.7 s vs 3.5–4.5 s (measured under load)."""


def cpu_session(path: Path, threads: int) -> ort.InferenceSession:
    """An ONNX Runtime CPU session for the model at `path`, sequential, on `threads` cores.

    No memory arena: a 32x256 batch would otherwise keep ~1 GB resident for the process's
    life; without it RSS stays ~300 MB at no measurable CPU cost. No spin-waiting: on shared
    cores it burned ~25% of the CPU time for nothing (measured, 2 cores under load)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    options.enable_cpu_mem_arena = False
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])


def pair_tokenizer(max_length: int) -> Tokenizer:
    """The bundled MiniLM tokenizer for (first, second) text pairs: `[CLS] a [SEP] b [SEP]`,
    truncated longest-first at `max_length`, unpadded (batches are padded by `pair_logits`)."""
    from tokenizers import Tokenizer

    path = tokenizer_file()
    check_tokenizer_file(path)
    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=max_length, strategy="longest_first")
    return tokenizer


def runs_in_parallel(threads: int, *, one_sequence_per_run: bool) -> tuple[int, int]:
    """(ONNX intra-op threads per run, concurrent runs) for a model on `threads` cores. One
    sequence is too small a job to split across cores well: one thread per run with a run per
    core scored pairs 1.5x faster than two threads per run (2 idle cores, 200 pairs: re-ranker
    14.7 vs 21.9 ms, NLI 15.6 vs 23.1 ms per pair; `benchmarks/pair_scoring.py`), with
    identical outputs. Batches keep every core in one run."""
    if one_sequence_per_run and threads > 1:
        return 1, threads
    return threads, 1


def parallel_session(
    path: Path, threads: int, *, one_sequence_per_run: bool
) -> tuple[ort.InferenceSession, int]:
    """A CPU session for the model at `path` on `threads` cores, and how many runs to make at
    once with it (`runs_in_parallel`; pass the count to `for_each_batch`)."""
    intra_op_threads, workers = runs_in_parallel(threads, one_sequence_per_run=one_sequence_per_run)
    return cpu_session(path, intra_op_threads), workers


def padded_feeds(
    encodings: Sequence[Encoding],
    lengths: np.ndarray,
    rows: np.ndarray,
    input_names: Collection[str],
) -> dict[str, np.ndarray]:
    """A BERT-style model's inputs for the encodings at `rows`: ids, attention mask and (when
    the model takes them) token types, each padded with 0 to the longest of those rows."""
    width = int(lengths[rows].max())
    ids = np.zeros((len(rows), width), dtype=np.int64)
    types = np.zeros_like(ids)
    mask = np.zeros_like(ids)
    for r, i in enumerate(rows):
        n = lengths[i]
        ids[r, :n] = encodings[i].ids
        types[r, :n] = encodings[i].type_ids
        mask[r, :n] = 1
    feeds = {"input_ids": ids, "attention_mask": mask}
    if "token_type_ids" in input_names:
        feeds["token_type_ids"] = types
    return feeds


def pair_logits(
    session: ort.InferenceSession,
    tokenizer: Tokenizer,
    firsts: Sequence[str],
    seconds: Sequence[str],
    *,
    width: int,
    batch_size: int,
    workers: int = 1,
) -> np.ndarray:
    """A cross-encoder's `logits` output for each (first, second) pair, shape `(n, width)`,
    in input order; pairs are batched by length and padded per batch to the longest (use
    `PER_SEQUENCE` for models with per-tensor activation quantization), `workers` batches at
    a time (see `runs_in_parallel`)."""
    if len(firsts) != len(seconds):
        raise ValueError(f"{len(firsts)} first texts but {len(seconds)} second texts")
    out = np.zeros((len(firsts), width), dtype=np.float32)
    if not firsts:
        return out
    inputs = {i.name for i in session.get_inputs()}
    encodings = tokenizer.encode_batch(list(zip(firsts, seconds, strict=True)))
    lengths = np.fromiter((len(e.ids) for e in encodings), dtype=np.int64)
    order = np.argsort(lengths, kind="stable")

    def run(rows: np.ndarray) -> None:
        (logits,) = session.run(["logits"], padded_feeds(encodings, lengths, rows, inputs))
        out[rows] = np.asarray(logits, dtype=np.float32).reshape(len(rows), width)

    for_each_batch(run, order, batch_size, workers)
    return out


def for_each_batch(
    run: Callable[[np.ndarray], None], order: np.ndarray, batch_size: int, workers: int
) -> None:
    """Call `run` on consecutive slices of `order` of `batch_size` rows, `workers` at a time;
    a failing call's exception is raised here."""
    batches = [order[start : start + batch_size] for start in range(0, len(order), batch_size)]
    if workers > 1 and len(batches) > 1:
        with ThreadPoolExecutor(max_workers=min(workers, len(batches))) as pool:
            list(pool.map(run, batches))  # list(): re-raises a run's exception here
    else:
        for rows in batches:
            run(rows)
