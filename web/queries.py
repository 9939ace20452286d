"""Read queries over storage for the API and the pages: stories, alerts, outlets, sources, feeds.

Lists are counted, filtered and paged in SQL so they stay cheap as the database grows;
a story page loads its one story's rows and assembles them in Python.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import cache
from typing import Any, Literal

from sqlalchemy import and_, bindparam, distinct, func
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
    """Stories, most recently active first (or most contradicted first), filtered and paged.

    Two statements: the count and the page. Each figure of a story is a subquery on its
    own rows (by the indexes on article.story_id, alert(story_id, kind) and the stance
    and source keys), so a page of the newest stories reads those stories' rows, not the
    whole database; filters and the contradiction sort evaluate them for every story.
    """
    count_query, page_query = _stories_statements(bool(q), disputed, sort)
    params: dict[str, Any] = {"pattern": f"%{q}%"} if q else {}
    total = session.exec(count_query, params=params).one()
    rows = session.exec(page_query, params={**params, "limit": limit, "offset": offset}).all()
    items = []
    for row in rows:
        story, claim = row[0], row[1]
        counts = StanceCounts(**{s: getattr(row, s) for s in STANCES})
        items.append(
            StorySummary(
                id=story.id,
                title=story.title,
                claim=claim_out(claim, story.id),
                created_at=_utc(story.created_at),
                last_activity_at=_utc(story.last_activity_at),
                report_count=row.reports,
                outlet_count=row.outlets,
                source_count=row.sources,
                contradiction_count=row.contradictions,
                disputed=counts.supports > 0 and counts.refutes > 0,
                stances=counts,
                url=story_url(base_url, story.id),
            )
        )
    return Page(items=items, total=total, limit=limit, offset=offset)


@cache
def _stories_statements(search: bool, disputed: bool | None, sort: StorySort) -> tuple[Any, Any]:
    """The count and the page of :func:`stories`, built once per kind of listing: building
    them costs about as much Python time as running them."""
    figures = _story_figures()
    query = select(Story, Claim, *figures.values()).join(
        Claim, col(Claim.id) == col(Story.claim_id)
    )
    if search:
        pattern = bindparam("pattern")
        query = query.where(col(Story.title).ilike(pattern) | col(Claim.text).ilike(pattern))
    is_disputed = and_(figures["supports"] > 0, figures["refutes"] > 0)
    if disputed is not None:
        query = query.where(is_disputed if disputed else ~is_disputed)
    count = select(func.count()).select_from(query.with_only_columns(col(Story.id)).subquery())
    order = [col(Story.last_activity_at).desc(), col(Story.id).desc()]
    if sort == "contradictions":
        order.insert(0, figures["contradictions"].desc())
    page = query.order_by(*order).offset(bindparam("offset")).limit(bindparam("limit"))
    return count, page


def _story_figures() -> dict[str, Any]:
    """A story's counts as scalar subqueries correlated with the outer ``story`` row."""
    in_story = col(Article.story_id) == col(Story.id)

    def stance_count(stance: str) -> Any:
        return (
            select(func.count())
            .select_from(Article)
            .join(
                StanceRecord,
                and_(
                    col(StanceRecord.article_id) == col(Article.id),
                    col(StanceRecord.claim_id) == col(Story.claim_id),
                ),
            )
            .where(in_story, StanceRecord.stance == stance)
        )

    figures = {
        "reports": select(func.count()).select_from(Article).where(in_story),
        "outlets": select(func.count(distinct(col(Article.outlet_id)))).where(in_story),
        "sources": select(func.count(distinct(col(ArticleSource.source_id))))
        .join(Article, col(Article.id) == col(ArticleSource.article_id))
        .where(in_story),
        "contradictions": select(func.count())
        .select_from(Alert)
        .where(col(Alert.story_id) == col(Story.id), Alert.kind == "contradiction"),
        **{stance: stance_count(stance) for stance in STANCES},
    }
    return {
        name: query.correlate(Story).scalar_subquery().label(name)
        for name, query in figures.items()
    }


def story(session: Session, story_id: int, base_url: str) -> StoryDetail | None:
    """One story with its reports in time order, stances, sources, outlets and alerts.

    Three statements whatever the story's size: the story with its claim and reports
    (outlet and stance joined, the pages' text left out), the sources they cite, and its
    alerts.
    """
    reports_query, sources_query, alerts_query = _story_statements()
    params = {"story_id": story_id}
    rows = session.exec(reports_query, params=params).all()
    if not rows:
        return None
    found, claim = rows[0][0], rows[0][1]
    articles = [row for row in rows if row.id is not None]
    cited: dict[int, list[CitedSourceOut]] = {}
    for article_id, sentence, name, kind in session.exec(sources_query, params=params):
        cited.setdefault(article_id, []).append(
            CitedSourceOut(name=name, kind=kind, sentence=sentence)
        )
    reports = [
        ReportOut(
            id=a.id,
            external_id=a.external_id,
            position=position,
            title=a.title,
            url=a.url,
            outlet=a.name,
            author=a.author,
            published_at=as_utc(a.published_at),
            stance=_stance_out(a.StanceRecord),
            sources=cited.get(a.id, []),
        )
        for position, a in enumerate(articles, 1)
    ]
    alerts = _alerts_out(session.exec(alerts_query, params=params).all(), base_url)
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


@cache
def _story_statements() -> tuple[Any, Any, Any]:
    """The story page's three statements, built once: building one costs about as much
    Python time as running it."""
    story_id = bindparam("story_id")
    in_story = col(Article.story_id) == col(Story.id)
    reports = (
        # What the page shows of an article: never its page or text, the bulk of the row.
        select(
            Story, Claim, col(Article.id), col(Article.external_id), col(Article.title),
            col(Article.url), col(Article.author), col(Article.published_at),
            col(Article.discovered_at), col(Outlet.name), StanceRecord,
        )
        .join(Claim, col(Claim.id) == col(Story.claim_id))
        .join(Article, in_story, isouter=True)
        .join(Outlet, col(Outlet.id) == col(Article.outlet_id), isouter=True)
        .join(
            StanceRecord,
            and_(
                col(StanceRecord.article_id) == col(Article.id),
                col(StanceRecord.claim_id) == col(Story.claim_id),
            ),
            isouter=True,
        )
        .where(col(Story.id) == story_id)
        .order_by(_when(), col(Article.id))
    )
    sources = (
        select(
            col(ArticleSource.article_id), col(ArticleSource.sentence), col(Source.name),
            col(Source.kind),
        )
        .join(Source, col(Source.id) == col(ArticleSource.source_id))
        .join(Article, col(Article.id) == col(ArticleSource.article_id))
        .where(col(Article.story_id) == story_id)
        .order_by(col(ArticleSource.article_id), col(Source.id))
    )
    return reports, sources, _alerts_query(col(Alert.story_id) == story_id)


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
    conditions = []
    if kind:
        conditions.append(Alert.kind == kind)
    if story_id is not None:
        conditions.append(Alert.story_id == story_id)
    total = session.exec(select(func.count()).select_from(Alert).where(*conditions)).one()
    rows = session.exec(_alerts_query(*conditions).offset(offset).limit(limit)).all()
    return Page(items=_alerts_out(rows, base_url), total=total, limit=limit, offset=offset)


def _alerts_query(*conditions: Any) -> Any:
    """Alerts, newest first, with what a reader sees beside each: its story's title and its
    article's title and outlet, joined in the same statement."""
    return (
        select(Alert, col(Story.title), col(Article.title), col(Outlet.name))
        .join(Story, col(Story.id) == col(Alert.story_id))
        .join(Article, col(Article.id) == col(Alert.article_id), isouter=True)
        .join(Outlet, col(Outlet.id) == col(Article.outlet_id), isouter=True)
        .where(*conditions)
        .order_by(col(Alert.created_at).desc(), col(Alert.id).desc())
    )


def _alerts_out(rows: Sequence[Any], base_url: str) -> list[AlertOut]:
    """Rows of :func:`_alerts_query` as the API and pages show them."""
    return [
        AlertOut(
            id=alert.id,
            kind=alert.kind,
            story_id=alert.story_id,
            story_title=story_title,
            article_id=alert.article_id,
            article_title=article_title,
            outlet=outlet,
            stance=alert.stance,
            score=alert.score,
            summary=alert.summary,
            contradicts=alert.contradicts,
            evidence=[EvidenceOut(**e) for e in alert.evidence],
            new_sources=alert.new_sources,
            created_at=_utc(alert.created_at),
            url=story_url(base_url, alert.story_id),
        )
        for alert, story_title, article_title, outlet in rows
    ]


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
