"""Stories: the claim's story, and the reads of the story pages and the front page.

Lists are counted, filtered and paged in SQL so they stay cheap as the database grows; a
story page reads its one story's rows in three statements, or in one while the story's
version says nothing it shows has changed. Statements are built once per kind (building
one costs about as much Python time as running it) with bound parameters.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any, Literal, TypeVar

from sqlalchemy import and_, bindparam, distinct, func
from sqlmodel import Session, col, select

from storage.alerts import alerts_query
from storage.articles import article_time
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

StorySort = Literal["activity", "contradictions"]
STANCES = ("supports", "refutes", "discusses", "unrelated")

T = TypeVar("T")


def is_disputed(supports: T, refutes: T) -> T:
    """A story is disputed when it has reports on both sides of its claim: the one
    definition, for counts (Python ints give a bool) and for SQL columns (an AND)."""
    return (supports > 0) & (refutes > 0)  # type: ignore[operator, no-any-return]


def story_of_claim(session: Session, claim_id: int) -> Story | None:
    return session.exec(select(Story).where(Story.claim_id == claim_id)).first()


def story_list(
    session: Session,
    *,
    q: str | None,
    disputed: bool | None,
    sort: StorySort,
    limit: int,
    offset: int,
) -> tuple[int, Sequence[Any]]:
    """The number of stories matching, and one page of them, each row a story, its claim
    and its figures (``reports``, ``outlets``, ``sources``, ``contradictions`` and one
    count per stance, by name).

    Two statements: the count and the page. Each figure of a story is a subquery on its
    own rows (by the indexes on article.story_id, alert(story_id, kind) and the stance
    and source keys), so a page of the newest stories reads those stories' rows, not the
    whole database; filters and the contradiction sort evaluate them for every story.
    """
    count_query, page_query = _stories_statements(bool(q), disputed, sort)
    params: dict[str, Any] = {"pattern": f"%{q}%"} if q else {}
    total = session.exec(count_query, params=params).one()
    rows = session.exec(page_query, params={**params, "limit": limit, "offset": offset}).all()
    return total, rows


@cache
def _stories_statements(search: bool, disputed: bool | None, sort: StorySort) -> tuple[Any, Any]:
    """The count and the page of :func:`story_list`, built once per kind of listing."""
    figures = _story_figures()
    query = select(Story, Claim, *figures.values()).join(
        Claim, col(Claim.id) == col(Story.claim_id)
    )
    if search:
        pattern = bindparam("pattern")
        query = query.where(col(Story.title).ilike(pattern) | col(Claim.text).ilike(pattern))
    if disputed is not None:
        both_sides = is_disputed(figures["supports"], figures["refutes"])
        query = query.where(both_sides if disputed else ~both_sides)
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


def story_reports(
    session: Session, story_id: int, unless_version: int | None = None
) -> Sequence[Any]:
    """The story with its claim and reports in time order, one row per report (one row
    with no report for a story without any; none for no story): ``Story``, ``Claim``, the
    article's ``id``, ``external_id``, ``title``, ``url``, ``author``, ``published_at``,
    ``discovered_at``, the outlet's ``name`` and the ``StanceRecord`` toward the claim.
    Never the article's page or text, the bulk of the row.

    When the story's version is still ``unless_version`` (a caller that kept what it
    built from an earlier read), the reports are left out: the one row says so in the
    same statement, and in the same snapshot as the reports it would have read.
    """
    known = -1 if unless_version is None else unless_version
    return session.exec(
        _story_statements()[0], params={"story_id": story_id, "known": known}
    ).all()


def story_cited_sources(session: Session, story_id: int) -> Sequence[Any]:
    """(article id, sentence, source name, source kind) of every citation in the story."""
    return session.exec(_story_statements()[1], params={"story_id": story_id}).all()


def story_alert_rows(session: Session, story_id: int) -> Sequence[Any]:
    """The story's alerts as :func:`storage.alerts.alert_list` gives them."""
    return session.exec(_story_statements()[2], params={"story_id": story_id}).all()


@cache
def _story_statements() -> tuple[Any, Any, Any]:
    """The story page's three statements, built once."""
    story_id = bindparam("story_id")
    in_story = col(Article.story_id) == col(Story.id)
    reports = (
        select(
            Story, Claim, col(Article.id), col(Article.external_id), col(Article.title),
            col(Article.url), col(Article.author), col(Article.published_at),
            col(Article.discovered_at), col(Outlet.name), StanceRecord,
        )
        .join(Claim, col(Claim.id) == col(Story.claim_id))
        .join(Article, and_(in_story, col(Story.version) != bindparam("known")), isouter=True)
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
        .order_by(article_time(), col(Article.id))
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
    return reports, sources, alerts_query(col(Alert.story_id) == story_id)
