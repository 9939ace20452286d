"""The write guard: a Bearer token for the API, a server-side session for the pages.

Every write is refused while CLAIMWATCH_API_TOKEN is unset. The API takes the token only
as a Bearer header, which a browser never adds by itself, so it needs no CSRF defence.

The pages are cookie-authenticated, so they get three layers:
- Signing in with the token opens a server-side session (storage.sessions); the cookie
  holds its random id (HttpOnly, SameSite=Strict, Secure behind HTTPS, see
  CLAIMWATCH_COOKIE_SECURE), signing out revokes it, and a new API token ends it.
- Every form post must come from this site: its Origin (else its Referer) is this
  server's or CLAIMWATCH_PUBLIC_URL's origin; without either it is refused.
- Every form carries a CSRF token: an HMAC, keyed by a key derived from the API token, of
  this browser's random ``claimwatch_csrf`` cookie and its session id. Another site can
  neither read it nor compute it, and it dies with the session.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, HTTPException, Request, Response, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from storage.db import session_scope
from storage.sessions import open_session, revoke_session, session_is_live

COOKIE = "claimwatch_session"
CSRF_COOKIE = "claimwatch_csrf"
SESSION_LIFETIME = timedelta(hours=12)
bearer = HTTPBearer(auto_error=False, description="CLAIMWATCH_API_TOKEN")


def _token(request: Request) -> str | None:
    return request.app.state.api_token


def token_matches(request: Request, candidate: str) -> bool:
    token = _token(request)
    return bool(token) and hmac.compare_digest(candidate.encode(), token.encode())  # type: ignore[union-attr]


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


# Sessions --------------------------------------------------------------------------------


def _key(request: Request, purpose: bytes) -> bytes:
    """A key for one purpose, derived from the API token: changing the token ends every
    session and every form token."""
    token = _token(request)
    assert token, "no keys while writes are disabled"
    return hmac.new(token.encode(), b"claimwatch " + purpose, hashlib.sha256).digest()


def signed_in(request: Request) -> bool:
    """Whether the request carries a live operator session (looked up once per request)."""
    if not hasattr(request.state, "signed_in"):
        session_id = request.cookies.get(COOKIE)
        live = False
        if _token(request) and session_id:
            with session_scope(request.app.state.engine) as db:
                live = session_is_live(db, _key(request, b"session"), session_id)
        request.state.signed_in = live
    return request.state.signed_in


def sign_in(request: Request, response: Response) -> None:
    """Open a new session (never reuse one the browser brought) and revoke the old."""
    key = _key(request, b"session")
    with session_scope(request.app.state.engine) as db:
        if old := request.cookies.get(COOKIE):
            revoke_session(db, key, old)
        session_id = open_session(db, key, SESSION_LIFETIME)
    _set_cookie(request, response, COOKIE, session_id, int(SESSION_LIFETIME.total_seconds()))


def sign_out(request: Request, response: Response) -> None:
    """Revoke the session server-side, so a copy of the cookie signs nobody in."""
    if (session_id := request.cookies.get(COOKIE)) and _token(request):
        with session_scope(request.app.state.engine) as db:
            revoke_session(db, _key(request, b"session"), session_id)
    response.delete_cookie(COOKIE)


def _secure(request: Request) -> bool:
    setting = request.app.state.cookie_secure
    if setting == "auto":
        return request.url.scheme == "https" or request.app.state.public_url.startswith("https:")
    return setting == "true"


def _set_cookie(
    request: Request, response: Response, name: str, value: str, max_age: int | None
) -> None:
    response.set_cookie(
        name, value, max_age=max_age, httponly=True, samesite="strict", secure=_secure(request)
    )


# Forms -----------------------------------------------------------------------------------


def csrf_token(request: Request) -> str:
    """The token this browser's forms carry in this session ('' while writes are off).

    A browser without a ``claimwatch_csrf`` cookie gets a new random id here, which
    :func:`remember_browser` then sets as its cookie.
    """
    if not _token(request):
        return ""
    if not hasattr(request.state, "browser"):
        request.state.browser = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)
    bound = f"{request.state.browser}|{request.cookies.get(COOKIE, '')}".encode()
    return hmac.new(_key(request, b"csrf"), bound, hashlib.sha256).hexdigest()


def remember_browser(request: Request, response: Response) -> None:
    """Set the CSRF cookie that the page's tokens were computed for, if it is new."""
    browser = getattr(request.state, "browser", None)
    if browser and browser != request.cookies.get(CSRF_COOKIE):
        _set_cookie(request, response, CSRF_COOKIE, browser, None)


def form_refusal(request: Request, posted_token: str) -> str | None:
    """Why a form post is refused (another site, or no valid CSRF token), or None."""
    source = request.headers.get("origin") or request.headers.get("referer")
    if source is None:
        return "the request names neither its Origin nor its Referer"
    ours = {_origin(str(request.base_url)), _origin(request.app.state.public_url)}
    origin = _origin(source)
    if origin is None or origin not in ours:
        return "the form was posted from another site"
    expected = csrf_token(request)
    if not (expected and request.cookies.get(CSRF_COOKIE)) or not hmac.compare_digest(
        posted_token.encode(), expected.encode()
    ):
        return "the form's CSRF token is missing or expired"
    return None


def _origin(url: str) -> str | None:
    """``scheme://host[:port]`` of a URL, the default port left out; None if it has none."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme, host = parts.scheme.lower(), parts.hostname
    if scheme not in ("http", "https") or not host:
        return None
    if ":" in host:
        host = f"[{host}]"
    default = 443 if scheme == "https" else 80
    return f"{scheme}://{host}" + (f":{port}" if port and port != default else "")
