"""When to try a failed delivery again: exponential backoff with jitter, Retry-After honoured."""

from __future__ import annotations

import random


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
    delay = min(base * 2 ** max(attempt - 1, 0), cap) * (rng or random).uniform(0.8, 1.2)
    return max(delay, retry_after or 0.0)
