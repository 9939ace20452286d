"""Alert decisions for an analysed article, written with their outbox rows (tasks.deliver sends)."""

from __future__ import annotations

from collections.abc import Iterable

import structlog
from sqlmodel import Session, col, select

from analysis.alerts import PastAlert, Report, cites_for_claim
from analysis.alerts import decide_alerts as decide
from analysis.judgments import Stance
from notify.filters import AlertFacts, wants
from storage.db import STORY_ASSIGNMENT, session_scope, take_lock
from storage.models import (
    Alert,
    Article,
    ArticleSource,
    Claim,
    Outlet,
    Source,
    StanceRecord,
    Story,
    utcnow,
)
from storage.subscriptions import Delivery, Subscriber
from tasks.context import engine
from tasks.deliver import deliver
from worker.app import app

log = structlog.get_logger(__name__)


@app.task(name="tasks.alerts.decide_alerts")
def decide_alerts(article_id: int) -> list[int]:
    """Decide the article's alerts against the story's earlier reports, in one transaction.

    Decisions run under the story lock, in a total order, so each article is judged against
    exactly the reports decided before it and two workers never both raise the same alert.
    """
    with session_scope(engine()) as session:
        take_lock(session, STORY_ASSIGNMENT)
        article = session.get(Article, article_id)
        if article is None or article.status != "analysed" or article.story_id is None:
            return []
        story = session.get(Story, article.story_id)
        assert story is not None
        claim = session.get(Claim, story.claim_id)
        assert claim is not None
        earlier_articles = session.exec(
            select(Article)
            .where(Article.story_id == story.id, Article.status == "decided")
            .order_by(col(Article.decided_at), col(Article.id))
        ).all()
        new = _report(session, article, claim)
        earlier = [_report(session, a, claim) for a in earlier_articles]
        past = [
            PastAlert(a.kind, a.article_id, Stance(a.stance) if a.stance else None)
            for a in session.exec(select(Alert).where(Alert.story_id == story.id))
        ]
        decisions = decide(claim.text, new, earlier, past)
        outlets = {r.article_id: r.outlet for r in [new, *earlier]}
        delivery_ids: list[int] = []
        for decision in decisions:
            alert = Alert(
                key=f"{decision.kind}:{story.id}:{article_id}:{claim.id}",
                kind=decision.kind,
                story_id=story.id,  # type: ignore[arg-type]
                article_id=article_id,
                claim_id=claim.id,
                stance=new.stance.value,
                score=new.score,
                summary=decision.summary,
                contradicts=decision.contradicts,
                evidence=[{"article_id": a, "text": t} for a, t in decision.evidence],
                new_sources=decision.new_sources,
            )
            session.add(alert)
            session.flush()
            delivery_ids += write_deliveries(
                session,
                alert,
                claim,
                [o for a in [article_id, *decision.contradicts] if (o := outlets.get(a))],
            )
            log.info(
                "alert raised",
                kind=decision.kind,
                story_id=story.id,
                article_id=article_id,
                contradicts=decision.contradicts,
            )
        article.status, article.decided_at = "decided", utcnow()
    for delivery_id in delivery_ids:
        deliver.delay(delivery_id)
    return delivery_ids


def _report(session: Session, article: Article, claim: Claim) -> Report:
    stance = session.exec(
        select(StanceRecord).where(
            StanceRecord.article_id == article.id, StanceRecord.claim_id == claim.id
        )
    ).first()
    outlet = session.get(Outlet, article.outlet_id) if article.outlet_id else None
    cited = session.exec(
        select(Source.name, ArticleSource.sentence)
        .join(ArticleSource, col(ArticleSource.source_id) == col(Source.id))
        .where(ArticleSource.article_id == article.id)
    ).all()
    return Report(
        article_id=article.id,  # type: ignore[arg-type]
        stance=Stance(stance.stance) if stance else Stance.UNRELATED,
        # The report is on the story's claim: its side's probability given it is on topic.
        score=min(1.0, stance.score / stance.related) if stance and stance.related else 0.0,
        evidence=stance.evidence if stance else [],
        outlet=outlet.name if outlet else None,
        sources=frozenset(name for name, _ in cited),
        claim_sources=frozenset(
            name
            for name, sentence in cited
            if cites_for_claim(name, sentence, article.title, claim.entity_keys)
        ),
        published_at=article.published_at,
        title=article.title,
    )


def write_deliveries(
    session: Session, alert: Alert, claim: Claim, outlets: Iterable[str]
) -> list[int]:
    """Write a new alert's outbox rows, one per active subscriber whose filters want it, in
    the alert's transaction; return those to send now (digests wait, ``held``)."""
    facts = AlertFacts(
        kind=alert.kind,
        story_id=alert.story_id,
        claim_keys=frozenset({str(claim.id), *([claim.external_id] if claim.external_id else [])}),
        outlets=frozenset(outlets),
        score=alert.score,
    )
    ids = []
    for subscriber in session.exec(select(Subscriber).where(Subscriber.status == "active")):
        if not wants(subscriber, facts):
            continue
        status = "held" if subscriber.digest_minutes else "pending"
        delivery = Delivery(alert_id=alert.id, subscriber_id=subscriber.id, status=status)  # type: ignore[arg-type]
        session.add(delivery)
        session.flush()
        if status == "pending":
            ids.append(delivery.id)
    return ids  # type: ignore[return-value]
