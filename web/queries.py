"""Read queries over storage for the API and the pages: stories, alerts, outlets, sources, feeds.

Lists are counted, filtered and paged in SQL so they stay cheap as the database grows;
a story page loads its one story's rows and assembles them in Python.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import and_, case, distinct, func
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session, col, select

from storage.models import (
    Alert,
    Article,
    ArticleSource,
    Claim,
    Feed,
    Outlet,
    Source,
    StanceRecord,
    Story,
    as_utc,
)
from storage.subscriptions import Subscriber
from web.schemas import (
    AlertOut,
    CitedSourceOut,
    ClaimOut,
    DirectoryEntry,
    EvidenceOut,
    FeedOut,
    FirstSeen,
    Page,
    ReportOut,
    StanceCounts,
    StanceOut,
    StoryDetail,
    StorySummary,
    SubscriptionOut,
)

StorySort = Literal["activity", "contradictions"]
STANCES = ("supports", "refutes", "discusses", "unrelated")


def story_url(base_url: str, story_id: int) -> str:
    return f"{base_url.rstrip('/')}/stories/{story_id}"


def _when() -> ColumnElement[Any]:
    """An article's place in time: when it was published, else when it was found."""
    return func.coalesce(col(Article.published_at), col(Article.discovered_at))


def _utc(value: datetime) -> datetime:
    result = as_utc(value)
    assert result is not None
    return result


# Stories ---------------------------------------------------------------------------------


def stories(
    session: Session,
    base_url: str,
    *,
    q: str | None = None,
    disputed: bool | None = None,
    sort: StorySort = "activity",
    limit: int = 20,
    offset: int = 0,
) -> Page[StorySummary]:
    """Stories, most recently active first (or most contradicted first), filtered and paged."""
    tally = (
        select(
            col(Article.story_id).label("story_id"),
            func.count(col(Article.id)).label("reports"),
            *(
                func.sum(case((col(StanceRecord.stance) == s, 1), else_=0)).label(s)
                for s in STANCES
            ),
        )
        .join(Story, col(Story.id) == col(Article.story_id))
        .join(
            StanceRecord,
            and_(
                col(StanceRecord.article_id) == col(Article.id),
                col(StanceRecord.claim_id) == col(Story.claim_id),
            ),
            isouter=True,
        )
        .group_by(col(Article.story_id))
        .subquery()
    )
    contradictions = (
        select(col(Alert.story_id).label("story_id"), func.count(col(Alert.id)).label("n"))
        .where(Alert.kind == "contradiction")
        .group_by(col(Alert.story_id))
        .subquery()
    )
    n_contradictions = func.coalesce(contradictions.c.n, 0)
    query = (
        select(Story, Claim, tally, n_contradictions)
        .join(Claim, col(Claim.id) == col(Story.claim_id))
        .join(tally, tally.c.story_id == col(Story.id), isouter=True)
        .join(contradictions, contradictions.c.story_id == col(Story.id), isouter=True)
    )
    if q:
        pattern = f"%{q}%"
        query = query.where(col(Story.title).ilike(pattern) | col(Claim.text).ilike(pattern))
    is_disputed = and_(
        func.coalesce(tally.c.supports, 0) > 0, func.coalesce(tally.c.refutes, 0) > 0
    )
    if disputed is not None:
        query = query.where(is_disputed if disputed else ~is_disputed)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    order = [col(Story.last_activity_at).desc(), col(Story.id).desc()]
    if sort == "contradictions":
        order.insert(0, n_contradictions.desc())
    rows = session.exec(query.order_by(*order).offset(offset).limit(limit)).all()
    ids = [row[0].id for row in rows]
    outlet_counts = dict(
        session.exec(  # type: ignore[arg-type]
            select(col(Article.story_id), func.count(distinct(col(Article.outlet_id))))
            .where(col(Article.story_id).in_(ids))
            .group_by(col(Article.story_id))
        ).all()
    )
    source_counts = dict(
        session.exec(  # type: ignore[arg-type]
            select(col(Article.story_id), func.count(distinct(col(ArticleSource.source_id))))
            .join(ArticleSource, col(ArticleSource.article_id) == col(Article.id))
            .where(col(Article.story_id).in_(ids))
            .group_by(col(Article.story_id))
        ).all()
    )
    items = []
    for row in rows:
        story, claim = row[0], row[1]
        counts = StanceCounts(**{s: getattr(row, s) or 0 for s in STANCES})
        items.append(
            StorySummary(
                id=story.id,
                title=story.title,
                claim=claim_out(claim, story.id),
                created_at=_utc(story.created_at),
                last_activity_at=_utc(story.last_activity_at),
                report_count=row.reports or 0,
                outlet_count=outlet_counts.get(story.id, 0),
                source_count=source_counts.get(story.id, 0),
                contradiction_count=row[-1],
                disputed=counts.supports > 0 and counts.refutes > 0,
                stances=counts,
                url=story_url(base_url, story.id),
            )
        )
    return Page(items=items, total=total, limit=limit, offset=offset)


def story(session: Session, story_id: int, base_url: str) -> StoryDetail | None:
    """One story with its reports in time order, stances, sources, outlets and alerts."""
    found = session.get(Story, story_id)
    if found is None:
        return None
    claim = session.get(Claim, found.claim_id)
    assert claim is not None
    articles = session.exec(
        select(Article).where(Article.story_id == story_id).order_by(_when(), col(Article.id))
    ).all()
    ids = [a.id for a in articles]
    stances = {
        s.article_id: s
        for s in session.exec(
            select(StanceRecord).where(
                col(StanceRecord.article_id).in_(ids), StanceRecord.claim_id == claim.id
            )
        )
    }
    outlets = _outlet_names(session, {a.outlet_id for a in articles})
    cited: dict[int, list[CitedSourceOut]] = {}
    for link, source in session.exec(
        select(ArticleSource, Source)
        .join(Source, col(Source.id) == col(ArticleSource.source_id))
        .where(col(ArticleSource.article_id).in_(ids))
        .order_by(col(ArticleSource.article_id), col(Source.id))
    ):
        cited.setdefault(link.article_id, []).append(
            CitedSourceOut(name=source.name, kind=source.kind, sentence=link.sentence)
        )
    reports = [
        ReportOut(
            id=a.id,  # type: ignore[arg-type]
            external_id=a.external_id,
            position=position,
            title=a.title,
            url=a.url,
            outlet=outlets.get(a.outlet_id),
            author=a.author,
            published_at=as_utc(a.published_at),
            stance=_stance_out(stances.get(a.id)),  # type: ignore[arg-type]
            sources=cited.get(a.id, []),  # type: ignore[arg-type]
        )
        for position, a in enumerate(articles, 1)
    ]
    alerts = _alerts_out(
        session,
        session.exec(
            select(Alert)
            .where(Alert.story_id == story_id)
            .order_by(col(Alert.created_at).desc(), col(Alert.id).desc())
        ).all(),
        base_url,
    )
    counts = StanceCounts()
    for r in reports:
        if r.stance:
            setattr(counts, r.stance.stance, getattr(counts, r.stance.stance) + 1)
    when = {a.id: as_utc(a.published_at or a.discovered_at) for a in articles}
    outlet_list = _first_seen(((r.outlet, None, r.id) for r in reports if r.outlet), when)
    source_list = _first_seen(((s.name, s.kind, r.id) for r in reports for s in r.sources), when)
    contradictions = [a for a in alerts if a.kind == "contradiction"]
    return StoryDetail(
        id=story_id,
        title=found.title,
        claim=claim_out(claim, story_id),
        created_at=_utc(found.created_at),
        last_activity_at=_utc(found.last_activity_at),
        report_count=len(reports),
        outlet_count=len(outlet_list),
        source_count=len(source_list),
        contradiction_count=len(contradictions),
        disputed=counts.supports > 0 and counts.refutes > 0,
        stances=counts,
        url=story_url(base_url, story_id),
        reports=reports,
        contradictions=sorted(contradictions, key=lambda a: (a.created_at, a.id)),
        alerts=alerts,
        outlets=outlet_list,
        sources=source_list,
    )


def _first_seen(
    mentions: Iterable[tuple[str, str | None, int]], when: dict[Any, datetime | None]
) -> list[FirstSeen]:
    """Names in order of first appearance, given (name, kind, article id) in time order."""
    seen: dict[str, FirstSeen] = {}
    reports: dict[str, set[int]] = {}
    for name, kind, article_id in mentions:
        if name not in seen:
            seen[name] = FirstSeen(
                name=name,
                kind=kind,
                first_seen_at=when.get(article_id),
                first_article_id=article_id,
                reports=0,
            )
        reports.setdefault(name, set()).add(article_id)
    for name, entry in seen.items():
        entry.reports = len(reports[name])
    return list(seen.values())


def _stance_out(record: StanceRecord | None) -> StanceOut | None:
    if record is None:
        return None
    return StanceOut(
        stance=record.stance,  # type: ignore[arg-type]
        score=round(record.score, 4),
        related=round(record.related, 4),
        evidence=record.evidence,
    )


def _outlet_names(session: Session, ids: Iterable[int | None]) -> dict[int | None, str]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    return {o.id: o.name for o in session.exec(select(Outlet).where(col(Outlet.id).in_(wanted)))}


# Alerts ----------------------------------------------------------------------------------


def alerts(
    session: Session,
    base_url: str,
    *,
    kind: str | None = None,
    story_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[AlertOut]:
    """Alerts, newest first, filtered by kind and story."""
    query = select(Alert)
    if kind:
        query = query.where(Alert.kind == kind)
    if story_id is not None:
        query = query.where(Alert.story_id == story_id)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(col(Alert.created_at).desc(), col(Alert.id).desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return Page(items=_alerts_out(session, rows, base_url), total=total, limit=limit, offset=offset)


def _alerts_out(session: Session, rows: Sequence[Alert], base_url: str) -> list[AlertOut]:
    article_ids = {a.article_id for a in rows}
    articles = {
        a.id: a for a in session.exec(select(Article).where(col(Article.id).in_(article_ids)))
    }
    outlets = _outlet_names(session, {a.outlet_id for a in articles.values()})
    titles = dict(
        session.exec(  # type: ignore[arg-type]
            select(col(Story.id), col(Story.title)).where(
                col(Story.id).in_({a.story_id for a in rows})
            )
        ).all()
    )
    out = []
    for alert in rows:
        article = articles.get(alert.article_id)
        out.append(
            AlertOut(
                id=alert.id,  # type: ignore[arg-type]
                kind=alert.kind,
                story_id=alert.story_id,
                story_title=titles.get(alert.story_id, ""),
                article_id=alert.article_id,
                article_title=article.title if article else None,
                outlet=outlets.get(article.outlet_id) if article else None,
                stance=alert.stance,
                score=alert.score,
                summary=alert.summary,
                contradicts=alert.contradicts,
                evidence=[EvidenceOut(**e) for e in alert.evidence],
                new_sources=alert.new_sources,
                created_at=_utc(alert.created_at),
                url=story_url(base_url, alert.story_id),
            )
        )
    return out


# Outlets and sources ---------------------------------------------------------------------


def outlets(session: Session, *, limit: int = 50, offset: int = 0) -> Page[DirectoryEntry]:
    """Outlets by how many reports they published, with their first report."""
    return _directory(
        session, Outlet, col(Article.outlet_id), None, None, limit=limit, offset=offset
    )


def sources(
    session: Session, *, kind: str | None = None, limit: int = 50, offset: int = 0
) -> Page[DirectoryEntry]:
    """Primary sources by how many reports cite them, with the first report that did."""
    return _directory(
        session,
        Source,
        col(ArticleSource.source_id),
        ArticleSource,
        kind,
        limit=limit,
        offset=offset,
    )


def _directory(
    session: Session,
    entity: type[Outlet] | type[Source],
    key: Any,
    link: type[ArticleSource] | None,
    kind: str | None,
    *,
    limit: int,
    offset: int,
) -> Page[DirectoryEntry]:
    def from_articles(*columns: Any) -> Any:
        query = select(*columns)
        if link is not None:
            return query.select_from(Article).join(link, col(link.article_id) == col(Article.id))
        return query.where(key.is_not(None))

    aggregate = (
        from_articles(
            key.label("key"),
            func.min(_when()).label("first"),
            func.count(distinct(col(Article.id))).label("reports"),
            func.count(distinct(col(Article.story_id))).label("stories"),
        )
        .group_by(key)
        .subquery()
    )
    ranked = from_articles(
        key.label("key"),
        col(Article.id).label("article_id"),
        func.row_number().over(partition_by=key, order_by=(_when(), col(Article.id))).label("rn"),
    ).subquery()
    query = (
        select(entity, aggregate.c.first, aggregate.c.reports, aggregate.c.stories, ranked)
        .join(aggregate, aggregate.c.key == col(entity.id))
        .join(ranked, and_(ranked.c.key == col(entity.id), ranked.c.rn == 1))
    )
    if kind and entity is Source:
        query = query.where(Source.kind == kind)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(aggregate.c.reports.desc(), col(entity.name)).offset(offset).limit(limit)
    ).all()
    items = [
        DirectoryEntry(
            id=row[0].id,
            name=row[0].name,
            kind=getattr(row[0], "kind", None),
            first_seen_at=as_utc(row.first),
            first_article_id=row.article_id,
            reports=row.reports,
            stories=row.stories,
        )
        for row in rows
    ]
    return Page(items=items, total=total, limit=limit, offset=offset)


# Operator records ------------------------------------------------------------------------


def feeds(
    session: Session, *, status: str | None = None, limit: int = 50, offset: int = 0
) -> Page[FeedOut]:
    """Feeds with their polling status and how many articles each brought."""
    counts = (
        select(col(Article.feed_id).label("feed_id"), func.count(col(Article.id)).label("n"))
        .group_by(col(Article.feed_id))
        .subquery()
    )
    query = select(Feed, func.coalesce(counts.c.n, 0)).join(
        counts, counts.c.feed_id == col(Feed.id), isouter=True
    )
    if status:
        query = query.where(Feed.status == status)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(col(Feed.id)).offset(offset).limit(limit)).all()
    return Page(
        items=[feed_out(feed, n) for feed, n in rows], total=total, limit=limit, offset=offset
    )


def feed_out(feed: Feed, articles: int) -> FeedOut:
    return FeedOut(
        id=feed.id,  # type: ignore[arg-type]
        url=feed.url,
        title=feed.title,
        status=feed.status,
        error_count=feed.error_count,
        last_error=feed.last_error,
        last_error_at=as_utc(feed.last_error_at),
        last_success_at=as_utc(feed.last_success_at),
        next_poll_at=_utc(feed.next_poll_at),
        poll_interval_seconds=feed.poll_interval_seconds,
        fixed_interval=feed.fixed_interval_seconds is not None,
        retry_after_until=as_utc(feed.retry_after_until),
        broken_since=as_utc(feed.broken_since),
        articles=articles,
        created_at=_utc(feed.created_at),
    )


def claims(
    session: Session, *, origin: str | None = None, limit: int = 50, offset: int = 0
) -> Page[ClaimOut]:
    """Claims, operators' and stories' own, newest first, with the story each one leads."""
    query = select(Claim, col(Story.id)).join(
        Story, col(Story.claim_id) == col(Claim.id), isouter=True
    )
    if origin:
        query = query.where(Claim.origin == origin)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(col(Claim.id).desc()).offset(offset).limit(limit)).all()
    return Page(
        items=[claim_out(c, story_id) for c, story_id in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


def claim_key(claim: Claim) -> str:
    """How the API names a claim: the operator's id, else the internal id."""
    return claim.external_id or str(claim.id)


def claim_out(claim: Claim, story_id: int | None) -> ClaimOut:
    return ClaimOut(
        key=claim_key(claim),
        id=claim.id,  # type: ignore[arg-type]
        text=claim.text,
        origin=claim.origin,  # type: ignore[arg-type]
        story_id=story_id,
        created_at=_utc(claim.created_at),
    )


def subscriptions(session: Session, *, limit: int = 50, offset: int = 0) -> Page[SubscriptionOut]:
    """Subscribers, removed ones included (their delivery history stays)."""
    total = session.exec(select(func.count()).select_from(Subscriber)).one()
    rows = session.exec(
        select(Subscriber).order_by(col(Subscriber.id)).offset(offset).limit(limit)
    ).all()
    return Page(items=[subscription_out(s) for s in rows], total=total, limit=limit, offset=offset)


def subscription_out(subscriber: Subscriber) -> SubscriptionOut:
    return SubscriptionOut.model_validate(
        {**subscriber.model_dump(), "created_at": _utc(subscriber.created_at)}
    )
