"""The HTML report in real headless Chromium: highlights where they belong, nothing injected runs.

The results file is built by hand (no LLM) with `<script>` and `<img onerror>` in the article
text, claim text, rationale and a citation. Chromium's `--dump-dom` gives the DOM after load:
the title must be unchanged (a control page shows this harness does run scripts) and no
element may have been created from input. Also saves a screenshot in the test's tmp dir.
"""

from __future__ import annotations

import re
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from factcheck.io.results import read_results
from factcheck.reports.html import html_report
from tests.reports.report_fixtures import (
    CALM_TEXT,
    CLAIMS,
    HOSTILE_TEXT,
    TITLE,
    VERDICT_OF,
    probe,
    write_results,
)

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CLASS_OF = {
    "SUPPORTED": "v-supported",
    "REFUTED": "v-refuted",
    "CONFLICTING": "v-conflicting",
    "NOT_ENOUGH_EVIDENCE": "v-nee",
}

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs Debian's chromium at /usr/bin/chromium (apt-get install -y chromium)",
    ),
]


def chromium(tmp_path: Path, page: Path, *args: str) -> str:
    """Run headless Chromium on a local page with a fresh profile; returns stdout."""
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    proc = subprocess.run(
        [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *args, page.as_uri()],
        capture_output=True,
        timeout=180,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-2000:]
    return proc.stdout.decode("utf-8")  # bytes: text mode would turn the article's CRLF into LF


@pytest.fixture
def report(tmp_path: Path) -> Path:
    page = tmp_path / "report.html"
    run = read_results(write_results(tmp_path / "results.jsonl"))
    page.write_text(html_report(run), encoding="utf-8")
    return page


def assert_nothing_injected(dom_text: str) -> None:
    dom = probe(dom_text)
    assert dom.title == TITLE, "a script from the input changed the title"
    tags = {tag for tag, _ in dom.tags}
    assert not tags & {"script", "img", "iframe", "object", "embed"}
    for tag, attrs in dom.tags:
        assert not [a for a in attrs if a.startswith("on")], (tag, attrs)


def test_harness_detects_script_execution(tmp_path):
    control = tmp_path / "control.html"
    control.write_text(
        "<!DOCTYPE html><title>before</title><script>document.title='ran'</script>",
        encoding="utf-8",
    )
    assert probe(chromium(tmp_path, control, "--dump-dom")).title == "ran"


def test_highlights_in_the_browser_dom(tmp_path, report):
    dom_text = chromium(tmp_path, report, "--dump-dom")
    assert_nothing_injected(dom_text)
    dom = probe(dom_text)
    assert dom.article_texts == [HOSTILE_TEXT, CALM_TEXT]
    for key, claim in CLAIMS.items():
        assert dom.mark_text[claim.id] == claim.quote, key
        assert CLASS_OF[VERDICT_OF[key]] in dom.mark_classes[claim.id], key


def test_escaping_holds_without_the_content_security_policy(tmp_path, report):
    page = tmp_path / "no-csp.html"
    document = report.read_text(encoding="utf-8")
    stripped = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", document)
    assert stripped != document
    page.write_text(stripped, encoding="utf-8")
    assert_nothing_injected(chromium(tmp_path, page, "--dump-dom"))


def png_info(path: Path) -> tuple[int, int, int]:
    """Width, height and the number of distinct byte values in the decoded image data."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    pos, idat = 8, b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        if data[pos + 4 : pos + 8] == b"IDAT":
            idat += data[pos + 8 : pos + 8 + length]
        pos += 12 + length
    return width, height, len(set(zlib.decompress(idat)))


def test_screenshot(tmp_path, report):
    shot = tmp_path / "report.png"
    chromium(
        tmp_path,
        report,
        f"--screenshot={shot}",
        "--window-size=1280,2000",
        "--hide-scrollbars",
        "--force-device-scale-factor=1",
    )
    assert shot.is_file() and shot.stat().st_size > 20_000
    width, height, distinct = png_info(shot)
    assert (width, height) == (1280, 2000)
    assert distinct > 50  # text, colours and chart: not a blank page
