"""Lists of feeds as operators have them: an OPML export of a feed reader, or plain text.

Pure parsing, no network: the caller decides what to do with each URL (the address guard
still checks it at every fetch).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

from ingest.errors import IngestError
from ingest.guard import AddressGuard


@dataclass(frozen=True)
class FeedSpec:
    """One feed to add: its URL, and the title the list gives it."""

    url: str
    title: str | None = None


def read_feed_list(text: str) -> tuple[list[FeedSpec], list[str]]:
    """Feeds in an OPML document or a text file with one URL per line (``#`` comments).

    Returns the unique feeds in file order and one problem per line or outline skipped
    (not http(s), credentials in the URL, no URL). Raises :class:`IngestError`
    (``bad_feed_list``) for an OPML file that is not well-formed XML.
    """
    stripped = text.lstrip("\ufeff \t\r\n")
    candidates = _from_opml(stripped) if stripped.startswith("<") else _from_lines(stripped)
    guard = AddressGuard()
    feeds: dict[str, FeedSpec] = {}
    problems: list[str] = []
    for where, spec in candidates:
        if not spec.url:
            problems.append(f"{where}: no feed URL")
            continue
        try:
            guard.check_url_syntax(spec.url)
        except IngestError as error:
            problems.append(f"{where}: {spec.url}: {error.message}")
            continue
        feeds.setdefault(spec.url, spec)
    return list(feeds.values()), problems


def _from_lines(text: str) -> list[tuple[str, FeedSpec]]:
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        url = line.strip()
        if url and not url.startswith("#"):
            found.append((f"line {number}", FeedSpec(url)))
    return found


def _from_opml(text: str) -> list[tuple[str, FeedSpec]]:
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise IngestError("bad_feed_list", f"not a well-formed OPML file: {exc}") from exc
    found = []
    for number, outline in enumerate(root.iter("outline"), 1):
        url = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
        if not url and len(outline):  # a folder of feeds
            continue
        title = outline.get("title") or outline.get("text")
        found.append((f"outline {number}", FeedSpec(url, title.strip() if title else None)))
    return found
