"""The changes operators make from the web: feeds, claims and subscriptions, added and removed.

Adding is idempotent where the record has a natural key (a feed's URL, a claim's id), so
a retried request does not create a second row. Removing never deletes history: articles
keep their text when their feed goes, and a removed subscriber keeps its deliveries.
"""

from __future__ import annotations

from sqlmodel import Session

from ingest.feedlist import FeedSpec
from notify.subscribing import new_subscriber
from storage.claims import operator_claim, remove_unused_claim, story_id_of, watch_claim
from storage.feeds import add_feeds, article_count
from storage.feeds import remove_feed as remove_stored_feed
from storage.models import Story
from storage.subscriptions import Subscriber, set_status
from web.queries import claim_out, feed_out, subscription_out
from web.schemas import ClaimIn, ClaimOut, FeedIn, FeedOut, SubscriptionIn, SubscriptionOut


class Conflict(Exception):
    """The change would break what other records rely on."""


def add_feed(session: Session, request: FeedIn) -> tuple[FeedOut, bool]:
    """The feed for this URL, and whether it is new."""
    [(feed, created)] = add_feeds(
        session, [FeedSpec(url=str(request.url))], request.poll_interval_seconds
    )
    articles = article_count(session, feed.id)  # type: ignore[arg-type]
    return feed_out(feed, articles), created


def remove_feed(session: Session, feed_id: int) -> bool:
    """Stop polling the feed; its articles stay, detached from it."""
    return remove_stored_feed(session, str(feed_id)) is not None


def add_claim(session: Session, request: ClaimIn) -> tuple[ClaimOut, bool]:
    """Watch an operator claim (by its id: a changed text replaces the old one)."""
    claim, created = watch_claim(session, request.id, request.text)
    story_id = story_id_of(session, claim.id)  # type: ignore[arg-type]
    return claim_out(claim, story_id), created


def remove_claim(session: Session, key: str) -> bool:
    """Stop watching an operator claim that no report has been judged against yet."""
    claim = operator_claim(session, key)
    if claim is None:
        return False
    if not remove_unused_claim(session, claim):
        raise Conflict(f"claim {key} already has reports; its story keeps it")
    return True


def add_subscription(session: Session, request: SubscriptionIn) -> SubscriptionOut:
    for story_id in request.story_ids:
        if session.get(Story, story_id) is None:
            raise Conflict(f"no story {story_id}")
    subscriber = new_subscriber(**request.model_dump())  # SubscriptionError: unusable input
    session.add(subscriber)
    session.flush()
    return subscription_out(subscriber)


def remove_subscription(session: Session, subscription_id: int) -> bool:
    """Mark the subscriber removed: no more deliveries, and its history stays."""
    subscriber = session.get(Subscriber, subscription_id)
    if subscriber is None or subscriber.status == "removed":
        return False
    set_status(session, subscriber, "removed", "removed by an operator")
    return True
