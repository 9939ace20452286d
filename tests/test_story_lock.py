"""Two workers analysing the same stream at once open one story, not two."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from conftest import ROOT, SEEDS
from sqlalchemy import create_engine, text

from config.settings import Settings
from ingest.archive import load_archive
from storage.db import get_engine, init_db, session_scope, take_lock
from storage.models import Article, as_utc

pytestmark = pytest.mark.integration  # PostgreSQL and racing processes

WORKER = textwrap.dedent(
    """
    import sys
    from worker.app import app
    app.conf.task_always_eager = True
    app.set_current()
    from tasks.analyse import analyse_article
    for article_id in map(int, sys.argv[1:]):
        analyse_article(article_id)
    """
)


def test_concurrent_analysis_opens_one_story(postgres_url: str, tmp_path: Path) -> None:
    url = Settings(database_url=postgres_url).database_url
    db = get_engine(url)
    init_db(db)
    ids = []
    with session_scope(db) as session:
        for item in load_archive(SEEDS):
            article = Article(
                origin="replay",
                external_id=item.id,
                title=item.title,
                text=item.text,
                published_at=as_utc(item.published_at),
                status="deduplicated",
            )
            session.add(article)
            session.flush()
            ids.append(str(article.id))
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "CLAIMWATCH_DATABASE_URL": postgres_url,
        "CLAIMWATCH_LOG_FORMAT": "json",
    }
    # Two processes, each handed every article (as at-least-once delivery may), in opposite
    # orders, so both try to open the story at the same moment.
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, *order],
            env=env,
            cwd=tmp_path,
            stderr=subprocess.PIPE,
            text=True,
        )
        for order in (ids, ids[::-1])
    ]
    for worker in workers:
        _, err = worker.communicate(timeout=300)
        assert worker.returncode == 0, err
    check = create_engine(url)
    with check.connect() as conn:
        stories = conn.execute(text("SELECT count(*) FROM story")).scalar()
        per_article = conn.execute(
            text("SELECT count(*) FROM stance GROUP BY article_id HAVING count(*) > 1")
        ).all()
        statuses = conn.execute(text("SELECT DISTINCT status FROM article")).scalars().all()
        alerts = conn.execute(text("SELECT key, count(*) FROM alert GROUP BY key")).all()
    check.dispose()
    db.dispose()
    assert stories == 1
    assert per_article == []
    assert statuses == ["decided"]
    assert alerts and all(count == 1 for _, count in alerts)


def test_processes_racing_to_create_a_lock_row_all_get_the_lock(postgres_url: str) -> None:
    """The first use of a lock creates its row; racers wait for it instead of failing on
    its primary key (IntegrityError lock_pkey)."""
    db = get_engine(Settings(database_url=postgres_url).database_url)
    init_db(db)
    start = threading.Barrier(6)
    errors: list[Exception] = []

    def take() -> None:
        try:
            with session_scope(db) as session:
                start.wait()
                take_lock(session, "first-use")
                time.sleep(0.2)  # hold it, so the others meet an uncommitted row
        except Exception as error:  # collected for the assertion below
            errors.append(error)

    threads = [threading.Thread(target=take) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    db.dispose()
    assert errors == []
