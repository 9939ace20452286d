"""``claimwatch poll-once``: poll feeds now and process what they bring, synchronously.

For operators checking a feed, and for tests: the same task code as a worker, run
eagerly, with a per-feed account of what happened.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import col, func, select

from storage.db import session_scope
from storage.models import Article, Feed, utcnow
from tasks.context import engine
from tasks.feeds import poll_feed
from worker.app import app


def poll_once(*, all_feeds: bool = False) -> list[dict[str, Any]]:
    """Poll due feeds (every feed with `all_feeds`, still honouring backoff and Retry-After
    unless it has never failed) and return one summary per feed."""
    app.conf.task_always_eager = True
    now = utcnow()
    with session_scope(engine()) as session:
        query = select(Feed).order_by(col(Feed.id))
        if not all_feeds:
            query = query.where(Feed.next_poll_at <= now)
        feeds = [f for f in session.exec(query) if f.error_count == 0 or f.next_poll_at <= now]
        ids = [f.id for f in feeds]
    results = []
    for feed_id in ids:
        new = poll_feed(feed_id)
        with session_scope(engine()) as session:
            feed = session.get(Feed, feed_id)
            assert feed is not None
            statuses = dict(
                session.exec(
                    select(Article.status, func.count())
                    .where(col(Article.id).in_(new))
                    .group_by(col(Article.status))
                ).all()
            )
            failures = session.exec(
                select(Article.external_id, Article.error_reason, Article.error_message).where(
                    col(Article.id).in_(new), Article.status == "failed"
                )
            ).all()
            results.append(
                {
                    "feed_id": feed_id,
                    "url": feed.url,
                    "status": feed.status,
                    "last_error": feed.last_error if feed.error_count else None,
                    "new_articles": len(new),
                    "articles_by_status": statuses,
                    "article_errors": [
                        {"id": i, "reason": r, "message": m} for i, r, m in failures
                    ],
                    "next_poll_at": feed.next_poll_at.isoformat(),
                }
            )
    return results
