"""A self-contained HTML report (no scripts, no external files) with inline SVG plots.

Every value taken from a run — claims, ids, labels, prompt hashes, paths — is escaped with
`html.escape`; the page contains no JavaScript at all.
"""

from __future__ import annotations

from html import escape

from factcheck.evals.compare import Comparison
from factcheck.evals.records import EvalRun
from factcheck.evals.report import Table, comparison_tables, run_tables
from factcheck.evals.svg import confusion_svg, deltas_svg, reliability_svg

STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1200px;color:#24292f;
padding:0 1rem}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}
table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:13px}
th,td{border:1px solid #d0d7de;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa}td.num{text-align:right;font-variant-numeric:tabular-nums}
.note{color:#57606a}.plots{display:flex;flex-wrap:wrap;gap:1.5rem;align-items:flex-start}
.fail{color:#cf222e;font-weight:600}.pass{color:#1a7f37;font-weight:600}
"""


def _is_number(cell: str) -> bool:
    return (
        cell.replace(".", "", 1).replace("-", "", 1).replace("+", "", 1).replace(",", "").isdigit()
    )


def table_html(table: Table) -> str:
    """One table, every cell escaped."""
    head = "".join(f"<th>{escape(h)}</th>" for h in table.headers) if any(table.headers) else ""
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{escape(c)}</td>' if _is_number(c) else f"<td>{escape(c)}</td>"
            for c in row
        )
        + "</tr>"
        for row in table.rows
    )
    note = f'<p class="note">{escape(table.note)}</p>' if table.note else ""
    return (
        f"<h2>{escape(table.title)}</h2><table>"
        + (f"<thead><tr>{head}</tr></thead>" if head else "")
        + f"<tbody>{body}</tbody></table>{note}"
    )


def _plots(run: EvalRun, baseline: EvalRun | None) -> str:
    if run.summary is None:
        return ""
    blocks = []
    for summary in run.summary.tasks:
        if summary.confusion:
            blocks.append(confusion_svg(summary.confusion, f"{summary.task} (candidate)"))
            base = baseline.task_summary(summary.task) if baseline else None
            if base and base.confusion:
                blocks.append(confusion_svg(base.confusion, f"{summary.task} (baseline)"))
        if summary.reliability:
            series = [("candidate", summary.reliability)]
            base = baseline.task_summary(summary.task) if baseline else None
            if base and base.reliability:
                series.append(("baseline", base.reliability))
            blocks.append(reliability_svg(series, f"Reliability: {summary.task}"))
    if not blocks:
        return ""
    return '<h2>Plots</h2><div class="plots">' + "".join(blocks) + "</div>"


def html_report(
    run: EvalRun, comparison: Comparison | None = None, baseline: EvalRun | None = None
) -> str:
    """The whole page: verdict (when comparing), delta plot, run tables, plots."""
    title = f"factcheck eval · {run.spec.suite}"
    parts = [
        '<!doctype html><html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
    ]
    if comparison is not None:
        css = "pass" if comparison.exit_code == 0 else "fail"
        verdict = f'<p class="{css}">{escape(comparison.verdict())}.</p>' + "".join(
            f'<p class="fail">WARNING: {escape(w)}</p>' for w in comparison.warnings()
        )
        gated = [d for t in comparison.tasks for d in t.deltas if d.gated]
        parts += [verdict, deltas_svg(gated, comparison.tolerance)]
        parts += [table_html(t) for t in comparison_tables(comparison)]
        parts.append("<h2>Candidate run</h2>")
    parts += [table_html(t) for t in run_tables(run)]
    parts.append(_plots(run, baseline))
    parts.append("</body></html>")
    return "\n".join(p for p in parts if p)
