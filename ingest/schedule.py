"""When to poll a feed next: pure functions, no clock or database of their own.

A feed is polled about as often as it publishes (Miniflux's entry-frequency scheduler,
refined): the interval is the median gap between its most recent entries divided by
``SAMPLES_PER_GAP``, kept within the operator's bounds, and never shorter than the feed
asks for itself (RSS ``<ttl>`` is rarely set; ``Cache-Control: max-age`` often is). A
failing feed backs off exponentially with jitter, so a thousand feeds on one broken host
do not come back in lockstep; a server's Retry-After is a floor, never shortened.
"""

from __future__ import annotations

import itertools
import random
import re
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ingest.errors import IngestError
    from ingest.feeds import ParsedFeed
    from ingest.fetch import FetchResult

# Poll twice per typical gap between entries: a new entry waits half a gap on average.
SAMPLES_PER_GAP = 2
# Entries considered: the newest N dates (enough for a stable median, recent enough to adapt).
RECENT_ENTRIES = 10
JITTER = 0.2
_MAX_AGE = re.compile(r"(?:^|,)\s*(?:s-)?max-age\s*=\s*(\d+)", re.IGNORECASE)


@dataclass(frozen=True)
class Bounds:
    """Operator bounds on a feed's poll interval, in seconds."""

    min_seconds: int
    max_seconds: int

    def clamp(self, seconds: float) -> int:
        return int(min(max(seconds, self.min_seconds), self.max_seconds))


def publishing_interval(
    published: Iterable[datetime | None],
    bounds: Bounds,
    *,
    fallback: int,
    server_min_seconds: int | None = None,
) -> int:
    """The poll interval for a feed whose newest entries were published at ``published``.

    ``fallback`` is used when fewer than two distinct dates are known (an undated feed keeps
    its current interval). ``server_min_seconds`` (from :func:`server_min_interval`) raises
    the result, within the operator's maximum.
    """
    dates = sorted({d for d in published if d is not None}, reverse=True)[:RECENT_ENTRIES]
    if len(dates) < 2:
        seconds = float(fallback)
    else:
        gaps = [(a - b).total_seconds() for a, b in itertools.pairwise(dates)]
        seconds = statistics.median(gaps) / SAMPLES_PER_GAP
    if server_min_seconds:
        seconds = max(seconds, server_min_seconds)
    return bounds.clamp(seconds)


def server_min_interval(headers: Mapping[str, str]) -> int | None:
    """How long the server says its answer stays fresh (``Cache-Control: max-age``); the
    feed's own ``<ttl>`` is :attr:`ingest.feeds.ParsedFeed.ttl_seconds`."""
    match = _MAX_AGE.search(headers.get("cache-control", ""))
    return int(match.group(1)) if match else None


def exponential_backoff(
    failures: int, base: float, cap: float, rng: random.Random | None = None
) -> float:
    """Delay after the ``failures``-th consecutive failure: ``base``·2^(failures-1), capped
    at ``cap``, with ±20 % jitter so that many clients do not come back in lockstep. The one
    backoff of the project: feeds (below) and deliveries (:mod:`notify.retry`) use it."""
    rng = rng or random
    delay = min(base * 2 ** min(max(failures - 1, 0), 30), cap)
    return delay * rng.uniform(1 - JITTER, 1 + JITTER)


def backoff_seconds(
    error_count: int, bounds: Bounds, *, cap_seconds: int, rng: random.Random | None = None
) -> float:
    """Delay after the ``error_count``-th consecutive failure: doubling from the minimum
    interval up to ``cap_seconds``, with ±20 % jitter."""
    return exponential_backoff(error_count, bounds.min_seconds, cap_seconds, rng)


def next_poll_after_failure(
    now: datetime,
    error_count: int,
    bounds: Bounds,
    *,
    cap_seconds: int,
    retry_after: datetime | None,
    rng: random.Random | None = None,
) -> datetime:
    """When to try a failing feed again: its backoff, but never before Retry-After."""
    when = now + timedelta(seconds=backoff_seconds(error_count, bounds, cap_seconds=cap_seconds,
                                                   rng=rng))
    return max(when, retry_after) if retry_after is not None else when


def is_broken(failing_since: datetime | None, now: datetime, broken_after: timedelta) -> bool:
    """A feed that has failed without a single success for ``broken_after`` is broken."""
    return failing_since is not None and now - failing_since >= broken_after


@dataclass(frozen=True)
class FeedState:
    """What the schedule needs to know of a feed before a poll; times aware, in UTC."""

    id: int
    title: str | None
    error_count: int
    poll_interval_seconds: int
    fixed_interval_seconds: int | None
    failing_since: datetime | None
    broken_since: datetime | None
    last_success_at: datetime | None


@dataclass(frozen=True)
class PollPolicy:
    """The operator's polling settings: interval bounds, when a failing feed is broken, and
    the longest backoff."""

    bounds: Bounds
    broken_after: timedelta
    max_backoff_seconds: int


def feed_after_poll(
    feed: FeedState,
    policy: PollPolicy,
    now: datetime,
    *,
    error: IngestError | None,
    result: FetchResult | None,
    parsed: ParsedFeed | None,
    found_new: bool,
    retry_after: datetime | None,
) -> dict[str, Any]:
    """The feed's columns after a poll at ``now`` (one row of a batch's bulk update).

    A failure counts towards backoff and, past ``broken_after`` without a success, marks the
    feed broken; a success resets that and sets the next interval from the feed's publishing
    rate (``fixed_interval_seconds`` wins), never shorter than the server asks; new entries
    may speed polling up, never slow it down. ``retry_after`` (the server's, from the
    error) is a floor for the next poll after a failure.
    """
    row: dict[str, Any] = {"id": feed.id, "last_polled_at": now}
    if error is not None:
        failing_since = feed.failing_since or now
        broken = is_broken(failing_since, now, policy.broken_after)
        return row | {
            "status": "broken" if broken else "error",
            "error_count": feed.error_count + 1,
            "last_error": f"{error.reason}: {error.message}",
            "last_error_reason": error.reason,
            "last_error_at": now,
            "last_status_code": getattr(error, "status", None)
            or (result.status if result else None),
            "failing_since": failing_since,
            "broken_since": (feed.broken_since or now) if broken else None,
            "retry_after_until": retry_after,
            "next_poll_at": next_poll_after_failure(
                now, feed.error_count + 1, policy.bounds,
                cap_seconds=policy.max_backoff_seconds, retry_after=retry_after,
            ),
        }
    assert result is not None
    interval = feed.poll_interval_seconds
    if feed.fixed_interval_seconds:
        interval = feed.fixed_interval_seconds
    elif parsed is not None:
        target = publishing_interval(
            (e.published_at for e in parsed.entries), policy.bounds, fallback=interval,
            server_min_seconds=max(server_min_interval(result.headers) or 0,
                                   parsed.ttl_seconds or 0),
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
    if parsed is not None:
        row |= {
            "title": parsed.title or feed.title,
            "last_problems": parsed.problems[:20],
        }
    return row
