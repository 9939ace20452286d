"""Polling benchmark: claimwatch's batch polling path against a naive feedparser loop.

1,000 feeds are served by nginx on loopback (static files: nginx answers conditional
requests itself, with ETag and Last-Modified). claimwatch polls them all once to learn their
validators, then 10 % of the feeds publish a new entry, and both contenders poll every
feed once more, in the same run:

- naive: ``feedparser.parse(url)`` for each feed in turn (no validators, no bookkeeping);
- claimwatch: the beat sweep's path: the due feeds leased and batched
  (``tasks.feeds.lease_due_feeds``), each batch polled by ``tasks.feeds.poll_feeds`` as
  worker processes run it (conditional GETs, parsing what changed, database bookkeeping,
  new entries recorded and their fetch enqueued), on SQLite.

Prints feeds per second for both, their ratio and how many feeds answered 304.
Usage: ``.venv/bin/python bench/polling/run.py [--feeds N] [--changed F] [--workers W]``
(see README.md).
"""

from __future__ import annotations

import argparse
import email.utils
import json
import multiprocessing
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

ITEMS = 25
NGINX_CONF = """
worker_processes 1;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/client;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    types {{ application/rss+xml xml; }}
    keepalive_requests 100000;
    server {{
        listen 127.0.0.1:{port};
        root {tmp}/www;
    }}
}}
"""


def feed_xml(n: int, revision: int) -> bytes:
    """A news feed like a publisher's: 25 items with an HTML teaser, newest first."""
    start = datetime(2026, 11, 1, tzinfo=UTC) + timedelta(hours=revision)
    items = []
    for i in range(ITEMS):
        number = revision + ITEMS - i
        when = email.utils.format_datetime(start - timedelta(hours=i * 3), usegmt=True)
        link = f"https://news{n}.example/2026/11/story-{number}.html"
        items.append(
            f"<item><title>Council of town {n} votes on proposal {number} after long debate"
            f"</title><link>{link}</link><guid isPermaLink=\"true\">{link}</guid>"
            f"<pubDate>{when}</pubDate><author>desk@news{n}.example (News desk)</author>"
            f"<category>Politics</category><description><![CDATA[<p>The council of town {n} "
            f"voted on proposal {number} on Tuesday, <a href=\"{link}\">ending a debate</a> "
            f"that had <b>divided</b> residents for months, the mayor said.</p><p>Opponents "
            f"said they would appeal the decision.</p>]]></description></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>News {n}</title><link>https://news{n}.example/</link>"
        f"<description>Local news {n}</description>{''.join(items)}</channel></rss>"
    ).encode()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_nginx(tmp: Path) -> tuple[subprocess.Popen[bytes], int]:
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    port = free_port()
    conf = tmp / "nginx.conf"
    conf.write_text(NGINX_CONF.format(tmp=tmp, port=port))
    proc = subprocess.Popen([binary, "-c", str(conf), "-p", str(tmp)])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, port
        except OSError:
            time.sleep(0.05)
    proc.terminate()
    raise SystemExit(f"nginx did not start; see {tmp}/error.log")


def naive(urls: list[str]) -> float:
    import feedparser

    started = time.perf_counter()
    for url in urls:
        parsed = feedparser.parse(url)
        assert parsed.entries, url
    return time.perf_counter() - started


def poll_batch(ids: list[int]) -> dict[int, list[int]]:
    from tasks.feeds import poll_feeds

    return poll_feeds(ids)


def claimwatch_poll(pool: ProcessPoolExecutor | None) -> tuple[float, int]:
    """The beat sweep's work (lease the due feeds, batch them), then the workers' poll tasks."""
    from sqlmodel import update

    from config.settings import get_settings
    from storage.db import session_scope
    from storage.models import Feed, utcnow
    from tasks.context import engine
    from tasks.feeds import chunked, lease_due_feeds

    with session_scope(engine()) as session:  # every feed due now (not timed)
        session.exec(update(Feed).values(next_poll_at=utcnow()))
    started = time.perf_counter()
    batches = list(chunked(lease_due_feeds(utcnow()), get_settings().poll_batch_size))
    results = list(pool.map(poll_batch, batches)) if pool else [poll_batch(b) for b in batches]
    elapsed = time.perf_counter() - started
    return elapsed, sum(len(new) for r in results for new in r.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--changed", type=float, default=0.1, help="share of feeds that change")
    parser.add_argument("--workers", type=int, default=2, help="poll worker processes")
    parser.add_argument("--rounds", type=int, default=2, help="rounds; the best time counts")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="claimwatch-bench-"))
    tmp.chmod(0o755)  # nginx's worker runs as an unprivileged user
    (tmp / "www").mkdir()
    for n in range(args.feeds):
        (tmp / "www" / f"feed{n}.xml").write_bytes(feed_xml(n, 0))
    os.environ.update({
        "CLAIMWATCH_DATABASE_URL": f"sqlite:///{tmp / 'claimwatch.sqlite'}",
        "CLAIMWATCH_BROKER_URL": "memory://localhost/",
        "CLAIMWATCH_ALLOWED_NETWORKS": "127.0.0.1/32",
        "CLAIMWATCH_LOG_LEVEL": "WARNING",
    })
    from sqlmodel import func, select

    from config.logs import configure_logging
    from ingest.feedlist import FeedSpec
    from storage.db import session_scope
    from storage.feeds import add_feeds
    from storage.models import Feed
    from tasks.context import engine

    configure_logging("WARNING")
    nginx, port = start_nginx(tmp)
    # Fresh processes (spawn): a forked child must not reuse the parent's SQLite connections.
    pool = ProcessPoolExecutor(
        args.workers, mp_context=multiprocessing.get_context("spawn"),
        initializer=configure_logging, initargs=("WARNING",),
    ) if args.workers > 1 else None
    step = round(1 / args.changed) if args.changed else 0
    rounds: list[dict[str, float]] = []
    try:
        urls = [f"http://127.0.0.1:{port}/feed{n}.xml" for n in range(args.feeds)]
        with session_scope(engine()) as session:
            add_feeds(session, [FeedSpec(u) for u in urls], None)
        if pool:  # start the workers (imports, database connection) before timing
            list(pool.map(poll_batch, [[]] * args.workers))
        first, first_new = claimwatch_poll(pool)
        for r in range(args.rounds):
            changed = range(r % max(step, 1), args.feeds, step) if step else range(0)
            time.sleep(1.1)  # a new Last-Modified second for the changed files
            for n in changed:
                (tmp / "www" / f"feed{n}.xml").write_bytes(feed_xml(n, 1))
            naive_s = naive(urls)
            ours_s, new = claimwatch_poll(pool)
            with session_scope(engine()) as session:
                not_modified = session.exec(
                    select(func.count()).select_from(Feed).where(Feed.last_status_code == 304)
                ).one()
                errors = session.exec(
                    select(func.count()).select_from(Feed).where(Feed.error_count > 0)
                ).one()
            rounds.append({"naive_s": naive_s, "claimwatch_s": ours_s, "changed": len(changed),
                           "not_modified": not_modified, "new_entries": new, "errors": errors})
    finally:
        if pool:
            pool.shutdown()
        nginx.terminate()
        nginx.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)
    naive_best = min(r["naive_s"] for r in rounds)
    ours_best = min(r["claimwatch_s"] for r in rounds)
    last = rounds[-1]
    result = {
        "feeds": args.feeds,
        "changed": last["changed"],
        "workers": args.workers,
        "first_poll_seconds": round(first, 3),
        "first_poll_new_entries": first_new,
        "naive_feeds_per_second": round(args.feeds / naive_best, 1),
        "claimwatch_feeds_per_second": round(args.feeds / ours_best, 1),
        "ratio": round(naive_best / ours_best, 2),
        "round_ratios": [round(r["naive_s"] / r["claimwatch_s"], 2) for r in rounds],
        "not_modified_304": last["not_modified"],
        "new_entries": last["new_entries"],
        "feed_errors": last["errors"],
    }
    if args.json:
        print(json.dumps(result))
        return
    print(f"{args.feeds} feeds on nginx at 127.0.0.1:{port}; each round {last['changed']} of "
          f"them change; claimwatch with {args.workers} poll worker process(es)")
    print(f"first poll (everything new): {first:.2f} s, {first_new} entries recorded")
    print(f"naive feedparser loop: {result['naive_feeds_per_second']:>8} feeds/s")
    print(f"claimwatch poll path:  {result['claimwatch_feeds_per_second']:>8} feeds/s "
          f"({last['not_modified']} answered 304, {last['new_entries']} new entries, "
          f"{last['errors']} errors)")
    print(f"ratio: {result['ratio']}x (best of {args.rounds} rounds each; per round: "
          f"{', '.join(f'{x}x' for x in result['round_ratios'])})")


if __name__ == "__main__":
    main()
