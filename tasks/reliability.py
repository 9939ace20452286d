"""How pipeline tasks ride out an outage of the broker or the database: the retry policy
of every step, and the decorator that turns a periodic sweep's outage into one warning."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import kombu.exceptions
import sqlalchemy.exc
import structlog

from config.settings import get_settings, is_redis_url

log = structlog.get_logger(__name__)


def _redis_errors() -> tuple[type[Exception], ...]:
    """Redis's own connection errors, for a process whose broker is Redis: no other process
    talks to Redis, and importing its client costs a tenth of a second at each start."""
    if not is_redis_url(get_settings().broker_url):
        return ()
    import redis.exceptions

    return (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


# What a broker or database being restarted, failed over or briefly unreachable raises. A
# pipeline step meeting one retries itself with backoff (Celery logs one "Retry in Ns"
# line, no traceback); when even the retry cannot be published, the stall sweep
# (tasks.articles.resume_stalled) takes the article up again.
TRANSIENT_ERRORS: tuple[type[Exception], ...] = (
    *_redis_errors(),
    kombu.exceptions.OperationalError,
    sqlalchemy.exc.OperationalError,
    sqlalchemy.exc.InterfaceError,
)
# Options for pipeline tasks: 20 retries, waiting up to 1, 2, 4, 8, then 15 s (jittered), so
# an outage of a few minutes is ridden out; after that the stall sweep takes over.
RETRY_TRANSIENT: dict[str, Any] = {
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": 1,
    "retry_backoff_max": 15,
    "retry_jitter": True,
    "max_retries": 20,
}

P = ParamSpec("P")
R = TypeVar("R")


def skip_on_outage(sweep: Callable[P, R]) -> Callable[P, R | None]:
    """For periodic sweeps: an outage is one warning line, and the next tick is the retry."""

    @functools.wraps(sweep)
    def run(*args: P.args, **kwargs: P.kwargs) -> R | None:
        try:
            return sweep(*args, **kwargs)
        except TRANSIENT_ERRORS as error:
            log.warning(
                "sweep skipped: database or broker unavailable, the next tick retries",
                sweep=sweep.__name__,
                error_type=type(error).__name__,
                error=str(error).splitlines()[0] if str(error) else "",
            )
            return None

    return run
