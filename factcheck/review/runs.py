"""The runs under review, indexed once at startup.

Results are read through `factcheck.io.results`, the results file format's one owner
(`results_files`, `read_results`, `parse_line`). Each result becomes a lightweight `QueueRow`
(what the queue shows, filters and sorts on) plus the byte offset of its line; the full result
and its article are read back from the file only when a claim page asks for them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from factcheck.errors import InputError
from factcheck.io.results import RunResults, parse_line, read_results, results_files
from factcheck.models import ArticleRecord, ClaimResult, RunHeader, RunLine

__all__ = ["QueueRow", "RunIndex", "RunResults", "find_results_files", "read_results"]


def find_results_files(paths: Iterable[Path]) -> list[Path]:
    """The results files named by run folders or files (`factcheck show`'s rule)."""
    return results_files(Path(p) for p in paths)


@dataclass(frozen=True, slots=True)
class QueueRow:
    """What the queue needs of one result."""

    id: str
    file: int
    offset: int
    claim: str
    verdict: str
    verifier: str
    confidence: float
    checkworthiness: float
    article_id: str
    article_title: str
    publisher: str
    model: str
    prompt: str
    created: str


def _parse(raw: bytes, path: Path) -> RunLine:
    return parse_line(raw, None, path)


def _row(result: ClaimResult, file: int, offset: int) -> QueueRow:
    p = result.provenance
    return QueueRow(
        id=result.id,
        file=file,
        offset=offset,
        claim=result.claim.text,
        verdict=result.verdict.value,
        verifier=result.verifier,
        confidence=result.confidence,
        checkworthiness=result.claim.checkworthiness,
        article_id=result.claim.article_id,
        article_title="",
        publisher="",
        model=p.model,
        prompt=p.prompt_hashes.get("verify", ""),
        created=p.created_at.isoformat() if p.created_at else "",
    )


class RunIndex:
    """Every result of the given runs, one row per result id (the newest copy wins when a
    re-run or resume wrote the same result again)."""

    def __init__(self, run_paths: Iterable[Path]) -> None:
        self.files = find_results_files(run_paths)
        if not self.files:
            raise InputError("no results.jsonl found in the given run folders")
        self.headers: dict[int, RunHeader] = {}
        self._article_offsets: dict[str, tuple[int, int]] = {}
        rows: dict[str, QueueRow] = {}
        for number, path in enumerate(self.files):
            for row in self._index(number, path):
                old = rows.get(row.id)
                if old is None or row.created >= old.created:
                    rows[row.id] = row
        self.rows: list[QueueRow] = list(rows.values())
        self.by_id: dict[str, QueueRow] = rows
        self.position = {row.id: i for i, row in enumerate(self.rows)}

    def _index(self, number: int, path: Path) -> Iterator[QueueRow]:
        meta: dict[str, tuple[str, str]] = {}
        rows: list[QueueRow] = []
        with path.open("rb") as handle:
            offset = 0
            for raw in handle:
                if raw.strip():
                    line = _parse(raw, path)
                    if isinstance(line, RunHeader):
                        self.headers[number] = line
                    elif isinstance(line, ArticleRecord) and line.id not in meta:
                        meta[line.id] = (line.title or "", line.publisher or "")
                        self._article_offsets.setdefault(line.id, (number, offset))
                    elif isinstance(line, ClaimResult):
                        rows.append(_row(line, number, offset))
                offset += len(raw)
        for row in rows:
            title, publisher = meta.get(row.article_id, ("", ""))
            yield replace(row, article_title=title, publisher=publisher)

    def _read(self, file: int, offset: int) -> RunLine:
        path = self.files[file]
        with path.open("rb") as handle:
            handle.seek(offset)
            return _parse(handle.readline(), path)

    def result(self, result_id: str) -> ClaimResult | None:
        """The full result, read back from its file."""
        row = self.by_id.get(result_id)
        if row is None:
            return None
        line = self._read(row.file, row.offset)
        return line if isinstance(line, ClaimResult) else None

    def article(self, article_id: str) -> ArticleRecord | None:
        """The article record (with its text), read back from its file."""
        where = self._article_offsets.get(article_id)
        if where is None:
            return None
        line = self._read(*where)
        return line if isinstance(line, ArticleRecord) else None

    def header(self, result_id: str) -> RunHeader | None:
        """The header of the run the result was read from."""
        row = self.by_id.get(result_id)
        return self.headers.get(row.file) if row else None

    def path(self, result_id: str) -> Path | None:
        """The results file the result was read from."""
        row = self.by_id.get(result_id)
        return self.files[row.file] if row else None

    def results(self) -> Iterator[ClaimResult]:
        """Every indexed result, read back in queue order."""
        for row in self.rows:
            result = self.result(row.id)
            if result is not None:
                yield result


def default_db_path(run_paths: list[Path]) -> Path:
    """`reviews.sqlite` beside the first run folder (beside the folder of a results file)."""
    first = Path(run_paths[0]).resolve()
    run_dir = first if first.is_dir() else first.parent
    return run_dir.parent / "reviews.sqlite"
