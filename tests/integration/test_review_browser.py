"""The review desk in real headless Chromium (selenium + Debian's chromedriver): open the queue,
filter it, confirm a claim by keyboard, change a verdict with a note, reload and see it kept,
see the dashboard count it, and check hostile content never runs. Takes the screenshots
review-queue.png and review-claim.png into a temporary directory, or, to refresh the ones the
docs show, into the directory named by FACTCHECK_SCREENSHOTS (``FACTCHECK_SCREENSHOTS=docs``)."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# selenium and uvicorn come with the dev extra: a missing one is an error, not a skip.
import uvicorn
from selenium import webdriver
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from factcheck.review.app import create_app
from factcheck.review.runs import RunIndex
from factcheck.review.security import LOOPBACK_NAMES
from factcheck.review.store import ReviewStore
from tests.reports.report_fixtures import write_results
from tests.review.conftest import result_id
from tests.review.synthetic import write_synthetic

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,1000",
]


pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()),
        reason="needs Debian's chromium and chromium-driver (apt-get install chromium "
        "chromium-driver)",
    ),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[tuple[str, ReviewStore]]:
    """The real server (uvicorn, loopback, free port) over the hostile fixture run and a
    60-claim synthetic run."""
    write_results(tmp_path / "runs" / "hostile" / "results.jsonl")
    write_synthetic(tmp_path / "runs" / "synthetic" / "results.jsonl", 60)
    store = ReviewStore(tmp_path / "runs" / "reviews.sqlite")
    app = create_app(RunIndex([tmp_path / "runs"]), store, allowed_hosts=LOOPBACK_NAMES)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", store
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in [*FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]:
        options.add_argument(flag)
    service = webdriver.ChromeService(executable_path=str(CHROMEDRIVER))
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def keys(driver: webdriver.Chrome, text: str) -> None:
    ActionChains(driver).send_keys(text).perform()


def wait_for(
    driver: webdriver.Chrome, condition: Callable[[webdriver.Chrome], object], timeout: float = 20
) -> object:
    """Wait until `condition(driver)` is truthy."""
    return WebDriverWait(driver, timeout).until(condition)


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    """Where screenshots go: FACTCHECK_SCREENSHOTS when set (to refresh the docs' images), else
    a temporary directory, so a test run never changes tracked files."""
    chosen = os.environ.get("FACTCHECK_SCREENSHOTS")
    return Path(chosen) if chosen else tmp_path


def save_screenshot(browser: webdriver.Chrome, path: Path) -> None:
    """Save the page as PNG and check a PNG was written."""
    assert browser.save_screenshot(str(path)), f"chromium did not save {path}"
    assert path.read_bytes()[:8] == PNG_SIGNATURE


def test_review_desk_in_chromium(
    desk: tuple[str, ReviewStore], browser: webdriver.Chrome, screenshots: Path
) -> None:
    base, store = desk

    # the queue, filtered with the form
    browser.get(base + "/")
    rows = browser.find_elements(By.CSS_SELECTOR, "tr.row")
    assert len(rows) == 50  # first page of 66
    Select(browser.find_element(By.NAME, "verdict")).select_by_value("REFUTED")
    browser.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]").click()
    wait_for(browser, lambda d: "verdict=REFUTED" in d.current_url)
    verdicts = {e.text for e in browser.find_elements(By.CSS_SELECTOR, "tr.row .verdict")}
    assert verdicts == {"REFUTED"}
    filtered_ids = [
        e.get_attribute("data-id") for e in browser.find_elements(By.CSS_SELECTOR, "tr.row")
    ]

    # keyboard: j selects the first row, Enter opens it, c confirms and moves on
    keys(browser, "j")
    assert "selected" in browser.find_element(By.CSS_SELECTOR, "tr.row").get_attribute("class")
    keys(browser, "\n")
    wait_for(browser, lambda d: "/claim/" in d.current_url)
    first = filtered_ids[0]
    assert f"/claim/{first}" in browser.current_url
    browser.find_element(By.ID, "reviewer").send_keys("Ana Reviewer")
    keys(browser, "\ue00c")  # Escape leaves the field
    keys(browser, "c")
    wait_for(browser, lambda d: f"/claim/{filtered_ids[1]}" in d.current_url)
    confirmed = store.get(first)
    assert confirmed is not None and confirmed.verdict.value == "REFUTED"
    assert confirmed.reviewer == "Ana Reviewer"

    # change a verdict with a note: v focuses the verdict list
    second = filtered_ids[1]
    assert browser.find_element(By.ID, "reviewer").get_attribute("value") == "Ana Reviewer"
    keys(browser, "v")
    assert browser.switch_to.active_element.get_attribute("id") == "verdict"
    Select(browser.find_element(By.ID, "verdict")).select_by_value("NOT_ENOUGH_EVIDENCE")
    browser.find_element(By.ID, "note").send_keys("The bulletin does not give this figure.")
    browser.find_element(By.ID, "save").click()
    wait_for(browser, lambda d: "saved=1" in d.current_url)
    assert "Review saved." in browser.page_source

    # reload: persisted
    browser.refresh()
    current = browser.find_element(By.CSS_SELECTOR, "p.current").text
    assert "NOT_ENOUGH_EVIDENCE" in current and "Ana Reviewer" in current
    note = browser.find_element(By.ID, "note").get_attribute("value")
    assert note == "The bulletin does not give this figure."
    assert store.get(second).verdict.value == "NOT_ENOUGH_EVIDENCE"  # type: ignore[union-attr]
    keys(browser, "e")
    assert browser.switch_to.active_element.get_attribute("id") == "evidence"
    browser.execute_script("window.scrollTo(0, 0)")
    save_screenshot(browser, screenshots / "review-claim.png")

    # dashboard
    browser.get(base + "/dashboard")
    assert "2 of 66 claims reviewed" in browser.find_element(By.CSS_SELECTOR, "p.counts").text
    refuted = browser.find_element(By.XPATH, "//table[@class='agreement']//tr[td='REFUTED']")
    assert [c.text for c in refuted.find_elements(By.TAG_NAME, "td")][2:] == ["2", "1", "50%"]

    # hostile content stays inert in a real browser
    browser.get(f"{base}/claim/{result_id('injected')}")
    assert browser.title.startswith("Claim ")
    assert "pwned" not in browser.title
    assert browser.find_elements(By.CSS_SELECTOR, "main img") == []
    assert browser.find_elements(By.CSS_SELECTOR, "main script") == []
    keys(browser, "?")
    assert browser.find_element(By.ID, "help").is_displayed()

    browser.get(base + "/?verdict=REFUTED")
    assert "unreviewed 64" in browser.find_element(By.CSS_SELECTOR, "p.counts").text
    save_screenshot(browser, screenshots / "review-queue.png")
