"""The review desk: a Starlette app over indexed runs and a review store.

Pages are rendered on the server (Jinja2, autoescape on) and work without JavaScript; the one
script adds keyboard triage. Every state change is a POST carrying the session's CSRF token.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from factcheck.models import Verdict
from factcheck.review import dashboard, highlight
from factcheck.review.publish import RATING_LABELS
from factcheck.review.queue import STATUSES, Filters, neighbours, queue_page, status_of
from factcheck.review.runs import RunIndex
from factcheck.review.security import CSRF_FIELD, Guard, GuardMiddleware, same_origin
from factcheck.review.store import ReviewConflict, ReviewInput, ReviewStore

HERE = Path(__file__).parent
REVIEWER_COOKIE = "fc_reviewer"
MAX_FIELD = 20_000


@dataclass
class Desk:
    """What the request handlers share."""

    index: RunIndex
    store: ReviewStore
    guard: Guard
    env: Environment
    rating_labels: tuple[str, ...]

    def render(self, request: Request, name: str, status: int = 200, **context: object) -> Response:
        """A template rendered with the common context."""
        html = self.env.get_template(name).render(
            csrf_field=CSRF_FIELD,
            csrf_token=self.guard.csrf_token(request.state.session),
            verdicts=[v.value for v in Verdict],
            statuses=STATUSES,
            **context,
        )
        return HTMLResponse(html, status_code=status)


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["http_url"] = highlight.http_url
    env.filters["pct"] = lambda x: "—" if x is None else f"{x:.0%}"
    return env


def _desk(request: Request) -> Desk:
    return request.app.state.desk


def queue(request: Request) -> Response:
    """The queue of claims, filtered, sorted and paginated."""
    desk = _desk(request)
    filters = Filters.parse(request.query_params)
    reviews = desk.store.summaries()
    page = queue_page(desk.index.rows, desk.index.by_id, reviews, filters)
    return desk.render(
        request,
        "queue.html",
        page=page,
        filters=filters,
        status_of=status_of,
        verifiers=sorted({r.verifier for r in desk.index.rows}),
        total=len(desk.index.rows),
    )


def claim(request: Request) -> Response:
    """One claim: in its article, its evidence, provenance, and the review form."""
    return _claim_page(request)


def _claim_page(
    request: Request,
    *,
    status: int = 200,
    error: str | None = None,
    draft: dict[str, object] | None = None,
) -> Response:
    desk = _desk(request)
    result_id = request.path_params["result_id"]
    result = desk.index.result(result_id)
    if result is None:
        return PlainTextResponse("no such result", status_code=404)
    filters = Filters.parse(request.query_params)
    reviews = desk.store.summaries()
    previous, following = neighbours(desk.index.rows, reviews, filters, result_id)
    article = desk.index.article(result.claim.article_id)
    context = None
    if article is not None and article.text[result.claim.start : result.claim.end] == (
        result.claim.quote
    ):
        context = highlight.in_context(article.text, result.claim.start, result.claim.end)
    review = desk.store.get(result_id)
    return desk.render(
        request,
        "claim.html",
        status=status,
        r=result,
        article=article,
        context=context,
        passages=[(e, highlight.cited(e.chunk, result.citations)) for e in result.evidence],
        review=review,
        audit=desk.store.audit(result_id),
        header=desk.index.header(result_id),
        path=desk.index.path(result_id),
        previous=previous,
        following=following,
        filters=filters,
        reviewer=request.cookies.get(REVIEWER_COOKIE, ""),
        rating_labels=desk.rating_labels,
        error=error,
        draft=draft,
        saved=request.query_params.get("saved") == "1",
    )


async def save_review(request: Request) -> Response:
    """Store a review (confirm or change) from the form; Origin and CSRF token checked.
    Blocking work (file reads, SQLite) runs in the thread pool."""
    desk = _desk(request)
    if not same_origin(request):
        return PlainTextResponse("cross-origin request refused", status_code=403)
    form = await request.form()
    if not desk.guard.csrf_ok(request.state.session, form.get(CSRF_FIELD)):  # type: ignore[arg-type]
        return PlainTextResponse(
            "missing or wrong CSRF token: reload the page and submit again", status_code=403
        )
    fields = {k: v[:MAX_FIELD] for k, v in form.items() if isinstance(v, str)}
    return await run_in_threadpool(_save, request, fields)


def _save(request: Request, form: dict[str, str]) -> Response:
    desk = _desk(request)
    result_id = request.path_params["result_id"]
    result = desk.index.result(result_id)
    if result is None:
        return PlainTextResponse("no such result", status_code=404)
    draft: dict[str, object] = {
        name: form.get(name, "") for name in ("verdict", "rationale", "rating", "note", "reviewer")
    }
    draft["ready_to_publish"] = form.get("ready_to_publish") == "on"
    action = form.get("action", "")
    verdict = result.verdict.value if action == "confirm" else draft["verdict"]
    try:
        version = int(form.get("version") or "0")
    except ValueError:
        version = -1
    reviewer = str(draft["reviewer"]).strip()
    error = None
    if not reviewer:
        error = "Enter your name as reviewer."
    elif verdict not in {v.value for v in Verdict}:
        error = "Pick a verdict from the list."
    elif draft["rating"] and draft["rating"] not in desk.rating_labels:
        error = "Pick a rating label from the list."
    if error:
        return _claim_page(request, status=400, error=error, draft=draft)
    rationale = str(draft["rationale"])
    if action == "confirm" and not rationale.strip():
        rationale = result.rationale
    try:
        desk.store.save(
            result_id,
            ReviewInput(
                verdict=Verdict(str(verdict)),
                reviewer=reviewer,
                rationale=rationale,
                rating=str(draft["rating"]),
                note=str(draft["note"]),
                ready_to_publish=bool(draft["ready_to_publish"]),
            ),
            expected_version=version,
        )
    except ReviewConflict as exc:
        return _claim_page(request, status=409, error=str(exc), draft=draft)
    filters = Filters.parse(request.query_params)
    target = result_id
    if action == "confirm" and form.get("advance") == "1":
        _, following = neighbours(desk.index.rows, desk.store.summaries(), filters, result_id)
        target = following or result_id
    query = filters.suffix(saved=1 if target == result_id else None)
    response = RedirectResponse(f"/claim/{quote(target, safe='')}{query}", status_code=303)
    response.set_cookie(REVIEWER_COOKIE, reviewer[:200], samesite="strict", httponly=True)
    return response


def dashboard_page(request: Request) -> Response:
    """Machine–reviewer agreement per verdict, verifier and model/prompt version."""
    desk = _desk(request)
    rows, reviews = desk.index.rows, desk.store.summaries()
    return desk.render(
        request,
        "dashboard.html",
        reviewed=sum(1 for r in rows if r.id in reviews),
        total=len(rows),
        groups=[
            ("Machine verdict", dashboard.agreement(rows, reviews, lambda r: r.verdict)),
            ("Verifier", dashboard.agreement(rows, reviews, lambda r: r.verifier)),
            (
                "Model and prompt version",
                dashboard.agreement(rows, reviews, dashboard.model_version),
            ),
        ],
        confusion=dashboard.confusion(rows, reviews),
    )


def create_app(
    index: RunIndex,
    store: ReviewStore,
    *,
    token: str | None = None,
    allowed_hosts: frozenset[str] | None = None,
    rating_labels: tuple[str, ...] = RATING_LABELS,
) -> Starlette:
    """The review desk over `index`, saving to `store`. With `token`, every request needs it;
    with `allowed_hosts`, other Host headers are refused (DNS rebinding)."""
    guard = Guard(token)
    app = Starlette(
        routes=[
            Route("/", queue),
            Route("/claim/{result_id}", claim),
            Route("/claim/{result_id}/review", save_review, methods=["POST"]),
            Route("/dashboard", dashboard_page),
            Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        ],
        middleware=[Middleware(GuardMiddleware, guard=guard, allowed_hosts=allowed_hosts)],
    )
    app.state.desk = Desk(index, store, guard, _environment(), rating_labels)
    return app
