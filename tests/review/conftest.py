"""Fixtures of the review-desk tests: a run folder of hostile hand-built results, a store, an
app client that has loaded a page (so it holds a session and a CSRF token)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from factcheck.review.app import create_app
from factcheck.review.runs import RunIndex
from factcheck.review.store import ReviewStore
from tests.reports.report_fixtures import CLAIMS, write_results


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    run = tmp_path / "runs" / "run-1"
    write_results(run / "results.jsonl")
    return run


@pytest.fixture
def store(tmp_path: Path) -> ReviewStore:
    return ReviewStore(tmp_path / "reviews.sqlite")


@pytest.fixture
def index(run_dir: Path) -> RunIndex:
    return RunIndex([run_dir])


@pytest.fixture
def client(index: RunIndex, store: ReviewStore) -> TestClient:
    return TestClient(create_app(index, store), follow_redirects=False)


def result_id(key: str) -> str:
    """The result id of a fixture claim."""
    return f"r-{CLAIMS[key].id}"


def csrf(client: TestClient, path: str) -> str:
    """Load a page and return the CSRF token its form carries."""
    page = client.get(path)
    match = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page.text)
    assert match, page.text[:500]
    return match.group(1)
