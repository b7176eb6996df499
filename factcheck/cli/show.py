"""`factcheck show RESULT_ID`: print one result's audit trail (finding it is
`factcheck.io.results.find_result`: an id or a unique prefix of 6+ characters; when the same
id occurs in several runs the most recent is shown and the others are listed)."""

from __future__ import annotations

import json

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from factcheck.io.results import Found
from factcheck.models import ArticleRecord, Evidence

MIN_PREFIX = 6
CONTEXT_CHARS = 160


# --- rendering ---------------------------------------------------------------------------------


def _table(*rows: tuple[str, object]) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    for key, value in rows:
        if value not in (None, "", [], {}):
            table.add_row(key, value if isinstance(value, Text) else Text(str(value)))
    return table


def _context(article: ArticleRecord, start: int, end: int) -> Text:
    """The quote in its article, highlighted, with some text either side."""
    text = article.text
    before = text[max(0, start - CONTEXT_CHARS) : start]
    after = text[end : end + CONTEXT_CHARS]
    out = Text("…" if start > CONTEXT_CHARS else "")
    out.append(before)
    out.append(text[start:end], style="bold reverse")
    out.append(after)
    out.append("…" if end + CONTEXT_CHARS < len(text) else "")
    return out


def _ranks(e: Evidence) -> str:
    """The passage's fused score and its rank and score in each ranking."""
    dense = f"dense rank {e.dense_rank}" if e.dense_rank is not None else "dense unranked"
    if e.dense_similarity is not None:
        dense += f" (cos {e.dense_similarity:.3f})"
    lexical = f"lexical rank {e.lexical_rank}" if e.lexical_rank is not None else "lexical unranked"
    if e.lexical_score is not None:
        lexical += f" (bm25 {e.lexical_score:.3f})"
    ranks = f"score {e.score:.5f} · {dense} · {lexical}"
    if e.rerank_score is not None:
        ranks += f" · re-ranked from {e.fused_rank} (relevance {e.rerank_score:.2f})"
    return ranks


def render(found: Found, console: Console) -> None:
    """Print the whole audit trail of a result."""
    r, c, p = found.result, found.result.claim, found.result.provenance
    run = found.header.run_id if found.header else None
    console.print(
        Text.assemble(("Result ", "bold"), r.id, "  ", (str(found.path), "dim"))
        + Text(f"  run {run}" if run else "", style="dim")
    )
    for other in found.also_in:
        console.print(Text(f"  also in {other}", style="dim"))
    article = found.article
    claim_rows = [
        ("claim", c.text),
        ("quote", f"“{c.quote}”"),
        ("offsets", f"{c.start}–{c.end}"),
        ("speaker", c.speaker),
        ("type", f"{c.claim_type.value}, check-worthiness {c.checkworthiness:.2f}"),
        ("claim date", c.claim_date),
        ("article", c.article_id),
    ]
    if article:
        claim_rows += [
            ("title", article.title),
            ("publisher", article.publisher),
            ("published", article.published),
            ("url", article.url),
        ]
        if article.text[c.start : c.end] == c.quote:
            claim_rows.append(("in context", _context(article, c.start, c.end)))
        else:
            claim_rows.append(("in context", "the quote is not at its offsets in the article"))
    console.print(Panel(_table(*claim_rows), title="Claim", title_align="left"))

    verdict_rows: list[tuple[str, object]] = [
        ("verdict", Text(r.verdict.value, style="bold")),
        ("confidence", f"{r.confidence:.2f}"),
        ("verifier", r.verifier),
        ("reason", r.reason_text or "—"),
        ("rationale", r.rationale),
    ]
    verdict_rows += [("number check", q.describe()) for q in r.aligned_quantity_checks]
    verdict_rows += [("note", note) for note in r.notes]
    if r.stale_evidence:
        verdict_rows.append(
            ("stale evidence", Text(f"newest cited source {r.evidence_age_days} days old", "red"))
        )
    elif r.evidence_age_days is not None:
        verdict_rows.append(("evidence age", f"newest cited source {r.evidence_age_days} days"))
    for n, prior in enumerate(r.prior_checks, start=1):
        verdict_rows.append(
            (
                f"prior check {n}",
                f"{prior.rating} — {prior.reviewer or 'unknown reviewer'}"
                f"{', ' + prior.review_date.isoformat() if prior.review_date else ''}"
                f"{', ' + prior.url if prior.url else ''} — “{prior.claim_reviewed}” "
                f"(similarity {prior.similarity:.2f})",
            )
        )
    console.print(Panel(_table(*verdict_rows), title="Verdict", title_align="left"))

    if r.citations:
        cites = Table("source", "quote", box=None, show_header=True, header_style="bold")
        for cit in r.citations:
            label = " · ".join(
                str(x)
                for x in (
                    cit.source_title or cit.chunk_id,
                    cit.published,
                    cit.locator,
                    cit.source_url,
                )
                if x
            )
            cites.add_row(Text(label), Text(f"“{cit.quote}”"))
        console.print(Panel(cites, title="Citations", title_align="left"))
    if r.rejected_citations:
        rejected = _table(
            *(
                (f"passage {x.evidence_number}", f"“{x.quote}” — {x.reason}")
                for x in r.rejected_citations
            )
        )
        console.print(Panel(rejected, title="Rejected citations", title_align="left"))

    passages: list[Text] = []
    for e in r.evidence:
        ch = e.chunk
        source = " · ".join(
            str(x)
            for x in (
                ch.title or ch.source_id,
                ch.publisher,
                ch.published,
                f"tier {ch.credibility_tier}" if ch.credibility_tier else None,
                ch.locator,
                ch.url,
            )
            if x
        )
        passages += [
            Text.assemble((f"[{e.number}] ", "bold"), (source, "bold")),
            Text(f"    {_ranks(e)} · chunk {ch.id} [{ch.start}:{ch.end}]", style="dim"),
            Text(ch.text + "\n"),
        ]
    title = f"Evidence shown ({len(r.evidence)})"
    console.print(Panel(Group(*passages), title=title, title_align="left"))
    if r.excluded_evidence:
        excluded = _table(
            *(
                (x.chunk_id, f"{x.publisher} — {x.title or x.source_id} ({x.reason})")
                for x in r.excluded_evidence
            )
        )
        console.print(Panel(excluded, title="Excluded as not independent", title_align="left"))

    retrieval = p.retrieval
    provenance_rows: list[tuple[str, object]] = [
        ("model", p.model),
        ("parameters", json.dumps(p.model_params, sort_keys=True, default=str)),
        ("prompts", ", ".join(f"{k} {v}" for k, v in sorted(p.prompt_hashes.items()))),
        ("embedder", p.embedder),
        ("collection", p.collection),
        ("fingerprint", p.collection_fingerprint),
        ("created", p.created_at.isoformat() if p.created_at else None),
    ]
    if retrieval:
        provenance_rows += [
            (
                "retrieval",
                f"top_k {retrieval.top_k}, candidates {retrieval.candidates}, "
                f"rrf_k {retrieval.rrf_k}",
            ),
            (
                "re-ranker",
                f"{retrieval.reranker} (top {retrieval.rerank_depth} re-scored, "
                f"weight {retrieval.rerank_weight})"
                if retrieval.reranker
                else "off",
            ),
            (
                "cutoff",
                f"{retrieval.cutoff} ({retrieval.cutoff_basis})" if retrieval.cutoff else "none",
            ),
            ("allow", ", ".join(retrieval.allow_publishers)),
            ("deny", ", ".join(retrieval.deny_publishers)),
            ("tier weights", ", ".join(f"{t}:{w}" for t, w in retrieval.tier_weights.items())),
            ("not independent", ", ".join(retrieval.not_independent)),
            ("max evidence age", retrieval.max_evidence_age_days),
            ("prior threshold", retrieval.prior_match_threshold),
        ]
    u = p.usage
    provenance_rows += [
        ("timings", ", ".join(f"{k} {v:.3f}s" for k, v in p.timings.items())),
        (
            "usage",
            f"{u.calls} calls, {u.prompt_tokens} prompt + {u.completion_tokens} completion "
            f"tokens, {u.reasks} re-asks, {u.sdk_retries} SDK retries",
        ),
    ]
    console.print(Panel(_table(*provenance_rows), title="Provenance", title_align="left"))
