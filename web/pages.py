"""The HTML pages: stories, a story's timeline, alerts, directories, and the operators' forms.

Server-rendered with Jinja2 and no script, so a page works in any browser and loads
nothing from the network. Every form post must come from this site with its CSRF token,
forms that change state need an operator session (see web.auth), and each answers with a
redirect, so a reload never posts twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

import structlog
from fastapi import APIRouter, Depends, Form, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from notify.render import link_target
from storage.db import session_scope
from web import operations, queries
from web.auth import (
    csrf_token,
    form_refusal,
    remember_browser,
    sign_in,
    sign_out,
    signed_in,
    token_matches,
)
from web.caching import KeptPages
from web.deps import DB, Base
from web.schemas import ClaimIn, FeedIn, StoryDetail, SubscriptionIn
from web.timeline import Link, Point, draw_timeline

log = structlog.get_logger(__name__)
router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
# Templates change with a release, which restarts the server: checking each template file's
# time on every render cost a kept story page 5 % of its time.
templates.env.auto_reload = False
templates.env.filters["when"] = lambda value: f"{value:%-d %b %Y, %H:%M} UTC"
templates.env.filters["pct"] = lambda value: f"{value:.0%}"
templates.env.filters["link_target"] = link_target
Offset = Annotated[int, Query(ge=0)]
PAGE = 25


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A page with the sign-in state, the forms' CSRF token and any message a redirect
    carried."""
    response = templates.TemplateResponse(
        request,
        name,
        {
            "operator": signed_in(request),
            "csrf_token": csrf_token(request),
            "message": request.query_params.get("message"),
            "error": request.query_params.get("error"),
            **context,
        },
        status_code=status_code,
    )
    remember_browser(request, response)
    return response


def problem(request: Request, status_code: int, heading: str, detail: str) -> HTMLResponse:
    return render(request, "problem.html", status_code, heading=heading, detail=detail)


def back(path: str, **params: str) -> RedirectResponse:
    query = f"?{urlencode(params)}" if params else ""
    return RedirectResponse(path + query, status_code=303)


def first_error(error: ValidationError) -> str:
    detail = error.errors()[0]
    return f"{'.'.join(str(p) for p in detail['loc'])}: {detail['msg']}"


# Newsroom pages --------------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
def front_page(
    request: Request,
    db: DB,
    base: Base,
    q: str | None = None,
    disputed: bool | None = None,
    sort: queries.StorySort = "activity",
    offset: Offset = 0,
) -> HTMLResponse:
    page = queries.stories(
        db, base, q=q, disputed=disputed or None, sort=sort, limit=PAGE, offset=offset
    )
    return render(request, "index.html", page=page, q=q, disputed=disputed, sort=sort)


@dataclass(frozen=True)
class StoryPage:
    """A story page's part that is the same for every reader, as of one story version."""

    version: int
    title: str
    body: Markup


@router.get("/stories/{story_id}", response_class=HTMLResponse)
async def story_page(request: Request, story_id: int) -> HTMLResponse:
    """The story's own part comes from the pages this process kept while the story's
    version (read in the page's first statement) has not moved; building it is most of
    the page's cost. The frame around it (sign-in, CSRF token, messages) is per request.

    The whole page is one hand-off to a worker thread: a kept page costs so little that
    the database dependency's own hand-offs (the session opened and ended in a thread
    each) would cost as much again, under load each waiting for the GIL.
    """
    return await run_in_threadpool(_story_page, request, story_id)


def _story_page(request: Request, story_id: int) -> HTMLResponse:
    kept: KeptPages[StoryPage] = request.app.state.story_pages
    page = kept.get(story_id)
    with session_scope(request.app.state.engine) as db:
        found = queries.changed_story(
            db, story_id, request.app.state.public_url, page.version if page else None
        )
    if found is None:
        return problem(request, 404, "No such story", f"There is no story {story_id}.")
    version, story = found
    if story is not None:
        body = templates.get_template("story_body.html").render(
            story=story,
            by_id={r.id: r for r in story.reports},
            timeline=Markup(timeline_svg(story)),
        )
        page = StoryPage(version, story.claim.text, Markup(body))
        kept.put(story_id, page, len(page.title) + len(body))
    assert page is not None  # unchanged since the kept page was built
    return render(request, "story.html", title=page.title, body=page.body)


def timeline_svg(story: StoryDetail) -> str:
    points = [
        Point(
            position=r.position,
            article_id=r.id,
            when=r.published_at,
            outlet=r.outlet,
            stance=r.stance.stance if r.stance else None,
            score=r.stance.score if r.stance else None,
            title=r.title,
        )
        for r in story.reports
    ]
    links = [Link(a.id, a.article_id, tuple(a.contradicts)) for a in story.contradictions]
    return draw_timeline(points, links)


@router.get("/alerts", response_class=HTMLResponse)
def alerts_page(
    request: Request, db: DB, base: Base, kind: str | None = None, offset: Offset = 0
) -> HTMLResponse:
    page = queries.alerts(db, base, kind=kind or None, limit=PAGE, offset=offset)
    return render(request, "alerts.html", page=page, kind=kind)


@router.get("/sources", response_class=HTMLResponse)
def sources_page(request: Request, db: DB, offset: Offset = 0) -> HTMLResponse:
    return render(
        request,
        "sources.html",
        outlets=queries.outlets(db, limit=100),
        sources=queries.sources(db, limit=PAGE * 2, offset=offset),
    )


# Operator pages --------------------------------------------------------------------------


@router.get("/signin", response_class=HTMLResponse)
def signin_page(request: Request, next: str = "/") -> HTMLResponse:
    return render(
        request,
        "signin.html",
        next=next,
        writes_enabled=request.app.state.api_token is not None,
    )


class FormRefused(Exception):
    """A form post refused before its route runs; web.app renders it as a 403 page."""

    def __init__(self, heading: str, detail: str) -> None:
        super().__init__(detail)
        self.heading, self.detail = heading, detail


def checked_form(request: Request, csrf_token: Annotated[str, Form()] = "") -> None:
    """Every form post: from this site, with this browser's CSRF token."""
    if why := form_refusal(request, csrf_token):
        log.warning("form post refused", path=request.url.path, reason=why)
        raise FormRefused("Refused", f"This change was refused: {why}. Reload and try again.")


def operator_form(request: Request, _: Annotated[None, Depends(checked_form)]) -> None:
    """A form that changes state: a checked form from a signed-in operator."""
    if not signed_in(request):
        raise FormRefused("Sign in first", "Changes need the operator token.")


def refused_page(request: Request, error: Exception) -> HTMLResponse:
    """The 403 page for a refused form, in the site's look rather than as JSON."""
    assert isinstance(error, FormRefused)
    return problem(request, 403, error.heading, error.detail)


FORM = [Depends(checked_form)]
OPERATOR = [Depends(operator_form)]


@router.post("/signin", dependencies=FORM)
def signin(
    request: Request, token: Annotated[str, Form()], next: Annotated[str, Form()] = "/"
) -> Response:
    if not token_matches(request, token):
        log.warning("operator sign-in refused")
        return back("/signin", error="That token is not the operator token.")
    target = next if next.startswith("/") and not next.startswith("//") else "/"
    response = back(target, message="Signed in.")
    sign_in(request, response)
    return response


@router.post("/signout", dependencies=FORM)
def signout(request: Request) -> Response:
    response = back("/", message="Signed out.")
    sign_out(request, response)
    return response


@router.get("/feeds", response_class=HTMLResponse)
def feeds_page(request: Request, db: DB, offset: Offset = 0) -> HTMLResponse:
    return render(request, "feeds.html", page=queries.feeds(db, limit=PAGE, offset=offset))


@router.post("/feeds", dependencies=OPERATOR)
def feeds_add(
    request: Request,
    db: DB,
    url: Annotated[str, Form()],
    poll_interval_seconds: Annotated[int | None, Form()] = None,
) -> Response:
    try:
        feed_in = FeedIn(url=url, poll_interval_seconds=poll_interval_seconds)  # type: ignore[arg-type]
    except ValidationError as error:
        return back("/feeds", error=first_error(error))
    feed, created = operations.add_feed(db, feed_in)
    log.info("feed added" if created else "feed already present", feed_id=feed.id)
    return back("/feeds", message=f"Feed {feed.id} {'added' if created else 'already present'}.")


@router.post("/feeds/{feed_id}/remove", dependencies=OPERATOR)
def feeds_remove(request: Request, feed_id: int, db: DB) -> Response:
    if not operations.remove_feed(db, feed_id):
        return back("/feeds", error=f"No feed {feed_id}.")
    log.info("feed removed", feed_id=feed_id)
    return back("/feeds", message=f"Feed {feed_id} removed.")


@router.get("/claims", response_class=HTMLResponse)
def claims_page(request: Request, db: DB, offset: Offset = 0) -> HTMLResponse:
    return render(request, "claims.html", page=queries.claims(db, limit=PAGE, offset=offset))


@router.post("/claims", dependencies=OPERATOR)
def claims_add(
    request: Request, db: DB, id: Annotated[str, Form()], text: Annotated[str, Form()]
) -> Response:
    try:
        claim_in = ClaimIn(id=id, text=text)
    except ValidationError as error:
        return back("/claims", error=first_error(error))
    claim, created = operations.add_claim(db, claim_in)
    log.info("claim added" if created else "claim updated", claim=claim.key)
    return back("/claims", message=f"Watching claim {claim.key}.")


@router.post("/claims/{key}/remove", dependencies=OPERATOR)
def claims_remove(request: Request, key: str, db: DB) -> Response:
    try:
        removed = operations.remove_claim(db, key)
    except operations.Conflict as error:
        return back("/claims", error=str(error))
    if not removed:
        return back("/claims", error=f"No operator claim {key}.")
    log.info("claim removed", claim=key)
    return back("/claims", message=f"Stopped watching claim {key}.")


@router.get("/subscriptions", response_class=HTMLResponse)
def subscriptions_page(request: Request, db: DB, offset: Offset = 0) -> HTMLResponse:
    page = queries.subscriptions(db, limit=PAGE, offset=offset) if signed_in(request) else None
    return render(request, "subscriptions.html", page=page)


@router.post("/subscriptions", dependencies=OPERATOR)
def subscriptions_add(
    request: Request,
    db: DB,
    channel_url: Annotated[str, Form()],
    secret_env: Annotated[str, Form()] = "",
    kinds: Annotated[list[str] | None, Form()] = None,
    story_id: Annotated[str, Form()] = "",
) -> Response:
    try:
        subscription_in = SubscriptionIn(
            channel_url=channel_url,
            secret_env=secret_env or None,
            kinds=kinds or [],
            story_ids=[int(story_id)] if story_id.strip() else [],
        )
        subscription = operations.add_subscription(db, subscription_in)
    except ValidationError as error:
        return back("/subscriptions", error=first_error(error))
    except (ValueError, operations.Conflict) as error:
        return back("/subscriptions", error=str(error))
    log.info("subscription added", subscription_id=subscription.id)
    return back("/subscriptions", message=f"Subscription {subscription.id} added.")


@router.post("/subscriptions/{subscription_id}/remove", dependencies=OPERATOR)
def subscriptions_remove(request: Request, subscription_id: int, db: DB) -> Response:
    if not operations.remove_subscription(db, subscription_id):
        return back("/subscriptions", error=f"No subscription {subscription_id}.")
    log.info("subscription removed", subscription_id=subscription_id)
    return back("/subscriptions", message=f"Subscription {subscription_id} removed.")
