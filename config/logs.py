"""Structured logs: JSON lines in containers, readable lines on a terminal."""

from __future__ import annotations

import logging
import sys

import structlog

from config.settings import get_settings

# The process's own stderr: Celery redirects sys.stderr into logging (which would loop back
# here) and test runners swap it for buffers that close; the file descriptor stays.
STDERR = sys.__stderr__


def configure_logging(level: str | None = None) -> None:
    settings = get_settings()
    fmt = settings.log_format
    if fmt == "auto":
        fmt = "console" if STDERR.isatty() else "json"
    renderer: structlog.types.Processor = (
        structlog.dev.ConsoleRenderer(colors=STDERR.isatty())
        if fmt == "console"
        else structlog.processors.JSONRenderer()
    )
    numeric = logging.getLevelName((level or settings.log_level).upper())
    logging.basicConfig(level=numeric, format="%(message)s", stream=STDERR, force=True)
    # Alembic says "Context impl ..." at every start; its warnings still show.
    logging.getLogger("alembic").setLevel(max(numeric, logging.WARNING))
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(STDERR),
        cache_logger_on_first_use=False,
    )
