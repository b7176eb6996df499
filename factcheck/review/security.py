"""Request guards: access token, allowed Host names, session cookie, CSRF tokens, Origin check
and security headers on every response."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from urllib.parse import urlencode

from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp

SESSION_COOKIE = "fc_session"
TOKEN_COOKIE = "fc_token"
CSRF_FIELD = "csrf_token"
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
        "object-src 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cache-Control": "no-store",
}
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


def is_loopback(host: str) -> bool:
    """Whether `host` is a loopback name or address."""
    if host.strip("[]") in {"localhost", "::1"}:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class Guard:
    """The secrets of one server process."""

    def __init__(self, token: str | None = None) -> None:
        self.token = token or None
        self.secret = secrets.token_bytes(32)

    def _mac(self, label: str, value: str) -> str:
        return hmac.new(self.secret, f"{label}:{value}".encode(), hashlib.sha256).hexdigest()

    def csrf_token(self, session: str) -> str:
        """The CSRF token of a session (an HMAC of the session id)."""
        return self._mac("csrf", session)

    def csrf_ok(self, session: str, submitted: str | None) -> bool:
        """Whether a submitted CSRF token belongs to this session."""
        return bool(session and submitted) and hmac.compare_digest(
            self.csrf_token(session), str(submitted)
        )

    def token_cookie(self) -> str:
        """The cookie value proving the access token was given."""
        return self._mac("token", self.token or "")

    def token_ok(self, request: Request) -> bool:
        """Whether the request carries the access token cookie (always true without a token)."""
        if self.token is None:
            return True
        cookie = request.cookies.get(TOKEN_COOKIE, "")
        return hmac.compare_digest(cookie, self.token_cookie())


def same_origin(request: Request) -> bool:
    """False for a browser request from another origin.

    Browsers that send Sec-Fetch-Site are trusted on it alone: with `Referrer-Policy:
    no-referrer`, Chromium sends `Origin: null` even on same-origin form posts. Without it,
    the Origin header, when present, must be this server's own origin.
    """
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is None:
        return True
    return origin == f"{request.url.scheme}://{request.headers.get('host', '')}"


class GuardMiddleware(BaseHTTPMiddleware):
    """Host check, access token (cookie set after `?token=`), session cookie, headers."""

    def __init__(
        self, app: ASGIApp, guard: Guard, allowed_hosts: frozenset[str] | None = None
    ) -> None:
        super().__init__(app)
        self.guard = guard
        self.allowed_hosts = allowed_hosts

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await self._dispatch(request, call_next)
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    async def _dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        host = (request.url.hostname or "").lower()
        if self.allowed_hosts is not None and host not in self.allowed_hosts:
            return PlainTextResponse("unknown Host", status_code=400)
        guard = self.guard
        given = request.query_params.get("token")
        if guard.token is not None and given is not None:
            if not hmac.compare_digest(given, guard.token):
                return PlainTextResponse("wrong access token", status_code=403)
            rest = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
            target = request.url.path + (f"?{urlencode(rest)}" if rest else "")
            response: Response = RedirectResponse(target, status_code=303)
            response.set_cookie(
                TOKEN_COOKIE, guard.token_cookie(), httponly=True, samesite="strict"
            )
            return response
        if not guard.token_ok(request):
            return PlainTextResponse(
                "This review desk needs its access token: open the URL with ?token=…",
                status_code=401,
            )
        session = request.cookies.get(SESSION_COOKIE, "")
        fresh = not (16 <= len(session) <= 128 and session.isascii())
        if fresh:
            session = secrets.token_urlsafe(32)
        request.state.session = session
        response = await call_next(request)
        if fresh:
            response.set_cookie(SESSION_COOKIE, session, httponly=True, samesite="strict")
        return response
