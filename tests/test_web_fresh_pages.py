"""A story page the web app kept is never shown stale.

The app keeps each story's rendered page until the story's version moves; here the
pipeline's own tasks write (a new story with its stance and alert, a copy joining it, a
revision re-judging the stance and raising an alert) between reads of the page by one
app, and each read shows the write at once, in one statement while nothing changed.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from loopback import Claimwatch, LoopbackServer, page, rss, static
from sqlalchemy import event
from test_revisions import REVISED, TITLE, CorrectionAwareJudge
from test_web_support import client_for


@pytest.fixture
def watched(
    claimwatch_on_both: Claimwatch, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Claimwatch, TestClient, list[str]]]:
    """claimwatch checking revisions at every sweep, an app over its database, and the
    statements the app sends."""
    from config.settings import get_settings

    monkeypatch.setenv("CLAIMWATCH_REVISION_CHECK_INTERVAL_SECONDS", "0")
    claimwatch_on_both.reset()
    statements: list[str] = []
    with client_for(get_settings().database_url) as client:
        engine = client.app.state.engine  # type: ignore[attr-defined]

        def record(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
            statements.append(statement)

        event.listen(engine, "before_cursor_execute", record)
        yield claimwatch_on_both, client, statements
        event.remove(engine, "before_cursor_execute", record)


def test_the_story_page_shows_each_write_at_once(
    server: LoopbackServer,
    watched: tuple[Claimwatch, TestClient, list[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from storage.models import Article
    from tasks import revisions

    claimwatch, client, statements = watched
    judge = CorrectionAwareJudge()
    monkeypatch.setattr(revisions, "stance_engine", lambda: judge)
    item = {"guid": "1", "link": server.url("/a"), "title": TITLE}
    server.routes["/feed.xml"] = static(rss([item]))
    server.routes["/a"] = static(page(TITLE, "Harbour Gazette").encode(), "text/html")
    claimwatch.add(server.url("/feed.xml"))
    claimwatch.poll()
    [article] = claimwatch.rows(Article)
    path = f"/stories/{article.story_id}"

    def read() -> str:
        statements.clear()
        response = client.get(path)
        assert response.status_code == 200
        return response.text

    first = read()
    assert first.count('class="report"') == 1 and "Harbour Gazette" in first
    assert 'data-stance="supports"' in first and "New story" in first
    assert read() == first and len(statements) == 1  # kept: one statement, the same page

    # A syndicated copy on another site joins the story as one more report.
    copy = {"guid": "2", "link": server.url("/b"), "title": TITLE}
    server.routes["/feed.xml"] = static(rss([item, copy]))
    server.routes["/b"] = static(page(TITLE, "Bay Courier").encode(), "text/html")
    claimwatch.poll()
    joined = read()
    assert joined.count('class="report"') == 2 and "Bay Courier" in joined
    assert len(statements) == 3

    # The first report is revised: its stance is judged again and an alert raised.
    server.routes["/a"] = static(page(TITLE, "Harbour Gazette", REVISED).encode(), "text/html")
    assert revisions.schedule_revision_checks() >= 1
    revised = read()
    assert 'data-stance="refutes"' in revised and "did not approve" in revised
    assert "was revised (revision 1)" in revised
    assert read() == revised and len(statements) == 1


def test_with_no_room_to_keep_pages_each_read_builds_the_page(
    watched: tuple[Claimwatch, TestClient, list[str]], server: LoopbackServer
) -> None:
    from storage.models import Article

    claimwatch, client, statements = watched
    client.app.state.story_pages.capacity = 0  # type: ignore[attr-defined]
    server.routes["/feed.xml"] = static(rss([{"guid": "1", "link": server.url("/a"),
                                              "title": TITLE}]))
    server.routes["/a"] = static(page(TITLE, "Harbour Gazette").encode(), "text/html")
    claimwatch.add(server.url("/feed.xml"))
    claimwatch.poll()
    [article] = claimwatch.rows(Article)
    pages = []
    for _ in range(2):
        statements.clear()
        pages.append(client.get(f"/stories/{article.story_id}").text)
        assert len(statements) == 3
    assert pages[0] == pages[1] and "Harbour Gazette" in pages[0]
