"""A loopback news publisher that replays an archive as a live RSS feed.

Why: testers and demos need a real HTTP publisher (feed with validators, article pages,
items appearing over time) to exercise the production path end to end, without the
internet. ``FakeFeed`` serves ``/feed.xml`` (RSS 2.0, ETag/Last-Modified, 304 on conditional
requests) and ``/articles/<id>.html`` (a full page with title, ``og:site_name``,
``article:published_time`` and the text as ``<p>`` paragraphs in ``<article>``). Items are
released in publication order: all at once, one per ``interval`` seconds, or one per
:meth:`FakeFeed.release_next` call (``release="manual"``).

The fetcher's address guard refuses loopback by default: allow ``127.0.0.1/32`` (for example
``CLAIMWATCH_ALLOWED_NETWORKS=127.0.0.1/32``) to poll it.
"""

from __future__ import annotations

import contextlib
import email.utils
import hashlib
import html
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Literal, Self
from urllib.parse import quote, unquote, urlsplit
from xml.sax.saxutils import escape as xml_escape

from ingest.archive import ArchiveArticle, load_archive, sort_articles

__all__ = ["FakeFeed", "Release", "render_article_page", "serve"]

Release = Literal["all", "timed", "manual"]
RequestLog = tuple[str, str, dict[str, str]]


def render_article_page(article: ArchiveArticle, page_url: str | None = None) -> str:
    """A complete HTML page for ``article`` (its archived ``html`` is served as is)."""
    if article.html:
        return article.html
    title = article.title or article.id
    esc = html.escape
    head = [
        '<meta charset="utf-8">',
        f"<title>{esc(title)}</title>",
        f'<meta property="og:title" content="{esc(title, quote=True)}">',
        '<meta property="og:type" content="article">',
    ]
    if article.outlet:
        head.append(f'<meta property="og:site_name" content="{esc(article.outlet, quote=True)}">')
    if article.published_at:
        stamp = article.published_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
        head.append(f'<meta property="article:published_time" content="{stamp}">')
    if page_url:
        head.append(f'<link rel="canonical" href="{esc(page_url, quote=True)}">')
        head.append(f'<meta property="og:url" content="{esc(page_url, quote=True)}">')
    paragraphs = [line.strip() for line in (article.text or "").splitlines() if line.strip()]
    body = "\n".join(f"<p>{esc(p)}</p>" for p in paragraphs)
    return (
        "<!DOCTYPE html>\n<html>\n<head>\n" + "\n".join(head) + "\n</head>\n<body>\n"
        f"<main>\n<article>\n<h1>{esc(title)}</h1>\n{body}\n</article>\n</main>\n"
        "</body>\n</html>\n"
    )


class FakeFeed:
    """Serve ``articles`` as an RSS feed plus article pages on a loopback HTTP server."""

    def __init__(
        self,
        articles: Sequence[ArchiveArticle],
        host: str = "127.0.0.1",
        port: int = 0,
        release: Release = "all",
        interval: float = 30.0,
        *,
        title: str = "claimwatch fake feed",
    ) -> None:
        if release not in ("all", "timed", "manual"):
            raise ValueError(f"release must be 'all', 'timed' or 'manual', not {release!r}")
        self.articles: list[ArchiveArticle] = sort_articles(articles)
        self.host = host
        self.port = port
        self.release = release
        self.interval = interval
        self.title = title
        self.requests: list[RequestLog] = []
        self._released = 0
        self._last_modified = time.time()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._threads: list[threading.Thread] = []

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> Self:
        """Bind and serve in a background thread; returns self."""
        if self._server is not None:
            return self
        self._server = ThreadingHTTPServer((self.host, self.port), _make_handler(self))
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self._stop.clear()
        if self.release == "all":
            self._set_released(len(self.articles))
        elif self.release == "timed":
            self._set_released(min(1, len(self.articles)))
        serving = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                   name="fakefeed-http", daemon=True)
        serving.start()
        self._threads = [serving]
        if self.release == "timed":
            ticker = threading.Thread(target=self._tick, name="fakefeed-release", daemon=True)
            ticker.start()
            self._threads.append(ticker)
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        for thread in self._threads:
            thread.join(timeout=2)
        self._threads = []

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- release ------------------------------------------------------------------------------
    def release_next(self) -> ArchiveArticle | None:
        """Publish the next article (publication order); None when all are out."""
        with self._lock:
            if self._released >= len(self.articles):
                return None
            article = self.articles[self._released]
            self._bump(self._released + 1)
        return article

    @property
    def released(self) -> list[ArchiveArticle]:
        """Articles currently in the feed, in publication order."""
        with self._lock:
            return self.articles[: self._released]

    def _set_released(self, count: int) -> None:
        with self._lock:
            self._bump(count)

    def _bump(self, count: int) -> None:
        """Set the released count (lock held); a change moves Last-Modified forward."""
        if count != self._released:
            self._released = count
            # HTTP dates have 1 s resolution; keep Last-Modified strictly increasing.
            self._last_modified = max(time.time(), self._last_modified + 1)

    def _tick(self) -> None:
        while not self._stop.wait(self.interval):
            if self.release_next() is None:
                return

    # -- URLs ---------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        host = "127.0.0.1" if self.host in ("", "0.0.0.0") else self.host
        host = "[::1]" if host == "::" else (f"[{host}]" if ":" in host else host)
        return f"http://{host}:{self.port}"

    @property
    def url(self) -> str:
        """The feed URL."""
        return f"{self.base_url}/feed.xml"

    def article_url(self, article_id: str) -> str:
        return f"{self.base_url}/articles/{quote(article_id, safe='')}.html"

    # -- rendering ----------------------------------------------------------------------------
    def feed_state(self) -> tuple[bytes, str, str]:
        """(RSS body, ETag, Last-Modified) for the current release state."""
        with self._lock:
            items = self.articles[: self._released]
            last_modified = self._last_modified
        body = self._render_rss(items, last_modified)
        etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
        return body, etag, email.utils.formatdate(last_modified, usegmt=True)

    def _render_rss(self, items: Sequence[ArchiveArticle], last_modified: float) -> bytes:
        out = [
            '<?xml version="1.0" encoding="utf-8"?>',
            '<rss version="2.0"><channel>',
            f"<title>{xml_escape(self.title)}</title>",
            f"<link>{xml_escape(self.base_url)}/</link>",
            "<description>Articles replayed from an archive</description>",
            f"<lastBuildDate>{email.utils.formatdate(last_modified, usegmt=True)}</lastBuildDate>",
        ]
        for article in reversed(items):  # newest first, as publishers do
            published = article.published_at or datetime.fromtimestamp(last_modified, UTC)
            summary = " ".join((article.text or "").split())[:280]
            out += [
                "<item>",
                f'<guid isPermaLink="false">{xml_escape(article.id)}</guid>',
                f"<link>{xml_escape(self.article_url(article.id))}</link>",
                f"<title>{xml_escape(article.title or article.id)}</title>",
                f"<pubDate>{email.utils.format_datetime(published.astimezone(UTC), usegmt=True)}"
                "</pubDate>",
            ]
            if summary:
                out.append(f"<description>{xml_escape(summary)}</description>")
            out.append("</item>")
        out.append("</channel></rss>")
        return "\n".join(out).encode("utf-8")

    def find_released(self, article_id: str) -> ArchiveArticle | None:
        for article in self.released:
            if article.id == article_id:
                return article
        return None

    def _log(self, method: str, path: str, headers: dict[str, str]) -> None:
        with self._lock:
            self.requests.append((method, path, headers))


def _not_modified(headers: dict[str, str], etag: str, last_modified: str) -> bool:
    """RFC 9110: If-None-Match wins; If-Modified-Since only when it is absent."""
    inm = headers.get("if-none-match")
    if inm is not None:
        tags = [t.strip().removeprefix("W/") for t in inm.split(",")]
        return "*" in tags or etag in tags
    ims = headers.get("if-modified-since")
    if ims:
        try:
            since = email.utils.parsedate_to_datetime(ims)
            current = email.utils.parsedate_to_datetime(last_modified)
        except (TypeError, ValueError):
            return False
        return current <= since
    return False


def _make_handler(feed: FakeFeed) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "claimwatch-fakefeed/0.1"
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass  # keep test output clean; requests are recorded in feed.requests

        def handle(self) -> None:
            with contextlib.suppress(OSError):  # a poller hung up mid-response: not our error
                super().handle()

        def do_HEAD(self) -> None:
            self._answer(send_body=False)

        def do_GET(self) -> None:
            self._answer(send_body=True)

        def _answer(self, send_body: bool) -> None:
            headers = {k.lower(): v for k, v in self.headers.items()}
            feed._log(self.command, self.path, headers)
            path = urlsplit(self.path).path
            if path in ("/feed.xml", "/rss", "/feed"):
                body, etag, last_modified = feed.feed_state()
                extra = {"ETag": etag, "Last-Modified": last_modified,
                         "Cache-Control": "no-cache"}
                if _not_modified(headers, etag, last_modified):
                    self._send(304, b"", None, extra, send_body)
                else:
                    self._send(200, body, "application/rss+xml; charset=utf-8", extra, send_body)
                return
            if path.startswith("/articles/") and path.endswith(".html"):
                article_id = unquote(path[len("/articles/"):-len(".html")])
                article = feed.find_released(article_id)
                if article is not None:
                    page = render_article_page(article, feed.article_url(article.id))
                    self._send(200, page.encode("utf-8"), "text/html; charset=utf-8", {},
                               send_body)
                    return
            if path == "/":
                self._send(302, b"", None, {"Location": "/feed.xml"}, send_body)
                return
            self._send(404, b"not found\n", "text/plain; charset=utf-8", {}, send_body)

        def _send(self, status: int, body: bytes, ctype: str | None, extra: dict[str, str],
                  send_body: bool) -> None:
            self.send_response(status)
            if ctype:
                self.send_header("Content-Type", ctype)
            for key, value in extra.items():
                self.send_header(key, value)
            if status != 304:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if send_body and status != 304 and body:
                self.wfile.write(body)

    return Handler


def serve(
    path: str | Path,
    host: str = "127.0.0.1",
    port: int = 8080,
    release: Release = "timed",
    interval: float = 30.0,
) -> int:
    """Serve the archive at ``path`` until Ctrl-C (for ``claimwatch fakefeed PATH``)."""
    articles = load_archive(path)
    feed = FakeFeed(articles, host=host, port=port, release=release, interval=interval)
    feed.start()
    print(f"fake feed with {len(articles)} articles at {feed.url} (release={release}"
          + (f", every {interval:g}s" if release == "timed" else "") + "); Ctrl-C to stop",
          flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        feed.stop()
    return 0
