"""Beat's sweep for due feeds, and polling one feed into new article rows."""

from __future__ import annotations

import random
from datetime import timedelta

import structlog
from sqlmodel import select

from ingest.errors import IngestError
from ingest.feeds import parse_feed
from storage.db import session_scope
from storage.models import Article, Feed, as_utc, utcnow
from tasks import articles
from tasks.context import engine, fetcher
from worker.app import app
from worker.settings import get_settings

log = structlog.get_logger(__name__)

# A feed failing this long is marked broken (still polled, at the slowest rate).
BROKEN_AFTER = timedelta(days=3)
# Articles stuck in a step longer than this are re-enqueued (a lost message, a dead worker).
STALLED_AFTER = timedelta(minutes=10)


@app.task(name="tasks.feeds.schedule_due_feeds")
def schedule_due_feeds() -> int:
    """Enqueue a poll for every due feed, leasing it so the next sweep skips it."""
    now = utcnow()
    with session_scope(engine()) as session:
        due = session.exec(
            select(Feed).where(Feed.next_poll_at <= now).with_for_update(skip_locked=True)
        ).all()
        for feed in due:
            feed.next_poll_at = now + timedelta(seconds=feed.poll_interval_seconds)
        ids = [feed.id for feed in due]
    for feed_id in ids:
        poll_feed.delay(feed_id)
    articles.resume_stalled(now - STALLED_AFTER)
    return len(ids)


@app.task(name="tasks.feeds.poll_feed")
def poll_feed(feed_id: int) -> list[int]:
    """Fetch one feed (conditional GET), record its new entries, enqueue their fetch."""
    with session_scope(engine()) as session:
        feed = session.get(Feed, feed_id)
        if feed is None:
            return []
        url, etag, last_modified = feed.url, feed.etag, feed.last_modified
    try:
        result = fetcher().fetch(url, etag=etag, last_modified=last_modified, accept="feed")
        parsed = (
            None if result.not_modified else parse_feed(result.body, result.url, result.headers)
        )
    except IngestError as error:
        _record_failure(feed_id, error)
        return []
    pending: list[int] = []
    with session_scope(engine()) as session:
        feed = session.get(Feed, feed_id)
        assert feed is not None
        settings = get_settings()
        interval = min(
            max(feed.poll_interval_seconds, settings.min_poll_interval_seconds),
            settings.max_poll_interval_seconds,
        )
        feed.status, feed.error_count, feed.last_success_at = "ok", 0, utcnow()
        feed.next_poll_at = utcnow() + timedelta(seconds=interval)
        if parsed is not None:
            feed.etag, feed.last_modified = result.etag, result.last_modified
            feed.title = parsed.title or feed.title
            origin = f"feed:{feed_id}"
            known = {
                a.external_id: a
                for a in session.exec(
                    select(Article).where(
                        Article.origin == origin,
                        Article.external_id.in_([e.guid for e in parsed.entries]),  # type: ignore[attr-defined]
                    )
                )
            }
            for entry in parsed.entries:
                article = known.get(entry.guid)
                if article is None:
                    article = Article(
                        origin=origin,
                        external_id=entry.guid,
                        feed_id=feed_id,
                        url=entry.url,
                        title=entry.title,
                        author=entry.author,
                        published_at=as_utc(entry.published_at),
                    )
                    session.add(article)
                    session.flush()
                if article.status == "pending":
                    pending.append(article.id)  # type: ignore[arg-type]
    log.info(
        "feed polled",
        feed_id=feed_id,
        url=url,
        not_modified=parsed is None,
        entries=len(parsed.entries) if parsed else 0,
        to_fetch=len(pending),
    )
    for article_id in pending:
        articles.fetch_article.delay(article_id)
    return pending


def _record_failure(feed_id: int, error: IngestError) -> None:
    """Count the failure, back off exponentially with jitter, honour Retry-After."""
    now = utcnow()
    settings = get_settings()
    with session_scope(engine()) as session:
        feed = session.get(Feed, feed_id)
        assert feed is not None
        feed.error_count += 1
        feed.last_error = f"{error.reason}: {error}"
        feed.last_error_at = now
        since = feed.last_success_at or feed.created_at
        feed.status = "broken" if now - since > BROKEN_AFTER else "error"
        backoff = min(
            settings.min_poll_interval_seconds * 2 ** min(feed.error_count, 16),
            settings.max_poll_interval_seconds * 4,
        )
        next_poll = now + timedelta(seconds=backoff * random.uniform(0.8, 1.2))
        retry_after = getattr(error, "retry_after", None)
        if retry_after is not None:
            next_poll = max(next_poll, as_utc(retry_after))
        feed.next_poll_at = next_poll
    log.warning("feed failed", feed_id=feed_id, reason=error.reason, error=str(error))
