"""Results of the steps that read an article alone (extraction, reading, the stance
features of its text), worked out ahead.

A replay knows its articles in advance, so a second process prepares the next ones
(:func:`prepare`) while this one stores and decides the current one, and hands the results
over (:func:`keep`). The tasks ask here first (:func:`extraction`, :func:`reading`; the
stance engine finds the features among those it remembers). A result is keyed by every
input of its step, so one prepared from other inputs is never used; a worker prepares
nothing and always computes.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass

from analysis.outlets import normalise_outlet, outlet_from_url
from analysis.reading import ArticleReading, read_article
from analysis.stance.features import Doc
from config.settings import get_settings
from ingest.errors import IngestError
from ingest.extract import ExtractedArticle, cap_text
from ingest.extract import extract_article as extract_html
from tasks.context import stance_engine

KEPT = 64  # results waiting for their task; older ones (a copy's reading) are dropped
_ready: OrderedDict[Hashable, ExtractedArticle | ArticleReading] = OrderedDict()


@dataclass(frozen=True)
class Prepared:
    """One article's prepared results, each under the key of its inputs."""

    extraction: tuple[Hashable, ExtractedArticle] | None  # None when it came as text
    reading: tuple[Hashable, ArticleReading]
    document: tuple[str, str, Doc]  # title, body: what the stance engine reads


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def _extraction_key(html: str, url: str | None, date_known: bool) -> Hashable:
    return ("extract", _digest(html), url, date_known)


def _reading_key(title: str, text: str, outlet: str | None) -> Hashable:
    return ("read", title, _digest(text), outlet)


def extraction(html: str, url: str | None, *, date_known: bool) -> ExtractedArticle:
    """`ingest.extract.extract_article` of the page, prepared or worked out now."""
    found = _ready.pop(_extraction_key(html, url, date_known), None) if _ready else None
    if isinstance(found, ExtractedArticle):
        return found
    return extract_html(html, url, date_known=date_known)


def reading(title: str, text: str, outlet: str | None) -> ArticleReading:
    """`analysis.reading.read_article` of the article, prepared or worked out now."""
    found = _ready.pop(_reading_key(title, text, outlet), None) if _ready else None
    if isinstance(found, ArticleReading):
        return found
    return read_article(title, text, outlet)


def capped_text(text: str) -> tuple[str, str | None]:
    """The article's text as analysis reads it (its cost grows with length), and the
    problem to record when it was cut."""
    return cap_text(text, get_settings().max_analysis_chars)


def prepare(
    html: str | None,
    url: str | None,
    title: str | None,
    text: str | None,
    outlet: str | None,
    date_known: bool,
) -> Prepared | None:
    """What the tasks will ask for an article stored with these values; None for a page
    that does not extract, whose task then records the error itself."""
    extracted = None
    outlet = normalise_outlet(outlet)
    if html and not text:
        try:
            extracted = extract_html(html, url, date_known=date_known)
        except IngestError:
            return None
        title, text = title or extracted.title, extracted.text
        outlet = outlet or normalise_outlet(extracted.site_name or outlet_from_url(url))
    title = title or ""
    capped, _ = capped_text(text or "")
    read = read_article(title, capped, outlet)
    return Prepared(
        extraction=(_extraction_key(html, url, date_known), extracted) if extracted else None,
        reading=(_reading_key(title, capped, outlet), read),
        document=(title, read.body, stance_engine().fx.doc(title, read.body)),
    )


def keep(result: Prepared | None) -> None:
    """Hold an article's prepared results for its tasks to take."""
    if result is None:
        return
    for key, value in filter(None, (result.extraction, result.reading)):
        _ready[key] = value
        _ready.move_to_end(key)
    while len(_ready) > KEPT:
        _ready.popitem(last=False)
    stance_engine().fx.keep_doc(*result.document)
