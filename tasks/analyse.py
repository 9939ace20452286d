"""Analysis of one article: which claim and story, which stance, which cited sources."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

import structlog
from celery import shared_task
from sqlmodel import Session

from config.settings import get_settings
from storage.articles import article_without_text, join_copies, outlet_name, replace_sources
from storage.claims import claim_profiles, claims_after
from storage.db import KeyLock, lock_key, session_scope
from storage.models import Article, Claim, StanceRecord, Story
from storage.stories import story_of_claim
from tasks import prepared
from tasks.articles import article_at, go_on
from tasks.context import claim_index, engine, match_model, stance_engine
from tasks.reliability import RETRY_TRANSIENT

if TYPE_CHECKING:
    from analysis.judgments import StanceJudgment
    from analysis.matching import Match

log = structlog.get_logger(__name__)


@dataclass
class _Reading:
    """The article read against the claims stored at one moment: the claim it belongs to
    (or the claim a story of its own would have) and its stance toward it."""

    match: Match | None
    claim_text: str
    claim_keys: list[str]  # who a new story's claim is about; empty when it matched
    claim_origin: str  # where a new story's claim comes from (see `Claim.origin`)
    judgment: StanceJudgment
    claims_seen: int  # the newest claim the decision considered
    # What the story keeps of the article to compare later texts with; nothing for a
    # headline alone, as the matcher learned from stories of texts.
    index_terms: dict[str, float] | None


class _Reader:
    """What the article says, worked out once without any lock (its text, entities and
    cited sources); :meth:`read` matches it against the claims stored now and judges only
    claims it has not judged before, so reading again under a lock costs little."""

    def __init__(self, session: Session, article: Article) -> None:
        self.title = article.title or ""
        text, self.capped = prepared.capped_text(article.text or "")
        self.when = article.published_at or article.discovered_at
        self.article = prepared.reading(self.title, text, outlet_name(session, article))
        self._judgments: dict[str, StanceJudgment] = {}
        self._query: dict[str, float] | None = None  # the article as the claim index weighs it
        self._index_terms: dict[str, float] | None = None  # worked out with `_query`

    def judge(self, claim: str) -> StanceJudgment:
        if claim not in self._judgments:
            self._judgments[claim] = stance_engine().judge(claim, self.title, self.article.body)
        return self._judgments[claim]

    def read(self, session: Session) -> _Reading:
        """Match and stance against the claims stored now; reads only."""
        from analysis.claim_index import report_terms
        from analysis.matching import find_candidates, match_claim

        index = claim_index(session)
        if self._query is None:
            self._query = prepared.query(self.title, self.article.body, index)
            if self.article.kind != "headline":
                self._index_terms = report_terms(self._query)
        candidates = find_candidates(
            index, self.title, self.article.body, lambda ids: claim_profiles(session, ids),
            2 * match_model().candidates, query=self._query,
        )
        match = match_claim(
            self.article.entities,
            self.when,
            candidates,
            lambda claim: self.judge(claim).related,
            model=match_model(),
            window=timedelta(days=get_settings().story_window_days),
            kind=self.article.kind,
        )
        if match is not None:
            claim_text, claim_keys = next(c.profile.claim for c in candidates
                                          if c.profile.claim_id == match.claim_id), []
        else:
            claim_text, claim_keys = self.article.own_claim, self.article.own_claim_keys
        return _Reading(
            match=match,
            claim_text=claim_text,
            claim_keys=claim_keys,
            claim_origin=self.article.own_claim_origin,
            judgment=self.judge(claim_text),
            claims_seen=index.newest,
            index_terms=self._index_terms,
        )


@shared_task(name="tasks.analyse.analyse_article", **RETRY_TRANSIENT)
def analyse_article(article_id: int) -> None:
    """Judge the article without holding any lock, then assign it to a story holding a lock
    only for the writes: the claim's lock to join its story, so workers joining other
    stories go on at once; the one new-story lock to open a story.

    Under the new-story lock the decision is checked against claims opened meanwhile: when
    another worker opened a story since, the article is read again with them (judging only
    claims it has not judged), so two workers never open two stories for one event.
    """
    from tasks.alerts import decide_alerts

    with article_at(article_id, "deduplicated") as found:
        if found is None:
            return
        session, article = found
        reader = _Reader(session, article)
        reading = reader.read(session)
    with session_scope(engine()) as session:
        if reading.match is None:
            lock_key(session, KeyLock.NEW_STORY)
            if claims_after(session, reading.claims_seen):
                reading = reader.read(session)
        if reading.match is not None:
            lock_key(session, KeyLock.CLAIM, reading.match.claim_id)
        # Two copies of this task may hold different keys: the article's row lock keeps
        # them one after the other, and the second finds the article analysed.
        article = article_without_text(session, article_id, for_update=True)
        if article is None or article.status != "deduplicated":
            return
        if reader.capped and reader.capped not in article.problems:
            article.problems = [*article.problems, reader.capped]
        story = _story_for(session, reading, article, sorted(reader.article.entities.named))
        judgment = reading.judgment
        record = StanceRecord(article_id=article_id, claim_id=story.claim_id)
        record.set_judgment(judgment)
        record.match_probability = reading.match.score if reading.match else None
        session.add(record)
        replace_sources(session, article_id, reader.article.sources)
        story.entity_keys = sorted(set(story.entity_keys) | reader.article.entities.named)
        story.last_activity_at = max(story.last_activity_at, reader.when)
        article.index_terms = reading.index_terms
        article.story_id, article.status = story.id, "analysed"
        join_copies(session, article_id, story.id)  # type: ignore[arg-type]
        story_id = story.id
    log.info(
        "article analysed",
        article_id=article_id,
        story_id=story_id,
        new_story=reading.match is None,
        match=round(reading.match.score, 3) if reading.match else None,
        stance=judgment.stance.value,
        score=round(judgment.score, 3),
    )
    go_on(decide_alerts, article_id)


def _story_for(
    session: Session, reading: _Reading, article: Article, named: list[str]
) -> Story:
    """The story of the matched claim (opened when an operator's claim has none yet), or a
    new story with a claim from the article's headline; a story opened here starts with
    the entities the article names."""
    if reading.match is not None:
        story = story_of_claim(session, reading.match.claim_id)
        if story is not None:
            return story
        claim_id = reading.match.claim_id
    else:
        claim = Claim(text=reading.claim_text, origin=reading.claim_origin,
                      entity_keys=reading.claim_keys)
        session.add(claim)
        session.flush()
        claim_id = claim.id  # type: ignore[assignment]
    when = article.published_at or article.discovered_at
    story = Story(claim_id=claim_id, title=article.title or reading.claim_text, created_at=when,
                  last_activity_at=when, entity_keys=named)
    session.add(story)
    session.flush()
    return story


def analysis_body(article: Article, text: str) -> str:
    """The article's text as analysis reads it, capped and cleaned of page furniture, with
    the cap recorded among the article's problems."""
    from analysis.text import clean_article_text

    capped_body, capped = prepared.capped_text(text)
    body = clean_article_text(capped_body, title=article.title or "")
    if capped and capped not in article.problems:
        article.problems = [*article.problems, capped]
        log.warning("analysis text capped", article_id=article.id, problem=capped)
    return body


def record_sources(
    session: Session, article_id: int, body: str, title: str, outlet: str | None
) -> None:
    """Record the primary sources the article's current text cites (replacing earlier ones,
    so a revised article cites what its new text cites)."""
    from analysis.sources import find_sources

    replace_sources(session, article_id, find_sources(body, title=title, outlet=outlet))
