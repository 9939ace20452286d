"""Shared set-up for the web tests: the seeds story replayed once, and an app over a database.

The seeds are replayed by the real CLI in a separate process, once per test session, into
a temporary SQLite database that the JSON tests and the browser tests both read.
"""

from __future__ import annotations

import atexit
import re
import shutil
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

from conftest import ROOT, SEEDS, run_cli
from fastapi.testclient import TestClient
from httpx import Response

from storage.db import get_engine, init_db
from web.app import create_app

TOKEN = "test-token-4f0b2c"
PUBLIC_URL = "https://claimwatch.example"
SEED_ORDER = ["002", "001", "000", "003", "004"]
SEED_STANCES = {
    "002": "supports",
    "001": "supports",
    "000": "refutes",
    "003": "discusses",
    "004": "supports",
}
# The contradiction alerts: new report -> the earlier reports it contradicts.
SEED_CONTRADICTIONS = {"000": {"001", "002"}, "004": {"000"}}
SEED_SOURCES = ("Vice", "Ian Bremmer", "The New Yorker", "Colin Kahl")


@cache
def seeds_environment() -> dict[str, str]:
    """CLAIMWATCH_* variables of a database holding the replayed seeds story."""
    folder = Path(tempfile.mkdtemp(prefix="claimwatch-web-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    env = {
        "CLAIMWATCH_DATABASE_URL": f"sqlite:///{folder / 'claimwatch.sqlite'}",
        "CLAIMWATCH_BROKER_URL": f"sqla+sqlite:///{folder / 'broker.sqlite'}",
    }
    run_cli(["replay", str(SEEDS)], env, cwd=ROOT)
    return env


def client_for(
    database_url: str,
    token: str | None = TOKEN,
    broker_url: str = "sqla+sqlite:///:memory:",
) -> TestClient:
    engine = get_engine(database_url)
    init_db(engine)
    app = create_app(engine, api_token=token, public_url=PUBLIC_URL, broker_url=broker_url)
    # Served over HTTPS, as in production: the cookies are Secure.
    return TestClient(app, base_url=PUBLIC_URL)


def page_csrf_token(client: TestClient, path: str = "/signin") -> str:
    """The CSRF token a page's forms carry for this client (browser and session)."""
    found = re.search(r'name="csrf_token" value="([^"]*)"', client.get(path).text)
    assert found, f"no form on {path}"
    return found.group(1)


def post_form(client: TestClient, path: str, data: dict | None = None, **kwargs: Any) -> Response:
    """A form post as a browser sends it from one of the app's pages: with the page's
    CSRF token and the page's origin."""
    return client.post(
        path,
        data={**(data or {}), "csrf_token": page_csrf_token(client)},
        headers={"Origin": PUBLIC_URL},
        **kwargs,
    )
