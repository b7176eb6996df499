"""Eval dataset schemas (one pydantic model per task) and their loaders.

Every case is one JSON object per line. Datasets whose licence allows it are committed under
``evals/datasets/<name>/<task>-<split>.jsonl``; the others (Climate-FEVER, CheckThat! 2019) are
converted from the shared data folder at load time and never written into the repository.
See ``evals/datasets/README.md`` for the label mappings and each folder's SOURCE.md.

The shared data folder is ``<repo>/../shared/data`` unless the environment variable
``FACTCHECK_SHARED_DATA`` names another folder.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal, TypeVar, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from factcheck.evals.splits import is_heldback

Label = Literal["SUPPORTED", "REFUTED", "NOT_ENOUGH_EVIDENCE", "CONFLICTING"]
"""The closed set of verdict labels every dataset is mapped onto."""

LABELS: tuple[Label, ...] = get_args(Label)

Task = Literal["verification", "retrieval", "corpus", "extraction", "checkworthiness"]

MetaValue = str | int | float | bool | list[str] | None
"""Dataset-specific provenance values kept in ``meta`` (never needed to score a case)."""

SHARED_DATA_ENV = "FACTCHECK_SHARED_DATA"
REPO_ROOT = Path(__file__).resolve().parents[2]


class DatasetError(Exception):
    """A dataset is unknown, missing, or a file does not match its schema."""


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EvidenceItem(_Record):
    """One piece of evidence shown to the verifier."""

    id: str = Field(description="Citable id, unique within the case (e.g. `<cord_id>:<index>`).")
    text: str = Field(description="The evidence text exactly as the source gives it.")
    title: str | None = Field(default=None, description="Title of the source document, if known.")
    url: str | None = Field(default=None, description="Where the text was found, if known.")
    label: Label | None = Field(
        default=None,
        description="Gold label of the claim given this item alone, where the dataset has one "
        "(Climate-FEVER per-sentence labels, Factcheck-GPT stance).",
    )


class VerificationCase(_Record):
    """Claim + given evidence → one label; also scores citations against gold evidence ids."""

    id: str = Field(description="Globally unique case id, `<dataset>:<source id>`.")
    dataset: str = Field(description="Dataset the case comes from (folder name).")
    claim: str
    label: Label = Field(description="Gold label after mapping (see evals/datasets/README.md).")
    source_label: str = Field(description="The dataset's own label before mapping.")
    evidence: list[EvidenceItem] = Field(min_length=1)
    gold_evidence_ids: list[str] = Field(
        description="Ids of the evidence items annotators linked to the claim. For "
        "NOT_ENOUGH_EVIDENCE cases these are related-but-insufficient items (or none): score "
        "citations on SUPPORTED/REFUTED/CONFLICTING cases only."
    )
    meta: dict[str, MetaValue] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check_ids(self) -> VerificationCase:
        ids = [item.id for item in self.evidence]
        if len(set(ids)) != len(ids):
            raise ValueError(f"duplicate evidence ids in case {self.id}")
        missing = set(self.gold_evidence_ids) - set(ids)
        if missing:
            raise ValueError(f"gold evidence ids not among the evidence: {sorted(missing)}")
        return self


class CorpusDoc(_Record):
    """One retrievable document of a dataset's corpus."""

    id: str = Field(description="Document id, referenced by RetrievalCase.gold_doc_ids.")
    title: str | None = None
    text: str = Field(description="Full text; equals ' '.join(sentences) when sentences is set.")
    url: str | None = None
    published: date | None = Field(default=None, description="Publication date, if known.")
    sentences: list[str] | None = Field(
        default=None,
        description="The source's own sentence split; sentence i has the citable id `<id>:<i>`. "
        "None when the document is itself a single citable sentence (Climate-FEVER).",
    )

    @model_validator(mode="after")
    def _check_text(self) -> CorpusDoc:
        if self.sentences is not None and self.text != " ".join(self.sentences):
            raise ValueError(f"text of {self.id} is not the join of its sentences")
        return self

    def sentence_ids(self) -> list[str]:
        """Citable ids of this document's sentences (just the doc id when it has none)."""
        if self.sentences is None:
            return [self.id]
        return [f"{self.id}:{i}" for i in range(len(self.sentences))]


class RetrievalCase(_Record):
    """Claim → retrieve from the dataset's corpus → (optionally) verify end to end."""

    id: str
    dataset: str
    claim: str
    label: Label
    source_label: str
    gold_doc_ids: list[str] = Field(
        description="Corpus documents holding the annotated evidence; empty when there is none "
        "(skip such cases in retrieval metrics)."
    )
    gold_sentence_ids: list[str] = Field(
        description="Citable sentence ids of the annotated evidence (`<doc_id>:<index>`, or the "
        "doc id itself when a document is one sentence)."
    )
    label_scorable: bool = Field(
        default=True,
        description="False when the label only holds for the annotated sentences, not for the "
        "claim against the whole corpus (Check-COVID NOT_ENOUGH_INFO twins): do not score the "
        "end-to-end verdict of such cases.",
    )
    meta: dict[str, MetaValue] = Field(default_factory=dict)


class DocSentence(_Record):
    """One sentence of an extraction document, as the annotators split it."""

    index: int = Field(ge=0)
    text: str = Field(description="The sentence as written in the document.")
    decontextualised: str | None = Field(
        default=None, description="The annotators' stand-alone rewrite (None if they left none)."
    )
    checkworthy: bool | None = Field(
        default=None, description="Whether the sentence holds a verifiable factual statement."
    )
    category: str | None = Field(default=None, description="The dataset's raw category.")


class GoldClaim(_Record):
    """One decontextualised, atomic claim the annotators extracted from a sentence."""

    text: str
    sentence: str = Field(description="The document sentence the claim was extracted from.")
    sentence_index: int = Field(ge=0)
    checkworthy: bool | None = Field(default=None, description="True for factual claims.")
    category: str | None = Field(default=None, description="factual / opinion / not_a_claim.")
    factual: bool | None = Field(
        default=None,
        description="Annotated truth of the claim; None when annotators marked it "
        "unknown. Not needed for extraction scoring.",
    )


class ExtractionCase(_Record):
    """Document → sentences → claims."""

    id: str
    dataset: str
    text: str = Field(description="The whole document.")
    gold_claims: list[GoldClaim]
    sentences: list[DocSentence] = Field(default_factory=list)
    meta: dict[str, MetaValue] = Field(default_factory=dict)


class CheckWorthinessCase(_Record):
    """Sentence → is it worth checking?"""

    id: str
    dataset: str
    text: str
    checkworthy: bool
    source_label: str = Field(description="The dataset's raw label before mapping to a bool.")
    context: str | None = Field(
        default=None, description="Surrounding text (the document, or preceding turns)."
    )
    speaker: str | None = None
    meta: dict[str, MetaValue] = Field(default_factory=dict)


TASK_MODELS: dict[Task, type[_Record]] = {
    "verification": VerificationCase,
    "retrieval": RetrievalCase,
    "corpus": CorpusDoc,
    "extraction": ExtractionCase,
    "checkworthiness": CheckWorthinessCase,
}

Record = VerificationCase | RetrievalCase | CorpusDoc | ExtractionCase | CheckWorthinessCase
R = TypeVar("R", bound=_Record)


@dataclass(frozen=True)
class DatasetInfo:
    """Where a dataset's files come from."""

    name: str
    files: tuple[str, ...]
    """File stems, `<task>-<split>` or `corpus`."""
    committed: bool
    """True: read from evals/datasets/<name>/. False: converted from shared data at load time,
    or a dataset of your own given on the command line (`paths`)."""
    derived: tuple[tuple[str, str], ...] = ()
    """(stem, base stem) pairs: `<task>-heldback` is the base file's cases that
    `factcheck.evals.splits.is_heldback` keeps (those the NLI model was not trained on)."""
    paths: Mapping[str, Path] = field(default_factory=dict)
    """Your own dataset (`factcheck eval --dataset PATH`): file stem → the file to read."""


DATASETS: dict[str, DatasetInfo] = {
    info.name: info
    for info in (
        DatasetInfo(
            "check-covid",
            (
                "verification-train",
                "verification-dev",
                "retrieval-train",
                "retrieval-dev",
                "corpus",
            ),
            committed=True,
        ),
        DatasetInfo(
            "climate-fever",
            ("verification-dev", "retrieval-dev", "corpus"),
            committed=False,
            derived=(
                ("verification-heldback", "verification-dev"),
                ("retrieval-heldback", "retrieval-dev"),
            ),
        ),
        DatasetInfo("fever-symmetric", ("verification-dev",), committed=True),
        DatasetInfo(
            "factcheck-gpt",
            ("verification-all", "extraction-all", "checkworthiness-all"),
            committed=True,
            derived=(("verification-heldback", "verification-all"),),
        ),
        DatasetInfo("perturbations", ("verification-dev",), committed=True),
        DatasetInfo("ct19", ("checkworthiness-train",), committed=False),
        DatasetInfo(
            "smoke",
            (
                "verification-all",
                "retrieval-all",
                "corpus",
                "extraction-all",
                "checkworthiness-all",
            ),
            committed=True,
        ),
    )
}


# --- your own datasets -----------------------------------------------------------------------

FILE_STEM = re.compile(r"^(verification|retrieval|extraction|checkworthiness)-([^/\\]+)$")


def is_external(dataset: str) -> bool:
    """Whether a dataset name is a path given on the command line (built-in names never hold a
    path separator)."""
    return "/" in dataset or "\\" in dataset


def dataset_slug(dataset: str) -> str:
    """A name safe for folders and Chroma collections: built-in names as they are; a path as
    `ext-<folder or file name>-<hash of the path>`."""
    if not is_external(dataset):
        return dataset
    base = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(dataset).stem or "data").strip("-._")[:40]
    digest = hashlib.sha256(dataset.encode("utf-8")).hexdigest()[:10]
    return f"ext-{base or 'data'}-{digest}"


def register_external(path: Path, task: Task) -> tuple[str, list[str]]:
    """Make the dataset at `path` (a folder of `<task>-<split>.jsonl` files plus `corpus.jsonl`,
    as in evals/datasets/<name>/, or one such JSONL file) loadable under its own name: its
    absolute path, so its runs are labelled with it and never mixed up with a built-in set.

    Returns (dataset name, the splits it has for `task`). Nothing is copied into the
    repository; its text is never written into run files."""
    path = Path(path).expanduser().resolve()
    if not path.exists():
        raise DatasetError(f"{path}: no such dataset file or folder")
    name = str(path)
    files: dict[str, Path] = {}
    if path.is_dir():
        for file in sorted(path.glob("*.jsonl")):
            if FILE_STEM.match(file.stem) or file.stem == "corpus":
                files[file.stem] = file
    else:
        stem = path.stem if FILE_STEM.match(path.stem) else f"{task}-{path.stem}"
        if task_of(stem) != task:
            raise DatasetError(f"{path} holds {task_of(stem)} cases, not {task} cases")
        files[stem] = path
        corpus = path.parent / "corpus.jsonl"
        if corpus.is_file():
            files["corpus"] = corpus
    splits = [stem.split("-", 1)[1] for stem in files if stem.startswith(f"{task}-")]
    if not splits:
        raise DatasetError(
            f"{path} has no {task} file: expected {task}-<split>.jsonl"
            + (" (the folder holds: " + ", ".join(sorted(files)) + ")" if files else "")
        )
    if task == "retrieval" and "corpus" not in files:
        raise DatasetError(f"{path}: retrieval and e2e cases need a corpus.jsonl beside them")
    DATASETS[name] = DatasetInfo(name, tuple(files), committed=False, paths=files)
    return name, splits


def task_of(stem: str) -> Task:
    """The task of a file stem: `verification-dev` → `verification`, `corpus` → `corpus`."""
    task = stem.split("-", 1)[0]
    if task not in TASK_MODELS:
        raise DatasetError(f"file stem {stem!r} does not start with a known task")
    return task  # type: ignore[return-value]


def shared_data_dir() -> Path:
    """The shared data folder: $FACTCHECK_SHARED_DATA, else `<repo>/../shared/data`."""
    env = os.environ.get(SHARED_DATA_ENV)
    return Path(env) if env else REPO_ROOT.parent / "shared" / "data"


def datasets_dir() -> Path:
    """The folder of committed converted datasets, `<repo>/evals/datasets`."""
    return REPO_ROOT / "evals" / "datasets"


def read_jsonl(path: Path, model: type[R]) -> list[R]:
    """Parse and validate a JSONL file; errors name the file and line."""
    records: list[R] = []
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                records.append(model.model_validate_json(line))
            except ValidationError as exc:
                raise DatasetError(f"{path}:{lineno}: not a valid {model.__name__}: {exc}") from exc
    return records


def write_jsonl(path: Path, records: Iterable[BaseModel]) -> int:
    """Write records one per line (None fields omitted, `\\n` endings); return bytes written."""
    data = "".join(r.model_dump_json(exclude_none=True) + "\n" for r in records).encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return len(data)


def load_records(dataset: str, stem: str, model: type[R]) -> list[R]:
    """Load one file of a dataset, committed or converted from shared data at run time."""
    info = DATASETS.get(dataset)
    if info is None:
        raise DatasetError(f"unknown dataset {dataset!r}; known: {sorted(DATASETS)}")
    derived = dict(info.derived)
    if stem not in info.files and stem not in derived:
        raise DatasetError(f"{dataset} has no {stem!r}; it has {[*info.files, *derived]}")
    if TASK_MODELS[task_of(stem)] is not model:
        raise DatasetError(f"{dataset}/{stem} holds {task_of(stem)} records, not {model.__name__}")
    if info.paths:
        return read_jsonl(info.paths[stem], model)
    if stem in derived:
        base = load_records(dataset, derived[stem], model)
        return [r for r in base if is_heldback(dataset, r.id)]  # type: ignore[attr-defined]
    if info.committed:
        path = datasets_dir() / dataset / f"{stem}.jsonl"
        if not path.is_file():
            raise DatasetError(f"{path} is missing; run `python evals/convert_datasets.py`")
        return read_jsonl(path, model)
    # Imported here because sources builds the models defined in this module.
    from factcheck.evals import sources

    records = sources.convert(dataset, shared_data_dir())[stem]
    if not all(isinstance(r, model) for r in records):
        raise DatasetError(f"converter for {dataset} returned the wrong records for {stem}")
    return records  # type: ignore[return-value]


def load_verification(dataset: str, split: str) -> list[VerificationCase]:
    """Verification-with-evidence cases, e.g. `load_verification("check-covid", "dev")`."""
    return load_records(dataset, f"verification-{split}", VerificationCase)


def load_retrieval(dataset: str, split: str) -> list[RetrievalCase]:
    """Retrieval cases; their documents are in `load_corpus(dataset)`."""
    return load_records(dataset, f"retrieval-{split}", RetrievalCase)


def load_corpus(dataset: str) -> list[CorpusDoc]:
    """The corpus that a dataset's retrieval cases retrieve from."""
    return load_records(dataset, "corpus", CorpusDoc)


def load_extraction(dataset: str, split: str = "all") -> list[ExtractionCase]:
    """Extraction cases (documents with gold claims)."""
    return load_records(dataset, f"extraction-{split}", ExtractionCase)


def load_checkworthiness(dataset: str, split: str) -> list[CheckWorthinessCase]:
    """Check-worthiness cases."""
    return load_records(dataset, f"checkworthiness-{split}", CheckWorthinessCase)


def index_by_id(records: Sequence[R]) -> dict[str, R]:
    """Map id → record, refusing duplicate ids (results are keyed by id, never by text)."""
    out: dict[str, R] = {}
    for record in records:
        rid = record.id  # type: ignore[attr-defined]
        if rid in out:
            raise DatasetError(f"duplicate id {rid!r}")
        out[rid] = record
    return out
