"""Train, measure and export the check-worthiness head (`factcheck/checkworthiness.py`).

    PYTHONPATH=.:/path/to/onnx nice -n 10 python -m training.checkworthiness.train \
        [--config licence-clean|with-ct19] [--export DIR] [--cache-dir DIR]

Features: the MiniLM sentence embedding (the product's `MiniLMEmbeddingFunction`) and the cue
features of `factcheck.extract.checkworthiness.cue_features`. Model: L2-regularised logistic
regression fitted by Newton's method (numpy only, deterministic). The L2 strength is chosen by
grouped 5-fold cross-validation on the training rows, the threshold on the out-of-fold predictions;
the held-back dev parts are scored once, at the end. Writes `runs/<date>/training.json`
(data sha256s, splits, settings, metrics, ablation) and, with ``--export``, the ONNX head and
its metadata JSON. Building the ONNX graph needs the `onnx` package (the `train` extra); the
product runs the head with onnxruntime only.

Data (shared data folder, never copied into the repository):
* Factcheck-GPT (Apache-2.0): sentence check-worthiness (subtask 1), the annotated claims
  (factual → 1, opinion / not_a_claim → 0) and the prompts put to ChatGPT (questions → 0).
  Documents are split with the project's convention (`factcheck.evals.splits.split_of`, ~30% dev).
* Check-COVID train claims (MIT): news claims, all check-worthy (never its dev split).
* `data/seed_negatives.txt`: 77 non-check-worthy sentences written for this project (greetings,
  procedure, feelings, opinions, promises, questions, requests), label 0.
* CLEF CheckThat! 2019 task 1 training transcripts: only in ``--config with-ct19``; split by
  debate (`ct19_dev_debates`). The shared copy comes from the GPL-3.0 claimbuster-spotter
  repository and the lab's terms say "free for general research use": it is used for measuring
  every configuration, but the shipped head is trained without it (see MODEL_CARD.md).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from factcheck.evals.datasets import (
    datasets_dir,
    load_checkworthiness,
    load_extraction,
    load_verification,
    shared_data_dir,
)
from factcheck.evals.metrics import average_precision
from factcheck.evals.splits import factcheck_gpt_key, split_of
from factcheck.extract.checkworthiness import CUE_NAMES, HEAD_FILE, META_FILE, cue_matrix
from factcheck.files import sha256_file
from factcheck.retrieval.embeddings import EMBEDDER_INFO, MiniLMEmbeddingFunction

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
SEED = 20261201
"""Salt of every hash-based choice below (folds, CT19 dev debates): no other randomness."""
CT19_DEV_DEBATES = 6
"""Number of the 19 CT19 transcripts held back (~30%, the project's dev share)."""
SEED_NEGATIVES = HERE / "data" / "seed_negatives.txt"
"""Non-check-worthy sentences written for this project (label 0, licence-clean pool)."""
CV_FOLDS = 5
L2_GRID = (1.0, 3.0, 10.0, 30.0, 100.0, 300.0)
CONFIGS = ("licence-clean", "with-ct19")

Array = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Row:
    """One training or evaluation sentence."""

    text: str
    label: int
    source: str  # ct19 | fcgpt-sentence | fcgpt-claim | fcgpt-prompt | check-covid | seed-negative
    group: str  # debate or document: folds and splits never cut one
    split: str  # train | dev
    order: int = 0  # position in its debate (CT19 ranking tie-break)


def _unit(key: str) -> float:
    digest = hashlib.sha256(f"{SEED}\x1f{key}".encode()).hexdigest()
    return int(digest[:12], 16) / float(1 << 48)


def ct19_dev_debates(stems: Sequence[str]) -> list[str]:
    """The CT19 debates held back: the `CT19_DEV_DEBATES` with the smallest seeded hash."""
    return sorted(sorted(set(stems), key=_unit)[:CT19_DEV_DEBATES])


# --------------------------------------------------------------------------- data


def load_rows() -> tuple[list[Row], dict[str, Any]]:
    """All rows of every source with their split, and the provenance to record."""
    rows: list[Row] = []
    ct19 = load_checkworthiness("ct19", "train")
    stems = [str(c.meta["file"]).removesuffix(".tsv") for c in ct19]
    dev_debates = set(ct19_dev_debates(stems))
    for case, stem in zip(ct19, stems, strict=True):
        split = "dev" if stem in dev_debates else "train"
        rows.append(
            Row(case.text, int(case.checkworthy), "ct19", stem, split, int(case.meta["line"]))
        )

    def fcgpt_split(doc_key: str) -> str:
        return "dev" if split_of(doc_key) == "dev" else "train"

    for case in load_checkworthiness("factcheck-gpt", "all"):
        doc = factcheck_gpt_key(case.id)  # factcheck-gpt:sentence:<d>:<s> → ...:doc:<d>
        rows.append(Row(case.text, int(case.checkworthy), "fcgpt-sentence", doc, fcgpt_split(doc)))
    for doc_case in load_extraction("factcheck-gpt", "all"):
        doc = doc_case.id
        prompt = doc_case.meta.get("prompt")
        if isinstance(prompt, str) and prompt.strip():
            rows.append(Row(prompt.strip(), 0, "fcgpt-prompt", doc, fcgpt_split(doc)))
        for claim in doc_case.gold_claims:
            if claim.checkworthy is not None:
                rows.append(
                    Row(claim.text, int(claim.checkworthy), "fcgpt-claim", doc, fcgpt_split(doc))
                )
    seen: set[str] = set()
    for vcase in load_verification("check-covid", "train"):
        if vcase.claim not in seen:
            seen.add(vcase.claim)
            rows.append(Row(vcase.claim, 1, "check-covid", vcase.id, "train"))

    for n, line in enumerate(SEED_NEGATIVES.read_text(encoding="utf-8").splitlines()):
        if line.strip() and not line.startswith("#"):
            rows.append(Row(line.strip(), 0, "seed-negative", f"seed:{n}", "train"))

    shared = shared_data_dir()
    files = {
        "ct19/CT19-T1-Training.csv": shared / "ct19" / "CT19-T1-Training.csv",
        "evals/datasets/factcheck-gpt/checkworthiness-all.jsonl": datasets_dir()
        / "factcheck-gpt"
        / "checkworthiness-all.jsonl",
        "evals/datasets/factcheck-gpt/extraction-all.jsonl": datasets_dir()
        / "factcheck-gpt"
        / "extraction-all.jsonl",
        "evals/datasets/check-covid/verification-train.jsonl": datasets_dir()
        / "check-covid"
        / "verification-train.jsonl",
        "training/checkworthiness/data/seed_negatives.txt": SEED_NEGATIVES,
    }
    provenance = {
        "data_sha256": {name: sha256_file(path) for name, path in files.items()},
        "ct19_dev_debates": sorted(dev_debates),
        "ct19_train_debates": sorted(set(stems) - dev_debates),
        "factcheck_gpt_dev_documents": sorted(
            {r.group for r in rows if r.source == "fcgpt-sentence" and r.split == "dev"},
            key=lambda g: int(g.rsplit(":", 1)[1]),
        ),
    }
    return rows, provenance


def count_rows(rows: Sequence[Row]) -> dict[str, dict[str, int]]:
    """Rows per source/split and positives, for the record."""
    out: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in rows:
        out[f"{r.source}/{r.split}"]["rows"] += 1
        out[f"{r.source}/{r.split}"]["positive"] += r.label
    return {k: dict(v) for k, v in sorted(out.items())}


def embed_rows(rows: Sequence[Row], cache_dir: Path) -> npt.NDArray[np.float32]:
    """MiniLM embeddings of every row (unique texts embedded once, cached outside git)."""
    texts = sorted({r.text for r in rows})
    key = hashlib.sha256(
        (EMBEDDER_INFO.model_sha256 or "").encode() + "\x1e".join(texts).encode()
    ).hexdigest()[:16]
    path = cache_dir / f"minilm-{key}.npy"
    if path.is_file():
        vectors = np.load(path)
    else:
        started = time.perf_counter()
        vectors = MiniLMEmbeddingFunction(batch_size=32).embed(texts)
        print(
            f"embedded {len(texts)} texts in {time.perf_counter() - started:.0f}s",
            file=sys.stderr,
        )
        cache_dir.mkdir(parents=True, exist_ok=True)
        np.save(path, vectors)
    index = {t: i for i, t in enumerate(texts)}
    return vectors[[index[r.text] for r in rows]]


# --------------------------------------------------------------------------- model


def _sigmoid(z: Array) -> Array:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))


@dataclass
class Model:
    """Logistic regression on [embedding, cues / cue_scale]; the last weight is the bias."""

    weights: Array
    cue_scale: Array
    use_embedding: bool
    use_cues: bool

    def design(self, emb: npt.NDArray[np.float32], cues: npt.NDArray[np.float32]) -> Array:
        """The design matrix of the feature groups this model uses, with a bias column."""
        return _design(emb, cues, self.cue_scale, self.use_embedding, self.use_cues)

    def predict(self, emb: npt.NDArray[np.float32], cues: npt.NDArray[np.float32]) -> Array:
        """Probabilities of check-worthiness."""
        return _sigmoid(self.design(emb, cues) @ self.weights)


def _design(
    emb: npt.NDArray[np.float32],
    cues: npt.NDArray[np.float32],
    scale: Array,
    use_embedding: bool,
    use_cues: bool,
) -> Array:
    parts: list[Array] = []
    if use_embedding:
        parts.append(emb.astype(np.float64))
    if use_cues:
        parts.append(cues.astype(np.float64) / scale)
    parts.append(np.ones((len(emb), 1)))
    return np.hstack(parts)


def fit(
    emb: npt.NDArray[np.float32],
    cues: npt.NDArray[np.float32],
    y: Array,
    sample_weight: Array,
    l2: float,
    *,
    use_embedding: bool = True,
    use_cues: bool = True,
) -> Model:
    """Weighted L2 logistic regression by Newton's method (bias not penalised)."""
    scale = np.maximum(cues.astype(np.float64).std(axis=0), 1e-3)  # no centring: absent cue = 0
    x = _design(emb, cues, scale, use_embedding, use_cues)
    penalty = np.full(x.shape[1], l2)
    penalty[-1] = 0.0
    w = np.zeros(x.shape[1])
    for _ in range(100):
        p = _sigmoid(x @ w)
        grad = x.T @ (sample_weight * (p - y)) + penalty * w
        hess = (x * (sample_weight * p * (1 - p))[:, None]).T @ x + np.diag(penalty + 1e-8)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.max(np.abs(step)) < 1e-7:
            break
    return Model(w, scale, use_embedding, use_cues)


def sample_weights(rows: Sequence[Row]) -> Array:
    """Each pool (CT19; everything else) weighs the same; classes are balanced in each pool."""
    pools = ["ct19" if r.source == "ct19" else "clean" for r in rows]
    counts: dict[tuple[str, int], int] = defaultdict(int)
    for pool, r in zip(pools, rows, strict=True):
        counts[(pool, r.label)] += 1
    n_cells = len(counts)
    w = np.array(
        [
            len(rows) / (n_cells * counts[(pool, r.label)])
            for pool, r in zip(pools, rows, strict=True)
        ]
    )
    return w


# --------------------------------------------------------------------------- metrics


def ct19_map(rows: Sequence[Row], scores: Array) -> dict[str, Any]:
    """MAP over debates (AP per debate, averaged) plus mean P@10 and per-debate AP."""
    by_debate: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        by_debate[r.group].append(i)
    per: dict[str, float] = {}
    p_at_10: list[float] = []
    for debate, idx in sorted(by_debate.items()):
        idx.sort(key=lambda i: rows[i].order)
        labels = [rows[i].label for i in idx]
        s = [float(scores[i]) for i in idx]
        per[debate] = round(average_precision(labels, s), 4)
        top = sorted(range(len(s)), key=lambda i: -s[i])[:10]
        p_at_10.append(sum(labels[i] for i in top) / 10)
    return {
        "map": round(float(np.mean(list(per.values()))), 4),
        "p_at_10": round(float(np.mean(p_at_10)), 4),
        "ap_per_debate": per,
    }


def roc_auc(labels: Array, scores: Array) -> float:
    """ROC-AUC with ties counted half (Mann-Whitney U)."""
    pos, neg = scores[labels == 1], scores[labels == 0]
    if not len(pos) or not len(neg):
        return float("nan")
    greater = (pos[:, None] > neg[None, :]).sum()
    ties = (pos[:, None] == neg[None, :]).sum()
    return float((greater + 0.5 * ties) / (len(pos) * len(neg)))


def prf(labels: Array, scores: Array, threshold: float) -> dict[str, float]:
    """Precision, recall, F1 of the positive class, and macro-F1, at ``threshold``."""
    pred = scores >= threshold

    def f1_of(target: Array, guess: Array) -> tuple[float, float, float]:
        tp = float((guess & target).sum())
        p = tp / guess.sum() if guess.sum() else 0.0
        r = tp / target.sum() if target.sum() else 0.0
        return p, r, (2 * p * r / (p + r) if p + r else 0.0)

    p, r, f1 = f1_of(labels == 1, pred)
    _, _, f1_neg = f1_of(labels == 0, ~pred)
    return {
        "precision": round(p, 4),
        "recall": round(r, 4),
        "f1": round(f1, 4),
        "macro_f1": round((f1 + f1_neg) / 2, 4),
    }


def fcgpt_metrics(rows: Sequence[Row], scores: Array, threshold: float) -> dict[str, Any]:
    """Held-back Factcheck-GPT sentences: P/R/F1 at the threshold, ROC-AUC, baselines."""
    labels = np.array([r.label for r in rows])
    out: dict[str, Any] = {
        "sentences": len(rows),
        "positive": int(labels.sum()),
        **prf(labels, scores, threshold),
        "roc_auc": round(roc_auc(labels, scores), 4),
    }
    out["all_positive_baseline"] = prf(labels, np.ones(len(labels)), 0.5)
    return out


# --------------------------------------------------------------------------- training


def cv_folds(rows: Sequence[Row]) -> npt.NDArray[np.int64]:
    """Fold of each row: a seeded hash of its group, so no debate/document straddles folds."""
    return np.array([int(_unit("fold\x1f" + r.group) * CV_FOLDS) for r in rows])


def cv_score(
    rows: Sequence[Row],
    emb: npt.NDArray[np.float32],
    cues: npt.NDArray[np.float32],
    l2: float,
    groups: tuple[bool, bool],
) -> tuple[float, Array]:
    """Grouped-CV objective (mean of CT19 MAP and Factcheck-GPT AUC present) and OOF scores."""
    y = np.array([r.label for r in rows], dtype=np.float64)
    w = sample_weights(rows)
    folds = cv_folds(rows)
    oof = np.zeros(len(rows))
    for k in range(CV_FOLDS):
        test = folds == k
        model = fit(
            emb[~test], cues[~test], y[~test], w[~test], l2,
            use_embedding=groups[0], use_cues=groups[1],
        )  # fmt: skip
        oof[test] = model.predict(emb[test], cues[test])
    parts: list[float] = []
    ct = [i for i, r in enumerate(rows) if r.source == "ct19"]
    if ct:
        parts.append(ct19_map([rows[i] for i in ct], oof[ct])["map"])
    # Sentences only: the prompts (all questions) are too easy to tell apart to guide the choice.
    fc = [i for i, r in enumerate(rows) if r.source == "fcgpt-sentence"]
    parts.append(roc_auc(y[fc], oof[fc]))
    return float(np.mean(parts)), oof


def choose_threshold(rows: Sequence[Row], oof: Array) -> float:
    """The threshold maximising macro-F1 on the out-of-fold Factcheck-GPT sentences."""
    idx = [i for i, r in enumerate(rows) if r.source == "fcgpt-sentence"]
    labels = np.array([rows[i].label for i in idx])
    scores = oof[idx]
    grid = np.round(np.arange(0.05, 0.951, 0.01), 2)
    best = max(grid, key=lambda t: (prf(labels, scores, float(t))["macro_f1"], -abs(t - 0.5)))
    return float(best)


@dataclass
class Result:
    """One trained configuration with its measurements."""

    model: Model
    l2: float
    threshold: float
    cv: dict[str, float]
    dev: dict[str, Any]


def train_and_measure(
    rows: Sequence[Row],
    emb: npt.NDArray[np.float32],
    cues: npt.NDArray[np.float32],
    keep: Callable[[Row], bool],
    groups: tuple[bool, bool],
) -> Result:
    """Choose L2 by grouped CV, the threshold on OOF scores, refit, measure on dev."""
    tr = [i for i, r in enumerate(rows) if r.split == "train" and keep(r)]
    tr_rows = [rows[i] for i in tr]
    cv: dict[str, float] = {}
    oofs: dict[float, Array] = {}
    for l2 in L2_GRID:
        cv[str(l2)], oofs[l2] = cv_score(tr_rows, emb[tr], cues[tr], l2, groups)
    best = max(L2_GRID, key=lambda l2: cv[str(l2)])
    threshold = choose_threshold(tr_rows, oofs[best])
    y = np.array([r.label for r in tr_rows], dtype=np.float64)
    model = fit(
        emb[tr], cues[tr], y, sample_weights(tr_rows), best,
        use_embedding=groups[0], use_cues=groups[1],
    )  # fmt: skip
    scores = model.predict(emb, cues)
    ct = [i for i, r in enumerate(rows) if r.source == "ct19" and r.split == "dev"]
    fc = [i for i, r in enumerate(rows) if r.source == "fcgpt-sentence" and r.split == "dev"]
    ct_labels = np.array([rows[i].label for i in ct])
    dev = {
        "ct19": {
            **ct19_map([rows[i] for i in ct], scores[ct]),
            "at_threshold": prf(ct_labels, scores[ct], threshold),
        },
        "factcheck_gpt": fcgpt_metrics([rows[i] for i in fc], scores[fc], threshold),
    }
    return Result(model, best, threshold, {k: round(v, 4) for k, v in cv.items()}, dev)


# --------------------------------------------------------------------------- export


def export_head(result: Result, emb_train_mean_logit: float, out_dir: Path, meta: dict) -> Path:
    """Write the ONNX head (MatMul + Add + Sigmoid, with per-cue contributions) and its JSON."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    model = result.model
    dim = EMBEDDER_INFO.dimensions or 384
    n_cues = len(CUE_NAMES)
    w = model.weights
    w_emb = w[:dim].reshape(dim, 1).astype(np.float32)
    w_cue = (w[dim : dim + n_cues] / model.cue_scale).astype(np.float32)
    bias = float(w[-1])
    inits = [
        numpy_helper.from_array(w_emb, "w_embedding"),
        numpy_helper.from_array(np.array([emb_train_mean_logit], np.float32), "embedding_mean"),
        numpy_helper.from_array(w_cue.reshape(1, n_cues), "w_cues_row"),
        numpy_helper.from_array(w_cue.reshape(n_cues, 1), "w_cues_col"),
        numpy_helper.from_array(
            np.array([bias + emb_train_mean_logit], np.float32), "bias_plus_mean"
        ),
    ]
    nodes = [
        helper.make_node("MatMul", ["embedding", "w_embedding"], ["embedding_logit"]),
        helper.make_node("Sub", ["embedding_logit", "embedding_mean"], ["embedding_contribution"]),
        helper.make_node("Mul", ["cues", "w_cues_row"], ["cue_contributions"]),
        helper.make_node("MatMul", ["cues", "w_cues_col"], ["cue_logit"]),
        helper.make_node("Add", ["embedding_contribution", "cue_logit"], ["partial_logit"]),
        helper.make_node("Add", ["partial_logit", "bias_plus_mean"], ["logit"]),
        helper.make_node("Sigmoid", ["logit"], ["score"]),
    ]
    graph = helper.make_graph(
        nodes,
        "checkworthiness_head",
        [
            helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["n", dim]),
            helper.make_tensor_value_info("cues", TensorProto.FLOAT, ["n", n_cues]),
        ],
        [
            helper.make_tensor_value_info("score", TensorProto.FLOAT, ["n", 1]),
            helper.make_tensor_value_info("cue_contributions", TensorProto.FLOAT, ["n", n_cues]),
            helper.make_tensor_value_info("embedding_contribution", TensorProto.FLOAT, ["n", 1]),
        ],
        inits,
    )
    onnx_model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", 17)],
        producer_name="factcheck training/checkworthiness",
    )
    onnx_model.ir_version = 8
    onnx.checker.check_model(onnx_model)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / HEAD_FILE
    path.write_bytes(onnx_model.SerializeToString())
    meta = {**meta, "head_sha256": sha256_file(path), "cue_names": list(CUE_NAMES)}
    (out_dir / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return path


# --------------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> int:
    """Train every configuration and ablation, record them, export one head."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--config", choices=CONFIGS, default="licence-clean",
                        help="the configuration to export (all are measured)")  # fmt: skip
    parser.add_argument("--export", type=Path, default=None,
                        help="folder for the ONNX head + JSON (e.g. factcheck/assets/checkworthiness)")  # fmt: skip  # noqa: E501
    parser.add_argument("--cache-dir", type=Path, default=Path("/tmp/factcheck-cworth-cache"))
    parser.add_argument("--run-dir", type=Path, default=None,
                        help="where training.json goes (default runs/<UTC date>)")  # fmt: skip
    args = parser.parse_args(argv)

    started = time.perf_counter()
    rows, provenance = load_rows()
    t_data = time.perf_counter()
    emb = embed_rows(rows, args.cache_dir)
    t_embed = time.perf_counter()
    cues = cue_matrix([r.text for r in rows])

    keeps: dict[str, Callable[[Row], bool]] = {
        "licence-clean": lambda r: r.source != "ct19",
        "with-ct19": lambda r: True,
    }
    ablations = {"embedding+cues": (True, True), "embedding only": (True, False),
                 "cues only": (False, True)}  # fmt: skip
    results: dict[str, dict[str, Result]] = {}
    for config, keep in keeps.items():
        results[config] = {}
        for name, groups in ablations.items():
            res = train_and_measure(rows, emb, cues, keep, groups)
            results[config][name] = res
            ct, fc = res.dev["ct19"], res.dev["factcheck_gpt"]
            print(
                f"{config:14s} {name:15s} l2={res.l2:<5g} thr={res.threshold:.2f} "
                f"CT19 dev MAP={ct['map']:.4f} P@10={ct['p_at_10']:.3f} | FC-GPT dev "
                f"P={fc['precision']:.3f} R={fc['recall']:.3f} F1={fc['f1']:.3f} "
                f"macroF1={fc['macro_f1']:.3f} AUC={fc['roc_auc']:.3f}",
                file=sys.stderr,
            )
    t_train = time.perf_counter()

    chosen = results[args.config]["embedding+cues"]
    dim = EMBEDDER_INFO.dimensions or 384
    tr = [i for i, r in enumerate(rows) if r.split == "train" and keeps[args.config](r)]
    # The embedding's share is reported relative to its class-balanced training mean.
    tr_weights = sample_weights([rows[i] for i in tr])
    emb_logits = emb[tr].astype(np.float64) @ chosen.model.weights[:dim]
    emb_mean_logit = float(np.average(emb_logits, weights=tr_weights))
    cue_weights = dict(
        zip(CUE_NAMES, (chosen.model.weights[dim:-1] / chosen.model.cue_scale).round(4).tolist(),
            strict=True)
    )  # fmt: skip
    date = datetime.now(UTC).strftime("%Y-%m-%d")
    record: dict[str, Any] = {
        "date_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "exported_config": args.config,
        "embedder": EMBEDDER_INFO.to_dict(),
        "seed": SEED,
        "settings": {
            "model": "L2 logistic regression, Newton's method, bias unpenalised",
            "cv_folds": CV_FOLDS,
            "l2_grid": list(L2_GRID),
            "cv_objective": "mean of CT19 MAP over held-out debates (when CT19 is trained on) "
            "and Factcheck-GPT sentence ROC-AUC, grouped folds by debate/document",
            "threshold_rule": "max macro-F1 on out-of-fold Factcheck-GPT training sentences",
            "sample_weights": "pools (CT19; the rest) weigh the same; classes balanced per pool",
            "cue_scaling": "divide by training std, no centring (an absent cue adds 0)",
            "cue_names": list(CUE_NAMES),
        },
        **provenance,
        "rows": count_rows(rows),
        "results": {
            config: {
                name: {
                    "l2": res.l2,
                    "threshold": res.threshold,
                    "cv": res.cv,
                    "dev": res.dev,
                }
                for name, res in by_ablation.items()
            }
            for config, by_ablation in results.items()
        },
        "exported_cue_weights_per_raw_unit": cue_weights,
        "timings_s": {
            "load": round(t_data - started, 1),
            "embed": round(t_embed - t_data, 1),
            "train_all_configs": round(t_train - t_embed, 1),
        },
    }
    run_dir = args.run_dir or HERE / "runs" / date
    if args.export is not None:
        meta = {
            "config": args.config,
            "threshold": chosen.threshold,
            "l2": chosen.l2,
            "embedder": EMBEDDER_INFO.name,
            "embedder_model_sha256": EMBEDDER_INFO.model_sha256,
            "training_run": str((run_dir / "training.json").relative_to(REPO_ROOT))
            if run_dir.is_relative_to(REPO_ROOT)
            else str(run_dir / "training.json"),
            "dev": chosen.dev,
        }
        meta["dev"] = {
            "ct19_map": chosen.dev["ct19"]["map"],
            "factcheck_gpt": {
                k: chosen.dev["factcheck_gpt"][k] for k in ("precision", "recall", "f1", "roc_auc")
            },
        }
        path = export_head(chosen, emb_mean_logit, args.export, meta)
        record["exported_head"] = {
            "path": str(path.relative_to(REPO_ROOT)) if path.is_relative_to(REPO_ROOT)
            else str(path),
            "sha256": sha256_file(path),
            "bytes": path.stat().st_size,
        }  # fmt: skip
        # Agreement of the ONNX graph with numpy on every row.
        import onnxruntime as ort

        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        (onnx_scores,) = session.run(["score"], {"embedding": emb, "cues": cues})
        diff = float(np.abs(onnx_scores[:, 0] - chosen.model.predict(emb, cues)).max())
        record["exported_head"]["max_abs_diff_vs_numpy"] = diff
    record["timings_s"]["total"] = round(time.perf_counter() - started, 1)
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "training.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {run_dir / 'training.json'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
