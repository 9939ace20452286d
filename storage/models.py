"""SQLModel tables: what claimwatch knows about feeds, articles, stories and alerts.

Every table works on SQLite and PostgreSQL. Unique keys make each pipeline step
idempotent: a task delivered twice finds its row and does nothing new.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, BigInteger, Column, Index, Text, UniqueConstraint, event
from sqlalchemy.orm import declared_attr, deferred
from sqlmodel import Field, SQLModel

if TYPE_CHECKING:
    from analysis.judgments import StanceJudgment


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime | None) -> datetime | None:
    """Times are stored aware, in UTC; a time without an offset is taken to be UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.utcoffset() is None else value.astimezone(UTC)


def iso_utc(value: datetime | None) -> str | None:
    """A stored time in ISO 8601, in UTC (see :func:`as_utc`); None stays None."""
    return as_utc(value).isoformat() if value is not None else None  # type: ignore[union-attr]


def json_column(default: type = list) -> Any:
    return Field(default_factory=default, sa_column=Column(JSON, nullable=False))


class Feed(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(unique=True, max_length=2000)
    title: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    status: str = "new"  # new, ok, error, broken
    error_count: int = 0
    last_error: str | None = None
    last_error_at: datetime | None = None
    last_success_at: datetime | None = None
    next_poll_at: datetime = Field(default_factory=utcnow, index=True)
    # The interval in force: adapted to the feed's publishing rate unless the operator fixed it.
    poll_interval_seconds: int = 300
    fixed_interval_seconds: int | None = None
    created_at: datetime = Field(default_factory=utcnow)
    last_polled_at: datetime | None = None
    last_status_code: int | None = None
    last_error_reason: str | None = Field(default=None, max_length=64)
    # No request before this time (the server's Retry-After), whatever the schedule says.
    retry_after_until: datetime | None = None
    # Start of the current run of failures; broken once it lasts (still polled, not dropped).
    failing_since: datetime | None = None
    broken_since: datetime | None = None
    # Non-fatal problems of the last parsed body (duplicate GUIDs, bad dates, malformed XML).
    last_problems: list[str] = json_column()


class Outlet(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    first_seen_at: datetime = Field(default_factory=utcnow)


class Article(SQLModel, table=True):
    """One fetched URL (or one replayed item), from discovery to analysis."""

    __table_args__ = (
        UniqueConstraint("origin", "external_id"),
        # A story's reports, and its outlets counted from the index alone (the pages).
        Index("ix_article_story_id_outlet_id", "story_id", "outlet_id"),
        # A story's latest reports, which matching compares a new article with.
        Index("ix_article_story_id_id", "story_id", "id"),
    )

    @declared_attr  # type: ignore[misc]
    def __mapper_args__(cls) -> dict[str, Any]:
        # The page is read by the extraction step alone, the index terms by matching later
        # articles alone: every other load of an article (each step's, the report's) would
        # copy them for nothing.
        table = cls.__table__  # type: ignore[attr-defined]
        return {"properties": {"html": deferred(table.c.html),
                               "index_terms": deferred(table.c.index_terms)}}

    id: int | None = Field(default=None, primary_key=True)
    # Where the article came from ("feed:<id>" or "replay") and its id there (GUID, input id).
    origin: str = Field(max_length=200)
    external_id: str = Field(max_length=2000)
    feed_id: int | None = Field(default=None, foreign_key="feed.id", index=True)
    url: str | None = Field(default=None, max_length=2000)
    canonical_url: str | None = Field(default=None, index=True, max_length=2000)
    title: str | None = None
    html: str | None = Field(default=None, sa_column=Column(Text))
    text: str | None = Field(default=None, sa_column=Column(Text))
    content_hash: str | None = Field(default=None, index=True, max_length=64)
    author: str | None = None
    language: str | None = None
    outlet_id: int | None = Field(default=None, foreign_key="outlet.id")
    published_at: datetime | None = None
    discovered_at: datetime = Field(default_factory=utcnow)
    # pending -> fetched -> extracted -> deduplicated -> analysed -> decided; or failed/duplicate
    status: str = Field(default="pending", index=True)
    # When the status last changed, or the stall sweep last handed the article to a task:
    # an article between steps whose step_at is old lost its message (see
    # tasks.articles.resume_stalled). Null for rows inserted in bulk (discovered_at stands in).
    step_at: datetime | None = Field(default=None, index=True)
    error_reason: str | None = None
    error_message: str | None = None
    # A fetch that failed for a passing reason (429, 503, 5xx, timeout, network) is tried
    # again at retry_at, a few times, before the article is given up as failed.
    fetch_attempts: int = 0
    retry_at: datetime | None = Field(default=None, index=True)
    # Non-fatal problems met on the way (a wrong charset, a date clamped), for operators.
    problems: list[str] = json_column()
    decided_at: datetime | None = None
    # Indexed: when an original joins a story, its copies are found by it (tasks.articles).
    duplicate_of_id: int | None = Field(default=None, foreign_key="article.id", index=True)
    # How the copy was recognised: "url", "text" (same hash) or "near" (syndicated wire copy).
    duplicate_kind: str | None = Field(default=None, max_length=16)
    duplicate_similarity: float | None = None
    # MinHash of the text (analysis.neardup), to recognise later syndicated copies.
    minhash: list[int] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    story_id: int | None = Field(default=None, foreign_key="story.id")
    # The heaviest stems of the analysed text as the claim index weighs them
    # (analysis.claim_index.report_terms): later articles are compared with the story's
    # latest reports. Null until analysed, for copies, and for headlines alone (the matcher
    # learned from stories of texts).
    index_terms: dict[str, float] | None = Field(
        default=None, sa_column=Column(JSON, nullable=True)
    )
    # Re-fetching recent articles: validators for a polite conditional GET, and the count of
    # changed texts seen (the versions are ArticleRevision rows).
    etag: str | None = None
    last_modified: str | None = None
    last_refetched_at: datetime | None = None
    revision_count: int = 0


@event.listens_for(Article.status, "set")
def _status_changed(target: Article, value: str, old: object, _initiator: object) -> None:
    """Every status change restarts the stall sweep's clock, wherever it is made."""
    if value != old:
        target.step_at = utcnow()


class ArticleBand(SQLModel, table=True):
    """One LSH bucket of an article's MinHash (analysis.neardup.bands): the articles that
    may be near copies of a text are those in its buckets, found by the primary key."""

    __tablename__ = "article_band"

    bucket: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    article_id: int = Field(foreign_key="article.id", primary_key=True)


class ArticleRevision(SQLModel, table=True):
    """One version of an article's text: 0 is the text first analysed, then each change."""

    __tablename__ = "article_revision"
    __table_args__ = (UniqueConstraint("article_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(foreign_key="article.id", index=True)
    number: int
    text: str = Field(sa_column=Column(Text, nullable=False))
    content_hash: str = Field(max_length=64)
    fetched_at: datetime = Field(default_factory=utcnow)


class Claim(SQLModel, table=True):
    """A proposition being tracked: an operator's, or the headline of a story's first article
    (or, for an article without one, the opening of its text)."""

    id: int | None = Field(default=None, primary_key=True)
    external_id: str | None = Field(default=None, unique=True)
    text: str
    origin: str = "operator"  # operator, headline, lead (a text's opening: no contradictions)
    # Lower-case names of who the claim is about; an article must name them to match.
    entity_keys: list[str] = json_column()
    created_at: datetime = Field(default_factory=utcnow)


class Story(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    claim_id: int = Field(foreign_key="claim.id", index=True)
    title: str
    entity_keys: list[str] = json_column()
    created_at: datetime = Field(default_factory=utcnow)
    last_activity_at: datetime = Field(default_factory=utcnow, index=True)
    # Goes up with every write to what the story's page shows, in the same transaction:
    # database triggers bump it (migration 4cf1c81aa8e0), whichever code writes. The web
    # app keeps a story's rendered page until it moves.
    version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class StanceRecord(SQLModel, table=True):
    __tablename__ = "stance"
    __table_args__ = (UniqueConstraint("article_id", "claim_id"),)

    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(foreign_key="article.id", index=True)
    claim_id: int = Field(foreign_key="claim.id", index=True)
    stance: str
    score: float
    related: float
    evidence: list[str] = json_column()
    # Every stance's calibrated probability ("unrelated" included), which the contradiction
    # rule weighs; empty on records written before it was kept.
    probabilities: dict[str, float] = json_column(dict)
    # The matcher's probability that the article is of the claim's story; None for the
    # report that opened the story (and records written before it was kept).
    match_probability: float | None = None
    created_at: datetime = Field(default_factory=utcnow)

    def set_judgment(self, judgment: StanceJudgment) -> None:
        """Take the judgment's stance, score, relatedness, evidence and probabilities (a
        first judgment, or a revised text's)."""
        self.stance, self.score = judgment.stance.value, judgment.score
        self.related, self.evidence = judgment.related, list(judgment.evidence)
        self.probabilities = {k.value: v for k, v in judgment.probabilities.items()}


class Source(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    kind: str


class ArticleSource(SQLModel, table=True):
    __tablename__ = "article_source"

    article_id: int = Field(foreign_key="article.id", primary_key=True)
    source_id: int = Field(foreign_key="source.id", primary_key=True)
    sentence: str = Field(sa_column=Column(Text, nullable=False))


class Alert(SQLModel, table=True):
    # A story's alerts, and its contradictions counted from the index alone (the pages).
    __table_args__ = (Index("ix_alert_story_id_kind", "story_id", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    # kind:story:article:claim, so a decision made twice writes one alert.
    key: str = Field(unique=True, max_length=200)
    kind: str = Field(index=True)
    story_id: int = Field(foreign_key="story.id")
    article_id: int = Field(foreign_key="article.id")
    claim_id: int | None = Field(default=None, foreign_key="claim.id")
    stance: str | None = None
    score: float | None = None
    summary: str = Field(sa_column=Column(Text, nullable=False))
    contradicts: list[int] = json_column()
    evidence: list[dict[str, Any]] = json_column()
    new_sources: list[str] = json_column()
    created_at: datetime = Field(default_factory=utcnow, index=True)


class Lock(SQLModel, table=True):
    """Named rows whose update serialises critical sections across workers and machines."""

    name: str = Field(primary_key=True)
    acquired_at: datetime = Field(default_factory=utcnow)
