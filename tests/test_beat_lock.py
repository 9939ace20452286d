"""Beat's leader lock on a real Redis: one active beat, a hot standby that takes over when
the active one closes or stops renewing, and no beat that releases another's lock.

The whole hot-standby flow with real processes is in test_compose
(test_two_workers_and_two_beats_poll_each_feed_once_per_period)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from conftest import free_port

from config.settings import get_settings
from worker.app import app
from worker.beat import LOCK_KEY, SingleBeatScheduler


@pytest.fixture
def beats(
    redis_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[SingleBeatScheduler, SingleBeatScheduler, redis.Redis]]:
    monkeypatch.setenv("CLAIMWATCH_BROKER_URL", redis_url)
    get_settings.cache_clear()
    client = redis.Redis.from_url(redis_url)
    client.delete(LOCK_KEY)
    made = [
        SingleBeatScheduler(app=app, schedule_filename=str(tmp_path / f"beat-{n}"), max_interval=1)
        for n in (1, 2)
    ]
    yield made[0], made[1], client
    for beat in made:
        beat.lock = None  # already closed by the tests, or to be left as is
        beat.close()
    client.delete(LOCK_KEY)
    client.close()
    get_settings.cache_clear()


def hold(beat: SingleBeatScheduler) -> bool:
    assert beat.lock is not None
    return beat._hold_lock(beat.lock)


def test_one_beat_leads_and_the_standby_takes_over_when_it_closes(beats) -> None:  # type: ignore[no-untyped-def]
    first, second, client = beats
    assert hold(first) and first.leading
    assert client.get(LOCK_KEY) == first.owner.encode()
    assert 0 < client.pttl(LOCK_KEY) <= 3000  # three ticks of one second
    assert not hold(second) and not second.leading  # the hot standby waits

    client.pexpire(LOCK_KEY, 500)
    assert hold(first)  # renewed: the TTL is back to three ticks
    assert client.pttl(LOCK_KEY) > 2000
    assert not hold(second)

    assert first.lock is not None
    first.lock.release()  # what close() does: atomic, and only the owner's
    first.leading = False
    assert client.get(LOCK_KEY) is None
    assert hold(second) and client.get(LOCK_KEY) == second.owner.encode()
    assert not hold(first)


def test_the_standby_takes_over_when_the_leader_stops_renewing(beats) -> None:  # type: ignore[no-untyped-def]
    first, second, client = beats
    assert hold(first)
    client.pexpire(LOCK_KEY, 50)  # the active beat froze past its TTL
    time.sleep(0.1)
    assert hold(second)
    # The old leader finds its lock taken: it stands by and cannot release the new one's.
    assert not hold(first) and not first.leading
    assert first.lock is not None
    with pytest.raises(redis.exceptions.LockError):
        first.lock.release()
    assert client.get(LOCK_KEY) == second.owner.encode()


def test_a_leader_that_lost_redis_for_a_tick_renews_its_own_lock(beats) -> None:  # type: ignore[no-untyped-def]
    first, second, client = beats
    assert hold(first) and first.lock is not None
    first.lock.redis = redis.Redis(port=free_port(), socket_connect_timeout=0.2)
    assert not hold(first) and not first.leading  # Redis out of reach: it stands down
    first.lock.redis = client
    assert hold(first) and first.leading  # its own lock, not yet expired: renewed
    assert not hold(second)
