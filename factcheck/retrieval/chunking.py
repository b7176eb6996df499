"""Chunking reference sources: verified character offsets, Chroma-ready metadata, and the
text that is embedded and indexed (after the source's title when titled)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from langchain_text_splitters import RecursiveCharacterTextSplitter

from factcheck.errors import IngestError
from factcheck.injection import scan
from factcheck.io.inputs import Source
from factcheck.io.pdf import page_at
from factcheck.language import LANGUAGE_SAMPLE, SOURCE_MIN_LETTERS, detect_language
from factcheck.models import SourceChunk, content_id


@dataclass(frozen=True)
class Chunk:
    """A chunk of a source as stored: its id, text and metadata."""

    id: str
    source_id: str
    text: str
    metadata: dict[str, str | int | float | bool]

    @property
    def indexed_text(self) -> str:
        """What is embedded and indexed for BM25: the text, after the title if titled."""
        return indexed_text(self.text, self.metadata)


def split_source(
    source: Source, splitter: RecursiveCharacterTextSplitter, *, title: bool = False
) -> list[Chunk]:
    """Chunks of a source with verified character offsets and Chroma-ready metadata.

    With `title`, chunks of a titled source are embedded and indexed after the title (the
    stored text is unchanged): their metadata says so (`titled`) and their ids differ from
    untitled ones, so switching the setting re-embeds the source on the next ingest."""
    base = source_metadata(source)
    titled = bool(title and source.title)
    if titled:
        base["titled"] = True
    chunks: list[Chunk] = []
    cursor = 0
    for index, doc in enumerate(splitter.create_documents([source.text])):
        text = doc.page_content
        start = int(doc.metadata.get("start_index", -1))
        if start < 0 or source.text[start : start + len(text)] != text:
            start = source.text.find(text, cursor)
            if start < 0:
                raise IngestError(f"chunk {index} could not be located in the source text")
        end = start + len(text)
        cursor = start + 1
        metadata = {**base, "start": start, "end": end, "chunk_index": index}
        if source.page_starts:
            metadata["page"] = page_at(source.page_starts, start)
            metadata["page_end"] = page_at(source.page_starts, max(start, end - 1))
        metadata.update(injection_metadata(text))
        chunks.append(
            Chunk(
                id=content_id(source.id, start, text, *(("titled",) if titled else ())),
                source_id=source.id,
                text=text,
                metadata=metadata,
            )
        )
    return chunks


def injection_metadata(text: str) -> dict[str, str | bool]:
    """What the injection scan found in a chunk, as metadata: `injection_flagged` and the
    fired rules comma-separated in `injection_rules` ("" when none)."""
    report = scan(text)
    return {"injection_flagged": report.flagged, "injection_rules": ",".join(report.rules)}


def indexed_text(text: str, metadata: dict[str, Any]) -> str:
    """A chunk's text as embedded and indexed: after its source's title when `titled`."""
    title = metadata.get("title")
    if metadata.get("titled") and isinstance(title, str) and not text.startswith(title):
        return f"{title}. {text}"
    return text


def source_metadata(source: Source) -> dict[str, str | int | float | bool]:
    """The metadata every chunk of `source` carries (None values left out): `language` is the
    source's own (sidecar or table) or else detected from its first characters."""
    meta: dict[str, str | int | float | bool | None] = {
        "source_id": source.id,
        "title": source.title,
        "url": source.url,
        "publisher": source.publisher,
        "credibility_tier": source.credibility_tier,
        "source_path": source.path,
        "author": source.author,
        "dated": source.published is not None,
        "language": source.language
        or detect_language(source.text[:LANGUAGE_SAMPLE], min_letters=SOURCE_MIN_LETTERS),
    }
    if source.table is not None:
        meta.update(source.table.metadata())
    if source.published is not None:
        meta["published"] = source.published.isoformat()
        meta["published_int"] = yyyymmdd(source.published)
    if source.retrieved is not None:
        meta["retrieved"] = source.retrieved.isoformat()
    return {key: value for key, value in meta.items() if value is not None}


def chunk_from(chunk_id: str, text: str, meta: dict[str, Any]) -> SourceChunk:
    """A stored chunk back as a `SourceChunk`."""
    published = meta.get("published")
    return SourceChunk(
        id=chunk_id,
        source_id=str(meta.get("source_id", "")),
        text=text,
        start=int(meta.get("start", 0)),
        end=int(meta.get("end", len(text))),
        title=meta.get("title"),
        url=meta.get("url"),
        publisher=meta.get("publisher"),
        published=date.fromisoformat(published) if isinstance(published, str) else None,
        credibility_tier=meta.get("credibility_tier"),
        page=meta.get("page"),
        page_end=meta.get("page_end"),
        injection_rules=[r for r in str(meta.get("injection_rules") or "").split(",") if r],
        series_id=meta.get("series_id"),
        series=meta.get("series"),
    )


def yyyymmdd(day: date) -> int:
    """A date as the integer YYYYMMDD (how dates are stored and filtered in metadata)."""
    return day.year * 10_000 + day.month * 100 + day.day
