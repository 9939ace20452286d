"""The write guard: a Bearer token for the API, a signed-in cookie for the pages.

Every write is refused while CLAIMWATCH_API_TOKEN is unset. The cookie holds an HMAC of
the token, not the token, and is HttpOnly and SameSite=Strict, so a page on another site
can neither read it nor post a form with it.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

COOKIE = "claimwatch_session"
bearer = HTTPBearer(auto_error=False, description="CLAIMWATCH_API_TOKEN")


def _token(request: Request) -> str | None:
    return request.app.state.api_token


def token_matches(request: Request, candidate: str) -> bool:
    token = _token(request)
    return bool(token) and hmac.compare_digest(candidate.encode(), token.encode())  # type: ignore[union-attr]


def session_value(token: str) -> str:
    """What the sign-in cookie holds: proof of the token that is useless as the token."""
    return hmac.new(token.encode(), b"claimwatch web session", hashlib.sha256).hexdigest()


def signed_in(request: Request) -> bool:
    token, cookie = _token(request), request.cookies.get(COOKIE)
    return bool(token and cookie) and hmac.compare_digest(cookie, session_value(token))  # type: ignore[arg-type]


def require_token(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> None:
    """401 without a Bearer token, 403 with a wrong one or when writes are disabled."""
    if _token(request) is None:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "writes are disabled: no API token is set")
    if credentials is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "a Bearer token is required",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if not token_matches(request, credentials.credentials):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "wrong token")
