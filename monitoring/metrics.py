"""Prometheus metrics: pipeline counts from the database, task timings from Redis.

Workers run on many machines and in many processes, so they keep nothing in memory:
each finished task adds its duration to a histogram in Redis (when Redis is the
broker), and the web service renders everything at scrape time. Counts of articles,
alerts, deliveries and feed errors come straight from the database, so they survive
restarts and agree with what the pages show.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from celery import Celery
from celery.signals import task_postrun, task_prerun
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.engine import Engine
from sqlmodel import Session

from config.settings import is_redis_url
from storage.alerts import count_by_kind as alerts_by_kind
from storage.articles import count_by_status as articles_by_status
from storage.articles import failed_by_reason
from storage.deliveries import count_by_status as deliveries_by_status
from storage.feeds import consecutive_errors
from storage.feeds import count_by_status as feeds_by_status

if TYPE_CHECKING:  # the client is imported where Redis is the broker, not at every start
    import redis

PREFIX = "claimwatch:metrics"
BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
QUEUES = ("celery",)
# Article statuses in pipeline order: an article in a later one has passed the earlier ones.
STAGES = ("pending", "fetched", "extracted", "deduplicated", "analysed", "decided")

_client: redis.Redis | None = None  # set in a worker whose broker is Redis
_local = threading.local()


def redis_client(broker_url: str) -> redis.Redis | None:
    if not is_redis_url(broker_url):
        return None
    import redis

    return redis.Redis.from_url(broker_url, socket_timeout=2)


def record_task(client: redis.Redis, task: str, state: str, seconds: float) -> None:
    """Add one finished task to the shared counters and duration histogram."""
    pipe = client.pipeline(transaction=False)
    pipe.hincrby(f"{PREFIX}:tasks", f"{task}|{state}", 1)
    key = f"{PREFIX}:seconds:{task}"
    for bound in BUCKETS:
        if seconds <= bound:
            pipe.hincrby(key, str(bound), 1)
    pipe.hincrby(key, "count", 1)
    pipe.hincrbyfloat(key, "sum", seconds)
    pipe.execute()


def install_task_timing(app: Celery, client: redis.Redis) -> None:
    """Time every task of this worker through Celery's signals, and the steps its tasks run
    inline (`timed_step`); each is recorded without the inline steps it ran."""
    global _client
    _client = client

    @task_prerun.connect(weak=False)
    def _start(**_: Any) -> None:
        _begin()

    @task_postrun.connect(weak=False)
    def _stop(task: Any, state: str | None = None, **_: Any) -> None:
        if not _timers():
            return  # started before the timing was installed
        seconds = _end()
        if task.app is app:
            _record(task.name, state or "UNKNOWN", seconds)


@contextlib.contextmanager
def timed_step(name: str) -> Iterator[None]:
    """Time a step that a task runs inline as a task of its own, so each step keeps its own
    histogram; its time is taken out of the time of the task (or step) that ran it."""
    _begin()
    state = "FAILURE"
    try:
        yield
        state = "SUCCESS"
    finally:
        _record(name, state, _end())


def _timers() -> list[list[float]]:
    """This thread's running tasks and inline steps, innermost last: when each began and
    the seconds of the inline steps it has run."""
    if not hasattr(_local, "timers"):
        _local.timers = []
    return _local.timers  # type: ignore[no-any-return]


def _begin() -> None:
    _timers().append([time.monotonic(), 0.0])


def _end() -> float:
    """The innermost timer's own seconds; its whole time counts as an inline step of the
    one around it."""
    timers = _timers()
    began, inline = timers.pop()
    seconds = time.monotonic() - began
    if timers:
        timers[-1][1] += seconds
    return seconds - inline


def _record(task: str, state: str, seconds: float) -> None:
    if _client is None:
        return
    import redis

    with contextlib.suppress(redis.RedisError):  # metrics must never fail a task
        record_task(_client, task, state, seconds)


class PipelineCollector(Collector):
    """Collects at scrape time from the database and, when there is one, Redis."""

    def __init__(self, engine: Engine, client: redis.Redis | None) -> None:
        self.engine = engine
        self.client = client

    def collect(self) -> Iterator[Any]:
        with Session(self.engine) as session:
            yield from self._database(session)
        if self.client is not None:
            import redis

            with contextlib.suppress(redis.RedisError):  # a scrape shows what it can
                yield from self._redis(self.client)

    def _database(self, session: Session) -> Iterator[Any]:
        by_status = articles_by_status(session)
        articles = GaugeMetricFamily(
            "claimwatch_articles", "Articles by pipeline status", labels=["status"]
        )
        for status, count in sorted(by_status.items()):
            articles.add_metric([status], count)
        yield articles
        # A gauge, not a counter: counted from the articles' current status, so an article
        # that fails at a later step leaves the counts of the steps it had passed.
        reached = GaugeMetricFamily(
            "claimwatch_articles_processed",
            "Articles that have passed each pipeline step",
            labels=["step"],
        )
        for i, step in enumerate(("fetched", "extracted", "deduplicated", "analysed", "decided")):
            later = STAGES[i + 1 :]
            reached.add_metric([step], sum(by_status.get(s, 0) for s in later))
        yield reached
        failed = CounterMetricFamily(
            "claimwatch_articles_failed", "Articles that failed", labels=["reason"]
        )
        for reason, count in failed_by_reason(session):
            failed.add_metric([reason or "unknown"], count)
        yield failed
        alerts = CounterMetricFamily("claimwatch_alerts_raised", "Alerts raised", labels=["kind"])
        for kind, count in alerts_by_kind(session):
            alerts.add_metric([kind], count)
        yield alerts
        # A delivery moves from pending to sent or failed: each status's count can fall.
        deliveries = GaugeMetricFamily(
            "claimwatch_deliveries", "Alert deliveries by status", labels=["status"]
        )
        for status, count in deliveries_by_status(session):
            deliveries.add_metric([status], count)
        yield deliveries
        feeds = GaugeMetricFamily("claimwatch_feeds", "Feeds by status", labels=["status"])
        for status, count in feeds_by_status(session):
            feeds.add_metric([status], count)
        yield feeds
        errors = consecutive_errors(session)
        yield GaugeMetricFamily(
            "claimwatch_feed_consecutive_errors", "Sum of feeds' consecutive errors", value=errors
        )

    def _redis(self, client: redis.Redis) -> Iterator[Any]:
        depth = GaugeMetricFamily("claimwatch_queue_depth", "Messages waiting", labels=["queue"])
        for queue in QUEUES:
            depth.add_metric([queue], client.llen(queue))
        yield depth
        tasks = CounterMetricFamily("claimwatch_tasks", "Finished tasks", labels=["task", "state"])
        for field, count in client.hgetall(f"{PREFIX}:tasks").items():
            task, _, state = field.decode().partition("|")
            tasks.add_metric([task, state], int(count))
        yield tasks
        seconds = HistogramMetricFamily(
            "claimwatch_task_seconds", "Task duration per pipeline stage", labels=["task"]
        )
        for key in sorted(client.scan_iter(f"{PREFIX}:seconds:*")):
            task = key.decode().rsplit(":", 1)[-1]
            values = {k.decode(): v for k, v in client.hgetall(key).items()}
            buckets = [(str(b), int(values.get(str(b), 0))) for b in BUCKETS]
            buckets.append(("+Inf", int(values.get("count", 0))))
            seconds.add_metric([task], buckets, float(values.get("sum", 0)))
        yield seconds


def render_metrics(engine: Engine, client: redis.Redis | None) -> bytes:
    registry = CollectorRegistry()
    registry.register(PipelineCollector(engine, client))
    return generate_latest(registry)
