"""The replay report: articles, stories and alerts as plain JSON, named by input ids."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlmodel import Session, col, select

from storage.claims import claim_key
from storage.models import (
    Alert,
    Article,
    ArticleSource,
    Claim,
    Outlet,
    Source,
    StanceRecord,
    Story,
)


def build_report(session: Session, article_ids: Collection[int] | None = None) -> dict[str, Any]:
    """Report on the given articles (all when None), their stories and those stories' alerts."""
    query = select(Article).order_by(col(Article.published_at), col(Article.id))
    if article_ids is not None:
        query = query.where(col(Article.id).in_(list(article_ids)))
    articles = session.exec(query).all()
    # Only what the report shows is read: a replay into a database of many stories reports
    # on its own articles and their stories, not on everything stored.
    outlets = {o.id: o.name for o in session.exec(select(Outlet))}
    story_ids = sorted({a.story_id for a in articles if a.story_id is not None})
    stories = {s.id: s for s in session.exec(select(Story).where(col(Story.id).in_(story_ids)))}
    claim_ids = [s.claim_id for s in stories.values()]
    claims = {c.id: c for c in session.exec(select(Claim).where(col(Claim.id).in_(claim_ids)))}
    members_of: dict[int, list[Article]] = {}
    for member in session.exec(
        select(Article)
        .where(col(Article.story_id).in_(story_ids))
        .order_by(col(Article.published_at), col(Article.id))
    ):
        members_of.setdefault(member.story_id, []).append(member)  # type: ignore[arg-type]
    shown = {a.id for a in articles} | {m.id for ms in members_of.values() for m in ms}
    sources_of: dict[int, list[str]] = {}
    for link, source in session.exec(
        select(ArticleSource, Source)
        .join(Source, col(Source.id) == col(ArticleSource.source_id))
        .where(col(ArticleSource.article_id).in_(shown))
    ):
        sources_of.setdefault(link.article_id, []).append(source.name)
    rows = []
    for article in articles:
        story = stories.get(article.story_id)
        stance = None
        if story is not None:
            # A copy reports what its original says: it was not judged again.
            judged = [i for i in (article.id, article.duplicate_of_id) if i is not None]
            stance = session.exec(
                select(StanceRecord)
                .where(col(StanceRecord.article_id).in_(judged),
                       StanceRecord.claim_id == story.claim_id)
                .order_by(col(StanceRecord.article_id) != article.id)
            ).first()
        claim = claims.get(story.claim_id) if story else None
        rows.append(
            {
                "id": article.external_id,
                "title": article.title,
                "published_at": article.published_at.isoformat() if article.published_at else None,
                "status": article.status,
                "error": article.error_reason,
                "problems": article.problems,
                "story_id": article.story_id,
                "claim_id": claim_key(claim) if claim else None,
                "stance": stance.stance if stance else None,
                "stance_score": round(stance.score, 4) if stance else None,
                "evidence": stance.evidence if stance else [],
                "outlet": outlets.get(article.outlet_id),
                "sources": sources_of.get(article.id, []),  # type: ignore[arg-type]
            }
        )
    story_rows = []
    for story_id in story_ids:
        story = stories[story_id]
        members = members_of.get(story_id, [])
        claim = claims[story.claim_id]
        story_rows.append(
            {
                "id": story_id,
                "claim": claim.text,
                "claim_id": claim_key(claim),
                "article_ids": [a.external_id for a in members],
                "outlets": _unique(outlets.get(a.outlet_id) for a in members),
                "sources": _unique(s for a in members for s in sources_of.get(a.id, [])),  # type: ignore[arg-type]
            }
        )
    alerts = session.exec(
        select(Alert).where(col(Alert.story_id).in_(story_ids)).order_by(col(Alert.id))
    ).all()
    cited = {
        i
        for a in alerts
        for i in (a.article_id, *a.contradicts, *(e["article_id"] for e in a.evidence))
    }
    external: dict[int, str] = dict(
        session.exec(
            select(Article.id, Article.external_id).where(col(Article.id).in_(cited))
        ).all()
    )
    alert_rows = [
        {
            "kind": alert.kind,
            "story_id": alert.story_id,
            "article_id": external[alert.article_id],
            "summary": alert.summary,
            "contradicts": [external[i] for i in alert.contradicts],
            "evidence": [
                {"article_id": external[e["article_id"]], "text": e["text"]} for e in alert.evidence
            ],
            "new_sources": alert.new_sources,
        }
        for alert in alerts
    ]
    return {"articles": rows, "stories": story_rows, "alerts": alert_rows}


def _unique(values: Any) -> list[Any]:
    return [v for v in dict.fromkeys(values) if v]
