"""Delivery for real: Celery workers on Redis, the outbox in SQLite, receivers on loopback.

Alerts are raised by the worker's own decide_alerts task on a small story written to the
database; every timing (backoff, sweep, give-up) is shortened through the environment.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
from celery import Celery
from conftest import ROOT, run_cli
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from test_notify_webhook import SECRET, Receiver, Reply, verify

from config.settings import Settings
from notify.webhook import new_secret
from storage.models import Article, Claim, Feed, Outlet, StanceRecord, Story
from storage.subscriptions import Delivery, DeliveryAttempt, Subscriber

pytestmark = [pytest.mark.slow, pytest.mark.integration]

CLAIM = "Elon Musk spoke with Vladimir Putin before posting his Ukraine peace plan"


def delivery_env(tmp_path: Path, redis_url: str) -> dict[str, str]:
    redis.Redis.from_url(redis_url).flushdb()
    return {
        "CLAIMWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'claimwatch.sqlite'}",
        "CLAIMWATCH_BROKER_URL": redis_url,
        "CLAIMWATCH_BEAT_INTERVAL_SECONDS": "1",
        "CLAIMWATCH_DELIVERY_BACKOFF_SECONDS": "0.3",
        "CLAIMWATCH_DELIVERY_SWEEP_SECONDS": "1",
        "CLAIMWATCH_DELIVERY_LOST_AFTER_SECONDS": "1",
        "CLAIMWATCH_DELIVERY_TIMEOUT_SECONDS": "2",
        "CLAIMWATCH_DELIVERY_GIVE_UP_SECONDS": "6",
        "CLAIMWATCH_DELIVERY_FAILING_AFTER_SECONDS": "1",
        "CLAIMWATCH_FEED_BROKEN_AFTER_SECONDS": "3600",
        "CLAIMWATCH_PUBLIC_URL": "https://claimwatch.example",
        "CLAIMWATCH_ALLOWED_NETWORKS": "127.0.0.1/32",  # the receivers listen on loopback
    }


def start(args: list[str], env: dict[str, str], cwd: Path, name: str) -> subprocess.Popen:
    """A claimwatch process in its own process group, so a test can kill it whole."""
    return subprocess.Popen(
        [sys.executable, "-m", "cli", *args],
        env={**os.environ, "PYTHONPATH": str(ROOT), "CLAIMWATCH_LOG_FORMAT": "json", **env},
        cwd=cwd,
        stdout=(cwd / f"{name}.log").open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(*processes: subprocess.Popen) -> None:
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def logs(cwd: Path) -> str:
    return "\n".join(f"--- {p.name}\n{p.read_text()[-4000:]}" for p in sorted(cwd.glob("*.log")))


def wait_for(condition: Callable[[], object], cwd: Path, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"{what} within {timeout} s\n{logs(cwd)}")


def write_story(db: Engine) -> list[int]:
    """A story of analysed reports in publication order: two support the claim (the second
    from Vice), then a denial refutes it, against that established position."""
    now = datetime.now(UTC)
    with Session(db) as session:
        claim = Claim(
            external_id="musk-putin-call", text=CLAIM, entity_keys=["elon musk", "vladimir putin"]
        )
        session.add(claim)
        session.flush()
        story = Story(claim_id=claim.id, title=CLAIM, entity_keys=claim.entity_keys)  # type: ignore[arg-type]
        sun, vice = Outlet(name="The US Sun"), Outlet(name="Vice")
        denial = Outlet(name="The Post Millennial")
        session.add_all([story, sun, vice, denial])
        session.flush()
        ids = []
        for minutes, (ref, outlet, stance, evidence) in enumerate((
            ("sun", sun, "supports", "Elon Musk spoke with Vladimir Putin, the Sun says."),
            ("vice", vice, "supports", "Elon Musk spoke with Vladimir Putin, according to Vice."),
            ("denial", denial, "refutes", "Musk denies any such conversation."),
        )):
            article = Article(
                origin="test",
                external_id=ref,
                url=f"https://news.example/{ref}",
                title=f"{ref} report",
                text=evidence,
                status="analysed",
                story_id=story.id,
                outlet_id=outlet.id,
                published_at=now + timedelta(minutes=minutes),
            )
            session.add(article)
            session.flush()
            session.add(
                StanceRecord(
                    article_id=article.id,  # type: ignore[arg-type]
                    claim_id=claim.id,  # type: ignore[arg-type]
                    stance=stance,
                    score=0.9,
                    related=0.9,
                    evidence=[evidence],
                )
            )
            ids.append(article.id)
        session.commit()
    return ids


def decide(broker_url: str, db: Engine, article_id: int, cwd: Path) -> None:
    """Have the worker decide the article's alerts, as the analyse step would ask it to."""
    with Celery(broker=broker_url, set_as_current=False) as client:
        client.send_task("tasks.alerts.decide_alerts", args=[article_id])

    def decided() -> bool:
        with Session(db) as session:
            return session.get(Article, article_id).status == "decided"  # type: ignore[union-attr]

    wait_for(decided, cwd, 30, f"article {article_id} not decided")


def rows(db: Engine, model: type, *where: object) -> list:
    with Session(db) as session:
        return list(session.exec(select(model).where(*where).order_by(col(model.id))))


def test_retries_digest_give_up_gone_and_operational_alerts(redis_url: str, tmp_path: Path) -> None:
    env = delivery_env(tmp_path, redis_url) | {"HOOK_SECRETS": f"{SECRET} {new_secret()}"}
    run_cli(["db", "upgrade"], env, tmp_path)
    db = create_engine(Settings(database_url=env["CLAIMWATCH_DATABASE_URL"]).database_url)
    with Receiver() as receiver:
        receiver.script(
            "/flaky",
            Reply(500),
            Reply(503, {"Retry-After": "1"}),
            Reply(429, {"Retry-After": "1"}),
        )
        receiver.script("/gone", Reply(410))
        receiver.script("/down", *[Reply(500)] * 100)
        for args in (
            [receiver.url("/flaky"), "--secret-env", "HOOK_SECRETS", "--kinds", "contradiction"],
            [receiver.url("/digest"), "--digest-minutes", "0.05"],
            [receiver.url("/gone"), "--kinds", "new_story"],
            [receiver.url("/down"), "--kinds", "new_story"],
            [f"json://127.0.0.1:{receiver.port}/ops", "--kinds", "feed_broken,delivery_failing"],
        ):
            run_cli(["subscribe", *args], env, tmp_path)
        with Session(db) as session:
            long_ago = datetime.now(UTC) - timedelta(days=2)
            session.add(
                Feed(
                    url="https://feeds.example/rss",
                    status="broken",
                    error_count=40,
                    last_error="http_status: HTTP 500",
                    created_at=long_ago,
                    failing_since=long_ago,
                    broken_since=long_ago + timedelta(days=1),
                    next_poll_at=datetime.now(UTC) + timedelta(days=1),
                )
            )
            session.commit()
        reports = write_story(db)
        worker = start(["run", "--concurrency", "2"], env, tmp_path, "worker")
        try:
            for report in reports:
                decide(env["CLAIMWATCH_BROKER_URL"], db, report, tmp_path)

            def settled() -> bool:
                statuses = {d.subscriber_id: d.status for d in rows(db, Delivery)}
                return (
                    statuses.get(1) == "sent"
                    and statuses.get(4) == "failed"
                    and any("alert.digest" in r.body.decode() for r in receiver.at("/digest"))
                    and len(receiver.at("/ops")) >= 2
                )

            wait_for(settled, tmp_path, 40, "deliveries did not settle")
            time.sleep(3)  # a few more sweeps: nothing may arrive twice
        finally:
            stop(worker)

        # Three failures, then the alert arrives once, signed with both rotation secrets.
        flaky = receiver.at("/flaky")
        assert [r.status for r in flaky] == [500, 503, 429, 200], logs(tmp_path)
        assert len({r.headers["webhook-id"] for r in flaky}) == 1
        for secret in env["HOOK_SECRETS"].split():
            payload = verify(secret, flaky[-1])
        assert (
            payload["type"] == "alert.contradiction"
            and payload["id"] == flaky[0].headers["webhook-id"]
        )
        alert = payload["data"]
        assert alert["story"]["url"] == "https://claimwatch.example/stories/1"
        assert alert["article"]["outlet"] == "The Post Millennial"
        assert alert["contradicts"][0]["evidence"] == [
            "Elon Musk spoke with Vladimir Putin, according to Vice."
        ]
        assert flaky[2].at - flaky[1].at >= 0.95 and flaky[3].at - flaky[2].at >= 0.95
        (delivered,) = rows(db, Delivery, Delivery.subscriber_id == 1)
        attempts = rows(db, DeliveryAttempt, DeliveryAttempt.delivery_id == delivered.id)
        assert [a.status_code for a in attempts] == [500, 503, 429, 200]

        worker_log = (tmp_path / "worker.log").read_text()
        assert "delivery attempt" in worker_log
        assert not any(secret in worker_log for secret in env["HOOK_SECRETS"].split())

        # The digest subscriber gets one message with both alerts.
        (digest,) = receiver.at("/digest")
        assert [a["kind"] for a in digest.json()["data"]["alerts"]] == [
            "new_story",
            "contradiction",
        ]

        # 410 Gone stops the subscription; a receiver that never recovers is given up.
        assert len(receiver.at("/gone")) == 1
        subscribers = {s.id: s for s in rows(db, Subscriber)}
        assert subscribers[3].status == "disabled"
        assert len(receiver.at("/down")) >= 3

        # Operators hear once about the broken feed and about the failing subscriber.
        ops = [r.json() for r in receiver.at("/ops")]
        titles = [m["title"] for m in ops]
        assert len(titles) == len(set(titles)), titles
        assert sum("feed broken" in t and "feeds.example" in t for t in titles) == 1
        assert any("subscriber 4" in m["message"] for m in ops), titles
        assert not any("subscriber 5" in m["message"] for m in ops)


def test_a_worker_killed_mid_delivery_loses_nothing(redis_url: str, tmp_path: Path) -> None:
    env = delivery_env(tmp_path, redis_url)
    run_cli(["db", "upgrade"], env, tmp_path)
    db = create_engine(Settings(database_url=env["CLAIMWATCH_DATABASE_URL"]).database_url)
    with Receiver() as receiver:
        receiver.script("/slow", Reply(block=True))
        run_cli(["subscribe", receiver.url("/slow"), "--kinds", "new_story"], env, tmp_path)
        first, *_ = write_story(db)
        beat = start(["beat"], env, tmp_path, "beat")
        worker = start(["worker", "--concurrency", "1"], env, tmp_path, "worker1")
        replacement = None
        try:
            decide(env["CLAIMWATCH_BROKER_URL"], db, first, tmp_path)
            wait_for(lambda: receiver.at("/slow"), tmp_path, 20, "no delivery attempt")
            os.killpg(worker.pid, signal.SIGKILL)  # the worker dies with the request in flight
            worker.wait()
            (delivery,) = rows(db, Delivery)
            assert delivery.status == "pending" and delivery.leased_until is not None
            replacement = start(["worker", "--concurrency", "1"], env, tmp_path, "worker2")

            def sent() -> bool:
                return rows(db, Delivery)[0].status == "sent"

            wait_for(sent, tmp_path, 40, "the delivery was not resumed")
            time.sleep(2)  # later sweeps must not send it again
        finally:
            stop(*[p for p in (beat, replacement) if p is not None])
        requests = receiver.at("/slow")
        assert [r.status for r in requests] == [200, 200]  # the first answer never got out
        assert len({r.headers["webhook-id"] for r in requests}) == 1
        assert {r.json()["id"] for r in requests} == {requests[0].headers["webhook-id"]}
        attempts = rows(db, DeliveryAttempt)
        assert [a.status_code for a in attempts] == [None, 200]
        assert "worker was lost" in (attempts[0].error or "")
