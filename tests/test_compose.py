"""docker-compose.yml, run without Docker: its services' commands as local processes.

No Docker engine runs on the development machines, so the test parses the compose file
and runs exactly the commands of the migrate, worker, beat and web services, with the
compose environment mapped to a local Redis and PostgreSQL.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml
from conftest import ROOT, SEEDS, check_report, free_port, load_report, run_cli
from processes import logs, start, stop, wait_decided
from seeds_expectations import SEED_IDS, assert_seeds_story
from sqlalchemy import create_engine, text
from test_seeds_worker import pipeline_env

from config.settings import Settings
from ingest.archive import load_archive
from ingest.fakefeed import FakeFeed

pytestmark = [
    pytest.mark.slow,
    pytest.mark.integration,
]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
CLAIMWATCH = str(Path(sys.executable).parent / "claimwatch")


def service(name: str, env: dict[str, str], port: int | None = None) -> tuple[list[str], dict]:
    """The service's command and environment, mapped from containers to this machine."""
    spec = COMPOSE["services"][name]
    environment = {k: _interpolate(str(v)) for k, v in spec["environment"].items()}
    assert {"CLAIMWATCH_DATABASE_URL", "CLAIMWATCH_BROKER_URL"} <= set(environment)
    environment.update(env)  # the containers' postgres and redis are the local ones
    command = list(spec["command"])
    assert command[0] == "claimwatch", command
    command[0] = CLAIMWATCH
    if port is not None:
        command = [{"0.0.0.0": "127.0.0.1", "8000": str(port)}.get(a, a) for a in command]
    return command, environment


def _interpolate(value: str) -> str:
    """Compose's ${VAR:-default}, with the defaults (no .env here)."""
    return re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", value)


def test_compose_file_declares_the_production_shape() -> None:
    services = COMPOSE["services"]
    assert {"redis", "postgres", "migrate", "worker", "beat", "web", "flower"} <= set(services)
    assert services["flower"]["profiles"] == ["flower"]
    for name in ("redis", "postgres", "worker", "web"):
        assert "healthcheck" in services[name], name
    for name in ("worker", "beat", "web"):
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )
        assert services[name]["restart"] == "unless-stopped"
    assert set(COMPOSE["volumes"]) == {"redis-data", "postgres-data"}


def wait_http(url: str, processes: list, cwd: Path, timeout: float = 30) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for process in processes:
            assert process.poll() is None, logs(cwd)
        try:
            return httpx.get(url, timeout=2)
        except httpx.TransportError:
            time.sleep(0.2)
    pytest.fail(f"{url} did not answer:\n{logs(cwd)}")


def test_services_run_the_seeds_story_with_health_and_metrics(
    fake_feed: FakeFeed, redis_url: str, postgres_url: str, tmp_path: Path
) -> None:
    env = pipeline_env(postgres_url, redis_url)
    command, environment = service("migrate", env)
    subprocess.run(command, env=environment, cwd=tmp_path, check=True, timeout=120)
    port = free_port()
    processes = [
        start(*service(name, env, port), tmp_path, name) for name in ("worker", "beat", "web")
    ]
    base = f"http://127.0.0.1:{port}"
    try:
        assert wait_http(f"{base}/healthz", processes, tmp_path).status_code == 200
        ready = wait_http(f"{base}/readyz", processes, tmp_path)
        assert ready.status_code == 200, ready.text
        run_cli(["feeds", "add", fake_feed.url, "--interval", "1"], env, tmp_path)
        db = create_engine(Settings(database_url=postgres_url).database_url)
        for seed_id in SEED_IDS:
            fake_feed.release_next()
            wait_decided(db, seed_id, processes, tmp_path)
        db.dispose()
        metrics = httpx.get(f"{base}/metrics", timeout=10).text
    finally:
        stop(processes)
    assert 'claimwatch_articles{status="decided"} 5.0' in metrics
    assert 'claimwatch_alerts_raised_total{kind="contradiction"} 2.0' in metrics
    assert re.search(
        r'claimwatch_task_seconds_count\{task="tasks.analyse.analyse_article"\} 5', metrics
    )
    assert "claimwatch_queue_depth" in metrics
    report = tmp_path / "report.json"
    run_cli(["report", "--output", str(report)], env, tmp_path)
    check_report(report)
    assert_seeds_story(load_report(report))
    # Every log line is JSON, the libraries' (uvicorn's "Started server process", Celery's
    # task lines) too; Celery prints its shutdown notice past logging.
    for name in ("worker", "beat", "web"):
        lines = (tmp_path / f"{name}.log").read_text().splitlines()
        plain = [line for line in lines if line.strip() and not _json(line)]
        assert plain in ([], ["worker: Warm shutdown (MainProcess)"]), (name, plain)
    web_events = [json.loads(line)["event"] for line in (tmp_path / "web.log").open()]
    assert any(e.startswith("Started server process") for e in web_events), web_events


def _json(line: str) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


def test_two_workers_and_two_beats_poll_each_feed_once_per_period(
    redis_url: str, postgres_url: str, tmp_path: Path
) -> None:
    env = pipeline_env(postgres_url, redis_url)
    command, environment = service("migrate", env)
    subprocess.run(command, env=environment, cwd=tmp_path, check=True, timeout=120)
    interval = 3
    with FakeFeed(load_archive(SEEDS), release="all") as feed:
        run_cli(["feeds", "add", feed.url, "--interval", str(interval)], env, tmp_path)
        names = ["worker", "worker-2", "beat", "beat-2"]
        processes = [start(*service(name.split("-")[0], env), tmp_path, name) for name in names]
        db = create_engine(Settings(database_url=postgres_url).database_url)
        try:
            for seed_id in SEED_IDS:
                wait_decided(db, seed_id, processes, tmp_path)
            polls_before = _feed_polls(feed)
            window = 4 * interval
            time.sleep(window)
            polls = _feed_polls(feed) - polls_before
        finally:
            stop(processes)
        with db.connect() as conn:
            stories = conn.execute(text("SELECT count(*) FROM story")).scalar()
            alert_keys = conn.execute(text("SELECT key FROM alert")).scalars().all()
        db.dispose()
    # One poll per period (plus one for where the window falls), not one per beat or worker.
    assert 1 <= polls <= window // interval + 1, polls
    assert stories == 1
    assert len(alert_keys) == len(set(alert_keys))
    beat_logs = [(tmp_path / f"{n}.log").read_text() for n in ("beat", "beat-2")]
    assert sum("beat lock acquired" in log for log in beat_logs) == 1, beat_logs


def _feed_polls(feed: FakeFeed) -> int:
    return sum(1 for _, path, _ in feed.requests if path == "/feed.xml")
