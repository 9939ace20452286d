"""Which subscribers want which alert: kinds, stories, claims, outlets, minimum confidence.

Pure: the decision task passes what it knows about the alert. Each filter that a
subscription sets must hold; an empty filter lets everything through. Without a kinds
filter a subscriber gets the story alerts; operational notices go only to those that ask.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from storage.subscriptions import ALERT_KINDS, Subscriber


@dataclass(frozen=True)
class AlertFacts:
    kind: str
    story_id: int
    claim_keys: frozenset[str]  # the claim's operator id and numeric id, as strings
    outlets: frozenset[str]  # the new report's outlet and those of the reports it contradicts
    score: float | None


def wants(subscriber: Subscriber, alert: AlertFacts) -> bool:
    kinds: Collection[str] = subscriber.kinds or ALERT_KINDS
    if alert.kind not in kinds:
        return False
    if subscriber.story_ids and alert.story_id not in subscriber.story_ids:
        return False
    if subscriber.claim_ids and not alert.claim_keys & set(subscriber.claim_ids):
        return False
    if subscriber.outlets:
        wanted = {o.casefold() for o in subscriber.outlets}
        if not wanted & {o.casefold() for o in alert.outlets}:
            return False
    return subscriber.min_score is None or (
        alert.score is not None and alert.score >= subscriber.min_score
    )


def wants_notice(subscriber: Subscriber, kind: str) -> bool:
    return kind in subscriber.kinds
