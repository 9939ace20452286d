"""A pipeline step's SQL statements do not grow with its story.

Every statement is a round trip to PostgreSQL, paid in CPU on a machine the database and
the workers share. The seeds story (one event, many reports) is run through the pipeline
on PostgreSQL in this process; each alert decision reads the story's reports, and it must
read their stances and cited sources in one statement each, however many reports.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest
from conftest import SEEDS
from loopback import Claimwatch
from sqlalchemy import event

from ingest.archive import load_archive
from storage.db import session_scope
from storage.models import Article, as_utc


def test_each_decision_reads_its_story_in_a_fixed_number_of_statements(
    claimwatch: Claimwatch, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLAIMWATCH_DATABASE_URL", postgres_url)
    claimwatch.reset()
    import tasks.alerts
    from tasks.articles import dedup_article
    from tasks.context import engine
    from worker.app import run_tasks_inline

    run_tasks_inline(propagate=True)
    db = engine()
    ids = []
    with session_scope(db) as session:
        for item in load_archive(SEEDS):
            article = Article(origin="replay", external_id=item.id, title=item.title,
                              text=item.text, published_at=as_utc(item.published_at),
                              status="extracted")
            session.add(article)
            session.flush()
            ids.append(article.id)
    decisions: list[Counter[str]] = []
    deciding: list[bool] = []
    decide_in_order = tasks.alerts._decide_in_order

    def decide(*args, **kwargs):  # type: ignore[no-untyped-def]
        decisions.append(Counter())
        deciding.append(True)
        try:
            return decide_in_order(*args, **kwargs)
        finally:
            deciding.pop()

    def record(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        if deciding:
            for name, read in (("stance", r"\b(?:FROM|JOIN) stance\b"),
                               ("sources", r"\barticle_source\b")):
                if statement.startswith("SELECT") and re.search(read, statement):
                    decisions[-1][name] += 1

    monkeypatch.setattr(tasks.alerts, "_decide_in_order", decide)  # counts, then decides
    event.listen(db, "before_cursor_execute", record)
    try:
        for article_id in ids:
            dedup_article.delay(article_id)
    finally:
        event.remove(db, "before_cursor_execute", record)
        db.dispose()
    assert len(decisions) >= 5  # the story's reports, each decided against the earlier ones
    for statements in decisions:
        assert statements == {"stance": 1, "sources": 1}
