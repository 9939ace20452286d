"""Into the outbox: a new alert's delivery rows, one per subscriber whose filters want it."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session

from notify.filters import AlertFacts, wants
from storage.deliveries import active_subscribers
from storage.models import Alert, Claim
from storage.subscriptions import Delivery


def write_deliveries(
    session: Session, alert: Alert, claim: Claim, outlets: Iterable[str]
) -> list[int]:
    """Write a new alert's outbox rows, one per active subscriber whose filters want it, in
    the alert's transaction; return those to send now (digests wait, ``held``)."""
    facts = AlertFacts(
        kind=alert.kind,
        story_id=alert.story_id,
        claim_keys=frozenset({str(claim.id), *([claim.external_id] if claim.external_id else [])}),
        outlets=frozenset(outlets),
        score=alert.score,
    )
    ids = []
    for subscriber in active_subscribers(session):
        if not wants(subscriber, facts):
            continue
        status = "held" if subscriber.digest_minutes else "pending"
        delivery = Delivery(alert_id=alert.id, subscriber_id=subscriber.id, status=status)  # type: ignore[arg-type]
        session.add(delivery)
        session.flush()
        if status == "pending":
            ids.append(delivery.id)
    return ids  # type: ignore[return-value]
