"""A real HTTP server on 127.0.0.1 for fetch tests: a news page, a PDF, plain text, a 404, a
500, a redirect loop, a redirect that resolves, huge pages (declared and streamed), an image
and a page that answers too slowly. `serve` runs it for the length of a `with` block."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

NEWS_PAGE = (Path(__file__).parent / "data" / "news-page.html").read_bytes()
HUGE_BYTES = 3_000_000
SLOW_SECONDS = 3.0


class Handler(BaseHTTPRequestHandler):
    """Routes by path; see the module docstring."""

    pdf: bytes = b""

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet."""

    def do_GET(self) -> None:
        """Answer one GET."""
        # the client may stop reading (size cap, timeout): expected
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._route()

    def _route(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/news":
            self._send(200, "text/html; charset=utf-8", NEWS_PAGE)
        elif path == "/report.pdf":
            self._send(200, "application/pdf", self.pdf)
        elif path == "/notes.txt":
            self._send(200, "text/plain; charset=utf-8", b"Exports rose 4% in March.")
        elif path == "/moved":
            self._redirect("/news?from=moved")
        elif path == "/loop-a":
            self._redirect("/loop-b")
        elif path == "/loop-b":
            self._redirect("/loop-a")
        elif path == "/huge-declared":
            self._send(200, "text/html", b"<p>" + b"x" * HUGE_BYTES + b"</p>")
        elif path == "/huge-streamed":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()  # no Content-Length: the body ends when the connection closes
            for _ in range(HUGE_BYTES // 10_000):
                self.wfile.write(b"<p>" + b"y" * 10_000 + b"</p>")
        elif path == "/logo.png":
            self._send(200, "image/png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
        elif path == "/broken":
            self._send(500, "text/html", b"<h1>Internal Server Error</h1>")
        elif path == "/slow":
            time.sleep(SLOW_SECONDS)
            self._send(200, "text/html", b"<p>late</p>")
        else:
            self._send(404, "text/html", b"<h1>Not found</h1>")

    def _send(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()


@contextlib.contextmanager
def serve(tmp_path: Path) -> Iterator[str]:
    """Run the server; yields its base URL (http://127.0.0.1:PORT). The PDF it serves is the
    3-page report of `tests.io.documents`."""
    from tests.io.documents import make_pdf

    handler = type("BoundHandler", (Handler,), {"pdf": make_pdf(tmp_path / "r.pdf").read_bytes()})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
