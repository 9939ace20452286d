"""The Celery application: broker, reliability settings and the beat schedule."""

from __future__ import annotations

import threading
from typing import Any

import structlog
from celery import Celery
from celery.signals import worker_process_init

from config.settings import get_settings
from monitoring.metrics import install_task_timing, redis_client

log = structlog.get_logger(__name__)

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
        worker_prefetch_multiplier=settings.worker_prefetch_multiplier,
        task_ignore_result=True,
        # No task runs unbounded (a hostile page, a runaway analysis); see tasks/limits.py.
        task_soft_time_limit=settings.task_soft_time_limit_seconds,
        task_time_limit=settings.task_time_limit_seconds,
        worker_max_memory_per_child=settings.worker_max_memory_mb * 1024,  # KiB
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


@worker_process_init.connect(weak=False)
def _warm_up(**_: Any) -> None:
    """A new pool process checks the schema, opens its database engine and loads the task
    work in the background while it waits for its first task (in the foreground it would
    hold up Celery's start-up handshake for a second)."""
    threading.Thread(target=_get_ready, name="warm-up", daemon=True).start()


def _get_ready() -> None:
    from storage.db import describe_error
    from tasks.context import engine, warm_up

    try:
        engine()
    except Exception as error:  # the database is down: the first task meets it and retries
        log.warning("warm-up could not open the database", error=describe_error(error))
    warm_up()


app = create_app()
# The tasks are declared with ``shared_task`` and call one another through the current app:
# this one, in every thread (web server threads, the demo's feed, replay's eager mode).
app.set_default()


def run_tasks_inline(*, propagate: bool = False) -> None:
    """Run every task in this process the moment it is enqueued (replay, poll-once). Tasks
    are shared tasks and go to the current app, so this app is made the current one: a
    Celery client made elsewhere in the process must not take its place."""
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = propagate
    app.set_current()
