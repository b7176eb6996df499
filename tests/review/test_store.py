"""The review store: WAL, audit log, optimistic concurrency, reviews surviving re-runs."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from pathlib import Path

import pytest

from factcheck.models import Verdict
from factcheck.review.queue import status_of
from factcheck.review.runs import RunIndex, default_db_path
from factcheck.review.store import ReviewConflict, ReviewInput, ReviewStore
from tests.reports.report_fixtures import write_results
from tests.review.conftest import result_id


def test_database_is_in_wal_mode(store: ReviewStore) -> None:
    assert store.journal_mode() == "wal"


def test_save_then_change_is_audited_field_by_field(store: ReviewStore) -> None:
    first = store.save(
        "r1",
        ReviewInput(verdict=Verdict.SUPPORTED, reviewer="ana", rationale="ok"),
        expected_version=0,
    )
    assert first.version == 1
    second = store.save(
        "r1",
        ReviewInput(
            verdict=Verdict.REFUTED,
            reviewer="ben",
            rationale="ok",
            note="see p2",
            ready_to_publish=True,
        ),
        expected_version=1,
    )
    assert second.version == 2
    assert store.get("r1") == second
    log = [(a.reviewer, a.field, a.before, a.after) for a in store.audit("r1")]
    assert log[:2] == [("ana", "verdict", None, "SUPPORTED"), ("ana", "rationale", None, "ok")]
    assert ("ben", "verdict", "SUPPORTED", "REFUTED") in log
    assert ("ben", "note", "", "see p2") in log
    assert ("ben", "ready_to_publish", "no", "yes") in log
    assert not any(f == "rationale" for who, f, _, _ in log if who == "ben")


def test_resaving_unchanged_review_logs_a_confirmation(store: ReviewStore) -> None:
    review = ReviewInput(verdict=Verdict.SUPPORTED, reviewer="ana")
    store.save("r1", review, expected_version=0)
    store.save("r1", review, expected_version=1)
    assert store.audit("r1")[-1].field == "confirmed"


def test_stale_write_is_a_conflict_not_an_overwrite(store: ReviewStore) -> None:
    store.save("r1", ReviewInput(verdict=Verdict.SUPPORTED, reviewer="ana"), expected_version=0)
    with pytest.raises(ReviewConflict, match="ana") as caught:
        store.save("r1", ReviewInput(verdict=Verdict.REFUTED, reviewer="ben"), expected_version=0)
    assert "not saved" in str(caught.value)
    current = store.get("r1")
    assert current is not None and current.verdict is Verdict.SUPPORTED
    assert current.version == 1
    assert all(a.reviewer == "ana" for a in store.audit("r1"))


def test_concurrent_writers_from_one_version_exactly_one_wins(tmp_path: Path) -> None:
    path = tmp_path / "reviews.sqlite"
    ReviewStore(path)
    outcomes: list[str] = []
    barrier = threading.Barrier(8)

    def write(n: int) -> None:
        store = ReviewStore(path)  # each writer its own connection, as separate processes
        barrier.wait()
        try:
            store.save(
                "r1", ReviewInput(verdict=Verdict.REFUTED, reviewer=f"w{n}"), expected_version=0
            )
            outcomes.append("saved")
        except ReviewConflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict"] * 7 + ["saved"]
    assert ReviewStore(path).get("r1").version == 1  # type: ignore[union-attr]


def test_audit_log_is_append_only(store: ReviewStore) -> None:
    store.save("r1", ReviewInput(verdict=Verdict.SUPPORTED, reviewer="ana"), expected_version=0)
    conn = sqlite3.connect(store.path)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("UPDATE audit_log SET reviewer = 'eve'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("DELETE FROM audit_log")
    conn.close()


def test_reviewer_is_required(store: ReviewStore) -> None:
    with pytest.raises(ValueError, match="reviewer"):
        store.save("r1", ReviewInput(verdict=Verdict.SUPPORTED, reviewer="  "), expected_version=0)


def test_rerun_keeps_reviews_and_results_files_are_untouched(
    tmp_path: Path, run_dir: Path, store: ReviewStore
) -> None:
    results = run_dir / "results.jsonl"
    digest = hashlib.sha256(results.read_bytes()).hexdigest()
    rid = result_id("injected")
    store.save(rid, ReviewInput(verdict=Verdict.REFUTED, reviewer="ana"), expected_version=0)
    rerun = write_results(tmp_path / "runs" / "run-2" / "results.jsonl")
    index = RunIndex([tmp_path / "runs"])
    assert len(index.files) == 2 and len(index.rows) == 6  # same ids: one row each
    row = index.by_id[rid]
    assert index.files[row.file] == rerun
    assert status_of(row, store.summaries().get(rid)) == "confirmed"
    assert hashlib.sha256(results.read_bytes()).hexdigest() == digest


def test_default_db_is_beside_the_first_run(run_dir: Path) -> None:
    assert default_db_path([run_dir]) == run_dir.parent.resolve() / "reviews.sqlite"
    assert default_db_path([run_dir / "results.jsonl"]) == default_db_path([run_dir])
