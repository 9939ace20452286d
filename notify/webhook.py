"""Webhook delivery signed the Standard Webhooks way (webhook-id, -timestamp, -signature).

The signature is HMAC-SHA256 over ``id.timestamp.body`` with the subscriber's secret, read
from the environment variable the subscription names, so secrets never sit in the
database or the logs.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
from typing import Any

import httpx

from storage.models import Alert

PAYLOAD_VERSION = 1


def alert_payload(alert: Alert, public_url: str) -> dict[str, Any]:
    return {
        "version": PAYLOAD_VERSION,
        "type": f"alert.{alert.kind}",
        "alert": {
            "id": alert.id,
            "kind": alert.kind,
            "summary": alert.summary,
            "story_id": alert.story_id,
            "story_url": f"{public_url.rstrip('/')}/stories/{alert.story_id}",
            "article_id": alert.article_id,
            "stance": alert.stance,
            "score": alert.score,
            "contradicts": alert.contradicts,
            "evidence": alert.evidence,
            "new_sources": alert.new_sources,
            "created_at": alert.created_at.isoformat() + "Z",
        },
    }


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``v1,<base64>`` signature; a ``whsec_`` secret is base64, others are raw bytes."""
    key = base64.b64decode(secret[6:]) if secret.startswith("whsec_") else secret.encode()
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def send_webhook(
    url: str, payload: dict[str, Any], message_id: str, secret_env: str | None
) -> str | None:
    """POST the payload; return None on success or a short error for the outbox record."""
    body = json.dumps(payload, separators=(",", ":")).encode()
    timestamp = int(time.time())
    headers = {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
    }
    secret = os.environ.get(secret_env) if secret_env else None
    if secret:
        headers["webhook-signature"] = " ".join(
            sign(s, message_id, timestamp, body) for s in secret.split()
        )
    try:
        response = httpx.post(url, content=body, headers=headers, timeout=10.0)
    except httpx.HTTPError as error:
        return f"{type(error).__name__}: {error}"
    if response.status_code >= 300:
        return f"http_{response.status_code}"
    return None
