"""Shared fixtures: real Redis and PostgreSQL servers, the seeds, and the CLI as a process.

Redis is started from its binary on a free port (or taken from CLAIMWATCH_TEST_REDIS_URL);
each test session gets a fresh PostgreSQL database on the server named by
CLAIMWATCH_TEST_POSTGRES_URL (default: the local server, trust auth).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from loopback import Claimwatch, LoopbackServer, configured, running_server
from seeds_expectations import seeds_story_failures

from ingest.archive import load_archive
from ingest.fakefeed import FakeFeed

ROOT = Path(__file__).resolve().parent.parent
# The one name of the shared data folder beside the clone (FNC-1, real HTML pages, the
# shared checker). Nothing in the repository's own tests needs it: tests that use its data
# skip, saying what to provide. CLAIMWATCH_TEST_SHARED_DIR points elsewhere (an empty folder
# shows what a fresh clone runs).
SHARED = Path(os.environ.get("CLAIMWATCH_TEST_SHARED_DIR") or ROOT.parent / "shared").resolve()
SEEDS = ROOT / "seeds"
CHECKER = SHARED / "tools" / "check_seeds_report.py"
FNC1 = SHARED / "fnc1"
HTML = SHARED / "html"
OPERATOR_CLAIM = {
    "id": "musk-putin-call",
    "text": "Elon Musk spoke with Vladimir Putin before posting his Ukraine peace plan",
}


# Fixtures that give a test a real server: the test is an integration test.
INTEGRATION_FIXTURES = {"redis_url", "postgres_server", "postgres_url"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark `integration` every test that talks to a real Redis or PostgreSQL (by its
    fixtures); files and tests that run claimwatch as processes or drive Chromium carry the
    mark themselves. The rest are unit tests: `pytest -m "not integration and not faults"`."""
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        callspec = getattr(item, "callspec", None)
        on_postgres = callspec is not None and callspec.params.get("claimwatch_on_both") == (
            "postgresql"
        )
        if names & INTEGRATION_FIXTURES or on_postgres:
            item.add_marker(pytest.mark.integration)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    if url := os.environ.get("CLAIMWATCH_TEST_REDIS_URL"):
        yield url
        return
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="session")
def postgres_server() -> str:
    return os.environ.get(
        "CLAIMWATCH_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
    )


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh, empty database for one test, dropped afterwards."""
    name = f"claimwatch_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = postgres_server.rpartition("/")
    yield f"{base}/{name}"
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def fake_feed() -> Iterator[FakeFeed]:
    """The seeds as an RSS feed on loopback, publishing an article at each release_next()."""
    feed = FakeFeed(load_archive(SEEDS), release="manual")
    feed.start()
    yield feed
    feed.stop()


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    """A loopback HTTP server whose routes a test sets (see tests/loopback.py)."""
    with running_server() as srv:
        yield srv


@pytest.fixture
def claimwatch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Claimwatch]:
    """claimwatch's own entry points in this process, on a fresh SQLite database."""
    with configured(tmp_path, monkeypatch) as cw:
        yield cw


@pytest.fixture(params=["sqlite", "postgresql"])
def claimwatch_on_both(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Claimwatch]:
    """claimwatch in this process, once on SQLite and once on a fresh PostgreSQL database."""
    with configured(tmp_path, monkeypatch) as cw:
        if request.param == "postgresql":
            monkeypatch.setenv("CLAIMWATCH_DATABASE_URL", request.getfixturevalue("postgres_url"))
            cw.reset()
        yield cw
        from config.settings import get_settings
        from storage.db import get_engine

        get_engine(get_settings().database_url).dispose()


@pytest.fixture
def sqlite_env(tmp_path: Path) -> dict[str, str]:
    return {
        "CLAIMWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'claimwatch.sqlite'}",
        "CLAIMWATCH_BROKER_URL": f"sqla+sqlite:///{tmp_path / 'broker.sqlite'}",
    }


def run_cli(args: list[str], env: dict[str, str], cwd: Path, timeout: float = 300) -> str:
    """Run `claimwatch ARGS` as a separate process, as an operator would; return stdout."""
    result = subprocess.run(
        [sys.executable, "-m", "cli", *args],
        env={**os.environ, "PYTHONPATH": str(ROOT), "CLAIMWATCH_LOG_FORMAT": "json", **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, f"claimwatch {args} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def needs_shared(path: Path, what: str) -> pytest.MarkDecorator:
    """Skip unless PATH (under SHARED) exists, saying what to provide."""
    return pytest.mark.skipif(not path.exists(), reason=f"needs {what} at {path}")


def check_report(
    report: Path, claim_id: str | None = None, extra_ids: Path | None = None
) -> None:
    """The seeds story of DESIGN.md checked on a report by the repository's own checker
    (tests/seeds_expectations.py), then by ../shared/tools/check_seeds_report.py as a second
    opinion when it is present; fails the test with their findings."""
    extras = extra_ids.read_text().split() if extra_ids is not None else []
    failures = seeds_story_failures(load_report(report), claim_id, extras)
    assert not failures, "the seeds story fails:\n" + "\n".join(failures)
    if not CHECKER.exists():
        return
    args = [*(["--claim-id", claim_id] if claim_id else [])]
    args += ["--extra-ids-file", str(extra_ids)] if extra_ids is not None else []
    result = subprocess.run(
        [sys.executable, str(CHECKER), str(report), *args], capture_output=True, text=True
    )
    assert result.returncode == 0, "shared checker: " + result.stdout + result.stderr


def load_report(path: Path) -> dict:
    return json.loads(path.read_text())
