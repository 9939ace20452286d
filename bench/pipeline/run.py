"""End-to-end throughput of the pipeline, each figure paired in one run.

1. `claimwatch replay` on real pages (../shared/html, then FNC-1 bodies as simple pages)
   against one `python -c` loop of `trafilatura.extract` on the same HTML, both timed as
   whole processes, alternately (A B A B); prints pages/s and the ratio, for all the pages
   and for the real ones alone.
2. Workers on Redis and PostgreSQL: the same articles enqueued to `claimwatch worker` at
   concurrency 1 and at 2 (alternately), timed from the first message sent (the articles
   are stored, the client started and the worker's processes done loading the models
   before: a running worker's throughput, not its start-up) until every article is
   decided; prints articles/s and the speedup (of the medians, and round by round: this
   host's speed drifts between rounds), and each worker process's peak RSS (VmHWM,
   read just before the worker is stopped) and their sum (pages shared after the fork
   count in each); each round's rate, and the machine's CPU time per article while the
   articles ran (every process, the database's too; time the host stole is left out), so
   a shortfall in the speedup shows as extra work or as idle cores; and, between the
   rounds, what two CPU-bound processes get from the machine against one (a perfectly
   parallel workload's speedup at that moment). Needs
   `redis-server` and the PostgreSQL server named by CLAIMWATCH_BENCH_POSTGRES_URL
   (default postgresql://postgres@127.0.0.1:5432/test).
3. Per-article time with 100 and with 10,000 stories in the database: replays of K and of 1
   article into copies of the same prepared SQLite database, (t_K - t_1) / (K - 1), so
   start-up and the first article's index build cancel out; the two sizes alternate.

Usage: .venv/bin/python bench/pipeline/run.py [--shared DIR] [--pages N] [--articles N]
       [--growth-articles N] [--rounds N] [--skip-replay] [--skip-workers]
"""

from __future__ import annotations

import argparse
import csv
import html
import json
import os
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLAIMWATCH = [sys.executable, "-m", "cli"]
TRAFILATURA_LOOP = (
    "import json, sys, trafilatura\n"
    "for line in open(sys.argv[1], encoding='utf-8'):\n"
    "    trafilatura.extract(json.loads(line)['html'])\n"
)


def fnc_articles(shared: Path, count: int) -> list[tuple[str, str]]:
    """(headline, body) pairs: each FNC-1 body with a headline that agrees with it."""
    with open(shared / "fnc1" / "train_bodies.csv", encoding="utf-8", newline="") as f:
        bodies = {r["Body ID"]: r["articleBody"] for r in csv.DictReader(f)}
    headline: dict[str, str] = {}
    with open(shared / "fnc1" / "train_stances.csv", encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            if r["Stance"] == "agree":
                headline.setdefault(r["Body ID"], r["Headline"])
    return [(headline[b], bodies[b]) for b in sorted(headline, key=int)][:count]


def as_page(title: str, body: str) -> str:
    paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in body.split("\n") if p.strip())
    return (f"<html><head><title>{html.escape(title)}</title></head><body><article>"
            f"<h1>{html.escape(title)}</h1>{paragraphs}</article></body></html>")


def write_jsonl(path: Path, items: list[dict]) -> Path:
    path.write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")
    return path


def timed(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def sqlite_env(folder: Path, name: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "CLAIMWATCH_LOG_LEVEL": "WARNING",
            "CLAIMWATCH_DATABASE_URL": f"sqlite:///{folder / (name + '.sqlite')}",
            "CLAIMWATCH_BROKER_URL": f"sqla+sqlite:///{folder / (name + '-broker.sqlite')}"}


def replay_vs_trafilatura(shared: Path, folder: Path, pages: int, rounds: int) -> None:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    real = [p.read_text(encoding="utf-8", errors="replace")
            for p in sorted((shared / "html").glob("*.html"))]
    made = [as_page(t, b) for t, b in fnc_articles(shared, max(0, pages - len(real)))]
    items = [{"id": f"p{i}", "html": page, "url": f"https://news.example/{i}",
              "published_at": (start + timedelta(minutes=i)).isoformat()}
             for i, page in enumerate((real + made)[:pages])]
    print(f"1. whole processes, median of {rounds} (A B A B):")
    sets = [("all", items), ("real only", items[: len(real)])]
    for name, chosen in sets if len(items) > len(real) else sets[:1]:
        jsonl = write_jsonl(folder / f"pages-{len(chosen)}.jsonl", chosen)
        replay_s, extract_s = [], []
        for n in range(rounds):
            env = sqlite_env(folder, f"replay{len(chosen)}-{n}")
            replay_s.append(timed([*CLAIMWATCH, "replay", str(jsonl)], env))
            extract_s.append(timed([sys.executable, "-c", TRAFILATURA_LOOP, str(jsonl)], env))
        r, t = statistics.median(replay_s), statistics.median(extract_s)
        note = ("bar, on real pages: at least 0.40" if len(chosen) <= len(real)
                else "with FNC-1 bodies as bare pages: little to extract")
        print(f"   {len(chosen)} pages ({name}): claimwatch replay {len(chosen) / r:6.1f} pages/s,"
              f" trafilatura.extract loop {len(chosen) / t:6.1f} pages/s;"
              f" ratio {t / r:.3f} ({note})")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def workers(shared: Path, folder: Path, count: int, rounds: int) -> None:
    import psycopg

    admin = os.environ.get("CLAIMWATCH_BENCH_POSTGRES_URL",
                           "postgresql://postgres@127.0.0.1:5432/test")
    port = free_port()
    redis = subprocess.Popen(["redis-server", "--port", str(port), "--save", "",
                              "--appendonly", "no"], stdout=subprocess.DEVNULL)
    articles = fnc_articles(shared, count)
    rates: dict[int, list[float]] = {1: [], 2: []}
    cpu: dict[int, list[float]] = {1: [], 2: []}
    peaks: dict[int, list[list[float]]] = {1: [], 2: []}
    machine: list[float] = []
    try:
        for concurrency in (1, 2) * rounds:
            if concurrency == 2:
                machine.append(machine_speedup())
            db = f"claimwatch_bench_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{db}"')
            url = admin.rsplit("/", 1)[0] + "/" + db
            env = {**os.environ, "PYTHONPATH": str(ROOT), "CLAIMWATCH_LOG_LEVEL": "WARNING",
                   "CLAIMWATCH_DATABASE_URL": url.replace("postgresql://", "postgresql+psycopg://"),
                   "CLAIMWATCH_BROKER_URL": f"redis://127.0.0.1:{port}/0"}
            subprocess.run(["redis-cli", "-p", str(port), "flushall"], check=True,
                           stdout=subprocess.DEVNULL)
            try:
                rate, cpu_ms, peak = _worker_rate(env, folder, articles, concurrency, url)
                rates[concurrency].append(rate)
                cpu[concurrency].append(cpu_ms)
                peaks[concurrency].append(peak)
            finally:
                with psycopg.connect(admin, autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    finally:
        redis.terminate()
        redis.wait()
    one, two = (statistics.median(rates[c]) for c in (1, 2))
    print(f"2. {len(articles)} articles, Redis + PostgreSQL, median of {rounds} each "
          "(1 2 1 2 ...):")
    print(f"   concurrency 1 {one:6.2f} articles/s; concurrency 2 {two:6.2f} articles/s"
          f" (rounds: {_rounded(rates[1])}; {_rounded(rates[2])})")
    print(f"   machine CPU per article: concurrency 1 {statistics.median(cpu[1]):.1f} ms,"
          f" concurrency 2 {statistics.median(cpu[2]):.1f} ms")
    pairs = [b / a for a, b in zip(rates[1], rates[2], strict=True)]  # each 1 with the 2 after it
    print(f"   speedup {two / one:.2f} (bar: at least 1.8); round by round, each concurrency-1"
          f" round with the concurrency-2 round after it: {_rounded(pairs, 2)}, median"
          f" {statistics.median(pairs):.2f}; the machine itself, measured between the rounds:"
          f" {statistics.median(machine):.2f} for two CPU-bound processes"
          f" ({_rounded(machine, 2)})")
    for c in (1, 2):
        main, *children = (max(p) for p in zip(*peaks[c], strict=False))
        print(f"   concurrency {c} peak RSS, MB: main {main:.0f}, pool "
              + ", ".join(f"{m:.0f}" for m in children)
              + f"; together {main + sum(children):.0f} (bar: each at most 250 at 1)")


ENQUEUE = """
import sys, json
import worker.app  # the tasks are shared tasks: they go to the app configured here
from datetime import datetime, timedelta, timezone
from storage.db import session_scope
from storage.models import Article
from tasks.context import engine
from tasks.articles import dedup_article
items = json.load(open(sys.argv[1]))
start = datetime(2024, 1, 1, tzinfo=timezone.utc)
ids = []
with session_scope(engine()) as session:
    for n, (title, body) in enumerate(items):
        a = Article(origin="bench", external_id=str(n), title=title, text=body,
                    status="extracted", published_at=start + timedelta(minutes=n))
        session.add(a)
        session.flush()
        ids.append(a.id)
print("stored", flush=True)
sys.stdin.readline()  # the clock starts now: this process's start-up is not the workers' time
for i in ids:
    dedup_article.delay(i)
"""


SPIN = "x = 0\nfor i in range(4_000_000):\n    x += i * i\n"


def machine_speedup() -> float:
    """Throughput of two CPU-bound Python processes at once against one alone: what a
    perfectly parallel workload gets from this machine's two cores at the moment (on a
    shared host it is often well under 2)."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", SPIN], check=True)
    alone = time.perf_counter() - start
    start = time.perf_counter()
    pair = [subprocess.Popen([sys.executable, "-c", SPIN]) for _ in range(2)]
    for process in pair:
        process.wait()
    return 2 * alone / (time.perf_counter() - start)


def _process_stats(pid: int) -> dict[int, list[str]]:
    """The /proc stat fields (after the command name) of a process and of its children."""
    stats = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        if int(stat.parent.name) == pid or int(fields[1]) == pid:
            stats[int(stat.parent.name)] = fields
    return stats


def peak_rss_mb(pid: int) -> list[float]:
    """Peak resident set (VmHWM) of a process and then of each of its children, in MB."""
    def hwm(p: int) -> float:
        status = Path(f"/proc/{p}/status").read_text()
        return int(status.split("VmHWM:")[1].split()[0]) / 1024

    children = sorted(p for p in _process_stats(pid) if p != pid)
    return [hwm(pid), *(hwm(c) for c in children)]


def _wait_until_ready(worker: subprocess.Popen, broker_url: str) -> None:
    """Until the worker answers a ping over the broker (its log may be set to say nothing)."""
    from celery import Celery

    client = Celery(broker=broker_url)
    deadline = time.monotonic() + 60
    while not client.control.ping(timeout=0.5):
        if time.monotonic() > deadline or worker.poll() is not None:
            raise RuntimeError("the worker did not start")
    client.close()


def _cpu_ticks(pid: int) -> int:
    """CPU time (clock ticks, user and system) of a process and its children so far."""
    return sum(int(f[11]) + int(f[12]) for f in _process_stats(pid).values())


def _wait_until_idle(pid: int) -> None:
    """Until the worker's processes stop using the CPU: each pool process loads the models
    in the background after it starts (tasks.context.warm_up), a second or so of work that
    a running worker has long done."""
    deadline = time.monotonic() + 60
    before = _cpu_ticks(pid)
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = _cpu_ticks(pid)
        if now - before <= 2:  # 20 ms of CPU in half a second: only the event loop
            return
        before = now
    raise RuntimeError("the worker did not settle")


def _rounded(values: list[float], digits: int = 1) -> str:
    return " ".join(f"{v:.{digits}f}" for v in values)


def _machine_busy_ms() -> float:
    """CPU time the machine has spent working so far, all processes and cores (idle, I/O
    wait and time stolen by the host left out), in ms."""
    user, nice, system, _idle, _iowait, irq, softirq = map(
        int, Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:8])
    return (user + nice + system + irq + softirq) * 1000 / os.sysconf("SC_CLK_TCK")


def _worker_rate(env: dict[str, str], folder: Path, articles: list[tuple[str, str]],
                 concurrency: int, url: str) -> tuple[float, float, list[float]]:
    """Articles/s, the machine's CPU ms per article meanwhile, and the peak RSS of the
    worker's processes (main first) once done."""
    import psycopg

    subprocess.run([*CLAIMWATCH, "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    log = (folder / f"worker{concurrency}.log").open("w")
    worker = subprocess.Popen([*CLAIMWATCH, "worker", "--concurrency", str(concurrency)],
                              cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_until_ready(worker, env["CLAIMWATCH_BROKER_URL"])
        _wait_until_idle(worker.pid)
        items = folder / "articles.json"
        items.write_text(json.dumps(articles), encoding="utf-8")
        client = subprocess.Popen([sys.executable, "-c", ENQUEUE, str(items)], cwd=ROOT,
                                  env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  text=True)
        assert client.stdin and client.stdout
        if client.stdout.readline().strip() != "stored":
            raise RuntimeError("the articles were not stored")
        start, busy = time.perf_counter(), _machine_busy_ms()
        client.stdin.write("go\n")
        client.stdin.close()
        if client.wait() != 0:
            raise RuntimeError("enqueueing failed")
        with psycopg.connect(url, autocommit=True) as conn:
            while True:
                left = conn.execute("SELECT count(*) FROM article WHERE status NOT IN "
                                    "('decided', 'failed', 'duplicate')").fetchone()[0]
                if not left:
                    break
                if time.perf_counter() - start > 600:
                    raise RuntimeError(f"{left} articles not done in 600 s")
                time.sleep(0.05)
        rate = len(articles) / (time.perf_counter() - start)
        return rate, (_machine_busy_ms() - busy) / len(articles), peak_rss_mb(worker.pid)
    finally:
        worker.terminate()
        worker.wait(timeout=60)


def stories_scaling(shared: Path, folder: Path, articles: int, rounds: int) -> None:
    pairs = fnc_articles(shared, max(400, articles))
    sentences = sorted({s.strip() for _, b in pairs for s in b.split(".") if 40 < len(s) < 200})
    base = datetime(2024, 1, 1, tzinfo=UTC)
    stream = [{"id": f"a{i}", "title": t, "text": b,
               "published_at": (base + timedelta(minutes=i)).isoformat()}
              for i, (t, b) in enumerate(pairs[-articles:])]
    many = write_jsonl(folder / "stream.jsonl", stream)
    one = write_jsonl(folder / "one.jsonl", stream[:1])
    sizes = (100, 10_000)
    templates = {size: _stories_database(folder, size, sentences, base) for size in sizes}
    times: dict[tuple[int, str], list[float]] = {}
    for n in range(rounds):  # the sizes alternate, so a drift in the machine's speed cancels
        for size in sizes:
            for kind, path in (("many", many), ("one", one)):
                copy = folder / f"run{size}-{kind}{n}.sqlite"
                shutil.copy(templates[size], copy)
                run_env = {**sqlite_env(folder, f"run{size}-{kind}{n}"),
                           "CLAIMWATCH_DATABASE_URL": f"sqlite:///{copy}"}
                times.setdefault((size, kind), []).append(
                    timed([*CLAIMWATCH, "replay", str(path)], run_env))
    small, large = ((statistics.median(times[size, "many"]) - statistics.median(times[size, "one"]))
                    / (len(stream) - 1) for size in sizes)
    print(f"3. per-article time, {len(stream)} articles replayed into a database holding:")
    print(f"   100 stories {1000 * small:7.1f} ms; 10,000 stories {1000 * large:7.1f} ms")
    print(f"   ratio {large / small:.2f} (bar: at most 1.3)")


def _stories_database(folder: Path, size: int, sentences: list[str], base: datetime) -> Path:
    """A migrated SQLite database holding `size` stories, each with its claim: sentences of
    FNC-1 bodies, the replayed ones among them, so the stored stories include some on the
    replayed articles' events."""
    env = sqlite_env(folder, f"stories{size}")
    subprocess.run([*CLAIMWATCH, "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    template = folder / f"stories{size}.sqlite"
    with sqlite3.connect(template) as conn:
        when = (base - timedelta(days=1)).isoformat(sep=" ")
        for n in range(size):
            text = sentences[n % len(sentences)] + f" ({n})"
            cur = conn.execute("INSERT INTO claim (text, origin, entity_keys, created_at) "
                               "VALUES (?, 'headline', '[]', ?)", (text, when))
            conn.execute("INSERT INTO story (claim_id, title, entity_keys, created_at, "
                         "last_activity_at) VALUES (?, ?, '[]', ?, ?)",
                         (cur.lastrowid, text, when, when))
    return template


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--pages", type=int, default=300)
    ap.add_argument("--articles", type=int, default=200, help="for the worker figures")
    ap.add_argument("--rounds", type=int, default=3,
                    help="runs of each command, alternated; medians are printed")
    ap.add_argument("--growth-articles", type=int, default=300,
                    help="articles replayed for the per-article time against stored stories")
    ap.add_argument("--skip-workers", action="store_true")
    ap.add_argument("--skip-replay", action="store_true")
    args = ap.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="claimwatch-pipeline-"))
    if not args.skip_replay:
        replay_vs_trafilatura(args.shared, folder, args.pages, args.rounds)
    if not args.skip_workers:
        workers(args.shared, folder, args.articles, args.rounds)
    stories_scaling(args.shared, folder, args.growth_articles, args.rounds)
    shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
