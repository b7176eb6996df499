"""PDF files: the text layer page by page (pypdf), page boundaries, and the document metadata.

`read_pdf` never raises on a bad file: a PDF that cannot be parsed, is encrypted with a
password, or has no text layer (scanned pages) comes back as an `InputError` that says what to
do (decrypt it, OCR it first). Pages are joined with a blank line; `PdfText.page_starts[k]` is
the offset in `text` where page k + 1 starts, so a character offset maps back to its page.

Metadata: `/Title` (a "Microsoft Word - name.docx" style title or a bare file name is ignored),
`/CreationDate` as `published` (the date as written, not converted to UTC), `/Author` as
`author`, and the catalog's `/Lang` as `language`. PDF metadata has no publisher field and
`/Producer`/`/Creator` name the software that wrote the file, so the publisher is `/Author`
only as a last resort (the reader lets a `<stem>.meta.json` sidecar override every field).
"""

from __future__ import annotations

import io
import re
from bisect import bisect_right
from dataclasses import dataclass, field

from pypdf import PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError

from factcheck.errors import InputError
from factcheck.language import language_tag

_OFFICE_TITLE = re.compile(r"^(?:Microsoft (?:Word|PowerPoint|Excel)|Microsoft Word)\s+-\s+")
_FILE_NAME = re.compile(r"^[\w .-]+\.(?:docx?|pdf|odt|rtf|pptx?|xlsx?|tex|indd|txt)$", re.I)


@dataclass(frozen=True)
class PdfText:
    """A PDF's text, where each page starts in it, and the metadata it declares."""

    text: str
    page_starts: tuple[int, ...]
    fields: dict[str, object] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        """Number of pages."""
        return len(self.page_starts)


def page_at(page_starts: tuple[int, ...], offset: int) -> int:
    """The 1-based page holding character `offset` of a text with these page starts."""
    return max(1, bisect_right(page_starts, offset))


def read_pdf(data: bytes, where: str) -> PdfText | InputError:
    """The text and metadata of the PDF in `data`, or an `InputError` naming `where`."""
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not _decrypt(reader):
            return InputError(
                "encrypted PDF that needs a password; decrypt it first (e.g. `qpdf "
                "--decrypt --password=PASSWORD in.pdf out.pdf`) and ingest the result",
                source=where,
            )
        texts = [_page_text(page.extract_text() or "") for page in reader.pages]
        fields = _metadata(reader)
    except DependencyError:
        return InputError(
            "encrypted PDF (AES) that pypdf cannot open without the `cryptography` package; "
            "install it (pip install 'pypdf[crypto]') or decrypt the file first",
            source=where,
        )
    except FileNotDecryptedError:
        return InputError("encrypted PDF that needs a password; decrypt it first", source=where)
    except Exception as exc:  # noqa: BLE001 - pypdf raises many types on malformed files
        kind = "not a readable PDF" if isinstance(exc, PdfReadError) else "corrupt PDF"
        return InputError(
            f"{kind} ({type(exc).__name__}: {exc}); re-export or repair it (e.g. `qpdf in.pdf "
            "out.pdf`), or convert it to text",
            source=where,
        )
    if not texts:
        return InputError("PDF has no pages; remove it or re-export it", source=where)
    if not any(texts):
        return InputError(
            f"PDF has no text layer (none of its {len(texts)} page(s) holds extractable text: "
            "a scan?); run OCR on it first (e.g. `ocrmypdf in.pdf out.pdf`) and ingest the "
            "result",
            source=where,
        )
    starts: list[int] = []
    parts: list[str] = []
    cursor = 0
    for text in texts:
        starts.append(cursor)
        if text:
            if parts:
                parts.append("\n\n")
                cursor += 2
                starts[-1] = cursor
            parts.append(text)
            cursor += len(text)
    return PdfText(text="".join(parts), page_starts=tuple(starts), fields=fields)


def _decrypt(reader: PdfReader) -> bool:
    """Open a PDF encrypted with an empty user password (owner restrictions only)."""
    return bool(reader.decrypt(""))


def _page_text(text: str) -> str:
    """A page's text with line endings normalised and trailing spaces and blank edges trimmed."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip("\n").strip()


def _metadata(reader: PdfReader) -> dict[str, object]:
    fields: dict[str, object] = {}
    info = reader.metadata
    if info is not None:
        title = _clean_title(info.title)
        if title:
            fields["title"] = title
        author = _text(info.author)
        if author:
            fields["author"] = author
            fields["publisher"] = author
        try:
            created = info.creation_date
        except ValueError:  # a malformed date string: leave the date out
            created = None
        if created is not None:
            fields["published"] = created.date().isoformat()
    lang = reader.trailer["/Root"].get("/Lang")
    tag = language_tag(str(lang)) if lang else None
    if tag:
        fields["language"] = tag
    return fields


def _clean_title(value: object) -> str | None:
    title = _text(value)
    if not title:
        return None
    title = _OFFICE_TITLE.sub("", title)
    if _FILE_NAME.match(title) or title.lower() in {"untitled", "title", "document"}:
        return None
    return title


def _text(value: object) -> str | None:
    text = " ".join(str(value).split()) if value is not None else ""
    return text or None
