"""Articles and what hangs on them: outlets, stance records, cited sources; the queries of
the pipeline's steps (duplicates, stalled steps, due fetches and revision checks)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple, Protocol

from sqlalchemy import and_, func, insert, update
from sqlalchemy.orm import defer
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session, col, delete, or_, select

from storage.db import upsert
from storage.models import Article, ArticleBand, ArticleSource, Outlet, Source, StanceRecord


class CitedSourceLike(Protocol):
    name: str
    kind: str
    sentence: str


def article_time() -> ColumnElement[Any]:
    """An article's place in time: when it was published, else when it was found."""
    return func.coalesce(col(Article.published_at), col(Article.discovered_at))


def outlet_id(session: Session, name: str | None) -> int | None:
    """The id of the outlet named ``name``, added when new; None for no name."""
    if not name:
        return None
    outlet = session.exec(select(Outlet).where(Outlet.name == name)).first()
    if outlet is None:
        outlet = Outlet(name=name)
        session.add(outlet)
        session.flush()
    return outlet.id


def outlet_name(session: Session, article: Article) -> str | None:
    """The name of the article's outlet, if it has one."""
    outlet = session.get(Outlet, article.outlet_id) if article.outlet_id else None
    return outlet.name if outlet else None


def step_of(session: Session, article_id: int) -> tuple[str, int | None] | None:
    """The article's status and story id (None for no such article): what a step checks
    first, read without the page and text."""
    row = session.exec(
        select(Article.status, Article.story_id).where(Article.id == article_id)
    ).first()
    return (row[0], row[1]) if row else None


def stance_of(session: Session, article_id: int, claim_id: int) -> StanceRecord | None:
    """The article's stance record toward the claim."""
    return session.exec(
        select(StanceRecord).where(
            StanceRecord.article_id == article_id, StanceRecord.claim_id == claim_id
        )
    ).first()


def stance_records(session: Session, article_id: int) -> Sequence[StanceRecord]:
    """Every stance record of the article (one per claim it was judged against)."""
    return session.exec(select(StanceRecord).where(StanceRecord.article_id == article_id)).all()


def replace_sources(session: Session, article_id: int, found: Iterable[CitedSourceLike]) -> None:
    """Make ``found`` the article's cited sources (replacing earlier ones, so a revised
    article cites what its new text cites); a source cited twice is kept once.

    Four statements however many sources; a source named for the first time by two
    workers at once is added once."""
    session.exec(delete(ArticleSource).where(col(ArticleSource.article_id) == article_id))  # type: ignore[call-overload]
    first: dict[str, CitedSourceLike] = {}
    for cited in found:
        first.setdefault(cited.name, cited)
    if not first:
        return
    # One statement given many rows, not a statement of many rows: SQLAlchemy compiles the
    # former once for the process, the latter anew for every number of rows.
    session.exec(  # type: ignore[call-overload]
        upsert(session)(Source).on_conflict_do_nothing(),
        params=[{"name": c.name, "kind": c.kind} for c in first.values()],
    )
    ids = dict(session.exec(
        select(Source.name, Source.id).where(col(Source.name).in_(list(first)))
    ).all())
    session.exec(  # type: ignore[call-overload]
        insert(ArticleSource),
        params=[
            {"article_id": article_id, "source_id": ids[name], "sentence": cited.sentence}
            for name, cited in first.items()
        ],
    )


def article_without_text(
    session: Session, article_id: int, *, for_update: bool = False
) -> Article | None:
    """The article without its text, the bulk of the row, for the steps that only move it
    on once it has been read; `for_update` locks the row until the transaction ends."""
    return session.get(
        Article, article_id, with_for_update=for_update,
        options=[defer(Article.text)],  # type: ignore[arg-type]
    )


class StoryReport(NamedTuple):
    """A report of a story as the alert decisions read it: who published the article, when,
    under which headline, and its stance record toward the story's claim (the stance's
    fields are None while it has none)."""

    article_id: int
    outlet_id: int | None
    title: str | None
    published_at: datetime | None
    discovered_at: datetime
    stance: str | None
    score: float | None
    related: float | None
    evidence: list[str] | None
    probabilities: dict[str, float] | None
    match_probability: float | None  # None: the report opened the story
    has_body: bool  # judged from a text (a page's or a feed summary), not a headline alone


def reports_to_decide(
    session: Session, story_id: int, article_id: int, claim_id: int
) -> list[StoryReport]:
    """The story's decided reports and the article being decided, each with its stance
    toward the claim, in one statement however many: plain rows of only what the decisions
    read, since a big story has hundreds of reports and loading them as whole articles
    cost most of a decision's time."""
    rows = session.exec(
        select(  # type: ignore[call-overload]
            Article.id, Article.outlet_id, Article.title, Article.published_at,
            Article.discovered_at, StanceRecord.stance, StanceRecord.score,
            StanceRecord.related, StanceRecord.evidence, StanceRecord.probabilities,
            StanceRecord.match_probability,
            # Feed items without a page, and archive items without a text, keep none: a NULL
            # test reads no article text, where length() would read them all.
            col(Article.text).is_not(None),
        )
        .outerjoin(StanceRecord, and_(
            col(StanceRecord.article_id) == col(Article.id), StanceRecord.claim_id == claim_id
        ))
        .where(Article.story_id == story_id,
               or_(Article.status == "decided", Article.id == article_id))
    ).all()
    return [StoryReport(*row) for row in rows]


def sources_cited_by(
    session: Session, article_ids: Collection[int]
) -> dict[int, list[tuple[str, str]]]:
    """(source name, citing sentence) of each source each article cites, in one statement."""
    cited: dict[int, list[tuple[str, str]]] = {i: [] for i in article_ids}
    for article_id, name, sentence in session.exec(
        select(ArticleSource.article_id, Source.name, ArticleSource.sentence)
        .join(Source, col(ArticleSource.source_id) == col(Source.id))
        .where(col(ArticleSource.article_id).in_(list(article_ids)))
        .order_by(col(ArticleSource.article_id), col(Source.id))
    ).all():
        cited[article_id].append((name, sentence))
    return cited


def outlet_names(session: Session, outlet_ids: Collection[int | None]) -> dict[int, str]:
    """The names of the given outlets, by id, in one statement (none for no ids)."""
    wanted = [i for i in set(outlet_ids) if i is not None]
    if not wanted:
        return {}
    return dict(session.exec(
        select(Outlet.id, Outlet.name).where(col(Outlet.id).in_(wanted))
    ).all())  # type: ignore[arg-type]


def original_of(
    session: Session, article: Article, not_originals: Collection[str]
) -> Article | None:
    """The first other article with the same content hash or canonical URL whose status is
    not one of ``not_originals``."""
    same = [Article.content_hash == article.content_hash]
    if article.canonical_url:
        same.append(Article.canonical_url == article.canonical_url)
    return session.exec(
        select(Article)
        .where(Article.id != article.id, or_(*same))
        .where(col(Article.status).not_in(list(not_originals)))
        .order_by(col(Article.id))
    ).first()


def join_copies(session: Session, original_id: int, story_id: int) -> None:
    """Put the copies of an article that were recognised before it was analysed into its
    story: a syndicated copy is one more outlet carrying the report, not a report of its own."""
    session.exec(update(Article).where(  # type: ignore[call-overload]
        Article.duplicate_of_id == original_id, col(Article.story_id).is_(None)
    ).values(story_id=story_id))


def near_duplicate_candidates(
    session: Session,
    article_id: int,
    buckets: Collection[int],
    not_originals: Collection[str],
    since: datetime,
) -> list[tuple[int, Any]]:
    """(id, MinHash signature) of the other articles found since ``since`` that may be the
    original of a near copy: those sharing one of its LSH ``buckets``, found by the index,
    so the cost follows the copies, not the number of recent articles."""
    in_buckets = select(ArticleBand.article_id).where(col(ArticleBand.bucket).in_(list(buckets)))
    return list(session.exec(
        select(Article.id, Article.minhash).where(
            col(Article.id).in_(in_buckets),
            Article.id != article_id,
            col(Article.status).not_in(list(not_originals)),
            col(Article.minhash).is_not(None),
            Article.discovered_at >= since,
        )
    ).all())  # type: ignore[arg-type]


def move_bands(
    session: Session, article_id: int, old: Collection[int], new: Collection[int]
) -> None:
    """Put the article in the LSH buckets ``new``, out of ``old`` (its earlier signature's)."""
    if old:
        session.exec(delete(ArticleBand).where(  # type: ignore[call-overload]
            col(ArticleBand.bucket).in_(list(old)), ArticleBand.article_id == article_id
        ))
    if new:  # many rows to one statement, compiled once (see replace_sources)
        session.exec(  # type: ignore[call-overload]
            insert(ArticleBand),
            params=[{"bucket": b, "article_id": article_id} for b in sorted(set(new))],
        )


def lease_stalled(
    session: Session, statuses: Collection[str], before: datetime, now: datetime
) -> list[tuple[int, str]]:
    """(id, status) of the articles in ``statuses`` (no fetch retry scheduled) whose step
    has not moved since ``before``; leased (their step time set to ``now``) and row-locked,
    skipping locked rows, so each is handed out once per period."""
    stalled = list(session.exec(
        select(Article.id, Article.status)
        .where(
            col(Article.status).in_(list(statuses)),
            col(Article.retry_at).is_(None),
            func.coalesce(Article.step_at, Article.discovered_at) < before,
        )
        .with_for_update(skip_locked=True)
    ).all())
    if stalled:
        session.exec(update(Article)  # type: ignore[call-overload]
                     .where(col(Article.id).in_([i for i, _ in stalled]))
                     .values(step_at=now))
    return stalled  # type: ignore[return-value]


def lease_due_fetches(session: Session, now: datetime, lease: timedelta) -> list[int]:
    """The pending articles whose fetch retry is due, leased for ``lease``."""
    ids = list(session.exec(
        select(Article.id).where(Article.status == "pending", col(Article.retry_at) <= now)
    ).all())
    if ids:
        session.exec(update(Article).where(col(Article.id).in_(ids))  # type: ignore[call-overload]
                     .values(retry_at=now + lease))
    return ids  # type: ignore[return-value]


def lease_revision_checks(
    session: Session, now: datetime, window: timedelta, interval: timedelta
) -> list[int]:
    """Decided feed articles published within ``window`` and not checked for ``interval``;
    leased (marked checked now) so the next sweep does not hand them out again."""
    published = func.coalesce(Article.published_at, Article.discovered_at)
    checked = func.coalesce(Article.last_refetched_at, Article.decided_at)
    ids = list(session.exec(
        select(Article.id).where(
            Article.status == "decided",
            col(Article.feed_id).is_not(None),
            col(Article.url).is_not(None),
            published >= now - window,
            or_(checked.is_(None), checked < now - interval),
        )
    ).all())
    if ids:
        session.exec(update(Article).where(col(Article.id).in_(ids))  # type: ignore[call-overload]
                     .values(last_refetched_at=now))
    return ids  # type: ignore[return-value]


def count_by_status(session: Session) -> dict[str, int]:
    """How many articles are in each status."""
    return dict(
        session.exec(select(Article.status, func.count()).group_by(Article.status)).all()
    )


def failed_by_reason(session: Session) -> list[tuple[str | None, int]]:
    """How many failed articles there are per failure reason."""
    return list(session.exec(
        select(Article.error_reason, func.count())
        .where(Article.status == "failed")
        .group_by(Article.error_reason)
    ).all())


def count_by_status_among(session: Session, ids: Collection[int]) -> dict[str, int]:
    """How many of the articles ``ids`` are in each status."""
    return dict(
        session.exec(
            select(Article.status, func.count())
            .where(col(Article.id).in_(list(ids)))
            .group_by(col(Article.status))
        ).all()
    )


def article_errors(
    session: Session, ids: Collection[int]
) -> list[tuple[str | None, str | None, str | None, datetime | None]]:
    """(external id, error reason, error message, retry time) of those of the articles
    ``ids`` that have an error."""
    return list(session.exec(
        select(Article.external_id, Article.error_reason, Article.error_message,
               Article.retry_at).where(
            col(Article.id).in_(list(ids)), col(Article.error_reason).is_not(None)
        )
    ).all())


def article_by_origin(session: Session, origin: str, external_id: str) -> Article | None:
    """The article with this external id from this origin (a feed, a replay)."""
    return session.exec(
        select(Article).where(Article.origin == origin, Article.external_id == external_id)
    ).first()


def article_in_status(
    session: Session, external_id: str, statuses: Collection[str]
) -> Article | None:
    """An article with this external id, if it is in one of ``statuses``."""
    return session.exec(
        select(Article).where(
            Article.external_id == external_id, col(Article.status).in_(list(statuses))
        )
    ).first()
