"""What the API and the pages show: stories, alerts, outlets, sources, feeds, claims and
subscriptions, read through storage's named queries (all SQL is in storage/) and shaped
into the API's schemas here.

Lists are counted, filtered and paged in SQL so they stay cheap as the database grows;
a story page loads its one story's rows and assembles them in Python.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session

from notify.payload import story_url
from storage.alerts import alert_list
from storage.claims import claim_key, claim_list
from storage.directory import outlet_directory, source_directory
from storage.feeds import feed_list
from storage.models import Claim, Feed, StanceRecord, as_utc
from storage.stories import (
    STANCES,
    StorySort,
    is_disputed,
    story_alert_rows,
    story_cited_sources,
    story_list,
    story_reports,
)
from storage.subscriptions import Subscriber, subscriber_list
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

__all__ = ["STANCES", "StorySort"]  # the API and the pages name them as queries.*


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
    total, rows = story_list(
        session, q=q, disputed=disputed, sort=sort, limit=limit, offset=offset
    )
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
                disputed=is_disputed(counts.supports, counts.refutes),
                stances=counts,
                url=story_url(base_url, story.id),
            )
        )
    return Page(items=items, total=total, limit=limit, offset=offset)


def story(session: Session, story_id: int, base_url: str) -> StoryDetail | None:
    """One story with its reports in time order, stances, sources, outlets and alerts."""
    found = changed_story(session, story_id, base_url, None)
    return found[1] if found else None


def changed_story(
    session: Session, story_id: int, base_url: str, known: int | None
) -> tuple[int, StoryDetail | None] | None:
    """The story's version, and the story unless that version is still ``known`` (then
    nothing it shows has changed since the caller built it); None for no such story.

    Three statements whatever the story's size: the story with its claim and reports
    (outlet and stance joined, the pages' text left out), the sources they cite, and its
    alerts; one when the version is ``known``.
    """
    rows = story_reports(session, story_id, unless_version=known)
    if not rows:
        return None
    found, claim = rows[0][0], rows[0][1]
    if found.version == known:
        return known, None
    articles = [row for row in rows if row.id is not None]
    cited: dict[int, list[CitedSourceOut]] = {}
    for article_id, sentence, name, kind in story_cited_sources(session, story_id):
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
    alerts = _alerts_out(story_alert_rows(session, story_id), base_url)
    counts = StanceCounts()
    for r in reports:
        if r.stance:
            setattr(counts, r.stance.stance, getattr(counts, r.stance.stance) + 1)
    when = {a.id: as_utc(a.published_at or a.discovered_at) for a in articles}
    outlet_list = _first_seen(((r.outlet, None, r.id) for r in reports if r.outlet), when)
    source_list = _first_seen(((s.name, s.kind, r.id) for r in reports for s in r.sources), when)
    contradictions = [a for a in alerts if a.kind == "contradiction"]
    return found.version, StoryDetail(
        id=story_id,
        title=found.title,
        claim=claim_out(claim, story_id),
        created_at=_utc(found.created_at),
        last_activity_at=_utc(found.last_activity_at),
        report_count=len(reports),
        outlet_count=len(outlet_list),
        source_count=len(source_list),
        contradiction_count=len(contradictions),
        disputed=is_disputed(counts.supports, counts.refutes),
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
        match_probability=(None if record.match_probability is None
                           else round(record.match_probability, 4)),
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
    total, rows = alert_list(session, kind=kind, story_id=story_id, limit=limit, offset=offset)
    return Page(items=_alerts_out(rows, base_url), total=total, limit=limit, offset=offset)


def _alerts_out(rows: Sequence[Any], base_url: str) -> list[AlertOut]:
    """Rows of :func:`storage.alerts.alerts_query` as the API and pages show them."""
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
    total, rows = outlet_directory(session, limit=limit, offset=offset)
    return _directory_page(total, rows, limit, offset)


def sources(
    session: Session, *, kind: str | None = None, limit: int = 50, offset: int = 0
) -> Page[DirectoryEntry]:
    """Primary sources by how many reports cite them, with the first report that did."""
    total, rows = source_directory(session, kind=kind, limit=limit, offset=offset)
    return _directory_page(total, rows, limit, offset)


def _directory_page(
    total: int, rows: Sequence[Any], limit: int, offset: int
) -> Page[DirectoryEntry]:
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
    total, rows = feed_list(session, status=status, limit=limit, offset=offset)
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
    total, rows = claim_list(session, origin=origin, limit=limit, offset=offset)
    return Page(
        items=[claim_out(c, story_id) for c, story_id in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


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
    total, rows = subscriber_list(session, limit=limit, offset=offset)
    return Page(items=[subscription_out(s) for s in rows], total=total, limit=limit, offset=offset)


def subscription_out(subscriber: Subscriber) -> SubscriptionOut:
    return SubscriptionOut.model_validate(
        {**subscriber.model_dump(), "created_at": _utc(subscriber.created_at)}
    )
