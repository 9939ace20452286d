"""The JSON API, the Atom feed, caching and health checks, over the replayed seeds story.

Reads run against the seeds database; writes against a fresh database per test, so the
seeds story stays as replayed for every reader.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path

import anyio.to_thread
import feedparser
import httpx
import pytest
from conftest import free_port
from fastapi.testclient import TestClient
from openapi_spec_validator import validate
from sqlalchemy import create_engine
from sqlalchemy.pool import QueuePool
from sqlmodel import Session
from test_web_support import (
    PUBLIC_URL,
    SEED_CONTRADICTIONS,
    SEED_ORDER,
    SEED_SOURCES,
    SEED_STANCES,
    TOKEN,
    client_for,
    seeds_environment,
)

from storage.db import get_engine
from storage.models import Claim, Story
from web.app import create_app

AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def seeds() -> Iterator[TestClient]:
    env = seeds_environment()
    with client_for(env["CLAIMWATCH_DATABASE_URL"], broker_url=env["CLAIMWATCH_BROKER_URL"]) as c:
        yield c


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[TestClient]:
    with client_for(f"sqlite:///{tmp_path / 'fresh.sqlite'}") as c:
        yield c


def story_id(seeds: TestClient) -> int:
    return seeds.get("/api/stories").json()["items"][0]["id"]


def test_openapi_document_is_valid(seeds: TestClient) -> None:
    spec = seeds.get("/openapi.json").json()
    validate(spec)
    paths = set(spec["paths"])
    assert {"/api/stories", "/api/stories/{story_id}", "/api/alerts", "/alerts.atom"} <= paths
    assert "HTTPBearer" in spec["components"]["securitySchemes"]


def test_story_list_pages_and_filters(seeds: TestClient) -> None:
    page = seeds.get("/api/stories").json()
    assert page["total"] == 1 and page["limit"] == 20 and page["offset"] == 0
    story = page["items"][0]
    assert story["report_count"] == 5 and story["contradiction_count"] == 2
    assert story["stances"] == {"supports": 3, "refutes": 1, "discusses": 1, "unrelated": 0}
    assert story["disputed"] is True and story["outlet_count"] == 3
    assert story["url"] == f"{PUBLIC_URL}/stories/{story['id']}"
    assert "Putin" in story["claim"]["text"] and story["claim"]["origin"] == "headline"

    def total(**params: object) -> int:
        return seeds.get("/api/stories", params=params).json()["total"]

    assert total(q="putin") == 1 and total(q="no such words") == 0
    assert total(disputed="true") == 1 and total(disputed="false") == 0
    assert total(sort="contradictions") == 1
    assert seeds.get("/api/stories", params={"offset": 1}).json()["items"] == []
    assert seeds.get("/api/stories", params={"limit": 0}).status_code == 422
    assert seeds.get("/api/stories", params={"sort": "random"}).status_code == 422


def test_story_detail_has_reports_stances_sources_and_contradictions(seeds: TestClient) -> None:
    sid = story_id(seeds)
    story = seeds.get(f"/api/stories/{sid}").json()
    reports = story["reports"]
    assert [r["external_id"] for r in reports] == SEED_ORDER
    assert [r["position"] for r in reports] == [1, 2, 3, 4, 5]
    assert {r["external_id"]: r["stance"]["stance"] for r in reports} == SEED_STANCES
    assert all(r["stance"]["evidence"] and 0 < r["stance"]["score"] <= 1 for r in reports)
    # How sure the matcher was of each report but the one that opened the story.
    matched = [r["stance"]["match_probability"] for r in reports]
    assert matched.count(None) == 1 and all(0 < p <= 1 for p in matched if p is not None)
    ext = {r["id"]: r["external_id"] for r in reports}
    contradictions = {
        ext[a["article_id"]]: {ext[i] for i in a["contradicts"]} for a in story["contradictions"]
    }
    assert contradictions == SEED_CONTRADICTIONS
    for alert in story["contradictions"]:  # evidence from both sides
        quoted = {e["article_id"] for e in alert["evidence"]}
        assert alert["article_id"] in quoted and quoted & set(alert["contradicts"])
    assert {a["kind"] for a in story["alerts"]} == {"new_story", "contradiction", "new_source"}
    sources = {s["name"]: s for s in story["sources"]}
    assert set(SEED_SOURCES) <= set(sources)
    assert ext[sources["The New Yorker"]["first_article_id"]] == "004"
    assert sources["Vice"]["first_seen_at"].startswith("2022-10-11T14:00")
    outlets = [o["name"] for o in story["outlets"]]
    assert outlets == ["The US Sun", "The Post Millennial", "Obozrevatel"]
    assert seeds.get("/api/stories/999").status_code == 404


def test_alerts_filter_by_kind_and_story(seeds: TestClient) -> None:
    sid = story_id(seeds)
    every = seeds.get("/api/alerts").json()
    assert every["total"] == 4
    created = [a["created_at"] for a in every["items"]]
    assert created == sorted(created, reverse=True)
    kinds = seeds.get("/api/alerts", params={"kind": "contradiction"}).json()
    assert kinds["total"] == 2 and {a["kind"] for a in kinds["items"]} == {"contradiction"}
    assert seeds.get("/api/alerts", params={"story_id": sid}).json()["total"] == 4
    assert seeds.get("/api/alerts", params={"story_id": 999}).json()["total"] == 0
    second = seeds.get("/api/alerts", params={"limit": 1, "offset": 1}).json()
    assert len(second["items"]) == 1 and second["items"][0]["id"] == every["items"][1]["id"]


def test_outlets_and_sources_directories(seeds: TestClient) -> None:
    outlets = seeds.get("/api/outlets").json()
    assert {o["name"] for o in outlets["items"]} == {
        "The US Sun",
        "The Post Millennial",
        "Obozrevatel",
    }
    assert all(o["reports"] == 1 and o["stories"] == 1 for o in outlets["items"])
    sources = seeds.get("/api/sources").json()
    names = [s["name"] for s in sources["items"]]
    assert set(SEED_SOURCES) <= set(names) and names[0] == "Elon Musk"  # cited by all five
    people = seeds.get("/api/sources", params={"kind": "person"}).json()["items"]
    assert "Colin Kahl" in {p["name"] for p in people} and {p["kind"] for p in people} == {"person"}
    assert seeds.get("/api/sources", params={"limit": 2}).json()["total"] == sources["total"]


def test_feeds_and_claims_read(seeds: TestClient) -> None:
    assert seeds.get("/api/feeds").json() == {"items": [], "total": 0, "limit": 50, "offset": 0}
    claims = seeds.get("/api/claims").json()["items"]
    assert len(claims) == 1 and claims[0]["story_id"] == story_id(seeds)
    assert seeds.get("/api/claims", params={"origin": "operator"}).json()["total"] == 0


def test_reads_carry_etags_and_answer_304(seeds: TestClient) -> None:
    first = seeds.get("/api/stories")
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "private, no-cache"
    again = seeds.get("/api/stories", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    other = seeds.get("/api/stories", params={"q": "zzz"}, headers={"If-None-Match": etag})
    assert other.status_code == 200  # a different body has a different tag
    assert seeds.get(f"/stories/{story_id(seeds)}").headers["etag"]
    assert seeds.get("/healthz").headers["cache-control"] == "no-store"


def test_atom_feed_of_alerts_parses_with_evidence(seeds: TestClient) -> None:
    response = seeds.get("/alerts.atom")
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.bozo_exception
    assert feed.version == "atom10" and len(feed.entries) == 4
    contradictions = [e for e in feed.entries if e.tags[0].term == "contradiction"]
    assert len(contradictions) == 2
    denial = next(
        e for e in contradictions if "Musk denies any such conversation." in e.content[0].value
    )
    assert denial.link.startswith(f"{PUBLIC_URL}/stories/")
    only = feedparser.parse(seeds.get("/alerts.atom", params={"kind": "new_source"}).content)
    assert [e.tags[0].term for e in only.entries] == ["new_source"]
    assert "The New Yorker" in only.entries[0].content[0].value


def test_health_and_readiness(seeds: TestClient, tmp_path: Path) -> None:
    assert seeds.get("/healthz").json() == {"status": "ok"}
    ready = seeds.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"] == {"database": "ok", "broker": "ok"}
    no_broker = client_for(
        seeds_environment()["CLAIMWATCH_DATABASE_URL"],
        broker_url=f"redis://127.0.0.1:{free_port()}/0",
    )
    answer = no_broker.get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["checks"]["database"] == "ok"
    assert answer.json()["checks"]["broker"].startswith("unreachable")
    dead = seeds.app.state.engine  # type: ignore[attr-defined]
    seeds.app.state.engine = get_engine(f"sqlite:///{tmp_path}/missing/dir/db.sqlite")  # type: ignore[attr-defined]
    try:
        answer = seeds.get("/readyz")
    finally:
        seeds.app.state.engine = dead  # type: ignore[attr-defined]
    assert answer.status_code == 503
    assert answer.json()["checks"]["database"].startswith("unreachable")


WRITES = [
    ("post", "/api/feeds", {"url": "https://example.com/rss.xml"}),
    ("delete", "/api/feeds/1", None),
    ("post", "/api/claims", {"id": "c1", "text": "Musk spoke with Putin"}),
    ("delete", "/api/claims/c1", None),
    ("get", "/api/subscriptions", None),
    ("post", "/api/subscriptions", {"channel_url": "https://example.com/hook"}),
    ("delete", "/api/subscriptions/1", None),
]


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_writes_need_the_token(
    fresh: TestClient, tmp_path: Path, method: str, path: str, body: dict | None
) -> None:
    def call(client: TestClient, headers: dict[str, str]) -> int:
        kwargs = {"json": body} if body is not None else {}
        return client.request(method, path, headers=headers, **kwargs).status_code

    assert call(fresh, {}) == 401
    assert call(fresh, {"Authorization": "Bearer wrong"}) == 403
    assert call(fresh, {"Authorization": TOKEN}) == 401  # not a Bearer header
    assert call(fresh, AUTH) in {200, 201, 204, 404}
    disabled = client_for(f"sqlite:///{tmp_path / 'disabled.sqlite'}", token=None)
    assert call(disabled, AUTH) == 403
    assert call(disabled, {}) == 403


def test_feeds_add_and_remove(fresh: TestClient) -> None:
    url = "https://news.example/feed.xml"
    added = fresh.post("/api/feeds", json={"url": url, "poll_interval_seconds": 600}, headers=AUTH)
    assert added.status_code == 201
    feed = added.json()
    assert feed["url"] == url and feed["status"] == "new" and feed["poll_interval_seconds"] == 600
    assert fresh.post("/api/feeds", json={"url": url}, headers=AUTH).status_code == 200
    listed = fresh.get("/api/feeds").json()
    assert listed["total"] == 1 and listed["items"][0]["articles"] == 0
    assert fresh.get("/api/feeds", params={"status": "broken"}).json()["total"] == 0
    bad = fresh.post("/api/feeds", json={"url": "not a url"}, headers=AUTH)
    assert bad.status_code == 422
    assert fresh.delete(f"/api/feeds/{feed['id']}", headers=AUTH).status_code == 204
    assert fresh.delete(f"/api/feeds/{feed['id']}", headers=AUTH).status_code == 404
    assert fresh.get("/api/feeds").json()["total"] == 0


def test_claims_add_update_and_remove(fresh: TestClient) -> None:
    body = {"id": "musk-putin-call", "text": "Elon Musk spoke with Vladimir Putin"}
    added = fresh.post("/api/claims", json=body, headers=AUTH)
    assert added.status_code == 201
    assert added.json()["key"] == "musk-putin-call" and added.json()["origin"] == "operator"
    changed = fresh.post("/api/claims", json={**body, "text": "Musk called Putin"}, headers=AUTH)
    assert changed.status_code == 200 and changed.json()["text"] == "Musk called Putin"
    assert fresh.get("/api/claims", params={"origin": "operator"}).json()["total"] == 1
    bad = fresh.post("/api/claims", json={"id": "bad id!", "text": "x" * 10}, headers=AUTH)
    assert bad.status_code == 422
    assert fresh.delete("/api/claims/musk-putin-call", headers=AUTH).status_code == 204
    assert fresh.delete("/api/claims/musk-putin-call", headers=AUTH).status_code == 404


def test_a_claim_with_a_story_cannot_be_removed(fresh: TestClient) -> None:
    engine = fresh.app.state.engine  # type: ignore[attr-defined]
    with Session(engine) as session:
        claim = Claim(external_id="kept", text="Musk spoke with Putin", origin="operator")
        session.add(claim)
        session.flush()
        session.add(Story(claim_id=claim.id, title="Musk spoke with Putin"))  # type: ignore[arg-type]
        session.commit()
    answer = fresh.delete("/api/claims/kept", headers=AUTH)
    assert answer.status_code == 409 and "kept" in answer.json()["detail"]


def test_subscriptions_add_list_and_remove(fresh: TestClient) -> None:
    hook = fresh.post(
        "/api/subscriptions",
        json={
            "channel_url": "https://newsroom.example/hook",
            "secret_env": "NEWSROOM_SECRET",
            "kinds": ["contradiction"],
        },
        headers=AUTH,
    )
    assert hook.status_code == 201
    assert hook.json()["channel"] == "webhook" and hook.json()["status"] == "active"
    slack = fresh.post(
        "/api/subscriptions", json={"channel_url": "slack://${SLACK_TOKEN}"}, headers=AUTH
    )
    assert slack.status_code == 201 and slack.json()["channel"] == "apprise"
    missing = fresh.post(
        "/api/subscriptions",
        json={"channel_url": "https://x.example", "story_ids": [999]},
        headers=AUTH,
    )
    assert missing.status_code == 409
    bad = fresh.post(
        "/api/subscriptions",
        json={"channel_url": "https://x.example", "secret_env": "not a name"},
        headers=AUTH,
    )
    assert bad.status_code == 422
    assert fresh.get("/api/subscriptions", headers=AUTH).json()["total"] == 2
    sid = hook.json()["id"]
    assert fresh.delete(f"/api/subscriptions/{sid}", headers=AUTH).status_code == 204
    assert fresh.delete(f"/api/subscriptions/{sid}", headers=AUTH).status_code == 404
    rows = {s["id"]: s for s in fresh.get("/api/subscriptions", headers=AUTH).json()["items"]}
    assert rows[sid]["status"] == "removed"


def test_the_token_is_never_logged(
    fresh: TestClient, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    fresh.post("/api/feeds", json={"url": "https://a.example/rss"}, headers=AUTH)
    fresh.post("/signin", data={"token": TOKEN}, follow_redirects=False)
    fresh.post(
        "/api/feeds", json={"url": "https://b.example/rss"}, headers={"Authorization": "Bearer no"}
    )
    captured = capsys.readouterr()
    assert TOKEN not in caplog.text + captured.out + captured.err


def test_an_unusable_subscription_is_refused_with_the_reason(fresh: TestClient) -> None:
    answer = fresh.post(
        "/api/subscriptions",
        json={"channel_url": "nonsense-channel", "kinds": ["contradiction"]},
        headers=AUTH,
    )
    assert answer.status_code == 400
    assert "Apprise" in answer.json()["detail"]
    answer = fresh.post(
        "/api/subscriptions",
        json={"channel_url": "https://example.org/h", "kinds": ["x"]},
        headers=AUTH,
    )
    assert answer.status_code == 400 and "unknown kind" in answer.json()["detail"]


def test_more_requests_than_threads_and_connections_do_not_wait_on_each_other(
    seeds: TestClient,
) -> None:
    """One server thread and one database connection, four API reads at once: each read
    gives its connection back before its model is validated in a thread, or the four wait
    on each other until the pool gives up (500s)."""
    url = seeds_environment()["CLAIMWATCH_DATABASE_URL"]
    engine = create_engine(url, poolclass=QueuePool, pool_size=1, max_overflow=0,
                           pool_timeout=5, connect_args={"check_same_thread": False})
    app = create_app(engine, api_token=None, public_url=PUBLIC_URL, broker_url="memory://")
    paths = ["/api/stories", f"/api/stories/{story_id(seeds)}", "/api/alerts", "/api/claims"]

    async def read_at_once() -> list[int]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = 1
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL) as client:
            answers = await asyncio.gather(*(client.get(path) for path in paths))
        return [answer.status_code for answer in answers]

    try:
        assert asyncio.run(read_at_once()) == [200] * len(paths)
    finally:
        engine.dispose()
