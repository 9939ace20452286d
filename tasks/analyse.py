"""Analysis of one article: which claim and story, which stance, which cited sources."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import structlog
from celery import shared_task
from sqlmodel import Session

from analysis.judgments import CitedSource, StanceJudgment
from analysis.matching import (
    ArticleEntities,
    Match,
    article_entities,
    article_kind,
    claim_from_headline,
    find_candidates,
    key_entities,
    match_claim,
)
from analysis.sources import find_sources
from analysis.text import clean_article_text
from config.settings import get_settings
from ingest.extract import cap_text
from storage.articles import outlet_name, replace_sources
from storage.claims import claim_profiles, claims_after
from storage.db import STORY_ASSIGNMENT, session_scope, take_lock
from storage.models import Article, Claim, StanceRecord, Story
from storage.stories import story_of_claim
from tasks.articles import moved_on
from tasks.context import claim_index, engine, match_model, stance_engine
from tasks.reliability import RETRY_TRANSIENT

log = structlog.get_logger(__name__)


@dataclass
class _Reading:
    """What the article says, worked out without any lock: the claim it belongs to (or the
    claim a story of its own would have), its stance and the sources it cites."""

    match: Match | None
    claim_text: str
    claim_keys: list[str]  # who a new story's claim is about; empty when it matched
    judgment: StanceJudgment
    entities: ArticleEntities
    sources: list[CitedSource]
    capped: str | None
    claims_seen: int  # the newest claim the decision considered


@shared_task(name="tasks.analyse.analyse_article", **RETRY_TRANSIENT)
def analyse_article(article_id: int) -> None:
    """Judge the article without holding any lock, then assign it to a story under the
    story lock, held only for the writes.

    Under the lock the decision is checked against claims opened meanwhile: when another
    worker opened a story since, the article is judged again there, so two workers never
    open two stories for one event.
    """
    from tasks.alerts import decide_alerts

    if moved_on(article_id, "deduplicated"):
        return
    with session_scope(engine()) as session:
        article = session.get(Article, article_id)
        if article is None or article.status != "deduplicated":
            return
        reading = _read(session, article)
    with session_scope(engine()) as session:
        take_lock(session, STORY_ASSIGNMENT)
        article = session.get(Article, article_id)
        if article is None or article.status != "deduplicated":
            return
        if claims_after(session, reading.claims_seen):
            reading = _read(session, article)
        if reading.capped and reading.capped not in article.problems:
            article.problems = [*article.problems, reading.capped]
        when = article.published_at or article.discovered_at
        if reading.match is not None:
            claim = session.get(Claim, reading.match.claim_id)
            assert claim is not None
            story = story_of_claim(session, claim.id)  # type: ignore[arg-type]
        else:
            claim = Claim(
                text=reading.claim_text,
                origin="headline",
                entity_keys=reading.claim_keys,
            )
            session.add(claim)
            session.flush()
            story = None
        if story is None:
            story = Story(claim_id=claim.id, title=article.title or claim.text, created_at=when)  # type: ignore[arg-type]
            story.last_activity_at = when
            session.add(story)
            session.flush()
        judgment = reading.judgment
        session.add(
            StanceRecord(
                article_id=article_id,
                claim_id=claim.id,  # type: ignore[arg-type]
                stance=judgment.stance.value,
                score=judgment.score,
                related=judgment.related,
                evidence=list(judgment.evidence),
                probabilities={k.value: v for k, v in judgment.probabilities.items()},
            )
        )
        replace_sources(session, article_id, reading.sources)
        story.entity_keys = sorted(set(story.entity_keys) | reading.entities.named)
        story.last_activity_at = max(story.last_activity_at, when)
        article.story_id, article.status = story.id, "analysed"
        story_id = story.id
    log.info(
        "article analysed",
        article_id=article_id,
        story_id=story_id,
        new_story=reading.match is None,
        stance=judgment.stance.value,
        score=round(judgment.score, 3),
    )
    decide_alerts.delay(article_id)


def _read(session: Session, article: Article) -> _Reading:
    """Match, stance and sources of the article against the claims stored now; reads only."""
    title = article.title or ""
    body, capped = _readable(title, article.text or "")
    judgments: dict[str, StanceJudgment] = {}

    def judge(claim: str) -> StanceJudgment:
        if claim not in judgments:
            judgments[claim] = stance_engine().judge(claim, title, body)
        return judgments[claim]

    index = claim_index(session)
    candidates = find_candidates(
        index, title, body, lambda ids: claim_profiles(session, ids),
        2 * match_model().candidates,
    )
    profiles = {c.profile.claim_id: c.profile for c in candidates}
    entities = article_entities(title, body)
    match = match_claim(
        entities,
        article.published_at or article.discovered_at,
        candidates,
        lambda claim: judge(claim).related,
        model=match_model(),
        window=timedelta(days=get_settings().story_window_days),
        kind=article_kind(title, body),
    )
    claim_text = profiles[match.claim_id].claim if match else (
        claim_from_headline(title) or body[:200]
    )
    return _Reading(
        match=match,
        claim_text=claim_text,
        claim_keys=[] if match else sorted(key_entities(f"{claim_text}\n{body}")),
        judgment=judge(claim_text),
        entities=entities,
        sources=find_sources(body, title=title, outlet=outlet_name(session, article)),
        capped=capped,
        claims_seen=index.newest,
    )


def _readable(title: str, text: str) -> tuple[str, str | None]:
    """The text analysis reads, capped (its cost grows with length) and cleaned of page
    furniture, and the problem to record when it was capped."""
    text, capped = cap_text(text, get_settings().max_analysis_chars)
    return clean_article_text(text, title=title), capped


def analysis_body(article: Article, text: str) -> str:
    """`_readable`'s text, with the cap recorded among the article's problems."""
    body, capped = _readable(article.title or "", text)
    if capped and capped not in article.problems:
        article.problems = [*article.problems, capped]
        log.warning("analysis text capped", article_id=article.id, problem=capped)
    return body


def record_sources(
    session: Session, article_id: int, body: str, title: str, outlet: str | None
) -> None:
    """Record the primary sources the article's current text cites (replacing earlier ones,
    so a revised article cites what its new text cites)."""
    replace_sources(session, article_id, find_sources(body, title=title, outlet=outlet))
