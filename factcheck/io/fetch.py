"""Fetching web pages and PDFs over HTTP(S), one URL at a time, with hard limits.

`fetch` never raises for a bad URL: it returns a `Fetched` response or an `InputError` that
names the URL, says what went wrong (status, timeout, redirect loop, size cap, content type)
and how to fix it, so one bad URL never stops a batch. Limits (`FetchSettings`, mapped from
the `FACTCHECK_FETCH_*` settings): http and https only; connect and read timeouts plus a
deadline for the whole download; at most `max_redirects` redirects; the body is streamed and
reading stops at `max_bytes`. Only HTML, PDF and plain-text responses are accepted.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx

from factcheck import __version__
from factcheck.errors import InputError

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
PDF_TYPES = frozenset({"application/pdf", "application/x-pdf"})
TEXT_TYPES = frozenset({"text/plain", "text/markdown"})
_ACCEPT = "text/html,application/xhtml+xml,application/pdf;q=0.9,text/plain;q=0.8"
_URL_RE = re.compile(r"^https?://", re.IGNORECASE)


@dataclass(frozen=True)
class FetchSettings:
    """Limits for fetching a URL (see `.env.example` for the matching settings)."""

    connect_timeout: float = 10.0
    """Seconds to wait for a connection."""
    timeout: float = 30.0
    """Seconds to wait for any read, and for the whole download."""
    max_bytes: int = 20_000_000
    """Largest response body read; reading stops there."""
    max_redirects: int = 5
    user_agent: str = f"factcheck/{__version__} (+reference-ingest)"


@dataclass(frozen=True)
class Fetched:
    """A successful response: where it ended up, when, what type, and its body."""

    url: str
    """The URL as given."""
    final_url: str
    """The URL after redirects."""
    status: int
    content_type: str
    """The media type, lower case, without parameters (e.g. `text/html`)."""
    charset: str | None
    body: bytes
    retrieved: datetime

    @property
    def kind(self) -> str:
        """`html`, `pdf` or `text`."""
        if self.content_type in PDF_TYPES:
            return "pdf"
        return "text" if self.content_type in TEXT_TYPES else "html"


def is_url(value: object) -> bool:
    """Whether `value` is a string that starts with http:// or https://."""
    return isinstance(value, str) and bool(_URL_RE.match(value.strip()))


def make_client(settings: FetchSettings) -> httpx.Client:
    """An HTTP client with the timeouts, redirect limit and user agent of `settings`."""
    return httpx.Client(
        follow_redirects=True,
        max_redirects=settings.max_redirects,
        timeout=httpx.Timeout(settings.timeout, connect=settings.connect_timeout),
        headers={"User-Agent": settings.user_agent, "Accept": _ACCEPT},
    )


def fetch(url: str, settings: FetchSettings, client: httpx.Client) -> Fetched | InputError:
    """GET `url` within the limits of `settings`; the response or an error naming the URL."""
    url = url.strip()
    scheme = urlsplit(url).scheme.lower()
    if scheme not in ("http", "https"):
        return InputError(
            f"only http and https URLs can be fetched, not {scheme or 'a bare name'!r}; give "
            "an http(s) URL, or a local path without a scheme",
            source=url,
        )
    try:
        with client.stream("GET", url) as response:
            return _read(url, response, settings)
    except httpx.TooManyRedirects:
        return InputError(
            f"more than {settings.max_redirects} redirects (a redirect loop?); open the URL in a "
            "browser to see where it leads, give the final URL, or raise "
            "FACTCHECK_FETCH_MAX_REDIRECTS",
            source=url,
        )
    except httpx.ConnectTimeout:
        return InputError(
            f"no connection within {settings.connect_timeout:g} s; check the address and your "
            "network, or raise FACTCHECK_FETCH_CONNECT_TIMEOUT",
            source=url,
        )
    except httpx.TimeoutException:
        return InputError(
            f"the server sent nothing for {settings.timeout:g} s; try again later or raise "
            "FACTCHECK_FETCH_TIMEOUT",
            source=url,
        )
    except httpx.UnsupportedProtocol as exc:
        return InputError(f"unsupported URL ({exc}); give an http(s) URL", source=url)
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        return InputError(
            f"cannot fetch: {type(exc).__name__}: {exc or 'no details'}; check the URL and "
            "your network, or save the page and ingest the file",
            source=url,
        )


def _read(url: str, response: httpx.Response, settings: FetchSettings) -> Fetched | InputError:
    final = str(response.url)
    where = url if final == url else f"{url} (redirected to {final})"
    if response.status_code >= 400:
        return InputError(
            f"HTTP {response.status_code} {response.reason_phrase}; "
            + (
                "check the URL (the page is missing or not public)"
                if response.status_code < 500
                else "the server failed: try again later"
            ),
            source=where,
        )
    content_type = response.headers.get("content-type", "")
    media = content_type.split(";", 1)[0].strip().lower() or "text/html"
    if media not in HTML_TYPES | PDF_TYPES | TEXT_TYPES:
        return InputError(
            f"content type {media!r} is not a web page, PDF or plain text; give the URL of the "
            "page or document itself",
            source=where,
        )
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > settings.max_bytes:
        return _too_big(where, settings, f"declares {int(declared):,} bytes")
    body = bytearray()
    deadline = time.monotonic() + settings.timeout
    for piece in response.iter_bytes():
        body += piece
        if len(body) > settings.max_bytes:
            return _too_big(where, settings, f"is over {settings.max_bytes:,} bytes")
        if time.monotonic() > deadline:
            return InputError(
                f"the download took longer than {settings.timeout:g} s (read "
                f"{len(body):,} bytes); try again later or raise FACTCHECK_FETCH_TIMEOUT",
                source=where,
            )
    return Fetched(
        url=url,
        final_url=final,
        status=response.status_code,
        content_type=media,
        charset=response.charset_encoding,
        body=bytes(body),
        retrieved=datetime.now(UTC).replace(microsecond=0),
    )


def _too_big(where: str, settings: FetchSettings, what: str) -> InputError:
    return InputError(
        f"the response {what}, over the {settings.max_bytes:,}-byte cap; stopped reading. "
        "Raise FACTCHECK_FETCH_MAX_BYTES, or save the document and ingest the file",
        source=where,
    )
