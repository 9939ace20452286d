"""Per-article steps before analysis: fetch, extract, deduplicate; and the stall sweep.

Each step checks the article's status first and saves its result in its own transaction
before it goes on to the next step, which runs at once in the same process (`go_on`). A
message that finds its step already done (redelivered, a retry, or the sweep's copy)
enqueues the step the article now waits for, since the message or the process that was to
run that step may have been lost: every step is idempotent and moves on.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import TYPE_CHECKING

import structlog
from celery import Task, shared_task
from sqlmodel import Session

from config.settings import get_settings
from monitoring.metrics import timed_step
from storage.articles import (
    lease_due_fetches,
    lease_stalled,
    move_bands,
    near_duplicate_candidates,
    original_of,
    outlet_id,
    step_of,
)
from storage.db import session_scope
from storage.models import Article, as_utc, utcnow
from tasks import prepared
from tasks.context import engine, fetcher
from tasks.reliability import RETRY_TRANSIENT, skip_on_outage

if TYPE_CHECKING:
    from ingest.errors import IngestError

log = structlog.get_logger(__name__)

# The statuses between two steps, in pipeline order (see waiting_step).
BETWEEN_STEPS = ("pending", "fetched", "extracted", "deduplicated", "analysed")
# Articles that cannot be the original of a copy: not read yet, failed, or copies themselves.
NOT_ORIGINALS = ("failed", "duplicate", "pending", "fetched")
# A due retry handed to a task is not handed out again for this long.
RETRY_LEASE = timedelta(minutes=10)


def fail(article_id: int, reason: str, message: str) -> None:
    """Record why an article could not go on; the rest of the stream is unaffected."""
    with session_scope(engine()) as session:
        article = session.get(Article, article_id)
        if article is not None:
            article.status, article.error_reason, article.error_message = "failed", reason, message
    log.warning("article failed", article_id=article_id, reason=reason, error=message)


def read_without_page(article_id: int, reason: str, message: str) -> None:
    """An article whose page cannot be had is judged from its feed entry's headline and
    summary when it has a headline (many feed items are all a newsroom gets); else it fails."""
    with session_scope(engine()) as session:
        article = session.get(Article, article_id)
        if article is None or article.status != "pending" or not (article.title or "").strip():
            headline = False
        else:
            headline = True
            article.status, article.retry_at = "extracted", None
            article.error_reason, article.error_message = reason, message
            article.problems = [*article.problems, f"page_unavailable: {reason}: {message}; "
                                "judged from the feed's headline and summary"]
    if not headline:
        fail(article_id, reason, message)
        return
    log.info("article read from its feed entry", article_id=article_id, reason=reason)
    go_on(dedup_article, article_id)


def go_on(step: Task, article_id: int) -> None:
    """Run the article's next step now, in this process, timed as a task of its own.

    Not as a message of its own: a message costs a broker round trip and a hand-off through
    the worker's main process, a tenth of an article's time on the cores the other worker
    processes share, and the pool process waits idle meanwhile. A step failing here for a
    passing reason fails the task that ran it; that task's retry finds its own step done
    and enqueues this one (`article_at`).
    """
    with timed_step(step.name):
        step(article_id)


def waiting_step(status: str) -> Task | None:
    """The task an article in `status` waits for; None once it needs no more."""
    from tasks.alerts import decide_alerts
    from tasks.analyse import analyse_article

    steps = (fetch_article, extract_article, dedup_article, analyse_article, decide_alerts)
    return dict(zip(BETWEEN_STEPS, steps, strict=True)).get(status)


def story_waiting(article_id: int, expected: str) -> int | None:
    """None when the article is no longer at `expected` (the step is done, or the article
    gone): the step it waits for instead is enqueued. Else its story id (0 before it has
    one), read in a transaction of its own, so a step can take the story's lock first in
    its next one; and a step run inline (replay) never waits for a lock its caller holds."""
    with session_scope(engine()) as session:
        found = step_of(session, article_id)
    status, story_id = found or (None, None)
    if status == expected:
        return story_id or 0
    _move_on(article_id, status)
    return None


@contextmanager
def article_at(article_id: int, expected: str) -> Iterator[tuple[Session, Article] | None]:
    """A transaction holding the article when it is at `expected`; else None, and once the
    transaction is over the step the article waits for instead is enqueued (a step run
    inline, as in a replay, must not run inside its caller's transaction)."""
    with session_scope(engine()) as session:
        article = session.get(Article, article_id)
        if article is not None and article.status == expected:
            yield session, article
            return
        status = article.status if article else None
        yield None
    _move_on(article_id, status)


def _move_on(article_id: int, status: str | None) -> None:
    """Enqueue the step an article in `status` waits for (none when it is gone or done)."""
    step = waiting_step(status) if status else None
    if step is not None:
        log.info("step already done, moving on", article_id=article_id, status=status,
                 next_step=step.name)
        step.delay(article_id)


@shared_task(name="tasks.articles.fetch_article", **RETRY_TRANSIENT)
def fetch_article(article_id: int) -> None:
    from ingest.errors import IngestError
    from ingest.extract import decode_html

    with article_at(article_id, "pending") as found:
        if found is None:
            return
        url = found[1].url
    if not url:
        read_without_page(article_id, "no_url", "the feed entry has no link")
        return
    try:
        result = fetcher().fetch(url, accept="html")
    except IngestError as error:
        if not _postpone(article_id, error):
            read_without_page(article_id, error.reason, str(error))
        return
    with session_scope(engine()) as session:
        article = session.get(Article, article_id)
        if article is None or article.status != "pending":
            return  # another copy of this task saved its fetch and moved on
        article.error_reason = article.error_message = article.retry_at = None
        article.html, _codec, problems = decode_html(result.body, result.encoding)
        article.problems = [*result.problems, *problems]
        article.url = result.url
        article.etag, article.last_modified = result.etag, result.last_modified
        article.status = "fetched"
    log.info("article fetched", article_id=article_id, url=result.url, bytes=len(result.body))
    go_on(extract_article, article_id)


def _postpone(article_id: int, error: IngestError) -> bool:
    """Schedule another fetch after a passing failure; False when it is not worth one."""
    from ingest.schedule import Bounds, next_poll_after_failure

    if not error.transient:
        return False
    settings = get_settings()
    now = utcnow()
    with session_scope(engine()) as session:
        article = session.get(Article, article_id)
        if article is None or article.fetch_attempts + 1 >= settings.article_fetch_attempts:
            return False
        article.fetch_attempts += 1
        article.error_reason, article.error_message = error.reason, str(error)
        article.retry_at = next_poll_after_failure(
            now, article.fetch_attempts,
            Bounds(settings.min_poll_interval_seconds, settings.max_poll_interval_seconds),
            cap_seconds=settings.max_backoff_seconds,
            retry_after=as_utc(getattr(error, "retry_after", None)),
        )
        attempts, retry_at = article.fetch_attempts, article.retry_at
    log.info("article fetch postponed", article_id=article_id, url=error.url,
             reason=error.reason, attempts=attempts, retry_at=retry_at.isoformat())
    return True


@shared_task(name="tasks.articles.extract_article", **RETRY_TRANSIENT)
def extract_article(article_id: int) -> None:
    from analysis.outlets import normalise_outlet, outlet_from_url
    from ingest.errors import IngestError

    with article_at(article_id, "fetched") as found:
        if found is None:
            return
        article = found[1]
        html, url, date_known = article.html or "", article.url, article.published_at is not None
    try:
        extracted = prepared.extraction(html, url, date_known=date_known)
    except IngestError as error:
        fail(article_id, error.reason, str(error))
        return
    with session_scope(engine()) as session:
        article = session.get(Article, article_id)
        if article is None or article.status != "fetched":
            return  # another copy of this task saved its extraction and moved on
        article.text = extracted.text
        # The page has been read: keeping it would rewrite it with every later step's
        # update of the row (SQLite rewrites a whole row) and grow the database forever.
        article.html = None
        article.title = article.title or extracted.title
        article.author = article.author or extracted.author
        article.language = extracted.language
        article.published_at = article.published_at or as_utc(extracted.published_at)
        if article.published_at is None:
            article.problems = [*article.problems, "no_date: neither the feed nor the page "
                                "gives a date; the discovery time stands in"]
        article.canonical_url = extracted.canonical_url or article.canonical_url
        if article.outlet_id is None:
            name = normalise_outlet(extracted.site_name or outlet_from_url(url))
            article.outlet_id = outlet_id(session, name)
        article.status = "extracted"
    log.info("article extracted", article_id=article_id, chars=len(extracted.text))
    go_on(dedup_article, article_id)


@shared_task(name="tasks.articles.dedup_article", **RETRY_TRANSIENT)
def dedup_article(article_id: int) -> None:
    """Deduplicate the article, then analyse it unless it is a copy."""
    from tasks.analyse import analyse_article

    if deduplicate(article_id):
        go_on(analyse_article, article_id)


def deduplicate(article_id: int) -> bool:
    """Link a copy of an article seen before to it, so one report is analysed once; True
    when the article is an original, to be analysed.

    A copy has the same canonical URL, the same text, or nearly the same text (a syndicated
    wire story under another outlet's name: the copy keeps its own outlet, linked).
    """
    from analysis.neardup import bands, closest_copy, content_hash

    settings = get_settings()
    with article_at(article_id, "extracted") as found:
        if found is None:
            return False
        session, article = found
        # A headline-only article is known by its headline, not by its empty text.
        article.content_hash = content_hash(article.text or article.title or "")
        article.minhash = prepared.signature(article.text or "")
        url = article.canonical_url or article.url
        article.canonical_url = _canonical(url) if url else None
        with session.no_autoflush:  # the article is written once, with its status
            original = original_of(session, article, NOT_ORIGINALS)
            buckets = bands(article.minhash) if article.minhash else []
            if original is not None:
                kind = "text" if original.content_hash == article.content_hash else "url"
                article.duplicate_of_id, article.duplicate_kind = original.id, kind
            elif buckets:
                since = utcnow() - timedelta(hours=settings.near_duplicate_window_hours)
                candidates = near_duplicate_candidates(session, article_id, buckets,
                                                       NOT_ORIGINALS, since)
                match = closest_copy(article.minhash, candidates,  # type: ignore[arg-type]
                                     settings.near_duplicate_threshold)
                if match is not None:
                    article.duplicate_of_id, article.duplicate_kind = match.article_id, "near"
                    article.duplicate_similarity = match.similarity
            if article.duplicate_of_id is None:  # an original, which later copies may match
                move_bands(session, article_id, (), buckets)
            else:  # a copy joins its original's story (or will, when the original is analysed)
                _, article.story_id = step_of(session, article.duplicate_of_id) or (None, None)
        article.status = "duplicate" if article.duplicate_of_id else "deduplicated"
        duplicate_of, kind = article.duplicate_of_id, article.duplicate_kind
    if duplicate_of is not None:
        log.info("article is a duplicate", article_id=article_id, duplicate_of=duplicate_of,
                 kind=kind)
    return duplicate_of is None


@shared_task(name="tasks.articles.resume_stalled")
@skip_on_outage
def resume_stalled() -> int:
    """Hand articles whose step has not moved on for ``stalled_after_seconds`` to a new task
    (their message was lost with a worker or the broker), and enqueue the fetches whose
    retry time has come.

    The safety net behind in-task retries and redelivery: each article it takes is leased
    (its step_at set to now), so it is handed out at most once per period; a copy that
    finds the step done moves on, so nothing is processed twice.
    """
    now = utcnow()
    before = now - timedelta(seconds=get_settings().stalled_after_seconds)
    with session_scope(engine()) as session:
        stalled = lease_stalled(session, BETWEEN_STEPS, before, now)
    for article_id, status in stalled:
        waiting_step(status).delay(article_id)  # type: ignore[union-attr]
    if stalled:
        log.warning("stalled articles handed to new tasks", count=len(stalled),
                    articles={i: status for i, status in stalled})
    return len(stalled) + len(retry_due_fetches())


def retry_due_fetches() -> list[int]:
    """Enqueue the postponed fetches that are due, leased so the next sweep skips them."""
    now = utcnow()
    with session_scope(engine()) as session:
        ids = lease_due_fetches(session, now, RETRY_LEASE)
    for article_id in ids:
        fetch_article.delay(article_id)
    return ids  # type: ignore[return-value]


def _canonical(url: str) -> str:
    from courlan import normalize_url

    try:
        return normalize_url(url, strict=True)
    except ValueError:
        return url
