"""Subscribers and the delivery outbox: who gets which alerts, and what was sent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.models import json_column, utcnow


class Subscriber(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    channel_url: str
    # Name of the environment variable holding the webhook secret; never the secret itself.
    secret_env: str | None = None
    kinds: list[str] = json_column()
    story_id: int | None = Field(default=None, foreign_key="story.id")
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)


class Delivery(SQLModel, table=True):
    """The outbox: one row per alert and subscriber, written with the alert."""

    __table_args__ = (UniqueConstraint("alert_id", "subscriber_id"),)

    id: int | None = Field(default=None, primary_key=True)
    alert_id: int = Field(foreign_key="alert.id", index=True)
    subscriber_id: int = Field(foreign_key="subscriber.id")
    status: str = Field(default="pending", index=True)  # pending, sent, failed
    attempts: int = 0
    last_error: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None
