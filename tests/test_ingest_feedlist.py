"""Feed lists as operators have them: OPML exports and plain text files."""

from __future__ import annotations

import pytest

from ingest.errors import IngestError
from ingest.feedlist import FeedSpec, read_feed_list

OPML = """<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0"><head><title>My feeds</title></head><body>
  <outline text="News" title="News">
    <outline type="rss" text="Harbour Gazette" title="Harbour Gazette"
             xmlUrl="https://gazette.example/rss" htmlUrl="https://gazette.example/"/>
    <outline type="rss" text="Alpine Post" xmlUrl="https://alpine.example/feed.atom"/>
  </outline>
  <outline type="rss" text="Again" xmlUrl="https://gazette.example/rss"/>
  <outline type="rss" text="Local file" xmlUrl="file:///etc/passwd"/>
  <outline type="rss" text="No URL"/>
  <outline type="rss" text="Secret" xmlUrl="https://user:pw@secret.example/rss"/>
</body></opml>
"""


def test_opml_with_folders_titles_duplicates_and_bad_urls() -> None:
    feeds, problems = read_feed_list(OPML)
    assert feeds == [
        FeedSpec("https://gazette.example/rss", "Harbour Gazette"),
        FeedSpec("https://alpine.example/feed.atom", "Alpine Post"),
    ]
    assert len(problems) == 3
    assert any("file:///etc/passwd" in p and "scheme" in p for p in problems)
    assert any("no feed URL" in p for p in problems)
    assert any("credentials" in p for p in problems)


def test_plain_text_one_url_per_line() -> None:
    text = "\ufeff# my feeds\nhttps://a.example/rss\n\n  https://b.example/atom  \nftp://x/feed\n"
    feeds, problems = read_feed_list(text)
    assert [f.url for f in feeds] == ["https://a.example/rss", "https://b.example/atom"]
    assert problems == ["line 5: ftp://x/feed: scheme 'ftp' is not http(s)"]


def test_broken_opml_is_refused_with_a_reason() -> None:
    with pytest.raises(IngestError) as info:
        read_feed_list("<opml><body><outline xmlUrl='https://a.example/rss'></body>")
    assert info.value.reason == "bad_feed_list"
