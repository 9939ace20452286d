"""``claimwatch demo``: the seed story, end to end, on embedded defaults.

A fake feed on loopback publishes the seed articles one by one in published order; a real
Celery worker with beat (SQLite database, SQL transport over SQLite) polls it, fetches,
extracts, analyses and raises alerts; this process watches the database and prints each
report and alert as it lands, then the story.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from cli.summary import alert_block, article_line, story_block
from config.settings import get_settings
from ingest.archive import load_archive
from ingest.fakefeed import FakeFeed
from ingest.feedlist import FeedSpec
from storage.articles import article_in_status
from storage.db import session_scope
from storage.feeds import add_feeds
from storage.models import Article
from storage.report import build_report

DONE = ("decided", "failed", "duplicate")


def demo_environment(data: Path) -> dict[str, str]:
    data = data.resolve()
    return {
        "CLAIMWATCH_DATABASE_URL": f"sqlite:///{data / 'claimwatch.sqlite'}",
        "CLAIMWATCH_BROKER_URL": f"sqla+sqlite:///{data / 'broker.sqlite'}",
        "CLAIMWATCH_ALLOWED_NETWORKS": "127.0.0.1/32",
        "CLAIMWATCH_BEAT_INTERVAL_SECONDS": "1",
        "CLAIMWATCH_MIN_POLL_INTERVAL_SECONDS": "1",
    }


def run_demo(
    seeds: Path, data: Path, *, per_article_timeout: float, serve_port: int | None = None
) -> int:
    """Run the story; with `serve_port`, then serve the web app over the demo's database."""
    started = time.monotonic()
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    os.environ.update(demo_environment(data))
    get_settings.cache_clear()
    from tasks.context import engine

    items = load_archive(seeds)
    feed = FakeFeed(items, release="manual")
    feed.start()
    with session_scope(engine()) as session:
        add_feeds(session, [FeedSpec(feed.url)], interval=1)
    print(f"fake feed: {feed.url} ({len(items)} articles, published one by one)")
    print(f"data: {data.resolve()}\nstarting a Celery worker with beat ...\n")
    worker = subprocess.Popen(
        [sys.executable, "-m", "cli", "run", "--concurrency", "2"],
        cwd=data,
        env={**os.environ, "CLAIMWATCH_LOG_FORMAT": "json", "PYTHONPATH": _project_path()},
        stdout=subprocess.DEVNULL,
        stderr=open(data / "worker.log", "w"),  # noqa: SIM115
    )
    shown_alerts = 0
    ok = True
    try:
        for item in items:
            feed.release_next()
            article = _wait_for(item.id, per_article_timeout, worker)
            with session_scope(engine()) as session:
                report = build_report(session)
            row = next((a for a in report["articles"] if a["id"] == item.id), None)
            if article is None or row is None:
                print(
                    f"  {item.id}: not processed in {per_article_timeout:.0f} s "
                    f"(see {data / 'worker.log'})"
                )
                ok = False
                continue
            print(article_line(row))
            for alert in report["alerts"][shown_alerts:]:
                if alert["kind"] != "new_story":
                    print(alert_block(alert))
            shown_alerts = len(report["alerts"])
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
        feed.stop()
    with session_scope(engine()) as session:
        report = build_report(session)
    print()
    for story in report["stories"]:
        print(story_block(story, report["alerts"]))
    print(f"\ndone in {time.monotonic() - started:.1f} s")
    if serve_port is None:
        print(
            "see the story page: claimwatch demo --serve (or, over this data: "
            f"CLAIMWATCH_DATABASE_URL={os.environ['CLAIMWATCH_DATABASE_URL']} claimwatch web)"
        )
    else:
        _serve(serve_port, [f"/stories/{story['id']}" for story in report["stories"]])
    return 0 if ok else 1


def _serve(port: int, pages: list[str]) -> None:
    import uvicorn

    from web.app import app_from_environment

    config = uvicorn.Config(
        app_from_environment(), host="127.0.0.1", port=port, log_level="warning",
        log_config=None,  # its loggers go to the root handler set by configure_logging
    )
    # Listening (uvicorn's bind_socket only binds) before the pages are announced, so they
    # answer: a connection waits in the backlog until the server takes it.
    listening = config.bind_socket()
    listening.listen(config.backlog)
    for page in pages:
        print(f"story page: http://127.0.0.1:{port}{page}")
    print("serving until Ctrl-C", flush=True)
    uvicorn.Server(config).run(sockets=[listening])


def _wait_for(external_id: str, timeout: float, worker: subprocess.Popen[bytes]) -> Article | None:
    from tasks.context import engine

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and worker.poll() is None:
        with session_scope(engine()) as session:
            article = article_in_status(session, external_id, DONE)
        if article is not None:
            return article
        time.sleep(0.2)
    return None


def _project_path() -> str:
    root = str(Path(__file__).resolve().parent.parent)
    return os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)
