"""Beat's outbox sweep: deliveries whose task was lost go to a new task, and digests that
are due are formed (one delivery bundling a subscriber's held alerts)."""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog
from celery import shared_task
from sqlmodel import Session

from config.settings import get_settings
from storage.db import session_scope, take_lock
from storage.deliveries import active_subscribers, held_deliveries, lost_deliveries
from storage.models import as_utc, utcnow
from storage.subscriptions import Delivery, DeliveryAttempt
from tasks.context import engine
from tasks.deliver import LEASE_MARGIN, deliver
from tasks.reliability import skip_on_outage

log = structlog.get_logger(__name__)

# Taken by the sweep and by tasks.operations, so the two never write the outbox at once.
OUTBOX_LOCK = "outbox"


# The task keeps the name it had in tasks.deliver: beat's schedule and messages already
# queued (or in a broker across an upgrade) call it by that name.
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
        lost = lost_deliveries(session, now, lost_before)
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
    for subscriber in active_subscribers(session, digest=True):
        held = held_deliveries(session, subscriber.id)  # type: ignore[arg-type]
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
