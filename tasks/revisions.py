"""Revisions: re-fetch recent articles, keep each changed text, re-judge, alert on a change.

Newsrooms quietly rewrite stories after publication ("Musk denies" becomes "Musk
confirms"). Articles published within the revision window are fetched again now and then
(conditional GET: an unchanged page costs a 304); a changed text becomes a new
ArticleRevision, the stance toward the article's claims is judged again, and a stance that
changed raises a ``revision`` alert quoting the old and the new evidence.
"""

from __future__ import annotations

from datetime import timedelta

import structlog
from celery import shared_task
from sqlmodel import Session

from config.settings import get_settings
from storage.alerts import alert_exists
from storage.articles import lease_revision_checks, move_bands, outlet_name, stance_records
from storage.db import KeyLock, lock_key, session_scope
from storage.models import Alert, Article, ArticleRevision, Claim, utcnow
from tasks.analyse import analysis_body, record_sources
from tasks.context import engine, fetcher, stance_engine
from tasks.deliver import deliver
from tasks.reliability import RETRY_TRANSIENT, skip_on_outage

log = structlog.get_logger(__name__)


@shared_task(name="tasks.revisions.schedule_revision_checks")
@skip_on_outage
def schedule_revision_checks() -> int:
    """Enqueue a check of every recent, fully processed feed article not checked lately."""
    settings = get_settings()
    now = utcnow()
    with session_scope(engine()) as session:
        ids = lease_revision_checks(
            session, now, timedelta(hours=settings.revision_window_hours),
            timedelta(seconds=settings.revision_check_interval_seconds),
        )
    for article_id in ids:
        check_revision.delay(article_id)
    return len(ids)


@shared_task(name="tasks.revisions.check_revision", **RETRY_TRANSIENT)
def check_revision(article_id: int) -> int | None:
    """Re-fetch one article; returns the new revision number when its text changed."""
    from analysis.neardup import content_hash
    from ingest.errors import IngestError
    from ingest.extract import decode_html
    from ingest.extract import extract_article as extract_html

    with session_scope(engine()) as session:
        article = session.get(Article, article_id)
        if article is None or article.status != "decided" or not article.url:
            return None
        url, etag, last_modified = article.url, article.etag, article.last_modified
    try:
        result = fetcher().fetch(url, etag=etag, last_modified=last_modified, accept="html")
        text = None
        if not result.not_modified:
            html, _codec, _problems = decode_html(result.body, result.encoding)
            text = extract_html(html, result.url).text
    except IngestError as error:
        # The article stays as it was; the next sweep tries again.
        log.info("revision check failed", article_id=article_id, url=url, reason=error.reason,
                 error=error.message)
        return None
    with session_scope(engine()) as session:
        article = session.get(Article, article_id)
        if article is None:
            return None
        article.last_refetched_at = utcnow()
        article.etag = result.etag or article.etag
        article.last_modified = result.last_modified or article.last_modified
        if text is None or content_hash(text) == article.content_hash:
            return None
        story_id = article.story_id or 0
    with session_scope(engine()) as session:
        # The story's stance records and alerts change together, as its decisions make them.
        lock_key(session, KeyLock.STORY, story_id)
        article = session.get(Article, article_id)
        if article is None or content_hash(text) == article.content_hash:
            return None  # another check got there first
        number = _record_revision(session, article, text)
        title = article.title or ""
        body = analysis_body(article, text)
        record_sources(session, article_id, body, title, outlet_name(session, article))
        alerts, delivery_ids = _rejudge(session, article, number, body)
    log.info("article revised", article_id=article_id, url=url, revision=number,
             stance_changes=alerts)
    for delivery_id in delivery_ids:
        deliver.delay(delivery_id)
    return number


def _record_revision(session: Session, article: Article, text: str) -> int:
    """Store the new text as the next revision (the first change also keeps the original)."""
    from analysis.neardup import bands, content_hash, signature

    now = utcnow()
    if article.revision_count == 0 and article.text:
        session.add(ArticleRevision(
            article_id=article.id,  # type: ignore[arg-type]
            number=0, text=article.text, content_hash=article.content_hash or "",
            fetched_at=article.decided_at or article.discovered_at,
        ))
    number = article.revision_count + 1
    digest = content_hash(text)
    session.add(ArticleRevision(
        article_id=article.id, number=number, text=text, content_hash=digest, fetched_at=now,  # type: ignore[arg-type]
    ))
    old, new = article.minhash, signature(text)
    move_bands(session, article.id, bands(old) if old else [], bands(new) if new else [])  # type: ignore[arg-type]
    article.text, article.content_hash, article.minhash = text, digest, new
    article.revision_count = number
    session.flush()
    return number


def _rejudge(
    session: Session, article: Article, number: int, body: str
) -> tuple[list[str], list[int]]:
    """Judge the new text against the article's claims; a changed stance raises an alert.

    Returns the stance changes and the deliveries to send once the transaction commits."""
    from notify.outbox import write_deliveries

    title = article.title or ""
    changes: list[str] = []
    delivery_ids: list[int] = []
    for record in stance_records(session, article.id):  # type: ignore[arg-type]
        claim = session.get(Claim, record.claim_id)
        assert claim is not None
        judgment = stance_engine().judge(claim.text, title, body)
        old_stance, old_evidence = record.stance, list(record.evidence)
        record.set_judgment(judgment)
        if judgment.stance.value == old_stance or article.story_id is None:
            continue
        changes.append(f"{old_stance}->{judgment.stance.value}")
        key = f"revision:{article.story_id}:{article.id}:{number}"
        if alert_exists(session, key):
            continue
        evidence = [
            {"article_id": article.id, "revision": revision, "text": sentences[0]}
            for revision, sentences in ((number - 1, old_evidence), (number, judgment.evidence))
            if sentences
        ]
        alert = Alert(
            key=key, kind="revision", story_id=article.story_id, article_id=article.id,  # type: ignore[arg-type]
            claim_id=claim.id, stance=judgment.stance.value, score=judgment.score,
            summary=(
                f"“{title or article.url}” was revised (revision {number}): its stance toward "
                f"“{claim.text}” changed from {old_stance} to {judgment.stance.value}."
            ),
            contradicts=[], evidence=evidence, new_sources=[],
        )
        session.add(alert)
        session.flush()
        outlet = outlet_name(session, article)
        delivery_ids += write_deliveries(session, alert, claim, [outlet] if outlet else [])
    return changes, delivery_ids
