"""Bad input through the whole pipeline: each problem recorded, the rest goes on."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import run_cli
from sqlmodel import select

from storage.db import get_engine, session_scope

pytestmark = pytest.mark.integration  # the CLI as a process

ARTICLE = (
    "<html><head><title>Council approves the harbour bridge</title>"
    '<meta property="og:site_name" content="Harbour Gazette"></head><body><article>'
    "<h1>Council approves the harbour bridge</h1>"
    + "".join(
        f"<p>The city council of Portvale voted on Tuesday to approve the harbour bridge, "
        f"mayor Anna Lind said, in a decision that ends a decade of debate ({n}).</p>"
        for n in range(6)
    )
    + "</article></body></html>"
)


def rss(host: str) -> str:
    items = [
        ("good-1", f"http://{host}/article.html", "Council approves the harbour bridge"),
        ("blocked-1", "http://10.1.2.3/secret.html", "Link to a private address"),
        ("binary-1", f"http://{host}/binary", "Not a page"),
        ("missing-1", f"http://{host}/missing.html", "Gone"),
        ("good-1", f"http://{host}/article.html", "Duplicate GUID"),
    ]
    body = "".join(
        f"<item><guid>{g}</guid><link>{link}</link><title>{t}</title>"
        f"<pubDate>Tue, 11 Oct 2022 10:00:00 GMT</pubDate></item>"
        for g, link, t in items
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{body}</channel></rss>'
    )


REQUESTS: list[tuple[str, dict[str, str]]] = []
FEED_ETAG = '"feed-v1"'


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        REQUESTS.append((self.path, dict(self.headers.items())))
        host = self.headers["Host"]
        if self.path == "/feed.xml" and self.headers.get("If-None-Match") == FEED_ETAG:
            self.send_response(304)
            self.send_header("ETag", FEED_ETAG)
            self.end_headers()
            return
        if self.path == "/ratelimited":
            self.send_response(429)
            self.send_header("Retry-After", "3600")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        routes = {
            "/feed.xml": (200, "application/rss+xml", rss(host).encode()),
            "/article.html": (200, "text/html; charset=utf-8", ARTICLE.encode()),
            "/binary": (200, "application/octet-stream", b"\x00\x01" * 500),
            "/page.html": (200, "text/html", b"<html><body><p>Not a feed</p></body></html>"),
            "/error": (500, "text/plain", b"boom"),
            "/garbage": (200, "application/rss+xml", b"\x89PNG\r\n\x1a\n garbage <<<"),
        }
        if self.path == "/slow":
            time.sleep(3)
        status, ctype, body = routes.get(self.path, (404, "text/plain", b"not found"))
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        if self.path == "/feed.xml":
            self.send_header("ETag", FEED_ETAG)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    REQUESTS.clear()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_each_bad_feed_and_article_is_recorded_and_the_rest_goes_on(
    server: str, tmp_path: Path, sqlite_env: dict[str, str]
) -> None:
    env = {
        **sqlite_env,
        "CLAIMWATCH_ALLOWED_NETWORKS": "127.0.0.1/32",
        "CLAIMWATCH_READ_TIMEOUT": "1",
    }
    paths = [
        "/feed.xml", "/page.html", "/error", "/garbage", "/slow", "/missing-feed", "/ratelimited",
    ]
    for path in paths:
        run_cli(["feeds", "add", server + path], env, tmp_path)
    results = {
        r["url"].removeprefix(server): r
        for r in json.loads(run_cli(["poll-once", "--all", "--json"], env, tmp_path))
    }
    assert set(results) == set(paths)
    good = results["/feed.xml"]
    assert good["status"] == "ok" and good["new_articles"] == 4
    # Pages that cannot be had: each item is judged from its feed headline, reason recorded.
    assert good["articles_by_status"] == {"decided": 4}
    reasons = {e["id"]: e["reason"] for e in good["article_errors"]}
    assert reasons == {
        "blocked-1": "blocked_address",
        "binary-1": "not_html",
        "missing-1": "http_error",
    }
    for path, reason in [
        ("/page.html", "not_a_feed"),
        ("/error", "http_error"),
        ("/garbage", "not_a_feed"),
        ("/slow", "timeout"),
        ("/missing-feed", "http_error"),
        ("/ratelimited", "http_429"),
    ]:
        assert results[path]["status"] == "error", path
        assert results[path]["last_error"].startswith(reason), (path, results[path])
    listed = json.loads(run_cli(["feeds", "list", "--json"], env, tmp_path))
    assert {f["url"].removeprefix(server): f["status"] for f in listed}["/feed.xml"] == "ok"
    assert results["/ratelimited"]["retry_after_until"] is not None
    # A second poll right away finds nothing new and loses nothing: the unchanged feed is
    # asked with its validator and answers 304; the rate-limited one is not asked at all.
    again = json.loads(run_cli(["poll-once", "--all", "--json"], env, tmp_path))
    assert sum(r["new_articles"] for r in again) == 0
    feed_requests = [headers for path, headers in REQUESTS if path == "/feed.xml"]
    assert len(feed_requests) == 2 and feed_requests[1].get("If-None-Match") == FEED_ETAG
    assert {r["url"].removeprefix(server): r for r in again}["/feed.xml"]["http_status"] == 304
    assert [path for path, _ in REQUESTS].count("/ratelimited") == 1


def test_an_entry_without_its_page_is_judged_from_its_headline_and_summary(
    server: str, tmp_path: Path, sqlite_env: dict[str, str]
) -> None:
    from storage.models import Article

    env = {**sqlite_env, "CLAIMWATCH_ALLOWED_NETWORKS": "127.0.0.1/32"}
    run_cli(["feeds", "add", server + "/feed.xml"], env, tmp_path)
    run_cli(["poll-once", "--all", "--json"], env, tmp_path)
    with session_scope(get_engine(env["CLAIMWATCH_DATABASE_URL"])) as session:
        gone = session.exec(select(Article).where(Article.external_id == "missing-1")).one()
        assert gone.status == "decided" and gone.story_id is not None
        assert gone.error_reason == "http_error"
        assert any(p.startswith("page_unavailable: http_error") for p in gone.problems)
