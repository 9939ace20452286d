"""The ``claimwatch web`` command: serve the API and the pages with uvicorn."""

from __future__ import annotations

import argparse


def add_web_commands(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    web = subparsers.add_parser("web", help="serve the JSON API and the newsroom pages")
    web.add_argument("--host", default="127.0.0.1", help="address to listen on")
    web.add_argument("--port", type=int, default=8000)
    web.add_argument(
        "--workers",
        type=int,
        help="server processes (default: CLAIMWATCH_WEB_WORKERS, else 1)",
    )
    web.set_defaults(handler=_serve)


def _serve(args: argparse.Namespace) -> int:
    """Migrate once here, then serve from N processes: one process runs pages one Python
    thread at a time, so only processes use more than one core."""
    import uvicorn

    from config.logs import uvicorn_log_config
    from config.settings import get_settings
    from storage.db import get_engine, init_db

    settings = get_settings()
    init_db(get_engine(settings.database_url))
    uvicorn.run(
        "web.app:migrated_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers or settings.web_workers,
        log_level="info",
        # uvicorn's lines as every other line of ours (JSON in containers), in each process.
        log_config=uvicorn_log_config(),
    )
    return 0
