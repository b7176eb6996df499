"""Reviews in one SQLite file: the current review of each result and an append-only audit log.

Reviews are keyed by result id (stable across re-runs and resumes), so results files are never
touched. Writes run in `BEGIN IMMEDIATE` transactions and use optimistic concurrency: a form
carries the `version` it was edited from, and a write against a newer version raises
`ReviewConflict` instead of silently overwriting another reviewer's work.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from factcheck.models import Verdict

SCHEMA = """
CREATE TABLE IF NOT EXISTS reviews (
    result_id TEXT PRIMARY KEY,
    verdict TEXT NOT NULL,
    rationale TEXT NOT NULL DEFAULT '',
    rating TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    ready_to_publish INTEGER NOT NULL DEFAULT 0,
    reviewer TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    result_id TEXT NOT NULL,
    reviewer TEXT NOT NULL,
    at TEXT NOT NULL,
    field TEXT NOT NULL,
    before TEXT,
    after TEXT
);
CREATE INDEX IF NOT EXISTS audit_log_result ON audit_log (result_id, id);
CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"""

FIELDS = ("verdict", "rationale", "rating", "note", "ready_to_publish")
"""The reviewed fields, in audit-log order."""


class ReviewConflict(Exception):
    """The review changed since the form was loaded (another tab or reviewer saved first)."""

    def __init__(self, current: Review | None, expected: int) -> None:
        self.current = current
        self.expected = expected
        who = f"by {current.reviewer} at {current.updated_at}" if current else "elsewhere"
        super().__init__(
            f"This claim's review was changed {who} while you were editing "
            f"(you edited version {expected}, it is now version "
            f"{current.version if current else 0}). Your changes were not saved: "
            "look at the current review, then submit again."
        )


@dataclass(frozen=True)
class ReviewInput:
    """What a reviewer submits."""

    verdict: Verdict
    reviewer: str
    rationale: str = ""
    rating: str = ""
    note: str = ""
    ready_to_publish: bool = False


@dataclass(frozen=True)
class Review:
    """The current review of one result."""

    result_id: str
    verdict: Verdict
    rationale: str
    rating: str
    note: str
    ready_to_publish: bool
    reviewer: str
    updated_at: str
    version: int


@dataclass(frozen=True)
class AuditEntry:
    """One changed field of one save."""

    result_id: str
    reviewer: str
    at: str
    field: str
    before: str | None
    after: str | None


def _review(row: sqlite3.Row) -> Review:
    return Review(
        result_id=row["result_id"],
        verdict=Verdict(row["verdict"]),
        rationale=row["rationale"],
        rating=row["rating"],
        note=row["note"],
        ready_to_publish=bool(row["ready_to_publish"]),
        reviewer=row["reviewer"],
        updated_at=row["updated_at"],
        version=row["version"],
    )


def _text(review: Review | None, field: str) -> str | None:
    if review is None:
        return None
    value = getattr(review, field)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


class ReviewStore:
    """A SQLite review database (WAL mode); safe to share between threads and processes."""

    def __init__(self, path: Path, *, timeout: float = 10.0) -> None:
        self.path = Path(path)
        self.timeout = timeout
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
        try:
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA synchronous=NORMAL")
            yield conn
        finally:
            conn.close()

    def journal_mode(self) -> str:
        """The database's journal mode (`wal`)."""
        with self._connect() as conn:
            return str(conn.execute("PRAGMA journal_mode").fetchone()[0])

    def get(self, result_id: str) -> Review | None:
        """The current review of a result, if any."""
        with self._connect() as conn:
            row = conn.execute("SELECT * FROM reviews WHERE result_id = ?", (result_id,)).fetchone()
        return _review(row) if row else None

    def all(self) -> dict[str, Review]:
        """Every current review, by result id."""
        with self._connect() as conn:
            rows = conn.execute("SELECT * FROM reviews").fetchall()
        return {row["result_id"]: _review(row) for row in rows}

    def summaries(self) -> dict[str, ReviewSummary]:
        """Verdict, ready flag and reviewer of every review (one light query)."""
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT result_id, verdict, ready_to_publish, reviewer FROM reviews"
            ).fetchall()
        return {r[0]: ReviewSummary(r[1], bool(r[2]), r[3]) for r in rows}

    def audit(self, result_id: str | None = None) -> list[AuditEntry]:
        """Audit-log entries (of one result, or all), oldest first."""
        query = "SELECT * FROM audit_log"
        params: tuple[str, ...] = ()
        if result_id is not None:
            query += " WHERE result_id = ?"
            params = (result_id,)
        with self._connect() as conn:
            rows = conn.execute(query + " ORDER BY id", params).fetchall()
        return [
            AuditEntry(
                result_id=r["result_id"],
                reviewer=r["reviewer"],
                at=r["at"],
                field=r["field"],
                before=r["before"],
                after=r["after"],
            )
            for r in rows
        ]

    def save(self, result_id: str, review: ReviewInput, *, expected_version: int) -> Review:
        """Save a review edited from `expected_version` (0: there was none) and log each
        changed field. Raises `ReviewConflict` when the stored version differs."""
        reviewer = review.reviewer.strip()
        if not reviewer:
            raise ValueError("a reviewer name is required")
        now = datetime.now(UTC).isoformat(timespec="milliseconds")
        with self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                row = conn.execute(
                    "SELECT * FROM reviews WHERE result_id = ?", (result_id,)
                ).fetchone()
                before = _review(row) if row else None
                current_version = before.version if before else 0
                if current_version != expected_version:
                    raise ReviewConflict(before, expected_version)
                after = Review(
                    result_id=result_id,
                    verdict=Verdict(review.verdict),
                    rationale=review.rationale,
                    rating=review.rating,
                    note=review.note,
                    ready_to_publish=review.ready_to_publish,
                    reviewer=reviewer,
                    updated_at=now,
                    version=current_version + 1,
                )
                conn.execute(
                    "INSERT INTO reviews (result_id, verdict, rationale, rating, note, "
                    "ready_to_publish, reviewer, updated_at, version) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (result_id) DO UPDATE SET verdict = excluded.verdict, "
                    "rationale = excluded.rationale, rating = excluded.rating, "
                    "note = excluded.note, ready_to_publish = excluded.ready_to_publish, "
                    "reviewer = excluded.reviewer, updated_at = excluded.updated_at, "
                    "version = excluded.version",
                    (
                        result_id,
                        after.verdict.value,
                        after.rationale,
                        after.rating,
                        after.note,
                        int(after.ready_to_publish),
                        after.reviewer,
                        after.updated_at,
                        after.version,
                    ),
                )
                changes = [
                    (f, _text(before, f), _text(after, f))
                    for f in FIELDS
                    if _text(before, f) != _text(after, f)
                ]
                if not changes:
                    changes = [("confirmed", None, _text(after, "verdict"))]
                conn.executemany(
                    "INSERT INTO audit_log (result_id, reviewer, at, field, before, after) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    [(result_id, reviewer, now, f, b, a) for f, b, a in changes],
                )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return after


@dataclass(frozen=True, slots=True)
class ReviewSummary:
    """What the queue and the dashboard need of a review."""

    verdict: str
    ready_to_publish: bool
    reviewer: str
