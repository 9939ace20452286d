"""The outbox's queries: leasing a delivery, finding lost ones, digests and failing
subscribers, and what a message is made of (the tables are in :mod:`storage.subscriptions`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, or_, update
from sqlmodel import Session, col, select

from storage.models import Alert
from storage.subscriptions import Delivery, Notice, Subscriber


def lease_delivery(session: Session, delivery_id: int, now: datetime, until: datetime) -> bool:
    """Take a pending, due, unleased delivery until ``until`` and count the attempt (one
    conditional UPDATE, so two workers never take it at once); whether it was taken."""
    taken = session.exec(  # type: ignore[call-overload]
        update(Delivery)
        .where(
            col(Delivery.id) == delivery_id,
            col(Delivery.status) == "pending",
            col(Delivery.next_attempt_at) <= now + timedelta(seconds=1),
            or_(col(Delivery.leased_until).is_(None), col(Delivery.leased_until) < now),
        )
        .values(leased_until=until, attempts=col(Delivery.attempts) + 1)
    )
    return bool(taken.rowcount == 1)


def lost_deliveries(session: Session, now: datetime, due_before: datetime) -> Sequence[Delivery]:
    """Pending deliveries due before ``due_before`` that no live lease holds, row-locked
    (PostgreSQL; SQLite's write lock is already held) so no task leases one meanwhile."""
    return session.exec(
        select(Delivery)
        .where(
            Delivery.status == "pending",
            Delivery.next_attempt_at <= due_before,
            or_(col(Delivery.leased_until).is_(None), col(Delivery.leased_until) < now),
        )
        .with_for_update()
    ).all()


def active_subscribers(session: Session, *, digest: bool = False) -> Sequence[Subscriber]:
    """Active subscribers; with ``digest``, only those taking digests."""
    query = select(Subscriber).where(Subscriber.status == "active")
    if digest:
        query = query.where(col(Subscriber.digest_minutes).is_not(None))
    return session.exec(query).all()


def held_deliveries(session: Session, subscriber_id: int) -> Sequence[Delivery]:
    """A digest subscriber's deliveries waiting for their digest, oldest first."""
    return session.exec(
        select(Delivery)
        .where(Delivery.subscriber_id == subscriber_id, Delivery.status == "held")
        .order_by(col(Delivery.created_at), col(Delivery.id))
    ).all()


def digest_alerts(session: Session, bundle_id: int) -> Sequence[Alert]:
    """The alerts a digest delivery bundles, oldest first."""
    return session.exec(
        select(Alert)
        .join(Delivery, col(Delivery.alert_id) == col(Alert.id))
        .where(Delivery.bundle_id == bundle_id)
        .order_by(col(Alert.created_at), col(Alert.id))
    ).all()


def notice_exists(session: Session, key: str) -> bool:
    return session.exec(select(Notice.id).where(Notice.key == key)).first() is not None


def failing_deliveries(session: Session, failing_since: datetime) -> Sequence[Delivery]:
    """Deliveries given up, or still pending after failed attempts since ``failing_since``
    or earlier, in id order."""
    return session.exec(
        select(Delivery)
        .where(
            or_(
                col(Delivery.status) == "failed",
                (col(Delivery.status) == "pending")
                & (col(Delivery.attempts) > 0)
                & (col(Delivery.created_at) <= failing_since),
            )
        )
        .order_by(col(Delivery.id))
    ).all()


def last_sent_ids(session: Session) -> dict[int, int]:
    """Per subscriber, the id of its latest delivery that was sent."""
    return dict(
        session.exec(  # type: ignore[call-overload]
            select(Delivery.subscriber_id, func.max(Delivery.id))
            .where(Delivery.status == "sent")
            .group_by(col(Delivery.subscriber_id))
        ).all()
    )


def count_by_status(session: Session) -> list[tuple[str, int]]:
    """How many deliveries are in each status."""
    return list(
        session.exec(select(Delivery.status, func.count()).group_by(Delivery.status)).all()
    )
