"""Analysis of one article: which claim and story, which stance, which cited sources."""

from __future__ import annotations

from datetime import timedelta

import structlog
from celery import shared_task
from sqlmodel import Session

from analysis.judgments import StanceJudgment
from analysis.matching import (
    Candidate,
    article_entities,
    article_kind,
    claim_from_headline,
    key_entities,
    match_claim,
)
from analysis.sources import find_sources
from analysis.text import clean_article_text
from config.settings import get_settings
from ingest.extract import cap_text
from storage.articles import outlet_name, replace_sources
from storage.claims import claim_profiles
from storage.db import STORY_ASSIGNMENT, session_scope, take_lock
from storage.models import Article, Claim, StanceRecord, Story
from storage.stories import story_of_claim
from tasks.articles import moved_on
from tasks.context import claim_index, engine, match_model, stance_engine
from tasks.reliability import RETRY_TRANSIENT

log = structlog.get_logger(__name__)


@shared_task(name="tasks.analyse.analyse_article", **RETRY_TRANSIENT)
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
        body = analysis_body(article, article.text or "")
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
            _candidates(session, title, body),
            lambda claim: judge(claim).related,
            model=match_model(),
            window=window,
            kind=article_kind(title, body),
        )
        if match is not None:
            claim = session.get(Claim, match.claim_id)
            assert claim is not None
            story = story_of_claim(session, claim.id)  # type: ignore[arg-type]
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
        record_sources(session, article_id, body, title, outlet_name(session, article))
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


def _candidates(session: Session, title: str, body: str) -> list[Candidate]:
    """The open claims most like the article, from this process's claim index."""
    index = claim_index(session)
    found = index.search(f"{title}\n{body}", 2 * match_model().candidates)
    profiles = claim_profiles(session, [claim_id for claim_id, _ in found])
    return [
        Candidate(profiles[c], cos, index.similarity(title, c) if title else 0.0)
        for c, cos in found
        if c in profiles
    ]


def analysis_body(article: Article, text: str) -> str:
    """The text analysis reads: capped (its cost grows with length), the cap recorded
    among the article's problems, then cleaned of page furniture."""
    text, capped = cap_text(text, get_settings().max_analysis_chars)
    if capped and capped not in article.problems:
        article.problems = [*article.problems, capped]
        log.warning("analysis text capped", article_id=article.id, problem=capped)
    return clean_article_text(text, title=article.title or "")


def record_sources(
    session: Session, article_id: int, body: str, title: str, outlet: str | None
) -> None:
    """Record the primary sources the article's current text cites (replacing earlier ones,
    so a revised article cites what its new text cites)."""
    replace_sources(session, article_id, find_sources(body, title=title, outlet=outlet))
