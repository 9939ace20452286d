"""Subscribers and the delivery outbox: who gets which alerts, what was sent, and each try.

A delivery row is written in the transaction that raises its alert (or operational
notice), so an alert is never without its deliveries. Its ``webhook_id`` is the
idempotency key a receiver sees on every attempt, so retries after a lost task, a dead
worker or a restarted broker can be dropped as duplicates.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, Session, SQLModel, col, func, select

from storage.models import json_column, utcnow

# Story alerts a subscriber with no kinds filter gets.
ALERT_KINDS = ("contradiction", "new_source", "new_story", "revision")
# Operational notices: only to subscribers that name them in their kinds.
NOTICE_KINDS = ("feed_broken", "delivery_failing")
# Every kind a subscriber may name.
KINDS = (*ALERT_KINDS, *NOTICE_KINDS)


def new_webhook_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


class Subscriber(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    # An http(s) URL is a signed webhook; anything else an Apprise URL. ``${VAR}`` in it is
    # read from the environment when sending, so tokens need not be stored.
    channel_url: str = Field(max_length=2000)
    channel: str = "webhook"  # webhook, apprise
    # Name of the environment variable holding the webhook secret(s); never the secret itself.
    secret_env: str | None = None
    kinds: list[str] = json_column()
    story_ids: list[int] = json_column()
    # Operator claim ids (``claims add --id``) or numeric claim ids, as strings.
    claim_ids: list[str] = json_column()
    outlets: list[str] = json_column()
    min_score: float | None = None
    # At most one message per this many minutes, grouping the alerts in between.
    digest_minutes: float | None = None
    status: str = Field(default="active", index=True)  # active, disabled (410 Gone), removed
    status_reason: str | None = None
    created_at: datetime = Field(default_factory=utcnow)


class Notice(SQLModel, table=True):
    """An operational alert (a feed broken too long, a subscriber's deliveries failing)."""

    id: int | None = Field(default=None, primary_key=True)
    # kind:subject:episode, so each episode is raised once.
    key: str = Field(unique=True, max_length=300)
    kind: str
    summary: str = Field(sa_column=Column(Text, nullable=False))
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class Delivery(SQLModel, table=True):
    """The outbox: one message to one subscriber.

    A message is one alert, one notice, or a digest: a row with neither, whose alerts are
    the ``held`` rows that point to it through ``bundle_id``.
    """

    __table_args__ = (UniqueConstraint("alert_id", "subscriber_id"),)

    id: int | None = Field(default=None, primary_key=True)
    webhook_id: str = Field(default_factory=new_webhook_id, unique=True, max_length=64)
    subscriber_id: int = Field(foreign_key="subscriber.id", index=True)
    alert_id: int | None = Field(default=None, foreign_key="alert.id", index=True)
    notice_id: int | None = Field(default=None, foreign_key="notice.id")
    bundle_id: int | None = Field(default=None, foreign_key="delivery.id", index=True)
    # pending -> sent | failed (gave up) | cancelled (subscriber gone);
    # held -> bundled (into a digest delivery)
    status: str = Field(default="pending", index=True)
    attempts: int = 0
    last_error: str | None = None
    next_attempt_at: datetime = Field(default_factory=utcnow, index=True)
    # A worker sending it holds it until then; past that, the sweep may hand it to another.
    leased_until: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None


class DeliveryAttempt(SQLModel, table=True):
    __tablename__ = "delivery_attempt"

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="delivery.id", index=True)
    attempted_at: datetime = Field(default_factory=utcnow)
    duration_ms: int
    status_code: int | None = None
    error: str | None = None


def set_status(session: Session, subscriber: Subscriber, status: str, reason: str | None) -> None:
    """Change a subscription's status; one that stops also drops what it still had coming
    (its delivery history stays)."""
    subscriber.status, subscriber.status_reason = status, reason
    if status == "active":
        return
    for delivery in session.exec(
        select(Delivery).where(
            Delivery.subscriber_id == subscriber.id,
            col(Delivery.status).in_(["pending", "held"]),
        )
    ):
        delivery.status = "cancelled"


def subscriber_list(
    session: Session, *, limit: int, offset: int
) -> tuple[int, Sequence[Subscriber]]:
    """The number of subscribers, removed ones included, and one page of them in id order."""
    total = session.exec(select(func.count()).select_from(Subscriber)).one()
    rows = session.exec(
        select(Subscriber).order_by(col(Subscriber.id)).offset(offset).limit(limit)
    ).all()
    return total, rows


def subscribers(session: Session, *, removed: bool) -> Sequence[Subscriber]:
    """Subscribers in id order; removed ones too with ``removed``."""
    query = select(Subscriber).order_by(col(Subscriber.id))
    if not removed:
        query = query.where(Subscriber.status != "removed")
    return session.exec(query).all()


def delivery_counts(session: Session) -> dict[int, dict[str, int]]:
    """Per subscriber, how many of its deliveries are in each status."""
    counts: dict[int, dict[str, int]] = {}
    for subscriber_id, status, count in session.exec(
        select(Delivery.subscriber_id, Delivery.status, func.count()).group_by(
            col(Delivery.subscriber_id), col(Delivery.status)
        )
    ):
        counts.setdefault(subscriber_id, {})[status] = count
    return counts
