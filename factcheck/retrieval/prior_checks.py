"""Prior fact checks: published ClaimReviews in their own Chroma collection, matched against
new claims before they are checked.

`factcheck ingest --claimreview FILE` reads ClaimReview records — a JSON array, one JSON
object, or JSONL — in either of two shapes:

- schema.org `ClaimReview` JSON-LD, as `factcheck export --format claimreview` writes it
  (`claimReviewed`, `reviewRating.alternateName`, `author`, `datePublished`, `url`,
  `itemReviewed.author`); a `@graph` list is read item by item;
- Google Fact Check Tools' `claims:search` claims (`text`, `claimant`, `claimReview[]` with
  `publisher`, `reviewDate`, `textualRating`, `url`), alone or as the whole response
  (`{"claims": [...]}`); each review of a claim is one record.

A record that cannot be read becomes an `InputError` naming the file and item; the rest are
stored in `<collection>-claimreviews`, embedded on the reviewed claim with the reference
store's embedder. A claim whose cosine similarity to a stored claim reaches
`FACTCHECK_PRIOR_MATCH_THRESHOLD` gets that review as a `PriorCheck` on its result.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from chromadb.api.models.Collection import Collection
from chromadb.errors import ChromaError, NotFoundError
from pydantic import BaseModel, ConfigDict, Field

from factcheck.errors import InputError, StoreError
from factcheck.models import PriorCheck, content_id
from factcheck.retrieval.chroma import Embedder, check_existing
from factcheck.retrieval.store import ReferenceStore

SUFFIX = "-claimreviews"
MAX_MATCHES = 3


def prior_collection_name(collection: str) -> str:
    """The collection holding prior fact checks for reference collection `collection`."""
    return f"{collection}{SUFFIX}"


class ClaimReviewRecord(BaseModel):
    """One published fact check, as stored."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    claim_reviewed: str = Field(min_length=1)
    rating: str = Field(min_length=1)
    rating_value: float | None = None
    reviewer: str | None = None
    review_date: date | None = None
    url: str | None = None
    claim_author: str | None = None

    @property
    def id(self) -> str:
        """Stable id: the same review ingested twice is stored once."""
        return content_id("claimreview", self.url, self.claim_reviewed, self.reviewer)

    def metadata(self) -> dict[str, str | float]:
        """Chroma metadata (None values left out)."""
        values = self.model_dump(exclude={"claim_reviewed"}, mode="json")
        return {key: value for key, value in values.items() if value is not None}


# --- reading --------------------------------------------------------------------------------


class _Bad(ValueError):
    """An item that is not a readable ClaimReview."""


def read_claimreviews(path: Path) -> Iterator[ClaimReviewRecord | InputError]:
    """The records of a ClaimReview file, or one `InputError` per unreadable item (or for
    the whole file when it cannot be read at all)."""
    where = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        yield InputError(f"cannot read the file: {exc}", source=where)
        return
    lines = [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
    if not lines:
        yield InputError("no ClaimReview records (the file is empty)", source=where)
        return
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        if text.lstrip().startswith("[") or not _is_json(lines[0][1]):
            yield InputError(
                f"not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno}); give a "
                "JSON array, one JSON object, or one JSON object per line",
                source=where,
            )
            return
    else:
        items = value if isinstance(value, list) else [value]
        for number, item in enumerate(items, start=1):
            yield from _records(item, f"{where}: item {number}")
        return
    for number, line in lines:
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            yield InputError(
                f"line {number}: not JSON ({exc.msg}); give a JSON array, one JSON object, "
                "or one JSON object per line",
                source=where,
            )
            continue
        yield from _records(item, f"{where}: line {number}")


def _is_json(line: str) -> bool:
    try:
        json.loads(line)
    except json.JSONDecodeError:
        return False
    return True


def _records(item: object, where: str) -> Iterator[ClaimReviewRecord | InputError]:
    """Records of one JSON value: a ClaimReview, a Fact Check Tools claim or response, or a
    JSON-LD `@graph`."""
    if isinstance(item, dict) and isinstance(item.get("claims"), list):
        for number, claim in enumerate(item["claims"], start=1):
            yield from _records(claim, f"{where}, claim {number}")
        return
    if isinstance(item, dict) and isinstance(item.get("@graph"), list):
        for number, node in enumerate(item["@graph"], start=1):
            yield from _records(node, f"{where}, @graph {number}")
        return
    try:
        if isinstance(item, dict) and isinstance(item.get("claimReview"), list):
            for number, review in enumerate(item["claimReview"], start=1):
                try:
                    yield _from_fact_check_tools(item, review)
                except _Bad as exc:
                    yield InputError(f"review {number}: {exc}", source=where)
            return
        yield _from_schema_org(item)
    except _Bad as exc:
        yield InputError(str(exc), source=where)


def _from_schema_org(item: object) -> ClaimReviewRecord:
    if not isinstance(item, dict):
        raise _Bad(f"expected a JSON object, got {type(item).__name__}")
    types = item.get("@type")
    types = types if isinstance(types, list) else [types]
    if "ClaimReview" not in types and "claimReviewed" not in item:
        raise _Bad(
            "neither a ClaimReview (no claimReviewed) nor a Fact Check Tools claim "
            "(no claimReview list)"
        )
    rating = _first(item.get("reviewRating"))
    rating = rating if isinstance(rating, dict) else {}
    reviewed = _first(item.get("itemReviewed"))
    reviewed = reviewed if isinstance(reviewed, dict) else {}
    return _record(
        claim_reviewed=item.get("claimReviewed"),
        rating=rating.get("alternateName") or rating.get("name"),
        rating_value=rating.get("ratingValue"),
        reviewer=_name(item.get("author")),
        review_date=_day(item.get("datePublished"), "datePublished"),
        url=item.get("url"),
        claim_author=_name(reviewed.get("author")),
        rating_field="reviewRating.alternateName",
    )


def _from_fact_check_tools(claim: dict[str, Any], review: object) -> ClaimReviewRecord:
    if not isinstance(review, dict):
        raise _Bad(f"expected a JSON object, got {type(review).__name__}")
    return _record(
        claim_reviewed=claim.get("text"),
        rating=review.get("textualRating"),
        rating_value=None,
        reviewer=_name(review.get("publisher")),
        review_date=_day(review.get("reviewDate"), "reviewDate"),
        url=review.get("url"),
        claim_author=_name(claim.get("claimant")),
        rating_field="textualRating",
    )


def _record(*, rating_field: str, **fields: Any) -> ClaimReviewRecord:
    text, rating, value = fields["claim_reviewed"], fields["rating"], fields["rating_value"]
    if not isinstance(text, str) or not text.strip():
        raise _Bad("no text of the reviewed claim (claimReviewed / text)")
    if not isinstance(rating, str) or not rating.strip():
        raise _Bad(f"no rating label ({rating_field})")
    try:
        fields["rating_value"] = None if value in (None, "") else float(value)
    except (TypeError, ValueError):
        raise _Bad(f"ratingValue {value!r} is not a number") from None
    url = fields["url"]
    fields["url"] = url if isinstance(url, str) and url.strip() else None
    fields["claim_reviewed"], fields["rating"] = " ".join(text.split()), rating.strip()
    return ClaimReviewRecord(**fields)


def _first(value: object) -> object:
    return value[0] if isinstance(value, list) and value else value


def _name(value: object) -> str | None:
    """A name from a string, or from an object's `name` (else `site`)."""
    value = _first(value)
    if isinstance(value, dict):
        value = value.get("name") or value.get("site")
    return value.strip() if isinstance(value, str) and value.strip() else None


def _day(value: object, field: str) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise _Bad(f"{field} {value!r} is not a date (YYYY-MM-DD or ISO 8601)") from None


# --- storing and matching ----------------------------------------------------------------------


class ClaimReviewIngest(BaseModel):
    """What one `ingest --claimreview` did."""

    added: int = 0
    existing: int = 0
    errors: list[str] = Field(default_factory=list)


class PriorCheckStore:
    """Published fact checks in Chroma, embedded on the reviewed claim."""

    def __init__(self, collection: Collection, embedder: Embedder, threshold: float) -> None:
        self._collection = collection
        self._ef = embedder
        self.threshold = threshold

    @classmethod
    def open(
        cls, store: ReferenceStore, threshold: float, *, create: bool
    ) -> PriorCheckStore | None:
        """The prior-check collection beside `store` (None when it does not exist and
        `create` is False), matching claims at cosine `threshold`. Refuses one built with
        another embedder."""
        name = prior_collection_name(store.collection_name)
        ef = store.embedding_function
        check_existing(store.client, name, ef)
        try:
            if create:
                collection = store.client.get_or_create_collection(
                    name, configuration={"hnsw": {"space": "cosine"}}, embedding_function=ef
                )
            else:
                collection = store.client.get_collection(name, embedding_function=ef)
        except (NotFoundError, ValueError):
            return None
        except ChromaError as exc:
            raise StoreError(f"cannot open collection {name!r}: {exc}") from exc
        return cls(collection, ef, threshold)

    @property
    def name(self) -> str:
        """The collection's name."""
        return self._collection.name

    def count(self) -> int:
        """Number of stored fact checks."""
        return self._collection.count()

    def ingest(self, items: Iterable[ClaimReviewRecord | InputError]) -> ClaimReviewIngest:
        """Store new records (embedding their claims) and refresh the metadata of known ones;
        `InputError` items are recorded in the report."""
        report = ClaimReviewIngest()
        records: dict[str, ClaimReviewRecord] = {}
        for item in items:
            if isinstance(item, InputError):
                report.errors.append(str(item))
            else:
                records[item.id] = item
        ids = list(records)
        for start in range(0, len(ids), 256):
            batch = ids[start : start + 256]
            known = set(self._collection.get(ids=batch, include=[])["ids"])
            new = [i for i in batch if i not in known]
            if new:
                self._collection.add(
                    ids=new,
                    documents=[records[i].claim_reviewed for i in new],
                    metadatas=[records[i].metadata() for i in new],  # type: ignore[misc]
                )
            if known:
                self._collection.update(
                    ids=sorted(known),
                    metadatas=[records[i].metadata() for i in sorted(known)],  # type: ignore[misc]
                )
            report.added += len(new)
            report.existing += len(known)
        return report

    def match(self, text: str, published_on_or_before: date | None = None) -> list[PriorCheck]:
        """Stored fact checks of claims at least `threshold` similar to `text`, closest first;
        with a cutoff day, checks published after it are left out (undated ones are kept)."""
        count = self.count()
        if count == 0:
            return []
        vector = np.asarray(self._ef.embed_query([text]), dtype=np.float32)
        got = self._collection.query(
            query_embeddings=vector,
            n_results=min(
                MAX_MATCHES if published_on_or_before is None else 4 * MAX_MATCHES, count
            ),
            include=["documents", "metadatas", "distances"],
        )
        out: list[PriorCheck] = []
        for i, doc, meta, dist in zip(
            got["ids"][0],
            (got["documents"] or [[]])[0],
            (got["metadatas"] or [[]])[0],
            (got["distances"] or [[]])[0],
            strict=True,
        ):
            similarity = round(1.0 - float(dist), 4)
            if similarity < self.threshold:
                continue
            m = dict(meta or {})
            day = m.get("review_date")
            reviewed = date.fromisoformat(day) if isinstance(day, str) else None
            if published_on_or_before and reviewed and reviewed > published_on_or_before:
                continue  # not yet published on the day the claim is checked as of
            out.append(
                PriorCheck(
                    id=i,
                    claim_reviewed=doc or "",
                    rating=str(m.get("rating", "")),
                    rating_value=m.get("rating_value"),  # type: ignore[arg-type]
                    reviewer=m.get("reviewer"),  # type: ignore[arg-type]
                    review_date=reviewed,
                    url=m.get("url"),  # type: ignore[arg-type]
                    claim_author=m.get("claim_author"),  # type: ignore[arg-type]
                    similarity=similarity,
                )
            )
        return out[:MAX_MATCHES]


def open_prior_checks(store: ReferenceStore, threshold: float) -> PriorCheckStore | None:
    """The prior-check store to match claims against, or None when none were ingested."""
    priors = PriorCheckStore.open(store, threshold, create=False)
    return priors if priors is not None and priors.count() > 0 else None
