"""Real documents for reader tests: multi-page PDFs written with fpdf2, and the PDF text
each page holds, so tests can check page numbers against what is actually on the page."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from fpdf import FPDF

PAGE_TEXTS = (
    "Homicides in Mexico fell 12 percent in 2024 compared with 2023, the security cabinet "
    "reported. The decline was sharpest in Guanajuato and Baja California.",
    "Mexico sent 29 prisoners to the United States in February 2025 and 26 more in August "
    "2025. Each transfer was approved by the National Security Council.",
    "The central bank cut its benchmark rate by 25 basis points to 7.25 percent in November "
    "2025, its twelfth consecutive reduction.",
)
"""One paragraph per page (repeated a few times on the page so chunks stay within a page)."""


def make_pdf(
    path: Path,
    pages: tuple[str, ...] = PAGE_TEXTS,
    *,
    repeat: int = 3,
    title: str | None = "Security and economy annual report 2025",
    author: str | None = "Secretariado Ejecutivo",
    created: datetime | None = datetime(2025, 3, 4, 10, 0, tzinfo=UTC),
    lang: str | None = "es-MX",
    user_password: str | None = None,
) -> Path:
    """Write a PDF with a text layer: page k holds `pages[k - 1]` `repeat` times."""
    pdf = FPDF()
    if title:
        pdf.set_title(title)
    if author:
        pdf.set_author(author)
    if created:
        pdf.set_creation_date(created)
    if lang:
        pdf.set_lang(lang)
    if user_password is not None:
        pdf.set_encryption(owner_password="owner-secret", user_password=user_password)
    pdf.set_font("Helvetica", size=11)
    for text in pages:
        pdf.add_page()
        for _ in range(repeat):
            pdf.multi_cell(0, 6, text)
            pdf.ln(4)
    path.write_bytes(bytes(pdf.output()))
    return path


def make_scanned_pdf(path: Path, pages: int = 2) -> Path:
    """Write a PDF whose pages hold only drawings (like a scan: no text layer)."""
    pdf = FPDF()
    for _ in range(pages):
        pdf.add_page()
        pdf.set_fill_color(40, 40, 40)
        for row in range(20):
            pdf.rect(20, 20 + row * 10, 150 - row * 3, 4, style="F")
    path.write_bytes(bytes(pdf.output()))
    return path
