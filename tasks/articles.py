"""Per-article steps before analysis: fetch, extract, deduplicate.

Each task checks the article's status first, so a redelivered message does nothing, and
saves its result before it enqueues the next step.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime

import structlog
from courlan import normalize_url
from sqlmodel import Session, or_, select

from analysis.outlets import normalise_outlet, outlet_from_url
from ingest.errors import IngestError
from ingest.extract import extract_article as extract_html
from storage.db import session_scope
from storage.models import Article, Outlet, as_utc
from tasks.context import engine, fetcher
from worker.app import app

log = structlog.get_logger(__name__)

NEXT_STEP = {"pending": "fetch", "fetched": "extract", "extracted": "dedup"}


def fail(article_id: int, reason: str, message: str) -> None:
    """Record why an article could not go on; the rest of the stream is unaffected."""
    with session_scope(engine()) as session:
        article = session.get(Article, article_id)
        if article is not None:
            article.status, article.error_reason, article.error_message = "failed", reason, message
    log.warning("article failed", article_id=article_id, reason=reason, error=message)


@app.task(name="tasks.articles.fetch_article")
def fetch_article(article_id: int) -> None:
    with session_scope(engine()) as session:
        article = session.get(Article, article_id)
        if article is None or article.status != "pending":
            return
        url = article.url
    if not url:
        fail(article_id, "no_url", "the feed entry has no link")
        return
    try:
        result = fetcher().fetch(url, accept="html")
    except IngestError as error:
        fail(article_id, error.reason, str(error))
        return
    with session_scope(engine()) as session:
        article = session.get(Article, article_id)
        if article is None or article.status != "pending":
            return
        article.html = result.body.decode(result.encoding or "utf-8", errors="replace")
        article.url = result.url
        article.status = "fetched"
    log.info("article fetched", article_id=article_id, url=result.url, bytes=len(result.body))
    extract_article.delay(article_id)


@app.task(name="tasks.articles.extract_article")
def extract_article(article_id: int) -> None:
    with session_scope(engine()) as session:
        article = session.get(Article, article_id)
        if article is None or article.status != "fetched":
            return
        html, url = article.html or "", article.url
    try:
        extracted = extract_html(html, url)
    except IngestError as error:
        fail(article_id, error.reason, str(error))
        return
    with session_scope(engine()) as session:
        article = session.get(Article, article_id)
        if article is None or article.status != "fetched":
            return
        article.text = extracted.text
        article.title = article.title or extracted.title
        article.author = article.author or extracted.author
        article.language = extracted.language
        article.published_at = article.published_at or as_utc(extracted.published_at)
        article.canonical_url = extracted.canonical_url or article.canonical_url
        if article.outlet_id is None:
            name = normalise_outlet(extracted.site_name or outlet_from_url(url))
            article.outlet_id = outlet_id(session, name)
        article.status = "extracted"
    log.info("article extracted", article_id=article_id, chars=len(extracted.text))
    dedup_article.delay(article_id)


@app.task(name="tasks.articles.dedup_article")
def dedup_article(article_id: int) -> None:
    """Link a copy of an article seen before (same canonical URL or same text) to it."""
    from tasks.analyse import analyse_article

    with session_scope(engine()) as session:
        article = session.get(Article, article_id)
        if article is None or article.status != "extracted":
            return
        article.content_hash = content_hash(article.text or "")
        url = article.canonical_url or article.url
        article.canonical_url = _canonical(url) if url else None
        same = [Article.content_hash == article.content_hash]
        if article.canonical_url:
            same.append(Article.canonical_url == article.canonical_url)
        original = session.exec(
            select(Article)
            .where(Article.id != article_id, or_(*same))
            .where(Article.status.not_in(["failed", "duplicate", "pending", "fetched"]))  # type: ignore[attr-defined]
            .order_by(Article.id)  # type: ignore[arg-type]
        ).first()
        if original is not None:
            article.status, article.duplicate_of_id = "duplicate", original.id
        else:
            article.status = "deduplicated"
    if original is not None:
        log.info("article is a duplicate", article_id=article_id, duplicate_of=original.id)
        return
    analyse_article.delay(article_id)


def resume_stalled(before: datetime) -> None:
    """Re-enqueue articles discovered before `before` and still between steps."""
    with session_scope(engine()) as session:
        stalled = session.exec(
            select(Article.id, Article.status).where(
                Article.discovered_at < before,
                Article.status.in_([*NEXT_STEP, "deduplicated", "analysed"]),  # type: ignore[attr-defined]
            )
        ).all()
    from tasks.alerts import decide_alerts
    from tasks.analyse import analyse_article

    steps = {
        "pending": fetch_article,
        "fetched": extract_article,
        "extracted": dedup_article,
        "deduplicated": analyse_article,
        "analysed": decide_alerts,
    }
    for article_id, status in stalled:
        steps[status].delay(article_id)


def outlet_id(session: Session, name: str | None) -> int | None:
    if not name:
        return None
    outlet = session.exec(select(Outlet).where(Outlet.name == name)).first()
    if outlet is None:
        outlet = Outlet(name=name)
        session.add(outlet)
        session.flush()
    return outlet.id


def content_hash(text: str) -> str:
    normalised = re.sub(r"\W+", " ", text.lower()).strip()
    return hashlib.sha256(normalised.encode()).hexdigest()


def _canonical(url: str) -> str:
    try:
        return normalize_url(url, strict=True)
    except ValueError:
        return url
