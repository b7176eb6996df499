"""A collection's content fingerprint: `<count>-<xor of per-chunk-id hashes>`, cheap to update
on every ingest, so any process can tell whether the collection changed."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

FINGERPRINT_KEY = "factcheck:fingerprint"
"""Where the fingerprint is recorded in the collection's metadata."""
EMPTY_FINGERPRINT = "0-0000000000000000"


def _id_hash(chunk_id: str) -> int:
    return int.from_bytes(hashlib.sha256(chunk_id.encode("utf-8")).digest()[:8], "big")


def xor_ids(xor: int, ids: Iterable[str]) -> int:
    """`xor` with the hashes of `ids` folded in (adding and removing are the same step)."""
    for chunk_id in ids:
        xor ^= _id_hash(chunk_id)
    return xor


def format_fingerprint(count: int, xor: int) -> str:
    """`<count>-<xor as 16 hex digits>`."""
    return f"{count}-{xor:016x}"


def parse_fingerprint(value: object) -> tuple[int, int] | None:
    """(count, xor) of a fingerprint string; None when it is not one."""
    if not isinstance(value, str) or "-" not in value:
        return None
    count, _, xor = value.partition("-")
    try:
        return int(count), int(xor, 16)
    except ValueError:
        return None
