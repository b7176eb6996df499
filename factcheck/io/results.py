"""The results file format, owned here alone: write, resume, read, index, find.

A run folder holds `results.jsonl`: a header line, then one block per input item (its article
record, its result and error records, closed by an `ItemDone` marker), and a summary line when
the run finished. Each block is appended in a single write followed by flush + fsync. On resume
the file is cut back to the last complete block (dropping a torn final write), the items already
done are skipped, and the run continues in the same file. A file that already ends with a
summary line is finished: resuming it does nothing.

Readers parse every line as JSON (`RunLine`), so a file re-saved by another JSON tool reads the
same.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, TypeAdapter, ValidationError

from factcheck.errors import FactcheckError, InputError
from factcheck.models import (
    ArticleRecord,
    ClaimResult,
    ErrorRecord,
    ItemBlock,
    ItemDone,
    Provenance,
    RunHeader,
    RunLine,
    RunSummary,
)

RESULTS_FILE = "results.jsonl"


@dataclass
class ResumeState:
    """What an existing results file says about its run."""

    header: RunHeader | None = None
    done: set[str] = field(default_factory=set)
    finished: bool = False
    records: int = 0
    dropped_bytes: int = 0


class RunDirectory:
    """The folder of one run: `results.jsonl` plus the reports derived from it."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.results = self.path / RESULTS_FILE

    def scan(self, *, repair: bool = True) -> ResumeState:
        """Read the results file; with `repair`, truncate it after the last complete block."""
        state = ResumeState()
        if not self.results.exists():
            return state
        good_end = 0
        pending = 0
        with self.results.open("rb") as handle:
            offset = 0
            for raw in handle:
                offset += len(raw)
                if not raw.endswith(b"\n"):
                    break  # torn final write
                try:
                    kind = json.loads(raw).get("type")
                except ValueError:
                    break
                if kind == "header":
                    state.header = RunHeader.model_validate_json(raw)
                    good_end = offset
                elif kind == "done":
                    state.done.add(ItemDone.model_validate_json(raw).item_id)
                    state.records += pending
                    pending = 0
                    good_end = offset
                elif kind == "summary":
                    state.finished = True
                    good_end = offset
                else:
                    pending += 1
        size = self.results.stat().st_size
        state.dropped_bytes = size - good_end
        if state.header is None and size:
            raise InputError(
                "no header line: this is not a factcheck results file", source=str(self.results)
            )
        if repair and state.dropped_bytes:
            with self.results.open("r+b") as handle:
                handle.truncate(good_end)
        return state


class BlockWriter:
    """Appends whole blocks durably (one write, flush, fsync per block)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = path.open("a", encoding="utf-8")

    def write_line(self, line: BaseModel) -> None:
        """Append a single line (header, summary, or a lone record)."""
        self._write(line.model_dump_json() + "\n")

    def write_block(self, block: ItemBlock) -> None:
        """Append an item's records and its done-marker atomically enough for resume."""
        lines = [r.model_dump_json() for r in block.records]
        if block.article is not None:
            lines.insert(0, block.article.model_dump_json())
        done = ItemDone(item_id=block.item_id, records=len(block.records), usage=block.usage)
        lines.append(done.model_dump_json())
        self._write("\n".join(lines) + "\n")

    def _write(self, text: str) -> None:
        self._file.write(text)
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        """Close the file."""
        self._file.close()

    def __enter__(self) -> BlockWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --- reading ----------------------------------------------------------------------------------

_LINE = TypeAdapter(RunLine)


@dataclass
class ProvenanceOverview:
    """The distinct provenance values of a run's results (the HTML report's metadata)."""

    models: set[str] = field(default_factory=set)
    model_params: set[str] = field(default_factory=set)
    prompt_hashes: dict[str, str] = field(default_factory=dict)
    """Merged in file order: the last result's hash of a prompt wins."""
    embedders: set[str | None] = field(default_factory=set)
    collections: set[str | None] = field(default_factory=set)
    fingerprints: set[str | None] = field(default_factory=set)
    verifiers: Counter[str] = field(default_factory=Counter)
    """Results per verifier that decided (`llm`, `nli`, `threshold`)."""
    verifier_models: dict[str, set[str]] = field(default_factory=dict)
    """The model (or model file) behind each verifier."""

    def add_result(self, result: ClaimResult) -> None:
        """Take in one result: its provenance and who decided it."""
        self.add(result.provenance)
        self.verifiers[result.verifier] += 1
        hashes = result.provenance.prompt_hashes
        model = (
            hashes.get("verify", "NLI model")
            if result.verifier == "nli"
            else result.provenance.model
        )
        self.verifier_models.setdefault(result.verifier, set()).add(model)

    def add(self, provenance: Provenance) -> None:
        """Take in one result's provenance."""
        self.models.add(provenance.model)
        self.model_params.add(json.dumps(provenance.model_params, sort_keys=True))
        self.prompt_hashes.update(provenance.prompt_hashes)
        self.embedders.add(provenance.embedder)
        self.collections.add(provenance.collection)
        self.fingerprints.add(provenance.collection_fingerprint)


@dataclass
class RunResults:
    """A results file read back.

    The reports read a run through the methods below, which `IndexedRun` also provides
    without holding the results in memory.
    """

    header: RunHeader | None = None
    results: list[ClaimResult] = field(default_factory=list)
    errors: list[ErrorRecord] = field(default_factory=list)
    done: list[ItemDone] = field(default_factory=list)
    summary: RunSummary | None = None
    articles: dict[str, ArticleRecord] = field(default_factory=dict)
    """Article records by id, in file order (the first record of an id wins)."""

    def verdict_counts(self) -> Counter[str]:
        """Results per verdict over the whole run."""
        return Counter(r.verdict.value for r in self.results)

    def result_article_ids(self) -> list[str]:
        """Article ids of the results, in order of first appearance."""
        return list(dict.fromkeys(r.claim.article_id for r in self.results))

    def report_article_ids(self) -> list[str]:
        """Every article: those with a record (file order), then others that have results or
        errors."""
        return list(
            dict.fromkeys(
                [
                    *self.articles,
                    *(r.claim.article_id for r in self.results),
                    *(e.article_id for e in self.errors if e.article_id),
                ]
            )
        )

    def article(self, article_id: str) -> ArticleRecord | None:
        """The article's record (its text and metadata), if the file has one."""
        return self.articles.get(article_id)

    def results_of(self, article_id: str) -> list[ClaimResult]:
        """The article's results, in file order."""
        return [r for r in self.results if r.claim.article_id == article_id]

    def errors_of(self, article_id: str) -> list[ErrorRecord]:
        """The errors recorded against the article, in file order."""
        return [e for e in self.errors if e.article_id == article_id]

    def article_verdicts(self, article_id: str) -> Counter[str]:
        """The article's results per verdict."""
        return Counter(r.verdict.value for r in self.results_of(article_id))

    def provenance_overview(self) -> ProvenanceOverview:
        """Distinct provenance values over the results."""
        overview = ProvenanceOverview()
        for result in self.results:
            overview.add_result(result)
        return overview


class IndexedRun:
    """A results file indexed in one pass, for reports over runs of any length: it keeps the
    header, summary, errors, counts and each line's offset, and reads an article's lines
    back only when asked (`results_of`, `article`)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.header: RunHeader | None = None
        self.summary: RunSummary | None = None
        self.errors: list[ErrorRecord] = []
        self._verdicts: Counter[str] = Counter()
        self._articles: dict[str, int] = {}
        self._results: dict[str, list[int]] = {}
        self._article_verdicts: dict[str, Counter[str]] = {}
        self._errors_by_article: dict[str, list[ErrorRecord]] = {}
        self._provenance = ProvenanceOverview()
        with self.path.open("rb") as handle:
            offset = 0
            for number, raw in enumerate(handle, start=1):
                line = parse_line(raw, number, self.path) if raw.strip() else None
                if isinstance(line, RunHeader):
                    self.header = line
                elif isinstance(line, ArticleRecord):
                    self._articles.setdefault(line.id, offset)
                elif isinstance(line, ClaimResult):
                    article_id = line.claim.article_id
                    self._results.setdefault(article_id, []).append(offset)
                    self._verdicts[line.verdict.value] += 1
                    self._article_verdicts.setdefault(article_id, Counter())[
                        line.verdict.value
                    ] += 1
                    self._provenance.add_result(line)
                elif isinstance(line, ErrorRecord):
                    self.errors.append(line)
                    if line.article_id:
                        self._errors_by_article.setdefault(line.article_id, []).append(line)
                elif isinstance(line, RunSummary):
                    self.summary = line
                offset += len(raw)

    def verdict_counts(self) -> Counter[str]:
        """Results per verdict over the whole run."""
        return Counter(self._verdicts)

    def result_article_ids(self) -> list[str]:
        """Article ids of the results, in order of first appearance."""
        return list(self._results)

    def report_article_ids(self) -> list[str]:
        """Every article: those with a record (file order), then others that have results or
        errors."""
        errors = (e.article_id for e in self.errors if e.article_id)
        return list(dict.fromkeys([*self._articles, *self._results, *errors]))

    def article(self, article_id: str) -> ArticleRecord | None:
        """The article's record, read from the file."""
        offset = self._articles.get(article_id)
        return None if offset is None else self._read([offset])[0]  # type: ignore[return-value]

    def results_of(self, article_id: str) -> list[ClaimResult]:
        """The article's results, read from the file."""
        return self._read(self._results.get(article_id, []))  # type: ignore[return-value]

    def errors_of(self, article_id: str) -> list[ErrorRecord]:
        """The errors recorded against the article, in file order."""
        return self._errors_by_article.get(article_id, [])

    def article_verdicts(self, article_id: str) -> Counter[str]:
        """The article's results per verdict (counted while indexing)."""
        return Counter(self._article_verdicts.get(article_id, {}))

    def provenance_overview(self) -> ProvenanceOverview:
        """Distinct provenance values over the results."""
        return self._provenance

    def _read(self, offsets: list[int]) -> list[RunLine]:
        out = []
        with self.path.open("rb") as handle:
            for offset in offsets:
                handle.seek(offset)
                out.append(parse_line(handle.readline(), None, self.path))
        return out


RunView = RunResults | IndexedRun
"""What the reports read."""


def parse_line(raw: bytes, number: int | None, path: Path) -> RunLine:
    try:
        return _LINE.validate_json(raw)
    except ValidationError as exc:
        where = f"line {number}" if number else "a line"
        raise InputError(
            f"{where} is not a factcheck results line: {exc.errors()[0]['msg']}",
            source=str(path),
        ) from None


def iter_lines(
    path: Path,
) -> Iterator[RunHeader | ArticleRecord | ClaimResult | ErrorRecord | ItemDone | RunSummary]:
    """Parse a results file line by line; a malformed line raises `InputError` naming it."""
    with Path(path).open(encoding="utf-8") as handle:
        for number, text in enumerate(handle, start=1):
            if not text.strip():
                continue
            try:
                yield _LINE.validate_json(text)
            except ValidationError as exc:
                raise InputError(
                    f"line {number} is not a factcheck results line: {exc.errors()[0]['msg']}",
                    source=str(path),
                ) from None


def read_results(path: Path) -> RunResults:
    """Read a whole results file."""
    run = RunResults()
    for line in iter_lines(path):
        if isinstance(line, RunHeader):
            run.header = line
        elif isinstance(line, ArticleRecord):
            run.articles.setdefault(line.id, line)
        elif isinstance(line, ClaimResult):
            run.results.append(line)
        elif isinstance(line, ErrorRecord):
            run.errors.append(line)
        elif isinstance(line, ItemDone):
            run.done.append(line)
        else:
            run.summary = line
    return run


# --- finding one result ------------------------------------------------------------------------

MIN_PREFIX = 6
"""The shortest result-id prefix `find_result` accepts."""


@dataclass
class Found:
    """A result and where it was found."""

    result: ClaimResult
    path: Path
    article: ArticleRecord | None = None
    header: RunHeader | None = None
    also_in: list[Path] = field(default_factory=list)


def results_files(paths: Iterable[Path]) -> list[Path]:
    """The results files named by `paths`: files as given; for a folder, its `results.jsonl`
    and every `*/results.jsonl` below it."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += [p for p in [path / RESULTS_FILE] if p.is_file()]
            files += sorted(path.glob(f"*/{RESULTS_FILE}"))
        elif path.is_file():
            files.append(path)
    return list(dict.fromkeys(files))


def _json_lines(path: Path) -> Iterator[dict[str, object]]:
    """Each line of a results file as a JSON object (lines that are not objects are skipped:
    a torn last line of a run in progress)."""
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            try:
                data = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(data, dict):
                yield data


def find_result(result_id: str, files: Iterable[Path]) -> Found | None:
    """The result with this id (or unique id prefix) in `files`, with its article and run
    header; None when absent. Raises `FactcheckError` for an ambiguous prefix.

    The same id can occur in several runs (ids are deterministic: same claim, evidence, model
    and prompt); the most recent is returned and the other files listed in `also_in`."""
    if len(result_id) < MIN_PREFIX:
        raise FactcheckError(f"give at least {MIN_PREFIX} characters of the result id")
    hits: list[tuple[ClaimResult, Path]] = []
    for path in files:
        for data in _json_lines(path):
            if data.get("type") == "result" and str(data.get("id", "")).startswith(result_id):
                hits.append((ClaimResult.model_validate(data), path))
    ids = sorted({r.id for r, _ in hits})
    if not hits:
        return None
    if len(ids) > 1:
        raise FactcheckError(f"{result_id!r} is ambiguous: it starts {', '.join(ids)}")

    def made(hit: tuple[ClaimResult, Path]) -> float:
        created = hit[0].provenance.created_at
        return created.timestamp() if created else 0.0

    result, path = max(hits, key=made)
    found = Found(result, path, also_in=sorted({p for _, p in hits} - {path}))
    for data in _json_lines(path):
        kind = data.get("type")
        if kind == "header" and found.header is None:
            found.header = RunHeader.model_validate(data)
        elif kind == "article" and data.get("id") == result.claim.article_id:
            found.article = ArticleRecord.model_validate(data)
            break
    return found
