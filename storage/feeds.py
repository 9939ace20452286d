"""Feeds: adding and removing them (the CLI and the web API share these), and the bulk
writes of a poll batch."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, or_, select

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


INSERT_CHUNK = 500


def existing_feed_ids(session: Session, ids: Collection[int]) -> set[int]:
    """Those of ``ids`` still in the database."""
    return set(session.exec(select(Feed.id).where(col(Feed.id).in_(list(ids)))).all())  # type: ignore[arg-type]


def insert_new_articles(session: Session, rows: Sequence[dict[str, Any]]) -> dict[int, list[int]]:
    """Insert the article rows not seen before (by origin and external id); returns the new
    article ids per feed. One query per chunk finds the known ids, one executemany inserts
    the rest; a row another poll inserted meanwhile is skipped by the unique key."""
    origins = sorted({r["origin"] for r in rows})
    external_ids = sorted({r["external_id"] for r in rows})
    known = set()
    for start in range(0, len(external_ids), INSERT_CHUNK):
        known.update(session.exec(
            select(Article.origin, Article.external_id).where(
                col(Article.origin).in_(origins),
                col(Article.external_id).in_(external_ids[start : start + INSERT_CHUNK]),
            )
        ).all())
    rows = [r for r in rows if (r["origin"], r["external_id"]) not in known]
    new: dict[int, list[int]] = defaultdict(list)
    if not rows:
        return new
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else (
        sqlite_insert
    )
    statement = (
        insert(Article)
        .on_conflict_do_nothing(index_elements=["origin", "external_id"])
        .returning(col(Article.id), col(Article.feed_id))
    )
    for article_id, feed_id in session.execute(statement, rows):
        new[feed_id].append(article_id)
    return {feed_id: sorted(ids) for feed_id, ids in new.items()}


def update_feeds(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Write a batch's feed rows: one executemany per set of columns (304s share one)."""
    table = Feed.__table__  # type: ignore[attr-defined]
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[tuple(sorted(k for k in row if k != "id"))].append(row)
    for keys, group in groups.items():
        statement = (
            update(table)
            .where(table.c.id == bindparam("_id"))
            .values({k: bindparam(f"_{k}") for k in keys})
        )
        session.execute(statement, [{f"_{k}": v for k, v in row.items()} for row in group])



def lease_due_feeds(session: Session, now: datetime, lease: timedelta) -> list[int]:
    """The feeds due at ``now``, oldest due first, made not due again for ``lease`` (rows
    locked and skipped if locked, so two sweeps never hand out one feed)."""
    ids = list(
        session.exec(
            select(Feed.id)
            .where(Feed.next_poll_at <= now)
            .order_by(col(Feed.next_poll_at))
            .with_for_update(skip_locked=True)
        ).all()
    )
    if ids:
        session.exec(  # type: ignore[call-overload]
            update(Feed).where(col(Feed.id).in_(ids)).values(next_poll_at=now + lease)
        )
    return ids  # type: ignore[return-value]


def feeds_by_ids(session: Session, ids: Collection[int]) -> Sequence[Feed]:
    return session.exec(select(Feed).where(col(Feed.id).in_(list(ids)))).all()


def broken_feeds(session: Session) -> Sequence[Feed]:
    """Feeds the poll path has marked broken."""
    return session.exec(select(Feed).where(col(Feed.broken_since).is_not(None))).all()


def count_by_status(session: Session) -> list[tuple[str, int]]:
    """How many feeds are in each status."""
    return list(session.exec(select(Feed.status, func.count()).group_by(Feed.status)).all())


def consecutive_errors(session: Session) -> int:
    """The sum of every feed's consecutive errors."""
    return int(session.exec(select(func.coalesce(func.sum(Feed.error_count), 0))).one())


def feed_list(
    session: Session, *, status: str | None, limit: int, offset: int
) -> tuple[int, Sequence[tuple[Feed, int]]]:
    """The number of feeds (in ``status``, if given), and one page of (feed, how many
    articles it brought), in id order."""
    counts = (
        select(col(Article.feed_id).label("feed_id"), func.count(col(Article.id)).label("n"))
        .group_by(col(Article.feed_id))
        .subquery()
    )
    query = select(Feed, func.coalesce(counts.c.n, 0)).join(
        counts, counts.c.feed_id == col(Feed.id), isouter=True
    )
    if status:
        query = query.where(Feed.status == status)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(col(Feed.id)).offset(offset).limit(limit)).all()
    return total, rows  # type: ignore[return-value]


def pollable_feed_ids(
    session: Session, now: datetime, *, all_feeds: bool
) -> tuple[list[int], list[int]]:
    """For ``poll-once``: the feeds to report on and those to poll, in id order. Both are
    the feeds due at ``now``; with ``all_feeds``, every feed is reported on and every feed
    not backing off after failures (or due anyway) is polled."""
    due = col(Feed.next_poll_at) <= now
    query = select(Feed.id).order_by(col(Feed.id))
    listed = list(session.exec(query if all_feeds else query.where(due)).all())
    ids = list(session.exec(
        query.where(or_(Feed.error_count == 0, due) if all_feeds else due)
    ).all())
    return listed, ids  # type: ignore[return-value]


def article_count(session: Session, feed_id: int) -> int:
    """How many articles the feed brought."""
    return len(session.exec(select(Article.id).where(Article.feed_id == feed_id)).all())


def all_feeds(session: Session) -> Sequence[Feed]:
    """Every feed, in id order."""
    return session.exec(select(Feed).order_by(col(Feed.id))).all()


def article_counts_by_status(session: Session) -> dict[int, dict[str, int]]:
    """Per feed, how many of its articles are in each status."""
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for feed_id, status, n in session.exec(
        select(Article.feed_id, Article.status, func.count())
        .where(col(Article.feed_id).is_not(None))
        .group_by(col(Article.feed_id), col(Article.status))
    ):
        counts[feed_id][status] = n  # type: ignore[index]
    return counts
