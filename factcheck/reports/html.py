"""Self-contained HTML report: each article with its claims highlighted, verdicts, citations,
verdict charts and run metadata.

One file, inline CSS and SVG, no JavaScript and no external resources; a Content-Security-Policy
forbids scripts and remote loads as a second line of defence. Everything that comes from
articles, sources or the model is escaped with `html.escape(..., quote=True)`, and only
http(s) URLs become links (`rel="noopener noreferrer"`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

from factcheck.io.results import RunView
from factcheck.models import ArticleRecord, Citation, ClaimResult, ErrorRecord, Evidence
from factcheck.reports.html_parts import (
    CSS_CLASS,
    LABELS,
    Highlight,
    coverage,
    esc,
    highlight,
    legend,
    link,
    locate,
    verdict_chart,
)
from factcheck.reports.reviewed import HumanVerdict, Reviews, tally

CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "base-uri 'none'; form-action 'none'"
)

CSS = """
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Liberation Sans",sans-serif;
 color:#1f2328;margin:0 auto;max-width:1100px;padding:16px 24px}
h1{font-size:1.6em;margin:.2em 0}h2{border-bottom:1px solid #d0d7de;padding-bottom:.2em}
code{font-size:.85em;background:#f6f8fa;padding:0 .25em;border-radius:3px}
.muted,.meta{color:#59636e;font-size:.9em}.notice{background:#fff8c5;padding:.5em .8em;
 border-radius:6px}
.legend span{margin-right:1em;white-space:nowrap}
.sw{display:inline-block;width:.9em;height:.9em;border-radius:2px;vertical-align:-.1em;
 margin-right:.3em}
.article{border:1px solid #d0d7de;border-radius:8px;padding:4px 18px 12px;margin:22px 0}
.article-text{white-space:pre-wrap;line-height:1.85;max-width:80ch;font-size:1.02em}
mark.claim{border-bottom:2px solid;padding:1px 0;color:inherit;
 -webkit-box-decoration-break:clone;box-decoration-break:clone}
mark.claim mark.claim{border-bottom-width:4px;border-bottom-style:double}
mark.claim.last::after{content:attr(data-n);font-size:.7em;font-weight:700;
 vertical-align:super;margin-left:1px}
mark.v-supported{background:#dafbe1;border-color:#2da44e}
mark.v-refuted{background:#ffebe9;border-color:#cf222e}
mark.v-conflicting{background:#fff8c5;border-color:#bf8700}
mark.v-nee{background:#eaeef2;border-color:#8c959f}
.badge{display:inline-block;padding:0 .6em;border-radius:1em;color:#fff;font-weight:600;
 font-size:.85em}
.badge.v-supported{background:#1a7f37}.badge.v-refuted{background:#cf222e}
.badge.v-conflicting{background:#9a6700}.badge.v-nee{background:#59636e}
ol.claims{padding-left:0;list-style:none}
.card{border-left:4px solid #8c959f;padding:4px 12px;margin:12px 0;background:#f6f8fa;
 border-radius:0 6px 6px 0}
.card.v-supported{border-color:#2da44e}.card.v-refuted{border-color:#cf222e}
.card.v-conflicting{border-color:#bf8700}
.num{font-weight:700;margin-right:.4em}.claim-text{font-weight:600;margin:.3em 0}
blockquote{margin:.3em 0 .3em .2em;padding-left:.8em;border-left:3px solid #d0d7de;
 color:#353c44}
ol.citations{margin:.2em 0;padding-left:1.4em}
details{margin:.3em 0}summary{cursor:pointer;color:#59636e}
table{border-collapse:collapse}td,th{border:1px solid #d0d7de;padding:2px 8px;
 text-align:left;vertical-align:top}
svg.chart{max-width:100%;height:auto}
dl.meta-list{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px}
dl.meta-list dt{font-weight:600}dl.meta-list dd{margin:0;word-break:break-all}
table.review{margin:.4em 0;background:#fff}table.review th{font-weight:600}
.sentence.s-below_threshold{color:#59636e;border-bottom:1px dotted #8c959f}
.sentence.s-below_threshold::after{content:attr(data-score);font-size:.7em;
 vertical-align:super;margin-left:2px;color:#8c959f}
.sentence.s-not_factual{color:#8c959f;font-style:italic}
"""


# --- sections ----------------------------------------------------------------------------------


def _citation(cit: Citation) -> str:
    date = f", {esc(cit.published.isoformat())}" if cit.published else ""
    page = f", {esc(cit.locator)}" if cit.locator else ""
    url = f" · {link(cit.source_url)}" if cit.source_url else ""
    return (
        f"<li><blockquote>“{esc(cit.quote)}”</blockquote>"
        f"<cite>{esc(cit.source_title or cit.chunk_id)}</cite>{date}{page}{url}</li>"
    )


def _audit(result: ClaimResult) -> list[str]:
    """Paragraphs on the evidence rules: result id, cutoff, staleness, exclusions, priors."""
    retrieval = result.provenance.retrieval
    meta = [f"result <code>{esc(result.id)}</code>"]
    if retrieval and retrieval.cutoff:
        basis = "claim date" if retrieval.cutoff_basis == "claim_date" else "as-of date"
        meta.append(f"evidence published by {esc(retrieval.cutoff.isoformat())} ({basis})")
    parts = [f'<p class="meta">{" · ".join(meta)}</p>']
    if result.stale_evidence:
        parts.append(
            f'<p class="notice">Stale evidence: the newest cited source is '
            f"{esc(result.evidence_age_days)} days old.</p>"
        )
    if result.excluded_evidence:
        names = sorted({e.publisher for e in result.excluded_evidence if e.publisher})
        parts.append(
            f'<p class="meta">{len(result.excluded_evidence)} passage(s) left out as not '
            f"independent (published by the article's publisher or the claim's speaker: "
            f"{esc(', '.join(names))}).</p>"
        )
    for prior in result.prior_checks:
        when = f", {esc(prior.review_date.isoformat())}" if prior.review_date else ""
        url = f" · {link(prior.url)}" if prior.url else ""
        parts.append(
            f'<p class="prior"><strong>Previously fact-checked:</strong> '
            f"{esc(prior.rating)} by {esc(prior.reviewer or 'unknown reviewer')}{when}{url} — "
            f"“{esc(prior.claim_reviewed)}” "
            f'<span class="muted">(similarity {prior.similarity:.2f})</span></p>'
        )
    return parts


def _review_table(result: ClaimResult, review: HumanVerdict | None) -> str:
    """The reviewer's verdict and the machine's side by side."""
    if review is None:
        return '<p class="meta review-state">Not reviewed yet.</p>'
    v = result.verdict.value
    agrees = "confirmed" if review.verdict == v else "changed"
    state = "ready to publish" if review.ready_to_publish else "not ready to publish"
    when = f", {esc(review.updated_at[:10])}" if review.updated_at else ""
    rating = f" · rating “{esc(review.rating)}”" if review.rating else ""
    human = review.verdict
    badge = (
        f'<span class="badge {CSS_CLASS[human]}">{LABELS[human]}</span>'
        if human in CSS_CLASS
        else esc(human)
    )
    rationale = (
        esc(review.rationale)
        if review.rationale.strip()
        else ('<span class="muted">(kept the machine rationale)</span>')
    )
    return (
        f'<p class="meta review-state">Review: {agrees} by {esc(review.reviewer)}{when} · '
        f"{state}{rating}</p>"
        '<table class="review"><tr><th></th><th>verdict</th><th>rationale</th></tr>'
        f"<tr><th>reviewer</th><td>{badge}</td><td>{rationale}</td></tr>"
        f"<tr><th>machine ({esc(result.verifier)}, {result.confidence:.0%})</th>"
        f'<td><span class="badge {CSS_CLASS[v]}">{LABELS[v]}</span></td>'
        f"<td>{esc(result.rationale)}</td></tr></table>"
    )


def _card(
    result: ClaimResult,
    number: int,
    anchor: str,
    located: bool,
    reviews: Reviews | None = None,
) -> str:
    c, v = result.claim, result.verdict.value
    meta = [
        f"Speaker: {esc(c.speaker) if c.speaker else '—'}",
        f"type {esc(c.claim_type.value)}",
        f"check-worthiness {c.checkworthiness:.2f}",
        f"offsets {c.start}–{c.end}",
    ]
    if c.claim_date:
        meta.append(f"claim date {esc(c.claim_date.isoformat())}")
    parts = [
        f'<li class="card {CSS_CLASS[v]}" id="{anchor}" data-claim-id="{esc(c.id)}">',
        f'<div><span class="num">{number}</span><span class="badge {CSS_CLASS[v]}">'
        f'{LABELS[v]}</span> <span class="muted">confidence {result.confidence:.0%} · '
        f"verifier {esc(result.verifier)}</span></div>",
        f'<p class="claim-text">{esc(c.text)}</p>',
        f'<blockquote class="quote">“{esc(c.quote)}”</blockquote>',
    ]
    if not located:
        parts.append('<p class="meta">The quote is not at its offsets in the article text.</p>')
    parts += [
        f'<p class="meta">{" · ".join(meta)}</p>',
        f'<p class="rationale"><strong>Rationale:</strong> {esc(result.rationale)}</p>',
    ]
    if result.reason_text:
        parts.append(f'<p class="meta">Why: {esc(result.reason_text)}</p>')
    parts += [
        f'<p class="meta">Number check: {esc(q.describe())}</p>'
        for q in result.aligned_quantity_checks
    ]
    parts += [f'<p class="meta">Note: {esc(note)}</p>' for note in result.notes]
    if reviews is not None:
        parts.append(_review_table(result, reviews.get(result.id)))
    parts += _audit(result)
    if result.citations:
        items = "".join(_citation(cit) for cit in result.citations)
        parts.append(f'<ol class="citations">{items}</ol>')
    else:
        parts.append('<p class="meta">No citations.</p>')
    if result.rejected_citations:
        n = len(result.rejected_citations)
        parts.append(f'<p class="meta">{n} citation(s) failed validation and were dropped.</p>')
    if result.evidence:
        rows = "".join(
            f"<li><strong>{esc(e.chunk.title or e.chunk.source_id)}</strong> "
            f'<span class="muted">score {e.score:.4f}, dense rank {esc(e.dense_rank)}, '
            f"lexical rank {esc(e.lexical_rank)}{_rerank_note(e)}</span><br>"
            f"{esc(e.chunk.text)}</li>"
            for e in result.evidence
        )
        parts.append(
            f"<details><summary>Evidence shown to the verifier ({len(result.evidence)})"
            f"</summary><ol>{rows}</ol></details>"
        )
    parts.append("</li>")
    return "".join(parts)


def _coverage_summary(record: ArticleRecord) -> str:
    """What extraction did with the article's sentences, and how the text shows it."""
    statuses = Counter(s.status for s in record.sentences)
    return (
        f'<p class="meta coverage">{len(record.sentences)} sentences: '
        f"{statuses['checked']} checked (marked by verdict), "
        f'<span class="sentence s-below_threshold">{statuses["below_threshold"]} scored below '
        f"the check-worthiness threshold</span> (score shown after each), "
        f'<span class="sentence s-not_factual">{statuses["not_factual"]} not factual '
        f"statements</span>. Hover a sentence for its score and reasons.</p>"
    )


def _article(
    index: int,
    article_id: str,
    record: ArticleRecord | None,
    results: list[ClaimResult],
    errors: list[ErrorRecord],
    reviews: Reviews | None = None,
) -> str:
    ordered = sorted(results, key=lambda r: (r.claim.start, r.claim.end, r.claim.id))
    heading = record.title if record and record.title else f"Article {article_id}"
    parts = [f'<section class="article" id="article-{index}">', f"<h2>{esc(heading)}</h2>"]
    if record:
        meta = [esc(x) for x in (record.publisher, record.published) if x]
        if record.url:
            meta.append(link(record.url))
        meta.append(f"id <code>{esc(article_id)}</code>")
        parts.append(f'<p class="meta">{" · ".join(meta)}</p>')
    spans, located = [], {}
    for number, result in enumerate(ordered, start=1):
        where = locate(record.text, result) if record else None
        located[number] = where is not None
        if where:
            v = result.verdict.value
            spans.append(
                Highlight(
                    where[0],
                    where[1],
                    number,
                    result.claim.id,
                    v,
                    f"Claim {number}: {LABELS[v]} ({result.confidence:.0%})",
                )
            )
    if record and record.sentences:
        parts.append(_coverage_summary(record))
        text = coverage(record.text, record.sentences, spans)
        parts.append(f'<div class="article-text">{text}</div>')
    elif record:
        parts.append(f'<div class="article-text">{highlight(record.text, spans)}</div>')
    else:
        parts.append('<p class="meta">The article text is not in this results file.</p>')
    for error in errors:
        parts.append(f'<p class="notice">{esc(error.stage)} error: {esc(error.message[:500])}</p>')
    if ordered:
        cards = "".join(
            _card(r, n, f"claim-{index}-{n}", located[n], reviews) for n, r in enumerate(ordered, 1)
        )
        parts.append(f'<h3>Claims ({len(ordered)})</h3><ol class="claims">{cards}</ol>')
    parts.append("</section>")
    return "".join(parts)


def _metadata(run: RunView) -> str:
    rows: list[tuple[str, str]] = []
    header, summary = run.header, run.summary
    if header:
        rows += [
            ("Run", f"<code>{esc(header.run_id)}</code>"),
            ("Started", esc(f"{header.started_at:%Y-%m-%d %H:%M:%S %Z}")),
            ("factcheck version", esc(header.factcheck_version)),
        ]
    overview = run.provenance_overview()
    config = header.config if header else {}

    def distinct(values: Iterable[object]) -> str:
        seen = sorted({str(v) for v in values if v not in (None, "", {})})
        return ", ".join(f"<code>{esc(v)}</code>" for v in seen) or "—"

    prompts = dict(header.prompt_hashes) if header else {}
    prompts.update(overview.prompt_hashes)
    rows += [
        ("Model", distinct([config.get("model_display"), *overview.models])),
        ("Model parameters", distinct(overview.model_params)),
        (
            "Prompts",
            ", ".join(f"{esc(k)} <code>{esc(v)}</code>" for k, v in sorted(prompts.items())) or "—",
        ),
        ("Embedder", distinct([config.get("embedder"), *overview.embedders])),
        ("Collection", distinct([config.get("collection"), *overview.collections])),
        ("Corpus fingerprint", distinct(overview.fingerprints)),
    ]
    if summary:
        u = summary.usage
        rows += [
            (
                "Counts",
                esc(
                    f"{summary.articles} articles, {summary.claims} claims, "
                    f"{summary.results} results, {summary.errors} errors"
                ),
            ),
            (
                "Cost",
                esc(
                    f"{u.calls} LLM calls, {u.prompt_tokens} prompt + {u.completion_tokens} "
                    f"completion tokens, {u.reasks} re-asks, {summary.wall_seconds:.1f} s"
                ),
            ),
        ]
    items = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in rows)
    return f'<section id="run"><h2>Run</h2><dl class="meta-list">{items}</dl></section>'


def _errors(errors: list[ErrorRecord]) -> str:
    if not errors:
        return ""
    rows = "".join(
        f"<tr><td><code>{esc(e.item_id)}</code></td><td>{esc(e.stage)}</td>"
        f"<td>{esc(e.error)}</td><td>{esc(e.message[:500])}</td></tr>"
        for e in errors
    )
    return (
        '<section id="errors"><h2>Errors</h2><table><tr><th>item</th><th>stage</th>'
        f"<th>error</th><th>message</th></tr>{rows}</table></section>"
    )


def _review_summary(run: RunView, reviews: Reviews | None) -> str:
    if reviews is None:
        return ""
    seen = tally((r for a in run.result_article_ids() for r in run.results_of(a)), reviews)
    return (
        f'<p class="notice">Reviewed by a person: {seen.reviewed} of {seen.results} claims '
        f"({seen.changed} verdicts changed, {seen.ready} ready to publish). Reviewed claims show "
        "the reviewer's verdict beside the machine's.</p>"
    )


def html_report(
    run: RunView, *, title: str = "Fact-check report", reviews: Reviews | None = None
) -> str:
    """The whole report as one self-contained HTML document. With `reviews` (result id → a
    person's review) each reviewed claim shows the reviewer's verdict beside the machine's."""
    return "".join(_html_parts(run, title, reviews))


def write_html_report(
    run: RunView,
    path: Path,
    *,
    title: str = "Fact-check report",
    reviews: Reviews | None = None,
) -> None:
    """`html_report(run)` written to `path` as it is rendered (an article at a time)."""
    with Path(path).open("w", encoding="utf-8") as handle:
        handle.writelines(_html_parts(run, title, reviews))


VERIFIER_NAMES = {
    "llm": "the LLM verifier",
    "nli": "the offline NLI verifier",
    "threshold": "the relevance threshold (no relevant evidence)",
}


def deciders(run: RunView) -> str:
    """Who gave the verdicts: each verifier with its model and count (escaped HTML)."""
    overview = run.provenance_overview()
    parts = [
        f"{esc(VERIFIER_NAMES.get(name, name))}"
        + (
            f" (<code>{esc(', '.join(sorted(overview.verifier_models.get(name, ()))))}</code>)"
            if name != "threshold"
            else ""
        )
        + f" for {count} claim{'s' if count != 1 else ''}"
        for name, count in overview.verifiers.most_common()
    ]
    return "Verdicts were given by " + ("; ".join(parts) if parts else "no verifier (no claims)")


def _html_parts(run: RunView, title: str, reviews: Reviews | None = None) -> Iterator[str]:
    article_ids = run.report_article_ids()

    def counts(verdicts: Counter[str], errors: int) -> Counter[str]:
        tally = Counter(verdicts)
        tally["ERROR"] = errors
        return tally

    rows = [("Whole run", counts(run.verdict_counts(), len(run.errors)))]
    for article_id in article_ids:
        record = run.article(article_id)
        name = record.title if record and record.title else article_id
        verdicts = run.article_verdicts(article_id)
        rows.append((name, counts(verdicts, len(run.errors_of(article_id)))))
    yield (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="referrer" content="no-referrer">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head>\n<body>\n"
    )
    yield "\n".join(
        [
            f"<h1>{esc(title)}</h1>",
            f'<p class="notice">{deciders(run)}; every citation was checked to quote its '
            "source word for word. Review before publishing.</p>",
            '<section id="summary"><h2>Verdicts</h2>',
            legend(),
            verdict_chart(rows),
            _review_summary(run, reviews),
            "</section>",
        ]
    )
    for i, article_id in enumerate(article_ids, start=1):
        yield "\n" + _article(
            i,
            article_id,
            run.article(article_id),
            run.results_of(article_id),
            run.errors_of(article_id),
            reviews,
        )
    yield "\n" + _errors(run.errors)
    yield "\n" + _metadata(run)
    yield "\n</body></html>\n"


def _rerank_note(e: Evidence) -> str:
    """`, re-ranked from N (relevance S)` when the passage was re-ranked, else nothing."""
    if e.rerank_score is None:
        return ""
    return f", re-ranked from {esc(e.fused_rank)} (relevance {e.rerank_score:.2f})"
