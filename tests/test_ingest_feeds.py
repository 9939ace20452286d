"""Feed parsing: RSS, Atom, JSON Feed, non-feeds, GUID and date repair."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from ingest.errors import FeedError
from ingest.feeds import parse_feed

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
FEED_URL = "https://news.example/feeds/main.xml"

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
  <title>Example News</title>
  <link>https://news.example/</link>
  <item>
    <guid isPermaLink="false">story-1</guid>
    <link>/2024/04/30/budget.html</link>
    <title>Council approves budget</title>
    <description>&lt;p&gt;The council &lt;b&gt;approved&lt;/b&gt;
      the budget &amp;amp; more.&lt;/p&gt;</description>
    <pubDate>Tue, 30 Apr 2024 09:30:00 +0200</pubDate>
    <dc:creator>Ana Lopez</dc:creator>
  </item>
  <item>
    <guid>https://news.example/2024/04/29/storm.html</guid>
    <title>Storm warning</title>
    <pubDate>Mon, 29 Apr 2024 18:00:00 GMT</pubDate>
  </item>
</channel>
</rss>"""


def test_rss() -> None:
    feed = parse_feed(RSS, FEED_URL, {"Content-Type": "application/rss+xml"}, now=NOW)
    assert (feed.title, feed.link, feed.version) == ("Example News", "https://news.example/",
                                                     "rss20")
    assert feed.problems == []
    first, second = feed.entries
    assert first.guid == "story-1"  # a relative-looking GUID is not turned into a URL
    assert first.url == "https://news.example/2024/04/30/budget.html"
    assert first.title == "Council approves budget"
    assert first.summary == "The council approved the budget & more."
    assert first.published_at == datetime(2024, 4, 30, 7, 30, tzinfo=UTC)
    assert first.author == "Ana Lopez"
    # permalink GUID doubles as the link
    assert second.guid == second.url == "https://news.example/2024/04/29/storm.html"
    assert second.summary is None and second.author is None


ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Atom Wire</title>
  <link rel="alternate" href="https://wire.example/"/>
  <id>urn:uuid:feed</id>
  <updated>2024-04-30T10:00:00Z</updated>
  <entry>
    <title type="html">Minister &lt;em&gt;resigns&lt;/em&gt;</title>
    <link rel="alternate" href="articles/42"/>
    <id>urn:uuid:entry-42</id>
    <updated>2024-04-30T10:00:00Z</updated>
    <published>2024-04-30T08:15:00-04:00</published>
    <author><name>Sam Reporter</name></author>
    <content type="html">&lt;p&gt;Full text here.&lt;/p&gt;</content>
  </entry>
  <entry>
    <title>Only updated</title>
    <link href="https://wire.example/articles/43"/>
    <id>urn:uuid:entry-43</id>
    <updated>2024-04-29T10:00:00Z</updated>
  </entry>
</feed>"""


def test_atom() -> None:
    feed = parse_feed(ATOM, "https://wire.example/atom.xml", {}, now=NOW)
    assert (feed.title, feed.link, feed.version) == ("Atom Wire", "https://wire.example/",
                                                     "atom10")
    a, b = feed.entries
    assert a.guid == "urn:uuid:entry-42"
    assert a.url == "https://wire.example/articles/42"
    assert a.title == "Minister resigns"
    assert a.summary == "Full text here."
    assert a.published_at == datetime(2024, 4, 30, 12, 15, tzinfo=UTC)
    assert a.author == "Sam Reporter"
    assert b.published_at == datetime(2024, 4, 29, 10, 0, tzinfo=UTC)  # falls back to updated


def test_json_feed() -> None:
    body = json.dumps({
        "version": "https://jsonfeed.org/version/1.1",
        "title": "JSON Times",
        "home_page_url": "https://json.example/",
        "items": [
            {"id": "1", "url": "/a/1", "title": "First", "content_text": "Body one.",
             "date_published": "2024-04-30T10:00:00+02:00", "authors": [{"name": "Kim"}]},
            {"id": 2, "external_url": "https://elsewhere.example/x", "content_html": "<p>Hi</p>"},
            {"id": "1", "title": "dup"},
            "not an object",
        ],
    }).encode()
    feed = parse_feed(body, "https://json.example/feed.json",
                      {"content-type": "application/feed+json"}, now=NOW)
    assert (feed.title, feed.link, feed.version) == ("JSON Times", "https://json.example/",
                                                     "json11")
    assert [e.guid for e in feed.entries] == ["1", "2"]
    first, second = feed.entries
    assert first.url == "https://json.example/a/1" and first.author == "Kim"
    assert first.published_at == datetime(2024, 4, 30, 8, 0, tzinfo=UTC)
    assert second.url == "https://elsewhere.example/x" and second.summary == "Hi"
    assert second.title is None and second.published_at is None
    assert any("duplicate guid '1'" in p for p in feed.problems)
    assert any("not an object" in p for p in feed.problems)


def test_json_that_is_not_a_json_feed() -> None:
    with pytest.raises(FeedError) as info:
        parse_feed(b'{"hello": "world"}', FEED_URL, {"content-type": "application/json"})
    assert info.value.reason == "not_a_feed"
    with pytest.raises(FeedError):
        parse_feed(b'{"broken": ', FEED_URL, {})


def test_html_page_instead_of_feed_lists_alternates() -> None:
    page = b"""<!DOCTYPE html><html><head><title>Example News</title>
      <link rel="alternate" type="application/rss+xml" title="RSS" href="/rss.xml">
      <link rel="stylesheet" href="/s.css">
      </head><body><h1>Home</h1><p>Welcome &amp; enjoy<br></p></body></html>"""
    with pytest.raises(FeedError) as info:
        parse_feed(page, "https://news.example/", {"content-type": "text/html"})
    assert info.value.reason == "not_a_feed"
    assert info.value.alternates == ["https://news.example/rss.xml"]


@pytest.mark.parametrize(
    "body",
    [b"", b"   \n", bytes(range(256)) * 8, b"\x89PNG\r\n\x1a\n" + b"\0" * 100, b"just some text",
     b"/etc/passwd"],  # never opened as a file name
)
def test_garbage_is_not_a_feed(body: bytes) -> None:
    with pytest.raises(FeedError) as info:
        parse_feed(body, FEED_URL, {})
    assert info.value.reason == "not_a_feed"


def rss_items(*items: str) -> bytes:
    return ('<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
            + "".join(f"<item>{i}</item>" for i in items) + "</channel></rss>").encode()


def test_missing_guids_fall_back_to_link_then_hash() -> None:
    body = rss_items(
        "<link>https://news.example/a</link><title>A</title>",
        "<title>No link</title><description>Some summary</description>",
        "<title>No link either</title><description>Other summary</description>",
        "<description></description>",
    )
    feed = parse_feed(body, FEED_URL, {}, now=NOW)
    guids = [e.guid for e in feed.entries]
    assert guids[0] == "https://news.example/a"
    assert guids[1].startswith("sha256:") and guids[2].startswith("sha256:")
    assert guids[1] != guids[2]
    assert parse_feed(body, FEED_URL, {}, now=NOW).entries[1].guid == guids[1]  # stable
    assert len(feed.entries) == 3
    assert any("skipped" in p for p in feed.problems)  # the empty item


def test_duplicate_guids_keep_first() -> None:
    body = rss_items(
        "<guid>x</guid><title>First</title><link>https://n.example/1</link>",
        "<guid>y</guid><title>Other</title>",
        "<guid>x</guid><title>Second</title><link>https://n.example/2</link>",
    )
    feed = parse_feed(body, FEED_URL, {}, now=NOW)
    assert [(e.guid, e.title) for e in feed.entries] == [("x", "First"), ("y", "Other")]
    assert feed.problems == ["entry 3: duplicate guid 'x'; kept the first"]


def test_missing_future_and_bad_dates() -> None:
    body = rss_items(
        "<guid>none</guid><title>No date</title>",
        "<guid>future</guid><title>Future</title><pubDate>Fri, 01 Jan 2100 00:00:00 GMT</pubDate>",
        "<guid>bad</guid><title>Bad</title><pubDate>sometime last week</pubDate>",
        "<guid>skew</guid><title>Skew</title><pubDate>Wed, 01 May 2024 12:01:00 GMT</pubDate>",
    )
    feed = parse_feed(body, FEED_URL, {}, now=NOW)
    dates = {e.guid: e.published_at for e in feed.entries}
    assert dates == {"none": None, "future": NOW, "bad": None, "skew": NOW}
    assert len(feed.problems) == 2  # a minute of clock skew is clamped silently
    assert any("future" in p and "2100" in p for p in feed.problems)
    assert any("unparseable date 'sometime last week'" in p for p in feed.problems)


def test_malformed_xml_with_entries_is_parsed_leniently() -> None:
    body = rss_items("<guid>1</guid><title>Fish & Chips</title>", "<guid>2</guid><title>B</title>")
    feed = parse_feed(body, FEED_URL, {}, now=NOW)
    assert [e.title for e in feed.entries] == ["Fish & Chips", "B"]
    assert any(p.startswith("malformed feed") for p in feed.problems)


def test_empty_but_valid_feed() -> None:
    feed = parse_feed(rss_items(), FEED_URL, {}, now=NOW)
    assert feed.entries == [] and feed.version == "rss20" and feed.problems == []


def test_charset_from_http_headers() -> None:
    body = '<rss version="2.0"><channel><title>Caf\xe9 news</title></channel></rss>'.encode(
        "iso-8859-1"
    )
    feed = parse_feed(body, FEED_URL, {"Content-Type": "text/xml; charset=iso-8859-1"})
    assert feed.title == "Café news"


def test_unsafe_links_are_dropped() -> None:
    body = rss_items("<guid>1</guid><title>A</title><link>javascript:alert(1)</link>")
    entry = parse_feed(body, FEED_URL, {}, now=NOW).entries[0]
    assert entry.url is None and entry.guid == "1"


def test_utf8_body_wins_over_a_wrong_charset_header() -> None:
    body = rss_items("<guid>1</guid><title>Zürich tram vote</title>")
    feed = parse_feed(body, FEED_URL, {"content-type": "application/rss+xml; charset=ISO-8859-1"})
    assert feed.entries[0].title == "Zürich tram vote"
    assert feed.problems == [
        "bad_charset: Content-Type says ISO-8859-1 but the body is UTF-8; read as UTF-8"
    ]
    # A Latin-1 body is left to the header (and feedparser's own detection).
    latin = rss_items("<guid>1</guid><title>Zürich tram vote</title>").decode().encode("latin-1")
    feed = parse_feed(latin, FEED_URL, {"content-type": "application/rss+xml; charset=ISO-8859-1"})
    assert feed.entries[0].title == "Zürich tram vote" and feed.problems == []


def test_rss_ttl_is_read_in_seconds() -> None:
    body = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><ttl>45</ttl>'
            b"<item><guid>1</guid><title>A</title></item></channel></rss>")
    assert parse_feed(body, FEED_URL, {}).ttl_seconds == 45 * 60
    assert parse_feed(rss_items("<guid>1</guid><title>A</title>"), FEED_URL, {}).ttl_seconds is None
