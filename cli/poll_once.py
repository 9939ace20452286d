"""``claimwatch poll-once``: poll feeds now and process what they bring, synchronously.

For operators checking their feeds, and for tests: the same batch task as a worker, run
eagerly, with a per-feed account of what happened. ``--all`` polls feeds that are not due
yet, but never one that is backing off after failures or was told to wait (Retry-After):
an operator's impatience must not make claimwatch hammer a failing site.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, func, or_, select

from config.settings import get_settings
from storage.db import session_scope
from storage.models import Article, Feed, as_utc, utcnow
from tasks.articles import retry_due_fetches
from tasks.context import engine
from tasks.feeds import chunked, poll_feeds
from worker.app import app


def poll_once(*, all_feeds: bool = False) -> list[dict[str, Any]]:
    """Poll due feeds (with ``all_feeds`` every feed not backing off); one summary per due
    feed (with ``all_feeds`` per feed, ``polled`` false for those left to wait)."""
    app.conf.task_always_eager = True
    now = utcnow()
    due = col(Feed.next_poll_at) <= now
    query = select(Feed.id).order_by(col(Feed.id))
    with session_scope(engine()) as session:
        listed = list(session.exec(query if all_feeds else query.where(due)).all())
        ids = list(session.exec(
            query.where(or_(Feed.error_count == 0, due) if all_feeds else due)
        ).all())
    retry_due_fetches()  # articles whose earlier fetch failed for a passing reason
    new: dict[int, list[int]] = {}
    for batch in chunked(ids, get_settings().poll_batch_size):
        new.update(poll_feeds(batch))
    with session_scope(engine()) as session:
        return [_summary(session, feed_id, new.get(feed_id)) for feed_id in listed]


def _summary(session: Session, feed_id: int, new: list[int] | None) -> dict[str, Any]:
    """What happened to one feed; ``polled`` is false when it had to wait (Retry-After).

    ``article_errors`` lists the new articles that failed, and those whose fetch will be
    tried again (``retry_at``).
    """
    feed = session.get(Feed, feed_id)
    assert feed is not None
    polled, new = new is not None, new or []
    statuses = dict(
        session.exec(
            select(Article.status, func.count())
            .where(col(Article.id).in_(new))
            .group_by(col(Article.status))
        ).all()
    )
    failures = session.exec(
        select(Article.external_id, Article.error_reason, Article.error_message,
               Article.retry_at).where(
            col(Article.id).in_(new), col(Article.error_reason).is_not(None)
        )
    ).all()
    return {
        "feed_id": feed_id,
        "url": feed.url,
        "polled": polled,
        "status": feed.status,
        "http_status": feed.last_status_code,
        "last_error": feed.last_error if feed.error_count else None,
        "error_reason": feed.last_error_reason if feed.error_count else None,
        "problems": feed.last_problems,
        "new_articles": len(new),
        "articles_by_status": statuses,
        "article_errors": [
            {"id": i, "reason": r, "message": m, "retry_at": _iso(at)}
            for i, r, m, at in failures
        ],
        "next_poll_at": _iso(feed.next_poll_at),
        "retry_after_until": _iso(feed.retry_after_until),
        "broken_since": _iso(feed.broken_since),
    }


def _iso(value: datetime | None) -> str | None:
    return as_utc(value).isoformat() if value is not None else None  # type: ignore[union-attr]
