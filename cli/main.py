"""The ``claimwatch`` command line: run the pipeline, replay archives, manage feeds and claims."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from cli.feeds import add_feed_commands
from cli.notify import add_notify_commands
from cli.stance import add_stance_commands
from cli.web import add_web_commands
from config.logs import configure_logging, log_format

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
    parser = argparse.ArgumentParser(
        prog="claimwatch",
        description="Watch news feeds and alert when a new report contradicts earlier ones.",
    )
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
    demo.add_argument("--serve", action="store_true", help="then serve the story page until Ctrl-C")
    demo.add_argument("--port", type=int, default=8000, help="the web app's port with --serve")
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
    db.add_parser("upgrade", help="migrate the schema to the newest version").set_defaults(
        handler=_db_upgrade
    )

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

    add_feed_commands(sub)

    claims = sub.add_parser("claims", help="manage watched claims").add_subparsers(
        title="claims commands"
    )
    claim_add = claims.add_parser("add", help="watch a claim")
    claim_add.add_argument("text")
    claim_add.add_argument("--id", required=True, help="a stable id for the claim")
    claim_add.set_defaults(handler=_claims_add)
    claims.add_parser("list", help="list claims").set_defaults(handler=_claims_list)

    add_notify_commands(sub)
    add_web_commands(sub)

    add_stance_commands(sub)
    return parser


def _demo(args: argparse.Namespace) -> int:
    from cli.demo import run_demo

    return run_demo(
        args.seeds,
        args.data,
        per_article_timeout=args.timeout,
        serve_port=args.port if args.serve else None,
    )


def _celery_log_level() -> str:
    """Celery sets its own loggers to the level it is given: give it the level this process's
    logs were configured with (CLAIMWATCH_LOG_LEVEL), so that WARNING also quiets the two
    lines a worker writes for every task."""
    return f"--loglevel={logging.getLevelName(logging.getLogger().getEffectiveLevel())}"


def _worker_argv(concurrency: int, with_beat: bool) -> list[str]:
    argv = [
        "worker",
        _celery_log_level(),
        f"--concurrency={concurrency}",
        "--without-gossip",
        "--without-mingle",
    ]
    return [*argv, "--beat"] if with_beat else argv


def _celery(argv: list[str]) -> int:
    """Run Celery's ``worker`` or ``beat`` command and return its exit status.

    Neither ``app.worker_main`` nor ``app.start`` passes it on (click's non-standalone mode
    returns the status, and they drop it), so a worker that stopped on an unrecoverable
    error, such as kombu's AttributeError when Redis restarts mid-task, exited 0 and its
    supervisor took that for a deliberate stop. The command runs without the ``celery``
    group around it, which imports every subcommand, its shell's prompt_toolkit among them:
    5 MB in a worker's main process, and again in each pool process forked from it.
    """
    from celery.bin.base import CLIContext
    from celery.bin.beat import beat
    from celery.bin.worker import worker

    from worker.app import app

    name, *args = argv
    command = {"worker": worker, "beat": beat}[name]
    # The worker's and beat's banners are not log lines: in JSON mode, only lines of JSON.
    context = CLIContext(app=app, no_color=False, workdir=None, quiet=log_format() == "json")
    return command.main(args=args, obj=context, prog_name=f"celery {name}",
                        standalone_mode=False) or 0


def _run(args: argparse.Namespace) -> int:
    return _celery(_worker_argv(args.concurrency, with_beat=True))


def _worker(args: argparse.Namespace) -> int:
    return _celery(_worker_argv(args.concurrency, with_beat=False))


def _beat(_args: argparse.Namespace) -> int:
    return _celery(["beat", _celery_log_level()])


def _db_upgrade(_args: argparse.Namespace) -> int:
    from tasks.context import engine

    engine()  # migrates to head, under a lock on PostgreSQL
    print("database schema is up to date")
    return 0


def _replay(args: argparse.Namespace) -> int:
    from cli.replay import replay
    from cli.summary import report_summary
    from ingest.errors import IngestError

    def progress(done: int, total: int) -> None:
        if total >= 20 and (done % max(total // 10, 1) == 0 or done == total):
            print(f"replayed {done}/{total} articles", file=sys.stderr, flush=True)

    try:
        report = replay(args.path, args.claims, progress)
    except (IngestError, ValueError, OSError) as error:
        print(f"claimwatch replay: {error}", file=sys.stderr)
        return 2
    print(report_summary(report))
    if args.report:
        args.report.write_text(json.dumps(report, indent=2, ensure_ascii=False))
        print(f"\nreport written to {args.report}")
    for error in report["errors"]:
        print(f"claimwatch replay: {error['reason']}: {error['message']}", file=sys.stderr)
    # 3: replayed, but some lines were not (2 is kept for an archive that cannot be read).
    return 3 if report["errors"] else 0


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


def _claims_add(args: argparse.Namespace) -> int:
    from storage.claims import watch_claim
    from storage.db import session_scope
    from tasks.context import engine

    with session_scope(engine()) as session:
        watch_claim(session, args.id, args.text)
    print(f"watching claim {args.id}: {args.text}")
    return 0


def _claims_list(_args: argparse.Namespace) -> int:
    from storage.claims import all_claims
    from storage.db import session_scope
    from tasks.context import engine

    with session_scope(engine()) as session:
        for claim in all_claims(session):
            print(f"{claim.external_id or claim.id:>12}  {claim.origin:<8} {claim.text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
