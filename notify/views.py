"""Read what a message needs from the database into the pure views of notify.payload."""

from __future__ import annotations

from sqlmodel import Session

from notify.payload import AlertView, ArticleView, Digest, Message, NoticeView, story_url
from storage.articles import stance_of
from storage.claims import claim_key
from storage.deliveries import digest_alerts
from storage.models import Alert, Article, Claim, Outlet, Story
from storage.subscriptions import Delivery, Notice


def load_message(session: Session, delivery: Delivery, public_url: str) -> Message:
    if delivery.alert_id is not None:
        alert = session.get(Alert, delivery.alert_id)
        assert alert is not None
        return alert_view(session, alert, public_url)
    if delivery.notice_id is not None:
        notice = session.get(Notice, delivery.notice_id)
        assert notice is not None
        return NoticeView(notice.id, notice.kind, notice.summary, notice.created_at, notice.details)  # type: ignore[arg-type]
    alerts = digest_alerts(session, delivery.id)  # type: ignore[arg-type]
    return Digest([alert_view(session, alert, public_url) for alert in alerts])


def alert_view(session: Session, alert: Alert, public_url: str) -> AlertView:
    story = session.get(Story, alert.story_id)
    assert story is not None
    claim = session.get(Claim, alert.claim_id) if alert.claim_id is not None else None
    evidence: dict[int, list[str]] = {}
    for item in alert.evidence:
        evidence.setdefault(item["article_id"], []).append(item["text"])

    def article(article_id: int) -> ArticleView:
        row = session.get(Article, article_id)
        assert row is not None
        outlet = session.get(Outlet, row.outlet_id) if row.outlet_id is not None else None
        stance = stance_of(session, article_id, claim.id) if claim is not None else None  # type: ignore[arg-type]
        return ArticleView(
            id=article_id,
            ref=row.external_id,
            title=row.title,
            url=row.url,
            outlet=outlet.name if outlet else None,
            published_at=row.published_at,
            stance=stance.stance if stance else None,
            score=stance.score if stance else None,
            evidence=evidence.get(article_id, []),
        )

    return AlertView(
        id=alert.id,  # type: ignore[arg-type]
        kind=alert.kind,
        summary=alert.summary,
        created_at=alert.created_at,
        story_id=story.id,  # type: ignore[arg-type]
        story_title=story.title,
        story_url=story_url(public_url, story.id),  # type: ignore[arg-type]
        claim_id=claim_key(claim) if claim else None,
        claim_text=claim.text if claim else None,
        article=article(alert.article_id),
        contradicts=[article(a) for a in alert.contradicts],
        new_sources=alert.new_sources,
    )
