"""Operator sign-in sessions for the web pages, kept server-side so signing out revokes them.

The browser holds a random session id; the database holds only its HMAC under a key the
caller derives from its own secret (the web app: from the API token), so a copy of the
database signs nobody in, and changing the secret ends every session. A session also
ends when it expires or is revoked.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import Field, Session, SQLModel, col, select

from storage.models import utcnow


class WebSession(SQLModel, table=True):
    __tablename__ = "web_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True, max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime = Field(index=True)


def _digest(key: bytes, session_id: str) -> str:
    return hmac.new(key, session_id.encode(), hashlib.sha256).hexdigest()


def open_session(session: Session, key: bytes, lifetime: timedelta) -> str:
    """Start a session and return its id for the cookie; expired sessions are dropped."""
    now = utcnow()
    session.exec(delete(WebSession).where(col(WebSession.expires_at) <= now))  # type: ignore[call-overload]
    session_id = secrets.token_urlsafe(32)
    session.add(WebSession(token_hash=_digest(key, session_id), expires_at=now + lifetime))
    return session_id


def session_is_live(session: Session, key: bytes, session_id: str) -> bool:
    """Whether the id names a session that is neither expired nor revoked."""
    found = session.exec(
        select(WebSession.id).where(
            WebSession.token_hash == _digest(key, session_id),
            col(WebSession.expires_at) > utcnow(),
        )
    ).first()
    return found is not None


def revoke_session(session: Session, key: bytes, session_id: str) -> None:
    digest = _digest(key, session_id)
    session.exec(delete(WebSession).where(col(WebSession.token_hash) == digest))  # type: ignore[call-overload]
