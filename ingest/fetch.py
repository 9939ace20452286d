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
"""

from __future__ import annotations

import codecs
import dataclasses
import email.utils
import ssl
import time
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Literal, Self

import httpcore
import httpx

from ingest.errors import FetchError
from ingest.guard import AddressGuard, GuardedNetworkBackend

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


class _GuardedTransport(httpx.HTTPTransport):
    """httpx transport whose connection pool connects through the address guard."""

    def __init__(
        self, guard: AddressGuard, limits: httpx.Limits, ssl_context: ssl.SSLContext
    ) -> None:
        super().__init__(trust_env=False, limits=limits)
        if not hasattr(self, "_pool"):  # pragma: no cover - httpx internals changed
            raise RuntimeError("unsupported httpx version: HTTPTransport has no _pool")
        self._pool = _guarded_pool(guard, limits, ssl_context)


def _guarded_pool(
    guard: AddressGuard, limits: httpx.Limits, ssl_context: ssl.SSLContext
) -> httpcore.ConnectionPool:
    """An httpcore pool like httpx's default one, but with the guarded network backend.

    TLS still verifies the certificate against the URL's host name (SNI too): only the TCP
    connect goes to the address the guard approved.
    """
    return httpcore.ConnectionPool(
        ssl_context=ssl_context,
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        http1=True,
        http2=False,
        network_backend=GuardedNetworkBackend(guard),
    )


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
        s = self.settings
        self._client = httpx.Client(
            transport=_GuardedTransport(
                self.guard,
                httpx.Limits(max_connections=50, max_keepalive_connections=10),
                ssl.create_default_context(cafile=s.ca_bundle) if s.ca_bundle
                else httpx.create_ssl_context(),
            ),
            timeout=httpx.Timeout(
                connect=s.connect_timeout, read=s.read_timeout, write=s.read_timeout,
                pool=s.connect_timeout,
            ),
            follow_redirects=False,
            trust_env=False,
            headers={"User-Agent": s.user_agent},
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

    # ------------------------------------------------------------------------------------
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
        started = time.monotonic()
        deadline = started + self.settings.total_timeout
        headers = {"Accept": ACCEPT_HEADERS[accept], "Accept-Encoding": "gzip, deflate"}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        visited: list[str] = []
        permanent = True
        current = url
        while True:
            if time.monotonic() > deadline:
                raise FetchError("timeout", f"fetch exceeded {self.settings.total_timeout:g} s",
                                 url=current)
            self.guard.check(current)
            visited.append(current)
            try:
                result = self._fetch_one(current, headers, accept, deadline, started)
            except FetchError as exc:
                exc.url = exc.url or current
                raise
            except httpx.TimeoutException as exc:
                raise FetchError("timeout", f"timed out: {exc!r}", url=current) from exc
            except httpx.ConnectError as exc:
                reason = "tls_error" if "SSL" in repr(exc) or "CERTIFICATE" in repr(exc) else (
                    "connect_error"
                )
                raise FetchError(reason, f"cannot connect: {exc}", url=current) from exc
            except httpx.HTTPError as exc:
                # httpx validates a redirect's Location before handing the response over.
                bad_location = isinstance(exc, httpx.RemoteProtocolError) and (
                    "location header" in str(exc).lower()
                )
                raise FetchError("bad_redirect" if bad_location else "network_error",
                                 f"{type(exc).__name__}: {exc}", url=current) from exc
            except httpx.InvalidURL as exc:
                raise FetchError("bad_url", f"invalid URL: {exc}", url=current) from exc
            if isinstance(result, FetchResult):
                return _with_history(result, tuple(visited[:-1]), permanent and len(visited) > 1)
            status, location = result
            if location is None:
                raise FetchError("bad_redirect", f"HTTP {status} without Location", url=current,
                                 status=status)
            try:
                nxt = str(httpx.URL(current).join(location))
            except (httpx.InvalidURL, ValueError) as exc:
                raise FetchError("bad_redirect", f"invalid Location {location!r}: {exc}",
                                 url=current, status=status) from exc
            if nxt in visited:
                raise FetchError("redirect_loop", f"redirect loop back to {nxt}", url=url,
                                 status=status)
            if len(visited) > self.settings.max_redirects:
                raise FetchError("too_many_redirects",
                                 f"more than {self.settings.max_redirects} redirects", url=url,
                                 status=status)
            permanent = permanent and status in (301, 308)
            current = nxt

    def _fetch_one(
        self,
        url: str,
        headers: Mapping[str, str],
        accept: Accept,
        deadline: float,
        started: float,
    ) -> FetchResult | tuple[int, str | None]:
        """One request; returns a result, or (status, Location) for a redirect."""
        with self._client.stream("GET", url, headers=headers) as response:
            status = response.status_code
            resp_headers = {k.lower(): v for k, v in response.headers.items()}
            if status in REDIRECT_STATUSES:
                return status, response.headers.get("location")
            retry_after = parse_retry_after(response.headers.get("retry-after"))
            media, charset = parse_content_type(response.headers.get("content-type"))
            if status == 304:
                return FetchResult(
                    url=url, status=304, headers=resp_headers, body=b"",
                    etag=response.headers.get("etag") or headers.get("If-None-Match"),
                    last_modified=(response.headers.get("last-modified")
                                   or headers.get("If-Modified-Since")),
                    content_type=media, encoding=charset, elapsed=time.monotonic() - started,
                    not_modified=True, retry_after=retry_after,
                )
            if status in (429, 503):
                raise FetchError(f"http_{status}", f"HTTP {status} {response.reason_phrase}",
                                 url=url, status=status, retry_after=retry_after)
            if status >= 300 or status < 200:
                raise FetchError("http_error", f"HTTP {status} {response.reason_phrase}",
                                 url=url, status=status, retry_after=retry_after)
            self._check_type(media, accept, url)
            body = self._read_body(response, deadline)
            if accept == "html" and media is None and not _looks_like_html(body):
                raise FetchError("not_html", "no Content-Type and body does not look like HTML",
                                 url=url, status=status)
            return FetchResult(
                url=url, status=status, headers=resp_headers, body=body,
                etag=response.headers.get("etag"),
                last_modified=response.headers.get("last-modified"),
                content_type=media, encoding=charset, elapsed=time.monotonic() - started,
                retry_after=retry_after, problems=_charset_problems(charset),
            )

    def _check_type(self, media: str | None, accept: Accept, url: str) -> None:
        """Refuse bodies the caller cannot use before downloading them."""
        if media is None or accept == "any":
            return
        if accept == "html" and media not in HTML_TYPES:
            raise FetchError("not_html", f"Content-Type {media} is not HTML", url=url)
        if accept == "feed" and (media.startswith(NON_FEED_PREFIXES) or media in NON_FEED_TYPES):
            raise FetchError("not_a_feed", f"Content-Type {media} cannot be a feed", url=url)

    def _read_body(self, response: httpx.Response, deadline: float) -> bytes:
        """Stream the body, enforcing wire size, decoded size, ratio and the deadline."""
        s = self.settings
        declared = response.headers.get("content-length")
        if declared and declared.strip().isdigit() and int(declared) > s.max_bytes:
            raise FetchError("too_large", f"Content-Length {declared} exceeds {s.max_bytes} bytes",
                             status=response.status_code)
        encoding = response.headers.get("content-encoding", "").strip().lower()
        decoder = _Decoder(encoding, s)
        parts: list[bytes] = []
        for chunk in response.iter_raw():  # pieces as they arrive (no re-chunking)
            if decoder.raw + len(chunk) > s.max_bytes:
                raise FetchError("too_large", f"body exceeds {s.max_bytes} bytes",
                                 status=response.status_code)
            if time.monotonic() > deadline:
                raise FetchError("timeout", f"fetch exceeded {s.total_timeout:g} s",
                                 status=response.status_code)
            parts.extend(decoder.feed(chunk))
        parts.append(decoder.flush())
        return b"".join(parts)


def _looks_like_html(body: bytes) -> bool:
    head = body[:2048].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<html" in head or b"<body" in head


def _with_history(result: FetchResult, redirects: tuple[str, ...], permanent: bool) -> FetchResult:
    if not redirects:
        return result
    return dataclasses.replace(result, redirects=redirects, permanent_redirect=permanent)


def _charset_problems(charset: str | None) -> tuple[str, ...]:
    if not charset:
        return ()
    try:
        codecs.lookup(charset)
    except LookupError:
        return (f"bad_charset: unknown charset {charset!r} in Content-Type",)
    return ()
