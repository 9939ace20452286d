"""Schema migrations with Alembic, for PostgreSQL and the embedded SQLite alike.

The migration scripts live in the package (storage/migrations), so an installed
claimwatch migrates without the repository's alembic.ini.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["url"] = url
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at `url` to `revision`; safe to call from many processes at once."""
    command.upgrade(alembic_config(url), revision)
