"""Adding and removing feeds: the one implementation the CLI and the web API share."""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import Session, col, select

from ingest.feedlist import FeedSpec
from storage.models import Article, Feed


def add_feeds(
    session: Session, specs: list[FeedSpec], interval: int | None
) -> list[tuple[Feed, bool]]:
    """Add the feeds not present yet; returns each feed with whether it was added."""
    known = {
        f.url: f
        for f in session.exec(select(Feed).where(col(Feed.url).in_([s.url for s in specs])))
    }
    added = []
    for spec in specs:
        feed = known.get(spec.url)
        if feed is not None:
            added.append((feed, False))
            continue
        feed = Feed(url=spec.url, title=spec.title, fixed_interval_seconds=interval)
        if interval:
            feed.poll_interval_seconds = interval
        session.add(feed)
        known[spec.url] = feed
        added.append((feed, True))
    session.flush()
    return added


def remove_feed(session: Session, ref: str) -> Feed | None:
    """Delete a feed by id or URL; its articles stay (stories cite them), unlinked."""
    feed = session.get(Feed, int(ref)) if ref.isdigit() else session.exec(
        select(Feed).where(Feed.url == ref)
    ).first()
    if feed is None:
        return None
    session.exec(update(Article).where(Article.feed_id == feed.id).values(feed_id=None))  # type: ignore[call-overload]
    session.delete(feed)
    return feed
