"""``claimwatch subscribe`` and ``claimwatch subscriptions``: who gets which alerts, and how.

Secrets never pass through here: a webhook names the environment variable holding its
signing secret(s), an Apprise URL names its tokens as ``${VAR}``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from storage.subscriptions import KINDS


def add_notify_commands(sub: Any) -> None:
    subscribe = sub.add_parser(
        "subscribe",
        help="send alerts to a webhook (http/https URL) or any Apprise URL",
        description="An http(s) URL gets signed webhooks (Standard Webhooks); anything else "
        "is an Apprise URL (slack://, mailto://, tgram://, json://, ...). Filters combine: "
        "each one given must hold.",
    )
    subscribe.add_argument("url", help="webhook URL or Apprise URL (${VAR} read at send time)")
    subscribe.add_argument(
        "--secret-env",
        help="environment variable holding the webhook's whsec_ secret "
        "(several, space-separated, while rotating)",
    )
    subscribe.add_argument(
        "--kinds",
        nargs="+",
        default=[],
        metavar="KIND",
        help=f"alert kinds, of {', '.join(KINDS)} (default: every story alert)",
    )
    subscribe.add_argument("--story", type=int, action="append", default=[], help="a story id")
    subscribe.add_argument(
        "--claim", action="append", default=[], help="a claim id (the operator's --id)"
    )
    subscribe.add_argument(
        "--outlet", action="append", default=[], help="alerts whose reports include this outlet"
    )
    subscribe.add_argument("--min-score", type=float, help="minimum stance confidence, 0 to 1")
    subscribe.add_argument(
        "--digest-minutes",
        type=float,
        help="at most one message per N minutes, grouping the alerts in between",
    )
    subscribe.set_defaults(handler=_subscribe)

    subscriptions = sub.add_parser("subscriptions", help="list and remove subscriptions")
    commands = subscriptions.add_subparsers(title="subscriptions commands")
    listing = commands.add_parser("list", help="subscriptions with their delivery counts")
    listing.add_argument("--json", action="store_true")
    listing.add_argument("--all", action="store_true", help="include removed subscriptions")
    listing.set_defaults(handler=_list)
    remove = commands.add_parser("remove", help="stop a subscription (pending messages dropped)")
    remove.add_argument("id", type=int)
    remove.set_defaults(handler=_remove)
    enable = commands.add_parser("enable", help="resume a subscription disabled by 410 Gone")
    enable.add_argument("id", type=int)
    enable.set_defaults(handler=_enable)
    commands.add_parser("new-secret", help="print a fresh whsec_ signing secret").set_defaults(
        handler=_new_secret
    )


def _subscribe(args: argparse.Namespace) -> int:
    from notify.subscribing import SubscriptionError, new_subscriber
    from storage.db import session_scope
    from tasks.context import engine

    try:
        subscriber = new_subscriber(
            args.url,
            secret_env=args.secret_env,
            kinds=[k for item in args.kinds for k in item.split(",") if k],
            story_ids=args.story,
            claim_ids=args.claim,
            outlets=args.outlet,
            min_score=args.min_score,
            digest_minutes=args.digest_minutes,
        )
    except SubscriptionError as error:
        print(f"claimwatch subscribe: {error}", file=sys.stderr)
        return 2
    with session_scope(engine()) as session:
        session.add(subscriber)
        session.flush()
        print(
            f"subscriber {subscriber.id}: {subscriber.channel} {_describe(subscriber.model_dump())}"
        )
    if args.secret_env and args.secret_env not in os.environ:
        print(
            f"note: {args.secret_env} is not set here; the worker needs it "
            "(claimwatch subscriptions new-secret makes one)",
            file=sys.stderr,
        )
    return 0


def _describe(row: dict[str, Any]) -> str:
    """The channel URL as stored (placeholders, no secrets) and the filters that are set."""
    filters = [
        ("kinds", ",".join(row["kinds"])),
        ("stories", ",".join(map(str, row["story_ids"]))),
        ("claims", ",".join(row["claim_ids"])),
        ("outlets", ",".join(row["outlets"])),
        ("min-score", row["min_score"]),
        ("digest-minutes", row["digest_minutes"]),
        ("secret-env", row["secret_env"]),
    ]
    return " ".join([row["channel_url"], *(f"{k}={v}" for k, v in filters if v)])


def _list(args: argparse.Namespace) -> int:
    from storage.db import session_scope
    from storage.subscriptions import delivery_counts, subscribers
    from tasks.context import engine

    with session_scope(engine()) as session:
        counts = delivery_counts(session)
        rows = [
            {
                **s.model_dump(mode="json", exclude={"created_at"}),
                "created_at": s.created_at.isoformat(),
                "deliveries": counts.get(s.id, {}),  # type: ignore[arg-type]
            }
            for s in subscribers(session, removed=args.all)
        ]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for row in rows:
        state = row["status"] + (f" ({row['status_reason']})" if row["status_reason"] else "")
        deliveries = ", ".join(f"{n} {s}" for s, n in sorted(row["deliveries"].items())) or "none"
        print(f"{row['id']:>4}  {state:<8} {row['channel']:<8} {_describe(row)}")
        print(f"      deliveries: {deliveries}")
    return 0


def _set_status(subscriber_id: int, status: str, reason: str | None) -> int:
    from storage.db import session_scope
    from storage.subscriptions import Subscriber, set_status
    from tasks.context import engine

    with session_scope(engine()) as session:
        subscriber = session.get(Subscriber, subscriber_id)
        if subscriber is None:
            print(f"no subscription {subscriber_id}", file=sys.stderr)
            return 1
        set_status(session, subscriber, status, reason)
    print(f"subscriber {subscriber_id}: {status}")
    return 0


def _remove(args: argparse.Namespace) -> int:
    return _set_status(args.id, "removed", "removed by an operator")


def _enable(args: argparse.Namespace) -> int:
    return _set_status(args.id, "active", None)


def _new_secret(_args: argparse.Namespace) -> int:
    from notify.webhook import new_secret

    print(new_secret())
    return 0
