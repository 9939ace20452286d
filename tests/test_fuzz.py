"""Fuzzing the outside world's way in: feed parsing, extraction, replay lines, storage.

Property: hostile input never crashes claimwatch and never fails silently. A parser either
returns its result or raises its own typed error with a reason; every line of a replay
file is either an article or an error with its line number; any text at all can be stored.
Examples are few and bounded (max_examples, deadline) so the suite stays fast; the
example database is off so runs leave nothing behind.
"""

from __future__ import annotations

import json
import tempfile
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.archive import read_archive
from ingest.errors import ArchiveError, ExtractionError, FeedError
from ingest.extract import decode_html, extract_article
from ingest.feeds import parse_feed

FUZZ = settings(max_examples=150, deadline=timedelta(seconds=2), database=None)
SLOW_FUZZ = settings(max_examples=40, deadline=timedelta(seconds=5), database=None,
                     suppress_health_check=[HealthCheck.too_slow])

# Any code point, lone surrogates included (hypothesis leaves them out by default).
ANY_TEXT = st.text(st.characters(codec=None, categories=None), max_size=40)
HOSTILE = st.sampled_from([
    "&#xD800;", "&#55296;", "&#0;", "&#x0;", "&#x110000;", "&#99999999999;", "&#xFFFE;",
    "\x00", "\ud800", "\udfff", "&bogus;", "&amp;", "&", "<", ">", "]]>", "<![CDATA[x]]>",
    "<script>alert(1)</script>", "\u202e", "\ufeff", "<br/>", "\r\n", "javascript:x",
    "http://[::1", "http://x.example/a", "9" * 5000, "Tue, 11 Oct 2101 10:00:00 GMT",
    "9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+01:00",
])
FRAGMENT = st.lists(st.one_of(HOSTILE, ANY_TEXT), max_size=6).map("".join)


def encoded(text: str) -> bytes:
    """UTF-8, lone surrogates kept as the invalid bytes a broken publisher sends."""
    return text.encode("utf-8", "surrogatepass")


@st.composite
def xml_feeds(draw: st.DrawFn) -> bytes:
    fields = ("guid", "link", "title", "description", "pubDate", "author", "ttl")
    items = draw(st.lists(
        st.dictionaries(st.sampled_from(fields), FRAGMENT, max_size=len(fields)), max_size=4
    ))
    body = "".join(
        "<item>" + "".join(f"<{k}>{v}</{k}>" for k, v in item.items()) + "</item>"
        for item in items
    )
    atom = draw(st.booleans())
    if atom:
        body = body.replace("item>", "entry>").replace("<guid>", "<id>").replace("</guid>", "</id>")
        document = f'<feed xmlns="http://www.w3.org/2005/Atom"><title>{draw(FRAGMENT)}</title>{body}</feed>'
    else:
        document = (f'<rss version="2.0"><channel><title>{draw(FRAGMENT)}</title>'
                    f"<ttl>{draw(FRAGMENT)}</ttl>{body}</channel></rss>")
    return encoded(draw(st.sampled_from(["", '<?xml version="1.0"?>'])) + document)


JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), FRAGMENT),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(FRAGMENT, inner, max_size=3)),
    max_leaves=12,
)


@st.composite
def json_feeds(draw: st.DrawFn) -> bytes:
    item_keys = st.sampled_from(["id", "url", "external_url", "title", "summary",
                                 "content_text", "content_html", "date_published", "author",
                                 "authors"])
    feed = {
        "version": draw(st.sampled_from(["https://jsonfeed.org/version/1.1", "1", None])),
        "title": draw(JSON_VALUES),
        "items": draw(st.one_of(
            st.lists(st.one_of(st.dictionaries(item_keys, JSON_VALUES, max_size=6),
                               JSON_VALUES), max_size=4),
            JSON_VALUES,
        )),
    }
    return encoded(json.dumps(feed, ensure_ascii=draw(st.booleans()), allow_nan=True))


def check_feed(body: bytes, ctype: str) -> None:
    try:
        parsed = parse_feed(body, "http://feed.example/rss", {"content-type": ctype})
    except FeedError as error:
        assert error.reason in ("not_a_feed", "parse_error") and error.message
        return
    for entry in parsed.entries:
        assert isinstance(entry.guid, str) and entry.guid
        assert entry.url is None or entry.url.startswith(("http://", "https://"))
    assert len({e.guid for e in parsed.entries}) == len(parsed.entries)


@FUZZ
@given(st.one_of(xml_feeds(), json_feeds(), st.binary(max_size=300)),
       st.sampled_from(["application/rss+xml", "application/json", "text/xml; charset=utf-16",
                        "text/html; charset=iso-8859-1", ""]))
def test_feed_parsing_never_crashes(body: bytes, ctype: str) -> None:
    check_feed(body, ctype)


@st.composite
def pages(draw: st.DrawFn) -> bytes | str:
    paragraphs = draw(st.lists(FRAGMENT, max_size=5))
    head = "".join(draw(st.lists(st.sampled_from([
        f'<meta charset="{draw(FRAGMENT)}">', f'<link rel="canonical" href="{draw(FRAGMENT)}">',
        f'<meta property="og:site_name" content="{draw(FRAGMENT)}">',
        f'<meta property="article:published_time" content="{draw(FRAGMENT)}">',
        f"<title>{draw(FRAGMENT)}</title>", '<?xml version="1.0" encoding="utf-8"?>',
    ]), max_size=4)))
    page = (f"<html><head>{head}</head><body><article>"
            + "".join(f"<p>{p} The council voted on the harbour bridge again today.</p>"
                      for p in paragraphs)
            + "</article></body></html>")
    return draw(st.sampled_from([page, encoded(page)]))


@SLOW_FUZZ
@given(st.one_of(pages(), st.binary(max_size=300)), st.one_of(st.none(), FRAGMENT),
       st.sampled_from([None, "http://x.example/a", "not a url", "http://[::1"]))
def test_extraction_never_crashes(page: bytes | str, charset: str | None, url: str | None) -> None:
    if isinstance(page, bytes):
        text, _codec, problems = decode_html(page, charset)
        assert isinstance(text, str) and all(isinstance(p, str) for p in problems)
    try:
        article = extract_article(page, url, charset)
    except ExtractionError as error:
        assert error.reason == "no_text" and error.message
        return
    assert article.text.strip()
    assert article.canonical_url is None or article.canonical_url.startswith("http")


RECORDS = st.dictionaries(
    st.sampled_from(["id", "url", "title", "text", "html", "outlet", "published_at"]),
    st.one_of(JSON_VALUES, st.sampled_from(["2024-01-01", "2024-01-01T00:00:00Z", "x", ""])),
    max_size=7,
)
LINES = st.one_of(
    RECORDS.map(lambda r: encoded(json.dumps(r, ensure_ascii=False))),
    RECORDS.map(lambda r: json.dumps(r).encode()),
    JSON_VALUES.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=60),
    HOSTILE.map(encoded),
).map(lambda line: line.replace(b"\n", b" "))  # one line each


def is_blank(line: bytes, number: int) -> bool:
    """Whitespace only (the first line may start with a byte order mark)."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return not (text.removeprefix("\ufeff") if number == 1 else text).strip()


@FUZZ
@given(st.lists(LINES, max_size=8))
def test_every_replay_line_is_an_article_or_a_reported_error(lines: list[bytes]) -> None:
    path = Path(tempfile.gettempdir()) / f"claimwatch-fuzz-{uuid.uuid4().hex}.jsonl"
    try:
        path.write_bytes(b"\n".join(lines))
        archive = read_archive(path)
    finally:
        path.unlink()
    read = [a.line for a in archive.articles]
    failed = [e.line for e in archive.errors]
    blank = {n for n, line in enumerate(lines, 1) if is_blank(line, n)}
    # Every line is accounted for once: blank (skipped), an article, or an error.
    assert sorted([*read, *failed, *blank]) == list(range(1, len(lines) + 1))
    for error in archive.errors:
        assert isinstance(error, ArchiveError) and error.reason != "bad_archive"
        assert f"line {error.line}" in error.message


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)]
)
@settings(max_examples=25, deadline=timedelta(seconds=5), database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.fixed_dictionaries({"title": ANY_TEXT, "text": ANY_TEXT, "guid": ANY_TEXT,
                                     "problems": st.lists(ANY_TEXT, max_size=3)}))
def test_any_text_can_be_stored(
    backend: str, values: dict[str, Any], request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    from sqlmodel import select

    from storage.db import get_engine, init_db, session_scope, storable
    from storage.models import Article

    url = (request.getfixturevalue("postgres_url").replace("postgresql://", "postgresql+psycopg://")
           if backend == "postgresql" else f"sqlite:///{tmp_path / 'fuzz.sqlite'}")
    engine = get_engine(url)
    init_db(engine)
    guid = f"{uuid.uuid4().hex}{values['guid']}"
    with session_scope(engine) as session:
        session.add(Article(origin="fuzz", external_id=guid, title=values["title"],
                            text=values["text"], problems=values["problems"]))
    with session_scope(engine) as session:
        stored = session.exec(select(Article).where(Article.external_id == guid)).one()
    assert (stored.title, stored.text) == (storable(values["title"]), storable(values["text"]))
    assert stored.problems == [storable(p) for p in values["problems"]]
