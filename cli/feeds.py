"""``claimwatch feeds ...`` and ``claimwatch poll-once``: the operator's handle on polling.

Feeds are added one by one, from a file (OPML or one URL per line) or removed; ``feeds
list`` shows per feed what went wrong and when it will be tried again. Beat picks up feeds
added at run time on its next sweep: a new feed is due at once.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from sqlmodel import Session

from ingest.errors import IngestError
from ingest.feedlist import FeedSpec, read_feed_list
from storage.feeds import add_feeds, all_feeds, article_counts_by_status, remove_feed
from storage.models import iso_utc


def add_feed_commands(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``feeds add|import|list|remove`` and ``poll-once`` on the top-level parser."""
    feeds = subparsers.add_parser("feeds", help="manage feeds").add_subparsers(
        title="feeds commands"
    )
    add = feeds.add_parser("add", help="add a feed URL (polled at once, then as it publishes)")
    add.add_argument("url")
    add.add_argument(
        "--interval", type=int, help="fixed poll interval in seconds (default: adaptive)"
    )
    add.set_defaults(handler=_add)
    imp = feeds.add_parser("import", help="add the feeds of an OPML file or a list of URLs")
    imp.add_argument("file", type=Path)
    imp.add_argument("--interval", type=int, help="fixed poll interval for all of them")
    imp.set_defaults(handler=_import)
    listing = feeds.add_parser("list", help="feeds with their status, errors and next poll")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=_list)
    remove = feeds.add_parser("remove", help="stop polling a feed (its articles stay)")
    remove.add_argument("feed", help="feed id or URL")
    remove.set_defaults(handler=_remove)

    poll = subparsers.add_parser("poll-once", help="poll feeds now and process what they bring")
    poll.add_argument(
        "--all", action="store_true",
        help="every feed, due or not (still not one backing off or told to wait)",
    )
    poll.add_argument("--json", action="store_true")
    poll.set_defaults(handler=_poll_once, log_level="WARNING")


# -- operations ---------------------------------------------------------------------------
def feed_rows(session: Session) -> list[dict[str, Any]]:
    """One row per feed for operators: state, errors, schedule and article counts."""
    counts: dict[int, dict[str, int]] = defaultdict(dict, article_counts_by_status(session))
    return [
        {
            "id": feed.id,
            "url": feed.url,
            "title": feed.title,
            "status": feed.status,
            "articles": sum(counts[feed.id].values()),  # type: ignore[index]
            "articles_by_status": counts[feed.id],  # type: ignore[index]
            "interval_seconds": feed.poll_interval_seconds,
            "interval": "fixed" if feed.fixed_interval_seconds else "adaptive",
            "error_count": feed.error_count,
            "last_error": feed.last_error,
            "last_error_reason": feed.last_error_reason,
            "last_error_at": iso_utc(feed.last_error_at),
            "last_status_code": feed.last_status_code,
            "problems": feed.last_problems,
            "last_polled_at": iso_utc(feed.last_polled_at),
            "last_success_at": iso_utc(feed.last_success_at),
            "next_poll_at": iso_utc(feed.next_poll_at),
            "retry_after_until": iso_utc(feed.retry_after_until),
            "broken_since": iso_utc(feed.broken_since),
        }
        for feed in all_feeds(session)
    ]




# -- handlers -----------------------------------------------------------------------------
def _add(args: argparse.Namespace) -> int:
    specs, problems = read_feed_list(args.url)
    if problems:
        print(f"claimwatch feeds add: {problems[0].split(': ', 1)[1]}", file=sys.stderr)
        return 2
    return _store(specs, args.interval)


def _import(args: argparse.Namespace) -> int:
    try:
        specs, problems = read_feed_list(args.file.read_text(encoding="utf-8", errors="replace"))
    except (OSError, IngestError) as error:
        print(f"claimwatch feeds import: {error}", file=sys.stderr)
        return 2
    for problem in problems:
        print(f"skipped {problem}", file=sys.stderr)
    return _store(specs, args.interval)


def _store(specs: list[FeedSpec], interval: int | None) -> int:
    from storage.db import session_scope
    from tasks.context import engine

    with session_scope(engine()) as session:
        for feed, added in add_feeds(session, specs, interval):
            print(f"{'added' if added else 'already present'} feed {feed.id}: {feed.url}")
    return 0


def _list(args: argparse.Namespace) -> int:
    from storage.db import session_scope
    from tasks.context import engine

    with session_scope(engine()) as session:
        rows = feed_rows(session)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for r in rows:
        print(
            f"{r['id']:>4}  {r['status']:<6} {r['articles']:>5} articles  every "
            f"{r['interval_seconds']}s ({r['interval']})  next {r['next_poll_at']}  {r['url']}"
        )
        if r["last_error"]:
            print(f"      {r['error_count']} failures, last at {r['last_error_at']}: "
                  f"{r['last_error']}")
        if r["broken_since"]:
            print(f"      broken since {r['broken_since']}")
        if r["retry_after_until"]:
            print(f"      server asked to wait until {r['retry_after_until']}")
        for problem in r["problems"][:3]:
            print(f"      feed problem: {problem}")
    return 0


def _remove(args: argparse.Namespace) -> int:
    from storage.db import session_scope
    from tasks.context import engine

    with session_scope(engine()) as session:
        feed = remove_feed(session, args.feed)
    if feed is None:
        print(f"claimwatch feeds remove: no feed {args.feed}", file=sys.stderr)
        return 1
    print(f"removed feed {feed.id}: {feed.url}")
    return 0


def _poll_once(args: argparse.Namespace) -> int:
    from cli.poll_once import poll_once

    results = poll_once(all_feeds=args.all)
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    for r in results:
        if not r["polled"]:
            print(f"{r['feed_id']:>4}  waiting until {r['next_poll_at']}  {r['url']}")
            continue
        counts = ", ".join(f"{n} {s}" for s, n in r["articles_by_status"].items()) or "nothing new"
        print(f"{r['feed_id']:>4}  {r['status']:<7} {r['url']}: {counts}")
        if r["last_error"]:
            print(f"      feed error: {r['last_error']}; next try {r['next_poll_at']}")
        for e in r["article_errors"]:
            again = f" (trying again at {e['retry_at']})" if e["retry_at"] else ""
            print(f"      article {e['id']}: {e['message']}{again}")
    return 0
