"""Inline SVG plots for the HTML report: confusion matrix, reliability diagram, delta forest.

Every string that comes from data goes through `html.escape`; numbers are formatted here.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from factcheck.evals.compare import MetricDelta

SHORT = {
    "SUPPORTED": "SUP",
    "REFUTED": "REF",
    "NOT_ENOUGH_EVIDENCE": "NEE",
    "CONFLICTING": "CON",
    "ERROR": "ERR",
}
COLORS = ("#1f6feb", "#d97706")
FONT = 'font-family="system-ui, sans-serif"'


def _text(
    x: float, y: float, text: str, size: int = 11, anchor: str = "middle", extra: str = ""
) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
        f"{FONT} {extra}>{escape(text)}</text>"
    )


def confusion_svg(matrix: dict[str, dict[str, int]], title: str, cell: int = 46) -> str:
    """Counts as a heat grid, gold labels as rows, predictions as columns."""
    labels = list(matrix)
    n = len(labels)
    left, top = 70, 50
    width, height = max(left + n * cell + 10, 7 * len(title) + 20), top + n * cell + 40
    peak = max((v for row in matrix.values() for v in row.values()), default=0) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(title)}">',
        _text(width / 2, 16, title, 12, extra='font-weight="600"'),
        _text(left + n * cell / 2, top - 18, "predicted", 10),
        _text(
            14,
            top + n * cell / 2,
            "gold",
            10,
            extra=f'transform="rotate(-90 14 {top + n * cell / 2:.1f})"',
        ),
    ]
    for j, label in enumerate(labels):
        parts.append(_text(left + j * cell + cell / 2, top - 4, SHORT.get(label, label[:4]), 10))
    for i, gold in enumerate(labels):
        y = top + i * cell
        parts.append(_text(left - 6, y + cell / 2 + 4, SHORT.get(gold, gold[:4]), 10, "end"))
        for j, pred in enumerate(labels):
            value = matrix[gold].get(pred, 0)
            shade = value / peak
            fill = f"rgba(31,111,235,{0.08 + 0.85 * shade:.3f})" if value else "#f6f8fa"
            x = left + j * cell
            stroke = ' stroke="#1a7f37" stroke-width="2"' if i == j else ' stroke="#d0d7de"'
            parts.append(
                f'<rect x="{x}" y="{y}" width="{cell}" height="{cell}" fill="{fill}"{stroke}/>'
            )
            color = "#fff" if shade > 0.55 else "#24292f"
            parts.append(
                _text(x + cell / 2, y + cell / 2 + 4, str(value), 12, extra=f'fill="{color}"')
            )
    parts.append("</svg>")
    return "".join(parts)


def reliability_svg(
    series: Sequence[tuple[str, Sequence[tuple[float, float, int]]]], title: str
) -> str:
    """Accuracy against mean confidence per bin; marker area ∝ cases; diagonal = calibrated."""
    size, pad = 240, 40
    total = max((n for _, bins in series for _, _, n in bins), default=1) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size + 2 * pad + 90}" '
        f'height="{size + 2 * pad}" role="img" aria-label="{escape(title)}">',
        _text(pad + size / 2, 16, title, 12, extra='font-weight="600"'),
        f'<rect x="{pad}" y="{pad}" width="{size}" height="{size}" fill="none" stroke="#8c959f"/>',
        f'<line x1="{pad}" y1="{pad + size}" x2="{pad + size}" y2="{pad}" '
        f'stroke="#8c959f" stroke-dasharray="4 3"/>',
    ]
    for tick in (0.0, 0.5, 1.0):
        parts.append(_text(pad + tick * size, pad + size + 14, f"{tick:.1f}", 9))
        parts.append(_text(pad - 6, pad + size - tick * size + 3, f"{tick:.1f}", 9, "end"))
    parts.append(_text(pad + size / 2, pad + size + 30, "confidence", 10))
    parts.append(
        _text(
            10,
            pad + size / 2,
            "accuracy",
            10,
            extra=f'transform="rotate(-90 10 {pad + size / 2:.1f})"',
        )
    )
    for k, (name, bins) in enumerate(series):
        color = COLORS[k % len(COLORS)]
        points = [(pad + c * size, pad + size - a * size, n) for c, a, n in bins]
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in points)
            parts.append(
                f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="1.5"/>'
            )
        for x, y, n in points:
            radius = 2.5 + 7 * (n / total) ** 0.5
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius:.1f}" fill="{color}" '
                f'fill-opacity="0.6"><title>{n} cases</title></circle>'
            )
        parts.append(
            f'<rect x="{pad + size + 12}" y="{pad + 8 + 18 * k}" width="10" '
            f'height="10" fill="{color}"/>'
        )
        parts.append(_text(pad + size + 26, pad + 17 + 18 * k, name, 10, "start"))
    parts.append("</svg>")
    return "".join(parts)


def deltas_svg(deltas: Sequence[MetricDelta], tolerance: float) -> str:
    """Forest plot of candidate − baseline with 95% CI whiskers; shaded band = ±tolerance."""
    rows = [d for d in deltas if d.delta is not None and d.low is not None and d.high is not None]
    if not rows:
        return ""
    label_w, plot_w, row_h, top = 300, 360, 22, 34
    extent = max(max(abs(d.low or 0.0), abs(d.high or 0.0)) for d in rows)
    extent = max(extent, tolerance * 2, 0.01) * 1.1
    height = top + row_h * len(rows) + 30

    def x_of(value: float) -> float:
        return label_w + (value + extent) / (2 * extent) * plot_w

    zero = x_of(0.0)
    band = x_of(-tolerance), x_of(tolerance)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_w + plot_w + 20}" '
        f'height="{height}" role="img" aria-label="metric deltas">',
        _text(
            label_w + plot_w / 2, 14, "candidate − baseline (95% CI)", 12, extra='font-weight="600"'
        ),
        f'<rect x="{band[0]:.1f}" y="{top - 6}" width="{band[1] - band[0]:.1f}" '
        f'height="{row_h * len(rows) + 6}" fill="#eaeef2"/>',
        f'<line x1="{zero:.1f}" y1="{top - 8}" x2="{zero:.1f}" '
        f'y2="{top + row_h * len(rows)}" stroke="#57606a"/>',
    ]
    for i, d in enumerate(rows):
        y = top + i * row_h + row_h / 2
        bad = d.regressed(tolerance)
        color = "#cf222e" if bad else ("#1a7f37" if (d.low or 0) > 0 else "#1f6feb")
        parts.append(_text(label_w - 8, y + 4, f"{d.task} · {d.metric}", 10, "end"))
        parts.append(
            f'<line x1="{x_of(d.low or 0.0):.1f}" y1="{y:.1f}" '
            f'x2="{x_of(d.high or 0.0):.1f}" y2="{y:.1f}" stroke="{color}" '
            f'stroke-width="2"/>'
        )
        parts.append(
            f'<circle cx="{x_of(d.delta or 0.0):.1f}" cy="{y:.1f}" r="4" '
            f'fill="{color}"><title>{escape(f"{d.delta:+.3f}")}</title></circle>'
        )
    axis_y = top + row_h * len(rows) + 14
    for value in (-extent / 1.1, 0.0, extent / 1.1):
        parts.append(_text(x_of(value), axis_y, f"{value:+.2f}", 9))
    parts.append("</svg>")
    return "".join(parts)
