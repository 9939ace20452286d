"""Per-request resources the routes share: a database session and the public base URL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from sqlmodel import Session

from storage.db import session_scope


def db_session(request: Request) -> Iterator[Session]:
    """A session that commits when the route returns and rolls back if it raises."""
    with session_scope(request.app.state.engine) as session:
        yield session


T = TypeVar("T")


def released(session: Session, result: T) -> T:
    """Commit, giving the connection back, before an API route returns its model.

    FastAPI validates a sync route's returned model in one more worker thread, and ends the
    route's session only after that. Under load, every database connection was then held
    by a request waiting for a thread while every thread (CLAIMWATCH_WEB_THREADS) was a
    route waiting for a connection, until the pool timed out: 20 connections to
    /api/stories hung for 30 s and got 500s. Pages return their response and need no
    such thread.
    """
    session.commit()
    return result


async def public_url(request: Request) -> str:
    """Async, so FastAPI runs it on the event loop: a sync dependency costs each request
    one more hand-off to a worker thread and back, which under load waits for the GIL."""
    return request.app.state.public_url


# The session ends (commits) before the response leaves, so a client that follows a
# redirect or reads right after a write sees the write.
DB = Annotated[Session, Depends(db_session, scope="function")]
Base = Annotated[str, Depends(public_url)]
