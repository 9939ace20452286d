"""Per-process resources the tasks share: the database engine, the fetcher, the models.

Built lazily and cached, so importing a task module costs nothing and a worker loads the
stance model once. Their modules are imported on first use too, as everywhere in tasks/
(see the package's docstring): the stance engine's alone (scipy among them) would cost the
worker's main process 15 MB.
"""

from __future__ import annotations

import gc
import importlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache, wraps
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy.engine import Engine
from sqlmodel import Session

from config.settings import get_settings
from storage.claims import claims_after, last_claim_id
from storage.db import get_engine, init_db

if TYPE_CHECKING:
    from analysis.claim_index import ClaimIndex
    from analysis.matching import MatchModel
    from analysis.stance import StanceEngine
    from ingest.fetch import Fetcher


T = TypeVar("T")


def _loaded_once(load: Callable[[], T]) -> Callable[[], T]:
    """Cache a model's loading, once per process even when a task and the warm-up thread
    (see `warm_up`) ask at the same moment: plain `lru_cache` would load it twice."""
    lock = threading.Lock()
    cached = lru_cache(maxsize=None)(load)

    @wraps(load)
    def get() -> T:
        with lock:
            return cached()

    get.cache_clear = cached.cache_clear  # type: ignore[attr-defined]
    return get


@_loaded_once
def engine() -> Engine:
    """The tasks' engine, the schema brought to head on first use (a third of a second: a
    worker's pool process does it while it waits for its first task, see `worker.app`). Its
    connections are not tested before each use (a round trip per transaction, five or more
    per article): a task that meets one the server dropped fails with a transient error
    and is retried, and SQLAlchemy then replaces the whole pool."""
    db = get_engine(get_settings().database_url, pre_ping=False)
    init_db(db)
    return db


@lru_cache
def fetcher() -> Fetcher:
    from ingest.fetch import Fetcher, FetchSettings

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


@_loaded_once
def stance_engine() -> StanceEngine:
    """The engine keeps the features of the last few bodies only: a task judges one article
    against its candidate claims (and again under the story lock); the 2,048 bodies
    training keeps, 40 to 70 kB each, would grow a worker by up to 140 MB."""
    from analysis.stance import StanceEngine

    return StanceEngine.load(get_settings().stance_model_dir or None, doc_cache=8)


@dataclass
class _IndexState:
    index: ClaimIndex
    up_to: int = 0
    built_at: float = field(default_factory=time.monotonic)


_indexes: dict[str, _IndexState] = {}
INDEX_REBUILD_SECONDS = 300.0  # picks up claims whose text an operator changed


def claim_weights() -> Callable[[str], float]:
    """How the claim index weighs a word: the stance engine's IDF, so retrieval and stance
    read words alike (and every process, loading the same engine, weighs them the same)."""
    return stance_engine().fx.w


def claim_index(session: Session) -> ClaimIndex:
    """This process's index of every claim in the database, brought up to date with the
    claims added since the last article, and rebuilt now and then for edited ones."""
    from analysis.claim_index import ClaimIndex

    key = get_settings().database_url
    state = _indexes.get(key)
    if (
        state is None
        or time.monotonic() - state.built_at > INDEX_REBUILD_SECONDS
        or last_claim_id(session) < state.up_to  # a database made anew under the same URL
    ):
        state = _indexes[key] = _IndexState(ClaimIndex(claim_weights()))
    for claim_id, text in claims_after(session, state.up_to):
        state.index.add(claim_id, text)
        state.up_to = claim_id
    return state.index


@_loaded_once
def match_model() -> MatchModel:
    from analysis.matching import MatchModel

    return MatchModel.load()


def warm_up() -> None:
    """Import the work the tasks do and load the models (about a second), so that the first
    article a process takes does not wait for them: a replay calls it before forking the
    processes that read ahead, a worker's pool process while it waits for its first task.

    What is loaded by then lives as long as the process, so it is frozen out of the garbage
    collector's scans: each full collection, and the one at exit, walked those millions of
    objects again (a fifth of a short replay's time), and after a fork the scans no longer
    write to pages the processes share.
    """
    collecting = gc.isenabled()
    gc.disable()  # nothing loaded here is garbage: collecting while loading wastes scans
    try:
        for module in ("analysis.neardup", "analysis.reading", "analysis.alerts",
                       "ingest.extract"):
            importlib.import_module(module)
        stance_engine()
        match_model()
    finally:
        gc.freeze()
        if collecting:
            gc.enable()
