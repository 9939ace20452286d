"""The seeds story for real: a fake feed on loopback polled by Celery beat and a worker.

The worker is a separate `claimwatch run` process with Redis as its broker; the fake
feed publishes one article at a time and the test waits for each to be decided.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import redis
from conftest import OPERATOR_CLAIM, check_report, load_report, run_cli
from processes import start, stop, wait_decided
from seeds_expectations import SEED_IDS, assert_seeds_story
from sqlalchemy import create_engine

from config.settings import Settings
from ingest.fakefeed import FakeFeed

pytestmark = [
    pytest.mark.slow,
    pytest.mark.integration,
]


def pipeline_env(database_url: str, redis_url: str) -> dict[str, str]:
    """Settings for a fast loop: beat every second, feeds allowed on loopback only."""
    redis.Redis.from_url(redis_url).flushdb()
    return {
        "CLAIMWATCH_DATABASE_URL": database_url,
        "CLAIMWATCH_BROKER_URL": redis_url,
        "CLAIMWATCH_ALLOWED_NETWORKS": "127.0.0.1/32",
        "CLAIMWATCH_BEAT_INTERVAL_SECONDS": "1",
        "CLAIMWATCH_MIN_POLL_INTERVAL_SECONDS": "1",
    }


def publish_one_by_one(feed: FakeFeed, env: dict[str, str], processes: list, cwd: Path) -> None:
    db = create_engine(Settings(database_url=env["CLAIMWATCH_DATABASE_URL"]).database_url)
    try:
        for seed_id in SEED_IDS:
            feed.release_next()
            wait_decided(db, seed_id, processes, cwd)
    finally:
        db.dispose()


def run_story(feed: FakeFeed, env: dict[str, str], tmp_path: Path, claim: bool) -> dict:
    run_cli(["feeds", "add", feed.url, "--interval", "1"], env, tmp_path)
    if claim:
        run_cli(
            ["claims", "add", OPERATOR_CLAIM["text"], "--id", OPERATOR_CLAIM["id"]], env, tmp_path
        )
    worker = start(
        [sys.executable, "-m", "cli", "run", "--concurrency", "2"], env, tmp_path, "worker"
    )
    try:
        publish_one_by_one(feed, env, [worker], tmp_path)
    finally:
        stop([worker])
    report = tmp_path / "report.json"
    run_cli(["report", "--output", str(report)], env, tmp_path)
    # Every article page was fetched over HTTP from the fake feed by the worker.
    fetched = {path for _, path, _ in feed.requests if path.startswith("/articles/")}
    assert len(fetched) == len(SEED_IDS)
    return load_report(report) | {"path": str(report)}


def test_worker_and_beat_on_redis_with_sqlite(
    fake_feed: FakeFeed, redis_url: str, tmp_path: Path
) -> None:
    env = pipeline_env(f"sqlite:///{tmp_path / 'claimwatch.sqlite'}", redis_url)
    report = run_story(fake_feed, env, tmp_path, claim=False)
    check_report(Path(report["path"]))
    assert_seeds_story(report)


def test_worker_and_beat_on_redis_with_postgres_and_operator_claim(
    fake_feed: FakeFeed, redis_url: str, postgres_url: str, tmp_path: Path
) -> None:
    env = pipeline_env(postgres_url, redis_url)
    report = run_story(fake_feed, env, tmp_path, claim=True)
    check_report(Path(report["path"]), claim_id=OPERATOR_CLAIM["id"])
    assert_seeds_story(report, claim_id=OPERATOR_CLAIM["id"])
