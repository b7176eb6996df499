"""The review desk over HTTP (starlette TestClient): queue filters, sorting and pagination,
review POSTs, CSRF and Origin checks, escaping of hostile content, headers and the token."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from factcheck.models import Verdict
from factcheck.review.app import create_app
from factcheck.review.runs import RunIndex
from factcheck.review.store import ReviewInput, ReviewStore
from tests.reports.report_fixtures import CLAIMS, IMG, SCRIPT, probe
from tests.review.conftest import csrf, result_id
from tests.review.synthetic import write_synthetic

ROW = re.compile(r'<tr class="row" data-id="([^"]+)"')


def ids(html: str) -> list[str]:
    return ROW.findall(html)


def review_form(client: TestClient, rid: str, **fields: str) -> dict[str, str]:
    form = {
        "csrf_token": csrf(client, f"/claim/{rid}"),
        "version": "0",
        "reviewer": "Ana",
        "verdict": "REFUTED",
        "rationale": "Checked by hand.",
        "rating": "False",
        "note": "",
        "action": "change",
    }
    return form | fields


# --- queue -----------------------------------------------------------------------------------


def test_queue_lists_every_claim_with_status_counts(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert sorted(ids(page.text)) == sorted(result_id(k) for k in CLAIMS)
    assert re.search(r"unreviewed <b>6</b>", page.text)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("verdict=REFUTED", ["injected"]),
        ("verdict=SUPPORTED&article=trade", ["calm"]),
        ("publisher=trade+daily", ["calm"]),
        ("conf_min=0.9", []),
        ("conf_min=0.5&conf_max=0.8", list(CLAIMS)),
        ("cw_min=0.95", []),
        ("verifier=llm&verdict=CONFLICTING", ["nested"]),
        ("conf_min=nonsense&verdict=CONFLICTING", ["nested"]),
    ],
)
def test_queue_filters(client: TestClient, query: str, expected: list[str]) -> None:
    assert sorted(ids(client.get(f"/?{query}").text)) == sorted(result_id(k) for k in expected)


def test_status_filters_follow_reviews(client: TestClient, store: ReviewStore) -> None:
    store.save(result_id("outer"), ReviewInput(Verdict.SUPPORTED, "ana"), expected_version=0)
    store.save(
        result_id("calm"),
        ReviewInput(Verdict.REFUTED, "ben", ready_to_publish=True),
        expected_version=0,
    )
    assert ids(client.get("/?status=confirmed").text) == [result_id("outer")]
    assert ids(client.get("/?status=changed").text) == [result_id("calm")]
    assert ids(client.get("/?status=ready").text) == [result_id("calm")]
    assert len(ids(client.get("/?status=unreviewed").text)) == 4
    store.save("a-result-of-another-run", ReviewInput(Verdict.REFUTED, "ana"), expected_version=0)
    counts = client.get("/").text
    assert re.search(r"changed <b>1</b>", counts) and re.search(r"confirmed <b>1</b>", counts)
    assert re.search(r"unreviewed <b>4</b>", counts) and re.search(r"ready <b>1</b>", counts)


def test_queue_sorts_and_paginates_50_per_page(tmp_path: Path, store: ReviewStore) -> None:
    write_synthetic(tmp_path / "big" / "results.jsonl", 120)
    client = TestClient(create_app(RunIndex([tmp_path / "big"]), store))
    first, third = client.get("/").text, client.get("/?page=3").text
    assert len(ids(first)) == 50 and len(ids(third)) == 20
    assert "page 1 of 3" in first and 'rel="next"' in first and 'rel="next"' not in third
    assert ids(client.get("/?page=99").text) == ids(third)  # clamped to the last page
    everything = [i for p in (1, 2, 3) for i in ids(client.get(f"/?page={p}").text)]
    assert len(set(everything)) == 120
    index = RunIndex([tmp_path / "big"])
    confidence = {r.id: r.confidence for r in index.rows}
    desc = ids(client.get("/?sort=confidence&order=desc").text)
    assert [confidence[i] for i in desc] == sorted(confidence.values(), reverse=True)[:50]
    only = ids(client.get("/?verdict=REFUTED&sort=checkworthiness").text)
    assert all(index.by_id[i].verdict == "REFUTED" for i in only) and len(only) == 30


# --- claim page and review form --------------------------------------------------------------


def test_claim_page_shows_what_factcheck_show_prints(client: TestClient) -> None:
    page = client.get(f"/claim/{result_id('calm')}").text
    doc = probe(page)
    marks = [a for t, a in doc.tags if t == "mark" and a.get("class") == "claim-mark"]
    assert len(marks) == 1
    assert "The USMCA joint review is due on 1 July 2026" in page
    for fact in (
        "hand-written-test",
        "ve456",
        "fp-0123abcd",
        "dense rank 1",
        "lexical unranked",
        "chunk-1",
        "2026-01-12",
        "Trade Daily",
    ):
        assert fact in page


def test_cited_words_are_highlighted_in_their_passage(tmp_path: Path, store: ReviewStore) -> None:
    write_synthetic(tmp_path / "s" / "results.jsonl", 3)
    client = TestClient(create_app(RunIndex([tmp_path / "s"]), store))
    page = client.get("/claim/syn-1").text
    cited = re.findall(r'<mark class="cited">([^<]*)</mark>', page)
    assert cited == ["In 2001 the city of Sample 0 r"]


def test_unknown_claim_is_404(client: TestClient) -> None:
    assert client.get("/claim/nope").status_code == 404


def test_review_post_persists_and_is_audited(client: TestClient, store: ReviewStore) -> None:
    rid = result_id("injected")
    form = review_form(
        client, rid, verdict="SUPPORTED", note="checked the ministry note", ready_to_publish="on"
    )
    response = client.post(f"/claim/{rid}/review", data=form)
    assert response.status_code == 303
    assert response.headers["location"] == f"/claim/{rid}?saved=1"
    assert client.cookies.get("fc_reviewer") == "Ana"
    review = store.get(rid)
    assert review is not None
    assert (review.verdict, review.reviewer, review.rating, review.ready_to_publish) == (
        Verdict.SUPPORTED,
        "Ana",
        "False",
        True,
    )
    assert {a.field for a in store.audit(rid)} >= {"verdict", "note", "ready_to_publish"}
    page = client.get(f"/claim/{rid}?saved=1").text
    assert "Review saved." in page and 'value="Ana"' in page and "version 1" in page
    assert "changed <b>1</b>" in client.get("/").text


def test_confirm_keeps_the_machine_verdict_and_can_advance(
    client: TestClient, store: ReviewStore
) -> None:
    rid = result_id("outer")
    form = review_form(client, rid, action="confirm", verdict="REFUTED", advance="1")
    response = client.post(f"/claim/{rid}/review?status=unreviewed", data=form)
    assert response.status_code == 303
    assert "/claim/" in response.headers["location"]
    assert rid not in response.headers["location"]  # moved on to the next unreviewed claim
    assert store.get(rid).verdict is Verdict.SUPPORTED  # type: ignore[union-attr]


def test_stale_form_gets_a_conflict_message(client: TestClient, store: ReviewStore) -> None:
    rid = result_id("calm")
    store.save(rid, ReviewInput(Verdict.REFUTED, "ben"), expected_version=0)
    response = client.post(f"/claim/{rid}/review", data=review_form(client, rid, version="0"))
    assert response.status_code == 409
    assert "changed by ben" in response.text and "not saved" in response.text
    assert store.get(rid).reviewer == "ben"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"reviewer": "  "}, "Enter your name"),
        ({"verdict": "TRUE-ISH"}, "Pick a verdict"),
        ({"rating": "<b>made up</b>"}, "Pick a rating label"),
    ],
)
def test_invalid_reviews_are_refused(
    client: TestClient, store: ReviewStore, fields: dict[str, str], message: str
) -> None:
    rid = result_id("calm")
    response = client.post(f"/claim/{rid}/review", data=review_form(client, rid, **fields))
    assert response.status_code == 400 and message in response.text
    assert "<b>made up</b>" not in response.text
    assert store.get(rid) is None


# --- CSRF, Origin, headers, token ----------------------------------------------------------


@pytest.mark.parametrize("token", [None, "", "0" * 64])
def test_post_without_the_right_csrf_token_is_403(
    client: TestClient, store: ReviewStore, token: str | None
) -> None:
    rid = result_id("calm")
    form = review_form(client, rid)
    if token is None:
        del form["csrf_token"]
    else:
        form["csrf_token"] = token
    assert client.post(f"/claim/{rid}/review", data=form).status_code == 403
    assert store.get(rid) is None


def test_csrf_token_of_another_session_is_403(
    client: TestClient, index: RunIndex, store: ReviewStore
) -> None:
    rid = result_id("calm")
    form = review_form(client, rid)
    other = TestClient(client.app, follow_redirects=False)
    other.get("/")
    assert other.post(f"/claim/{rid}/review", data=form).status_code == 403
    assert store.get(rid) is None


@pytest.mark.parametrize(
    "headers",
    [
        {"origin": "https://evil.example"},
        {"origin": "null"},
        {"sec-fetch-site": "cross-site"},
        {"sec-fetch-site": "same-site", "origin": "http://testserver"},
    ],
)
def test_cross_origin_post_is_403(
    client: TestClient, store: ReviewStore, headers: dict[str, str]
) -> None:
    rid = result_id("calm")
    form = review_form(client, rid)
    assert client.post(f"/claim/{rid}/review", data=form, headers=headers).status_code == 403
    assert store.get(rid) is None
    chromium = {"origin": "null", "sec-fetch-site": "same-origin"}  # no-referrer policy
    assert client.post(f"/claim/{rid}/review", data=form, headers=chromium).status_code == 303


def test_security_headers_on_every_response(client: TestClient) -> None:
    for path in ("/", f"/claim/{result_id('calm')}", "/dashboard", "/static/review.js", "/x"):
        headers = client.get(path).headers
        csp = headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"


def test_token_is_required_on_every_request(index: RunIndex, store: ReviewStore) -> None:
    token = "t" * 32
    client = TestClient(create_app(index, store, token=token), follow_redirects=False)
    for path in ("/", "/dashboard", "/static/review.css", f"/claim/{result_id('calm')}"):
        assert client.get(path).status_code == 401
    assert client.get("/?token=wrong").status_code == 403
    response = client.get(f"/?token={token}&verdict=REFUTED")
    assert response.status_code == 303 and response.headers["location"] == "/?verdict=REFUTED"
    assert client.get("/").status_code == 200  # the cookie now carries it
    assert token not in (client.cookies.get("fc_token") or "")


def test_unknown_host_is_refused_when_hosts_are_pinned(index: RunIndex, store: ReviewStore) -> None:
    app = create_app(index, store, allowed_hosts=frozenset({"127.0.0.1", "localhost"}))
    assert TestClient(app).get("/").status_code == 400
    assert TestClient(app, base_url="http://127.0.0.1:8765").get("/").status_code == 200


# --- hostile content ------------------------------------------------------------------------


def assert_inert(page: str) -> None:
    doc = probe(page)
    scripts = [a for t, a in doc.tags if t == "script"]
    assert scripts == [{"src": "/static/review.js", "defer": None}]
    assert not [t for t, _ in doc.tags if t == "img"]
    for _, attrs in doc.tags:
        assert not any(name.startswith("on") for name in attrs)
        href = attrs.get("href") or ""
        assert not href.lower().startswith("javascript:")
        if href and not href.startswith(("/", "#")):
            assert href.startswith(("http://", "https://"))
    assert SCRIPT not in page and IMG not in page


def test_hostile_content_is_escaped_everywhere(client: TestClient, store: ReviewStore) -> None:
    rid = result_id("injected")
    store.save(
        rid,
        ReviewInput(Verdict.REFUTED, f"eve {SCRIPT}", rationale=IMG, note=f'"><{SCRIPT}'),
        expected_version=0,
    )
    pages = [client.get("/").text, client.get("/dashboard").text]
    pages += [client.get(f"/claim/{result_id(k)}").text for k in CLAIMS]
    for page in pages:
        assert_inert(page)
    claim_page = client.get(f"/claim/{rid}").text
    assert "&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;" in claim_page
    assert "javascript:document.title" in claim_page  # shown as text, never as a link
    assert 'href="javascript' not in claim_page.lower()


def test_article_text_keeps_the_quote_at_its_offsets(client: TestClient) -> None:
    doc = probe(client.get(f"/claim/{result_id('injected')}").text)
    marked = [a for t, a in doc.tags if t == "mark" and a.get("class") == "claim-mark"]
    assert len(marked) == 1
    assert CLAIMS["injected"].quote in client.get(f"/claim/{result_id('injected')}").text.replace(
        "&lt;", "<"
    ).replace("&gt;", ">").replace("&#34;", '"').replace("&#39;", "'")


# --- dashboard ------------------------------------------------------------------------------


def test_dashboard_counts_agreement(client: TestClient, store: ReviewStore) -> None:
    store.save(result_id("outer"), ReviewInput(Verdict.SUPPORTED, "ana"), expected_version=0)
    store.save(result_id("calm"), ReviewInput(Verdict.REFUTED, "ana"), expected_version=0)
    page = client.get("/dashboard").text
    assert "2 of 6 claims reviewed" in page
    row = re.search(r"<tr><td>SUPPORTED</td>(.*?)</tr>", page)
    assert row is not None
    assert re.findall(r'class="num">([^<]*)<', row.group(1)) == ["3", "2", "1", "50%"]
    assert "hand-written-test · verify prompt ve456" in page


def test_queue_is_served_from_the_startup_index(client: TestClient, run_dir: Path) -> None:
    """The queue and dashboard never re-read results files (only a claim page reads its line)."""
    (run_dir / "results.jsonl").rename(run_dir / "moved.jsonl")
    assert len(ids(client.get("/").text)) == len(CLAIMS)
    assert client.get("/?verdict=REFUTED&sort=confidence").status_code == 200
    assert client.get("/dashboard").status_code == 200
