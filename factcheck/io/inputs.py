"""Streaming readers for reference sources and articles, with one error per bad item.

`read_sources` and `read_articles` are generators: they hold one file, URL (or one JSONL/CSV
record) in memory at a time and yield an `InputError` for an item they cannot read instead of
raising, so one bad file or URL never stops a batch. Every error names the file (and the line
for JSONL/CSV/.urls) or the URL, and says how to fix it.

Formats (one parser each, shared by both readers):

- `.txt`, `.md`: the whole file is one item. For `.md` the title is the first `# ` heading.
  A line `Source: publisher, date, URL` within the first 10 lines fills in metadata when it
  parses cleanly (see `_source_line`); the line stays in the text.
- `.html`, `.htm`: the main text without boilerplate and the page's metadata (title, author,
  date, site name as publisher, canonical url, declared language) via trafilatura
  (`factcheck.io.web`).
- `.pdf`: the text layer page by page via pypdf, with where each page starts
  (`Source.page_starts`, so chunks know their page) and the PDF's metadata
  (`factcheck.io.pdf`). A PDF without a text layer (a scan) or with a password is an error.
- `.jsonl`: one item per line, `{"text": ..., "id"?, "title"?, "url"?, "published"?,
  "publisher"?, "author"?, "language"?, "credibility_tier"?}`; blank lines are skipped,
  unknown keys ignored.
- `.csv`: a header row with a `text` column and the same optional columns.
- http(s) URLs given instead of paths, and `.urls` files (one URL per line, `#` comments):
  fetched within the limits of `FetchSettings` (`factcheck.io.fetch`), then read as HTML, PDF
  or plain text by their content type; `url` is the final URL after redirects and `retrieved`
  the time of the fetch.
- Statistics tables, `.csv` with a `<stem>.table.json` sidecar or any `.xlsx`: one source per
  value (`factcheck.io.tables`); they are reference sources, not articles.

A `language` (ISO 639-1, e.g. "es") in a source's sidecar or JSONL/CSV record, or declared by
a web page or PDF, is kept on the `Source`; without one, the store detects it
(`factcheck.language`).

A sidecar `<stem>.meta.json` beside a `.txt`, `.md`, `.html` or `.pdf` file (`story.txt` →
`story.meta.json`) overrides the metadata found in the file.

Text is decoded as strict UTF-8 (a UTF-8 BOM is dropped; an HTML file or response may declare
another charset) and line endings are normalised to `\\n`; item ids default to a hash of that
text. Dates are `YYYY-MM-DD` or ISO 8601 datetimes (the date as written is kept, not converted
to UTC). Ids must be unique within one call: the second occurrence is an error.
"""

from __future__ import annotations

import codecs
import csv
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import pairwise
from pathlib import Path
from typing import BinaryIO, TypeVar

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from factcheck.errors import InputError
from factcheck.io.fetch import Fetched, FetchSettings, fetch, is_url, make_client
from factcheck.io.pdf import read_pdf
from factcheck.io.series import TableRow
from factcheck.io.web import extract_page
from factcheck.language import language_tag
from factcheck.models import Article, content_id

DEFAULT_MAX_BYTES = 5_000_000
"""Largest item text accepted, in UTF-8 bytes (5 MB). Bigger items are reported, not cut."""

_SNIFF_BYTES = 8192
_HEADER_LINES = 10
_TEXT_FIELDS = ("title", "url", "publisher", "author")
_LANGUAGE_CODE = re.compile(r"^[a-z]{2}$")


class Source(BaseModel):
    """A reference document to ingest. `id` defaults to a hash of the text."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    text: str
    title: str | None = None
    url: str | None = None
    published: date | None = None
    publisher: str | None = None
    credibility_tier: int | None = Field(default=None, ge=1, le=3)
    path: str | None = None
    author: str | None = None
    language: str | None = Field(
        default=None, pattern=r"^[a-z]{2}$", description="Lower-case ISO 639-1, e.g. 'es'."
    )
    table: TableRow | None = Field(
        default=None, description="For a value of a statistics table: its row (`io.tables`)."
    )
    retrieved: datetime | None = Field(default=None, description="When `url` was fetched.")
    page_starts: tuple[int, ...] | None = Field(
        default=None,
        description="Where each page starts in `text` (page k at `page_starts[k - 1]`); "
        "set for PDFs.",
    )

    @model_validator(mode="after")
    def _check_pages(self) -> Source:
        starts = self.page_starts
        if starts is not None and (
            not starts
            or starts[0] != 0
            or any(b < a for a, b in pairwise(starts))
            or starts[-1] > len(self.text)
        ):
            raise ValueError("page_starts must rise from 0 and stay within the text")
        return self


@dataclass
class _Raw:
    """One item as read from a file or URL, before its fields are validated."""

    text: str
    where: str
    path: str
    fields: dict[str, object] = field(default_factory=dict)
    page_starts: tuple[int, ...] | None = None


T = TypeVar("T", Source, Article)
PathArg = str | os.PathLike[str] | Iterable[str | os.PathLike[str]]
"""One path or several; each a file or a directory."""
_Parsed = Iterator["_Raw | InputError"]
_Parser = Callable[[Path, int], _Parsed]


# --------------------------------------------------------------------------------------------
# public readers


def read_sources(
    paths: PathArg,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    fetch: FetchSettings | None = None,
) -> Iterator[Source | InputError]:
    """Yield a `Source` per readable item under `paths` (files or directories, walked
    recursively in sorted order, and http(s) URLs, fetched within the limits of `fetch`),
    or an `InputError` per item that cannot be read."""
    return _read(paths, max_bytes, _build_source, fetch or FetchSettings())


def read_articles(
    paths: PathArg,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    fetch: FetchSettings | None = None,
) -> Iterator[Article | InputError]:
    """Yield an `Article` per readable item under `paths` (files, directories, URLs), or an
    `InputError` per bad item."""
    return _read(paths, max_bytes, _build_article, fetch or FetchSettings())


def _read(
    paths: PathArg,
    max_bytes: int,
    build: Callable[[_Raw, dict[str, object]], T],
    fetch_settings: FetchSettings,
) -> Iterator[T | InputError]:
    if isinstance(paths, str | os.PathLike):
        paths = [paths]  # one path, not an iterable of characters
    seen: dict[str, str] = {}
    urls = _UrlReader(fetch_settings, max_bytes)
    try:
        for path in _walk(paths):
            if isinstance(path, InputError):
                yield path
                continue
            if isinstance(path, str):
                raws: Iterable[_Raw | InputError] = [urls.read(path, path)]
            elif path.suffix.lower() == ".urls":
                raws = urls.read_list(path)
            elif _is_table(path):
                yield from _table_entries(path, max_bytes, build, seen)
                continue
            elif (parser := _PARSERS.get(path.suffix.lower())) is not None:
                raws = parser(path, max_bytes)
            else:
                yield _unknown_extension(path)
                continue
            yield from _items(raws, max_bytes, build, seen)
    finally:
        urls.close()


def _items(
    raws: Iterable[_Raw | InputError],
    max_bytes: int,
    build: Callable[[_Raw, dict[str, object]], T],
    seen: dict[str, str],
) -> Iterator[T | InputError]:
    for raw in raws:
        item = raw if isinstance(raw, InputError) else _finish(raw, max_bytes, build)
        if not isinstance(item, InputError):
            first = seen.setdefault(item.id, raw.where)
            if first != raw.where:
                item = InputError(
                    f"duplicate id {item.id!r} (first seen at {first}); give each item a "
                    "unique id, or drop the repeated item",
                    source=raw.where,
                )
        yield item


def _table_entries(
    path: Path,
    max_bytes: int,
    build: Callable[[_Raw, dict[str, object]], T],
    seen: dict[str, str],
) -> Iterator[T | InputError]:
    """The sources of a statistics table (one per value), each id once."""
    for item, where in _table_items(path, max_bytes, for_sources=build is _build_source):
        if not isinstance(item, InputError):
            first = seen.setdefault(item.id, where)
            if first != where:
                item = InputError(
                    f"duplicate id {item.id!r} (first seen at {first}): the table has two "
                    "rows for the same series and period; remove one",
                    source=where,
                )
        yield item  # type: ignore[misc]


def _finish(
    raw: _Raw, max_bytes: int, build: Callable[[_Raw, dict[str, object]], T]
) -> T | InputError:
    if not raw.text.strip():
        return InputError(
            "no text (empty or whitespace only); remove the item or add its text", source=raw.where
        )
    size = len(raw.text.encode("utf-8"))
    if size > max_bytes:
        return InputError(
            f"text is {size:,} bytes, over the {max_bytes:,}-byte limit; split it into smaller "
            "items or raise FACTCHECK_MAX_INPUT_BYTES",
            source=raw.where,
        )
    fields = _clean_fields(raw.fields, raw.where)
    if isinstance(fields, InputError):
        return fields
    try:
        return build(raw, fields)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        return InputError(f"invalid item ({problems})", source=raw.where)


def _build_source(raw: _Raw, fields: dict[str, object]) -> Source:
    source_id = fields.pop("id", None) or content_id(raw.text)
    return Source(id=source_id, text=raw.text, path=raw.path, page_starts=raw.page_starts, **fields)


def _build_article(raw: _Raw, fields: dict[str, object]) -> Article:
    fields.pop("credibility_tier", None)
    fields.pop("language", None)
    return Article(text=raw.text, **fields)


def _is_table(path: Path) -> bool:
    from factcheck.io.tables import is_table

    return is_table(path)


def _table_items(
    path: Path, max_bytes: int, *, for_sources: bool
) -> Iterator[tuple[Source | InputError, str]]:
    """A statistics table's values as sources (with where each came from)."""
    from factcheck.io.tables import read_table

    if not for_sources:
        yield (
            InputError(
                "a statistics table is a reference source, not an article; ingest it with "
                "`factcheck ingest` (or move it out of the articles folder)",
                source=str(path),
            ),
            str(path),
        )
        return
    for item in read_table(path, max_bytes):
        if isinstance(item, InputError):
            yield item, item.source or str(path)
            continue
        spec = item.spec
        source = Source(
            id=item.id,
            text=item.text,
            title=spec.title,
            url=spec.url,
            published=spec.published,
            publisher=spec.publisher,
            credibility_tier=spec.credibility_tier,
            path=str(path),
            language=spec.language,
            table=item.row,
        )
        yield source, item.where


# --------------------------------------------------------------------------------------------
# fields


def _clean_fields(fields: dict[str, object], where: str) -> dict[str, object] | InputError:
    """Validate the optional fields shared by every format; unknown keys are dropped."""
    out: dict[str, object] = {}
    raw_id = fields.get("id")
    if isinstance(raw_id, bool) or not isinstance(raw_id, str | int | None):
        return InputError("field 'id' must be a string or an integer", source=where)
    if raw_id is not None and str(raw_id).strip():
        out["id"] = str(raw_id).strip()
    for name in _TEXT_FIELDS:
        value = fields.get(name)
        if value is not None and not isinstance(value, str):
            return InputError(
                f"field {name!r} must be a string, got {type(value).__name__}", source=where
            )
        if value and value.strip():
            out[name] = value.strip()
    published = fields.get("published")
    if published not in (None, ""):
        parsed = parse_date(published)
        if parsed is None:
            return InputError(
                f"bad date {published!r} in field 'published'; use YYYY-MM-DD or an ISO 8601 "
                "datetime such as 2024-03-05T10:00:00Z",
                source=where,
            )
        out["published"] = parsed
    language = fields.get("language")
    if language not in (None, ""):
        code = language.strip().lower() if isinstance(language, str) else ""
        if not _LANGUAGE_CODE.match(code):
            return InputError(
                f"field 'language' must be an ISO 639-1 code such as 'en' or 'es', got "
                f"{language!r}",
                source=where,
            )
        out["language"] = code
    tier = fields.get("credibility_tier")
    if tier not in (None, ""):
        if isinstance(tier, str) and tier.strip().isdigit():
            tier = int(tier)
        if isinstance(tier, bool) or not isinstance(tier, int) or not 1 <= tier <= 3:
            return InputError(
                f"field 'credibility_tier' must be 1, 2 or 3, got {tier!r}", source=where
            )
        out["credibility_tier"] = tier
    language = fields.get("language")
    if language not in (None, ""):
        tag = language_tag(language) if isinstance(language, str) else None
        if tag is None:
            return InputError(
                f"field 'language' must be a language code such as 'en' or 'es-MX', got "
                f"{language!r}",
                source=where,
            )
        out["language"] = tag
    retrieved = fields.get("retrieved")
    if isinstance(retrieved, datetime):
        out["retrieved"] = retrieved
    elif isinstance(retrieved, str) and retrieved.strip():
        try:
            out["retrieved"] = datetime.fromisoformat(retrieved.strip())
        except ValueError:
            return InputError(
                f"bad datetime {retrieved!r} in field 'retrieved'; use ISO 8601 such as "
                "2024-03-05T10:00:00Z",
                source=where,
            )
    return out


def parse_date(value: object) -> date | None:
    """`YYYY-MM-DD` or an ISO 8601 datetime (its date as written) → date; anything else → None."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip()
    for parse in (date.fromisoformat, lambda s: datetime.fromisoformat(s).date()):
        try:
            return parse(text)
        except ValueError:
            continue
    return None


# --------------------------------------------------------------------------------------------
# paths


def _walk(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Path | str | InputError]:
    """Files under `paths`, directories walked recursively in sorted order (hidden entries and
    `.meta.json` sidecars skipped; symlinked directories not followed); http(s) URLs are
    passed through as strings."""
    for entry in paths:
        if is_url(entry):
            yield str(entry).strip()
            continue
        path = Path(entry)
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if not name.startswith(".") and not name.endswith(
                        (".meta.json", ".table.json")
                    ):
                        yield Path(root) / name
        elif path.is_file():
            yield path
        else:
            yield InputError("no such file or directory; check the path", source=str(path))


def _unknown_extension(path: Path) -> InputError:
    known = ", ".join(sorted([*_PARSERS, ".urls", ".xlsx"]))
    return InputError(
        f"unknown extension {path.suffix or '(none)'!r}; supported: {known}. Convert the file "
        "(e.g. .docx → .txt) or rename it if it is one of these formats",
        source=str(path),
    )


# --------------------------------------------------------------------------------------------
# bytes → text


def _read_bytes(path: Path, cap: int) -> bytes | InputError:
    try:
        size = path.stat().st_size
        if size == 0:
            return InputError("empty file; remove it or add its text", source=str(path))
        if size > cap:
            return InputError(
                f"file is {size:,} bytes, over the {cap:,}-byte limit; split it into smaller "
                "files or raise FACTCHECK_MAX_INPUT_BYTES",
                source=str(path),
            )
        return path.read_bytes()
    except OSError as exc:
        return InputError(f"cannot read file: {exc.strerror or exc}", source=str(path))


def _decode(data: bytes, where: str, encoding: str = "utf-8") -> str | InputError:
    """Strict decode with an error that says what is wrong and how to fix it."""
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return InputError("file is UTF-32 encoded; re-save it as UTF-8", source=where)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return InputError(
            "file is UTF-16 encoded; re-save it as UTF-8 (e.g. iconv -f UTF-16 -t UTF-8)",
            source=where,
        )
    if b"\x00" in data:
        return InputError(
            "binary file (contains NUL bytes), or UTF-16 without a BOM; convert "
            "it to UTF-8 text first",
            source=where,
        )
    data = data.removeprefix(codecs.BOM_UTF8)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        return InputError(_encoding_message(data, exc, encoding), source=where)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _encoding_message(data: bytes, exc: UnicodeDecodeError, encoding: str) -> str:
    line = data.count(b"\n", 0, exc.start) + 1
    bad = data[exc.start : exc.end].hex(" ")
    hint = ""
    try:
        data.decode("cp1252")
        hint = (
            " It looks like Windows-1252/Latin-1 text: convert it with "
            "`iconv -f WINDOWS-1252 -t UTF-8`."
        )
    except UnicodeDecodeError:
        pass
    return (
        f"not valid {encoding.upper()}: {exc.reason} (byte {bad} at offset {exc.start}, "
        f"line {line}); re-save the file as UTF-8.{hint}"
    )


# --------------------------------------------------------------------------------------------
# .txt / .md


def _parse_text_file(path: Path, max_bytes: int) -> _Parsed:
    data = _read_bytes(path, max_bytes)
    text = data if isinstance(data, InputError) else _decode(data, str(path))
    if isinstance(text, InputError):
        yield text
        return
    fields: dict[str, object] = dict(_source_line(text))
    if path.suffix.lower() in (".md", ".markdown"):
        heading = re.search(r"^# +(.+?)\s*#*\s*$", text, re.MULTILINE)
        if heading:
            fields["title"] = heading.group(1)
    sidecar = _sidecar(path)
    if isinstance(sidecar, InputError):
        yield sidecar
        return
    fields.update(sidecar)
    yield _Raw(text=text, where=str(path), path=str(path), fields=fields)


_SOURCE_RE = re.compile(
    r"^[ \t]*source[ \t]*:[ \t]*(?P<rest>\S.*?)[ \t]*$", re.IGNORECASE | re.MULTILINE
)
_URL_TAIL = re.compile(r"(?:^|,)\s*(?P<url>https?://\S+)$")
_LOOSE_DATE_FORMATS = ("%B %d, %Y", "%b %d, %Y", "%d %B %Y", "%d %b %Y")


def _source_line(text: str) -> dict[str, str]:
    """Metadata from a `Source: publisher, date, URL` line in the first 10 lines.

    Parsed from the right: a trailing http(s) URL, then a date (ISO, or "March 5, 2024" /
    "5 March 2024"), then everything left is the publisher (which may contain commas). The
    line is used only if it yields a URL or a date, so prose such as "Source: an interview"
    is left alone; the text itself is never changed.
    """
    head = "\n".join(text.split("\n", _HEADER_LINES)[:_HEADER_LINES])
    match = _SOURCE_RE.search(head)
    if not match:
        return {}
    rest, fields = match.group("rest"), {}
    url = _URL_TAIL.search(rest)
    if url:
        fields["url"] = url.group("url")
        rest = rest[: url.start()]
    parts = [p.strip() for p in rest.split(",") if p.strip()]
    for width in (1, 2):
        candidate = ", ".join(parts[-width:]) if len(parts) >= width else ""
        found = _loose_date(candidate)
        if found:
            fields["published"] = found.isoformat()
            parts = parts[:-width]
            break
    if not fields:
        return {}
    if parts:
        fields["publisher"] = ", ".join(parts)
    return fields


def _loose_date(text: str) -> date | None:
    if not text:
        return None
    found = parse_date(text)
    if found:
        return found
    for fmt in _LOOSE_DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _sidecar(path: Path) -> dict[str, object] | InputError:
    """Fields from `<stem>.meta.json` beside `path`, if that file exists."""
    meta = path.with_name(path.stem + ".meta.json")
    if not meta.is_file():
        return {}
    data = _read_bytes(meta, DEFAULT_MAX_BYTES)
    text = data if isinstance(data, InputError) else _decode(data, str(meta))
    if isinstance(text, InputError):
        return text
    try:
        fields = json.loads(text)
    except json.JSONDecodeError as exc:
        return InputError(
            f"malformed JSON in sidecar: {exc.msg} at line {exc.lineno} column "
            f"{exc.colno}; fix or remove the file",
            source=str(meta),
        )
    if not isinstance(fields, dict):
        return InputError('sidecar must hold a JSON object like {"title": ...}', source=str(meta))
    fields.pop("text", None)
    return fields


# --------------------------------------------------------------------------------------------
# .html / .htm / .pdf (files) and URLs

_CHARSET_RE = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9._-]+)", re.IGNORECASE)
_HTML_MARKUP_FACTOR = 4


def _parse_html_file(path: Path, max_bytes: int) -> _Parsed:
    data = _read_bytes(path, max_bytes * _HTML_MARKUP_FACTOR)
    text = data if isinstance(data, InputError) else _decode(data, str(path), _charset(data))
    if isinstance(text, InputError):
        yield text
        return
    yield _with_sidecar(_html_raw(text, str(path), str(path)), path)


def _html_raw(html: str, where: str, path: str, url: str | None = None) -> _Raw:
    page = extract_page(html, url=url)
    return _Raw(text=page.text, where=where, path=path, fields=dict(page.fields))


_PDF_FACTOR = 4
"""A PDF file may be this many times `max_bytes` (fonts, images and compression)."""


def _parse_pdf_file(path: Path, max_bytes: int) -> _Parsed:
    data = _read_bytes(path, max_bytes * _PDF_FACTOR)
    raw = data if isinstance(data, InputError) else _pdf_raw(data, str(path), str(path))
    yield raw if isinstance(raw, InputError) else _with_sidecar(raw, path)


def _pdf_raw(data: bytes, where: str, path: str) -> _Raw | InputError:
    pdf = read_pdf(data, where)
    if isinstance(pdf, InputError):
        return pdf
    return _Raw(
        text=pdf.text, where=where, path=path, fields=dict(pdf.fields), page_starts=pdf.page_starts
    )


def _with_sidecar(raw: _Raw | InputError, path: Path) -> _Raw | InputError:
    """`raw` with its fields overridden by the `<stem>.meta.json` sidecar beside `path`."""
    if isinstance(raw, InputError):
        return raw
    sidecar = _sidecar(path)
    if isinstance(sidecar, InputError):
        return sidecar
    raw.fields.update(sidecar)
    return raw


def _charset(data: bytes) -> str:
    """The charset an HTML file declares in its first bytes (utf-8 when none or unknown)."""
    match = _CHARSET_RE.search(data[:4096])
    if not match:
        return "utf-8"
    return _codec(match.group(1).decode("ascii")) or "utf-8"


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


class _UrlReader:
    """Fetches URLs (one HTTP client for a whole read) and turns responses into raw items."""

    def __init__(self, settings: FetchSettings, max_bytes: int) -> None:
        self._settings = settings
        self._max_bytes = max_bytes
        self._client: httpx.Client | None = None

    def read(self, url: str, where: str) -> _Raw | InputError:
        """The item at `url` (HTML, PDF or plain text), or the error fetching or reading it."""
        if self._client is None:
            self._client = make_client(self._settings)
        got = fetch(url, self._settings, self._client)
        if isinstance(got, InputError):
            return got if where == url else InputError(str(got), source=where)
        raw = self._raw(got, where)
        if not isinstance(raw, InputError):
            raw.fields["url"] = got.final_url
            raw.fields["retrieved"] = got.retrieved
        return raw

    def _raw(self, got: Fetched, where: str) -> _Raw | InputError:
        if got.kind == "pdf":
            return _pdf_raw(got.body, where, got.final_url)
        encoding = _codec(got.charset) or (_charset(got.body) if got.kind == "html" else "utf-8")
        text = _decode(got.body, where, encoding)
        if isinstance(text, InputError):
            return text
        if got.kind == "text":
            return _Raw(text=text, where=where, path=got.final_url)
        return _html_raw(text, where, got.final_url, url=got.final_url)

    def read_list(self, path: Path) -> _Parsed:
        """Every URL listed in a `.urls` file (one per line; blank lines and `#` comments
        skipped), fetched in order."""
        data = _read_bytes(path, DEFAULT_MAX_BYTES)
        text = data if isinstance(data, InputError) else _decode(data, str(path))
        if isinstance(text, InputError):
            yield text
            return
        for lineno, line in enumerate(text.split("\n"), start=1):
            entry = line.strip()
            if not entry or entry.startswith("#"):
                continue
            where = f"{path}:{lineno}"
            if not is_url(entry):
                yield InputError(
                    f"not an http(s) URL: {entry[:100]!r}; a .urls file lists one URL per "
                    "line (blank lines and lines starting with # are skipped)",
                    source=where,
                )
                continue
            yield self.read(entry, where)

    def close(self) -> None:
        """Close the HTTP client, if one was opened."""
        if self._client is not None:
            self._client.close()


# --------------------------------------------------------------------------------------------
# .jsonl

_JSONL_ESCAPE_FACTOR = 4
_JSONL_SLACK = 65_536


def _parse_jsonl(path: Path, max_bytes: int) -> _Parsed:
    cap = max_bytes * _JSONL_ESCAPE_FACTOR + _JSONL_SLACK
    try:
        with path.open("rb") as fh:
            problem = _sniff(fh, path)
            if problem:
                yield problem
                return
            yield from _jsonl_records(fh, path, cap)
    except OSError as exc:
        yield InputError(f"cannot read file: {exc.strerror or exc}", source=str(path))


def _jsonl_records(fh: BinaryIO, path: Path, cap: int) -> _Parsed:
    any_line = False
    for lineno, line in _capped_lines(fh, cap):
        where = f"{path}:{lineno}"
        if line is None:
            yield InputError(
                f"line is longer than {cap:,} bytes, over the size limit; split "
                "the item or raise FACTCHECK_MAX_INPUT_BYTES",
                source=where,
            )
            continue
        if not line.strip():
            continue
        any_line = True
        yield _jsonl_record(line, where, str(path))
    if not any_line:
        yield InputError(
            "empty file (no JSON lines); remove it or add one object per line", source=str(path)
        )


def _jsonl_record(line: bytes, where: str, path: str) -> _Raw | InputError:
    text = _decode(line.removeprefix(codecs.BOM_UTF8), where)
    if isinstance(text, InputError):
        return text
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        return InputError(
            f"malformed JSON: {exc.msg} at column {exc.colno}; each line must be one JSON object",
            source=where,
        )
    if not isinstance(record, dict):
        return InputError('each line must be a JSON object like {"text": ...}', source=where)
    body = record.pop("text", None)
    if body is None:
        return InputError('missing \'text\' field; each line needs {"text": "..."}', source=where)
    if not isinstance(body, str):
        return InputError(f"field 'text' must be a string, got {type(body).__name__}", source=where)
    body = body.replace("\r\n", "\n").replace("\r", "\n")
    return _Raw(text=body, where=where, path=path, fields=record)


def _capped_lines(fh: BinaryIO, cap: int) -> Iterator[tuple[int, bytes | None]]:
    """(line number, line) pairs; a line longer than `cap` bytes is skipped unread and yields
    None, so memory stays bounded by `cap` whatever the file holds."""
    lineno = 0
    while line := fh.readline(cap + 1):
        lineno += 1
        if len(line) > cap and not line.endswith(b"\n"):
            while line and not line.endswith(b"\n"):
                line = fh.readline(cap)
            yield lineno, None
        else:
            yield lineno, line


def _sniff(fh: BinaryIO, path: Path) -> InputError | None:
    """File-level check of the first bytes (empty, binary, UTF-16/32) so that such a file gives
    one error rather than one per line. Leaves `fh` at the start."""
    head = fh.read(_SNIFF_BYTES)
    fh.seek(0)
    if not head:
        return InputError("empty file; remove it or add its content", source=str(path))
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in head:
        problem = _decode(head, str(path))
        return problem if isinstance(problem, InputError) else None
    return None


# --------------------------------------------------------------------------------------------
# .csv


_CSV_QUOTE_FACTOR = 2


class _LineError(Exception):
    """A CSV line that cannot be decoded or is too long (stops reading that file)."""

    def __init__(self, lineno: int, message: str) -> None:
        super().__init__(message)
        self.lineno = lineno


def _parse_csv(path: Path, max_bytes: int) -> _Parsed:
    cap = max_bytes * _CSV_QUOTE_FACTOR + _JSONL_SLACK
    csv.field_size_limit(max(csv.field_size_limit(), cap))  # process-wide; only ever raised
    try:
        with path.open("rb") as fh:
            problem = _sniff(fh, path)
            if problem:
                yield problem
                return
            yield from _csv_records(_decoded_lines(fh, cap), path)
    except OSError as exc:
        yield InputError(f"cannot read file: {exc.strerror or exc}", source=str(path))


def _decoded_lines(fh: BinaryIO, cap: int) -> Iterator[str]:
    """Strictly decoded physical lines (line endings kept, as the csv module wants)."""
    for lineno, line in _capped_lines(fh, cap):
        if line is None:
            raise _LineError(
                lineno,
                f"line is longer than {cap:,} bytes, over the size limit; "
                "split the item or raise FACTCHECK_MAX_INPUT_BYTES",
            )
        data = line.removeprefix(codecs.BOM_UTF8) if lineno == 1 else line
        try:
            yield data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _LineError(lineno, _encoding_message(data, exc, "utf-8")) from None


def _csv_records(lines: Iterator[str], path: Path) -> _Parsed:
    reader = csv.reader(lines)
    try:
        header = next(reader, None)
        names = [h.strip() for h in header or []]
        if "text" not in names:
            yield InputError(
                "the first row must be a header with a 'text' column (one document per row); "
                f"if this is a statistics table, add a sidecar {path.stem}.table.json naming "
                'its time_column and value_columns (README, "Statistics tables")',
                source=str(path),
            )
            return
        start = reader.line_num + 1
        for row in reader:
            where, start = f"{path}:{start}", reader.line_num + 1
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(names):
                yield InputError(
                    f"row has {len(row)} columns, the header has {len(names)}; "
                    "quote fields that contain commas",
                    source=where,
                )
                continue
            record: dict[str, object] = dict(zip(names, row, strict=True))
            body = str(record.pop("text")).replace("\r\n", "\n").replace("\r", "\n")
            yield _Raw(text=body, where=where, path=str(path), fields=record)
    except _LineError as exc:
        yield InputError(
            f"{exc}; stopped reading this file here (rows above were read)",
            source=f"{path}:{exc.lineno}",
        )
    except csv.Error as exc:
        yield InputError(
            f"CSV error: {exc}; stopped reading this file here (rows above were read)",
            source=f"{path}:{reader.line_num}",
        )


_PARSERS: dict[str, _Parser] = {
    ".txt": _parse_text_file,
    ".md": _parse_text_file,
    ".markdown": _parse_text_file,
    ".html": _parse_html_file,
    ".htm": _parse_html_file,
    ".pdf": _parse_pdf_file,
    ".jsonl": _parse_jsonl,
    ".csv": _parse_csv,
}
