"""Export a trained retrieval model to ONNX, quantise it to int8, check int8 against torch.

Training venv, repository root::

    nice -n 10 /work/venv-train/bin/python -m training.retrieval.export --kind embedder \\
        --model /work/retrieval-train/embedder \\
        --training-json training/retrieval/runs/<run>/training.json
    ... --kind reranker --model /work/retrieval-train/reranker ...

The embedder's graph maps input_ids / attention_mask / token_type_ids to `last_hidden_state`
(the product mean-pools and normalises, `factcheck.retrieval.embeddings`); the re-ranker's to
`logits` (one relevance logit per pair, `factcheck.retrieval.rerank`). Quantisation is the NLI
model's (`training.nli.export.quantize`). The agreement of the int8 graph with the torch model
and the file sizes go into training.json.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch
from transformers import AutoModel, AutoModelForSequenceClassification, AutoTokenizer

from training.nli.export import OPSET, quantize, record_export
from training.nli.train import REPO

TARGETS = {
    "embedder": REPO / "factcheck" / "assets" / "claims-embedder" / "claims-minilm-int8.onnx",
    "reranker": REPO / "factcheck" / "assets" / "reranker" / "reranker-minilm-int8.onnx",
}
CLAIMS = [
    "Face masks reduce the spread of COVID-19.",
    "Homicides in Mexico fell in the first half of 2025.",
    "The Arctic has lost most of its summer sea ice since 1979.",
]
PASSAGES = [
    "Masks. Community mask wearing was associated with lower transmission of SARS-CoV-2 in "
    "several observational studies, although randomised trials gave smaller effects.",
    "Intentional homicide victims fell from 1,866 in June 2024 to 1,602 in June 2025.",
    "Sea ice. " + "The extent of Arctic sea ice in September has declined by about 13% per "
    "decade since satellite records began in 1979. " * 6,
]


class _Output(torch.nn.Module):
    """The model with one named output (tracing-friendly)."""

    def __init__(self, model: torch.nn.Module, kind: str) -> None:
        super().__init__()
        self.model = model
        self.kind = kind

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
    ) -> torch.Tensor:
        out = self.model(
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
        )
        return out.last_hidden_state if self.kind == "embedder" else out.logits


def load(kind: str, model_dir: Path) -> torch.nn.Module:
    """The trained model in eval mode."""
    cls = AutoModel if kind == "embedder" else AutoModelForSequenceClassification
    return cls.from_pretrained(model_dir).eval()


def export_fp32(kind: str, model_dir: Path, out: Path) -> None:
    """TorchScript-based ONNX export with dynamic batch and sequence axes."""
    wrapped = _Output(load(kind, model_dir), kind).eval()
    dummy = (
        torch.ones((2, 16), dtype=torch.long),
        torch.ones((2, 16), dtype=torch.long),
        torch.zeros((2, 16), dtype=torch.long),
    )
    names = ["input_ids", "attention_mask", "token_type_ids"]
    axes = {0: "batch", 1: "sequence"}
    output = "last_hidden_state" if kind == "embedder" else "logits"
    torch.onnx.export(
        wrapped,
        dummy,
        str(out),
        input_names=names,
        output_names=[output],
        dynamic_axes={
            **dict.fromkeys(names, axes),
            output: axes if kind == "embedder" else {0: "batch"},
        },
        opset_version=OPSET,
        dynamo=False,
    )


def _feeds(kind: str, tokenizer: object) -> dict[str, np.ndarray]:
    if kind == "embedder":
        enc = tokenizer(
            CLAIMS + PASSAGES, truncation=True, max_length=256, padding=True, return_tensors="np"
        )  # type: ignore[operator]
    else:
        enc = tokenizer(
            CLAIMS,
            PASSAGES,
            truncation="longest_first",
            max_length=256,
            padding=True,
            return_tensors="np",
        )  # type: ignore[operator]
    return {k: enc[k].astype(np.int64) for k in ("input_ids", "attention_mask", "token_type_ids")}


def _pooled(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    weights = mask[..., None].astype(np.float32)
    pooled = (hidden * weights).sum(1) / np.clip(weights.sum(1), 1e-9, None)
    return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)


def agreement(kind: str, model_dir: Path, onnx_path: Path) -> dict[str, float]:
    """How close the ONNX graph is to torch on a padded batch of mixed lengths: the minimum
    cosine of pooled embeddings (embedder) or the max |logit difference| (re-ranker)."""
    import onnxruntime as ort

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    feeds = _feeds(kind, tokenizer)
    (graph,) = ort.InferenceSession(str(onnx_path)).run(None, feeds)
    with torch.no_grad():
        ref = _Output(load(kind, model_dir), kind)(
            **{k: torch.from_numpy(v) for k, v in feeds.items()}
        ).numpy()
    if kind == "embedder":
        a, b = _pooled(graph, feeds["attention_mask"]), _pooled(ref, feeds["attention_mask"])
        return {"min_cosine_to_torch": round(float((a * b).sum(1).min()), 5)}
    return {
        "max_abs_logit_diff": round(float(np.abs(graph - ref).max()), 5),
        "same_order_per_claim": float(
            np.array_equal(np.argsort(graph[:, 0]), np.argsort(ref[:, 0]))
        ),
    }


def main() -> None:
    """Export, quantise, check; record in training.json."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kind", choices=sorted(TARGETS), required=True)
    ap.add_argument("--model", type=Path, required=True)
    ap.add_argument("--training-json", type=Path, required=True)
    ap.add_argument(
        "--out", type=Path, default=None, help="int8 file (default: the shipped model's path)"
    )
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    fp32 = args.model / f"{args.kind}-fp32.onnx"
    int8 = args.out or TARGETS[args.kind]
    export_fp32(args.kind, args.model, fp32)
    quantize(fp32, int8)
    report = {
        "fp32_vs_torch": agreement(args.kind, args.model, fp32),
        "int8_vs_torch": agreement(args.kind, args.model, int8),
        "int8_bytes": int8.stat().st_size,
        "fp32_bytes": fp32.stat().st_size,
        "int8_path": str(int8.relative_to(REPO) if int8.is_relative_to(REPO) else int8),
    }
    record_export(args.training_json, report)


if __name__ == "__main__":
    main()
