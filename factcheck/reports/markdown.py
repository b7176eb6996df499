"""Run outputs: the JSONL results file (header, records, summary) and a Markdown report."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from factcheck.io.results import RunView
from factcheck.models import ArticleRecord, ClaimResult
from factcheck.reports.html_parts import safe_url
from factcheck.reports.reviewed import HumanVerdict, Reviews, tally

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


def markdown_report(run: RunView, *, reviews: Reviews | None = None) -> str:
    """A readable Markdown report: summary, then each claim with verdict, rationale, citations.

    With `reviews` (result id → a person's review) each reviewed claim shows the reviewer's
    verdict beside the machine's."""
    return "\n".join(_markdown_lines(run, reviews))


def write_markdown_report(run: RunView, path: Path, *, reviews: Reviews | None = None) -> None:
    """`markdown_report(run)` written to `path` as it is rendered (an article at a time)."""
    _write_joined(path, "\n", _markdown_lines(run, reviews))


def review_lines(r: ClaimResult, review: HumanVerdict | None) -> list[str]:
    """The reviewer's verdict and the machine's side by side (a small table)."""
    if review is None:
        return ["- Review: not reviewed yet"]
    agrees = "confirmed" if review.verdict == r.verdict.value else "changed"
    state = "ready to publish" if review.ready_to_publish else "not ready to publish"
    when = f", {_md(review.updated_at[:10])}" if review.updated_at else ""
    rating = f" · rating “{_md(review.rating)}”" if review.rating else ""
    return [
        f"- Review: {agrees} by {_md(review.reviewer)}{when} · {state}{rating}",
        "",
        "  | | verdict | rationale |",
        "  |---|---|---|",
        f"  | reviewer | {_VERDICT_MARK.get(review.verdict, '')} {_md(review.verdict)} | "
        f"{_md(review.rationale) or '(kept the machine rationale)'} |",
        f"  | machine ({_md(r.verifier)}, {r.confidence:.0%}) | "
        f"{_VERDICT_MARK.get(r.verdict.value, '')} {r.verdict.value} | {_md(r.rationale)} |",
        "",
    ]


def _markdown_lines(run: RunView, reviews: Reviews | None = None) -> Iterator[str]:
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
    if reviews is not None:
        seen = tally((r for a in run.result_article_ids() for r in run.results_of(a)), reviews)
        yield from [
            f"Reviewed by a person: {seen.reviewed} of {seen.results} claims "
            f"({seen.changed} verdicts changed, {seen.ready} ready to publish). Reviewed claims "
            "show the reviewer's verdict beside the machine's.",
            "",
        ]
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
                f"- Verifier: {r.verifier}"
                + (f" · {_md(r.reason_text)}" if r.reason_text else "")
                + f" · rationale: {_md(r.rationale)}",
            ]
            lines += [f"- Number check: {_md(q.describe())}" for q in r.aligned_quantity_checks]
            lines += [f"- Note: {_md(note)}" for note in r.notes]
            if reviews is not None:
                lines += review_lines(r, reviews.get(r.id))
            lines += audit_lines(r)
            for cit in r.citations:
                source = _md(cit.source_title) or cit.chunk_id
                url = safe_url(cit.source_url)
                link = f" <{url}>" if url and not set(url) & set("<>") else ""
                date = f", {cit.published.isoformat()}" if cit.published else ""
                page = f", {cit.locator}" if cit.locator else ""
                lines.append(f"  - “{_md(cit.quote)}” — {source}{date}{page}{link}")
            if r.rejected_citations:
                lines.append(
                    f"- {len(r.rejected_citations)} citation(s) failed validation and were dropped"
                )
            lines.append("")
        lines += coverage_lines(run.article(article_id))
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


SKIPPED_LISTED = 10
"""At most this many skipped sentences are listed per article (highest scores first)."""


def coverage_lines(record: ArticleRecord | None) -> list[str]:
    """Markdown lines on what extraction did not check: counts of sentences by status, then the
    highest-scoring sentences that stayed below the threshold, with their scores and reasons."""
    if record is None or not record.sentences:
        return []
    sentences = record.sentences
    checked = sum(s.status == "checked" for s in sentences)
    below = sorted(
        (s for s in sentences if s.status == "below_threshold"),
        key=lambda s: (-(s.score or 0.0), s.start),
    )
    not_factual = sum(s.status == "not_factual" for s in sentences)
    lines = [
        "#### Coverage",
        "",
        f"{len(sentences)} sentences: {checked} checked, {len(below)} scored below the "
        f"check-worthiness threshold, {not_factual} not factual statements.",
        "",
    ]
    if below:
        lines += [
            "Highest-scoring sentences not checked:",
            "",
            "| score | sentence | reasons |",
            "|---|---|---|",
        ]
        for s in below[:SKIPPED_LISTED]:
            text = _md(record.text[s.start : s.end])
            lines.append(f"| {s.score or 0.0:.2f} | {text} | {_md(', '.join(s.reasons))} |")
        lines.append("")
    return lines


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
