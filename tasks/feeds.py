"""Beat's sweep for due feeds, and polling feeds in batches into new article rows.

Polling is batched because a few hundred feeds are mostly unchanged: one task fetches a
batch concurrently (conditional GETs, bounded per task and per host), parses only what
changed, and records the outcome of the whole batch in a few statements. New entries then
go on one by one, as articles.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import structlog
from sqlalchemy import bindparam, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from ingest.errors import IngestError
from ingest.feeds import ParsedFeed, parse_feed
from ingest.fetch import AsyncFetcher, FetchResult
from ingest.schedule import (
    Bounds,
    is_broken,
    next_poll_after_failure,
    publishing_interval,
    server_min_interval,
)
from storage.db import session_scope
from storage.models import Article, Feed, as_utc, utcnow
from tasks import articles
from tasks.context import engine, fetcher
from worker.app import RETRY_TRANSIENT, app, skip_on_outage
from worker.settings import Settings, get_settings

log = structlog.get_logger(__name__)

# A feed handed to a poll task is not due again for this long, unless the task records it:
# long enough for a batch's time-limited fetches, short enough that a poll lost with a
# worker or a restarted broker is made again within a minute (a second poll of a slow
# batch is harmless: conditional GETs, entries keyed by GUID).
POLL_LEASE = timedelta(seconds=45)
INSERT_CHUNK = 500


@app.task(name="tasks.feeds.schedule_due_feeds")
@skip_on_outage
def schedule_due_feeds() -> int:
    """Enqueue the due feeds in batches; feeds added at run time are due at once."""
    ids = lease_due_feeds(utcnow())
    for batch in chunked(ids, get_settings().poll_batch_size):
        poll_feeds.delay(batch)
    return len(ids)


def lease_due_feeds(now: datetime) -> list[int]:
    """The due feeds, leased so the next sweep (or another beat) skips them while queued."""
    with session_scope(engine()) as session:
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
                update(Feed).where(col(Feed.id).in_(ids)).values(next_poll_at=now + POLL_LEASE)
            )
    return ids  # type: ignore[return-value]


@app.task(name="tasks.feeds.poll_feeds", **RETRY_TRANSIENT)
def poll_feeds(feed_ids: list[int]) -> dict[int, list[int]]:
    """Poll a batch of feeds; returns the new article ids per polled feed."""
    return poll_batch(feed_ids)


@dataclass(frozen=True)
class _Target:
    feed_id: int
    url: str
    etag: str | None
    last_modified: str | None


@dataclass
class _Outcome:
    """What one poll of one feed gave: a result (parsed unless 304) or an error."""

    target: _Target
    result: FetchResult | None = None
    parsed: ParsedFeed | None = None
    error: IngestError | None = None


def poll_batch(feed_ids: Sequence[int]) -> dict[int, list[int]]:
    """Fetch, parse and record a batch of feeds, then enqueue the fetch of new entries.

    A feed whose server asked to wait (Retry-After) is skipped until then, whoever asks.
    """
    settings = get_settings()
    now = utcnow()
    with session_scope(engine()) as session:
        feeds = session.exec(select(Feed).where(col(Feed.id).in_(list(feed_ids)))).all()
    waiting = [f.id for f in feeds if f.retry_after_until and as_utc(f.retry_after_until) > now]
    targets = [
        _Target(f.id, f.url, f.etag, f.last_modified)  # type: ignore[arg-type]
        for f in feeds
        if f.id not in waiting
    ]
    outcomes = asyncio.run(_fetch_all(targets, settings))
    for outcome in outcomes:
        _parse(outcome)
    done = utcnow()
    by_id = {f.id: f for f in feeds}
    with session_scope(engine()) as session:
        # A feed removed while it was being fetched takes its outcome with it.
        present = set(session.exec(select(Feed.id).where(col(Feed.id).in_(list(by_id)))).all())
        outcomes = [o for o in outcomes if o.target.feed_id in present]
        new = _insert_entries(session, [o for o in outcomes if o.parsed is not None], done)
        rows = [
            _feed_row(by_id[o.target.feed_id], o, done, settings, bool(new.get(o.target.feed_id)))
            for o in outcomes
        ]
        _update_feeds(session, rows)
    for outcome in outcomes:
        _log(outcome, len(new.get(outcome.target.feed_id, [])))
    log.info(
        "feed batch polled", feeds=len(outcomes),
        not_modified=sum(1 for o in outcomes if o.result and o.result.not_modified),
        failed=sum(1 for o in outcomes if o.error), new_entries=sum(map(len, new.values())),
        waiting_for_retry_after=waiting,
    )
    for ids in new.values():
        for article_id in ids:
            articles.fetch_article.delay(article_id)
    return {o.target.feed_id: new.get(o.target.feed_id, []) for o in outcomes}


async def _fetch_all(targets: Sequence[_Target], settings: Settings) -> list[_Outcome]:
    """Conditional GETs for every target, at most ``poll_concurrency`` at once overall and
    ``poll_host_concurrency`` per host (many feeds of one publisher share a server)."""
    overall = asyncio.Semaphore(settings.poll_concurrency)
    per_host: dict[str, asyncio.Semaphore] = defaultdict(
        lambda: asyncio.Semaphore(settings.poll_host_concurrency)
    )
    async with AsyncFetcher(fetcher().settings, max_connections=settings.poll_concurrency) as f:

        async def one(target: _Target) -> _Outcome:
            outcome = _Outcome(target)
            # The host's slot first: a task waiting for a busy host holds no overall slot.
            async with per_host[_host(target.url)], overall:
                try:
                    outcome.result = await f.fetch(
                        target.url, etag=target.etag, last_modified=target.last_modified,
                        accept="feed",
                    )
                except IngestError as error:
                    outcome.error = error
            return outcome

        return list(await asyncio.gather(*(one(t) for t in targets)))


def _host(url: str) -> str:
    try:
        return urlsplit(url).netloc.lower()
    except ValueError:
        return ""


def _parse(outcome: _Outcome) -> None:
    result = outcome.result
    if result is None or result.not_modified:
        return
    try:
        outcome.parsed = parse_feed(result.body, result.url, result.headers)
    except IngestError as error:
        outcome.error = error


def _feed_row(
    feed: Feed, outcome: _Outcome, now: datetime, settings: Settings, found_new: bool
) -> dict[str, Any]:
    """The feed's columns after this poll (one row of the batch's bulk update)."""
    bounds = Bounds(settings.min_poll_interval_seconds, settings.max_poll_interval_seconds)
    row: dict[str, Any] = {"id": feed.id, "last_polled_at": now}
    error, result = outcome.error, outcome.result
    if error is not None:
        failing_since = as_utc(feed.failing_since) or now
        broken = is_broken(
            failing_since, now, timedelta(seconds=settings.feed_broken_after_seconds)
        )
        retry_after = as_utc(getattr(error, "retry_after", None))
        return row | {
            "status": "broken" if broken else "error",
            "error_count": feed.error_count + 1,
            "last_error": f"{error.reason}: {error.message}",
            "last_error_reason": error.reason,
            "last_error_at": now,
            "last_status_code": getattr(error, "status", None)
            or (result.status if result else None),
            "failing_since": failing_since,
            "broken_since": (as_utc(feed.broken_since) or now) if broken else None,
            "retry_after_until": retry_after,
            "next_poll_at": next_poll_after_failure(
                now, feed.error_count + 1, bounds, cap_seconds=settings.max_backoff_seconds,
                retry_after=retry_after,
            ),
        }
    assert result is not None
    interval = feed.poll_interval_seconds
    if feed.fixed_interval_seconds:
        interval = feed.fixed_interval_seconds
    elif outcome.parsed is not None:
        target = publishing_interval(
            (e.published_at for e in outcome.parsed.entries), bounds, fallback=interval,
            server_min_seconds=max(server_min_interval(result.headers) or 0,
                                   outcome.parsed.ttl_seconds or 0),
        )
        # New entries show the feed is active now, whatever their dates say (a replay, a
        # backfill, a wrong clock): after the first poll they may speed polling up, never
        # slow it down.
        interval = min(target, interval) if found_new and feed.last_success_at else target
    row |= {
        "status": "ok",
        "error_count": 0,
        "last_success_at": now,
        "last_status_code": result.status,
        "failing_since": None,
        "broken_since": None,
        "retry_after_until": None,
        "poll_interval_seconds": interval,
        "next_poll_at": now + timedelta(seconds=interval),
        "etag": result.etag,
        "last_modified": result.last_modified,
    }
    if outcome.parsed is not None:
        row |= {
            "title": outcome.parsed.title or feed.title,
            "last_problems": outcome.parsed.problems[:20],
        }
    return row


def _insert_entries(
    session: Session, outcomes: Sequence[_Outcome], now: datetime
) -> dict[int, list[int]]:
    """Insert the entries not seen before (by feed and GUID); returns the new article ids
    per feed. One query finds the known GUIDs, one executemany inserts the rest; an entry
    another poll inserted meanwhile is skipped by the unique key, not an error."""
    origins = {f"feed:{o.target.feed_id}": o for o in outcomes}
    guids = {e.guid for o in outcomes for e in o.parsed.entries}  # type: ignore[union-attr]
    known = set()
    for chunk in chunked(sorted(guids), INSERT_CHUNK):
        known.update(session.exec(
            select(Article.origin, Article.external_id).where(
                col(Article.origin).in_(list(origins)), col(Article.external_id).in_(chunk)
            )
        ).all())
    rows = [
        {
            "origin": origin,
            "external_id": entry.guid,
            "feed_id": o.target.feed_id,
            "url": entry.url,
            "title": entry.title,
            "author": entry.author,
            "published_at": as_utc(entry.published_at),
            "discovered_at": now,
            "status": "pending",
            "revision_count": 0,
            "fetch_attempts": 0,
            "problems": [],
        }
        for origin, o in origins.items()
        for entry in o.parsed.entries  # type: ignore[union-attr]
        if (origin, entry.guid) not in known
    ]
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


def _update_feeds(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Write the batch's feed rows: one executemany per set of columns (304s share one)."""
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


def _log(outcome: _Outcome, new: int) -> None:
    target = outcome.target
    if outcome.error is not None:
        log.warning(
            "feed failed", feed_id=target.feed_id, url=target.url, reason=outcome.error.reason,
            error=outcome.error.message,
        )
    elif outcome.parsed is None:
        log.debug("feed not modified", feed_id=target.feed_id, url=target.url)
    else:
        log.info(
            "feed polled", feed_id=target.feed_id, url=target.url,
            entries=len(outcome.parsed.entries), new=new, problems=outcome.parsed.problems[:5],
        )


def chunked(items: Sequence[Any], size: int) -> Iterator[list[Any]]:
    """Consecutive slices of at most ``size`` items."""
    for start in range(0, len(items), max(size, 1)):
        yield list(items[start : start + size])
