"""Start the re-ranker from the shipped NLI cross-encoder: its int8 ONNX weights, dequantised.

The NLI model (`factcheck/assets/nli`) is all-MiniLM-L6-v2 fine-tuned on (claim, evidence) pairs;
only its int8 export is kept, so its torch weights are rebuilt from the graph's initializers:
``w = (q - zero_point) * scale`` for the quantised embeddings (one scale per tensor) and MatMul
weights (one scale per output channel, stored transposed as ``[in, out]``). The encoder's MatMul
weights are unnamed (``onnx::MatMul_N``) and appear in module order (per layer: query, key,
value, attention output, intermediate, output); pooler and classifier keep their names.
`check_against_onnx` proves the mapping by comparing logits with the int8 graph itself
(2026-12-02: max 0.23 logits apart on 25 pairs, argmax identical, correlation 0.999; with
query and key swapped, correlation 0.03).

The relevance head starts as "not neutral": ``(supported + refuted) / 2 - neutral`` of the NLI
logits, the zero-shot relevance score measured on 2026-12-02 (better than the first re-ranker,
below the first stage), which fine-tuning then moves towards relevance.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import numpy_helper
from transformers import AutoConfig, AutoModelForSequenceClassification

NLI_INT8 = Path(__file__).resolve().parents[2] / "factcheck/assets/nli/nli-minilm-int8.onnx"
MATMUL_ORDER = (
    "attention.self.query",
    "attention.self.key",
    "attention.self.value",
    "attention.output.dense",
    "intermediate.dense",
    "output.dense",
)
SUPPORTED, REFUTED, NEUTRAL = 0, 1, 2  # training.nli.data.LABELS order


def dequantise(arrays: dict[str, np.ndarray], name: str) -> np.ndarray:
    """``(q - zero_point) * scale`` of one quantised initializer."""
    q = arrays[f"{name}_quantized"].astype(np.float32)
    return (q - arrays[f"{name}_zero_point"].astype(np.float32)) * arrays[f"{name}_scale"]


def dequantised_state(onnx_path: Path, layers: int) -> dict[str, torch.Tensor]:
    """Torch state dict (3-label classifier) rebuilt from the int8 graph's initializers."""
    arrays = {i.name: numpy_helper.to_array(i) for i in onnx.load(str(onnx_path)).graph.initializer}
    state = {
        k: torch.from_numpy(v.astype(np.float32))
        for k, v in arrays.items()
        if "." in k and not k.endswith(("_quantized", "_scale", "_zero_point"))
    }
    for name in [k[: -len("_quantized")] for k in arrays if k.endswith("_quantized")]:
        w = dequantise(arrays, name)
        if name.endswith("_Transposed"):  # pooler, classifier: named, stored as [in, out]
            state[name[: -len("_Transposed")]] = torch.from_numpy(np.ascontiguousarray(w.T))
        elif not name.startswith("onnx::"):  # embeddings
            state[name] = torch.from_numpy(w)
    matmuls = [
        k[: -len("_quantized")]
        for k in arrays
        if k.endswith("_quantized") and k.startswith("onnx::MatMul")
    ]
    targets = [f"bert.encoder.layer.{i}.{m}.weight" for i in range(layers) for m in MATMUL_ORDER]
    if len(matmuls) != len(targets):
        raise ValueError(f"{onnx_path}: {len(matmuls)} MatMul weights, expected {len(targets)}")
    for name, target in zip(matmuls, targets, strict=True):
        state[target] = torch.from_numpy(np.ascontiguousarray(dequantise(arrays, name).T))
    return state


def nli_model(base_dir: Path, onnx_path: Path = NLI_INT8) -> torch.nn.Module:
    """The NLI cross-encoder (3 labels) with the dequantised weights loaded strictly."""
    config = AutoConfig.from_pretrained(base_dir, num_labels=3)
    model = AutoModelForSequenceClassification.from_config(config)
    state = dequantised_state(onnx_path, config.num_hidden_layers)
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.endswith("position_ids")]
    if missing or unexpected:
        raise ValueError(f"{onnx_path}: missing {missing}, unexpected {unexpected}")
    return model


def relevance_model(base_dir: Path, onnx_path: Path = NLI_INT8) -> torch.nn.Module:
    """One-logit cross-encoder initialised from the NLI model, head = not-neutral score."""
    nli = nli_model(base_dir, onnx_path)
    config = AutoConfig.from_pretrained(base_dir, num_labels=1)
    model = AutoModelForSequenceClassification.from_config(config)
    state = nli.state_dict()
    w, b = state.pop("classifier.weight"), state.pop("classifier.bias")
    state["classifier.weight"] = ((w[SUPPORTED] + w[REFUTED]) / 2 - w[NEUTRAL])[None, :]
    state["classifier.bias"] = ((b[SUPPORTED] + b[REFUTED]) / 2 - b[NEUTRAL])[None]
    model.load_state_dict(state)
    return model


def check_against_onnx(base_dir: Path, onnx_path: Path = NLI_INT8) -> float:
    """Max |logit difference| between the rebuilt torch model and the int8 graph."""
    import onnxruntime as ort
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(base_dir)
    claims = ["Masks reduce transmission of the virus.", "Sea levels rose in the 20th century."]
    texts = ["Wearing face masks cut infections in the trial. " * 3, "The ice sheet grew."]
    enc = tokenizer(
        claims, texts, truncation=True, max_length=128, padding=True, return_tensors="np"
    )
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    worst = 0.0
    model = nli_model(base_dir, onnx_path).eval()
    for i in range(len(claims)):  # one sequence per run, as the product runs it
        feeds = {
            k: enc[k][i : i + 1].astype(np.int64)
            for k in ("input_ids", "attention_mask", "token_type_ids")
        }
        (onnx_logits,) = session.run(["logits"], feeds)
        with torch.no_grad():
            torch_logits = model(**{k: torch.from_numpy(v) for k, v in feeds.items()}).logits
        worst = max(worst, float(np.abs(onnx_logits - torch_logits.numpy()).max()))
    return worst


if __name__ == "__main__":
    from training.nli.train import base_model_dir

    print(f"max |logit diff| torch vs int8 graph: {check_against_onnx(base_model_dir()):.4f}")
