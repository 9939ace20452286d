"""Operations notices: ``feed_broken`` and ``delivery_failing``, each episode raised once and
put in the outbox of the subscribers that asked for it."""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog
from celery import shared_task
from sqlmodel import Session

from config.settings import Settings, get_settings
from storage.db import session_scope, take_lock
from storage.deliveries import (
    active_subscribers,
    failing_deliveries,
    last_sent_ids,
    notice_exists,
)
from storage.feeds import broken_feeds
from storage.models import as_utc, utcnow
from storage.subscriptions import Delivery, Notice, Subscriber
from tasks.context import engine
from tasks.deliver import deliver
from tasks.outbox import OUTBOX_LOCK
from tasks.reliability import skip_on_outage

log = structlog.get_logger(__name__)


# The task keeps the name it had in tasks.deliver: beat's schedule and messages already
# queued (or in a broker across an upgrade) call it by that name.
@shared_task(name="tasks.deliver.check_operations")
@skip_on_outage
def check_operations() -> int:
    """Raise ``feed_broken`` and ``delivery_failing`` notices, each episode once."""
    from notify.filters import wants_notice

    settings = get_settings()
    now = utcnow()
    with session_scope(engine()) as session:
        take_lock(session, OUTBOX_LOCK)
        found = _broken_feeds(session) + _failing_subscribers(session, now, settings)
        subscribers = active_subscribers(session)
        ids = []
        for notice, about_subscriber in found:
            if notice_exists(session, notice.key):
                continue
            session.add(notice)
            session.flush()
            log.warning("operational alert", kind=notice.kind, key=notice.key)
            for subscriber in subscribers:
                # Never tell a failing subscriber about itself: that message would fail too.
                if subscriber.id != about_subscriber and wants_notice(subscriber, notice.kind):
                    delivery = Delivery(subscriber_id=subscriber.id, notice_id=notice.id)  # type: ignore[arg-type]
                    session.add(delivery)
                    session.flush()
                    ids.append(delivery.id)
    for delivery_id in ids:
        deliver.delay(delivery_id)
    return len(ids)


def _broken_feeds(session: Session) -> list[tuple[Notice, int | None]]:
    """Feeds the poll path has marked broken (failing for CLAIMWATCH_FEED_BROKEN_AFTER_SECONDS);
    the start of the failure names the episode, so each is raised once."""
    found = []
    for feed in broken_feeds(session):
        since = as_utc(feed.failing_since or feed.broken_since)
        assert since is not None
        summary = (
            f"Feed {feed.title or feed.url} has had no successful poll since "
            f"{since:%Y-%m-%d %H:%M} UTC ({feed.error_count} failures)"
        )
        details = {
            "feed_id": feed.id,
            "url": feed.url,
            "failing_since": since.isoformat(),
            "error_count": feed.error_count,
            "last_error": feed.last_error,
        }
        key = f"feed_broken:{feed.id}:{since.isoformat()}"
        found.append((Notice(key=key, kind="feed_broken", summary=summary, details=details), None))
    return found


def _failing_subscribers(
    session: Session, now: datetime, settings: Settings
) -> list[tuple[Notice, int | None]]:
    """Per subscriber, the oldest delivery since its last success that was given up or has
    failed every attempt for too long; its id names the episode, so each is raised once."""
    since = now - timedelta(seconds=settings.delivery_failing_after_seconds)
    failing = failing_deliveries(session, since)
    last_sent = last_sent_ids(session)
    oldest: dict[int, Delivery] = {}
    for delivery in failing:
        if delivery.id > last_sent.get(delivery.subscriber_id, 0):  # type: ignore[operator]
            oldest.setdefault(delivery.subscriber_id, delivery)
    found: list[tuple[Notice, int | None]] = []
    for subscriber_id, delivery in oldest.items():
        subscriber = session.get(Subscriber, subscriber_id)
        if subscriber is None or subscriber.status != "active":
            continue
        started = as_utc(delivery.created_at)
        summary = (
            f"Deliveries to subscriber {subscriber_id} ({subscriber.channel}) have been failing "
            f"since {started:%Y-%m-%d %H:%M} UTC: {delivery.last_error or 'no answer'}"
        )
        details = {
            "subscriber_id": subscriber_id,
            "channel": subscriber.channel,
            "delivery_id": delivery.id,
            "attempts": delivery.attempts,
            "status": delivery.status,
            "last_error": delivery.last_error,
        }
        key = f"delivery_failing:{subscriber_id}:{delivery.id}"
        notice = Notice(key=key, kind="delivery_failing", summary=summary, details=details)
        found.append((notice, subscriber_id))
    return found
