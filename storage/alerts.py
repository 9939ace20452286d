"""Alerts: the story's alerts for the decisions, and whether one was raised already."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from storage.models import Alert, Article, Outlet, Story
from storage.subscriptions import Delivery


def story_alerts(session: Session, story_id: int) -> Sequence[Alert]:
    return session.exec(select(Alert).where(Alert.story_id == story_id)).all()


def alert_exists(session: Session, key: str) -> bool:
    return session.exec(select(Alert.id).where(Alert.key == key)).first() is not None


def pending_deliveries(session: Session, article_id: int) -> list[int]:
    """Ids of the pending deliveries of the article's alerts."""
    return list(session.exec(
        select(Delivery.id)
        .join(Alert, col(Alert.id) == col(Delivery.alert_id))
        .where(Alert.article_id == article_id, Delivery.status == "pending")
    ).all())  # type: ignore[arg-type]


def count_by_kind(session: Session) -> list[tuple[str, int]]:
    """How many alerts of each kind were raised."""
    return list(session.exec(select(Alert.kind, func.count()).group_by(Alert.kind)).all())


def alerts_query(*conditions: Any) -> Any:
    """Alerts, newest first, with what a reader sees beside each: its story's title and its
    article's title and outlet, joined in the same statement. Rows are (``Alert``, story
    title, article title, outlet name)."""
    return (
        select(Alert, col(Story.title), col(Article.title), col(Outlet.name))
        .join(Story, col(Story.id) == col(Alert.story_id))
        .join(Article, col(Article.id) == col(Alert.article_id), isouter=True)
        .join(Outlet, col(Outlet.id) == col(Article.outlet_id), isouter=True)
        .where(*conditions)
        .order_by(col(Alert.created_at).desc(), col(Alert.id).desc())
    )


def alert_list(
    session: Session, *, kind: str | None, story_id: int | None, limit: int, offset: int
) -> tuple[int, Sequence[Any]]:
    """The number of alerts of this kind and story (either may be None: any), and one page
    of them, newest first, as :func:`alerts_query` gives them."""
    conditions = []
    if kind:
        conditions.append(Alert.kind == kind)
    if story_id is not None:
        conditions.append(Alert.story_id == story_id)
    total = session.exec(select(func.count()).select_from(Alert).where(*conditions)).one()
    rows = session.exec(alerts_query(*conditions).offset(offset).limit(limit)).all()
    return total, rows
