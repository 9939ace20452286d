"""Feed parsing: RSS / Atom (feedparser) and JSON Feed 1.x, from bytes already fetched.

feedparser is always given a byte stream, never a URL or a string (a string or even bytes
would be treated as a URL or file name and fetched/opened). The output is normalised for
the pipeline: every entry gets a stable ``guid`` (feed id, else link, else a hash of
title+summary), absolute links, plain-text summaries and UTC dates; problems that are not
fatal (duplicate GUIDs, future or unparseable dates, malformed XML that still yielded
entries) are listed in ``ParsedFeed.problems`` so they can be shown to operators.
A body that is not a feed at all raises :class:`FeedError` with reason ``not_a_feed``.
"""

from __future__ import annotations

import calendar
import hashlib
import html
import io
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser

from ingest.errors import FeedError

__all__ = ["FeedEntry", "FeedError", "ParsedFeed", "parse_feed"]

CLOCK_SKEW = timedelta(minutes=5)
_TAG = re.compile(r"<[^>]+>")
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.IGNORECASE)
_HIDDEN = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_SPACE = re.compile(r"\s+")
_ALTERNATE = re.compile(r"<link\b[^>]*>", re.IGNORECASE)
_ATTR = re.compile(r"""(\w[\w-]*)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""")
_FEED_LINK_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json",
                    "application/json")
_CHAR_REF = re.compile(rb"&#(?:[xX]([0-9a-fA-F]{1,8})|([0-9]{1,10}));")


@dataclass(frozen=True)
class FeedEntry:
    """One item of a feed, normalised."""

    guid: str
    url: str | None
    title: str | None
    summary: str | None
    published_at: datetime | None
    author: str | None


@dataclass
class ParsedFeed:
    """A parsed feed: metadata, unique entries in feed order, and non-fatal problems."""

    title: str | None
    link: str | None
    entries: list[FeedEntry]
    problems: list[str] = field(default_factory=list)
    version: str | None = None
    # RSS <ttl>: how long the publisher says the feed may be cached, in seconds.
    ttl_seconds: int | None = None


def parse_feed(
    body: bytes,
    url: str,
    headers: Mapping[str, str] | None = None,
    *,
    now: datetime | None = None,
) -> ParsedFeed:
    """Parse feed bytes fetched from ``url`` (``headers``: the response headers, for charset).

    Raises :class:`FeedError` (``not_a_feed``) for HTML pages, garbage or empty bodies.
    """
    now = now or datetime.now(UTC)
    hdrs = {str(k).lower(): str(v) for k, v in (headers or {}).items()}
    stripped = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not stripped:
        raise FeedError("not_a_feed", "empty body")
    ctype = hdrs.get("content-type", "").lower()
    if stripped[:1] == b"{" or "json" in ctype:
        return _parse_json_feed(body, url, now)
    return _parse_xml_feed(body, url, hdrs, now)


# -- RSS / Atom --------------------------------------------------------------------------------
def _parse_xml_feed(body: bytes, url: str, hdrs: dict[str, str], now: datetime) -> ParsedFeed:
    # No content-location: feedparser would resolve relative GUIDs against it ("123" ->
    # "https://host/123"), changing entry identity; links are resolved below instead.
    response_headers = {k: v for k, v in hdrs.items() if k != "content-length"}
    problems: list[str] = []
    charset_problem = _utf8_despite_header(body, response_headers)
    if charset_problem:
        problems.append(charset_problem)
    body, bad_refs = _replace_bad_char_refs(body)
    if bad_refs:
        problems.append(f"bad_character: {bad_refs} reference(s) to characters XML forbids "
                        "(NUL, surrogates, beyond Unicode) read as U+FFFD")
    # Summaries end up as plain text (``_text``) and links are resolved by ``_abs``, so
    # feedparser's HTML sanitiser and URI rewriting would be wasted work: they cost more than
    # half of the parse time of a typical news feed.
    try:
        parsed = feedparser.parse(
            io.BytesIO(body), response_headers=response_headers, sanitize_html=False,
            resolve_relative_uris=False,
        )
    except Exception as exc:  # feedparser's lenient parsers crash on some hostile input
        raise FeedError("parse_error", f"the feed parser failed: {type(exc).__name__}: {exc}"
                        ) from exc
    version = parsed.get("version") or None
    entries_raw = parsed.get("entries") or []
    if not version and not entries_raw:
        reason = parsed.get("bozo_exception")
        raise FeedError(
            "not_a_feed",
            "body is not an RSS/Atom/JSON feed" + (f" ({reason})" if reason else ""),
            alternates=_discover_alternates(body, url),
        )
    if parsed.get("bozo"):
        exc = parsed.get("bozo_exception")
        # Charset overrides are benign; real XML breakage is worth showing.
        if exc is not None and type(exc).__name__ != "CharacterEncodingOverride":
            problems.append(f"malformed feed, parsed leniently: {exc}")
    meta = parsed.get("feed") or {}
    link = _abs(url, meta.get("link"))
    raw_entries = [
        _RawEntry(
            guid=_clean(e.get("id")),
            link=_abs(url, e.get("link")),
            title=_text(e.get("title")),
            summary=_text(e.get("summary") or _first_content(e)),
            published=_struct_to_dt(_raw(e, "published_parsed", "updated_parsed",
                                         "created_parsed")),
            date_text=_clean(_raw(e, "published", "updated", "created")),
            author=_clean(e.get("author") or _first_author(e.get("authors"))),
        )
        for e in entries_raw
    ]
    entries = _finish(raw_entries, now, problems)
    return ParsedFeed(title=_text(meta.get("title")), link=link, entries=entries,
                      problems=problems, version=version, ttl_seconds=_ttl_seconds(meta))


def _ttl_seconds(meta: Mapping[str, Any]) -> int | None:
    """RSS ``<ttl>`` (minutes) in seconds; a value that is not a plain number is ignored."""
    ttl = str(meta.get("ttl") or "").strip()
    if not (ttl.isascii() and ttl.isdigit() and len(ttl) <= 9):
        return None
    return int(ttl) * 60


def _replace_bad_char_refs(body: bytes) -> tuple[bytes, int]:
    """Character references XML forbids (``&#xD800;``, ``&#0;``) replaced by U+FFFD.

    feedparser's lenient parser raises on a surrogate or out-of-range reference, which
    would lose the whole feed for one character. Only ASCII-compatible encodings are seen
    here; a UTF-16 feed keeps its references, and a crash is still caught by the caller.
    """
    count = 0

    def replace(match: re.Match[bytes]) -> bytes:
        nonlocal count
        hex_digits, decimal = match.groups()
        code = int(hex_digits, 16) if hex_digits else int(decimal)
        if code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or (
            0x10000 <= code <= 0x10FFFF
        ):
            return match.group()
        count += 1
        return b"&#xFFFD;"

    if b"&#" not in body:
        return body, 0
    return _CHAR_REF.sub(replace, body), count


def _utf8_despite_header(body: bytes, headers: dict[str, str]) -> str | None:
    """Drop a Content-Type charset that UTF-8 bytes contradict; returns the problem, if any.

    feedparser trusts the HTTP charset over the XML declaration (RFC 3023), so a feed
    served as ``charset=iso-8859-1`` but written in UTF-8 would turn "Zürich" into
    "ZÃ¼rich". Non-ASCII bytes that decode as UTF-8 are UTF-8 in practice.
    """
    media, _, params = headers.get("content-type", "").partition(";")
    match = _CHARSET.search(params)
    if not match or match.group(1).lower().replace("_", "-") in ("utf-8", "utf8"):
        return None
    if body.isascii():
        return None
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    headers["content-type"] = media.strip()
    return f"bad_charset: Content-Type says {match.group(1)} but the body is UTF-8; read as UTF-8"


def _raw(entry: Mapping[str, Any], *keys: str) -> Any:
    """First present key, read without feedparser's deprecated updated->published aliasing."""
    for key in keys:
        value = dict.get(entry, key) if isinstance(entry, dict) else entry.get(key)
        if value:
            return value
    return None


def _first_content(entry: Mapping[str, Any]) -> str | None:
    content = entry.get("content") or []
    for item in content:
        value = item.get("value") if isinstance(item, Mapping) else None
        if value:
            return str(value)
    return None


def _first_author(authors: Any) -> str | None:
    if isinstance(authors, list):
        for a in authors:
            if isinstance(a, Mapping) and a.get("name"):
                return str(a["name"])
    return None


def _struct_to_dt(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


# -- JSON Feed ---------------------------------------------------------------------------------
def _parse_json_feed(body: bytes, url: str, now: datetime) -> ParsedFeed:
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except (ValueError, RecursionError) as exc:  # bad UTF-8 or JSON, huge numbers, deep nesting
        raise FeedError("not_a_feed", f"invalid JSON: {exc}") from exc
    version = data.get("version") if isinstance(data, dict) else None
    if not isinstance(version, str) or not version.startswith("https://jsonfeed.org/version/"):
        raise FeedError("not_a_feed", "JSON document is not a JSON Feed (no jsonfeed version)")
    items = data.get("items")
    if not isinstance(items, list):
        raise FeedError("not_a_feed", "JSON Feed has no items list")
    problems: list[str] = []
    raw_entries: list[_RawEntry] = []
    for i, item in enumerate(items, 1):
        if not isinstance(item, dict):
            problems.append(f"entry {i}: not an object, skipped")
            continue
        date_text = _clean(item.get("date_published") or item.get("date_modified"))
        authors = item.get("authors") or ([item["author"]] if item.get("author") else [])
        raw_entries.append(_RawEntry(
            guid=_clean(_str_or_none(item.get("id"))),
            link=_abs(url, _str_or_none(item.get("url") or item.get("external_url"))),
            title=_text(_str_or_none(item.get("title"))),
            summary=_text(_str_or_none(
                item.get("summary") or item.get("content_text") or item.get("content_html")
            )),
            published=_iso_to_dt(date_text),
            date_text=date_text,
            author=_clean(_first_author(authors)),
        ))
    entries = _finish(raw_entries, now, problems)
    tail = version.rsplit("/", 1)[-1].replace(".", "")
    return ParsedFeed(
        title=_text(_str_or_none(data.get("title"))),
        link=_abs(url, _str_or_none(data.get("home_page_url"))),
        entries=entries, problems=problems, version=f"json{tail}",
    )


def _str_or_none(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    return str(value)


def _iso_to_dt(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


# -- shared normalisation ----------------------------------------------------------------------
@dataclass
class _RawEntry:
    guid: str | None
    link: str | None
    title: str | None
    summary: str | None
    published: datetime | None
    date_text: str | None
    author: str | None


def _finish(raw: list[_RawEntry], now: datetime, problems: list[str]) -> list[FeedEntry]:
    """Assign GUIDs, drop duplicates (first wins), clamp future dates."""
    entries: list[FeedEntry] = []
    seen: set[str] = set()
    for i, e in enumerate(raw, 1):
        guid = e.guid or e.link
        if not guid:
            if not (e.title or e.summary):
                problems.append(f"entry {i}: no guid, link, title or summary; skipped")
                continue
            digest = hashlib.sha256(f"{e.title or ''}\n{e.summary or ''}".encode()).hexdigest()
            guid = f"sha256:{digest[:32]}"
            problems.append(f"entry {i}: no guid or link; identified by its title and summary")
        elif not e.guid:
            problems.append(f"entry {i}: no guid; identified by its link")
        if guid in seen:
            problems.append(f"entry {i}: duplicate guid {guid!r}; kept the first")
            continue
        seen.add(guid)
        published = e.published
        if published is None and e.date_text:
            problems.append(f"entry {i}: unparseable date {e.date_text!r}")
        if published is not None and published > now:
            if published > now + CLOCK_SKEW:
                problems.append(
                    f"entry {i}: date {published.isoformat()} is in the future; clamped to now"
                )
            published = now
        link = e.link
        if link is None and guid.startswith(("http://", "https://")):
            link = guid
        entries.append(FeedEntry(guid=guid, url=link, title=e.title, summary=e.summary,
                                 published_at=published, author=e.author))
    return entries


def _clean(value: Any) -> str | None:
    if value is None:
        return None
    text = _SPACE.sub(" ", str(value)).strip()
    return text or None


def _text(value: str | None) -> str | None:
    """HTML fragment -> plain text (feed titles and summaries often carry markup)."""
    if not value:
        return None
    if "<" in value:
        value = _TAG.sub(" ", _HIDDEN.sub(" ", value))
    text = html.unescape(value)
    return _clean(text)


def _abs(base: str, link: str | None) -> str | None:
    """Resolve ``link`` against the feed URL; only http(s) results are kept."""
    if not link:
        return None
    try:
        absolute = urljoin(base, link.strip())
        scheme = urlsplit(absolute).scheme.lower()
    except ValueError:
        return None
    return absolute if scheme in ("http", "https") else None


def _discover_alternates(body: bytes, url: str) -> list[str]:
    """Feed URLs an HTML page advertises with ``<link rel="alternate" type="...">``."""
    head = body[:200_000].decode("utf-8", errors="replace")
    found: list[str] = []
    for tag in _ALTERNATE.findall(head):
        attrs = {m[0].lower(): (m[1] or m[2] or m[3]) for m in _ATTR.findall(tag)}
        if "alternate" in attrs.get("rel", "").lower().split() and attrs.get("type", "").lower(
        ) in _FEED_LINK_TYPES:
            link = _abs(url, html.unescape(attrs.get("href", "")))
            if link and link not in found:
                found.append(link)
    return found
