"""The checked-in migrations build exactly the schema the SQLModel tables describe."""

from __future__ import annotations

from pathlib import Path

from alembic import command

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
