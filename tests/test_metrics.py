"""Metrics: pipeline counts from the database, task timings shared through Redis."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import redis
from conftest import SEEDS, run_cli

from monitoring import metrics
from monitoring.metrics import record_task, render_metrics
from storage.db import get_engine


def test_metrics_count_the_replayed_story_and_the_task_timings(
    tmp_path: Path, sqlite_env: dict[str, str], redis_url: str
) -> None:
    run_cli(["replay", str(SEEDS)], sqlite_env, tmp_path)
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    record_task(client, "tasks.analyse.analyse_article", "SUCCESS", 0.3)
    record_task(client, "tasks.analyse.analyse_article", "SUCCESS", 7.0)
    client.rpush("celery", b"{}")
    engine = get_engine(sqlite_env["CLAIMWATCH_DATABASE_URL"])
    text = render_metrics(engine, client).decode()
    engine.dispose()
    assert 'claimwatch_articles{status="decided"} 5.0' in text
    # Values that can fall are gauges (no _total, TYPE gauge).
    assert 'claimwatch_articles_processed{step="analysed"} 5.0' in text
    assert "# TYPE claimwatch_articles_processed gauge" in text
    assert "# TYPE claimwatch_deliveries gauge" in text
    assert 'claimwatch_alerts_raised_total{kind="contradiction"} 2.0' in text
    assert 'claimwatch_queue_depth{queue="celery"} 1.0' in text
    task = 'task="tasks.analyse.analyse_article"'
    assert f'claimwatch_task_seconds_bucket{{le="0.5",{task}}} 1.0' in text
    assert f'claimwatch_task_seconds_bucket{{le="+Inf",{task}}} 2.0' in text
    assert f'claimwatch_tasks_total{{state="SUCCESS",{task}}} 2.0' in text


def test_a_step_run_inline_is_timed_as_its_own_task_and_not_in_its_callers_time(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    monkeypatch.setattr(metrics, "_client", client)  # as install_task_timing sets it
    with metrics.timed_step("outer"):
        time.sleep(0.05)
        with pytest.raises(RuntimeError), metrics.timed_step("inner"):
            time.sleep(0.3)
            raise RuntimeError("the inner step fails")
    seconds = {n: float(client.hget(f"{metrics.PREFIX}:seconds:{n}", "sum")) for n in
               ("outer", "inner")}
    assert 0.3 <= seconds["inner"] < 0.6
    assert 0.05 <= seconds["outer"] < 0.3  # its own time, without the inner step's
    assert client.hget(f"{metrics.PREFIX}:tasks", "inner|FAILURE") == b"1"
    assert client.hget(f"{metrics.PREFIX}:tasks", "outer|SUCCESS") == b"1"
