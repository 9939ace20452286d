"""The batch poll path on PostgreSQL: bulk updates, insert-or-skip of entries, the sweep."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from loopback import (
    Claimwatch,
    LoopbackServer,
    configured,
    rss,
    static,
    status,
)


@pytest.fixture
def claimwatch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, postgres_url: str
) -> Iterator[Claimwatch]:
    with configured(tmp_path, monkeypatch) as cw:
        monkeypatch.setenv("CLAIMWATCH_DATABASE_URL", postgres_url)
        cw.reset()
        yield cw
        from config.settings import get_settings
        from storage.db import get_engine

        get_engine(get_settings().database_url).dispose()


def test_batch_polling_on_postgres(server: LoopbackServer, claimwatch: Claimwatch) -> None:
    from storage.models import Article, Feed
    from tasks.feeds import poll_batch, schedule_due_feeds
    from worker.app import app

    app.conf.task_always_eager = True

    app.set_current()
    items = [{"guid": f"g{i}", "title": f"Entry {i}"} for i in range(3)]  # no links: no fetch
    server.routes["/a.xml"] = static(rss(items))
    server.routes["/b.xml"] = static(rss(items[:1]))
    server.routes["/limited.xml"] = status(429, **{"Retry-After": "600"})
    claimwatch.add(*(server.url(p) for p in ("/a.xml", "/b.xml", "/limited.xml")))
    assert schedule_due_feeds() == 3
    feeds = {f.url.rsplit("/", 1)[1]: f for f in claimwatch.rows(Feed)}
    assert feeds["a.xml"].status == "ok" and feeds["a.xml"].etag
    assert feeds["limited.xml"].retry_after_until is not None
    articles = claimwatch.rows(Article)
    # No page: each entry is judged from its headline, the reason recorded; b's entry has
    # a's headline, so it is a copy.
    assert sorted(a.status for a in articles) == ["decided"] * 3 + ["duplicate"]
    assert all(
        any(p.startswith("page_unavailable") for p in a.problems) for a in articles
    )
    # Polled again at once: 304s, nothing new, the rate-limited feed skipped.
    new = poll_batch([f.id for f in feeds.values()])  # type: ignore[misc]
    assert new == {feeds["a.xml"].id: [], feeds["b.xml"].id: []}
    assert {f.last_status_code for f in claimwatch.rows(Feed)} == {304, 429}
    assert len(server.requests("/limited.xml")) == 1
    assert len(claimwatch.rows(Article)) == 4
