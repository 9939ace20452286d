"""A loopback HTTP server that misbehaves on demand, and claimwatch run in this process.

Shared by the polling, feeds, syndication and revision tests.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

Route = Callable[[BaseHTTPRequestHandler], tuple[int, dict[str, str], bytes]]

PARAGRAPHS = [
    "The city council of Portvale voted on Tuesday to approve the harbour bridge, mayor Anna "
    "Lind said, in a decision that ends a decade of debate about the crossing.",
    "Construction is to begin next spring and the bridge should open to traffic within three "
    "years, according to the council's transport committee.",
    "Opponents had argued that the bridge would harm the fishing industry, but the council "
    "said an independent study found no lasting damage to the harbour.",
    "The project will cost about 240 million euros, most of it paid by the regional "
    "government, the mayor told reporters after the vote.",
]


def page(title: str, site: str, paragraphs: list[str] = PARAGRAPHS, extra: str = "") -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<html><head><title>{title}</title>"
        f'<meta property="og:site_name" content="{site}"></head><body><article>'
        f"<h1>{title}</h1>{extra}{body}</article></body></html>"
    )


def rss(items: list[dict[str, str]], title: str = "T") -> bytes:
    parts = []
    for item in items:
        fields = "".join(f"<{k}>{v}</{k}>" for k, v in item.items())
        parts.append(f"<item>{fields}</item>")
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>{title}</title>'
        f"{''.join(parts)}</channel></rss>"
    ).encode()


def ok(body: bytes | str, ctype: str = "text/html; charset=utf-8", **headers: str) -> Route:
    data = body.encode() if isinstance(body, str) else body
    return lambda _req: (200, {"Content-Type": ctype, **headers}, data)


def static(body: bytes, ctype: str = "application/rss+xml") -> Route:
    """A file as nginx serves it: an ETag, and 304 when the client sends it back."""
    etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'

    def route(req: BaseHTTPRequestHandler) -> tuple[int, dict[str, str], bytes]:
        if req.headers.get("If-None-Match") == etag:
            return 304, {"ETag": etag}, b""
        return 200, {"Content-Type": ctype, "ETag": etag}, body

    return route


def status(code: int, **headers: str) -> Route:
    return lambda _req: (code, {"Content-Type": "text/plain", **headers}, b"no")


def redirect(to: str) -> Route:
    return lambda _req: (302, {"Location": to}, b"")


def slow(seconds: float) -> Route:
    def route(_req: BaseHTTPRequestHandler) -> tuple[int, dict[str, str], bytes]:
        time.sleep(seconds)
        return 200, {"Content-Type": "text/html"}, b"<html>late</html>"

    return route


@dataclass
class LoopbackServer:
    """A scriptable HTTP server on 127.0.0.1 that logs every request it gets."""

    routes: dict[str, Route] = field(default_factory=dict)
    log: list[list[Any]] = field(default_factory=list)  # [path, headers, status]

    def start(self) -> LoopbackServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                entry = [self.path, dict(self.headers.items()), 0]  # logged on arrival
                server.log.append(entry)
                route = server.routes.get(self.path.split("?")[0], status(404))
                code, headers, body = route(self)
                entry[2] = code
                self.send_response(code)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                with contextlib.suppress(OSError):
                    self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def requests(self, path: str) -> list[tuple[dict[str, str], int]]:
        return [(headers, code) for p, headers, code in self.log if p == path]

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


@contextlib.contextmanager
def running_server() -> Iterator[LoopbackServer]:
    srv = LoopbackServer().start()
    try:
        yield srv
    finally:
        srv.stop()


@contextlib.contextmanager
def configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Claimwatch]:
    """claimwatch configured for one test in this process, on a fresh SQLite database."""
    env = {
        "CLAIMWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'claimwatch.sqlite'}",
        "CLAIMWATCH_ALLOWED_NETWORKS": "127.0.0.1/32",
        "CLAIMWATCH_READ_TIMEOUT": "1",
        "CLAIMWATCH_CONNECT_TIMEOUT": "1",
        "CLAIMWATCH_MAX_BODY_BYTES": "200000",
        "CLAIMWATCH_MAX_REDIRECTS": "3",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    cw = Claimwatch()
    cw.reset()
    from worker.app import app

    eager = app.conf.task_always_eager
    app.set_current()  # tasks are shared tasks: they go to the current app
    try:
        yield cw
    finally:
        app.conf.task_always_eager = eager
        monkeypatch.undo()
        cw.reset()


class Claimwatch:
    """The product's own entry points, in this process."""

    def reset(self) -> None:
        from config.settings import get_settings
        from tasks import context

        get_settings.cache_clear()
        context.engine.cache_clear()
        context.fetcher.cache_clear()

    def add(self, *urls: str) -> None:
        from ingest.feedlist import FeedSpec
        from storage.db import session_scope
        from storage.feeds import add_feeds
        from tasks.context import engine

        with session_scope(engine()) as session:
            add_feeds(session, [FeedSpec(u) for u in urls], None)

    def poll(self, *, all_feeds: bool = True) -> dict[str, dict[str, Any]]:
        from cli.poll_once import poll_once

        return {r["url"]: r for r in poll_once(all_feeds=all_feeds)}

    def rows(self, model: type, **where: Any) -> list[Any]:
        from sqlalchemy.orm import undefer
        from sqlmodel import select

        from storage.db import session_scope
        from tasks.context import engine

        with session_scope(engine()) as session:
            query = select(model).options(undefer("*"))  # read after the session closes
            for key, value in where.items():
                query = query.where(getattr(model, key) == value)
            return list(session.exec(query).all())
