"""Article extraction: HTML page -> main text and metadata (trafilatura).

Why the wrapper: pages arrive as bytes with unreliable charset information (a wrong HTTP
header, a wrong or missing ``<meta charset>``), and the pipeline needs one predictable
record (text, title, author, UTC date, site name, language, canonical URL) or one clear
error. Decoding never crashes: a charset that does not fit the bytes is replaced by a better
candidate (or by lossy decoding as a last resort) and noted in ``problems`` with the prefix
``bad_charset``. Pages without usable text raise :class:`ExtractionError` (``no_text``).
``site_name`` is only a name the page declares (og:site_name, publisher metadata ...), never
the bare host name: the caller decides on the host fallback for the outlet.

trafilatura runs with ``favor_recall=True``, comments off and tables on: on the 40 real pages
in ``../shared/html`` that gives the best token F1 against the reference texts (~0.95).

Dates cost the most for the least: htmldate's extensive search loads dateparser (about 1.4 s
of imports and pattern compiles per process) to read a date out of free text. It runs only
when the fast search (meta tags, JSON-LD, time elements, URL) found nothing and the caller
has no date of its own (a feed's), which on those 40 pages is 4 in 40; ``bench/extraction``
measures the cost against plain ``trafilatura.extract()``.
"""

from __future__ import annotations

import codecs
import html as html_lib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import charset_normalizer
import trafilatura
from htmldate import find_date

from ingest.errors import ExtractionError

__all__ = ["ExtractedArticle", "ExtractionError", "decode_html", "extract_article"]

MIN_TEXT_CHARS = 20
_SNIFF_BYTES = 8192
_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE
)
_XML_DECL = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9_.:-]+)""")
_XML_PROLOG = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
_HTML_LANG = re.compile(
    r"""<html\b[^>]*?\blang\s*=\s*["']?([A-Za-z]{2,3})(?:[-_][A-Za-z0-9-]*)?""", re.IGNORECASE
)
_HEAD_END = re.compile(r"</head\s*>", re.IGNORECASE)
_TAGS = re.compile(r"<(?:link|meta)\b[^>]*>", re.IGNORECASE)
_ATTR = re.compile(r"""([\w:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""")
_DATE_PARAMS = {"outputformat": "%Y-%m-%dT%H:%M:%S%z", "original_date": True}
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


@dataclass(frozen=True)
class ExtractedArticle:
    """The main content and metadata of one article page."""

    text: str
    title: str | None
    author: str | None
    published_at: datetime | None
    site_name: str | None
    language: str | None
    canonical_url: str | None
    encoding: str | None = None
    problems: tuple[str, ...] = field(default_factory=tuple)


def _codec(name: str | None) -> str | None:
    """Normalised Python codec name, or None for unknown/unsafe labels."""
    if not name:
        return None
    label = name.strip().strip("\"'").lower()
    # WHATWG: these labels mean windows-1252 in browsers.
    if label in ("iso-8859-1", "latin1", "latin-1", "us-ascii", "ascii", "iso8859-1"):
        label = "cp1252"
    try:
        info = codecs.lookup(label)
    except (LookupError, ValueError):  # ValueError: a NUL in the label
        return None
    if not getattr(info, "_is_text_encoding", True):
        return None
    return info.name


def decode_html(raw: bytes, declared: str | None = None) -> tuple[str, str, list[str]]:
    """Decode page bytes; returns (text, encoding used, problems).

    Order: BOM, the declared (HTTP) charset, the ``<meta>``/XML charset, UTF-8, then a
    statistical guess (charset_normalizer); each must decode strictly. A permissive
    legacy label is overruled when the bytes are valid UTF-8 with non-ASCII text (legacy
    single-byte charsets decode almost anything, so a strict decode proves little, while
    non-ASCII text that happens to be valid UTF-8 is almost always UTF-8).
    """
    problems: list[str] = []
    for bom, name in _BOMS:
        if raw.startswith(bom):
            return raw[len(bom):].decode(name, errors="replace"), name, problems
    head = raw[:_SNIFF_BYTES]
    meta_match = _META_CHARSET.search(head) or _XML_DECL.search(head)
    meta_label = meta_match.group(1).decode("ascii", "replace") if meta_match else None
    candidates: list[tuple[str, str]] = []
    for source, label in (("declared", declared), ("meta", meta_label)):
        if not label:
            continue
        codec = _codec(label)
        if codec is None:
            problems.append(f"bad_charset: unknown {source} charset {label!r}")
        else:
            candidates.append((source, codec))
    is_ascii = raw.isascii()
    utf8_ok = _decodes(raw, "utf-8")
    for source, codec in candidates:
        if not codec.startswith("utf") and utf8_ok and not is_ascii:
            problems.append(f"bad_charset: {source} charset {codec} but body is UTF-8")
            return raw.decode("utf-8"), "utf-8", problems
        if _decodes(raw, codec):
            return raw.decode(codec), codec, problems
        problems.append(f"bad_charset: body does not decode as {source} charset {codec}")
    if utf8_ok:
        return raw.decode("utf-8"), "utf-8", problems
    guess = _detect(raw)
    if guess is not None:
        codec = guess
        if candidates:
            problems.append(f"bad_charset: decoded as detected charset {codec}")
        return raw.decode(codec, errors="replace"), codec, problems
    problems.append("bad_charset: no charset fits; decoded as UTF-8 with replacement")
    return raw.decode("utf-8", errors="replace"), "utf-8", problems


def _detect(raw: bytes) -> str | None:
    """Statistical charset guess; among equally good guesses prefer windows-1252.

    charset_normalizer often scores cp1250/cp1252/cp1257 identically on Western text;
    windows-1252 is the web's historical default (WHATWG), so it wins such ties.
    """
    matches = list(charset_normalizer.from_bytes(raw[:200_000]))
    if not matches:
        return None
    best = matches[0]
    for match in matches:
        if (match.chaos, match.coherence) != (best.chaos, best.coherence):
            break
        if "cp1252" in match.could_be_from_charset:
            return "cp1252"
    return _codec(best.encoding)


def _decodes(raw: bytes, codec: str) -> bool:
    try:
        raw.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        dt = datetime.fromisoformat(text)
        return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)
    except (ValueError, OverflowError):  # not ISO 8601, or out of range once in UTC
        return None


def _http_url(base: str | None, link: str | None) -> str | None:
    if not link:
        return None
    try:
        absolute = urljoin(base or "", link.strip())
        ok = urlsplit(absolute).scheme in ("http", "https")
    except ValueError:
        return None
    return absolute if ok else None


def _canonical(page: str, url: str | None) -> str | None:
    """``<link rel=canonical>``, else ``og:url``, resolved against the fetch URL."""
    end = _HEAD_END.search(page, 0, 200_000)
    head = page[: end.start() if end else 200_000]
    og_url = None
    for tag in _TAGS.findall(head):
        attrs = {m[0].lower(): html_lib.unescape(m[1] or m[2] or m[3]) for m in _ATTR.findall(tag)}
        if tag[:5].lower() == "<link" and "canonical" in attrs.get("rel", "").lower().split():
            found = _http_url(url, attrs.get("href"))
            if found:
                return found
        elif attrs.get("property", "").lower() == "og:url" and og_url is None:
            og_url = _http_url(url, attrs.get("content"))
    return og_url


def _site_name(name: str | None, url: str | None) -> str | None:
    """The declared site name; None when trafilatura only echoed the URL's host back."""
    name = (name or "").strip()
    if not name:
        return None
    if url:
        try:
            parts = urlsplit(url)
        except ValueError:
            return name
        hosts = {h.lower().removeprefix("www.") for h in (parts.netloc, parts.hostname or "")}
        if name.lower().removeprefix("www.") in hosts:
            return None
    return name


def _date_from_text(page: str, url: str | None) -> str | None:
    """htmldate's extensive search, for a page whose markup declares no date."""
    try:
        return find_date(page, url=url, extensive_search=True, **_DATE_PARAMS)
    except Exception:  # a date is a nicety: hostile markup must not cost the article
        return None


def extract_article(
    html: bytes | str,
    url: str | None,
    charset: str | None = None,
    *,
    date_known: bool = False,
) -> ExtractedArticle:
    """Extract the article in ``html`` (fetched from ``url``; ``charset`` from HTTP headers).

    ``date_known``: the caller already has the published date (the feed gave it), so a
    page that declares none is not searched for one in its text.

    Raises :class:`ExtractionError` with reason ``no_text`` when no usable text is found.
    """
    problems: list[str] = []
    if isinstance(html, bytes):
        text_html, encoding, problems = decode_html(html, charset)
    else:
        text_html, encoding = html, None
    # lxml refuses str input that carries an XML encoding declaration.
    text_html = _XML_PROLOG.sub("", text_html, count=1)
    if not text_html.strip():
        raise ExtractionError("no_text", "empty page")
    try:
        doc = trafilatura.bare_extraction(
            text_html,
            url=url,
            include_comments=False,
            include_tables=True,
            include_images=False,
            favor_recall=True,
            with_metadata=True,
            deduplicate=False,
            date_extraction_params={**_DATE_PARAMS, "extensive_search": False},
        )
    except Exception as exc:  # trafilatura/lxml may raise many things on hostile markup
        raise ExtractionError("no_text", f"extraction failed: {type(exc).__name__}: {exc}") from exc
    text = (getattr(doc, "text", None) or "").strip() if doc is not None else ""
    if len(text) < MIN_TEXT_CHARS:
        raise ExtractionError("no_text", "no article text found on the page")
    assert doc is not None
    language = getattr(doc, "language", None)
    if not language:
        match = _HTML_LANG.search(text_html[:_SNIFF_BYTES * 4])
        language = match.group(1).lower() if match else None
    date = doc.date if doc.date or date_known else _date_from_text(text_html, url)
    return ExtractedArticle(
        text=text,
        title=(doc.title or "").strip() or None,
        author=(doc.author or "").strip() or None,
        published_at=_parse_date(date),
        site_name=_site_name(doc.sitename, url),
        language=language,
        canonical_url=(
            _canonical(text_html, url) or _http_url(None, url) or _http_url(None, doc.url)
        ),
        encoding=encoding,
        problems=tuple(problems),
    )
