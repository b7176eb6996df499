"""Render report tables for the terminal (rich) and as Markdown; data is escaped."""

from __future__ import annotations

import re
from collections.abc import Sequence

from rich.console import Console
from rich.table import Table as RichTable

from factcheck.evals.report import Table


def print_tables(tables: Sequence[Table], console: Console) -> None:
    """Render tables with rich (cells fold rather than being cut; nothing is hidden)."""
    if not console.is_terminal and console.width < 160:
        console = Console(file=console.file, width=160)
    for table in tables:
        rich_table = RichTable(
            title=table.title, title_justify="left", show_header=any(table.headers)
        )
        for header in table.headers:
            rich_table.add_column(header, overflow="fold")
        for row in table.rows:
            rich_table.add_row(*(cell.replace("[", "\\[") for cell in row))
        console.print(rich_table)
        if table.note:
            console.print(table.note, markup=False, highlight=False)


ENTITY = re.compile(r"&(?=#?[0-9A-Za-z]+;)")
"""An `&` that would start a character reference (`&amp;`, `&#60;`): only these are escaped,
so a plain `&` reads as itself in the Markdown source as well as rendered."""


def md_cell(text: str) -> str:
    """Escape a cell for a Markdown table (no markup or HTML from data survives)."""
    out = text.replace("\\", "\\\\").replace("\n", " ")
    out = ENTITY.sub("&amp;", out).replace("<", "&lt;").replace(">", "&gt;")
    for ch in "`*_[]#|":
        out = out.replace(ch, "\\" + ch)
    return out


def markdown(tables: Sequence[Table], title: str) -> str:
    """Tables as a Markdown document."""
    lines = [f"# {md_cell(title)}", ""]
    for table in tables:
        lines += [f"## {md_cell(table.title)}", ""]
        headers = table.headers if any(table.headers) else ["", ""]
        lines += [
            "| " + " | ".join(md_cell(h) for h in headers) + " |",
            "|" + "---|" * len(headers),
        ]
        lines += ["| " + " | ".join(md_cell(c) for c in row) + " |" for row in table.rows]
        if table.note:
            lines += ["", md_cell(table.note)]
        lines.append("")
    return "\n".join(lines)
