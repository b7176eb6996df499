"""Export the fine-tuned cross-encoder to ONNX, quantise it to int8, check int8 vs fp32.

Training venv, repository root::

    nice -n 15 /work/venv-train/bin/python -m training.nli.export --model /work/nli-train/model

Writes the fp32 graph next to the model (outside git) and the int8 graph to
``factcheck/assets/nli/nli-minilm-int8.onnx`` (dynamic quantisation of the MatMul weights,
``onnxruntime.quantization.quantize_dynamic``), and their sizes to ``training.json``. The
int8-vs-fp32 agreement check is torch-free: ``training.nli.evaluate --agreement FP32.onnx``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch
from transformers import AutoModelForSequenceClassification

from training.nli.train import REPO

INT8_PATH = REPO / "factcheck" / "assets" / "nli" / "nli-minilm-int8.onnx"
OPSET = 17


def export_fp32(model_dir: Path, out: Path) -> None:
    """TorchScript-based ONNX export with dynamic batch and sequence axes."""
    model = AutoModelForSequenceClassification.from_pretrained(model_dir).eval()
    model.config.return_dict = False
    dummy = {
        "input_ids": torch.ones((2, 16), dtype=torch.long),
        "attention_mask": torch.ones((2, 16), dtype=torch.long),
        "token_type_ids": torch.zeros((2, 16), dtype=torch.long),
    }
    axes = {0: "batch", 1: "sequence"}
    torch.onnx.export(
        model,
        (dummy["input_ids"], dummy["attention_mask"], dummy["token_type_ids"]),
        str(out),
        input_names=list(dummy),
        output_names=["logits"],
        dynamic_axes={**{k: axes for k in dummy}, "logits": {0: "batch"}},
        opset_version=OPSET,
        dynamo=False,
    )


def check_export(model_dir: Path, fp32: Path) -> float:
    """Max |logit difference| of the ONNX graph vs torch on one padded batch of mixed lengths
    (catches shapes or masks the tracer baked in)."""
    import onnxruntime as ort
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForSequenceClassification.from_pretrained(model_dir).eval()
    claims = ["Water boils at 100 C.", "The tower was finished in 1889.", "x"]
    texts = ["At sea level water boils at 100 degrees. " * 9, "It opened in 1889.", "y z"]
    enc = tokenizer(
        claims, texts, truncation=True, max_length=128, padding=True, return_tensors="np"
    )
    feeds = {k: enc[k].astype(np.int64) for k in ("input_ids", "attention_mask", "token_type_ids")}
    (onnx_logits,) = ort.InferenceSession(str(fp32)).run(["logits"], feeds)
    with torch.no_grad():
        torch_logits = model(**{k: torch.from_numpy(v) for k, v in feeds.items()}).logits.numpy()
    return float(np.abs(onnx_logits - torch_logits).max())


QUANTIZATION = "quantize_dynamic QInt8, per channel, reduced range"


def quantize(fp32: Path, int8: Path) -> None:
    """Dynamic int8 quantisation of the weights (activations quantised at run time).

    Per-channel scales with the 7-bit reduced range: on 400 held-back pairs of the 2026-11-27
    model, int8 labels agreed with fp32 on 98.0% of pairs (max probability difference 0.09)
    against 92.5% (0.31) with one scale per tensor, for 0.1 MB more."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    int8.parent.mkdir(parents=True, exist_ok=True)
    quantize_dynamic(
        str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True, reduce_range=True
    )


def record_export(training_json: Path, report: dict[str, object]) -> None:
    """Add the export's opset, quantisation and `report` to a run's training.json; print it."""
    record = json.loads(training_json.read_text(encoding="utf-8"))
    record["export"] = {"opset": OPSET, "quantization": QUANTIZATION, **report}
    training_json.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=1))


def main() -> None:
    """Export, quantise; record the sizes in training.json."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", type=Path, default=Path("/work/nli-train/model"))
    ap.add_argument("--training-json", type=Path, required=True)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    fp32 = args.model / "nli-minilm-fp32.onnx"
    export_fp32(args.model, fp32)
    quantize(fp32, INT8_PATH)
    report = {
        "onnx_vs_torch_max_abs_logit_diff": round(check_export(args.model, fp32), 6),
        "int8_bytes": INT8_PATH.stat().st_size,
        "fp32_bytes": fp32.stat().st_size,
    }
    record_export(args.training_json, report)


if __name__ == "__main__":
    main()
