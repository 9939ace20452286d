"""Creating a subscription: the one set of checks the CLI and the web API share."""

from __future__ import annotations

from functools import lru_cache

from ingest.guard import AddressGuard
from notify.apprise_channel import is_apprise_url
from notify.guard import creation_refusal, delivery_guard
from notify.secrets import ENV_NAME, PLACEHOLDER
from storage.subscriptions import KINDS, Subscriber


class SubscriptionError(ValueError):
    """A subscription that cannot work; the message says why, for the operator."""


def is_webhook(url: str) -> bool:
    return url.lower().startswith(("http://", "https://"))


def new_subscriber(
    channel_url: str,
    *,
    secret_env: str | None = None,
    kinds: list[str] | None = None,
    story_ids: list[int] | None = None,
    claim_ids: list[str] | None = None,
    outlets: list[str] | None = None,
    min_score: float | None = None,
    digest_minutes: float | None = None,
    guard: AddressGuard | None = None,
) -> Subscriber:
    """A checked, unsaved Subscriber: an http(s) URL is a webhook, anything else Apprise.

    A channel whose host the address guard refuses (``guard``, by default the one with
    the operator's allow-list) is refused here, and would be again at every delivery.
    """
    kinds = kinds or []
    unknown = sorted(set(kinds) - set(KINDS))
    if unknown:
        raise SubscriptionError(
            f"unknown kind(s) {', '.join(unknown)}; choose from {', '.join(KINDS)}"
        )
    webhook = is_webhook(channel_url)
    if secret_env is not None and not ENV_NAME.fullmatch(secret_env):
        raise SubscriptionError(
            f"the secret takes an environment variable's name, not {secret_env!r}"
        )
    if secret_env and not webhook:
        raise SubscriptionError(
            "a secret signs webhooks; put an Apprise URL's tokens in it as ${VAR}"
        )
    if min_score is not None and not 0 <= min_score <= 1:
        raise SubscriptionError("the minimum score is between 0 and 1")
    if digest_minutes is not None and digest_minutes <= 0:
        raise SubscriptionError("digest minutes must be positive")
    if not webhook and not _usable_apprise_url(channel_url):
        raise SubscriptionError("not an http(s) webhook URL nor an Apprise URL Apprise knows")
    if refusal := creation_refusal(channel_url, guard or delivery_guard()):
        raise SubscriptionError(
            f"deliveries cannot go there: {refusal} (private, loopback and link-local "
            "addresses are refused unless CLAIMWATCH_ALLOWED_NETWORKS allows them)"
        )
    return Subscriber(
        channel_url=channel_url,
        channel="webhook" if webhook else "apprise",
        secret_env=secret_env,
        kinds=kinds,
        story_ids=story_ids or [],
        claim_ids=claim_ids or [],
        outlets=outlets or [],
        min_score=min_score,
        digest_minutes=digest_minutes,
    )


def _usable_apprise_url(url: str) -> bool:
    """Apprise accepts the URL; with ``${VAR}`` tokens (filled in only when sending), the
    service it names is enough."""
    if PLACEHOLDER.search(url) is None:
        return is_apprise_url(url)
    scheme = url.partition("://")[0].lower()
    return scheme in apprise_schemes()


@lru_cache(maxsize=1)
def apprise_schemes() -> frozenset[str]:
    import apprise  # on first use, as in notify.apprise_channel

    services = apprise.Apprise().details()["schemas"]
    return frozenset(
        p.lower()
        for service in services
        for p in (*(service.get("protocols") or ()), *(service.get("secure_protocols") or ()))
        if p
    )
