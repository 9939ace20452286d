"""What a subscriber receives, as plain values: alert views and the versioned JSON payload.

Pure: the delivery task reads the rows, these functions shape them. The JSON schema is
documented in README.md ("Alerts and subscriptions"); bump PAYLOAD_VERSION on any change
that is not a new optional field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

PAYLOAD_VERSION = 1


def story_url(base_url: str, story_id: int) -> str:
    """The address of a story's page in the web app, which messages link to."""
    return f"{base_url.rstrip('/')}/stories/{story_id}"


@dataclass(frozen=True)
class ArticleView:
    """A report as an alert shows it: who published it, when, its stance and evidence."""

    id: int
    ref: str  # the id the article has at its origin (feed GUID, replay input id)
    title: str | None
    url: str | None
    outlet: str | None
    published_at: datetime | None
    stance: str | None
    score: float | None
    evidence: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class AlertView:
    id: int
    kind: str
    summary: str
    created_at: datetime
    story_id: int
    story_title: str
    story_url: str
    claim_id: str | None
    claim_text: str | None
    article: ArticleView
    contradicts: list[ArticleView] = field(default_factory=list)
    new_sources: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Digest:
    """The alerts a digest subscriber collected over one period, oldest first."""

    alerts: list[AlertView]


@dataclass(frozen=True)
class NoticeView:
    id: int
    kind: str
    summary: str
    created_at: datetime
    details: dict[str, Any] = field(default_factory=dict)


Message = AlertView | Digest | NoticeView


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    aware = value.replace(tzinfo=UTC) if value.utcoffset() is None else value.astimezone(UTC)
    return aware.isoformat().replace("+00:00", "Z")


def message_type(message: Message) -> str:
    if isinstance(message, Digest):
        return "alert.digest"
    if isinstance(message, NoticeView):
        return f"notice.{message.kind}"
    return f"alert.{message.kind}"


def build_payload(message: Message, message_id: str) -> dict[str, Any]:
    """The webhook body: version, id (the ``webhook-id``), type, timestamp and data."""
    if isinstance(message, Digest):
        data: dict[str, Any] = {"alerts": [alert_data(a) for a in message.alerts]}
        timestamp = message.alerts[-1].created_at
    elif isinstance(message, NoticeView):
        data = {
            "id": message.id,
            "kind": message.kind,
            "summary": message.summary,
            "created_at": iso(message.created_at),
            "details": message.details,
        }
        timestamp = message.created_at
    else:
        data, timestamp = alert_data(message), message.created_at
    return {
        "version": PAYLOAD_VERSION,
        "id": message_id,
        "type": message_type(message),
        "timestamp": iso(timestamp),
        "data": data,
    }


def alert_data(alert: AlertView) -> dict[str, Any]:
    return {
        "id": alert.id,
        "kind": alert.kind,
        "summary": alert.summary,
        "created_at": iso(alert.created_at),
        "story": {"id": alert.story_id, "title": alert.story_title, "url": alert.story_url},
        "claim": {"id": alert.claim_id, "text": alert.claim_text},
        "article": article_data(alert.article),
        "contradicts": [article_data(a) for a in alert.contradicts],
        "new_sources": alert.new_sources,
    }


def article_data(article: ArticleView) -> dict[str, Any]:
    return {
        "id": article.id,
        "ref": article.ref,
        "title": article.title,
        "url": article.url,
        "outlet": article.outlet,
        "published_at": iso(article.published_at),
        "stance": article.stance,
        "score": None if article.score is None else round(article.score, 4),
        "evidence": article.evidence,
    }
