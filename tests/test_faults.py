"""Faults mid-pipeline: the seeds story still comes out whole, once, within a minute.

Real processes as docker compose runs them (a worker, a beat, Redis, PostgreSQL) on free
ports. The first two seeds go through normally; the fault strikes while 000 (the denial)
is between steps (fetched, not yet decided); the moment the service is back,
003 and 004 are published, so they may overtake 000. The report must then hold every
article once, both contradiction alerts (000, and 004 against 000) and no duplicate alert,
with every article decided within RECOVERY_LIMIT of the service coming back. The stall
sweep runs with its production settings: the recovery times measured are those an operator
gets.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis
from conftest import check_report, free_port, load_report, run_cli
from processes import logs, start, stop
from seeds_expectations import SEED_IDS, assert_seeds_story
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from config.settings import Settings
from ingest.fakefeed import FakeFeed

pytestmark = [
    pytest.mark.slow,
    pytest.mark.faults,
    pytest.mark.integration,
]

RECOVERY_LIMIT = 60.0
# Statuses of an article between its first and last step: where the fault strikes. Its
# steps run one after another in one process, in tens of milliseconds: the wait polls often.
MID_PIPELINE = ("fetched", "extracted", "deduplicated", "analysed")
PG_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"))), None)


class RedisServer:
    """A Redis on a free port that a test can kill, stop and start again."""

    def __init__(self, workdir: Path, persistent: bool) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        persistence = ["--appendonly", "yes", "--appendfsync", "always"] if persistent else [
            "--appendonly", "no"]
        self.argv = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                     "--save", "", "--dir", str(workdir), *persistence]
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url)
        wait_for(lambda: _pings(client), 10, "redis to answer")

    def halt(self, sig: signal.Signals) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)
        self.proc.wait(timeout=30)


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


class PostgresCluster:
    """A throw-away PostgreSQL cluster (initdb) on a free port, so a test may stop it.

    initdb refuses to run as root; as root, the cluster belongs to the postgres user.
    """

    def __init__(self) -> None:
        assert PG_BIN is not None
        self.dir = Path(tempfile.mkdtemp(prefix="claimwatch-pg-"))
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self.as_owner: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
            self.as_owner = ["runuser", "-u", "postgres", "--"]
        self._run("initdb", "-D", str(self.dir / "data"), "-U", "postgres", "-A", "trust",
                  "--no-sync")

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run([*self.as_owner, str(PG_BIN / tool), *args], check=True,
                       capture_output=True, timeout=60)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "start", "-w", "-D", str(self.dir / "data"), "-o", options,
                  "-l", str(self.dir / "server.log"))

    def stop(self, mode: str) -> None:
        self._run("pg_ctl", "stop", "-w", "-D", str(self.dir / "data"), "-m", mode)

    def remove(self) -> None:
        subprocess.run([*self.as_owner, str(PG_BIN / "pg_ctl"), "stop", "-D",
                        str(self.dir / "data"), "-m", "immediate"], capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)


def wait_for(ready: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


@dataclass
class Pipeline:
    """claimwatch's worker and beat, restarted like compose restarts a failed service:
    a process that exits non-zero is started again; one that exits 0 fails the test (an
    operator's supervisor would take it for a deliberate stop)."""

    env: dict[str, str]
    cwd: Path
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    restarts: Counter[str] = field(default_factory=Counter)

    def start(self, name: str) -> None:
        command = ["worker", "--concurrency", "2"] if name == "worker" else ["beat"]
        self.processes[name] = start(
            [sys.executable, "-m", "cli", *command], self.env, self.cwd,
            f"{name}-{self.restarts[name]}",
        )

    def supervise(self) -> None:
        for name, process in list(self.processes.items()):
            code = process.poll()
            if code is None:
                continue
            assert code != 0, f"{name} exited with status 0:\n{logs(self.cwd)}"
            self.restarts[name] += 1
            self.start(name)

    def status(self, db: Engine) -> dict[str, str]:
        self.supervise()
        try:
            with db.connect() as conn:
                return dict(conn.execute(  # type: ignore[arg-type]
                    text("SELECT external_id, status FROM article")).all())
        except Exception:  # the database may be the fault: no answer is no progress
            return {}

    def wait(self, db: Engine, done: Callable[[dict[str, str]], bool], timeout: float,
             what: str, every: float = 0.05) -> float:
        began = time.monotonic()
        while not done(self.status(db)):
            if time.monotonic() - began > timeout:
                pytest.fail(f"{what}: not within {timeout} s {self.status(db)}\n"
                            f"{logs(self.cwd)}")
            time.sleep(every)
        return time.monotonic() - began

    def kill_pool_children(self) -> None:
        pid = self.processes["worker"].pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        assert children, "the worker has no pool processes"
        for child in children:
            os.kill(int(child), signal.SIGKILL)


@dataclass
class Fault:
    """Something that goes wrong mid-pipeline, and what brings the service back."""

    name: str
    strike: Callable[[Pipeline, RedisServer, PostgresCluster | None], None]
    on_postgres_cluster: bool = False
    persistent_redis: bool = False


def kill_worker(pipeline: Pipeline, _redis: RedisServer, _pg: PostgresCluster | None) -> None:
    """The OOM killer takes the worker's main process; its supervisor starts a new one."""
    worker = pipeline.processes["worker"]
    worker.kill()
    worker.wait()
    pipeline.supervise()


def kill_pool(pipeline: Pipeline, _redis: RedisServer, _pg: PostgresCluster | None) -> None:
    """The OOM killer takes the pool processes; the worker forks new ones itself."""
    pipeline.kill_pool_children()


def restart_redis(sig: signal.Signals) -> Callable[..., None]:
    def strike(_pipeline: Pipeline, server: RedisServer, _pg: PostgresCluster | None) -> None:
        server.halt(sig)
        time.sleep(1)
        server.start()

    return strike


def stop_postgres(mode: str) -> Callable[..., None]:
    def strike(_pipeline: Pipeline, _redis: RedisServer, cluster: PostgresCluster | None) -> None:
        assert cluster is not None
        cluster.stop(mode)
        time.sleep(2)
        cluster.start()

    return strike


FAULTS = [
    Fault("kill -9 worker", kill_worker),
    Fault("kill -9 pool children", kill_pool),
    Fault("redis without persistence killed", restart_redis(signal.SIGKILL)),
    Fault("redis with AOF stopped", restart_redis(signal.SIGTERM), persistent_redis=True),
    Fault("postgres fast stop", stop_postgres("fast"), on_postgres_cluster=True),
    Fault("postgres immediate stop", stop_postgres("immediate"), on_postgres_cluster=True),
]


@pytest.fixture
def fault(request: pytest.FixtureRequest) -> Fault:
    return request.param


@pytest.fixture
def database(
    fault: Fault, request: pytest.FixtureRequest
) -> Iterator[tuple[str, PostgresCluster | None]]:
    """A fresh database on the shared test server, or a throw-away cluster when the fault
    is PostgreSQL itself."""
    if not fault.on_postgres_cluster:
        yield request.getfixturevalue("postgres_url"), None
        return
    if PG_BIN is None:
        pytest.skip("PostgreSQL's server binaries are not installed")
    cluster = PostgresCluster()
    try:
        cluster.start()
        yield cluster.url, cluster
    finally:
        cluster.remove()


@pytest.mark.parametrize("fault", FAULTS, ids=[f.name for f in FAULTS], indirect=True)
def test_fault_mid_pipeline_loses_nothing(
    fault: Fault,
    database: tuple[str, PostgresCluster | None],
    fake_feed: FakeFeed,
    tmp_path: Path,
    record_property: Callable[[str, object], None],
) -> None:
    database_url, cluster = database
    broker = RedisServer(tmp_path, persistent=fault.persistent_redis)
    broker.start()
    env = {
        "CLAIMWATCH_DATABASE_URL": database_url,
        "CLAIMWATCH_BROKER_URL": broker.url,
        "CLAIMWATCH_ALLOWED_NETWORKS": "127.0.0.1/32",
        "CLAIMWATCH_BEAT_INTERVAL_SECONDS": "1",
        "CLAIMWATCH_MIN_POLL_INTERVAL_SECONDS": "1",
    }
    run_cli(["feeds", "add", fake_feed.url, "--interval", "1"], env, tmp_path)
    pipeline = Pipeline(env, tmp_path)
    db = create_engine(Settings(database_url=database_url).database_url, pool_pre_ping=True)
    try:
        pipeline.start("beat")
        pipeline.start("worker")
        for seed_id in SEED_IDS[:2]:
            fake_feed.release_next()
            pipeline.wait(db, lambda s, i=seed_id: s.get(i) == "decided", 90, seed_id)
        fake_feed.release_next()
        struck_at: dict[str, str] = {}
        pipeline.wait(db, lambda s: struck_at.update(s) or s.get("000") in MID_PIPELINE, 30,
                      "000 mid-pipeline", every=0.002)
        fault.strike(pipeline, broker, cluster)
        while fake_feed.release_next():
            pass
        recovery = pipeline.wait(
            db, lambda s: all(s.get(i) == "decided" for i in SEED_IDS), RECOVERY_LIMIT,
            f"recovery after {fault.name}",
        )
    finally:
        stop(pipeline.processes.values())
        db.dispose()
        broker.halt(signal.SIGTERM)
    print(f"\n{fault.name} (000 {struck_at.get('000')}): every article decided"
          f" {recovery:.1f} s after the service was back"
          f" (restarts: {dict(pipeline.restarts) or 'none'})")
    record_property("recovery_seconds", round(recovery, 1))
    report_path = tmp_path / "report.json"
    run_cli(["report", "--output", str(report_path)], env, tmp_path)
    check_report(report_path)
    report = load_report(report_path)
    assert_seeds_story(report)
    ids = [a["id"] for a in report["articles"]]
    assert sorted(ids) == sorted(SEED_IDS), ids
    alerts = Counter((a["kind"], a["article_id"]) for a in report["alerts"])
    assert all(n == 1 for n in alerts.values()), alerts
