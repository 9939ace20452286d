"""Per-request resources the routes share: a database session and the public base URL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session

from storage.db import session_scope


def db_session(request: Request) -> Iterator[Session]:
    """A session that commits when the route returns and rolls back if it raises."""
    with session_scope(request.app.state.engine) as session:
        yield session


def public_url(request: Request) -> str:
    return request.app.state.public_url


# The session ends (commits) before the response leaves, so a client that follows a
# redirect or reads right after a write sees the write.
DB = Annotated[Session, Depends(db_session, scope="function")]
Base = Annotated[str, Depends(public_url)]
