"""Run outputs: the JSONL results file (header, records, summary) and a Markdown report."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
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
    RunHeader,
    RunLine,
    RunSummary,
)

_LINE = TypeAdapter(RunLine)


@dataclass
class RunResults:
    """A results file read back."""

    header: RunHeader | None = None
    results: list[ClaimResult] = field(default_factory=list)
    errors: list[ErrorRecord] = field(default_factory=list)
    done: list[ItemDone] = field(default_factory=list)
    summary: RunSummary | None = None
    articles: dict[str, ArticleRecord] = field(default_factory=dict)
    """Article records by id, in file order (the first record of an id wins)."""


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


def markdown_report(run: RunResults) -> str:
    """A readable Markdown report: summary, then each claim with verdict, rationale, citations."""
    lines = ["# Fact-check report", ""]
    if run.header:
        lines += [
            f"- Run: `{run.header.run_id}` started {run.header.started_at:%Y-%m-%d %H:%M} UTC",
            f"- Model: {_md(str(run.header.config.get('model_display', '')))}",
            "- Prompts: "
            + ", ".join(f"{k} `{v}`" for k, v in sorted(run.header.prompt_hashes.items())),
            "",
        ]
    counts = Counter(r.verdict.value for r in run.results)
    lines += ["## Summary", "", "| verdict | claims |", "|---|---|"]
    lines += [f"| {_VERDICT_MARK.get(v, '')} {v} | {n} |" for v, n in sorted(counts.items())]
    lines += [f"| errors | {len(run.errors)} |", ""]
    by_article: dict[str, list[ClaimResult]] = {}
    for result in run.results:
        by_article.setdefault(result.claim.article_id, []).append(result)
    for article_id, results in by_article.items():
        lines += [f"## Article `{article_id}`", ""]
        for r in sorted(results, key=lambda x: x.claim.start):
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
    if run.errors:
        lines += ["## Errors", "", "| item | stage | error |", "|---|---|---|"]
        lines += [f"| `{e.item_id}` | {e.stage} | {_md(e.message)[:300]} |" for e in run.errors]
        lines.append("")
    if run.summary:
        u = run.summary.usage
        lines += [
            "## Cost",
            "",
            f"{u.calls} LLM calls, {u.prompt_tokens} prompt + "
            f"{u.completion_tokens} completion tokens, {u.reasks} re-asks, "
            f"{run.summary.wall_seconds:.1f} s wall time.",
            "",
        ]
    return "\n".join(lines)


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
