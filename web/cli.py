"""The ``claimwatch web`` command: serve the API and the pages with uvicorn."""

from __future__ import annotations

import argparse


def add_web_commands(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    web = subparsers.add_parser("web", help="serve the JSON API and the newsroom pages")
    web.add_argument("--host", default="127.0.0.1", help="address to listen on")
    web.add_argument("--port", type=int, default=8000)
    web.set_defaults(handler=_serve)


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from web.app import app_from_environment

    uvicorn.run(app_from_environment(), host=args.host, port=args.port, log_level="info")
    return 0
