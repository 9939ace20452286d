"""Delivery from the outbox: send, record every attempt, retry with backoff, give up late.

A worker takes a delivery by leasing its row (one conditional UPDATE), so two copies of
the task never send at once; it sends outside any transaction and records the outcome.
Beat's sweep hands deliveries whose task was lost (a dead worker, a restarted broker) to
a new task once their lease has run out, and forms due digests; nothing is lost, and a
receiver drops the rare duplicate by its ``webhook-id``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog
from celery import shared_task
from sqlalchemy import func, or_, update
from sqlmodel import Session, col, select

from config.settings import Settings, get_settings
from notify.apprise_channel import send_apprise
from notify.filters import wants_notice
from notify.guard import delivery_guard
from notify.payload import Message, build_payload
from notify.retry import backoff_seconds
from notify.secrets import MissingSecretError, expand_url, read_secrets
from notify.views import load_message
from notify.webhook import SendResult, send_webhook
from storage.db import session_scope, take_lock
from storage.models import Feed, as_utc, utcnow
from storage.subscriptions import Delivery, DeliveryAttempt, Notice, Subscriber, set_status
from tasks.context import engine
from tasks.reliability import RETRY_TRANSIENT, skip_on_outage

log = structlog.get_logger(__name__)

OUTBOX_LOCK = "outbox"
# A lease outlives the send timeout by this much before another worker may take over.
LEASE_MARGIN = timedelta(seconds=5)
# Retries further away than this are left to the sweep: a broker holds long countdowns
# badly (Redis redelivers them after its visibility timeout).
MAX_COUNTDOWN_SECONDS = 600


@shared_task(name="tasks.deliver.deliver", bind=True, **RETRY_TRANSIENT)
def deliver(self, delivery_id: int) -> str:  # type: ignore[no-untyped-def]
    """Make one attempt at one delivery; schedule the next if it failed."""
    settings = get_settings()
    now = utcnow()
    lease = now + timedelta(seconds=settings.delivery_timeout_seconds) + LEASE_MARGIN
    with session_scope(engine()) as session:
        taken = session.exec(  # type: ignore[call-overload]
            update(Delivery)
            .where(
                col(Delivery.id) == delivery_id,
                col(Delivery.status) == "pending",
                col(Delivery.next_attempt_at) <= now + timedelta(seconds=1),
                or_(col(Delivery.leased_until).is_(None), col(Delivery.leased_until) < now),
            )
            .values(leased_until=lease, attempts=col(Delivery.attempts) + 1)
        )
        if taken.rowcount != 1:
            return "skipped"  # done, not yet due, or another worker holds it
        delivery = session.get(Delivery, delivery_id)
        assert delivery is not None
        subscriber = session.get(Subscriber, delivery.subscriber_id)
        assert subscriber is not None
        if subscriber.status != "active":
            delivery.status, delivery.leased_until = "cancelled", None
            return "cancelled"
        message = load_message(session, delivery, get_settings().public_url)
        webhook_id, attempt = delivery.webhook_id, delivery.attempts
    result = _send(subscriber, message, webhook_id, settings)
    retry_in = _record(delivery_id, now, result, settings)
    log.info(
        "delivery attempt",
        delivery_id=delivery_id,
        subscriber_id=subscriber.id,
        webhook_id=webhook_id,
        attempt=attempt,
        ok=result.ok,
        status_code=result.status_code,
        error=result.error,
        duration_ms=result.duration_ms,
        retry_in=retry_in,
    )
    if retry_in is None:
        return "sent" if result.ok else "stopped"
    if self.request.is_eager:
        # A replay runs tasks inline: waiting here would stall it. The row stays pending
        # and a running worker's outbox sweep retries it.
        log.warning(
            "delivery failed; left pending for a running worker (claimwatch run) to retry",
            delivery_id=delivery_id,
            error=result.error,
        )
    elif retry_in <= MAX_COUNTDOWN_SECONDS:
        deliver.apply_async((delivery_id,), countdown=retry_in)
    return "retrying"


def _send(
    subscriber: Subscriber, message: Message, webhook_id: str, settings: Settings
) -> SendResult:
    timeout, guard = settings.delivery_timeout_seconds, delivery_guard()
    try:
        if subscriber.channel == "webhook":
            return send_webhook(
                subscriber.channel_url,
                build_payload(message, webhook_id),
                webhook_id,
                read_secrets(subscriber.secret_env),
                timeout,
                get_settings().user_agent,
                guard,
            )
        return send_apprise(expand_url(subscriber.channel_url), message, timeout, guard)
    except MissingSecretError as error:
        return SendResult(False, 0, error=str(error))


def _record(
    delivery_id: int, started: datetime, result: SendResult, settings: Settings
) -> float | None:
    """Store the attempt and the delivery's new state; return the seconds until a retry."""
    now = utcnow()
    with session_scope(engine()) as session:
        delivery = session.get(Delivery, delivery_id)
        assert delivery is not None
        session.add(
            DeliveryAttempt(
                delivery_id=delivery_id,
                attempted_at=started,  # type: ignore[arg-type]
                duration_ms=result.duration_ms,
                status_code=result.status_code,
                error=result.error,
            )
        )
        delivery.leased_until, delivery.last_error = None, result.error
        if result.ok:
            delivery.status, delivery.sent_at = "sent", now
            return None
        if result.gone:
            subscriber = session.get(Subscriber, delivery.subscriber_id)
            assert subscriber is not None
            set_status(session, subscriber, "disabled", "the receiver answered 410 Gone")
            log.warning("subscription disabled: 410 Gone", subscriber_id=subscriber.id)
            return None
        age = now - as_utc(delivery.created_at)  # type: ignore[operator]
        if age.total_seconds() >= settings.delivery_give_up_seconds:
            delivery.status = "failed"
            log.warning("delivery given up", delivery_id=delivery_id, attempts=delivery.attempts)
            return None
        retry_in = backoff_seconds(
            delivery.attempts,
            settings.delivery_backoff_seconds,
            settings.delivery_max_backoff_seconds,
            result.retry_after,
        )
        delivery.next_attempt_at = now + timedelta(seconds=retry_in)
        return retry_in


@shared_task(name="tasks.deliver.sweep_outbox")
@skip_on_outage
def sweep_outbox() -> int:
    """Re-enqueue pending deliveries whose task was lost, and send the digests now due."""
    settings = get_settings()
    now = utcnow()
    lost_before = now - timedelta(seconds=settings.delivery_lost_after_seconds)
    with session_scope(engine()) as session:
        take_lock(session, OUTBOX_LOCK)
        # Row locks (PostgreSQL; SQLite's write lock is already held) keep a task from
        # leasing a row between this read and the update below.
        lost = session.exec(
            select(Delivery)
            .where(
                Delivery.status == "pending",
                Delivery.next_attempt_at <= lost_before,
                or_(col(Delivery.leased_until).is_(None), col(Delivery.leased_until) < now),
            )
            .with_for_update()
        ).all()
        lease = timedelta(seconds=settings.delivery_timeout_seconds) + LEASE_MARGIN
        for delivery in lost:
            if delivery.leased_until is not None:
                # Its worker died mid-attempt: nobody knows whether the receiver got it.
                session.add(
                    DeliveryAttempt(
                        delivery_id=delivery.id,  # type: ignore[arg-type]
                        attempted_at=as_utc(delivery.leased_until) - lease,  # type: ignore[operator]
                        duration_ms=0,
                        error="no outcome: the worker was lost during the attempt",
                    )
                )
            # Due now, so the next sweep leaves it to this task for a while.
            delivery.next_attempt_at, delivery.leased_until = now, None
        ids = [d.id for d in lost] + _bundle_digests(session, now)
    for delivery_id in ids:
        deliver.delay(delivery_id)
    if lost:
        log.info("outbox sweep re-enqueued deliveries", count=len(lost))
    return len(ids)


def _bundle_digests(session: Session, now: datetime) -> list[int]:
    """One digest delivery per subscriber whose oldest held alert has waited its period."""
    ids = []
    subscribers = session.exec(
        select(Subscriber).where(
            Subscriber.status == "active", col(Subscriber.digest_minutes).is_not(None)
        )
    ).all()
    for subscriber in subscribers:
        held = session.exec(
            select(Delivery)
            .where(Delivery.subscriber_id == subscriber.id, Delivery.status == "held")
            .order_by(col(Delivery.created_at), col(Delivery.id))
        ).all()
        period = timedelta(minutes=subscriber.digest_minutes or 0)
        if not held or as_utc(held[0].created_at) + period > now:  # type: ignore[operator]
            continue
        bundle = Delivery(subscriber_id=subscriber.id)  # type: ignore[arg-type]
        session.add(bundle)
        session.flush()
        for delivery in held:
            delivery.status, delivery.bundle_id = "bundled", bundle.id
        ids.append(bundle.id)  # type: ignore[arg-type]
    return ids  # type: ignore[return-value]


@shared_task(name="tasks.deliver.check_operations")
@skip_on_outage
def check_operations() -> int:
    """Raise ``feed_broken`` and ``delivery_failing`` notices, each episode once."""
    settings = get_settings()
    now = utcnow()
    with session_scope(engine()) as session:
        take_lock(session, OUTBOX_LOCK)
        found = _broken_feeds(session) + _failing_subscribers(session, now, settings)
        subscribers = session.exec(select(Subscriber).where(Subscriber.status == "active")).all()
        ids = []
        for notice, about_subscriber in found:
            if session.exec(select(Notice.id).where(Notice.key == notice.key)).first():
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
    for feed in session.exec(select(Feed).where(col(Feed.broken_since).is_not(None))):
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
    failing = session.exec(
        select(Delivery)
        .where(
            or_(
                col(Delivery.status) == "failed",
                (col(Delivery.status) == "pending")
                & (col(Delivery.attempts) > 0)
                & (col(Delivery.created_at) <= since),
            )
        )
        .order_by(col(Delivery.id))
    ).all()
    last_sent = dict(
        session.exec(  # type: ignore[call-overload]
            select(Delivery.subscriber_id, func.max(Delivery.id))
            .where(Delivery.status == "sent")
            .group_by(col(Delivery.subscriber_id))
        ).all()
    )
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
