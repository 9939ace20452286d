"""The outlets and sources directories: each by how many reports it has, with its first."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, distinct, func
from sqlmodel import Session, col, select

from storage.articles import article_time
from storage.models import Article, ArticleSource, Outlet, Source


def outlet_directory(session: Session, *, limit: int, offset: int) -> tuple[int, Sequence[Any]]:
    """Outlets by how many reports they published, with their first report."""
    return _directory(session, Outlet, col(Article.outlet_id), None, None, limit, offset)


def source_directory(
    session: Session, *, kind: str | None, limit: int, offset: int
) -> tuple[int, Sequence[Any]]:
    """Primary sources by how many reports cite them, with the first report that did."""
    return _directory(
        session, Source, col(ArticleSource.source_id), ArticleSource, kind, limit, offset
    )


def _directory(
    session: Session,
    entity: type[Outlet] | type[Source],
    key: Any,
    link: type[ArticleSource] | None,
    kind: str | None,
    limit: int,
    offset: int,
) -> tuple[int, Sequence[Any]]:
    """The number of entries, and one page of rows: the entity, then ``first`` (the time of
    its first report), ``reports``, ``stories`` and ``article_id`` (its first report)."""

    def from_articles(*columns: Any) -> Any:
        query = select(*columns)
        if link is not None:
            return query.select_from(Article).join(link, col(link.article_id) == col(Article.id))
        return query.where(key.is_not(None))

    aggregate = (
        from_articles(
            key.label("key"),
            func.min(article_time()).label("first"),
            func.count(distinct(col(Article.id))).label("reports"),
            func.count(distinct(col(Article.story_id))).label("stories"),
        )
        .group_by(key)
        .subquery()
    )
    ranked = from_articles(
        key.label("key"),
        col(Article.id).label("article_id"),
        func.row_number()
        .over(partition_by=key, order_by=(article_time(), col(Article.id)))
        .label("rn"),
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
    return total, rows
