"""Bounded cost: analysis reads a capped text, and tasks have time limits.

The time limit is tried on a real worker process (prefork pool, the SQL broker): an
article page that answers slower than the soft limit fails its article with reason
``time_limit`` instead of leaving it between steps.
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
from pathlib import Path

import pytest
from loopback import PARAGRAPHS, Claimwatch, LoopbackServer, ok, page, rss, slow, static
from processes import DONE, logs, start, stop
from sqlalchemy import create_engine, text

from analysis.text import cap_text
from config.settings import Settings


def test_cap_text_cuts_at_a_line_end_and_says_so() -> None:
    assert cap_text("short", 10) == ("short", None)
    kept, problem = cap_text("aaaa\nbbbb\ncccc", 12)
    assert kept == "aaaa\nbbbb"
    assert problem == "analysis_capped: analysed the first 9 of 14 characters"
    assert cap_text("x" * 30, 10)[0] == "x" * 10  # no line end: a hard cut


def test_a_long_text_is_analysed_capped_and_the_cap_recorded(
    tmp_path: Path, claimwatch: Claimwatch, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cli.replay import replay

    monkeypatch.setenv("CLAIMWATCH_MAX_ANALYSIS_CHARS", "2000")
    claimwatch.reset()
    filler = (f"Filler line {i} of a dump." for i in range(5000))
    body = "\n".join([*PARAGRAPHS, *filler])
    source = tmp_path / "long.jsonl"
    source.write_text(json.dumps({"id": "long", "title": "Harbour bridge approved",
                                  "text": body}) + "\n")
    started = time.monotonic()
    [article] = replay(source)["articles"]
    assert time.monotonic() - started < 30
    assert article["status"] == "decided" and article["story_id"] is not None
    [problem] = [p for p in article["problems"] if p.startswith("analysis_capped")]
    assert problem.endswith(f"of {len(body)} characters")
    assert "Anna Lind" in article["sources"]  # what was read was analysed


def test_a_poll_batch_keeps_what_it_fetched_within_its_time(
    server: LoopbackServer, claimwatch: Claimwatch, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLAIMWATCH_TASK_SOFT_TIME_LIMIT_SECONDS", "2")
    monkeypatch.setenv("CLAIMWATCH_READ_TIMEOUT", "10")
    claimwatch.reset()
    server.routes["/fast.xml"] = static(rss([{"guid": "f1", "title": "Fast"}]))
    server.routes["/slow.xml"] = slow(5)
    claimwatch.add(server.url("/fast.xml"), server.url("/slow.xml"))
    started = time.monotonic()
    results = claimwatch.poll()
    assert time.monotonic() - started < 4
    assert results[server.url("/fast.xml")]["new_articles"] == 1
    late = results[server.url("/slow.xml")]
    assert late["error_reason"] == "timeout" and "ran out of time (1.5 s)" in late["last_error"]


def _worker_env(tmp_path: Path, database: str, **settings: str) -> dict[str, str]:
    """A worker's environment on its own SQLite files, allowed to fetch from loopback."""
    return {
        "CLAIMWATCH_DATABASE_URL": database,
        "CLAIMWATCH_BROKER_URL": f"sqla+sqlite:///{tmp_path / 'broker.sqlite'}",
        "CLAIMWATCH_ALLOWED_NETWORKS": "127.0.0.1/32",
        "CLAIMWATCH_BEAT_INTERVAL_SECONDS": "1",
        **settings,
    }


@pytest.mark.integration  # a worker process
def test_an_article_step_past_its_time_limit_fails_the_article(
    tmp_path: Path, server: LoopbackServer
) -> None:
    database = f"sqlite:///{tmp_path / 'claimwatch.sqlite'}"
    env = _worker_env(tmp_path, database, CLAIMWATCH_READ_TIMEOUT="30",
                      CLAIMWATCH_TASK_SOFT_TIME_LIMIT_SECONDS="2",
                      CLAIMWATCH_TASK_TIME_LIMIT_SECONDS="4")
    server.routes["/feed.xml"] = static(rss([{"guid": "slow", "link": server.url("/a/slow")}]))
    server.routes["/a/slow"] = slow(10)
    cli = [sys.executable, "-m", "cli"]
    start([*cli, "feeds", "add", server.url("/feed.xml")], env, tmp_path, "add").wait(60)
    worker = start([*cli, "run", "--concurrency", "1"], env, tmp_path, "worker")
    db = create_engine(Settings(database_url=database).database_url)
    try:
        deadline = time.monotonic() + 60
        row = None
        while time.monotonic() < deadline and worker.poll() is None:
            with db.connect() as conn:
                row = conn.execute(text(
                    "SELECT status, error_reason, error_message FROM article"
                )).first()
            if row is not None and row.status == "failed":
                break
            time.sleep(0.25)
    finally:
        stop([worker])
        db.dispose()
    assert row is not None and row.status == "failed", logs(tmp_path)
    assert row.error_reason == "time_limit"
    assert row.error_message == "tasks.articles.fetch_article exceeded its soft time limit"


def _children(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):  # gone meanwhile
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(stat.parent.name))
    return found


@pytest.mark.integration  # a worker process
def test_a_pool_process_past_its_memory_limit_is_replaced_and_loses_no_work(
    tmp_path: Path, server: LoopbackServer
) -> None:
    """Under a 1 MB limit every pool process is replaced after its first task; each task
    has been acknowledged by then, so every article still goes through every step."""
    database = f"sqlite:///{tmp_path / 'claimwatch.sqlite'}"
    env = _worker_env(tmp_path, database, CLAIMWATCH_WORKER_MAX_MEMORY_MB="1")
    texts = {"bridge": PARAGRAPHS, "storm": [
        "A storm closed the port of Eastmere on Friday, the coastguard said, and ferries to "
        "the islands will not sail before Sunday.",
        "Winds reached 120 kilometres an hour overnight and several roofs were damaged in the "
        "old town, according to the fire service.",
    ]}
    server.routes["/feed.xml"] = static(rss([{"guid": k, "link": server.url(f"/a/{k}")}
                                             for k in texts]))
    for key, paragraphs in texts.items():
        server.routes[f"/a/{key}"] = ok(page(paragraphs[0][:40], "Site", paragraphs))
    cli = [sys.executable, "-m", "cli"]
    start([*cli, "feeds", "add", server.url("/feed.xml")], env, tmp_path, "add").wait(60)
    worker = start([*cli, "run", "--concurrency", "1"], env, tmp_path, "worker")
    db = create_engine(Settings(database_url=database).database_url)
    seen: set[int] = set()
    statuses: dict[str, str] = {}
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and worker.poll() is None:
            seen |= _children(worker.pid)
            with db.connect() as conn:
                statuses = dict(conn.execute(text("SELECT external_id, status FROM article")).all())
            if len(statuses) == len(texts) and all(s in DONE for s in statuses.values()):
                break
            time.sleep(0.25)
    finally:
        stop([worker])
        db.dispose()
    assert statuses == dict.fromkeys(texts, "decided"), logs(tmp_path)
    assert len(seen) >= 4, seen  # beat, and a new pool process after each task
