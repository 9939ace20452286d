"""Replay an archive of articles through the production task code, in published order.

Celery runs eagerly here: each ``.delay()`` runs the next task inline, so an article goes
through every step (delivery included) before the next one starts, and the same code
paths as a worker are exercised without a broker.

While one article is stored and decided, two more processes extract and read the next
few (`tasks.prepared`): those steps read an article alone, so working them out ahead
changes no result and uses the machine's other cores.

A bad line costs only itself: lines that cannot be read, or whose article the database
refuses, are listed in the report's ``errors`` (``{"line", "reason", "message"}``)
and the good ones are replayed.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import structlog

from analysis.outlets import normalise_outlet
from ingest.archive import ArchiveArticle, read_archive
from ingest.errors import ArchiveError
from storage.articles import article_by_origin
from storage.claims import watch_claim
from storage.db import describe_error, is_outage, session_scope
from storage.models import Article, as_utc
from storage.report import build_report
from tasks import articles as article_tasks
from tasks import prepared
from tasks.context import engine, warm_up
from worker.app import run_tasks_inline

log = structlog.get_logger(__name__)

ORIGIN = "replay"
AHEAD = 8  # articles prepared ahead of the one being replayed
# Preparing a real page costs about 1.4 times what this process then spends storing and
# deciding it, so two processes keep it fed. They run at a lower priority (a higher nice
# value): this process is the sequential path, and on two cores it keeps one of them.
READ_AHEAD_PROCESSES = 2
READ_AHEAD_NICENESS = 5
READ_AHEAD_TIMEOUT = 120.0  # seconds to wait for one article's preparation


def load_claims(path: Path) -> list[dict[str, str]]:
    claims = json.loads(path.read_text())
    if not isinstance(claims, list) or not all(
        isinstance(c, dict) and c.get("id") and c.get("text") for c in claims
    ):
        raise ValueError(f"{path}: expected a JSON list of {{'id', 'text'}} objects")
    return claims


def define_claims(claims: list[dict[str, str]]) -> None:
    """Store operator claims (idempotent by id; a changed text is updated)."""
    with session_scope(engine()) as session:
        for item in claims:
            watch_claim(session, str(item["id"]), item["text"])


def replay(
    path: Path,
    claims_file: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Replay the archive; `progress(done, total)` is called after each article.

    The report is DESIGN.md's, plus ``errors``: the lines not replayed, by line number.
    """
    run_tasks_inline(propagate=True)
    archive = read_archive(path)
    with _read_ahead(archive.articles) as ready:
        if claims_file is not None:
            define_claims(load_claims(claims_file))
        errors = list(archive.errors)
        ids = []
        for position, item in enumerate(archive.articles, 1):
            try:
                article_id, first_step = _store(item)
            except Exception as error:  # a value the database refuses (an id too long, ...)
                if is_outage(error):
                    raise
                log.warning("replay item not stored", line=item.line,
                            error=describe_error(error))
                message = f"{path}: line {item.line}: not stored: {describe_error(error)}"
                errors.append(ArchiveError("storage_error", message, line=item.line))
                continue
            ids.append(article_id)
            if first_step is not None:
                ready(position - 1)
                try:
                    first_step.delay(article_id)
                except Exception as error:  # a bug on one article must not stop the replay
                    log.exception("replay step failed", id=item.id)
                    article_tasks.fail(article_id, "internal_error",
                                       f"{type(error).__name__}: {error}")
            log.info("replayed", position=position, of=len(archive.articles), id=item.id)
            if progress is not None:
                progress(position, len(archive.articles))
    with session_scope(engine()) as session:
        report = build_report(session, ids)
    report["errors"] = [
        {"line": e.line, "reason": e.reason, "message": e.message}
        for e in sorted(errors, key=lambda e: e.line or 0)
    ]
    return report


@contextmanager
def _read_ahead(items: list[ArchiveArticle]) -> Iterator[Callable[[int], None]]:
    """Prepare the items in other processes, AHEAD of the one being replayed; the function
    given hands item N's results to the tasks (`tasks.prepared`). With one core, or once
    a preparing process fails or stalls, the tasks work everything out themselves."""
    warm_up()  # before any fork: the processes that read ahead share what it loads
    if len(items) < 2 or (os.cpu_count() or 1) < 2:
        yield lambda _position: None
        return
    pool = ProcessPoolExecutor(READ_AHEAD_PROCESSES, mp_context=multiprocessing.get_context("fork"),
                               initializer=os.nice, initargs=(READ_AHEAD_NICENESS,))
    pending: dict[int, Future[prepared.Prepared | None]] = {}
    given_up = False

    def submit(position: int) -> None:
        if position < len(items) and position not in pending:
            item = items[position]
            pending[position] = pool.submit(
                prepared.prepare, item.html, item.url, item.title, item.text, item.outlet,
                item.published_at is not None)

    def ready(position: int) -> None:
        nonlocal given_up
        if given_up:
            return
        for ahead in range(position, position + AHEAD + 1):
            submit(ahead)
        try:
            prepared.keep(pending.pop(position).result(timeout=READ_AHEAD_TIMEOUT))
        except Exception as error:
            log.warning("replay read-ahead given up; articles are read in turn",
                        position=position + 1, error=f"{type(error).__name__}: {error}")
            given_up = True

    for position in range(AHEAD):  # the fork happens here, before the database is open
        submit(position)
    try:
        yield ready
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _store(item: ArchiveArticle) -> tuple[int, Any]:
    """Insert the item at the step its content allows: dedup text (or a headline alone),
    extract HTML, or fetch a URL when the item carries nothing to read."""
    with session_scope(engine()) as session:
        existing = article_by_origin(session, ORIGIN, item.id)
        if existing is not None:
            return existing.id, None  # type: ignore[return-value]
        if item.text or (item.title and not item.html):
            # A headline-only item (a feed entry without its page) is read from its headline.
            status, step = "extracted", article_tasks.dedup_article
        elif item.html:
            status, step = "fetched", article_tasks.extract_article
        else:
            status, step = "pending", article_tasks.fetch_article
        article = Article(
            origin=ORIGIN,
            external_id=item.id,
            url=item.url,
            title=item.title,
            text=item.text,
            html=item.html,
            published_at=as_utc(item.published_at),
            status=status,
            outlet_id=article_tasks.outlet_id(session, normalise_outlet(item.outlet)),
        )
        session.add(article)
        session.flush()
        return article.id, step  # type: ignore[return-value]
