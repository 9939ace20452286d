"""The HTML pages and operator forms (in-process), and the timeline drawing on its own."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from xml.etree import ElementTree

import pytest
from fastapi.testclient import TestClient
from test_web_support import TOKEN, client_for, page_csrf_token, post_form, seeds_environment

from web.auth import COOKIE
from web.timeline import Link, Point, draw_timeline

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[TestClient]:
    with client_for(f"sqlite:///{tmp_path / 'fresh.sqlite'}") as c:
        yield c


def test_newsroom_pages_render_the_seeds_story() -> None:
    with client_for(seeds_environment()["CLAIMWATCH_DATABASE_URL"]) as client:
        front = client.get("/")
        assert front.status_code == 200 and "Disputed" in front.text
        story_link = next(part.split('"')[0] for part in front.text.split('href="/stories/')[1:])
        story = client.get(f"/stories/{story_link}").text
        assert "<svg" in story and "Contradictions" in story and "Colin Kahl" in story
        assert story.count("sure it is of this story") == 4  # every report but the opener
        assert "<script" not in story and 'rel="stylesheet"' not in story and "src=" not in story
        alerts = client.get("/alerts", params={"kind": "contradiction"}).text
        assert alerts.count('data-kind="contradiction"') == 2
        assert "The New Yorker" in client.get("/sources").text
        missing = client.get("/stories/999")
        assert missing.status_code == 404 and "No such story" in missing.text


def test_a_kept_story_page_gets_each_reader_own_frame() -> None:
    """The story's part is kept per process; sign-in, the CSRF token and messages are not."""
    with client_for(seeds_environment()["CLAIMWATCH_DATABASE_URL"]) as client:
        anonymous = client.get("/stories/1").text  # kept from here on
        post_form(client, "/signin", {"token": TOKEN})
        signed = client.get("/stories/1", params={"message": "Signed in."}).text
        token = page_csrf_token(client, "/stories/1")
    assert "Operator sign-in" in anonymous and "Sign out" not in anonymous
    assert "Sign out" in signed and 'class="flash ok"' in signed
    assert f'value="{token}"' in signed and token not in anonymous
    story = anonymous[anonymous.index('<p class="kicker"><a href="/">Stories</a>'):]
    assert story in signed


def test_operator_forms_need_sign_in(fresh: TestClient) -> None:
    refused = post_form(fresh, "/feeds", {"url": "https://a.example/rss"})
    assert refused.status_code == 403 and "Sign in first" in refused.text
    assert "Add feed" not in fresh.get("/feeds").text
    assert "Channel URL" not in fresh.get("/subscriptions").text

    wrong = post_form(fresh, "/signin", {"token": "nope"}, follow_redirects=False)
    assert wrong.status_code == 303 and COOKIE not in wrong.cookies
    signed = post_form(fresh, "/signin", {"token": TOKEN, "next": "/feeds"}, follow_redirects=False)
    assert signed.status_code == 303 and signed.headers["location"].startswith("/feeds")
    cookie = signed.cookies[COOKIE]
    assert TOKEN not in cookie
    set_cookie = signed.headers["set-cookie"].lower()
    assert "httponly" in set_cookie and "samesite=strict" in set_cookie and "secure" in set_cookie
    offsite = post_form(
        fresh, "/signin", {"token": TOKEN, "next": "//evil.example/"}, follow_redirects=False
    )
    assert offsite.headers["location"].startswith("/?")


def test_operator_manages_feeds_claims_and_subscriptions(fresh: TestClient) -> None:
    post_form(fresh, "/signin", {"token": TOKEN})
    page = post_form(fresh, "/feeds", {"url": "https://a.example/rss", "poll_interval_seconds": 60})
    assert "Feed 1 added." in page.text and "https://a.example/rss" in page.text
    page = post_form(fresh, "/feeds", {"url": "https://b.example/rss", "poll_interval_seconds": ""})
    assert "Feed 2 added." in page.text and "(adaptive)" in page.text
    assert 'class="flash error"' in post_form(fresh, "/feeds", {"url": "nope"}).text
    assert "Feed 1 removed." in post_form(fresh, "/feeds/1/remove").text
    assert "Feed 2 removed." in post_form(fresh, "/feeds/2/remove").text
    assert "No feed 1." in post_form(fresh, "/feeds/1/remove").text

    page = post_form(fresh, "/claims", {"id": "musk-putin", "text": "Musk spoke with Putin"})
    assert "Watching claim musk-putin." in page.text and "Musk spoke with Putin" in page.text
    removed = post_form(fresh, "/claims/musk-putin/remove")
    assert "Stopped watching claim musk-putin." in removed.text

    page = post_form(
        fresh,
        "/subscriptions",
        {"channel_url": "https://hooks.example/x", "kinds": ["contradiction", "new_source"]},
    )
    assert "Subscription 1 added." in page.text and "contradiction, new_source" in page.text
    assert (
        "no story 7"
        in post_form(
            fresh, "/subscriptions", {"channel_url": "https://hooks.example/y", "story_id": "7"}
        ).text
    )
    assert "Subscription 1 removed." in post_form(fresh, "/subscriptions/1/remove").text

    post_form(fresh, "/signout")
    assert post_form(fresh, "/claims", {"id": "x", "text": "xyz"}).status_code == 403


def test_timeline_is_valid_svg_with_lanes_marks_links_and_gaps() -> None:
    def at(day: int, month: int = 10, year: int = 2022) -> datetime:
        return datetime(year, month, day, 12, tzinfo=UTC)

    points = [
        Point(1, 10, at(11), "Vice & Co <b>", "supports", 0.9, "A"),
        Point(2, 11, at(11), None, "refutes", 0.8, "B"),
        Point(3, 12, at(22, 8, 2023), "Obozrevatel", "discusses", 0.7, None),
        Point(4, 13, None, None, None, None, None),
    ]
    svg = draw_timeline(points, [Link(5, 11, (10,)), Link(6, 12, (11, 99))])
    root = ElementTree.fromstring(svg)  # well-formed: names are escaped
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert {"Supports", "Discusses", "Refutes", "Unrelated"} <= set(texts)
    assert "Vice & Co <b>" in texts and "outlet unknown" in texts
    assert "10 months later" in texts and "date unknown" in texts
    marks = [a for a in root.iter(f"{SVG}a") if a.get("class") == "mark"]
    assert [m.get("data-stance") for m in marks] == [
        "supports",
        "refutes",
        "discusses",
        "not judged",
    ]
    links = [a for a in root.iter(f"{SVG}a") if a.get("class") == "contradiction-link"]
    assert [(a.get("data-from"), a.get("data-to")) for a in links] == [("11", "10"), ("12", "11")]
    lanes = {
        t.text: float(t.get("y"))
        for t in root.iter(f"{SVG}text")
        if t.text == "Supports" or t.text == "Refutes"
    }
    assert lanes["Supports"] < lanes["Refutes"]
    assert ElementTree.fromstring(draw_timeline([], []))  # an empty story still draws
