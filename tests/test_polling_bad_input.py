"""Bad input through the product's polling path (``poll_once`` and the batch task).

A loopback server misbehaves on purpose, once per case of DESIGN.md's bad-input list. Each
case must end in a recorded reason on its feed or article, the other feeds of the same poll
must be unaffected, and nothing may be lost. The address guard allows only 127.0.0.1/32.
The server's request log shows what claimwatch asked for: validators on the second poll,
nothing at all before a Retry-After has passed.
"""

from __future__ import annotations

import gzip
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from loopback import (
    Claimwatch,
    LoopbackServer,
    Route,
    ok,
    page,
    redirect,
    rss,
    slow,
    static,
    status,
)

OTHER_STORIES = {
    "charset": [
        "Zürich's cantonal parliament rejected a proposal to extend tram service to the "
        "airport on Monday, citing the cost of new rolling stock.",
        "The transport minister said the plan could return next year in a cheaper form, "
        "with buses covering the night hours instead of trams.",
        "Residents of Kloten had collected more than nine thousand signatures in favour "
        "of the extension during the spring campaign.",
    ],
    "future": [
        "A heatwave pushed temperatures above forty degrees in Seville for the third day "
        "running, the national weather agency reported on Sunday.",
        "Hospitals in Andalusia opened extra cooling rooms and the regional health service "
        "urged older residents to stay indoors during the afternoon.",
        "Farmers warned that the olive harvest could fall by a third if the dry spell "
        "continues into the autumn months.",
    ],
    "noguid": [
        "The national football federation appointed a new head coach on Thursday after a "
        "disappointing group stage exit at the continental championship.",
        "The coach, who previously led the under-21 side, signed a contract running until "
        "the end of the next world cup qualification campaign.",
        "Supporters' groups welcomed the decision but asked the federation to invest more "
        "in youth academies outside the capital.",
    ],
}




def bomb() -> bytes:
    return gzip.compress(b"\0" * (32 * 1024 * 1024), compresslevel=9)


def test_every_bad_input_is_recorded_and_the_rest_goes_on(
    server: LoopbackServer, claimwatch: Claimwatch
) -> None:
    from storage.models import Article, Feed

    future = "Tue, 11 Oct 2101 10:00:00 GMT"
    past = "Tue, 11 Oct 2022 10:00:00 GMT"
    u = server.url
    items = [
        {"guid": "good", "link": u("/a/good"), "title": "Council approves the harbour bridge",
         "pubDate": past},
        {"guid": "private", "link": "http://10.1.2.3/a", "title": "Private", "pubDate": past},
        {"guid": "linklocal", "link": "http://169.254.169.254/latest/meta-data/",
         "title": "Link-local", "pubDate": past},
        {"guid": "loopback6", "link": f"http://[::1]:{server.port}/a/good", "title": "Loopback",
         "pubDate": past},
        {"guid": "to-private", "link": u("/a/to-private"), "title": "Redirect to private"},
        {"guid": "binary", "link": u("/a/binary"), "title": "Not a page", "pubDate": past},
        {"guid": "gone", "link": u("/a/gone"), "title": "Gone", "pubDate": past},
        {"guid": "bomb", "link": u("/a/bomb"), "title": "Bomb", "pubDate": past},
        {"guid": "huge", "link": u("/a/huge"), "title": "Huge", "pubDate": past},
        {"guid": "loop", "link": u("/a/loop1"), "title": "Loop", "pubDate": past},
        {"guid": "slow", "link": u("/a/slow"), "title": "Slow", "pubDate": past},
        {"guid": "empty", "link": u("/a/empty"), "title": "No text", "pubDate": past},
        # Wrong charset (declared Latin-1, bytes are UTF-8), no date, a future date.
        {"guid": "charset", "link": u("/a/charset"), "title": "Zürich tram vote"},
        {"guid": "future", "link": u("/a/future"), "title": "From the future", "pubDate": future},
        # No GUID at all: identified by its link. A duplicate GUID: the first one wins.
        {"link": u("/a/noguid"), "title": "No guid", "pubDate": past},
        {"guid": "good", "link": u("/a/other"), "title": "Duplicate GUID", "pubDate": past},
    ]
    retry_date = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    server.routes.update({
        "/feed.xml": static(rss(items)),
        "/a/good": ok(page("Council approves the harbour bridge", "Harbour Gazette")),
        "/a/to-private": redirect("http://192.168.1.1/admin"),
        "/a/binary": ok(b"\x00\x01" * 500, "application/octet-stream"),
        "/a/bomb": ok(bomb(), "text/html", **{"Content-Encoding": "gzip"}),
        "/a/huge": ok("<html><body>" + "x" * 400_000 + "</body></html>"),
        "/a/loop1": redirect("/a/loop2"),
        "/a/loop2": redirect("/a/loop1"),
        "/a/slow": slow(3),
        "/a/empty": ok("<html><body><nav>menu</nav></body></html>"),
        "/a/charset": ok(page("Zürich tram vote", "Alpine Post", OTHER_STORIES["charset"])
                         .encode(), "text/html; charset=iso-8859-1"),
        "/a/future": ok(page("Seville heatwave", "Time Herald", OTHER_STORIES["future"])),
        "/a/noguid": ok(page("New head coach", "Guidless Times", OTHER_STORIES["noguid"])),
        # Feeds that fail, each its own way.
        "/f/page.html": ok("<html><body><p>Not a feed</p></body></html>"),
        "/f/garbage": ok(b"\x89PNG\r\n\x1a\n garbage <<<", "application/rss+xml"),
        "/f/image": ok(b"\x89PNG\r\n\x1a\n", "image/png"),
        "/f/error": status(500),
        "/f/ratelimited": status(429, **{"Retry-After": "3600"}),
        "/f/unavailable": status(503, **{"Retry-After": format_datetime(retry_date, True)}),
        "/f/slow": slow(3),
        "/f/loop": redirect("/f/loop"),
        "/f/bomb": ok(bomb(), "application/rss+xml", **{"Content-Encoding": "gzip"}),
        "/f/huge": ok(b"<rss>" + b"x" * 400_000, "application/rss+xml"),
        "/f/to-linklocal": redirect("http://169.254.169.254/feed"),
        # Served as Latin-1, written in UTF-8: read right, and the problem recorded.
        "/f/charset.xml": ok(rss([{"guid": "z1", "title": "Zürich tram vote"}]),
                             "application/rss+xml; charset=iso-8859-1"),
    })
    bad_feeds = {
        "/f/page.html": "not_a_feed",
        "/f/garbage": "not_a_feed",
        "/f/image": "not_a_feed",
        "/f/error": "http_error",
        "/f/missing": "http_error",
        "/f/ratelimited": "http_429",
        "/f/unavailable": "http_503",
        "/f/slow": "timeout",
        "/f/loop": "redirect_loop",
        "/f/bomb": "decompression_bomb",
        "/f/huge": "too_large",
        "/f/to-linklocal": "blocked_address",
    }
    blocked = ["http://10.0.0.7/feed.xml", f"http://[::1]:{server.port}/feed.xml"]
    claimwatch.add(u("/feed.xml"), *(u(p) for p in bad_feeds), *blocked, u("/f/charset.xml"))

    started = time.monotonic()
    results = claimwatch.poll()
    assert time.monotonic() - started < 30

    for path, reason in [*bad_feeds.items(), *((b, "blocked_address") for b in blocked)]:
        result = results[u(path) if path.startswith("/") else path]
        assert result["polled"] and result["status"] == "error", (path, result)
        assert result["error_reason"] == reason, (path, result)
        assert result["last_error"].startswith(reason), (path, result)
    assert results[u("/f/ratelimited")]["retry_after_until"] is not None
    assert results[u("/f/unavailable")]["retry_after_until"] == retry_date.isoformat()

    good = results[u("/feed.xml")]
    assert good["status"] == "ok" and good["error_reason"] is None
    assert good["new_articles"] == 15  # 16 items, one duplicate GUID
    problems = " | ".join(good["problems"])
    assert "duplicate guid 'good'" in problems
    assert "no guid; identified by its link" in problems
    assert "in the future; clamped" in problems
    reasons = {e["id"]: e["reason"] for e in good["article_errors"] if not e["retry_at"]}
    assert reasons == {
        "private": "blocked_address",
        "linklocal": "blocked_address",
        "loopback6": "blocked_address",
        "to-private": "blocked_address",
        "binary": "not_html",
        "gone": "http_error",
        "bomb": "decompression_bomb",
        "huge": "too_large",
        "loop": "redirect_loop",
        "empty": "no_text",
    }
    # A timeout may pass: that fetch is tried again later, the reason recorded meanwhile.
    [later] = [e for e in good["article_errors"] if e["retry_at"]]
    assert later["id"] == "slow" and later["reason"] == "timeout"
    charset_feed = results[u("/f/charset.xml")]
    assert charset_feed["status"] == "ok" and charset_feed["new_articles"] == 1
    assert any(p.startswith("bad_charset") for p in charset_feed["problems"])
    # Its one item has no link; RSS takes the GUID for a permalink, which is not found.
    assert charset_feed["article_errors"][0]["reason"] == "http_error"
    articles = {a.external_id: a for a in claimwatch.rows(Article)}
    assert articles.pop("z1").title == "Zürich tram vote"
    assert len(articles) == 15
    for guid in ("good", "charset", "future", u("/a/noguid")):
        assert articles[guid].status == "decided", (guid, articles[guid].error_message)
    assert "Zürich" in (articles["charset"].text or "")  # decoded despite the wrong header
    assert any("charset" in p for p in articles["charset"].problems)
    assert any(p.startswith("no_date") for p in articles["charset"].problems)
    assert articles["future"].published_at <= articles["future"].discovered_at
    assert not server.requests("/a/other")  # the duplicate GUID's link is never fetched
    feeds = {f.url: f for f in claimwatch.rows(Feed)}
    assert feeds[u("/feed.xml")].etag  # validators stored for the next poll

    # Second poll, everything again: the unchanged feed costs a 304 (its validator was sent),
    # the rate-limited feeds are not asked at all, and nothing is lost or duplicated.
    log_before = len(server.requests("/f/ratelimited")), len(server.requests("/f/unavailable"))
    again = claimwatch.poll()
    feed_requests = server.requests("/feed.xml")
    assert len(feed_requests) == 2
    assert feed_requests[1][0].get("If-None-Match") == feeds[u("/feed.xml")].etag
    assert feed_requests[1][1] == 304
    assert again[u("/feed.xml")]["status"] == "ok" and again[u("/feed.xml")]["new_articles"] == 0
    assert (len(server.requests("/f/ratelimited")), len(server.requests("/f/unavailable"))) == (
        log_before
    )
    assert not again[u("/f/ratelimited")]["polled"]
    assert len(claimwatch.rows(Article)) == 16
    assert len(server.requests("/a/slow")) == 1  # not before its retry time

    # The slow page recovers; once its retry time has come, the article goes through.
    server.routes["/a/slow"] = ok(page("Rail strike ends", "Slow News", [
        "Train drivers ended their week-long strike on Friday after the rail operator agreed "
        "to a pay rise of six percent over two years, the drivers' union said.",
        "Regular service is to resume on Saturday morning on all regional lines, although "
        "some night trains will stay cancelled until Monday, the operator said.",
    ]))
    from storage.db import session_scope
    from storage.models import utcnow
    from tasks.context import engine

    with session_scope(engine()) as session:
        postponed = session.get(Article, articles["slow"].id)
        assert postponed is not None and postponed.status == "pending"
        assert postponed.fetch_attempts == 1
        postponed.retry_at = utcnow()
    claimwatch.poll()
    [recovered] = claimwatch.rows(Article, external_id="slow")
    assert recovered.status == "decided" and recovered.error_reason is None


def test_retry_after_is_honoured_then_the_feed_recovers(
    server: LoopbackServer, claimwatch: Claimwatch, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 429 with Retry-After: 2 s; the backoff is shorter (1 s), so Retry-After decides."""
    from storage.models import Feed

    monkeypatch.setenv("CLAIMWATCH_MIN_POLL_INTERVAL_SECONDS", "1")
    claimwatch.reset()
    answers = iter([status(429, **{"Retry-After": "2"}), static(rss([]))])
    current: list[Route] = [next(answers)]
    server.routes["/feed.xml"] = lambda req: current[0](req)
    claimwatch.add(server.url("/feed.xml"))

    first = claimwatch.poll()[server.url("/feed.xml")]
    assert first["error_reason"] == "http_429"
    current[0] = next(answers)
    for _ in range(3):  # asked repeatedly within the two seconds: not a single request
        assert not claimwatch.poll()[server.url("/feed.xml")]["polled"]
        assert not claimwatch.poll(all_feeds=False)
    assert len(server.requests("/feed.xml")) == 1
    time.sleep(2.2)
    recovered = claimwatch.poll()[server.url("/feed.xml")]
    assert recovered["polled"] and recovered["status"] == "ok"
    assert len(server.requests("/feed.xml")) == 2
    [feed] = claimwatch.rows(Feed)
    assert feed.error_count == 0 and feed.retry_after_until is None


def test_an_article_answering_503_is_retried_after_retry_after_then_given_up(
    server: LoopbackServer, claimwatch: Claimwatch, monkeypatch: pytest.MonkeyPatch
) -> None:
    from storage.db import session_scope
    from storage.models import Article, utcnow
    from tasks.context import engine

    monkeypatch.setenv("CLAIMWATCH_ARTICLE_FETCH_ATTEMPTS", "2")
    claimwatch.reset()
    server.routes["/feed.xml"] = static(rss([{"guid": "busy", "link": server.url("/a/busy")}]))
    server.routes["/a/busy"] = status(503, **{"Retry-After": "7200"})
    claimwatch.add(server.url("/feed.xml"))
    [error] = claimwatch.poll()[server.url("/feed.xml")]["article_errors"]
    assert error["reason"] == "http_503" and error["retry_at"] is not None
    [article] = claimwatch.rows(Article)
    assert article.status == "pending"
    assert article.retry_at >= utcnow() + timedelta(seconds=7100)  # the server's wish
    claimwatch.poll()
    assert len(server.requests("/a/busy")) == 1  # not before then
    with session_scope(engine()) as session:
        session.get(Article, article.id).retry_at = utcnow()  # type: ignore[union-attr]
    claimwatch.poll()
    [article] = claimwatch.rows(Article)
    assert len(server.requests("/a/busy")) == 2
    assert article.status == "failed" and article.error_reason == "http_503"  # given up
