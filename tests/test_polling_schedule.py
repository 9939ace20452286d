"""When feeds are polled: adaptive intervals, backoff with jitter, Retry-After, broken feeds."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from ingest.schedule import (
    Bounds,
    backoff_seconds,
    is_broken,
    next_poll_after_failure,
    publishing_interval,
    server_min_interval,
)

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
BOUNDS = Bounds(min_seconds=60, max_seconds=3600)


def every(minutes: float, count: int = 12) -> list[datetime]:
    return [NOW - timedelta(minutes=minutes * i) for i in range(count)]


def test_interval_follows_the_publishing_rate_within_bounds() -> None:
    assert publishing_interval(every(30), BOUNDS, fallback=300) == 15 * 60  # half a gap
    assert publishing_interval(every(1), BOUNDS, fallback=300) == 60  # operator minimum
    assert publishing_interval(every(24 * 60), BOUNDS, fallback=300) == 3600  # maximum


def test_the_median_ignores_a_burst_and_a_long_silence() -> None:
    dates = [*every(20, 8), NOW - timedelta(days=30)]
    dates += [NOW - timedelta(seconds=s) for s in (1, 2, 3)]
    assert publishing_interval(dates, BOUNDS, fallback=300) == 600


def test_undated_or_single_entry_feeds_keep_their_interval() -> None:
    assert publishing_interval([None, None], BOUNDS, fallback=900) == 900
    assert publishing_interval([NOW, NOW, None], BOUNDS, fallback=900) == 900
    assert publishing_interval([], BOUNDS, fallback=7200) == 3600  # still clamped


def test_a_server_max_age_is_a_floor() -> None:
    assert server_min_interval({"cache-control": "public, max-age=1200"}) == 1200
    assert server_min_interval({"cache-control": "s-maxage=5"}) is None
    assert server_min_interval({}) is None
    assert publishing_interval(every(2), BOUNDS, fallback=300, server_min_seconds=1200) == 1200
    assert publishing_interval(every(2), BOUNDS, fallback=300, server_min_seconds=99999) == 3600


def test_backoff_doubles_with_jitter_up_to_the_cap() -> None:
    rng = random.Random(7)
    for failures, base in [(1, 60), (2, 120), (3, 240), (10, 6 * 3600), (80, 6 * 3600)]:
        delays = [backoff_seconds(failures, BOUNDS, cap_seconds=6 * 3600, rng=rng)
                  for _ in range(200)]
        assert base * 0.8 <= min(delays) and max(delays) <= base * 1.2, failures
        assert max(delays) - min(delays) > base * 0.2  # spread: feeds do not retry in lockstep


def test_retry_after_is_never_shortened_by_the_backoff() -> None:
    later = NOW + timedelta(hours=2)
    when = next_poll_after_failure(NOW, 1, BOUNDS, cap_seconds=3600, retry_after=later)
    assert when == later
    soon = NOW + timedelta(seconds=1)
    when = next_poll_after_failure(NOW, 3, BOUNDS, cap_seconds=3600, retry_after=soon)
    assert when >= NOW + timedelta(seconds=240 * 0.8)


def test_a_feed_is_broken_after_failing_for_the_whole_period() -> None:
    period = timedelta(hours=72)
    assert not is_broken(None, NOW, period)
    assert not is_broken(NOW - timedelta(hours=71), NOW, period)
    assert is_broken(NOW - timedelta(hours=72), NOW, period)
