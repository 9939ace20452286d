"""Per-process resources the tasks share: the database engine, the fetcher, the models.

Built lazily and cached, so importing a task module costs nothing and a worker loads the
stance model once.
"""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy.engine import Engine

from analysis.stance import StanceEngine
from ingest.fetch import Fetcher, FetchSettings
from storage.db import get_engine, init_db
from worker.settings import get_settings


@lru_cache
def engine() -> Engine:
    db = get_engine(get_settings().database_url)
    init_db(db)
    return db


@lru_cache
def fetcher() -> Fetcher:
    s = get_settings()
    return Fetcher(
        FetchSettings(
            user_agent=s.user_agent,
            connect_timeout=s.connect_timeout,
            read_timeout=s.read_timeout,
            max_bytes=s.max_body_bytes,
            max_redirects=s.max_redirects,
            allowed_networks=s.allowed_network_list,
        )
    )


@lru_cache
def stance_engine() -> StanceEngine:
    return StanceEngine.load()
