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
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import structlog
from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from config.settings import Settings, get_settings
from storage import feeds as storage_feeds
from storage.db import describe_error, is_outage, session_scope
from storage.feeds import existing_feed_ids, insert_new_articles, update_feeds
from storage.models import Feed, as_utc, utcnow
from tasks import articles
from tasks.context import engine, fetcher
from tasks.reliability import RETRY_TRANSIENT, skip_on_outage

if TYPE_CHECKING:
    from ingest.errors import IngestError
    from ingest.feeds import ParsedFeed
    from ingest.fetch import FetchResult

log = structlog.get_logger(__name__)

# A feed handed to a poll task is not due again for this long, unless the task records it:
# long enough for a batch's time-limited fetches, short enough that a poll lost with a
# worker or a restarted broker is made again within a minute (a second poll of a slow
# batch is harmless: conditional GETs, entries keyed by GUID).
POLL_LEASE = timedelta(seconds=45)


@shared_task(name="tasks.feeds.schedule_due_feeds")
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
        return storage_feeds.lease_due_feeds(session, now, POLL_LEASE)


@shared_task(name="tasks.feeds.poll_feeds", **RETRY_TRANSIENT)
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
        feeds = storage_feeds.feeds_by_ids(session, feed_ids)
    waiting = [f.id for f in feeds if f.retry_after_until and as_utc(f.retry_after_until) > now]
    targets = [
        _Target(f.id, f.url, f.etag, f.last_modified)  # type: ignore[arg-type]
        for f in feeds
        if f.id not in waiting
    ]
    outcomes = asyncio.run(_fetch_all(targets, settings))
    for outcome in outcomes:
        _parse(outcome)
    by_id = {f.id: f for f in feeds if f.id is not None}
    outcomes, new = _record_batch(outcomes, by_id, utcnow(), settings)
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
    ``poll_host_concurrency`` per host (many feeds of one publisher share a server).

    The fetches get three quarters of the task's soft time limit: those still waiting
    then are stopped and recorded as timeouts, so a batch of slow feeds keeps what it got
    instead of losing the whole batch to the time limit.
    """
    from ingest.errors import FetchError
    from ingest.fetch import AsyncFetcher

    overall = asyncio.Semaphore(settings.poll_concurrency)
    per_host: dict[str, asyncio.Semaphore] = defaultdict(
        lambda: asyncio.Semaphore(settings.poll_host_concurrency)
    )
    outcomes = [_Outcome(target) for target in targets]
    budget = settings.task_soft_time_limit_seconds * 0.75
    async with AsyncFetcher(fetcher().settings, max_connections=settings.poll_concurrency) as f:

        async def one(outcome: _Outcome) -> None:
            target = outcome.target
            # The host's slot first: a task waiting for a busy host holds no overall slot.
            async with per_host[_host(target.url)], overall:
                with _failure_kept(outcome, "fetch"):
                    outcome.result = await f.fetch(
                        target.url, etag=target.etag, last_modified=target.last_modified,
                        accept="feed",
                    )

        fetches = [asyncio.create_task(one(o)) for o in outcomes]
        if fetches:
            done, late = await asyncio.wait(fetches, timeout=budget)
            for fetch in late:
                fetch.cancel()
            await asyncio.gather(*late, return_exceptions=True)
            for fetch in done:
                fetch.result()  # raises what must stop the task (the time limit)
    for outcome in outcomes:
        if outcome.result is None and outcome.error is None:
            outcome.error = FetchError(
                "timeout", f"the poll batch ran out of time ({budget:g} s) before this feed "
                "answered", url=outcome.target.url,
            )
    return outcomes


def _host(url: str) -> str:
    try:
        return urlsplit(url).netloc.lower()
    except ValueError:
        return ""


def _parse(outcome: _Outcome) -> None:
    from ingest.feeds import parse_feed

    result = outcome.result
    if result is None or result.not_modified:
        return
    with _failure_kept(outcome, "parse"):
        outcome.parsed = parse_feed(result.body, result.url, result.headers)


@contextmanager
def _failure_kept(outcome: _Outcome, step: str) -> Iterator[None]:
    """Any failure of one feed's step stays with that feed, so the batch goes on: an
    IngestError as it is, anything else (a bug) as ``internal_error``."""
    from ingest.errors import IngestError

    try:
        yield
    except IngestError as error:
        outcome.error = error
    except Exception as error:
        if not _feeds_fault(error):
            raise
        log.exception("feed step crashed", step=step, feed_id=outcome.target.feed_id)
        outcome.error = IngestError("internal_error", describe_error(error))


def _record_batch(
    outcomes: list[_Outcome], feeds: dict[int, Feed], now: datetime, settings: Settings
) -> tuple[list[_Outcome], dict[int, list[int]]]:
    """Store the batch in one transaction, or feed by feed when that fails.

    A value one feed brings that the database refuses (a GUID longer than the column, ...)
    fails the whole bulk write; stored one by one, that feed alone gets ``storage_error``
    and the others go on. An outage is raised: no feed is at fault.
    """
    from ingest.errors import IngestError

    try:
        return _record(outcomes, feeds, now, settings)
    except Exception as error:
        if not _feeds_fault(error):
            raise
        log.warning("feed batch not stored at once; storing feed by feed",
                    feeds=len(outcomes), error=describe_error(error))
    kept: list[_Outcome] = []
    new: dict[int, list[int]] = {}
    for outcome in outcomes:
        try:
            stored, found = _record([outcome], feeds, now, settings)
        except Exception as error:
            if not _feeds_fault(error):
                raise
            outcome.parsed = None
            outcome.error = IngestError("storage_error", describe_error(error))
            stored, found = _record([outcome], feeds, now, settings)
        kept += stored
        new |= found
    return kept, new


def _feeds_fault(error: Exception) -> bool:
    """Whether a failure belongs to the feed at hand, not to the whole task: a database
    outage and the task's time limit must stop the task, not be recorded on a feed."""
    return not (is_outage(error) or isinstance(error, SoftTimeLimitExceeded))


def _record(
    outcomes: list[_Outcome], feeds: dict[int, Feed], now: datetime, settings: Settings
) -> tuple[list[_Outcome], dict[int, list[int]]]:
    """Insert the new entries and write the feed rows; returns the outcomes of the feeds
    still present (a feed removed while it was fetched takes its outcome with it) and the
    new article ids per feed."""
    with session_scope(engine()) as session:
        present = existing_feed_ids(session, [o.target.feed_id for o in outcomes])
        outcomes = [o for o in outcomes if o.target.feed_id in present]
        new = insert_new_articles(session, _article_rows(outcomes, now))
        update_feeds(session, [
            _feed_row(feeds[o.target.feed_id], o, now, settings, bool(new.get(o.target.feed_id)))
            for o in outcomes
        ])
    return outcomes, new


def _feed_row(
    feed: Feed, outcome: _Outcome, now: datetime, settings: Settings, found_new: bool
) -> dict[str, Any]:
    """The feed's columns after this poll (one row of the batch's bulk update): the
    schedule's pure state machine, :func:`ingest.schedule.feed_after_poll`."""
    from ingest.schedule import Bounds, FeedState, PollPolicy, feed_after_poll

    state = FeedState(
        id=feed.id,  # type: ignore[arg-type]
        title=feed.title,
        error_count=feed.error_count,
        poll_interval_seconds=feed.poll_interval_seconds,
        fixed_interval_seconds=feed.fixed_interval_seconds,
        failing_since=as_utc(feed.failing_since),
        broken_since=as_utc(feed.broken_since),
        last_success_at=feed.last_success_at,
    )
    policy = PollPolicy(
        Bounds(settings.min_poll_interval_seconds, settings.max_poll_interval_seconds),
        timedelta(seconds=settings.feed_broken_after_seconds),
        settings.max_backoff_seconds,
    )
    return feed_after_poll(
        state, policy, now, error=outcome.error, result=outcome.result, parsed=outcome.parsed,
        found_new=found_new, retry_after=as_utc(getattr(outcome.error, "retry_after", None)),
    )


def _article_rows(outcomes: Sequence[_Outcome], now: datetime) -> list[dict[str, Any]]:
    """One pending article row per parsed entry."""
    return [
        {
            "origin": f"feed:{o.target.feed_id}",
            "external_id": entry.guid,
            "feed_id": o.target.feed_id,
            "url": entry.url,
            "title": entry.title,
            "text": entry.summary,  # replaced by the page's text; read alone without a page
            "author": entry.author,
            "published_at": as_utc(entry.published_at),
            "discovered_at": now,
            "status": "pending",
            "revision_count": 0,
            "fetch_attempts": 0,
            "problems": [],
        }
        for o in outcomes
        if o.parsed is not None
        for entry in o.parsed.entries
    ]


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
