"""The loopback fake feed, end to end through the real fetcher, parser and extractor."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from conftest import SEEDS

from ingest.archive import ArchiveArticle, load_archive
from ingest.errors import FetchError
from ingest.extract import extract_article
from ingest.fakefeed import FakeFeed, render_article_page
from ingest.feeds import parse_feed
from ingest.fetch import Fetcher, FetchSettings

REPO = Path(__file__).resolve().parents[1]
_TOKEN = re.compile(r"\w+", re.UNICODE)


def token_f1(predicted: str, truth: str) -> float:
    p, t = Counter(_TOKEN.findall(predicted.lower())), Counter(_TOKEN.findall(truth.lower()))
    common = sum((p & t).values())
    if not common:
        return 0.0
    precision, recall = common / sum(p.values()), common / sum(t.values())
    return 2 * precision * recall / (precision + recall)


@pytest.fixture(scope="module")
def seeds() -> list[ArchiveArticle]:
    return load_archive(SEEDS)


@pytest.fixture
def fetcher() -> Iterator[Fetcher]:
    with Fetcher(FetchSettings(read_timeout=2, allowed_networks=("127.0.0.1/32",))) as f:
        yield f


def test_end_to_end_manual_release(seeds: list[ArchiveArticle], fetcher: Fetcher) -> None:
    with FakeFeed(seeds, release="manual") as feed:
        empty = fetcher.fetch(feed.url, accept="feed")
        assert parse_feed(empty.body, empty.url, empty.headers).entries == []

        assert feed.release_next() == seeds[0]
        first = fetcher.fetch(feed.url, etag=empty.etag, last_modified=empty.last_modified,
                              accept="feed")
        assert not first.not_modified and first.etag != empty.etag
        parsed = parse_feed(first.body, first.url, first.headers)
        assert [e.guid for e in parsed.entries] == ["002"]
        assert parsed.entries[0].url == feed.article_url("002")
        assert parsed.entries[0].published_at == seeds[0].published_at

        again = fetcher.fetch(feed.url, etag=first.etag, last_modified=first.last_modified,
                              accept="feed")
        assert again.not_modified and again.body == b""
        method, path, headers = feed.requests[-1]
        assert (method, path, headers["if-none-match"]) == ("GET", "/feed.xml", first.etag)

        # An article not yet released is not there.
        with pytest.raises(FetchError) as info:
            fetcher.fetch(feed.article_url("001"), accept="html")
        assert info.value.status == 404

        while feed.release_next() is not None:
            pass
        full = fetcher.fetch(feed.url, etag=first.etag, last_modified=first.last_modified,
                             accept="feed")
        entries = parse_feed(full.body, full.url, full.headers).entries
        assert sorted(e.guid for e in entries) == ["000", "001", "002", "003", "004"]
        assert entries[0].guid == "004"  # newest first

        by_id = {a.id: a for a in seeds}
        for entry in entries:
            page = fetcher.fetch(entry.url or "", accept="html")
            assert page.content_type == "text/html"
            article = extract_article(page.body, page.url, page.encoding)
            seed = by_id[entry.guid]
            assert token_f1(article.text, seed.text or "") >= 0.95, entry.guid
            assert article.title == seed.title == entry.title
            assert article.site_name == seed.outlet  # None when the outlet is unknown
            assert article.published_at == seed.published_at
            assert article.canonical_url == feed.article_url(seed.id)
            assert article.problems == ()


def test_release_all_and_if_modified_since(seeds: list[ArchiveArticle]) -> None:
    with FakeFeed(seeds) as feed, httpx.Client(trust_env=False) as client:
        first = client.get(feed.url)
        assert first.status_code == 200
        assert first.headers["content-type"].startswith("application/rss+xml")
        assert first.text.count("<item>") == 5
        assert '<guid isPermaLink="false">000</guid>' in first.text
        since = client.get(feed.url, headers={"If-Modified-Since": first.headers["last-modified"]})
        assert since.status_code == 304 and since.content == b""
        stale = client.get(feed.url, headers={"If-None-Match": '"old"',
                                              "If-Modified-Since": first.headers["last-modified"]})
        assert stale.status_code == 200  # If-None-Match takes precedence
        head = client.head(feed.article_url("003"))
        assert head.status_code == 200 and head.content == b""
        assert client.get(f"{feed.base_url}/nothing").status_code == 404
        assert [r[0] for r in feed.requests].count("HEAD") == 1


def test_timed_release(seeds: list[ArchiveArticle]) -> None:
    with FakeFeed(seeds, release="timed", interval=0.1) as feed:
        assert [a.id for a in feed.released] == ["002"]
        deadline = time.monotonic() + 3
        while len(feed.released) < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [a.id for a in feed.released] == [a.id for a in seeds]


def test_archive_html_is_served_as_is_and_order_is_by_date() -> None:
    raw = "<html><body><article><p>Exactly this.</p></article></body></html>"
    articles = [
        ArchiveArticle("late", None, "Late", "late text", None, None,
                       datetime(2024, 1, 2, tzinfo=UTC)),
        ArchiveArticle("early/1", None, None, None, raw, None, datetime(2024, 1, 1, tzinfo=UTC)),
    ]
    assert render_article_page(articles[1]) == raw
    with FakeFeed(articles, release="manual") as feed:
        assert feed.release_next() == articles[1]
        assert feed.article_url("early/1").endswith("/articles/early%2F1.html")
        response = httpx.get(feed.article_url("early/1"), trust_env=False)
        assert response.text == raw
    page = render_article_page(articles[0], "http://h/late")
    assert "<title>Late</title>" in page and "og:site_name" not in page
    assert 'content="2024-01-02T00:00:00Z"' in page and "<p>late text</p>" in page


@pytest.mark.integration  # the fake feed as a process
def test_serve_blocks_until_interrupted(tmp_path: Path) -> None:
    archive = tmp_path / "a.jsonl"
    archive.write_text('{"id": "1", "title": "One", "text": "Hello there."}\n', encoding="utf-8")
    # Ctrl-C as a terminal sends it, even when the test run itself was started in the
    # background, where a shell starts jobs with SIGINT ignored and children inherit that.
    code = ("import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
            "from ingest.fakefeed import serve; "
            f"sys.exit(serve({str(archive)!r}, port=0, release='all'))")
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=REPO, stdout=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        url = re.search(r"(http://\S+/feed\.xml)", line)
        assert url, line
        served = httpx.get(url.group(1), trust_env=False).text
        assert '<guid isPermaLink="false">1</guid>' in served
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
