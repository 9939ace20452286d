"""``claimwatch poll-once``: poll feeds now and process what they bring, synchronously.

For operators checking their feeds, and for tests: the same batch task as a worker, run
eagerly, with a per-feed account of what happened. ``--all`` polls feeds that are not due
yet, but never one that is backing off after failures or was told to wait (Retry-After):
an operator's impatience must not make claimwatch hammer a failing site.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from config.settings import get_settings
from storage.articles import article_errors, count_by_status_among
from storage.db import session_scope
from storage.feeds import pollable_feed_ids
from storage.models import Feed, iso_utc, utcnow
from tasks.articles import retry_due_fetches
from tasks.context import engine
from tasks.feeds import chunked, poll_feeds
from worker.app import run_tasks_inline


def poll_once(*, all_feeds: bool = False) -> list[dict[str, Any]]:
    """Poll due feeds (with ``all_feeds`` every feed not backing off); one summary per due
    feed (with ``all_feeds`` per feed, ``polled`` false for those left to wait)."""
    run_tasks_inline()
    now = utcnow()
    with session_scope(engine()) as session:
        listed, ids = pollable_feed_ids(session, now, all_feeds=all_feeds)
    retry_due_fetches()  # articles whose earlier fetch failed for a passing reason
    new: dict[int, list[int]] = {}
    for batch in chunked(ids, get_settings().poll_batch_size):
        new.update(poll_feeds(batch))
    with session_scope(engine()) as session:
        return [_summary(session, feed_id, new.get(feed_id)) for feed_id in listed]


def _summary(session: Session, feed_id: int, new: list[int] | None) -> dict[str, Any]:
    """What happened to one feed; ``polled`` is false when it had to wait (Retry-After).

    ``article_errors`` lists the new articles that failed or were read from their feed
    entry because their page could not be had, and those whose fetch will be tried again
    (``retry_at``).
    """
    feed = session.get(Feed, feed_id)
    assert feed is not None
    polled, new = new is not None, new or []
    statuses = count_by_status_among(session, new)
    failures = article_errors(session, new)
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
            {"id": i, "reason": r, "message": m, "retry_at": iso_utc(at)}
            for i, r, m, at in failures
        ],
        "next_poll_at": iso_utc(feed.next_poll_at),
        "retry_after_until": iso_utc(feed.retry_after_until),
        "broken_since": iso_utc(feed.broken_since),
    }


