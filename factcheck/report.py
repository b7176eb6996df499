"""Run outputs: the JSONL results file (header, records, summary) and a Markdown report."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import TypeAdapter, ValidationError

from factcheck.errors import InputError
from factcheck.html_parts import safe_url
from factcheck.models import (
    ArticleRecord,
    ClaimResult,
    ErrorRecord,
    ItemDone,
    Provenance,
    RunHeader,
    RunLine,
    RunSummary,
)

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
            overview.add(result.provenance)
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
                line = _parse(raw, number, self.path) if raw.strip() else None
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
                    self._provenance.add(line.provenance)
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
                out.append(_parse(handle.readline(), None, self.path))
        return out


RunView = RunResults | IndexedRun
"""What the reports read."""


def _parse(raw: bytes, number: int | None, path: Path) -> RunLine:
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


_VERDICT_MARK = {
    "SUPPORTED": "✅",
    "REFUTED": "❌",
    "NOT_ENOUGH_EVIDENCE": "❔",
    "CONFLICTING": "⚖️",
}


def _md(text: str | None) -> str:
    """Escape text for Markdown so article/model content cannot inject markup."""
    if not text:
        return ""
    out = text.replace("\\", "\\\\").replace("\n", " ")
    for ch in "`*_[]<>#|":
        out = out.replace(ch, "\\" + ch)
    return out


def markdown_report(run: RunView) -> str:
    """A readable Markdown report: summary, then each claim with verdict, rationale, citations."""
    return "\n".join(_markdown_lines(run))


def write_markdown_report(run: RunView, path: Path) -> None:
    """`markdown_report(run)` written to `path` as it is rendered (an article at a time)."""
    _write_joined(path, "\n", _markdown_lines(run))


def _markdown_lines(run: RunView) -> Iterator[str]:
    yield from ["# Fact-check report", ""]
    if run.header:
        yield from [
            f"- Run: `{run.header.run_id}` started {run.header.started_at:%Y-%m-%d %H:%M} UTC",
            f"- Model: {_md(str(run.header.config.get('model_display', '')))}",
            "- Prompts: "
            + ", ".join(f"{k} `{v}`" for k, v in sorted(run.header.prompt_hashes.items())),
            "",
        ]
    counts = run.verdict_counts()
    yield from ["## Summary", "", "| verdict | claims |", "|---|---|"]
    yield from [f"| {_VERDICT_MARK.get(v, '')} {v} | {n} |" for v, n in sorted(counts.items())]
    yield from [f"| errors | {len(run.errors)} |", ""]
    for article_id in run.result_article_ids():
        lines = [f"## Article `{article_id}`", ""]
        for r in sorted(run.results_of(article_id), key=lambda x: x.claim.start):
            c = r.claim
            lines += [
                f"### {_VERDICT_MARK.get(r.verdict.value, '')} {r.verdict.value} "
                f"({r.confidence:.0%}) — {_md(c.text)}",
                "",
                f"> {_md(c.quote)}",
                "",
                f"- Speaker: {_md(c.speaker) or '—'} · type: {c.claim_type.value} · "
                f"check-worthiness {c.checkworthiness:.2f} · offsets {c.start}–{c.end}",
                f"- Verifier: {r.verifier} · rationale: {_md(r.rationale)}",
            ]
            lines += audit_lines(r)
            for cit in r.citations:
                source = _md(cit.source_title) or cit.chunk_id
                url = safe_url(cit.source_url)
                link = f" <{url}>" if url and not set(url) & set("<>") else ""
                date = f", {cit.published.isoformat()}" if cit.published else ""
                lines.append(f"  - “{_md(cit.quote)}” — {source}{date}{link}")
            if r.rejected_citations:
                lines.append(
                    f"- {len(r.rejected_citations)} citation(s) failed validation and were dropped"
                )
            lines.append("")
        yield from lines
    if run.errors:
        yield from ["## Errors", "", "| item | stage | error |", "|---|---|---|"]
        yield from [f"| `{e.item_id}` | {e.stage} | {_md(e.message)[:300]} |" for e in run.errors]
        yield ""
    if run.summary:
        u = run.summary.usage
        yield from [
            "## Cost",
            "",
            f"{u.calls} LLM calls, {u.prompt_tokens} prompt + "
            f"{u.completion_tokens} completion tokens, {u.reasks} re-asks, "
            f"{run.summary.wall_seconds:.1f} s wall time.",
            "",
        ]


def _write_joined(path: Path, separator: str, parts: Iterable[str]) -> None:
    """Write `separator.join(parts)` to `path` without building the whole string."""
    with Path(path).open("w", encoding="utf-8") as handle:
        for i, part in enumerate(parts):
            if i:
                handle.write(separator)
            handle.write(part)


def audit_lines(r: ClaimResult) -> list[str]:
    """Markdown lines on a result's evidence rules: result id, cutoff day, stale evidence,
    evidence excluded as not independent, and earlier fact checks of the claim."""
    retrieval = r.provenance.retrieval
    lines = [f"- Result `{r.id}` (`factcheck show {r.id}`)"]
    if retrieval and retrieval.cutoff:
        basis = "claim date" if retrieval.cutoff_basis == "claim_date" else "as-of date"
        lines[0] += f" · evidence published by {retrieval.cutoff.isoformat()} ({basis})"
    if r.stale_evidence:
        limit = retrieval.max_evidence_age_days if retrieval else None
        lines.append(
            f"- ⚠️ Stale evidence: the newest cited source is {r.evidence_age_days} days old"
            + (f" (limit {limit})" if limit else "")
        )
    if r.excluded_evidence:
        names = sorted({_md(e.publisher) for e in r.excluded_evidence if e.publisher})
        lines.append(
            f"- {len(r.excluded_evidence)} passage(s) left out as not independent (published "
            f"by the article's publisher or the claim's speaker: {', '.join(names)})"
        )
    for prior in r.prior_checks:
        url = safe_url(prior.url)
        link = f" <{url}>" if url and not set(url) & set("<>") else ""
        when = f", {prior.review_date.isoformat()}" if prior.review_date else ""
        lines.append(
            f"- Previously fact-checked: **{_md(prior.rating)}** by "
            f"{_md(prior.reviewer) or 'unknown reviewer'}{when}{link} — "
            f"“{_md(prior.claim_reviewed)}” (similarity {prior.similarity:.2f})"
        )
    return lines


def dump_json(data: object) -> str:
    """Pretty JSON for terminal output."""
    return json.dumps(data, indent=2, ensure_ascii=False, default=str)
