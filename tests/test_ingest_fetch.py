"""Fetcher against real HTTP servers on loopback (no HTTP mocks).

The tests allow only 127.0.0.1/32 through the address guard, like an operator running the
loopback fake feed would.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import shutil
import ssl
import subprocess
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from ingest.errors import BlockedAddress, FetchError
from ingest.extract import extract_article
from ingest.fetch import (
    DEFAULT_USER_AGENT,
    AsyncFetcher,
    Fetcher,
    FetchResult,
    FetchSettings,
    parse_retry_after,
)
from ingest.guard import AddressGuard

Route = Callable[[BaseHTTPRequestHandler], None]
ALLOW_LOOPBACK = ("127.0.0.1/32",)


@dataclass
class Server:
    """A scriptable HTTP/1.1 server: ``routes[path] = handler(request)``."""

    host: str = "127.0.0.1"
    routes: dict[str, Route] = field(default_factory=dict)
    log: list[tuple[str, dict[str, str], tuple[str, int]]] = field(default_factory=list)
    sent: dict[str, int] = field(default_factory=dict)
    httpd: ThreadingHTTPServer | None = None
    ssl_context: ssl.SSLContext | None = None

    def start(self) -> Server:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def handle(self) -> None:
                with contextlib.suppress(OSError):  # clients that give up mid-body
                    super().handle()

            def do_GET(self) -> None:
                headers = {k.lower(): v for k, v in self.headers.items()}
                server.log.append((self.path, headers, self.client_address))
                route = server.routes.get(self.path.split("?")[0])
                if route is None:
                    send(self, 404, b"nope", "text/plain")
                    return
                route(self)

        self.httpd = ThreadingHTTPServer((self.host, 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.block_on_close = False
        if self.ssl_context is not None:
            self.httpd.socket = self.ssl_context.wrap_socket(self.httpd.socket, server_side=True)
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()
        return self

    def stop(self) -> None:
        assert self.httpd is not None
        self.httpd.shutdown()
        self.httpd.server_close()

    @property
    def port(self) -> int:
        assert self.httpd is not None
        return int(self.httpd.server_address[1])

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"


def send(
    req: BaseHTTPRequestHandler,
    status: int,
    body: bytes = b"",
    ctype: str | None = "text/html; charset=utf-8",
    headers: dict[str, str] | None = None,
) -> None:
    req.send_response(status)
    if ctype:
        req.send_header("Content-Type", ctype)
    for key, value in (headers or {}).items():
        req.send_header(key, value)
    req.send_header("Content-Length", str(len(body)))
    req.end_headers()
    if body:
        with contextlib.suppress(OSError):  # the client gave up (timeout tests)
            req.wfile.write(body)


PAGE = (
    b"<!DOCTYPE html><html lang='en'><head><title>Hello</title></head><body><article>"
    + b"<p>The council approved the new budget on Tuesday after a long debate.</p>" * 5
    + b"</article></body></html>"
)


@pytest.fixture
def server() -> Iterator[Server]:
    srv = Server().start()
    yield srv
    srv.stop()


class BlockingAsyncFetcher:
    """An :class:`AsyncFetcher` driven from synchronous tests, on its own event loop thread.

    Every fetcher test runs against both fetchers: they share their checks, and this proves it.
    """

    def __init__(self, settings: FetchSettings, guard: AddressGuard | None = None) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._async = self._run(self._make(settings, guard))
        self._client = self  # for tests that bypass the pre-check and use the client directly

    @staticmethod
    async def _make(settings: FetchSettings, guard: AddressGuard | None) -> AsyncFetcher:
        return AsyncFetcher(settings, guard=guard)

    def _run(self, coro):  # type: ignore[no-untyped-def]
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    def fetch(self, url: str, **kwargs: object) -> FetchResult:
        return self._run(self._async.fetch(url, **kwargs))  # type: ignore[arg-type]

    def get(self, url: str) -> object:
        return self._run(self._async._pool.request("GET", url))

    def close(self) -> None:
        self._run(self._async.aclose())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()


@contextlib.contextmanager
def make_fetcher(
    kind: str, settings: FetchSettings, guard: AddressGuard | None = None
) -> Iterator[Fetcher]:
    if kind == "sync":
        with Fetcher(settings, guard=guard) as f:
            yield f
        return
    f = BlockingAsyncFetcher(settings, guard)
    try:
        yield f  # type: ignore[misc]
    finally:
        f.close()


@pytest.fixture(params=["sync", "async"])
def kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def fetcher(kind: str) -> Iterator[Fetcher]:
    settings = FetchSettings(connect_timeout=1.0, read_timeout=0.5, allowed_networks=ALLOW_LOOPBACK)
    with make_fetcher(kind, settings) as f:
        yield f


def test_ok_page_headers_and_connection_reuse(server: Server, fetcher: Fetcher) -> None:
    server.routes["/a"] = lambda r: send(r, 200, PAGE, "text/html; charset=ISO-8859-1")
    first = fetcher.fetch(server.url("/a"), accept="html")
    second = fetcher.fetch(server.url("/a"), accept="html")
    assert first.status == 200 and first.body == PAGE and not first.not_modified
    assert first.content_type == "text/html" and first.encoding == "iso-8859-1"
    assert first.url == server.url("/a") and first.redirects == ()
    assert 0 <= first.elapsed < 1 and second.body == PAGE
    _, headers, client_1 = server.log[0]
    assert headers["user-agent"] == DEFAULT_USER_AGENT
    assert headers["accept"].startswith("text/html")
    assert "if-none-match" not in headers
    assert server.log[1][2] == client_1  # same client socket: the connection was reused


def test_conditional_get_304(server: Server, fetcher: Fetcher) -> None:
    etag, modified = '"v1"', "Tue, 11 Oct 2022 14:00:00 GMT"

    def feed(r: BaseHTTPRequestHandler) -> None:
        if r.headers.get("If-None-Match") == etag:
            r.send_response(304)
            r.send_header("ETag", etag)
            r.end_headers()
            return
        send(r, 200, b"<rss version='2.0'><channel/></rss>", "application/rss+xml",
             {"ETag": etag, "Last-Modified": modified})

    server.routes["/feed"] = feed
    first = fetcher.fetch(server.url("/feed"), accept="feed")
    assert (first.etag, first.last_modified) == (etag, modified)
    again = fetcher.fetch(server.url("/feed"), etag=first.etag,
                          last_modified=first.last_modified, accept="feed")
    assert again.not_modified and again.status == 304 and again.body == b""
    assert (again.etag, again.last_modified) == (etag, modified)  # validators carried over
    sent = server.log[-1][1]
    assert sent["if-none-match"] == etag and sent["if-modified-since"] == modified


def test_429_with_retry_after_seconds(server: Server, fetcher: Fetcher) -> None:
    server.routes["/busy"] = lambda r: send(r, 429, b"slow down", "text/plain",
                                            {"Retry-After": "120"})
    before = datetime.now(UTC)
    with pytest.raises(FetchError) as info:
        fetcher.fetch(server.url("/busy"))
    err = info.value
    assert (err.reason, err.status) == ("http_429", 429)
    assert err.retry_after is not None
    assert before + timedelta(seconds=119) <= err.retry_after <= before + timedelta(seconds=125)
    assert err.url == server.url("/busy")


def test_503_with_retry_after_http_date(server: Server, fetcher: Fetcher) -> None:
    when = (datetime.now(UTC) + timedelta(hours=2)).replace(microsecond=0)
    server.routes["/down"] = lambda r: send(r, 503, b"maintenance", "text/plain",
                                            {"Retry-After": format_datetime(when, usegmt=True)})
    with pytest.raises(FetchError) as info:
        fetcher.fetch(server.url("/down"))
    assert (info.value.reason, info.value.status, info.value.retry_after) == ("http_503", 503, when)


def test_parse_retry_after_edge_cases() -> None:
    now = datetime(2024, 1, 1, tzinfo=UTC)
    assert parse_retry_after("0", now) == now
    assert parse_retry_after("Mon, 01 Jan 2001 00:00:00 GMT", now) == now  # past -> now
    assert parse_retry_after("soon", now) is None and parse_retry_after(None, now) is None
    assert parse_retry_after("99999999999", now) == now + timedelta(days=30)  # capped


@pytest.mark.parametrize("status", [500, 404, 410])
def test_http_errors(server: Server, fetcher: Fetcher, status: int) -> None:
    server.routes["/err"] = lambda r: send(r, status, b"error page")
    with pytest.raises(FetchError) as info:
        fetcher.fetch(server.url("/err"))
    assert (info.value.reason, info.value.status) == ("http_error", status)
    assert info.value.retry_after is None


def test_read_timeout(server: Server, fetcher: Fetcher) -> None:
    def slow(r: BaseHTTPRequestHandler) -> None:
        time.sleep(1.5)
        send(r, 200, PAGE)

    server.routes["/slow"] = slow
    started = time.monotonic()
    with pytest.raises(FetchError) as info:
        fetcher.fetch(server.url("/slow"))
    assert info.value.reason == "timeout"
    assert time.monotonic() - started < 1.2


def test_total_deadline_stops_slow_drip(server: Server) -> None:
    """Each read beats read_timeout, but the whole body takes too long."""

    def drip(r: BaseHTTPRequestHandler) -> None:
        r.send_response(200)
        r.send_header("Content-Type", "text/html")
        r.send_header("Content-Length", "1000")
        r.end_headers()
        try:
            for _ in range(1000):
                r.wfile.write(b"x")
                r.wfile.flush()
                time.sleep(0.05)
        except OSError:
            pass

    server.routes["/drip"] = drip
    settings = FetchSettings(read_timeout=0.5, total_timeout=0.6, allowed_networks=ALLOW_LOOPBACK)
    started = time.monotonic()
    with Fetcher(settings) as f, pytest.raises(FetchError) as info:
        f.fetch(server.url("/drip"))
    assert info.value.reason == "timeout"
    assert time.monotonic() - started < 2


def test_connection_refused(fetcher: Fetcher) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(FetchError) as info:
        fetcher.fetch(f"http://127.0.0.1:{port}/")
    assert info.value.reason == "connect_error"


def redirect(to: str, status: int = 302) -> Route:
    return lambda r: send(r, status, b"", None, {"Location": to})


def test_redirects_followed_relative_and_permanent(server: Server, fetcher: Fetcher) -> None:
    server.routes["/old"] = redirect("/mid", 301)
    server.routes["/mid"] = redirect(server.url("/new"), 308)
    server.routes["/new"] = lambda r: send(r, 200, PAGE)
    result = fetcher.fetch(server.url("/old"), accept="html")
    assert result.url == server.url("/new") and result.body == PAGE
    assert result.redirects == (server.url("/old"), server.url("/mid"))
    assert result.permanent_redirect
    server.routes["/tmp"] = redirect("/new", 302)
    assert not fetcher.fetch(server.url("/tmp")).permanent_redirect


def test_redirect_loop(server: Server, fetcher: Fetcher) -> None:
    server.routes["/a"] = redirect("/b")
    server.routes["/b"] = redirect("/a")
    with pytest.raises(FetchError) as info:
        fetcher.fetch(server.url("/a"))
    assert info.value.reason == "redirect_loop"
    assert len(server.log) == 2


def test_too_many_redirects(server: Server, fetcher: Fetcher) -> None:
    for i in range(20):
        server.routes[f"/r{i}"] = redirect(f"/r{i + 1}")
    with pytest.raises(FetchError) as info:
        fetcher.fetch(server.url("/r0"))
    assert info.value.reason == "too_many_redirects"
    assert len(server.log) == 6  # the first request plus 5 followed redirects


def test_redirect_without_location(server: Server, fetcher: Fetcher) -> None:
    server.routes["/x"] = lambda r: send(r, 302, b"")
    with pytest.raises(FetchError) as info:
        fetcher.fetch(server.url("/x"))
    assert info.value.reason == "bad_redirect"


def test_redirect_to_blocked_hosts_is_refused(server: Server, fetcher: Fetcher) -> None:
    server.routes["/to-metadata"] = redirect("http://169.254.169.254/latest/meta-data/")
    server.routes["/to-private"] = redirect("http://10.0.0.1/admin")
    server.routes["/to-v6-loopback"] = redirect("http://[::1]:8080/")
    server.routes["/to-file"] = redirect("file:///etc/passwd")
    for path, reason in [("/to-metadata", "blocked_address"), ("/to-private", "blocked_address"),
                         ("/to-v6-loopback", "blocked_address"), ("/to-file", "blocked_scheme")]:
        with pytest.raises(BlockedAddress) as info:
            fetcher.fetch(server.url(path))
        assert info.value.reason == reason
        assert info.value.url != server.url(path)  # names the refused hop


def test_redirect_to_other_loopback_server_is_never_contacted(
    server: Server, fetcher: Fetcher
) -> None:
    try:
        other = Server(host="127.0.0.2").start()  # loopback, but outside the allowed /32
    except OSError:
        pytest.skip("127.0.0.2 is not configured on this machine")
    try:
        other.routes["/secret"] = lambda r: send(r, 200, b"internal")
        server.routes["/to-other"] = redirect(other.url("/secret"))
        with pytest.raises(BlockedAddress) as info:
            fetcher.fetch(server.url("/to-other"))
        assert info.value.reason == "blocked_address"
        # Directly, too: the connection-level check refuses even without the pre-check.
        with pytest.raises(BlockedAddress):
            fetcher._client.get(other.url("/secret"))
        assert other.log == []  # never contacted
    finally:
        other.stop()


def test_connects_to_resolved_address_with_original_host_header(server: Server, kind: str) -> None:
    server.routes["/p"] = lambda r: send(r, 200, PAGE)
    guard = AddressGuard(ALLOW_LOOPBACK, resolver=lambda host, port: ["127.0.0.1"])
    with make_fetcher(kind, FetchSettings(allowed_networks=ALLOW_LOOPBACK), guard) as f:
        result = f.fetch(f"http://news.example:{server.port}/p")
    assert result.body == PAGE
    assert server.log[-1][1]["host"] == f"news.example:{server.port}"


def test_oversized_declared_length_is_refused_before_reading(server: Server) -> None:
    def huge(r: BaseHTTPRequestHandler) -> None:
        r.send_response(200)
        r.send_header("Content-Type", "text/html")
        r.send_header("Content-Length", str(100 * 1024 * 1024))
        r.end_headers()
        with contextlib.suppress(OSError):
            r.wfile.write(b"x" * 1024)

    server.routes["/huge"] = huge
    with Fetcher(FetchSettings(max_bytes=64 * 1024, allowed_networks=ALLOW_LOOPBACK)) as f, \
            pytest.raises(FetchError) as info:
        f.fetch(server.url("/huge"))
    assert info.value.reason == "too_large"
    assert "Content-Length" in info.value.message


def test_oversized_streamed_body_is_cut_off(server: Server) -> None:
    total = 200 * 1024 * 1024

    def endless(r: BaseHTTPRequestHandler) -> None:
        r.send_response(200)
        r.send_header("Content-Type", "text/html")
        r.send_header("Transfer-Encoding", "chunked")
        r.end_headers()
        chunk = b"x" * 65536
        sent = 0
        try:
            while sent < total:
                r.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
        except OSError:
            pass
        finally:
            server.sent["endless"] = sent

    server.routes["/endless"] = endless
    started = time.monotonic()
    with Fetcher(FetchSettings(max_bytes=256 * 1024, allowed_networks=ALLOW_LOOPBACK)) as f, \
            pytest.raises(FetchError) as info:
        f.fetch(server.url("/endless"))
    assert info.value.reason == "too_large"
    assert time.monotonic() - started < 3
    deadline = time.monotonic() + 3
    while "endless" not in server.sent and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.sent["endless"] < 32 * 1024 * 1024  # stopped long before the 200 MB


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return gzip.compress(b"\0" * (64 * 1024 * 1024), compresslevel=9)


def test_gzip_bomb(server: Server, fetcher: Fetcher, bomb: bytes) -> None:
    assert len(bomb) < 200 * 1024  # small on the wire, 64 MB decoded
    server.routes["/bomb"] = lambda r: send(r, 200, bomb, "text/html",
                                            {"Content-Encoding": "gzip"})
    with pytest.raises(FetchError) as info:
        fetcher.fetch(server.url("/bomb"), accept="html")
    assert info.value.reason == "decompression_bomb"


def test_decoded_size_limit_applies_even_at_modest_ratio(server: Server) -> None:
    body = gzip.compress(bytes(range(256)) * 8192)  # 2 MB that compresses modestly
    server.routes["/big"] = lambda r: send(r, 200, body, "text/html", {"Content-Encoding": "gzip"})
    settings = FetchSettings(max_decoded_bytes=1024 * 1024, allowed_networks=ALLOW_LOOPBACK)
    with Fetcher(settings) as f, pytest.raises(FetchError) as info:
        f.fetch(server.url("/big"))
    assert info.value.reason == "decompression_bomb"


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda b: zlib.compress(b)[2:-4]),  # raw deflate, as some servers send
    ],
)
def test_compressed_pages_are_decoded(
    server: Server, fetcher: Fetcher, encoding: str, encode: Callable[[bytes], bytes]
) -> None:
    server.routes["/z"] = lambda r: send(r, 200, encode(PAGE), "text/html",
                                         {"Content-Encoding": encoding})
    assert fetcher.fetch(server.url("/z"), accept="html").body == PAGE


def test_corrupt_and_unknown_encodings(server: Server, fetcher: Fetcher) -> None:
    server.routes["/corrupt"] = lambda r: send(r, 200, b"\x1f\x8bnot really gzip",
                                               "text/html", {"Content-Encoding": "gzip"})
    server.routes["/br"] = lambda r: send(r, 200, b"\x0b\x02\x80", "text/html",
                                          {"Content-Encoding": "br"})
    for path in ("/corrupt", "/br"):
        with pytest.raises(FetchError) as info:
            fetcher.fetch(server.url(path))
        assert info.value.reason == "bad_encoding"


def test_non_html_content_type_for_article(server: Server, fetcher: Fetcher) -> None:
    server.routes["/doc.pdf"] = lambda r: send(r, 200, b"%PDF-1.4" + b"\0" * 1000,
                                               "application/pdf")
    server.routes["/plain"] = lambda r: send(r, 200, b"just text", "text/plain")
    server.routes["/untyped"] = lambda r: send(r, 200, b"\x89PNG\r\n", None)
    for path in ("/doc.pdf", "/plain", "/untyped"):
        with pytest.raises(FetchError) as info:
            fetcher.fetch(server.url(path), accept="html")
        assert info.value.reason == "not_html", path
    # The same PDF is fine when the caller accepts anything.
    assert fetcher.fetch(server.url("/doc.pdf")).content_type == "application/pdf"


def test_feed_content_type_check(server: Server, fetcher: Fetcher) -> None:
    server.routes["/img"] = lambda r: send(r, 200, b"\x89PNG", "image/png")
    server.routes["/sloppy"] = lambda r: send(r, 200, b"<rss/>", "text/html")
    with pytest.raises(FetchError) as info:
        fetcher.fetch(server.url("/img"), accept="feed")
    assert info.value.reason == "not_a_feed"
    assert fetcher.fetch(server.url("/sloppy"), accept="feed").body == b"<rss/>"


def test_wrong_charset_is_survived_and_recorded(server: Server, fetcher: Fetcher) -> None:
    text = ("Le café du coin a rouvert ses portes après une longue fermeture. "
            "Les habitués sont ravis de retrouver leur crème brûlée préférée. ")
    page = (f"<html><head><title>Café</title></head><body><article>"
            f"{''.join(f'<p>{text}</p>' for _ in range(4))}</article></body></html>")
    # Declared UTF-8, actually Windows-1252: invalid UTF-8 bytes.
    server.routes["/fr"] = lambda r: send(r, 200, page.encode("cp1252"),
                                          "text/html; charset=utf-8")
    result = fetcher.fetch(server.url("/fr"), accept="html")
    assert result.encoding == "utf-8"
    article = extract_article(result.body, result.url, result.encoding)
    assert "café du coin" in article.text and "crème brûlée" in article.text
    assert article.encoding in ("cp1252", "iso8859-1", "latin_1", "iso8859-15")
    assert any(p.startswith("bad_charset") for p in article.problems)


def test_https_verifies_the_host_name_while_connecting_to_the_checked_address(
    tmp_path: Path, kind: str
) -> None:
    """TLS to news.example (resolved by the guard to 127.0.0.1): SNI and certificate checks
    use the name, the TCP connection goes to the approved address."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl CLI not available")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=news.example",
         "-addext", "subjectAltName=DNS:news.example"],
        check=True, capture_output=True, timeout=30,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    srv = Server(ssl_context=context)
    srv.routes["/secure"] = lambda r: send(r, 200, PAGE)
    srv.start()
    try:
        guard = AddressGuard(ALLOW_LOOPBACK, resolver=lambda host, port: ["127.0.0.1"])
        settings = FetchSettings(ca_bundle=str(cert), allowed_networks=ALLOW_LOOPBACK)
        with make_fetcher(kind, settings, guard) as f:
            result = f.fetch(f"https://news.example:{srv.port}/secure", accept="html")
            assert result.body == PAGE
            assert srv.log[-1][1]["host"] == f"news.example:{srv.port}"
            # The certificate does not name 127.0.0.1: refused.
            with pytest.raises(FetchError) as info:
                f.fetch(f"https://127.0.0.1:{srv.port}/secure")
            assert info.value.reason == "tls_error"
    finally:
        srv.stop()


def test_invalid_location_and_unknown_charset(server: Server, fetcher: Fetcher) -> None:
    server.routes["/badloc"] = redirect("http://news.example:notaport/")
    with pytest.raises(FetchError) as info:
        fetcher.fetch(server.url("/badloc"))
    assert info.value.reason == "bad_redirect"
    server.routes["/cs"] = lambda r: send(r, 200, PAGE, "text/html; charset=x-klingon")
    result = fetcher.fetch(server.url("/cs"), accept="html")
    assert result.encoding == "x-klingon"
    assert result.problems == ("bad_charset: unknown charset 'x-klingon' in Content-Type",)
    article = extract_article(result.body, result.url, result.encoding)
    assert "council approved" in article.text
    assert article.problems == ("bad_charset: unknown declared charset 'x-klingon'",)


def test_which_fetch_errors_are_worth_another_try() -> None:
    assert FetchError("http_429").transient and FetchError("timeout").transient
    assert FetchError("http_error", status=502).transient
    assert not FetchError("http_error", status=404).transient
    assert not FetchError("blocked_address").transient
    assert not FetchError("decompression_bomb").transient
