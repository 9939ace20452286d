"""Alert decisions for an analysed article, written with their outbox rows (tasks.deliver sends)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import structlog
from celery import shared_task
from sqlmodel import Session

from storage.alerts import pending_deliveries, story_alerts
from storage.articles import (
    StoryReport,
    article_without_text,
    outlet_names,
    reports_to_decide,
    sources_cited_by,
)
from storage.db import KeyLock, lock_key, session_scope
from storage.models import Alert, Article, Claim, Story, as_utc, utcnow
from tasks.articles import story_waiting
from tasks.context import engine
from tasks.deliver import deliver
from tasks.reliability import RETRY_TRANSIENT

if TYPE_CHECKING:
    from analysis.alerts import AlertDecision, Report

log = structlog.get_logger(__name__)


@shared_task(name="tasks.alerts.decide_alerts", **RETRY_TRANSIENT)
def decide_alerts(article_id: int) -> list[int]:
    """Decide the article's alerts against the story's earlier reports, in one transaction.

    Decisions run under the story's lock, so two workers never both raise the same alert
    (workers deciding other stories go on at once), and follow publication order: each
    report is judged against the reports published before it. An article that arrives late
    (its worker died, the broker restarted) has the reports published after it, already
    decided, decided again in order, raising what they missed (say a contradiction of the
    late report) and nothing twice; so a fault does not change which alerts are raised.
    """
    story_id = story_waiting(article_id, "analysed")
    if story_id is None:
        # A redelivered decision: its deliveries may have been lost with the broker.
        delivery_ids = _pending_deliveries(article_id)
    else:
        with session_scope(engine()) as session:
            lock_key(session, KeyLock.STORY, story_id)
            article = article_without_text(session, article_id)
            if article is None or article.status != "analysed" or article.story_id != story_id:
                return []
            delivery_ids = _decide_in_order(session, article)
            article.status, article.decided_at = "decided", utcnow()
    for delivery_id in delivery_ids:
        deliver.delay(delivery_id)
    return delivery_ids


def _decide_in_order(session: Session, article: Article) -> list[int]:
    """Decide `article`, then again each decided report published after it, in order;
    write the alerts not raised before; return the deliveries to send now."""
    from analysis.alerts import PastAlert
    from analysis.alerts import decide_alerts as decide
    from analysis.judgments import Stance
    from notify.outbox import write_deliveries

    story = session.get(Story, article.story_id)
    assert story is not None
    claim = session.get(Claim, story.claim_id)
    assert claim is not None
    reports = story_timeline(session, story.id, claim, article.id)  # type: ignore[arg-type]
    position = {r.article_id: i for i, r in enumerate(reports)}
    alerts = story_alerts(session, story.id)  # type: ignore[arg-type]
    raised = {a.key for a in alerts}
    past = [PastAlert(a.kind, a.article_id, Stance(a.stance) if a.stance else None)
            for a in alerts]
    outlets = {r.article_id: r.outlet for r in reports}
    delivery_ids: list[int] = []
    for i in range(position[article.id], len(reports)):  # type: ignore[index]
        new = reports[i]
        before = [a for a in past if position.get(a.article_id, len(reports)) < i]
        for decision in decide(claim.text, new, reports[:i], before,
                               stated=claim.origin != "lead"):
            key = f"{decision.kind}:{story.id}:{new.article_id}:{claim.id}"
            if key in raised or (
                decision.kind == "new_story" and any(a.kind == "new_story" for a in past)
            ):
                continue
            alert = _alert(key, decision, story, claim, new)
            session.add(alert)
            session.flush()
            raised.add(key)
            past.append(PastAlert(alert.kind, new.article_id, new.stance))
            delivery_ids += write_deliveries(
                session,
                alert,
                claim,
                [o for a in [new.article_id, *decision.contradicts] if (o := outlets.get(a))],
            )
            log.info(
                "alert raised",
                kind=decision.kind,
                story_id=story.id,
                article_id=new.article_id,
                contradicts=decision.contradicts,
                late=new.article_id != article.id,
            )
    return delivery_ids


def story_timeline(session: Session, story_id: int, claim: Claim, article_id: int = -1
                   ) -> list[Report]:
    """The story's decided reports, and the article being decided, in publication order as
    the alert rules read them (also what `bench/judgment/alert_gate.py` decides again)."""
    rows = sorted(reports_to_decide(session, story_id, article_id, claim.id),  # type: ignore[arg-type]
                  key=_published)
    return _reports(session, rows, claim)


def _published(report: StoryReport) -> tuple[datetime, int]:
    """Publication order; the discovery time stands in for a missing date."""
    when = as_utc(report.published_at or report.discovered_at)
    assert when is not None
    return when, report.article_id


def _alert(key: str, decision: AlertDecision, story: Story, claim: Claim, new: Report) -> Alert:
    return Alert(
        key=key,
        kind=decision.kind,
        story_id=story.id,  # type: ignore[arg-type]
        article_id=new.article_id,
        claim_id=claim.id,
        stance=new.stance.value,
        score=new.score,
        summary=decision.summary,
        contradicts=decision.contradicts,
        evidence=[{"article_id": a, "text": t} for a, t in decision.evidence],
        new_sources=decision.new_sources,
    )


def _pending_deliveries(article_id: int) -> list[int]:
    """The deliveries of the article's alerts still waiting to be sent (none while it is
    not decided); the delivery task leases each, so enqueueing one twice sends it once."""
    with session_scope(engine()) as session:
        return pending_deliveries(session, article_id)


def _reports(session: Session, rows: list[StoryReport], claim: Claim) -> list[Report]:
    """The story's reports on its claim, with their outlets and cited sources read in two
    more statements however many."""
    cited = sources_cited_by(session, [r.article_id for r in rows])
    outlets = outlet_names(session, [r.outlet_id for r in rows])
    return [_report(r, cited[r.article_id], outlets.get(r.outlet_id), claim)  # type: ignore[arg-type]
            for r in rows]


def _report(
    row: StoryReport, cited: list[tuple[str, str]], outlet: str | None, claim: Claim
) -> Report:
    from analysis.alerts import Report, cites_for_claim
    from analysis.judgments import Stance

    judged = row.stance is not None
    probabilities = row.probabilities or {}
    return Report(
        article_id=row.article_id,
        stance=Stance(row.stance) if judged else Stance.UNRELATED,
        # The report is on the story's claim: its side's probability given it is on topic.
        score=_on_topic(row.score or 0.0, row.related) if judged else 0.0,
        sides={
            side: _on_topic(probabilities[side.value], row.related)
            for side in (Stance.SUPPORTS, Stance.REFUTES)
            if side.value in probabilities
        },
        evidence=row.evidence or [],
        outlet=outlet,
        sources=frozenset(name for name, _ in cited),
        claim_sources=frozenset(
            name
            for name, sentence in cited
            if cites_for_claim(name, sentence, row.title, claim.entity_keys)
        ),
        published_at=row.published_at,
        title=row.title,
        headline_only=not row.has_body,
        on_story=1.0 if row.match_probability is None else row.match_probability,
    )


def _on_topic(probability: float, related: float | None) -> float:
    """A stance's probability given that the report concerns the claim at all."""
    return min(1.0, probability / related) if related else 0.0
