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
