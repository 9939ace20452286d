"""Exactly one beat: a scheduler that only schedules while it holds a Redis lock.

Operators will scale the wrong service sooner or later. A second beat process waits as
a hot standby: it ticks, finds the lock held, and schedules nothing until the first
one stops renewing it (lock TTL: three ticks).
"""

from __future__ import annotations

import uuid
from typing import Any

import redis
import structlog
from celery.beat import PersistentScheduler

from config.settings import get_settings
from monitoring.metrics import redis_client

log = structlog.get_logger(__name__)

LOCK_KEY = "claimwatch:beat:lock"
# Renew the lock only if we still own it; plain SET would steal it from the active beat.
RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""


class SingleBeatScheduler(PersistentScheduler):
    """PersistentScheduler that ticks only while it owns the beat lock (Redis brokers)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.owner = uuid.uuid4().hex
        self.redis = redis_client(get_settings().broker_url)
        self.leading = False
        super().__init__(*args, **kwargs)

    def tick(self, *args: Any, **kwargs: Any) -> float:
        if self.redis is not None and not self._hold_lock():
            return min(self.max_interval, 1.0)
        return super().tick(*args, **kwargs)

    def _hold_lock(self) -> bool:
        ttl_ms = int(max(self.max_interval, 1.0) * 3000)
        try:
            held = bool(
                self.redis.eval(RENEW, 1, LOCK_KEY, self.owner, ttl_ms)  # type: ignore[union-attr]
                or self.redis.set(LOCK_KEY, self.owner, nx=True, px=ttl_ms)  # type: ignore[union-attr]
            )
        except redis.RedisError as error:
            log.warning("beat lock unavailable", error=str(error))
            held = False
        if held != self.leading:
            log.info("beat lock " + ("acquired" if held else "lost"), owner=self.owner)
            self.leading = held
        return held

    def close(self) -> None:
        if self.redis is not None and self.leading:
            try:
                if self.redis.get(LOCK_KEY) == self.owner.encode():
                    self.redis.delete(LOCK_KEY)
            except redis.RedisError:
                pass
        super().close()
