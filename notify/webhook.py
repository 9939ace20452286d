"""Webhooks signed the Standard Webhooks way (https://www.standardwebhooks.com/).

Headers ``webhook-id`` (the delivery's idempotency key, the same on every attempt),
``webhook-timestamp`` (seconds, the attempt's time) and ``webhook-signature``: one
``v1,<base64 HMAC-SHA256 of "id.timestamp.body">`` per secret, space-separated, so a
receiver rotating its secret accepts the old and the new one. Secrets are ``whsec_`` +
base64 as the specification has them (any other string is used as raw bytes).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from ingest.errors import FetchError
from ingest.fetch import GuardedTransport
from ingest.fetch import parse_retry_after as fetch_retry_after
from ingest.guard import AddressGuard

SECRET_PREFIX = "whsec_"
# Statuses whose Retry-After the sender honours.
RETRY_AFTER_STATUSES = (429, 503)


@dataclass(frozen=True)
class SendResult:
    """One attempt's outcome, as the outbox records it."""

    ok: bool
    duration_ms: int
    status_code: int | None = None
    error: str | None = None
    retry_after: float | None = None  # seconds the receiver asked us to wait
    gone: bool = False  # 410: the receiver wants no more


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def secret_key(secret: str) -> bytes:
    if secret.startswith(SECRET_PREFIX):
        return base64.b64decode(secret[len(SECRET_PREFIX) :] + "==")
    return secret.encode()


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``v1,<base64>`` signature of one message with one secret."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signed_headers(
    message_id: str, timestamp: int, body: bytes, secret_list: list[str]
) -> dict[str, str]:
    headers = {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
    }
    if secret_list:
        headers["webhook-signature"] = " ".join(
            sign(s, message_id, timestamp, body) for s in secret_list
        )
    return headers


def encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def send_webhook(
    url: str,
    payload: dict[str, Any],
    message_id: str,
    secret_list: list[str],
    timeout: float,
    user_agent: str,
    guard: AddressGuard,
) -> SendResult:
    """POST one signed message; any 2xx is success, redirects are not followed.

    The connection goes only to an address the guard permits (see notify.guard).
    """
    body = encode(payload)
    headers = signed_headers(message_id, int(time.time()), body, secret_list)
    headers["user-agent"] = user_agent
    started = time.monotonic()
    try:
        with httpx.Client(
            transport=GuardedTransport(guard), timeout=timeout, trust_env=False
        ) as client:
            response = client.post(url, content=body, headers=headers)
    except FetchError as error:  # refused by the guard, or the name does not resolve
        return SendResult(False, _ms(started), error=str(error)[:300])
    except httpx.HTTPError as error:
        return SendResult(False, _ms(started), error=f"{type(error).__name__}: {error}"[:300])
    code = response.status_code
    if 200 <= code < 300:
        return SendResult(True, _ms(started), status_code=code)
    retry_after = (
        parse_retry_after(response.headers.get("retry-after"))
        if code in RETRY_AFTER_STATUSES
        else None
    )
    return SendResult(
        False,
        _ms(started),
        status_code=code,
        error=f"HTTP {code}",
        retry_after=retry_after,
        gone=code == 410,
    )


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date. Parsed by
    :func:`ingest.fetch.parse_retry_after` (the one parser; it caps the wait at 30 days),
    given here as a delay, which is what the delivery backoff takes."""
    now = now or datetime.now(UTC)
    when = fetch_retry_after(value, now)
    return None if when is None else (when - now).total_seconds()


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
