"""Analysis of one article: which claim and story, which stance, which cited sources."""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog
from sqlmodel import Session, col, delete, or_, select

from analysis.judgments import StanceJudgment
from analysis.matching import (
    ClaimProfile,
    article_entities,
    claim_from_headline,
    key_entities,
    match_claim,
)
from analysis.sources import find_sources
from analysis.text import clean_article_text
from storage.db import STORY_ASSIGNMENT, session_scope, take_lock
from storage.models import (
    Article,
    ArticleSource,
    Claim,
    Outlet,
    Source,
    StanceRecord,
    Story,
)
from tasks.articles import moved_on
from tasks.context import engine, stance_engine
from worker.app import RETRY_TRANSIENT, app
from worker.settings import get_settings

log = structlog.get_logger(__name__)


@app.task(name="tasks.analyse.analyse_article", **RETRY_TRANSIENT)
def analyse_article(article_id: int) -> None:
    """Assign the article to a story under the story lock, judge its stance, find sources.

    The lock makes story assignment safe when several workers analyse at once: the second
    worker sees the story the first one created.
    """
    from tasks.alerts import decide_alerts

    if moved_on(article_id, "deduplicated"):
        return
    with session_scope(engine()) as session:
        take_lock(session, STORY_ASSIGNMENT)
        article = session.get(Article, article_id)
        if article is None or article.status != "deduplicated":
            return
        title = article.title or ""
        body = clean_article_text(article.text or "", title=title)
        judgments: dict[str, StanceJudgment] = {}

        def judge(claim: str) -> StanceJudgment:
            if claim not in judgments:
                judgments[claim] = stance_engine().judge(claim, title, body)
            return judgments[claim]

        when = article.published_at or article.discovered_at
        entities = article_entities(title, body)
        window = timedelta(days=get_settings().story_window_days)
        match = match_claim(
            entities,
            when,
            _open_claims(session, when - window),
            lambda claim: judge(claim).related,
            window=window,
        )
        if match is not None:
            claim = session.get(Claim, match.claim_id)
            assert claim is not None
            story = session.exec(select(Story).where(Story.claim_id == claim.id)).first()
        else:
            text = claim_from_headline(title) or body[:200]
            claim = Claim(
                text=text,
                origin="headline",
                entity_keys=sorted(key_entities(f"{text}\n{body}")),
            )
            session.add(claim)
            session.flush()
            story = None
        if story is None:
            story = Story(claim_id=claim.id, title=title or claim.text, created_at=when)  # type: ignore[arg-type]
            story.last_activity_at = when
            session.add(story)
            session.flush()
        judgment = judge(claim.text)
        session.add(
            StanceRecord(
                article_id=article_id,
                claim_id=claim.id,  # type: ignore[arg-type]
                stance=judgment.stance.value,
                score=judgment.score,
                related=judgment.related,
                evidence=list(judgment.evidence),
            )
        )
        outlet = session.get(Outlet, article.outlet_id) if article.outlet_id else None
        record_sources(session, article_id, body, title, outlet.name if outlet else None)
        story.entity_keys = sorted(set(story.entity_keys) | entities.named)
        story.last_activity_at = max(story.last_activity_at, when)
        article.story_id, article.status = story.id, "analysed"
        story_id, stance = story.id, judgment.stance
    log.info(
        "article analysed",
        article_id=article_id,
        story_id=story_id,
        new_story=match is None,
        stance=stance.value,
        score=round(judgment.score, 3),
    )
    decide_alerts.delay(article_id)


def _open_claims(session: Session, since: datetime) -> list[ClaimProfile]:
    """Operator claims, and the claims of stories active since `since`."""
    rows = session.exec(
        select(Claim, Story)
        .join(Story, col(Story.claim_id) == col(Claim.id), isouter=True)
        .where(or_(Claim.origin == "operator", col(Story.last_activity_at) >= since))
    ).all()
    return [
        ClaimProfile(
            claim_id=claim.id,  # type: ignore[arg-type]
            claim=claim.text,
            claim_entities=frozenset(claim.entity_keys),
            story_entities=frozenset(story.entity_keys) if story else frozenset(),
            last_activity_at=None if claim.origin == "operator" else story.last_activity_at,
        )
        for claim, story in rows
    ]


def record_sources(
    session: Session, article_id: int, body: str, title: str, outlet: str | None
) -> None:
    """Record the primary sources the article's current text cites (replacing earlier ones,
    so a revised article cites what its new text cites)."""
    session.exec(delete(ArticleSource).where(col(ArticleSource.article_id) == article_id))  # type: ignore[call-overload]
    seen: set[int] = set()
    for cited in find_sources(body, title=title, outlet=outlet):
        source = session.exec(select(Source).where(Source.name == cited.name)).first()
        if source is None:
            source = Source(name=cited.name, kind=cited.kind)
            session.add(source)
            session.flush()
        if source.id in seen:
            continue
        seen.add(source.id)  # type: ignore[arg-type]
        session.add(
            ArticleSource(article_id=article_id, source_id=source.id, sentence=cited.sentence)
        )  # type: ignore[arg-type]
    session.flush()
