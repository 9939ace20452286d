"""The checked-in migrations build exactly the schema the SQLModel tables describe."""

from __future__ import annotations

import json
from pathlib import Path

from alembic import command
from sqlalchemy import create_engine, text

from analysis.neardup import bands, signature
from config.settings import Settings
from storage.db import get_engine, init_db
from storage.migrate import alembic_config


def test_upgrade_head_on_empty_postgres_leaves_no_pending_diff(postgres_url: str) -> None:
    url = Settings(database_url=postgres_url).database_url
    command.upgrade(alembic_config(url), "head")
    command.check(alembic_config(url))  # raises when autogenerate would find a difference
    get_engine(url).dispose()


def test_the_embedded_sqlite_path_migrates_the_same_way(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'claimwatch.sqlite'}"
    engine = get_engine(url)
    init_db(engine)
    init_db(engine)  # a second start finds the schema at head and changes nothing
    command.check(alembic_config(url))
    engine.dispose()


def test_articles_stored_before_the_lsh_buckets_get_theirs(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'claimwatch.sqlite'}"
    command.upgrade(alembic_config(url), "5b2e8f0c6d41")
    sig = signature("Wire copy that was stored before near copies were found by bucket.")
    engine = create_engine(url)
    insert = text("INSERT INTO article (origin, external_id, discovered_at, status, problems, "
                  "fetch_attempts, revision_count, minhash) "
                  "VALUES ('replay', :id, '2024-01-01', 'decided', '[]', 0, 0, :minhash)")
    with engine.begin() as conn:
        conn.execute(insert, {"id": "with", "minhash": json.dumps(sig)})
        conn.execute(insert, {"id": "without", "minhash": None})
    command.upgrade(alembic_config(url), "head")
    with engine.connect() as conn:
        buckets = conn.execute(text("SELECT bucket FROM article_band")).scalars().all()
    engine.dispose()
    assert sorted(buckets) == sorted(set(bands(sig)))  # type: ignore[arg-type]
