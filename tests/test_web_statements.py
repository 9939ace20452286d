"""The newsroom's busiest pages cost a fixed, small number of SQL statements.

A page that issues one statement per report, per alert or per story slows down as stories
grow, and every statement is a round trip to PostgreSQL. The seeds story plus a few
one-article stories are replayed into PostgreSQL; each page's statements are counted as
SQLAlchemy sends them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ROOT, SEEDS, run_cli
from fastapi.testclient import TestClient
from sqlalchemy import event
from test_web_support import client_for

from config.settings import Settings

MAX_STATEMENTS = 3
OTHER_STORIES = [
    ("Comet lander wakes up after seven months of silence", "Scientists said the lander "
     "sent a signal on Saturday after months without power on the comet's surface."),
    ("City council approves new bridge over the river", "The council voted eight to three "
     "on Monday to fund the bridge, which engineers expect to finish within four years."),
    ("Chess champion loses to amateur in exhibition match", "The reigning champion resigned "
     "after forty moves against a local amateur at a charity event on Sunday evening."),
]


@pytest.fixture
def seeded(postgres_url: str, tmp_path: Path) -> Iterator[tuple[TestClient, list[str]]]:
    """A client over PostgreSQL holding the replayed seeds and three more stories, and the
    statements it sends."""
    env = {
        "CLAIMWATCH_DATABASE_URL": postgres_url,
        "CLAIMWATCH_BROKER_URL": f"sqla+sqlite:///{tmp_path / 'broker.sqlite'}",
    }
    run_cli(["replay", str(SEEDS)], env, cwd=ROOT)
    others = tmp_path / "others.jsonl"
    others.write_text("".join(
        json.dumps({"id": f"other-{i}", "title": title, "text": text, "outlet": f"Outlet {i}",
                    "published_at": f"2024-01-0{i + 1}T08:00:00Z"}) + "\n"
        for i, (title, text) in enumerate(OTHER_STORIES)
    ))
    run_cli(["replay", str(others)], env, cwd=ROOT)
    statements: list[str] = []
    with client_for(Settings(database_url=postgres_url).database_url) as client:
        engine = client.app.state.engine  # type: ignore[attr-defined]

        def record(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
            statements.append(statement)

        event.listen(engine, "before_cursor_execute", record)
        yield client, statements
        event.remove(engine, "before_cursor_execute", record)
        engine.dispose()


def test_front_and_story_pages_take_at_most_three_statements(
    seeded: tuple[TestClient, list[str]],
) -> None:
    client, statements = seeded
    stories = client.get("/api/stories").json()
    assert stories["total"] == 1 + len(OTHER_STORIES)
    seeds_story = next(s for s in stories["items"] if s["report_count"] == 5)
    assert seeds_story["disputed"] and seeds_story["contradiction_count"] == 2
    assert seeds_story["outlet_count"] == 3 and seeds_story["source_count"] >= 7
    paths = [
        "/",
        "/?sort=contradictions",
        "/?disputed=true",
        "/?q=Musk",
        f"/stories/{seeds_story['id']}",
        "/api/stories",
        f"/api/stories/{seeds_story['id']}",
    ]
    for path in paths:
        statements.clear()
        response = client.get(path)
        assert response.status_code == 200, path
        assert len(statements) <= MAX_STATEMENTS, (path, statements)
        # The story page shows no article's page or text: never load them.
        assert not any("article.html" in s or "article.text" in s for s in statements), path
    # A story page this process kept costs the one statement that finds it unchanged.
    statements.clear()
    assert client.get(f"/stories/{seeds_story['id']}").status_code == 200
    assert len(statements) == 1, statements
    story = client.get(f"/api/stories/{seeds_story['id']}").json()
    assert [r["external_id"] for r in story["reports"]] == ["002", "001", "000", "003", "004"]
    assert all(r["stance"] for r in story["reports"])
    assert {r["outlet"] for r in story["reports"]} - {None} == {o["name"] for o in story["outlets"]}
    assert len(story["contradictions"]) == 2 and story["alerts"][0]["story_title"]
