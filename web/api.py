"""The JSON API: everything the pages show, and the writes operators make.

Reads are open; writes need the Bearer token (see web.auth). Lists take ``limit`` and
``offset`` and return the total, so a client can page through them.
"""

from __future__ import annotations

from typing import Annotated

import structlog
from fastapi import APIRouter, Depends, HTTPException, Query, Response, status

from notify.subscribing import SubscriptionError
from web import operations, queries
from web.auth import require_token
from web.deps import DB, Base, released
from web.schemas import (
    AlertOut,
    ClaimIn,
    ClaimOut,
    DirectoryEntry,
    FeedIn,
    FeedOut,
    Page,
    Problem,
    StoryDetail,
    StorySummary,
    SubscriptionIn,
    SubscriptionOut,
)

log = structlog.get_logger(__name__)
router = APIRouter(prefix="/api")
Limit = Annotated[int, Query(ge=1, le=200)]
Offset = Annotated[int, Query(ge=0)]
AUTH = [Depends(require_token)]
PROBLEMS: dict[int, str] = {
    400: "the request cannot work as given; the detail says why",
    401: "no Bearer token",
    403: "wrong token, or writes disabled",
    404: "no such record",
    409: "the change conflicts with other records",
}


def problems(*codes: int) -> dict[int | str, dict[str, object]]:
    """The error answers a route documents in the OpenAPI description."""
    return {code: {"model": Problem, "description": PROBLEMS[code]} for code in codes}


@router.get("/stories", tags=["stories"])
def list_stories(
    db: DB,
    base: Base,
    q: Annotated[str | None, Query(description="words in the title or claim")] = None,
    disputed: Annotated[bool | None, Query(description="reports on both sides")] = None,
    sort: queries.StorySort = "activity",
    limit: Limit = 20,
    offset: Offset = 0,
) -> Page[StorySummary]:
    """Stories, most recently active first, or most contradicted first."""
    page = queries.stories(db, base, q=q, disputed=disputed, sort=sort, limit=limit, offset=offset)
    return released(db, page)


@router.get("/stories/{story_id}", tags=["stories"], responses=problems(404))
def get_story(story_id: int, db: DB, base: Base) -> StoryDetail:
    """A story: its claim, reports in time order with stance and sources, alerts, outlets."""
    found = queries.story(db, story_id, base)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no story {story_id}")
    return released(db, found)


@router.get("/alerts", tags=["alerts"])
def list_alerts(
    db: DB,
    base: Base,
    kind: Annotated[str | None, Query(description="contradiction, new_source, ...")] = None,
    story_id: int | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[AlertOut]:
    """Alerts, newest first."""
    page = queries.alerts(db, base, kind=kind, story_id=story_id, limit=limit, offset=offset)
    return released(db, page)


@router.get("/outlets", tags=["outlets and sources"])
def list_outlets(db: DB, limit: Limit = 50, offset: Offset = 0) -> Page[DirectoryEntry]:
    """Publishers, by number of reports, with their first report."""
    return released(db, queries.outlets(db, limit=limit, offset=offset))


@router.get("/sources", tags=["outlets and sources"])
def list_sources(
    db: DB,
    kind: Annotated[str | None, Query(description="person, organisation or outlet")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[DirectoryEntry]:
    """Primary sources the reports cite, by number of reports, with the first that did."""
    return released(db, queries.sources(db, kind=kind, limit=limit, offset=offset))


@router.get("/feeds", tags=["feeds"])
def list_feeds(
    db: DB,
    feed_status: Annotated[str | None, Query(alias="status")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[FeedOut]:
    """Feeds with their polling status and last error."""
    return released(db, queries.feeds(db, status=feed_status, limit=limit, offset=offset))


@router.post(
    "/feeds",
    tags=["feeds"],
    status_code=status.HTTP_201_CREATED,
    dependencies=AUTH,
    responses=problems(401, 403),
)
def add_feed(request: FeedIn, db: DB, response: Response) -> FeedOut:
    """Poll a feed (201); the same URL again returns the existing feed (200)."""
    feed, created = operations.add_feed(db, request)
    if not created:
        response.status_code = status.HTTP_200_OK
    log.info("feed added" if created else "feed already present", feed_id=feed.id)
    return released(db, feed)


@router.delete(
    "/feeds/{feed_id}",
    tags=["feeds"],
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=AUTH,
    responses=problems(401, 403, 404),
)
def remove_feed(feed_id: int, db: DB) -> None:
    """Stop polling a feed; the articles it brought stay."""
    if not operations.remove_feed(db, feed_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no feed {feed_id}")
    log.info("feed removed", feed_id=feed_id)


@router.get("/claims", tags=["claims"])
def list_claims(
    db: DB,
    origin: Annotated[str | None, Query(description="operator, headline or lead")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[ClaimOut]:
    """Claims: those operators watch and those stories formed around."""
    return released(db, queries.claims(db, origin=origin, limit=limit, offset=offset))


@router.post(
    "/claims",
    tags=["claims"],
    status_code=status.HTTP_201_CREATED,
    dependencies=AUTH,
    responses=problems(401, 403),
)
def add_claim(request: ClaimIn, db: DB, response: Response) -> ClaimOut:
    """Watch a claim under an id of your choosing (201); the same id updates its text (200)."""
    claim, created = operations.add_claim(db, request)
    if not created:
        response.status_code = status.HTTP_200_OK
    log.info("claim added" if created else "claim updated", claim=claim.key)
    return released(db, claim)


@router.delete(
    "/claims/{key}",
    tags=["claims"],
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=AUTH,
    responses=problems(401, 403, 404, 409),
)
def remove_claim(key: str, db: DB) -> None:
    """Stop watching an operator claim that no report matched yet."""
    try:
        removed = operations.remove_claim(db, key)
    except operations.Conflict as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from error
    if not removed:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no operator claim {key}")
    log.info("claim removed", claim=key)


@router.get(
    "/subscriptions", tags=["subscriptions"], dependencies=AUTH, responses=problems(401, 403)
)
def list_subscriptions(db: DB, limit: Limit = 50, offset: Offset = 0) -> Page[SubscriptionOut]:
    """Subscribers (token required: channel URLs can carry credentials)."""
    return released(db, queries.subscriptions(db, limit=limit, offset=offset))


@router.post(
    "/subscriptions",
    tags=["subscriptions"],
    status_code=status.HTTP_201_CREATED,
    dependencies=AUTH,
    responses=problems(400, 401, 403, 409),
)
def add_subscription(request: SubscriptionIn, db: DB) -> SubscriptionOut:
    """Deliver alerts to a signed webhook (http/https) or an Apprise URL."""
    try:
        subscription = operations.add_subscription(db, request)
    except operations.Conflict as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from error
    except SubscriptionError as error:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(error)) from error
    log.info("subscription added", subscription_id=subscription.id)
    return released(db, subscription)


@router.delete(
    "/subscriptions/{subscription_id}",
    tags=["subscriptions"],
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=AUTH,
    responses=problems(401, 403, 404),
)
def remove_subscription(subscription_id: int, db: DB) -> None:
    """Stop deliveries to a subscriber; its delivery history stays."""
    if not operations.remove_subscription(db, subscription_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no subscription {subscription_id}")
    log.info("subscription removed", subscription_id=subscription_id)
