"""Every log line as JSON when CLAIMWATCH_LOG_FORMAT=json: structlog's own lines and the
standard library's (uvicorn, Celery), which go through structlog's ProcessorFormatter."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
import structlog
import uvicorn

from config import logs
from config.settings import get_settings
from worker.app import app as celery_app


@pytest.fixture
def stderr(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    """The process's stderr as configure_logging writes it, in JSON."""
    monkeypatch.setenv("CLAIMWATCH_LOG_FORMAT", "json")
    get_settings.cache_clear()
    out = io.StringIO()
    monkeypatch.setattr(logs, "STDERR", out)
    root = logging.getLogger()
    handlers, level, config = root.handlers[:], root.level, structlog.get_config()
    yield out
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.configure(**config)
    get_settings.cache_clear()


def lines(out: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_standard_library_lines_are_json_like_structlog_lines(stderr: io.StringIO) -> None:
    logs.configure_logging()
    structlog.get_logger("claimwatch.test").info("article fetched", article_id=3)
    logging.getLogger("celery.worker.consumer.connection").info("Connected to %s", "redis://r")
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("kombu").exception("connection lost")
    ours, celery, kombu = lines(stderr)
    assert ours["event"] == "article fetched" and ours["article_id"] == 3
    assert ours["level"] == "info" and "timestamp" in ours
    assert celery == {
        "event": "Connected to redis://r",
        "level": "info",
        "logger": "celery.worker.consumer.connection",
        "timestamp": celery["timestamp"],
    }
    assert kombu["level"] == "error" and "ValueError: boom" in kombu["exception"]


def test_uvicorn_log_config_sends_its_lines_through_our_handler(stderr: io.StringIO) -> None:
    logs.configure_logging()
    # What `claimwatch web` passes; uvicorn.Config applies it (dictConfig), as each server
    # process it spawns does again.
    uvicorn.Config("web.app:migrated_app", log_config=logs.uvicorn_log_config(), log_level="info")
    logging.getLogger("uvicorn.error").info("Started server process [%d]", 1)
    logging.getLogger("uvicorn.access").info(
        '%s - "%s %s HTTP/%s" %d', "127.0.0.1:5", "GET", "/healthz", "1.1", 200
    )
    started, access = lines(stderr)
    assert started["event"] == "Started server process [1]"
    assert started["logger"] == "uvicorn.error" and started["level"] == "info"
    assert access["event"] == '127.0.0.1:5 - "GET /healthz HTTP/1.1" 200'
    assert len(logging.getLogger().handlers) == 1
    assert not logging.getLogger("uvicorn").handlers  # no plain "INFO:" handler of its own


def test_celery_keeps_our_handler_when_it_sets_up_logging(stderr: io.StringIO) -> None:
    handler = logs.configure_logging()
    already = celery_app.log.already_setup
    celery_app.log.already_setup = False
    try:
        celery_app.log.setup_logging_subsystem(loglevel="INFO")
    finally:
        celery_app.log.already_setup = already
    assert logging.getLogger().handlers == [handler]
    logging.getLogger("celery.beat").info("beat: Starting...")
    (line,) = lines(stderr)
    assert line["event"] == "beat: Starting..." and line["logger"] == "celery.beat"
