"""Results of the steps that read an article alone, worked out ahead: its extraction, its
near-duplicate signature, its reading, its claim-index query, and the stance features of
its text.

A replay knows its articles in advance, so other processes prepare the next ones
(:func:`prepare`) while this one stores and decides the current one, and hands the results
over (:func:`keep`). The tasks ask here first (:func:`extraction`, :func:`signature`,
:func:`reading`, :func:`query`; the stance engine finds the features among those it
remembers). A result is keyed by every input of its step, so one prepared from other
inputs is never used; a worker prepares nothing and always computes.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from config.settings import get_settings
from tasks.context import claim_weights, stance_engine

if TYPE_CHECKING:
    from analysis.claim_index import ClaimIndex
    from analysis.reading import ArticleReading
    from analysis.stance.features import Doc
    from ingest.extract import ExtractedArticle

KEPT = 64  # results waiting for their task; older ones (a copy's reading) are dropped
_ready: OrderedDict[Hashable, Any] = OrderedDict()
T = TypeVar("T")


@dataclass(frozen=True)
class Prepared:
    """One article's prepared results, each under the key of its inputs."""

    extraction: tuple[Hashable, ExtractedArticle] | None  # None when it came as text
    signature: tuple[Hashable, list[int] | None]
    reading: tuple[Hashable, ArticleReading]
    query: tuple[Hashable, dict[str, float]]
    document: tuple[str, str, Doc]  # title, body: what the stance engine reads


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def _extraction_key(html: str, url: str | None, date_known: bool) -> Hashable:
    return ("extract", _digest(html), url, date_known)


def _reading_key(title: str, text: str, outlet: str | None) -> Hashable:
    return ("read", title, _digest(text), outlet)


def _signature_key(text: str) -> Hashable:
    return ("signature", _digest(text))


def _query_key(text: str) -> Hashable:
    return ("query", _digest(text))


def _take(key: Callable[[], Hashable], work_out: Callable[[], T]) -> T:
    """The result prepared under ``key()``, else worked out now; with nothing prepared (a
    worker) the inputs are not even hashed."""
    if _ready and (found := key()) in _ready:
        return _ready.pop(found)
    return work_out()


def extraction(html: str, url: str | None, *, date_known: bool) -> ExtractedArticle:
    """`ingest.extract.extract_article` of the page, prepared or worked out now."""
    from ingest.extract import extract_article as extract_html

    return _take(lambda: _extraction_key(html, url, date_known),
                 lambda: extract_html(html, url, date_known=date_known))


def signature(text: str) -> list[int] | None:
    """`analysis.neardup.signature` of the text, prepared or worked out now."""
    from analysis.neardup import signature as minhash_signature

    return _take(lambda: _signature_key(text), lambda: minhash_signature(text))


def reading(title: str, text: str, outlet: str | None) -> ArticleReading:
    """`analysis.reading.read_article` of the article, prepared or worked out now."""
    from analysis.reading import read_article

    return _take(lambda: _reading_key(title, text, outlet),
                 lambda: read_article(title, text, outlet))


def query(title: str, body: str, index: ClaimIndex) -> dict[str, float]:
    """The article as the claim index weighs it (`searched_text`), prepared or worked out
    now: every process weighs words alike (`tasks.context.claim_weights`)."""
    from analysis.matching import searched_text

    text = searched_text(title, body)
    return _take(lambda: _query_key(text), lambda: index.vector(text))


def capped_text(text: str) -> tuple[str, str | None]:
    """The article's text as analysis reads it (its cost grows with length), and the
    problem to record when it was cut."""
    from analysis.text import cap_text

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
    from analysis.claim_index import tfidf_vector
    from analysis.matching import searched_text
    from analysis.neardup import signature as minhash_signature
    from analysis.outlets import normalise_outlet, outlet_from_url
    from analysis.reading import read_article
    from ingest.errors import IngestError
    from ingest.extract import extract_article as extract_html

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
    searched = searched_text(title, read.body)
    return Prepared(
        extraction=(_extraction_key(html, url, date_known), extracted) if extracted else None,
        signature=(_signature_key(text or ""), minhash_signature(text or "")),
        reading=(_reading_key(title, capped, outlet), read),
        query=(_query_key(searched), tfidf_vector(searched, claim_weights())),
        document=(title, read.body, stance_engine().fx.doc(title, read.body)),
    )


def keep(result: Prepared | None) -> None:
    """Hold an article's prepared results for its tasks to take."""
    if result is None:
        return
    for key, value in filter(None, (result.extraction, result.signature, result.reading,
                                    result.query)):
        _ready[key] = value
        _ready.move_to_end(key)
    while len(_ready) > KEPT:
        _ready.popitem(last=False)
    stance_engine().fx.keep_doc(*result.document)
