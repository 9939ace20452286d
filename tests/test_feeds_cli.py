"""Operators' handle on feeds: add, import, list, remove; and how the schedule behaves."""

from __future__ import annotations

import json
from datetime import timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from loopback import (
    Claimwatch,
    LoopbackServer,
    rss,
    static,
    status,
)

from cli.main import main


def cli(capfd: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capfd.readouterr()
    return code, out, err


def dated_items(minutes: int, count: int = 10) -> list[dict[str, str]]:
    from storage.models import utcnow

    now = utcnow()
    return [
        {"guid": f"e{i}", "title": f"Entry {i}",
         "pubDate": format_datetime(now - timedelta(minutes=minutes * i), usegmt=True)}
        for i in range(count)
    ]


def test_add_import_list_and_remove(
    server: LoopbackServer, claimwatch: Claimwatch, tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
) -> None:
    from storage.models import Article, Feed

    server.routes["/a.xml"] = static(rss([{"guid": "1", "title": "One"}]))
    code, out, _ = cli(capfd, "feeds", "add", server.url("/a.xml"), "--interval", "120")
    assert code == 0 and out.startswith("added feed 1:")
    code, out, _ = cli(capfd, "feeds", "add", server.url("/a.xml"))
    assert code == 0 and out.startswith("already present feed 1:")
    code, _, err = cli(capfd, "feeds", "add", "file:///etc/passwd")
    assert code == 2 and "scheme" in err

    opml = tmp_path / "feeds.opml"
    opml.write_text(
        '<opml version="2.0"><body><outline text="News">'
        f'<outline text="B" title="Feed B" xmlUrl="{server.url("/b.xml")}"/>'
        f'<outline text="A again" xmlUrl="{server.url("/a.xml")}"/>'
        '<outline text="Bad" xmlUrl="gopher://old.example/feed"/></outline></body></opml>'
    )
    code, out, err = cli(capfd, "feeds", "import", str(opml))
    assert code == 0 and "added feed 2" in out and "already present feed 1" in out
    assert "gopher" in err
    plain = tmp_path / "feeds.txt"
    plain.write_text(f"# more\n{server.url('/c.xml')}\n")
    assert cli(capfd, "feeds", "import", str(plain))[0] == 0

    claimwatch.poll()
    code, out, _ = cli(capfd, "feeds", "list", "--json")
    rows = {r["url"].rsplit("/", 1)[1]: r for r in json.loads(out)}
    assert set(rows) == {"a.xml", "b.xml", "c.xml"}
    assert rows["a.xml"]["status"] == "ok" and rows["a.xml"]["interval"] == "fixed"
    assert rows["a.xml"]["interval_seconds"] == 120 and rows["a.xml"]["articles"] == 1
    assert rows["b.xml"]["title"] == "Feed B" and rows["b.xml"]["interval"] == "adaptive"
    assert rows["b.xml"]["last_error_reason"] == "http_error"
    assert rows["b.xml"]["last_status_code"] == 404 and rows["b.xml"]["error_count"] == 1
    for key in ("last_success_at", "next_poll_at", "retry_after_until", "broken_since",
                "last_error_at", "articles_by_status", "problems"):
        assert key in rows["b.xml"]
    code, out, _ = cli(capfd, "feeds", "list")
    assert "http_error" in out and "(fixed)" in out

    assert cli(capfd, "feeds", "remove", "1")[0] == 0
    assert cli(capfd, "feeds", "remove", server.url("/c.xml"))[0] == 0
    assert cli(capfd, "feeds", "remove", "99")[0] == 1
    assert [f.url for f in claimwatch.rows(Feed)] == [server.url("/b.xml")]
    [article] = claimwatch.rows(Article)
    assert article.feed_id is None  # the feed's articles stay


def test_interval_adapts_to_the_publishing_rate_unless_fixed(
    server: LoopbackServer, claimwatch: Claimwatch
) -> None:
    from storage.models import Feed

    server.routes["/busy.xml"] = static(rss(dated_items(20)))
    server.routes["/quiet.xml"] = static(rss(dated_items(600)))
    server.routes["/fixed.xml"] = static(rss(dated_items(20)))
    claimwatch.add(server.url("/busy.xml"), server.url("/quiet.xml"))
    from storage.db import session_scope
    from tasks.context import engine

    with session_scope(engine()) as session:
        session.add(Feed(url=server.url("/fixed.xml"), fixed_interval_seconds=900,
                         poll_interval_seconds=900))
    claimwatch.poll()
    feeds = {f.url.rsplit("/", 1)[1]: f for f in claimwatch.rows(Feed)}
    assert feeds["busy.xml"].poll_interval_seconds == 600  # every 20 minutes: poll every 10
    assert feeds["quiet.xml"].poll_interval_seconds == 3600  # the operator's maximum
    assert feeds["fixed.xml"].poll_interval_seconds == 900
    for feed in feeds.values():
        delay = feed.next_poll_at - feed.last_polled_at
        assert delay == timedelta(seconds=feed.poll_interval_seconds)


def test_new_entries_never_slow_polling_down_whatever_their_dates(
    server: LoopbackServer, claimwatch: Claimwatch
) -> None:
    """A replayed archive: old dates, but something new at every poll."""
    from storage.db import session_scope
    from storage.models import Feed, utcnow
    from tasks.context import engine

    old = [{"guid": f"old{i}", "title": f"Old {i}",
            "pubDate": f"Tue, {10 + i} Oct 2022 10:00:00 GMT"} for i in range(3)]
    server.routes["/replay.xml"] = static(rss(old[:1]))
    claimwatch.add(server.url("/replay.xml"))
    claimwatch.poll()
    [feed] = claimwatch.rows(Feed)
    assert feed.poll_interval_seconds == 300  # one date: the interval stays
    for n in (2, 3):
        server.routes["/replay.xml"] = static(rss(old[:n]))
        with session_scope(engine()) as session:
            session.get(Feed, feed.id).next_poll_at = utcnow()  # type: ignore[union-attr]
        assert claimwatch.poll()[server.url("/replay.xml")]["new_articles"] == 1
        [feed] = claimwatch.rows(Feed)
        assert feed.poll_interval_seconds == 300  # the dates alone would say 3600


def test_a_feed_failing_for_days_is_broken_not_dropped_and_recovers(
    server: LoopbackServer, claimwatch: Claimwatch
) -> None:
    from storage.db import session_scope
    from storage.models import Feed, utcnow
    from tasks.context import engine

    answer = [status(500)]
    server.routes["/feed.xml"] = lambda req: answer[0](req)
    claimwatch.add(server.url("/feed.xml"))
    claimwatch.poll()
    with session_scope(engine()) as session:  # as if it had been failing for four days
        feed = session.get(Feed, 1)
        assert feed is not None and feed.status == "error" and feed.broken_since is None
        feed.failing_since = utcnow() - timedelta(days=4)
        feed.next_poll_at = utcnow()
    result = claimwatch.poll()[server.url("/feed.xml")]
    assert result["status"] == "broken" and result["broken_since"] is not None
    [feed] = claimwatch.rows(Feed)
    assert feed.error_count == 2
    assert feed.next_poll_at - feed.last_polled_at >= timedelta(seconds=120 * 0.8)  # backoff
    with session_scope(engine()) as session:
        session.get(Feed, 1).next_poll_at = utcnow()  # type: ignore[union-attr]
    answer[0] = static(rss([{"guid": "1", "title": "Back"}]))
    result = claimwatch.poll()[server.url("/feed.xml")]
    assert result["status"] == "ok" and result["broken_since"] is None
    [feed] = claimwatch.rows(Feed)
    assert feed.error_count == 0 and feed.failing_since is None


def test_beat_picks_up_feeds_added_at_run_time(
    server: LoopbackServer, claimwatch: Claimwatch
) -> None:
    from storage.models import Feed
    from tasks.feeds import schedule_due_feeds
    from worker.app import app

    app.conf.task_always_eager = True

    app.set_current()
    server.routes["/late.xml"] = static(rss([{"guid": "1", "title": "Late"}]))
    assert schedule_due_feeds() == 0
    claimwatch.add(server.url("/late.xml"))  # while "running"
    assert schedule_due_feeds() == 1
    [feed] = claimwatch.rows(Feed)
    assert feed.status == "ok" and feed.last_polled_at is not None
    assert schedule_due_feeds() == 0  # not due again until its interval has passed
    assert len(server.requests("/late.xml")) == 1
