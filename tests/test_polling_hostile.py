"""Hostile feeds beside the seeds feed, in one poll, on SQLite and on PostgreSQL.

Each hostile feed used to stop the whole batch: ``&#xD800;`` crashed feedparser, a NUL
failed the batch's single insert on PostgreSQL, and a value longer than its column does
still fail it there. Now each keeps its trouble to itself, with a recorded reason, and the
seeds feed beside them yields all five articles.
"""

from __future__ import annotations

import json

from conftest import SEEDS
from loopback import Claimwatch, LoopbackServer, ok, page, rss, static

from ingest.archive import load_archive
from ingest.fakefeed import FakeFeed


def hostile_feeds(server: LoopbackServer) -> dict[str, bytes]:
    u = server.url
    nul_page = page("Bridge vote\x00 delayed", "Nul\x00 Gazette").replace(
        "mayor Anna Lind", "mayor Anna\x00 Lind"
    )
    server.routes["/a/nul"] = ok(nul_page.encode())
    json_feed = json.dumps({
        "version": "https://jsonfeed.org/version/1.1", "title": "J\ud800",
        "items": [{"id": "j\x00\ud800", "title": "Lone \udc00 surrogate", "content_text": "x"}],
    }).encode()
    return {
        "/surrogate.xml": rss([
            {"guid": "s1", "title": "Bad &#xD800; reference", "description": "&#55296; &#0;"},
            {"guid": "s2", "title": "Fine neighbour"},
        ], title="Surrogates &#xDFFF;"),
        "/nul.xml": rss([
            {"guid": "n1\x00", "title": "Raw\x00 NUL", "link": u("/a/nul")},
            {"guid": "n2", "title": "Fine neighbour"},
        ]),
        # Longer than the article.external_id column: PostgreSQL refuses the row.
        "/long.xml": rss([{"guid": "g" * 3000, "title": "Overlong GUID"}]),
        "/json.json": json_feed,
        # In UTF-16 the reference escapes the scrub, and feedparser still crashes on it.
        "/utf16.xml": rss([{"guid": "w1", "title": "Wide &#xD800;"}]).replace(
            b'<?xml version="1.0"?>', b'<?xml version="1.0" encoding="utf-16"?>'
        ).decode().encode("utf-16"),
    }


def test_hostile_feeds_keep_their_trouble_to_themselves(
    server: LoopbackServer, claimwatch_on_both: Claimwatch
) -> None:
    claimwatch = claimwatch_on_both
    from config.settings import get_settings
    from storage.db import get_engine
    from storage.models import Article, Feed

    postgres = get_engine(get_settings().database_url).dialect.name == "postgresql"
    feeds = hostile_feeds(server)
    for path, body in feeds.items():
        server.routes[path] = static(body, "application/json" if path.endswith(".json") else
                                     "application/rss+xml")
    with FakeFeed(load_archive(SEEDS), release="all") as seeds:
        claimwatch.add(seeds.url, *(server.url(p) for p in feeds))
        results = claimwatch.poll()

    seeds_result = results[seeds.url]
    assert seeds_result["status"] == "ok" and seeds_result["new_articles"] == 5
    seeded = claimwatch.rows(Article, origin=f"feed:{seeds_result['feed_id']}")
    assert len(seeded) == 5 and {a.status for a in seeded} == {"decided"}

    surrogate = results[server.url("/surrogate.xml")]
    assert surrogate["status"] == "ok" and surrogate["new_articles"] == 2
    assert any(p.startswith("bad_character: 4 ") for p in surrogate["problems"])
    [feed] = claimwatch.rows(Feed, id=surrogate["feed_id"])
    assert feed.title == "Surrogates \ufffd"

    nul = results[server.url("/nul.xml")]
    assert nul["status"] == "ok" and nul["new_articles"] == 2
    assert any(p.startswith("malformed feed") for p in nul["problems"])
    # The article page holding NULs is stored without them and goes all the way.
    [article] = claimwatch.rows(Article, external_id="n1")
    assert article.status == "decided", (article.error_reason, article.error_message)
    assert "mayor Anna Lind" in (article.text or "") and "\x00" not in (article.html or "")

    json_feed = results[server.url("/json.json")]
    [entry] = claimwatch.rows(Article, origin=f"feed:{json_feed['feed_id']}")
    assert entry.external_id == "j\ufffd" and entry.title == "Lone \ufffd surrogate"

    utf16 = results[server.url("/utf16.xml")]
    assert utf16["status"] == "error" and utf16["error_reason"] == "parse_error"
    assert "UnicodeEncodeError" in utf16["last_error"]

    long = results[server.url("/long.xml")]
    if postgres:
        assert long["status"] == "error" and long["error_reason"] == "storage_error"
        assert "too long" in long["last_error"]
    else:  # SQLite does not enforce lengths
        assert long["status"] == "ok" and long["new_articles"] == 1
