"""Engines, sessions and the cross-worker locks.

One engine per process and database URL. SQLite gets WAL and a busy timeout so a worker,
beat and the web app can share one file, and ``synchronous=NORMAL``: a commit no longer
waits for the disk (a sync per commit cost ~2 ms, more than a step's work), the database
stays consistent, and what a power cut may lose, the last commits, the pipeline already
recovers from (each step is idempotent; the stall sweep re-runs a step that did not move).

The engine is also the one boundary where outside text is made storable: PostgreSQL
refuses NUL characters and both databases refuse lone surrogates (``&#xD800;`` in a feed,
``"\\ud800"`` in a replay line), and one such character used to fail a whole batch. Every
statement's parameters and every JSON value pass through :func:`storable`, so no caller
has to remember.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from enum import IntEnum
from functools import lru_cache
from typing import Any

import structlog
from sqlalchemy import event, func, select, text, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlmodel import Session, create_engine

from storage.models import Lock, utcnow

STORY_ASSIGNMENT = "story_assignment"


class KeyLock(IntEnum):
    """The spaces of keyed locks (see :func:`lock_key`): what a worker holds while it
    decides on one claim's or one story's rows, so workers on other keys go on at once."""

    NEW_STORY = 1  # one key: opening a story, and checking no one opened it meanwhile
    CLAIM = 2  # joining an article to the claim's story
    STORY = 3  # the story's alert decisions and stance changes

log = structlog.get_logger(__name__)

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(text: str) -> str:
    """``text`` without NUL characters, its lone surrogates replaced by U+FFFD."""
    if _UNSTORABLE.search(text) is None:
        return text
    log.info("unstorable characters replaced", nul=text.count("\x00"), chars=len(text))
    return _UNSTORABLE.sub(lambda m: "" if m.group() == "\x00" else "\ufffd", text)


def _storable_values(value: Any) -> Any:
    """Statement parameters (or a JSON value) with every string made storable."""
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, dict):
        return {k: _storable_values(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_storable_values(v) for v in value)
    return value


def _storable_json(value: Any) -> str:
    return json.dumps(_storable_values(value))


def is_outage(error: BaseException) -> bool:
    """Whether a failed statement is the database's trouble (down, locked), not the data's.

    The data's fault stays with the feed or item that brought it; an outage is raised so
    the whole task is tried again.
    """
    return isinstance(error, (OperationalError, InterfaceError))


def describe_error(error: BaseException) -> str:
    """A short reason to record: the driver's message, without the SQL and parameters."""
    return f"{type(error).__name__}: {getattr(error, 'orig', None) or error}"[:500]


@lru_cache(maxsize=8)
def get_engine(url: str, *, pre_ping: bool = True) -> Engine:
    """The engine for `url`, one per process. `pre_ping` tests each pooled PostgreSQL
    connection with a round trip before lending it, so a web page never meets one the
    server dropped (a restart); code that retries on a dropped connection can skip it."""
    engine = _create_engine(url, pre_ping)

    @event.listens_for(engine, "before_cursor_execute", retval=True)
    def _storable_parameters(  # type: ignore[no-untyped-def]
        _conn, _cursor, statement, parameters, _context, _executemany
    ):
        return statement, _storable_values(parameters)

    return engine


def _create_engine(url: str, pre_ping: bool) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"timeout": 60, "check_same_thread": False},
            json_serializer=_storable_json,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=60000")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=pre_ping, json_serializer=_storable_json)


def init_db(engine: Engine) -> None:
    """Migrate the schema to the newest version and create the lock rows."""
    from storage.migrate import upgrade

    upgrade(engine.url.render_as_string(hide_password=False))
    with Session(engine) as session:
        _create_lock(session, STORY_ASSIGNMENT)
        session.commit()


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def take_lock(session: Session, name: str) -> None:
    """Hold the named lock until the session's transaction ends.

    Updating the lock row takes a row lock on PostgreSQL and the database write lock on
    SQLite, so two workers on two machines run the critical section one after the other.
    Call it first in the transaction, before reading what the section decides on.
    """
    take = update(Lock).where(Lock.name == name).values(acquired_at=utcnow())
    if session.exec(take).rowcount == 0:  # type: ignore[call-overload]
        _create_lock(session, name)
        session.exec(take)  # type: ignore[call-overload]


def lock_key(session: Session, space: KeyLock, key: int = 0) -> None:
    """Hold the lock on one key of ``space`` until the session's transaction ends.

    On PostgreSQL a transaction-scoped advisory lock: transactions on other keys do not
    wait. SQLite lets one writer in at a time whatever the key, so there the database write
    lock (:func:`take_lock` on ``STORY_ASSIGNMENT``) stands in; it must be taken before the
    transaction reads, or its first write fails on a changed snapshot. Call it first.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.exec(select(func.pg_advisory_xact_lock(int(space), key)))  # type: ignore[call-overload]
    else:
        take_lock(session, STORY_ASSIGNMENT)


def upsert(session: Session) -> Any:
    """The dialect's ``insert`` construct, which has ``on_conflict_do_nothing``: rows that
    processes may add at once (a lock, a source's name) are added once, without a failure."""
    return postgresql_insert if session.get_bind().dialect.name == "postgresql" else (
        sqlite_insert
    )


def _create_lock(session: Session, name: str) -> None:
    """Create the lock row unless it exists: processes starting at once all ask, and the
    losers of the race wait for the winner's row instead of failing on its primary key."""
    insert = upsert(session)
    session.exec(insert(Lock).values(name=name, acquired_at=utcnow()).on_conflict_do_nothing())  # type: ignore[call-overload]


def ping(engine: Engine) -> None:
    """Raise unless the database answers a trivial query."""
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
