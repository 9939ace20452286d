"""When to try a failed delivery again: exponential backoff with jitter, Retry-After honoured."""

from __future__ import annotations

import random

from ingest.schedule import exponential_backoff


def backoff_seconds(
    attempt: int,
    base: float,
    cap: float,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> float:
    """Wait before attempt ``attempt + 1``: base·2^(attempt-1), capped, ±20 % so that
    receivers coming back up are not hit by every sender at once; never less than the
    receiver's Retry-After."""
    return max(exponential_backoff(attempt, base, cap, rng), retry_after or 0.0)
