"""The Celery application: broker, reliability settings and the beat schedule."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import kombu.exceptions
import redis.exceptions
import sqlalchemy.exc
import structlog
from celery import Celery

from worker.metrics import install_task_timing, redis_client
from worker.settings import get_settings

log = structlog.get_logger(__name__)

# What a broker or database being restarted, failed over or briefly unreachable raises. A
# pipeline step meeting one retries itself with backoff (Celery logs one "Retry in Ns"
# line, no traceback); when even the retry cannot be published, the stall sweep
# (tasks.articles.resume_stalled) takes the article up again.
TRANSIENT_ERRORS: tuple[type[Exception], ...] = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
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

TASK_MODULES = [
    "tasks.feeds",
    "tasks.articles",
    "tasks.analyse",
    "tasks.alerts",
    "tasks.deliver",
    "tasks.outbox",
    "tasks.operations",
    "tasks.revisions",
    "tasks.limits",
]


def create_app() -> Celery:
    settings = get_settings()
    app = Celery("claimwatch", broker=settings.broker_url, include=TASK_MODULES)
    if settings.broker_url.startswith("sqla+"):
        # The SQL transport polls its table once a second by default; a short interval keeps
        # the embedded pipeline snappy. (Its transport options go to create_engine, so the
        # interval can't be passed there.)
        from kombu.transport.sqlalchemy import Transport

        Transport.polling_interval = 0.2
    app.conf.update(
        # Each task persists its result before it enqueues the next, and is idempotent, so
        # acknowledging late and requeueing on worker loss loses nothing and duplicates nothing.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        # No task runs unbounded (a hostile page, a runaway analysis); see tasks/limits.py.
        task_soft_time_limit=settings.task_soft_time_limit_seconds,
        task_time_limit=settings.task_time_limit_seconds,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        # One active beat across all machines (see worker/beat.py); a standby takes over
        # within three loop intervals of the active one stopping.
        beat_scheduler="worker.beat:SingleBeatScheduler",
        beat_max_loop_interval=5,
        beat_schedule={
            "schedule-due-feeds": {
                "task": "tasks.feeds.schedule_due_feeds",
                "schedule": settings.beat_interval_seconds,
            },
            "resume-stalled-articles": {
                "task": "tasks.articles.resume_stalled",
                "schedule": settings.stall_sweep_seconds,
            },
            "schedule-revision-checks": {
                "task": "tasks.revisions.schedule_revision_checks",
                "schedule": settings.revision_sweep_seconds,
            },
            "sweep-outbox": {
                "task": "tasks.deliver.sweep_outbox",
                "schedule": get_settings().delivery_sweep_seconds,
            },
            "check-operations": {
                "task": "tasks.deliver.check_operations",
                "schedule": get_settings().delivery_sweep_seconds,
            },
        },
        timezone="UTC",
    )
    client = redis_client(settings.broker_url)
    if client is not None:
        install_task_timing(app, client)
    return app


app = create_app()
