"""Operator sessions done properly: forms need this site's origin and a CSRF token, the
session lives server-side and signing out revokes it, cookies are Secure behind HTTPS,
Bearer-token API writes need none of it, and only http(s) URLs become links."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select
from test_web_support import PUBLIC_URL, TOKEN, client_for, page_csrf_token, post_form

from notify.payload import AlertView, ArticleView
from notify.render import link_target, render_markdown
from storage.db import get_engine, init_db
from storage.models import Article, Claim, Feed, Story
from storage.sessions import WebSession
from web.app import create_app
from web.atom import alerts_feed
from web.auth import COOKIE, CSRF_COOKIE
from web.schemas import AlertOut

EVIL = "https://evil.example"


@pytest.fixture
def operator(tmp_path: Path) -> Iterator[TestClient]:
    """A client signed in as the operator."""
    with client_for(f"sqlite:///{tmp_path / 'web.sqlite'}") as client:
        assert post_form(client, "/signin", {"token": TOKEN}).status_code == 200
        yield client


def feeds(client: TestClient) -> list[str]:
    return [f["url"] for f in client.get("/api/feeds").json()["items"]]


def test_a_cross_origin_post_with_the_operators_cookie_is_refused(operator: TestClient) -> None:
    token = page_csrf_token(operator, "/feeds")
    for headers in (
        {"Origin": EVIL},
        {"Origin": "null"},
        {"Origin": "http://claimwatch.example"},  # same host, other scheme
        {"Referer": f"{EVIL}/page"},
        {},  # neither: refused, not assumed
    ):
        answer = operator.post(
            "/feeds", data={"url": "https://a.example/rss", "csrf_token": token}, headers=headers
        )
        assert answer.status_code == 403, headers
        assert "refused" in answer.text
    # The subscription the attacker added, to a loopback address, with a token too.
    answer = operator.post(
        "/subscriptions",
        data={"channel_url": "http://127.0.0.1:6379/", "csrf_token": token},
        headers={"Origin": EVIL},
    )
    assert answer.status_code == 403
    assert feeds(operator) == []

    # A browser that sends only a Referer from this site is let through.
    answer = operator.post(
        "/feeds",
        data={"url": "https://a.example/rss", "csrf_token": token},
        headers={"Referer": f"{PUBLIC_URL}/feeds"},
    )
    assert answer.status_code == 200 and "Feed 1 added." in answer.text


def test_a_form_post_without_a_valid_csrf_token_is_refused(operator: TestClient) -> None:
    same_site = {"Origin": PUBLIC_URL}
    for data in ({}, {"csrf_token": ""}, {"csrf_token": "0" * 64}):
        answer = operator.post(
            "/feeds", data={"url": "https://a.example/rss", **data}, headers=same_site
        )
        assert answer.status_code == 403 and "CSRF token" in answer.text
    # A token is good for one browser: another browser's token does not pass.
    with client_for(str(operator.app.state.engine.url)) as other:  # type: ignore[attr-defined]
        foreign = page_csrf_token(other)
    answer = operator.post(
        "/feeds", data={"url": "https://a.example/rss", "csrf_token": foreign}, headers=same_site
    )
    assert answer.status_code == 403
    assert feeds(operator) == []
    # The sign-in form is a form too.
    with client_for(str(operator.app.state.engine.url)) as stranger:  # type: ignore[attr-defined]
        answer = stranger.post("/signin", data={"token": TOKEN}, headers=same_site)
        assert answer.status_code == 403 and COOKIE not in stranger.cookies


def test_signing_out_revokes_the_session(operator: TestClient) -> None:
    engine = operator.app.state.engine  # type: ignore[attr-defined]
    stolen = operator.cookies[COOKIE]
    with Session(engine) as db:
        (row,) = db.exec(select(WebSession)).all()
        assert row.token_hash != stolen and stolen not in row.token_hash  # only a hash is kept
    token_before = page_csrf_token(operator, "/feeds")
    assert "Signed out." in post_form(operator, "/signout").text
    with Session(engine) as db:
        assert db.exec(select(WebSession)).all() == []

    # The old cookie, replayed with a token made for it, signs nobody in any more.
    operator.cookies.set(COOKIE, stolen, domain="claimwatch.example")
    assert "Sign out" not in operator.get("/feeds").text
    answer = operator.post(
        "/feeds",
        data={"url": "https://a.example/rss", "csrf_token": token_before},
        headers={"Origin": PUBLIC_URL},
    )
    assert answer.status_code == 403 and "Sign in first" in answer.text
    assert feeds(operator) == []


def test_signing_in_again_replaces_the_session(operator: TestClient) -> None:
    first = operator.cookies[COOKIE]
    post_form(operator, "/signin", {"token": TOKEN})
    assert operator.cookies[COOKIE] != first
    with Session(operator.app.state.engine) as db:  # type: ignore[attr-defined]
        assert len(db.exec(select(WebSession)).all()) == 1


def test_a_new_api_token_ends_every_session(operator: TestClient) -> None:
    engine = operator.app.state.engine  # type: ignore[attr-defined]
    assert "Sign out" in operator.get("/feeds").text
    rotated = create_app(
        engine, api_token="rotated-token", public_url=PUBLIC_URL, broker_url="memory://"
    )
    with TestClient(rotated, base_url=PUBLIC_URL) as after:
        after.cookies.set(COOKIE, operator.cookies[COOKIE], domain="claimwatch.example")
        assert "Sign out" not in after.get("/feeds").text


def test_bearer_api_writes_need_no_csrf_token_and_cookies_do_not_authorise_them(
    operator: TestClient,
) -> None:
    body = {"url": "https://a.example/rss"}
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert operator.post("/api/feeds", json=body, headers=auth).status_code == 201
    # The operator's cookie alone is no credential for the API.
    assert operator.post("/api/feeds", json={"url": "https://b.example/rss"}).status_code == 401
    assert feeds(operator) == ["https://a.example/rss"]


@pytest.mark.parametrize(
    ("setting", "public_url", "base_url", "secure"),
    [
        ("auto", PUBLIC_URL, PUBLIC_URL, True),
        ("auto", "http://localhost:8000", "https://proxy.example", True),
        ("auto", "http://localhost:8000", "http://localhost:8000", False),
        ("false", PUBLIC_URL, PUBLIC_URL, False),
        ("true", "http://localhost:8000", "http://localhost:8000", True),
    ],
)
def test_cookies_are_secure_behind_https(
    tmp_path: Path, setting: str, public_url: str, base_url: str, secure: bool
) -> None:
    engine = get_engine(f"sqlite:///{tmp_path / 'web.sqlite'}")
    init_db(engine)
    app = create_app(
        engine,
        api_token=TOKEN,
        public_url=public_url,
        broker_url="memory://",
        cookie_secure=setting,  # type: ignore[arg-type]
    )
    with TestClient(app, base_url=base_url) as client:
        csrf_cookie = client.get("/signin").headers["set-cookie"]
        assert CSRF_COOKIE in csrf_cookie and ("; secure" in csrf_cookie.lower()) == secure
        if secure and base_url.startswith("http:"):
            return  # the client keeps a Secure cookie for HTTPS: no sign-in over plain HTTP
        signed = client.post(
            "/signin",
            data={"token": TOKEN, "csrf_token": page_csrf_token(client)},
            headers={"Origin": base_url},
            follow_redirects=False,
        )
        session_cookie = signed.headers["set-cookie"]
        assert COOKIE in session_cookie and ("; secure" in session_cookie.lower()) == secure


HOSTILE = [
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    "data:text/html,<b>x</b>",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "vbscript:x",
    "//evil.example/x",
]


@pytest.mark.parametrize("url", HOSTILE)
def test_only_http_urls_are_links(url: str) -> None:
    assert link_target(url) is None
    assert link_target("https://news.example/a?b=c") == "https://news.example/a?b=c"


def test_a_javascript_article_url_is_not_a_link_on_the_story_page_nor_in_alerts(
    tmp_path: Path,
) -> None:
    url = "javascript:alert(document.cookie)"
    with client_for(f"sqlite:///{tmp_path / 'web.sqlite'}") as client:
        with Session(client.app.state.engine) as db:  # type: ignore[attr-defined]
            claim = Claim(text="Musk spoke with Putin", entity_keys=[])
            db.add(claim)
            db.flush()
            story = Story(claim_id=claim.id, title="Musk spoke with Putin", entity_keys=[])  # type: ignore[arg-type]
            db.add_all([story, Feed(url="https://feeds.example/rss")])
            db.flush()
            for ref, link in (("bad", url), ("good", "https://news.example/good")):
                db.add(
                    Article(
                        origin="test",
                        external_id=ref,
                        url=link,
                        title=f"{ref} report",
                        status="analysed",
                        story_id=story.id,
                    )
                )
            db.commit()
            story_id = story.id
        page = client.get(f"/stories/{story_id}").text
        assert "bad report" in page and 'href="https://news.example/good"' in page
        assert "javascript:" not in page

    article = ArticleView(1, "bad", "bad report", url, "Vice", None, None, None, [])
    alert = AlertView(
        1,
        "new_story",
        "New story",
        datetime.now(UTC),
        1,
        "t",
        f"{PUBLIC_URL}/stories/1",
        None,
        None,
        article,
        [],
        [],
    )
    _, markdown = render_markdown(alert)
    assert "bad report" in markdown and "javascript:" not in markdown

    hostile = AlertOut(
        id=1,
        kind="new_story",
        story_id=1,
        story_title="t",
        article_id=1,
        article_title=None,
        outlet=None,
        stance=None,
        score=None,
        summary="s",
        contradicts=[],
        evidence=[],
        new_sources=[],
        created_at=datetime.now(UTC),
        url=url,
    )
    atom = alerts_feed([hostile], PUBLIC_URL, f"{PUBLIC_URL}/alerts.atom").decode()
    assert 'href="javascript:' not in atom and "href=&quot;javascript:" not in atom
