"""Render a results file as the HTML report and screenshot it with headless Chromium.

    python docs/make_screenshot.py RESULTS.jsonl OUT.png [--width 1000] [--height 1500]

Needs Debian's `chromium` (/usr/bin/chromium, or pass --chromium). Writes OUT.png and, beside it,
nothing else: the HTML goes to a temporary folder.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

# Run from a source checkout without installing: import this checkout's factcheck.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from factcheck.io.results import read_results
from factcheck.reports.html import html_report

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
]


def screenshot(
    html_path: Path, png: Path, *, width: int, height: int, chromium: str = CHROMIUM
) -> None:
    """Screenshot a local HTML file at the given window size (raises if Chromium fails)."""
    with tempfile.TemporaryDirectory(prefix="factcheck-chromium-") as profile:
        subprocess.run(
            [
                chromium,
                *FLAGS,
                f"--user-data-dir={profile}",
                f"--window-size={width},{height}",
                f"--screenshot={png.resolve()}",
                html_path.resolve().as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    if not png.is_file():
        raise RuntimeError(f"Chromium wrote no screenshot to {png}")


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path, help="a results.jsonl file")
    parser.add_argument("out", type=Path, help="the PNG to write")
    parser.add_argument("--width", type=int, default=1000)
    parser.add_argument("--height", type=int, default=1500)
    parser.add_argument("--chromium", default=CHROMIUM)
    args = parser.parse_args(argv)
    document = html_report(read_results(args.results))
    with tempfile.TemporaryDirectory(prefix="factcheck-report-") as tmp:
        page = Path(tmp) / "report.html"
        page.write_text(document, encoding="utf-8")
        args.out.parent.mkdir(parents=True, exist_ok=True)
        screenshot(page, args.out, width=args.width, height=args.height, chromium=args.chromium)
    print(f"{args.out}: {args.out.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
