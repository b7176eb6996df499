"""Converters from the raw files in the shared data folder to the eval schemas.

Each ``convert_<dataset>(data_dir)`` reads ``data_dir/<folder>/…`` and returns
``{file stem: records}`` (stems as in ``datasets.DATASETS``). They are pure apart from reading
files, deterministic, and used both by ``evals/convert_datasets.py`` (committed datasets) and
by the loaders at run time (datasets whose licence keeps them out of the repository).
"""

from __future__ import annotations

import csv
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from factcheck.evals.datasets import (
    CheckWorthinessCase,
    CorpusDoc,
    DatasetError,
    DocSentence,
    EvidenceItem,
    ExtractionCase,
    GoldClaim,
    Label,
    Record,
    RetrievalCase,
    VerificationCase,
)

# The dataset's own label → ours. Written out again in evals/datasets/README.md.
LABEL_MAPS: dict[str, dict[str, Label]] = {
    "check-covid": {
        "SUPPORT": "SUPPORTED",
        "REFUTE": "REFUTED",
        "NOTENOUGHINFO": "NOT_ENOUGH_EVIDENCE",
    },
    "climate-fever": {
        "SUPPORTS": "SUPPORTED",
        "REFUTES": "REFUTED",
        "NOT_ENOUGH_INFO": "NOT_ENOUGH_EVIDENCE",
        "DISPUTED": "CONFLICTING",
    },
    "fever-symmetric": {"SUPPORTS": "SUPPORTED", "REFUTES": "REFUTED"},
    "factcheck-gpt": {
        "completely-support": "SUPPORTED",
        "refute": "REFUTED",
        "partially-support": "NOT_ENOUGH_EVIDENCE",  # strict: part of the claim is unsupported
        "irrelevant": "NOT_ENOUGH_EVIDENCE",
    },
}
# Raw check-worthiness label → bool.
CHECKWORTHY_MAPS: dict[str, dict[str, bool]] = {
    "factcheck-gpt-sentence": {"yes": True, "other": False, "opinion": False, "not_a_claim": False},
    "factcheck-gpt-claim": {"factual": True, "opinion": False, "not_a_claim": False},
    "ct19": {"1": True, "0": False},
}
# Stances that link a passage to a claim (kept as gold evidence); "irrelevant" does not.
_FCGPT_LINKED = {"completely-support", "refute", "partially-support"}
CT19_CONTEXT_TURNS = 2
"""How many preceding transcript lines of the same debate go into a CT19 case's context."""

# FEVER keeps Penn-Treebank escapes; we restore the brackets and quotes, nothing else.
_PTB = {"-LRB-": "(", "-RRB-": ")", "-LSB-": "[", "-RSB-": "]", "-LCB-": "{", "-RCB-": "}"}
_PTB_RE = re.compile("|".join(re.escape(k) for k in (*_PTB, "``", "''")))


def _map_label(dataset: str, raw: str) -> Label:
    try:
        return LABEL_MAPS[dataset][raw]
    except KeyError:
        raise DatasetError(f"{dataset}: unexpected label {raw!r}") from None


def _jsonl(path: Path) -> Iterator[dict[str, Any]]:
    if not path.is_file():
        raise DatasetError(
            f"{path} not found: set FACTCHECK_SHARED_DATA to the shared data folder "
            "(default <repo>/../shared/data)"
        )
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def detokenize_ptb(text: str) -> str:
    """Undo FEVER's bracket escapes (-LRB- → '(' …) and `` / '' → '"'; spacing is kept."""
    return _PTB_RE.sub(lambda m: _PTB.get(m.group(0), '"'), text)


# --- Check-COVID -------------------------------------------------------------------------


def convert_check_covid(data_dir: Path) -> dict[str, list[Record]]:
    """Check-COVID: corpus of 347 abstracts, train/dev verification and retrieval cases.

    Sentence `i` of abstract `c` is `c:i`, `i` being the 0-based position in the corpus's
    `abstract` list, which is what the claims' `evidence_set[].sent_index` refers to.
    """
    root = data_dir / "check-covid"
    corpus = {
        d["cord_id"]: CorpusDoc(
            id=d["cord_id"], title=d["title"], text=" ".join(d["abstract"]), sentences=d["abstract"]
        )
        for d in _jsonl(root / "corpus.json")
    }
    out: dict[str, list[Record]] = {"corpus": list(corpus.values())}
    for split in ("train", "dev"):
        rows = list(_jsonl(root / split / f"covidCheck_{split}_composed+extracted.json"))
        by_claim: dict[tuple[str, str], list[str]] = defaultdict(list)
        for row in rows:
            by_claim[(row["claim"].strip(), row["cord_id"])].append(f"check-covid:{row['id']}")
        verification: list[Record] = []
        retrieval: list[Record] = []
        for row in rows:
            doc = corpus.get(row["cord_id"])
            if doc is None or doc.sentences is None:
                raise DatasetError(f"check-covid: {row['id']} cites unknown abstract")
            case_id = f"check-covid:{row['id']}"
            indices = sorted({e["sent_index"] for e in row["evidence_set"]})
            ids = [f"{doc.id}:{i}" for i in indices]
            label = _map_label("check-covid", row["label"])
            twins = [t for t in by_claim[(row["claim"].strip(), row["cord_id"])] if t != case_id]
            meta: dict[str, Any] = {
                "claim_type": "extracted" if row["is_auth"] else "composed",
                "group": row["id"].rsplit("_", 1)[0],
                "primary_ids": [
                    f"{doc.id}:{e['sent_index']}"
                    for e in row["evidence_set"]
                    if e["type"] == "PRIMARY"
                ],
                "same_claim_ids": twins,
            }
            common = {
                "id": case_id,
                "dataset": "check-covid",
                "claim": row["claim"].strip(),
                "label": label,
                "source_label": row["label"],
                "meta": meta,
            }
            evidence = [
                EvidenceItem(id=sid, text=doc.sentences[i], title=doc.title)
                for sid, i in zip(ids, indices, strict=True)
            ]
            verification.append(
                VerificationCase(**common, evidence=evidence, gold_evidence_ids=ids)
            )
            retrieval.append(
                RetrievalCase(
                    **common,
                    gold_doc_ids=[doc.id],
                    gold_sentence_ids=ids,
                    label_scorable=label != "NOT_ENOUGH_EVIDENCE",
                )
            )
        out[f"verification-{split}"] = verification
        out[f"retrieval-{split}"] = retrieval
    return out


# --- Climate-FEVER -----------------------------------------------------------------------


def convert_climate_fever(data_dir: Path) -> dict[str, list[Record]]:
    """Climate-FEVER dev half: 5 Wikipedia sentences per claim, each its own corpus document."""
    rows = list(_jsonl(data_dir / "climate-fever" / "climate-fever-dev.jsonl"))
    corpus: dict[str, CorpusDoc] = {}
    verification: list[Record] = []
    retrieval: list[Record] = []
    for row in rows:
        evidence = []
        for ev in row["evidences"]:
            corpus.setdefault(
                ev["evidence_id"],
                CorpusDoc(id=ev["evidence_id"], title=ev["article"], text=ev["evidence"]),
            )
            evidence.append(
                EvidenceItem(
                    id=ev["evidence_id"],
                    text=ev["evidence"],
                    title=ev["article"],
                    label=_map_label("climate-fever", ev["evidence_label"]),
                )
            )
        gold = [e.id for e in evidence if e.label in ("SUPPORTED", "REFUTED")]
        common = {
            "id": f"climate-fever:{row['claim_id']}",
            "dataset": "climate-fever",
            "claim": row["claim"],
            "label": _map_label("climate-fever", row["claim_label"]),
            "source_label": row["claim_label"],
        }
        verification.append(VerificationCase(**common, evidence=evidence, gold_evidence_ids=gold))
        retrieval.append(RetrievalCase(**common, gold_doc_ids=gold, gold_sentence_ids=gold))
    return {
        "verification-dev": verification,
        "retrieval-dev": retrieval,
        "corpus": list(corpus.values()),
    }


# --- FEVER-Symmetric ---------------------------------------------------------------------


def fever_base_id(raw_id: str) -> str:
    """The FEVER id a FEVER-Symmetric id derives from (synthetic pairs append `000000{2,3,4}`)."""
    if len(raw_id) > 7 and raw_id[-7:-1] == "000000" and raw_id[-1] in "234":
        return raw_id[:-7]
    return raw_id


def convert_fever_symmetric(data_dir: Path) -> dict[str, list[Record]]:
    """FEVER-Symmetric v0.2 dev: one claim, one evidence sentence, SUPPORTS/REFUTES."""
    cases: list[Record] = []
    for row in _jsonl(data_dir / "fever-symmetric" / "fever_symmetric_dev.jsonl"):
        case_id = f"fever-symmetric:{row['id']}"
        ev_id = f"{case_id}:0"
        base = fever_base_id(row["id"])
        cases.append(
            VerificationCase(
                id=case_id,
                dataset="fever-symmetric",
                claim=detokenize_ptb(row["claim"]),
                label=_map_label("fever-symmetric", row["label"]),
                source_label=row["label"],
                evidence=[EvidenceItem(id=ev_id, text=detokenize_ptb(row["evidence"]))],
                gold_evidence_ids=[ev_id],
                meta={"fever_id": base, "synthetic": base != row["id"]},
            )
        )
    return {"verification-dev": cases}


# --- Factcheck-GPT -----------------------------------------------------------------------


def _bool_or_none(value: object) -> bool | None:
    return value if isinstance(value, bool) else None


def convert_factcheck_gpt(data_dir: Path) -> dict[str, list[Record]]:
    """Factcheck-GPT: 94 documents → extraction, sentence check-worthiness, claim stance.

    Document `d` is the d-th line (0-based) of factcheck-GPT-benchmark.jsonl; sentences and
    claims are numbered 0-based in file order. The subtask files are flattenings of the
    benchmark in the same order (checked here), so their rows get these structural ids.
    """
    root = data_dir / "factcheck-gpt"
    docs = list(_jsonl(root / "factcheck-GPT-benchmark.jsonl"))
    subtask1 = list(_jsonl(root / "subtask1_sentence_checkworthiness.jsonl"))
    subtask3 = list(_jsonl(root / "subtask3_claim_evidence_stance.jsonl"))
    cw_sent = CHECKWORTHY_MAPS["factcheck-gpt-sentence"]
    cw_claim = CHECKWORTHY_MAPS["factcheck-gpt-claim"]
    extraction: list[Record] = []
    checkworthiness: list[Record] = []
    stance: list[Record] = []
    s1 = iter(subtask1)
    s3 = iter(subtask3)
    for d, doc in enumerate(docs):
        sentences: list[DocSentence] = []
        claims: list[GoldClaim] = []
        for s, sent in enumerate(doc["sentences"].values()):
            category = sent["sentence_checkworthiness"]
            sentences.append(
                DocSentence(
                    index=s,
                    text=sent["text"],
                    decontextualised=sent["decontext"] or None,
                    checkworthy=cw_sent[category],
                    category=category,
                )
            )
            row1 = next(s1)
            if row1["checkworthy"] != category:
                raise DatasetError(f"factcheck-gpt: subtask1 out of step at doc {d} sent {s}")
            checkworthiness.append(
                CheckWorthinessCase(
                    id=f"factcheck-gpt:sentence:{d}:{s}",
                    dataset="factcheck-gpt",
                    text=row1["sentence"],
                    checkworthy=cw_sent[category],
                    source_label=category,
                    context=doc["response"],
                )
            )
            for c, claim in enumerate(sent["claims"]):
                claim_cat = sent["claim_checkworthiness"][c]
                claims.append(
                    GoldClaim(
                        text=claim,
                        sentence=sent["text"],
                        sentence_index=s,
                        checkworthy=cw_claim[claim_cat],
                        category=claim_cat,
                        factual=_bool_or_none(sent["claims_factuality_label"][c]),
                    )
                )
                # Passages without a stance (17 claims have none) are not in subtask 3.
                passages = zip(
                    sent["auto_evidence"][c],
                    sent["auto_evidence_url"][c],
                    sent["stance_claim_autoEvid"][c],
                    strict=False,
                )
                for e, (text, url, raw) in enumerate(passages):
                    row3 = next(s3)
                    if (row3["claim"], row3["evidence"], row3["stance"]) != (claim, text, raw):
                        raise DatasetError(f"factcheck-gpt: subtask3 out of step at doc {d}")
                    key = f"{d}:{s}:{c}:{e}"
                    ev_id = f"factcheck-gpt:evidence:{key}"
                    stance.append(
                        VerificationCase(
                            id=f"factcheck-gpt:stance:{key}",
                            dataset="factcheck-gpt",
                            claim=claim,
                            label=_map_label("factcheck-gpt", raw),
                            source_label=raw,
                            evidence=[EvidenceItem(id=ev_id, text=text, url=url)],
                            gold_evidence_ids=[ev_id] if raw in _FCGPT_LINKED else [],
                        )
                    )
        extraction.append(
            ExtractionCase(
                id=f"factcheck-gpt:doc:{d}",
                dataset="factcheck-gpt",
                text=doc["response"],
                gold_claims=claims,
                sentences=sentences,
                meta={
                    "prompt": doc["prompt"],
                    "response_factual": _bool_or_none(doc["response_factuality"]),
                },
            )
        )
    if next(s1, None) is not None or next(s3, None) is not None:
        raise DatasetError("factcheck-gpt: subtask files have rows the benchmark does not")
    return {
        "verification-all": stance,
        "extraction-all": extraction,
        "checkworthiness-all": checkworthiness,
    }


# --- CheckThat! 2019 ---------------------------------------------------------------------


def convert_ct19(data_dir: Path) -> dict[str, list[Record]]:
    """CLEF CheckThat! 2019 task 1 training transcripts: one case per transcript line."""
    path = data_dir / "ct19" / "CT19-T1-Training.csv"
    if not path.is_file():
        raise DatasetError(f"{path} not found: set FACTCHECK_SHARED_DATA to the shared data folder")
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    by_file: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        by_file[row["file_name"]].append(row)
    cases: list[Record] = []
    for file_name, lines in by_file.items():
        lines.sort(key=lambda r: int(r["line_number"]))
        stem = file_name.removesuffix(".tsv")
        for i, row in enumerate(lines):
            before = lines[max(0, i - CT19_CONTEXT_TURNS) : i]
            cases.append(
                CheckWorthinessCase(
                    id=f"ct19:{stem}:{row['line_number']}",
                    dataset="ct19",
                    text=row["text"],
                    checkworthy=CHECKWORTHY_MAPS["ct19"][row["label"]],
                    source_label=row["label"],
                    context="\n".join(f"{r['speaker']}: {r['text']}" for r in before) or None,
                    speaker=row["speaker"],
                    meta={"file": file_name, "line": int(row["line_number"])},
                )
            )
    return {"checkworthiness-train": cases}


CONVERTERS: dict[str, Callable[[Path], dict[str, list[Record]]]] = {
    "check-covid": convert_check_covid,
    "climate-fever": convert_climate_fever,
    "fever-symmetric": convert_fever_symmetric,
    "factcheck-gpt": convert_factcheck_gpt,
    "ct19": convert_ct19,
}


def convert(dataset: str, data_dir: Path) -> dict[str, list[Record]]:
    """Convert one dataset (not `smoke`: see `build_smoke`)."""
    try:
        converter = CONVERTERS[dataset]
    except KeyError:
        raise DatasetError(f"no converter for {dataset!r}; known: {sorted(CONVERTERS)}") from None
    return converter(data_dir)
