"""Structured logs: JSON lines in containers, readable lines on a terminal."""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog

from config.settings import get_settings

# The process's own stderr: Celery redirects sys.stderr into logging (which would loop back
# here) and test runners swap it for buffers that close; the file descriptor stays.
STDERR = sys.__stderr__


def log_format() -> str:
    """"json" or "console": CLAIMWATCH_LOG_FORMAT, where "auto" means console on a terminal."""
    fmt = get_settings().log_format
    if fmt == "auto":
        fmt = "console" if STDERR.isatty() else "json"
    return fmt


def configure_logging(level: str | None = None) -> logging.Handler:
    """structlog's own lines, and every standard-library log line (Celery, uvicorn, alembic,
    kombu) through structlog's ProcessorFormatter: one format for the whole process, JSON
    lines in containers. Returns the root handler (see server_log_handler)."""
    settings = get_settings()
    fmt = log_format()
    renderer: structlog.types.Processor = (
        structlog.dev.ConsoleRenderer(colors=STDERR.isatty())
        if fmt == "console"
        else structlog.processors.JSONRenderer()
    )
    numeric = logging.getLevelName((level or settings.log_level).upper())
    stamp = structlog.processors.TimeStamper(fmt="iso", utc=True)
    handler = logging.StreamHandler(STDERR)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            # A standard-library record becomes an event like structlog's own, named by
            # its logger ("celery.worker.consumer", "uvicorn.error").
            foreign_pre_chain=[
                structlog.contextvars.merge_contextvars,
                structlog.stdlib.add_log_level,
                structlog.stdlib.add_logger_name,
                stamp,
            ],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                *([structlog.processors.format_exc_info] if fmt == "json" else []),
                renderer,
            ],
        )
    )
    logging.basicConfig(level=numeric, handlers=[handler], force=True)
    # Python's warnings (a library's DeprecationWarning, Celery's SecurityWarning) as log lines.
    logging.captureWarnings(True)
    # The worker pool's logger (billiard's "multiprocessing") does not propagate; with our
    # handler, Celery adds none of its own ("[date: ERROR/MainProcess] Process ... exited").
    logging.getLogger("multiprocessing").handlers = [handler]
    # Alembic says "Context impl ..." at every start; its warnings still show.
    logging.getLogger("alembic").setLevel(max(numeric, logging.WARNING))
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            stamp,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(STDERR),
        cache_logger_on_first_use=False,
    )
    return handler


def server_log_handler() -> logging.Handler:
    """A logging.config factory: configures this process's logs and returns its handler.

    uvicorn applies its log_config in the parent and again in every server process it
    spawns (`claimwatch web --workers N`), so each process logs as configure_logging does."""
    return configure_logging()


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's log_config: no handlers or formats of its own (its default prints plain
    "INFO: Started server process" lines); its loggers propagate to the root handler."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "handlers": {"claimwatch": {"()": f"{__name__}.server_log_handler"}},
        "root": {"handlers": ["claimwatch"]},
    }
