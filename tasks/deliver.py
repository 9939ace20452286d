"""Delivery from the outbox: send, record every attempt, retry with backoff, give up late.

A worker takes a delivery by leasing its row (one conditional UPDATE), so two copies of
the task never send at once; it sends outside any transaction and records the outcome.
Beat's sweep (:mod:`tasks.outbox`) hands deliveries whose task was lost (a dead worker, a
restarted broker) to a new task once their lease has run out, and forms due digests;
nothing is lost, and a receiver drops the rare duplicate by its ``webhook-id``.
Operational notices are raised by :mod:`tasks.operations`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import structlog
from celery import shared_task

from config.settings import Settings, get_settings
from storage.db import session_scope
from storage.deliveries import lease_delivery
from storage.models import as_utc, utcnow
from storage.subscriptions import Delivery, DeliveryAttempt, Subscriber, set_status
from tasks.context import engine
from tasks.reliability import RETRY_TRANSIENT

if TYPE_CHECKING:
    from notify.payload import Message
    from notify.webhook import SendResult

log = structlog.get_logger(__name__)

# A lease outlives the send timeout by this much before another worker may take over.
LEASE_MARGIN = timedelta(seconds=5)
# Retries further away than this are left to the sweep: a broker holds long countdowns
# badly (Redis redelivers them after its visibility timeout).
MAX_COUNTDOWN_SECONDS = 600


@shared_task(name="tasks.deliver.deliver", bind=True, **RETRY_TRANSIENT)
def deliver(self, delivery_id: int) -> str:  # type: ignore[no-untyped-def]
    """Make one attempt at one delivery; schedule the next if it failed."""
    from notify.views import load_message

    settings = get_settings()
    now = utcnow()
    lease = now + timedelta(seconds=settings.delivery_timeout_seconds) + LEASE_MARGIN
    with session_scope(engine()) as session:
        taken = lease_delivery(session, delivery_id, now, lease)
        if not taken:
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
    from notify.apprise_channel import send_apprise
    from notify.guard import delivery_guard
    from notify.payload import build_payload
    from notify.secrets import MissingSecretError, expand_url, read_secrets
    from notify.webhook import SendResult, send_webhook

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
    from notify.retry import backoff_seconds

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
