"""Pages per second under a bounded load, on the PostgreSQL data of a 1,000-article replay.

The bar (issue 12): the story page serves at least 200 requests/s at 20 connections with a
95th percentile of at most 150 ms. Before that work, one uvicorn process served the front
page at 57 req/s (p95 549 ms), the story page at 53 (511 ms), /api/stories at 63 (490 ms).

1. A throw-away database on the PostgreSQL server named by CLAIMWATCH_BENCH_POSTGRES_URL
   (default postgresql://postgres@127.0.0.1:5432/test, trust auth; dropped at the end)
   filled by `claimwatch replay` of N articles: FNC-1 training bodies (../shared/fnc1), each
   with a headline that agrees with it, or else one that discusses it (829 bodies have an
   agreeing one), as text items from 40 outlets, one minute apart. The replay's time
   is printed: the data comes through the product's pipeline, not inserted around it.
   Then ANALYZE, as autovacuum would (test servers often run without it).
2. `claimwatch web` on a free loopback port, as started in production (its default server
   processes, CLAIMWATCH_WEB_WORKERS, else `--workers`), JSON logs to a file.
3. For the front page, the heaviest story page (the story with the most reports) and
   /api/stories: a warm-up, then 20 connections for a fixed time, keep-alive, one request
   in flight per connection. Prints requests/s, p50, p95 and the answers that were neither
   2xx nor 3xx (or failed), then the bar. The load comes from ApacheBench (`ab`, Debian's
   apache2-utils) when installed, else from this script's own threads (`--client python`:
   http.client connections, HTTP/1.1 keep-alive); `--client both` runs the two alternately
   on each page, to check one against the other. uvicorn's h11 server closes HTTP/1.0
   connections after each answer, so ab's `-k` cannot keep them open: ab pays a new
   connection per request, which the figures show as "keep-alive 0".
4. One request at a time in this process (the app over the same database, no server):
   SQL statements per page, their time and the whole request's, median of 20, so the
   load figures can be read as SQL against Python time.

The machine's load average is printed before and after: on a shared machine the figures
move with it.

Usage: .venv/bin/python bench/web/run.py [--shared DIR] [--articles N] [--seconds S]
       [--connections C] [--workers N] [--client ab|python|both] [--keep] [--database NAME]
"""

from __future__ import annotations

import argparse
import csv
import http.client
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
CLAIMWATCH = [sys.executable, "-m", "cli"]
BAR_RPS, BAR_P95_MS = 200.0, 150.0
OUTLETS = 40  # distinct outlet domains the articles are spread over


def fnc_items(shared: Path, count: int) -> list[dict[str, str]]:
    """Replay lines: FNC-1 bodies in id order, each with an agreeing headline, else a
    discussing one (bodies with only unrelated headlines are left out)."""
    with open(shared / "fnc1" / "train_bodies.csv", encoding="utf-8", newline="") as f:
        bodies = {r["Body ID"]: r["articleBody"] for r in csv.DictReader(f)}
    headline: dict[str, dict[str, str]] = {}
    with open(shared / "fnc1" / "train_stances.csv", encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            headline.setdefault(r["Body ID"], {}).setdefault(r["Stance"], r["Headline"])
    chosen = sorted(((b, h.get("agree") or h.get("discuss")) for b, h in headline.items()),
                    key=lambda c: int(c[0]))
    start = datetime(2024, 1, 1, tzinfo=UTC)
    items = [
        {"id": f"fnc-{body}", "title": title, "text": bodies[body],
         "url": f"https://news{n % OUTLETS}.example/{body}", "outlet": f"news{n % OUTLETS}.example",
         "published_at": (start + timedelta(minutes=n)).isoformat()}
        for n, (body, title) in enumerate(c for c in chosen if c[1])
    ]
    if len(items) < count:
        raise SystemExit(f"only {len(items)} FNC-1 bodies have an agreeing or discussing headline")
    return items[:count]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


# The data --------------------------------------------------------------------------------


def replay(env: dict[str, str], folder: Path, items: list[dict[str, str]]) -> float:
    """Seconds `claimwatch replay` took for the items (its report checked for errors)."""
    lines = folder / "articles.jsonl"
    lines.write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")
    report = folder / "report.json"
    start = time.perf_counter()
    subprocess.run([*CLAIMWATCH, "replay", str(lines), "--report", str(report)], cwd=ROOT,
                   env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    took = time.perf_counter() - start
    errors = json.loads(report.read_text())["errors"]
    if errors:
        raise RuntimeError(f"the replay refused {len(errors)} lines: {errors[:3]}")
    return took


def heaviest_story(url: str) -> tuple[int, int, int, int]:
    """(story id, its reports, stories, articles): the story page with the most rows.

    ANALYZE first: autovacuum would have by now on a server that runs it, and without
    statistics the front page's per-story source counts scan article_source (25 ms of SQL
    instead of 3.5 on the 1,000 articles)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ANALYZE")
        story_id, reports = conn.execute(
            "SELECT story_id, count(*) FROM article WHERE story_id IS NOT NULL "
            "GROUP BY story_id ORDER BY count(*) DESC, story_id LIMIT 1").fetchone()
        stories = conn.execute("SELECT count(*) FROM story").fetchone()[0]
        articles = conn.execute("SELECT count(*) FROM article").fetchone()[0]
    return story_id, reports, stories, articles


# The server ------------------------------------------------------------------------------


def start_web(env: dict[str, str], port: int, workers: int | None, log: Path) -> subprocess.Popen:
    argv = [*CLAIMWATCH, "web", "--port", str(port)]
    if workers:
        argv += ["--workers", str(workers)]
    server = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log.open("w"),
                              stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 60
    while True:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return server
        except OSError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            raise RuntimeError(f"claimwatch web did not answer; see {log}")
        time.sleep(0.2)


# The load --------------------------------------------------------------------------------


@dataclass
class Load:
    client: str
    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    failed: int  # answers neither 2xx nor 3xx, and requests that got no answer
    keep_alive: int  # requests sent on a connection that was already open

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


def ab_load(port: int, path: str, connections: int, seconds: float) -> Load:
    """ApacheBench for a fixed time. Its "Failed requests" also count bodies whose length
    differs from the first one's, which dynamic pages do; only connect, receive and
    exception failures count here, with its non-2xx answers (3xx included, none expected)."""
    out = subprocess.run(
        ["ab", "-k", "-q", "-c", str(connections), "-t", str(seconds), "-n", "500000",
         f"http://127.0.0.1:{port}{path}"],
        capture_output=True, text=True, check=True).stdout

    def number(label: str, default: str | None = None) -> float:
        found = re.search(rf"^\s*{re.escape(label)}:?\s+([\d.]+)", out, re.M)
        if found is None and default is None:
            raise RuntimeError(f"ab printed no {label!r}:\n{out}")
        return float(found.group(1) if found else default)  # type: ignore[arg-type]

    broken = re.search(r"\(Connect: (\d+), Receive: (\d+), Length: \d+, Exceptions: (\d+)\)", out)
    return Load(
        client="ab",
        requests=int(number("Complete requests")),
        seconds=number("Time taken for tests"),
        p50_ms=number("50%"),
        p95_ms=number("95%"),
        failed=int(number("Non-2xx responses", "0"))
        + (sum(int(g) for g in broken.groups()) if broken else 0),
        keep_alive=int(number("Keep-Alive requests", "0")),
    )


def python_load(port: int, path: str, connections: int, seconds: float) -> Load:
    """Threads, each with one HTTP/1.1 keep-alive connection and one request in flight,
    until the time is up; a connection that fails is opened again."""
    latencies: list[list[float]] = [[] for _ in range(connections)]
    failed = [0] * connections
    reused = [0] * connections
    ready = threading.Barrier(connections + 1)
    stop = 0.0

    def run(n: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.connect()
        fresh = True
        ready.wait()
        while (start := time.perf_counter()) < stop:
            try:
                conn.request("GET", path)
                answer = conn.getresponse()
                answer.read()
                if not 200 <= answer.status < 400:
                    failed[n] += 1
            except (OSError, http.client.HTTPException):
                failed[n] += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                fresh = True
                continue
            latencies[n].append(time.perf_counter() - start)
            reused[n] += not fresh
            fresh = answer.will_close
            if fresh:
                conn.close()
        conn.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(connections)]
    for t in threads:
        t.start()
    begin = time.perf_counter()
    stop = begin + seconds
    ready.wait()
    for t in threads:
        t.join()
    took = time.perf_counter() - begin
    times = sorted(x for per in latencies for x in per)
    if not times:
        raise RuntimeError(f"no answer from {path}")
    return Load(
        client="python",
        requests=len(times),
        seconds=took,
        p50_ms=1000 * times[len(times) // 2],
        p95_ms=1000 * times[min(len(times) - 1, int(0.95 * len(times)))],
        failed=sum(failed),
        keep_alive=sum(reused),
    )


# Statements per request ------------------------------------------------------------------


def one_at_a_time(database_url: str, paths: list[str], rounds: int = 20) -> dict[str, str]:
    """Per path: statements, their time and the whole request's time (medians), in this
    process through the app's own stack (no server, no network)."""
    import warnings

    from sqlalchemy import event

    with warnings.catch_warnings():  # starlette's note on httpx, not ours to act on
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    from storage.db import get_engine
    from web.app import create_app

    engine = get_engine(database_url)
    app = create_app(engine, api_token=None, public_url="http://bench.example",
                     broker_url="memory://")
    sql: list[float] = []
    started: list[float] = []

    def before(*_: object) -> None:
        started.append(time.perf_counter())

    def after(*_: object) -> None:
        sql.append(time.perf_counter() - started.pop())

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    figures = {}
    try:
        with TestClient(app) as client:
            for path in paths:
                counts, sql_ms, total_ms = [], [], []
                for _ in range(rounds + 2):  # two to warm up (templates, statement caches)
                    sql.clear()
                    start = time.perf_counter()
                    client.get(path).raise_for_status()
                    total_ms.append(1000 * (time.perf_counter() - start))
                    counts.append(len(sql))
                    sql_ms.append(1000 * sum(sql))
                figures[path] = (f"{max(counts[2:])} statements, SQL "
                                 f"{statistics.median(sql_ms[2:]):.1f} ms of "
                                 f"{statistics.median(total_ms[2:]):.1f} ms")
    finally:
        engine.dispose()
    return figures


# The run ---------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--articles", type=int, default=1000)
    ap.add_argument("--seconds", type=float, default=10.0, help="of load per page")
    ap.add_argument("--warmup", type=float, default=2.0, help="seconds of load not counted")
    ap.add_argument("--connections", type=int, default=20)
    ap.add_argument("--workers", type=int, help="server processes (default: the product's)")
    ap.add_argument("--client", choices=["ab", "python", "both"],
                    help="load generator (default: ab when installed, else python)")
    ap.add_argument("--database", help="an existing database on the server to load, "
                    "already replayed (skips step 1, and is not dropped)")
    ap.add_argument("--keep", action="store_true", help="leave the new database in place")
    args = ap.parse_args(argv)
    client = args.client or ("ab" if shutil.which("ab") else "python")
    if client != "python" and not shutil.which("ab"):
        raise SystemExit("no `ab`: apt-get install apache2-utils, or use --client python")
    if client == "python" and args.client is None:
        print("ab is not installed (apt-get install apache2-utils): load from Python threads")
    loads = {"ab": [ab_load], "python": [python_load], "both": [ab_load, python_load]}[client]

    import psycopg

    admin = os.environ.get("CLAIMWATCH_BENCH_POSTGRES_URL",
                           "postgresql://postgres@127.0.0.1:5432/test")
    db = args.database or f"claimwatch_bench_{uuid.uuid4().hex[:8]}"
    url = admin.rsplit("/", 1)[0] + "/" + db
    folder = Path(tempfile.mkdtemp(prefix="claimwatch-web-"))
    env = {**os.environ, "PYTHONPATH": str(ROOT),
           "CLAIMWATCH_DATABASE_URL": url.replace("postgresql://", "postgresql+psycopg://"),
           "CLAIMWATCH_BROKER_URL": f"sqla+sqlite:///{folder / 'broker.sqlite'}"}
    print(f"load average at start: {load_average()} ({os.cpu_count()} cores)")
    if not args.database:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{db}"')
    server = None
    try:
        if not args.database:
            items = fnc_items(args.shared, args.articles)
            took = replay({**env, "CLAIMWATCH_LOG_LEVEL": "WARNING"}, folder, items)
            print(f"1. claimwatch replay of {len(items)} articles into PostgreSQL: {took:.0f} s"
                  f" ({len(items) / took:.1f} articles/s)")
        story_id, reports, stories, articles = heaviest_story(url)
        print(f"   {articles} articles in {stories} stories; the heaviest story, {story_id},"
              f" has {reports} reports")
        from config.settings import Settings

        workers = args.workers or Settings().web_workers
        port = free_port()
        server = start_web(env, port, args.workers, folder / "web.log")
        pages = [("front page", "/"), (f"story page ({reports} reports)", f"/stories/{story_id}"),
                 ("/api/stories", "/api/stories")]
        print(f"2. claimwatch web: {workers} server process(es),"
              f" {Settings().web_threads} threads each, port {port}")
        print(f"3. {args.connections} connections, {args.seconds:g} s per page and client"
              f" after {args.warmup:g} s of warm-up, keep-alive:")
        print(f"   {'page':<30} {'client':<7} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7}"
              f" {'failed':>7} {'requests':>9} {'keep-alive':>11}")
        story_loads: list[Load] = []
        for name, path in pages:
            for load in loads:
                load(port, path, args.connections, args.warmup)
                result = load(port, path, args.connections, args.seconds)
                if path.startswith("/stories/"):
                    story_loads.append(result)
                print(f"   {name:<30} {result.client:<7} {result.rps:7.1f} {result.p50_ms:7.0f}"
                      f" {result.p95_ms:7.0f} {result.failed:7d} {result.requests:9d}"
                      f" {result.keep_alive:11d}", flush=True)
        for result in story_loads:
            met = result.rps >= BAR_RPS and result.p95_ms <= BAR_P95_MS and not result.failed
            print(f"   bar: story page at least {BAR_RPS:.0f} req/s with p95 at most"
                  f" {BAR_P95_MS:.0f} ms, no failures ({result.client}):"
                  f" {result.rps:.0f} req/s, p95 {result.p95_ms:.0f} ms,"
                  f" {'met' if met else 'MISSED'}")
        print("   (issue 12 before: front page 57 req/s p95 549 ms, story page 53 req/s"
              " p95 511 ms, /api/stories 63 req/s p95 490 ms, one process)")
        print("4. one request at a time, in-process, median of 20:")
        for path, figures in one_at_a_time(env["CLAIMWATCH_DATABASE_URL"],
                                           [p for _, p in pages]).items():
            print(f"   {path:<30} {figures}")
    finally:
        if server is not None:
            os.killpg(server.pid, 15)
            server.wait(timeout=30)
        if not args.database and not args.keep:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        elif args.keep:
            print(f"database kept: {url}")
        shutil.rmtree(folder, ignore_errors=True)
    print(f"load average at end: {load_average()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
