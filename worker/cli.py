"""The ``claimwatch`` command line: run the pipeline, replay archives, manage feeds and claims."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sqlmodel import col, select

from worker.logs import configure_logging

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "handler"):
        parser.print_help()
        return 2
    configure_logging(getattr(args, "log_level", None))
    return int(args.handler(args) or 0)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="claimwatch", description=__doc__)
    sub = parser.add_subparsers(title="commands")

    demo = sub.add_parser("demo", help="watch the seed story unfold end to end, no server needed")
    demo.add_argument("--seeds", type=Path, default=SEEDS, help="seeds-style folder or JSON Lines")
    demo.add_argument(
        "--data",
        type=Path,
        default=Path(".claimwatch-demo"),
        help="folder for the demo's database and broker (wiped first)",
    )
    demo.add_argument("--timeout", type=float, default=45.0, help="seconds to wait per article")
    demo.set_defaults(handler=_demo, log_level="WARNING")

    run = sub.add_parser("run", help="a worker with beat inside, configured from the environment")
    run.add_argument("--concurrency", type=int, default=2)
    run.set_defaults(handler=_run)
    worker = sub.add_parser("worker", help="a worker only (production: beat runs apart)")
    worker.add_argument("--concurrency", type=int, default=2)
    worker.set_defaults(handler=_worker)
    beat = sub.add_parser("beat", help="the beat scheduler only")
    beat.set_defaults(handler=_beat)

    db = sub.add_parser("db", help="database schema").add_subparsers(title="db commands")
    db.add_parser("init", help="create the tables that are missing").set_defaults(handler=_db_init)

    replay = sub.add_parser("replay", help="run an archive of articles through the pipeline")
    replay.add_argument("path", type=Path, help="folder with manifest.json, or a JSON Lines file")
    replay.add_argument("--claims", type=Path, help="JSON list of operator claims [{id, text}]")
    replay.add_argument("--report", type=Path, help="write the JSON report here")
    replay.set_defaults(handler=_replay, log_level="WARNING")

    report = sub.add_parser("report", help="print the JSON report of everything in the database")
    report.add_argument("--output", type=Path)
    report.set_defaults(handler=_report, log_level="WARNING")

    fakefeed = sub.add_parser("fakefeed", help="serve an archive as an RSS feed on loopback")
    fakefeed.add_argument("path", type=Path)
    fakefeed.add_argument("--port", type=int, default=8099)
    fakefeed.add_argument("--host", default="127.0.0.1")
    fakefeed.add_argument("--release", choices=["all", "timed"], default="all")
    fakefeed.add_argument("--interval", type=float, default=5.0)
    fakefeed.set_defaults(handler=_fakefeed)

    feeds = sub.add_parser("feeds", help="manage feeds").add_subparsers(title="feeds commands")
    add = feeds.add_parser("add", help="add a feed URL")
    add.add_argument("url")
    add.add_argument("--interval", type=int, default=300, help="poll interval in seconds")
    add.set_defaults(handler=_feeds_add)
    listing = feeds.add_parser("list", help="list feeds with their status")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=_feeds_list)

    poll = sub.add_parser("poll-once", help="poll feeds now and process what they bring")
    poll.add_argument("--all", action="store_true", help="every feed, due or not")
    poll.add_argument("--json", action="store_true")
    poll.set_defaults(handler=_poll_once, log_level="WARNING")

    claims = sub.add_parser("claims", help="manage watched claims").add_subparsers(
        title="claims commands"
    )
    claim_add = claims.add_parser("add", help="watch a claim")
    claim_add.add_argument("text")
    claim_add.add_argument("--id", required=True, help="a stable id for the claim")
    claim_add.set_defaults(handler=_claims_add)
    claims.add_parser("list", help="list claims").set_defaults(handler=_claims_list)

    subscribe = sub.add_parser("subscribe", help="send alerts to a webhook")
    subscribe.add_argument("url")
    subscribe.add_argument("--secret-env", help="environment variable holding the signing secret")
    subscribe.add_argument("--kinds", nargs="*", default=[], help="alert kinds (default: all)")
    subscribe.add_argument("--story", type=int, help="only alerts of this story")
    subscribe.set_defaults(handler=_subscribe)

    try:
        from worker.cli_stance import add_stance_commands
    except ImportError:  # the stance engine's commands are optional in a trimmed install
        pass
    else:
        add_stance_commands(sub)
    return parser


def _demo(args: argparse.Namespace) -> int:
    from worker.demo import run_demo

    return run_demo(args.seeds, args.data, per_article_timeout=args.timeout)


def _worker_argv(concurrency: int, with_beat: bool) -> list[str]:
    argv = [
        "worker",
        "--loglevel=INFO",
        f"--concurrency={concurrency}",
        "--without-gossip",
        "--without-mingle",
    ]
    return [*argv, "--beat"] if with_beat else argv


def _run(args: argparse.Namespace) -> int:
    from worker.app import app

    app.worker_main(_worker_argv(args.concurrency, with_beat=True))
    return 0


def _worker(args: argparse.Namespace) -> int:
    from worker.app import app

    app.worker_main(_worker_argv(args.concurrency, with_beat=False))
    return 0


def _beat(_args: argparse.Namespace) -> int:
    from worker.app import app

    app.start(["beat", "--loglevel=INFO"])
    return 0


def _db_init(_args: argparse.Namespace) -> int:
    from tasks.context import engine

    engine()
    print("database ready")
    return 0


def _replay(args: argparse.Namespace) -> int:
    from ingest.errors import IngestError
    from worker.replay import replay
    from worker.summary import report_summary

    try:
        report = replay(args.path, args.claims)
    except (IngestError, ValueError, OSError) as error:
        print(f"claimwatch replay: {error}", file=sys.stderr)
        return 2
    print(report_summary(report))
    if args.report:
        args.report.write_text(json.dumps(report, indent=2, ensure_ascii=False))
        print(f"\nreport written to {args.report}")
    return 0


def _report(args: argparse.Namespace) -> int:
    from storage.db import session_scope
    from storage.report import build_report
    from tasks.context import engine

    with session_scope(engine()) as session:
        text = json.dumps(build_report(session), indent=2, ensure_ascii=False)
    if args.output:
        args.output.write_text(text)
    else:
        print(text)
    return 0


def _fakefeed(args: argparse.Namespace) -> int:
    from ingest.fakefeed import serve

    serve(args.path, args.host, args.port, args.release, args.interval)
    return 0


def _feeds_add(args: argparse.Namespace) -> int:
    from storage.db import session_scope
    from storage.models import Feed
    from tasks.context import engine

    with session_scope(engine()) as session:
        feed = session.exec(select(Feed).where(Feed.url == args.url)).first()
        if feed is None:
            feed = Feed(url=args.url, poll_interval_seconds=args.interval)
            session.add(feed)
            session.flush()
            print(f"added feed {feed.id}: {args.url}")
        else:
            print(f"feed {feed.id} already present: {args.url}")
    return 0


def _feeds_list(args: argparse.Namespace) -> int:
    from storage.db import session_scope
    from storage.models import Article, Feed
    from tasks.context import engine

    with session_scope(engine()) as session:
        rows = []
        for feed in session.exec(select(Feed).order_by(col(Feed.id))):
            count = len(session.exec(select(Article.id).where(Article.feed_id == feed.id)).all())
            rows.append(
                {
                    "id": feed.id,
                    "url": feed.url,
                    "title": feed.title,
                    "status": feed.status,
                    "articles": count,
                    "error_count": feed.error_count,
                    "last_error": feed.last_error,
                    "last_success_at": _iso(feed.last_success_at),
                    "next_poll_at": _iso(feed.next_poll_at),
                }
            )
    if args.json:
        print(json.dumps(rows, indent=2))
    for row in [] if args.json else rows:
        print(
            f"{row['id']:>4}  {row['status']:<7} {row['articles']:>5} articles  "
            f"next {row['next_poll_at']}  {row['url']}"
            + (f"\n      last error: {row['last_error']}" if row["last_error"] else "")
        )
    return 0


def _poll_once(args: argparse.Namespace) -> int:
    from worker.poll_once import poll_once

    results = poll_once(all_feeds=args.all)
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    for r in results:
        counts = ", ".join(f"{n} {s}" for s, n in r["articles_by_status"].items()) or "nothing new"
        print(f"{r['feed_id']:>4}  {r['status']:<7} {r['url']}: {counts}")
        if r["last_error"]:
            print(f"      feed error: {r['last_error']}")
        for e in r["article_errors"]:
            print(f"      article {e['id']}: {e['reason']}: {e['message']}")
    return 0


def _claims_add(args: argparse.Namespace) -> int:
    from worker.replay import define_claims

    define_claims([{"id": args.id, "text": args.text}])
    print(f"watching claim {args.id}: {args.text}")
    return 0


def _claims_list(_args: argparse.Namespace) -> int:
    from storage.db import session_scope
    from storage.models import Claim
    from tasks.context import engine

    with session_scope(engine()) as session:
        for claim in session.exec(select(Claim).order_by(col(Claim.id))):
            print(f"{claim.external_id or claim.id:>12}  {claim.origin:<8} {claim.text}")
    return 0


def _subscribe(args: argparse.Namespace) -> int:
    from storage.db import session_scope
    from storage.subscriptions import Subscriber
    from tasks.context import engine

    with session_scope(engine()) as session:
        subscriber = Subscriber(
            channel_url=args.url, secret_env=args.secret_env, kinds=args.kinds, story_id=args.story
        )
        session.add(subscriber)
        session.flush()
        print(f"subscriber {subscriber.id}: {args.url}")
    return 0


def _iso(value: object) -> str | None:
    return value.isoformat() if value is not None else None  # type: ignore[attr-defined]


if __name__ == "__main__":
    sys.exit(main())
