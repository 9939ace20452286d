"""Polite, bounded HTTP fetching of feeds and article pages.

Why this is more than ``httpx.get``: every URL here comes from the outside world, so the
fetcher must never hang (connect/read timeouts plus an overall deadline), never exhaust
memory (body limit while streaming, decompression-bomb guard), never be steered into the
internal network (address guard on every connection and every redirect hop), and must be a
good citizen (conditional GET, honest User-Agent, Retry-After). Failures become
:class:`FetchError` values with a reason code the caller records on the feed or article.

Reason codes: ``timeout``, ``connect_error``, ``tls_error``, ``network_error``, ``dns_error``,
``bad_url``, ``blocked_address``, ``blocked_scheme``, ``blocked_credentials``, ``redirect_loop``,
``too_many_redirects``, ``bad_redirect``, ``too_large``, ``decompression_bomb``,
``bad_encoding``, ``not_html``, ``not_a_feed``, ``http_429``, ``http_503``, ``http_error``.

:class:`Fetcher` fetches one URL at a time (articles); :class:`AsyncFetcher` many at once
(a batch of feeds). Both run the same checks (``_Hops``, ``_Response``); only I/O differs.
"""

from __future__ import annotations

import codecs
import dataclasses
import email.utils
import ssl
import time
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from types import TracebackType
from typing import Any, Literal, Self

import httpcore
import httpx

from ingest.errors import FetchError
from ingest.guard import AddressGuard, GuardedAsyncNetworkBackend, GuardedNetworkBackend

DEFAULT_USER_AGENT = "claimwatch/0.1 (+https://github.com/claimwatch/claimwatch)"

Accept = Literal["feed", "html", "any"]

ACCEPT_HEADERS: dict[str, str] = {
    "feed": (
        "application/rss+xml, application/atom+xml, application/feed+json, "
        "application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.1"
    ),
    "html": "text/html, application/xhtml+xml;q=0.9, */*;q=0.1",
    "any": "*/*",
}

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
# Feeds are often served with sloppy types (text/html, text/plain, octet-stream); only types
# that can never be a feed are refused up front, the parser judges the rest.
NON_FEED_PREFIXES = ("image/", "audio/", "video/", "font/", "model/")
NON_FEED_TYPES = frozenset(
    {"application/pdf", "application/zip", "application/gzip", "application/x-gzip",
     "application/wasm", "application/msword", "application/x-tar"}
)
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_RETRY_AFTER = timedelta(days=30)


@dataclass(frozen=True)
class FetchSettings:
    """Limits and identity for a :class:`Fetcher`; built by the caller from its config."""

    user_agent: str = DEFAULT_USER_AGENT
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    max_bytes: int = 5 * 1024 * 1024
    max_redirects: int = 5
    allowed_networks: tuple[str, ...] = ()
    # Bomb guard: decoded size limit, and a compression-ratio limit applied once the decoded
    # body passes ``ratio_floor_bytes`` (small repetitive bodies legitimately compress well).
    max_decoded_bytes: int = 20 * 1024 * 1024
    max_compression_ratio: float = 100.0
    ratio_floor_bytes: int = 1024 * 1024
    # Whole fetch (all hops, body included); stops slow-drip servers that beat read_timeout.
    total_timeout: float = 60.0
    # Extra trust anchors (PEM file) instead of the default CA bundle, e.g. an internal CA.
    ca_bundle: str | None = None


@dataclass(frozen=True)
class FetchResult:
    """A successful (2xx) or not-modified (304) response, body fully read.

    ``body`` is Content-Encoding-decoded bytes; ``encoding`` is the charset the server
    declared (undecoded text is the extractor's job). ``url`` is the final URL after
    ``redirects``; ``permanent_redirect`` means every hop was 301/308 (update the stored URL).
    """

    url: str
    status: int
    headers: dict[str, str]
    body: bytes
    etag: str | None
    last_modified: str | None
    content_type: str | None
    encoding: str | None
    elapsed: float
    not_modified: bool = False
    retry_after: datetime | None = None
    redirects: tuple[str, ...] = ()
    permanent_redirect: bool = False
    problems: tuple[str, ...] = field(default_factory=tuple)


def parse_retry_after(value: str | None, now: datetime | None = None) -> datetime | None:
    """Retry-After as an absolute UTC time: delta-seconds or an HTTP date; None if unusable."""
    if not value:
        return None
    now = now or datetime.now(UTC)
    text = value.strip()
    if text.isdigit():
        delay = timedelta(seconds=min(int(text), int(MAX_RETRY_AFTER.total_seconds())))
        return now + delay
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    when = when.astimezone(UTC)
    return max(now, min(when, now + MAX_RETRY_AFTER))


def parse_content_type(value: str | None) -> tuple[str | None, str | None]:
    """Split a Content-Type header into (lower-case media type, charset or None)."""
    if not value:
        return None, None
    parts = value.split(";")
    media = parts[0].strip().lower() or None
    charset = None
    for param in parts[1:]:
        key, _, val = param.partition("=")
        if key.strip().lower() == "charset":
            charset = val.strip().strip("\"'").lower() or None
    return media, charset


class _Decoder:
    """Incremental Content-Encoding decoder with output limits (bomb guard)."""

    def __init__(self, encoding: str, settings: FetchSettings) -> None:
        self.encoding = encoding
        self.settings = settings
        self.raw = 0
        self.decoded = 0
        self._zlib: zlib._Decompress | None = None
        self._pending_deflate = b""
        if encoding in ("gzip", "x-gzip"):
            self._zlib = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        elif encoding not in ("", "identity", "deflate"):
            raise FetchError("bad_encoding", f"unsupported Content-Encoding {encoding!r}")

    def _limit(self) -> int:
        return self.settings.max_decoded_bytes - self.decoded + 1

    def _account(self, out: bytes) -> bytes:
        self.decoded += len(out)
        s = self.settings
        if self.decoded > s.max_decoded_bytes:
            if self.encoding in ("", "identity"):
                raise FetchError("too_large", f"body exceeds {s.max_decoded_bytes} bytes")
            raise FetchError(
                "decompression_bomb",
                f"decoded body exceeds {s.max_decoded_bytes} bytes ({self.raw} bytes on the wire)",
            )
        if (
            self.encoding not in ("", "identity")
            and self.decoded > s.ratio_floor_bytes
            and self.decoded > s.max_compression_ratio * max(self.raw, 1)
        ):
            raise FetchError(
                "decompression_bomb",
                f"compression ratio above {s.max_compression_ratio:g} "
                f"({self.decoded} bytes from {self.raw})",
            )
        return out

    def feed(self, chunk: bytes) -> Iterator[bytes]:
        """Decode one wire chunk; yields decoded pieces, each within the limits."""
        self.raw += len(chunk)
        if self.encoding in ("", "identity"):
            yield self._account(chunk)
            return
        if self._zlib is None:  # deflate: zlib-wrapped per RFC, raw deflate in the wild
            self._pending_deflate += chunk
            if len(self._pending_deflate) < 2:
                return
            chunk, self._pending_deflate = self._pending_deflate, b""
            wrapped = (chunk[0] & 0x0F) == 8 and ((chunk[0] << 8) | chunk[1]) % 31 == 0
            self._zlib = zlib.decompressobj(wbits=zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
        yield from self._inflate(chunk)

    def _inflate(self, data: bytes) -> Iterator[bytes]:
        assert self._zlib is not None
        while data:
            try:
                out = self._zlib.decompress(data, self._limit())
            except zlib.error as exc:
                raise FetchError("bad_encoding", f"corrupt {self.encoding} body: {exc}") from exc
            if out:
                yield self._account(out)
            data = self._zlib.unconsumed_tail
            if not data and self._zlib.eof and self._zlib.unused_data.strip(b"\0"):
                data = self._zlib.unused_data  # concatenated gzip members
                self._zlib = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)

    def flush(self) -> bytes:
        """Decoded bytes still buffered at the end of the body."""
        if self._zlib is None:
            if not self._pending_deflate:
                return b""
            self._zlib = zlib.decompressobj(wbits=-zlib.MAX_WBITS)
            pending, self._pending_deflate = self._pending_deflate, b""
            head = b"".join(self._inflate(pending))
        else:
            head = b""
        try:
            return head + self._account(self._zlib.flush())
        except zlib.error as exc:
            raise FetchError("bad_encoding", f"corrupt {self.encoding} body: {exc}") from exc


class GuardedTransport(httpx.HTTPTransport):
    """httpx transport whose connection pool connects through the address guard.

    Fetches use it, and so do webhook deliveries: both send requests to URLs that
    outsiders choose.
    """

    def __init__(
        self,
        guard: AddressGuard,
        limits: httpx.Limits | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        limits = limits or httpx.Limits()
        ssl_context = ssl_context or _ssl_context(None)
        super().__init__(verify=ssl_context, trust_env=False, limits=limits)
        if not hasattr(self, "_pool"):  # pragma: no cover - httpx internals changed
            raise RuntimeError("unsupported httpx version: HTTPTransport has no _pool")
        self._pool = httpcore.ConnectionPool(
            network_backend=GuardedNetworkBackend(guard), **_pool_options(limits, ssl_context)
        )


def _pool_options(limits: httpx.Limits, ssl_context: ssl.SSLContext) -> dict[str, Any]:
    """httpcore pool options like httpx's default pool; only the network backend differs.

    TLS still verifies the certificate against the URL's host name (SNI too): only the TCP
    connect goes to the address the guard approved.
    """
    return {
        "ssl_context": ssl_context,
        "max_connections": limits.max_connections,
        "max_keepalive_connections": limits.max_keepalive_connections,
        "keepalive_expiry": limits.keepalive_expiry,
        "http1": True,
        "http2": False,
    }


def _client_options(settings: FetchSettings) -> dict[str, Any]:
    """What the sync and async clients share: timeouts, identity, no implicit behaviour."""
    s = settings
    return {
        "timeout": httpx.Timeout(
            connect=s.connect_timeout, read=s.read_timeout, write=s.read_timeout,
            pool=s.connect_timeout,
        ),
        "follow_redirects": False,
        "trust_env": False,
        "headers": {"User-Agent": s.user_agent},
    }


@lru_cache(maxsize=8)
def _ssl_context(ca_bundle: str | None) -> ssl.SSLContext:
    """Loading trust anchors costs milliseconds; a context is shared by every client."""
    if ca_bundle:
        return ssl.create_default_context(cafile=ca_bundle)
    return httpx.create_ssl_context()


def _request_headers(accept: Accept, etag: str | None, last_modified: str | None) -> dict[str, str]:
    headers = {"Accept": ACCEPT_HEADERS[accept], "Accept-Encoding": "gzip, deflate"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


class _Hops:
    """Manual redirect following: the deadline, loop and hop-count rules of one fetch."""

    def __init__(self, url: str, settings: FetchSettings) -> None:
        self.url = url
        self.settings = settings
        self.started = time.monotonic()
        self.deadline = self.started + settings.total_timeout
        self.current = url
        self.visited: list[str] = []
        self.permanent = True

    def enter(self) -> str:
        """Start a request to the current hop (raises once the deadline has passed)."""
        if time.monotonic() > self.deadline:
            raise FetchError("timeout", f"fetch exceeded {self.settings.total_timeout:g} s",
                             url=self.current)
        self.visited.append(self.current)
        return self.current

    def follow(self, status: int, location: str | None) -> None:
        """Move to the redirect target, refusing loops, excess hops and bad Locations."""
        current = self.current
        if location is None:
            raise FetchError("bad_redirect", f"HTTP {status} without Location", url=current,
                             status=status)
        try:
            nxt = str(httpx.URL(current).join(location))
        except (httpx.InvalidURL, ValueError) as exc:
            raise FetchError("bad_redirect", f"invalid Location {location!r}: {exc}",
                             url=current, status=status) from exc
        if nxt in self.visited:
            raise FetchError("redirect_loop", f"redirect loop back to {nxt}", url=self.url,
                             status=status)
        if len(self.visited) > self.settings.max_redirects:
            raise FetchError("too_many_redirects",
                             f"more than {self.settings.max_redirects} redirects", url=self.url,
                             status=status)
        self.permanent = self.permanent and status in (301, 308)
        self.current = nxt

    def done(self, result: FetchResult) -> FetchResult:
        redirects = tuple(self.visited[:-1])
        if not redirects:
            return result
        return dataclasses.replace(result, redirects=redirects, permanent_redirect=self.permanent)

    def error(self, exc: Exception) -> FetchError:
        """The :class:`FetchError` for an httpx or httpcore error raised by one request."""
        current = self.current
        if isinstance(exc, (httpx.TimeoutException, httpcore.TimeoutException)):
            return FetchError("timeout", f"timed out: {exc!r}", url=current)
        if isinstance(exc, (httpx.ConnectError, httpcore.ConnectError)):
            tls = "SSL" in repr(exc) or "CERTIFICATE" in repr(exc)
            return FetchError("tls_error" if tls else "connect_error", f"cannot connect: {exc}",
                              url=current)
        if isinstance(exc, (httpx.InvalidURL, httpcore.UnsupportedProtocol)):
            return FetchError("bad_url", f"invalid URL: {exc}", url=current)
        # httpx validates a redirect's Location before handing the response over.
        bad_location = isinstance(exc, httpx.RemoteProtocolError) and (
            "location header" in str(exc).lower()
        )
        return FetchError("bad_redirect" if bad_location else "network_error",
                          f"{type(exc).__name__}: {exc}", url=current)


HTTPX_ERRORS = (httpx.HTTPError, httpx.InvalidURL)
HTTPCORE_ERRORS = (httpcore.NetworkError, httpcore.TimeoutException, httpcore.ProtocolError,
                   httpcore.UnsupportedProtocol, httpx.InvalidURL)


class _Response:
    """The checks on one response that do not depend on how its body is read.

    :meth:`head` runs on the status line and headers (redirects, 304, 429/503, errors,
    content type, declared length); :meth:`chunk` accounts each streamed chunk (size,
    decoding, bomb guard, deadline); :meth:`result` builds the final result. The sync and
    async fetchers differ only in how they stream.
    """

    def __init__(self, hops: _Hops, request_headers: Mapping[str, str], accept: Accept,
                 status: int, reason: str, headers: Iterable[tuple[str, str]]) -> None:
        self.hops = hops
        self.accept = accept
        self.request_headers = request_headers
        self.status = status
        self.reason = reason
        self.headers = {k.lower(): v for k, v in headers}
        self.media, self.charset = parse_content_type(self.headers.get("content-type"))
        self.retry_after = parse_retry_after(self.headers.get("retry-after"))
        self._decoder: _Decoder | None = None
        self._parts: list[bytes] = []

    def head(self) -> FetchResult | None:
        """The result for a 304, else None; raises on refusal.

        After None, either :attr:`redirected` is set (``hops`` moved on to the target) or
        the body must be streamed through :meth:`chunk`.
        """
        url, status, headers = self.hops.current, self.status, self.headers
        if status in REDIRECT_STATUSES:
            self.hops.follow(status, headers.get("location"))
            return None
        if status == 304:
            return FetchResult(
                url=url, status=304, headers=headers, body=b"",
                etag=headers.get("etag") or self.request_headers.get("If-None-Match"),
                last_modified=(headers.get("last-modified")
                               or self.request_headers.get("If-Modified-Since")),
                content_type=self.media, encoding=self.charset,
                elapsed=time.monotonic() - self.hops.started, not_modified=True,
                retry_after=self.retry_after,
            )
        reason = self.reason
        if status in (429, 503):
            raise FetchError(f"http_{status}", f"HTTP {status} {reason}", url=url,
                             status=status, retry_after=self.retry_after)
        if status >= 300 or status < 200:
            raise FetchError("http_error", f"HTTP {status} {reason}", url=url, status=status,
                             retry_after=self.retry_after)
        self._check_type(url)
        s = self.hops.settings
        declared = headers.get("content-length")
        if declared and declared.strip().isdigit() and int(declared) > s.max_bytes:
            raise FetchError("too_large", f"Content-Length {declared} exceeds {s.max_bytes} bytes",
                             status=status)
        self._decoder = _Decoder(headers.get("content-encoding", "").strip().lower(), s)
        return None

    @property
    def redirected(self) -> bool:
        return self.status in REDIRECT_STATUSES

    def _check_type(self, url: str) -> None:
        """Refuse bodies the caller cannot use before downloading them."""
        media, accept = self.media, self.accept
        if media is None or accept == "any":
            return
        if accept == "html" and media not in HTML_TYPES:
            raise FetchError("not_html", f"Content-Type {media} is not HTML", url=url)
        if accept == "feed" and (media.startswith(NON_FEED_PREFIXES) or media in NON_FEED_TYPES):
            raise FetchError("not_a_feed", f"Content-Type {media} cannot be a feed", url=url)

    def chunk(self, chunk: bytes) -> None:
        """Account one raw chunk as it arrives (no re-chunking)."""
        assert self._decoder is not None
        s = self.hops.settings
        if self._decoder.raw + len(chunk) > s.max_bytes:
            raise FetchError("too_large", f"body exceeds {s.max_bytes} bytes", status=self.status)
        if time.monotonic() > self.hops.deadline:
            raise FetchError("timeout", f"fetch exceeded {s.total_timeout:g} s",
                             status=self.status)
        self._parts.extend(self._decoder.feed(chunk))

    def result(self) -> FetchResult:
        assert self._decoder is not None
        self._parts.append(self._decoder.flush())
        body = b"".join(self._parts)
        url = self.hops.current
        if self.accept == "html" and self.media is None and not _looks_like_html(body):
            raise FetchError("not_html", "no Content-Type and body does not look like HTML",
                             url=url, status=self.status)
        return self.hops.done(FetchResult(
            url=url, status=self.status, headers=self.headers, body=body,
            etag=self.headers.get("etag"), last_modified=self.headers.get("last-modified"),
            content_type=self.media, encoding=self.charset,
            elapsed=time.monotonic() - self.hops.started, retry_after=self.retry_after,
            problems=_charset_problems(self.charset),
        ))


class Fetcher:
    """Fetches URLs under :class:`FetchSettings`; one shared connection pool per instance.

    Not tied to Celery or a database: ``fetch`` returns a :class:`FetchResult` or raises
    :class:`FetchError`. Use as a context manager or call :meth:`close`. ``guard`` overrides
    the guard built from ``settings.allowed_networks`` (tests inject a resolver with it).
    """

    def __init__(
        self, settings: FetchSettings | None = None, *, guard: AddressGuard | None = None
    ) -> None:
        self.settings = settings or FetchSettings()
        self.guard = guard or AddressGuard(self.settings.allowed_networks)
        self._client = httpx.Client(
            transport=GuardedTransport(
                self.guard, httpx.Limits(max_connections=50, max_keepalive_connections=10),
                _ssl_context(self.settings.ca_bundle),
            ),
            **_client_options(self.settings),
        )

    def close(self) -> None:
        """Close pooled connections."""
        self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: Accept = "any",
    ) -> FetchResult:
        """GET ``url`` following redirects manually; raise :class:`FetchError` on failure.

        ``etag`` / ``last_modified`` are the validators stored from the previous fetch; a 304
        answer gives ``not_modified=True`` and an empty body. ``accept`` says what the caller
        can use: ``"feed"``, ``"html"`` or ``"any"`` (drives Accept and the content-type check).
        """
        hops = _Hops(url, self.settings)
        headers = _request_headers(accept, etag, last_modified)
        while True:
            current = hops.enter()
            try:
                self.guard.check(current)  # early and clear; the backend checks again
                with self._client.stream("GET", current, headers=headers) as response:
                    checked = _Response(hops, headers, accept, response.status_code,
                                        response.reason_phrase, response.headers.items())
                    result = checked.head()
                    if result is not None:
                        response.read()  # a 304 has no body: reading it keeps the connection
                        return hops.done(result)
                    if checked.redirected:
                        continue
                    for chunk in response.iter_raw():
                        checked.chunk(chunk)
                    return checked.result()
            except FetchError as exc:
                exc.url = exc.url or current
                raise
            except HTTPX_ERRORS as exc:
                raise hops.error(exc) from exc


class AsyncFetcher:
    """:class:`Fetcher` for asyncio: the same checks and limits, for polling many feeds at once.

    Only the I/O differs: requests go straight to an httpcore connection pool (what httpx
    runs on, without its client layer, which costs a third of a 304 round trip) that
    connects via :class:`GuardedAsyncNetworkBackend`. The URL syntax (scheme, credentials)
    is checked up front on every hop; addresses are checked by the backend on every new
    connection (DNS runs in a thread there, so a slow resolver does not stall the others).

    Its ``fetch`` and context-manager methods have the same signatures as :class:`Fetcher`'s
    and repeat their shape on purpose (one awaits, one blocks); what they do per hop and per
    response (``_Hops``, ``_Response``, the decoders and limits) is shared.
    """

    def __init__(
        self,
        settings: FetchSettings | None = None,
        *,
        guard: AddressGuard | None = None,
        max_connections: int = 50,
    ) -> None:
        self.settings = settings or FetchSettings()
        self.guard = guard or AddressGuard(self.settings.allowed_networks)
        s = self.settings
        self._pool = httpcore.AsyncConnectionPool(
            network_backend=GuardedAsyncNetworkBackend(self.guard),
            **_pool_options(
                httpx.Limits(max_connections=max_connections,
                             max_keepalive_connections=max_connections),
                _ssl_context(s.ca_bundle),
            ),
        )
        self._extensions = {"timeout": {"connect": s.connect_timeout, "read": s.read_timeout,
                                        "write": s.read_timeout, "pool": s.connect_timeout}}

    async def aclose(self) -> None:
        """Close pooled connections."""
        await self._pool.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: Accept = "any",
    ) -> FetchResult:
        """Like :meth:`Fetcher.fetch`."""
        hops = _Hops(url, self.settings)
        headers = _request_headers(accept, etag, last_modified)
        wire_headers = [(k.encode(), v.encode("latin-1", "replace"))
                        for k, v in {"User-Agent": self.settings.user_agent, **headers}.items()]
        while True:
            current = hops.enter()
            try:
                self.guard.check_url_syntax(current)
                target = httpx.URL(current)  # the same URL normalisation (IDNA) as httpx
                async with self._pool.stream(
                    "GET",
                    httpcore.URL(scheme=target.raw_scheme, host=target.raw_host,
                                 port=target.port, target=target.raw_path),
                    headers=wire_headers, extensions=self._extensions,
                ) as response:
                    checked = _Response(
                        hops, headers, accept, response.status,
                        response.extensions.get("reason_phrase", b"").decode("latin-1"),
                        ((k.decode("latin-1"), v.decode("latin-1"))
                         for k, v in response.headers),
                    )
                    result = checked.head()
                    if result is not None:
                        await response.aread()  # as in Fetcher.fetch
                        return hops.done(result)
                    if checked.redirected:
                        continue
                    async for chunk in response.aiter_stream():
                        checked.chunk(chunk)
                    return checked.result()
            except FetchError as exc:
                exc.url = exc.url or current
                raise
            except HTTPCORE_ERRORS as exc:
                raise hops.error(exc) from exc


def _looks_like_html(body: bytes) -> bool:
    head = body[:2048].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<html" in head or b"<body" in head


def _charset_problems(charset: str | None) -> tuple[str, ...]:
    if not charset:
        return ()
    try:
        codecs.lookup(charset)
    except LookupError:
        return (f"bad_charset: unknown charset {charset!r} in Content-Type",)
    return ()
