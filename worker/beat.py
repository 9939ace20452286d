"""Exactly one beat: a scheduler that only schedules while it holds a Redis lock.

Operators will scale the wrong service sooner or later. A second beat process waits as
a hot standby: it ticks, finds the lock held, and schedules nothing until the first
one stops renewing it (lock TTL: three ticks).
"""

from __future__ import annotations

import contextlib
import uuid
from typing import Any

import redis
import structlog
from celery.beat import Scheduler
from redis.exceptions import LockError
from redis.lock import Lock

from config.settings import get_settings
from monitoring.metrics import redis_client

log = structlog.get_logger(__name__)

LOCK_KEY = "claimwatch:beat:lock"


class SingleBeatScheduler(Scheduler):
    """A scheduler that ticks only while it owns the beat lock (Redis brokers).

    It keeps its schedule in memory, not in Celery's shelve file: every entry is a short
    interval over idempotent sweeps, so a restart loses nothing worth keeping, and two beats
    started in one folder (a standby beside the active one) cannot race on that file.

    The lock is redis-py's Lock: taken without blocking, its TTL reset at each tick while
    this beat owns it (reacquire, an atomic check of the owner), released atomically on
    close. Its token is this beat's owner id, so GET on the key names the active beat."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.owner = uuid.uuid4().hex
        self.redis = redis_client(get_settings().broker_url)
        self.leading = False
        self.lock: Lock | None = None
        super().__init__(*args, **kwargs)
        if self.redis is not None:
            self.lock = self.redis.lock(
                LOCK_KEY,
                timeout=max(self.max_interval, 1.0) * 3,  # three ticks
                blocking=False,
                # close() may run on another thread than the ticks (worker --beat).
                thread_local=False,
            )

    def tick(self, *args: Any, **kwargs: Any) -> float:
        if self.lock is not None and not self._hold_lock(self.lock):
            return min(self.max_interval, 1.0)
        return super().tick(*args, **kwargs)

    def _hold_lock(self, lock: Lock) -> bool:
        try:
            # Renew our own lock, else take it if it is free; never steal the active beat's.
            held = _renewed(lock) or lock.acquire(blocking=False, token=self.owner)
        except redis.RedisError as error:
            log.warning("beat lock unavailable", error=str(error))
            held = False
        if held != self.leading:
            log.info("beat lock " + ("acquired" if held else "lost"), owner=self.owner)
            self.leading = held
        return held

    def close(self) -> None:
        if self.lock is not None and self.leading:
            with contextlib.suppress(redis.RedisError):  # not ours any more, or Redis gone
                self.lock.release()
        super().close()


def _renewed(lock: Lock) -> bool:
    """Reset the lock's TTL if this beat still owns it."""
    try:
        return lock.reacquire()
    except LockError:  # never taken, expired, or taken over (LockNotOwnedError)
        return False
