"""Alembic environment: the SQLModel tables are the target, the URL comes from settings.

On PostgreSQL an advisory lock serialises migrations, so any number of processes may
ask for ``upgrade head`` at start-up and exactly one does the work.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import text
from sqlmodel import SQLModel

import storage  # noqa: F401  (registers every table)
from config.settings import get_settings
from storage.db import get_engine

MIGRATION_LOCK = 7_141_521_001

config = context.config
url = config.attributes.get("url") or get_settings().database_url


def run_offline() -> None:
    context.configure(url=url, target_metadata=SQLModel.metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    engine = get_engine(url)
    with engine.connect() as connection:
        postgres = connection.dialect.name == "postgresql"
        if postgres:
            connection.execute(text(f"SELECT pg_advisory_lock({MIGRATION_LOCK})"))
            connection.commit()
        try:
            context.configure(
                connection=connection,
                target_metadata=SQLModel.metadata,
                render_as_batch=connection.dialect.name == "sqlite",
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
        finally:
            if postgres:
                connection.execute(text(f"SELECT pg_advisory_unlock({MIGRATION_LOCK})"))
                connection.commit()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
