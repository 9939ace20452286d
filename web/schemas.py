"""The shapes the JSON API returns and accepts; the HTML pages render the same objects.

One set of models keeps the pages and the API saying the same thing and gives the
OpenAPI document its schemas.
"""

from __future__ import annotations

from datetime import datetime
from typing import Generic, Literal, TypeVar

from pydantic import BaseModel, Field, HttpUrl

T = TypeVar("T")

StanceLabel = Literal["supports", "refutes", "discusses", "unrelated"]


class Page(BaseModel, Generic[T]):
    """One page of a list: the items, the total that match, and where this page starts."""

    items: list[T]
    total: int
    limit: int
    offset: int


class ClaimOut(BaseModel):
    key: str = Field(description="the operator's id, else the internal id as text")
    id: int
    text: str
    origin: Literal["operator", "headline", "lead"] = Field(
        description="lead: a story opened by an article without a headline, from the opening "
                    "of its text; such a claim raises no contradiction alerts")
    story_id: int | None
    created_at: datetime


class StanceCounts(BaseModel):
    supports: int = 0
    refutes: int = 0
    discusses: int = 0
    unrelated: int = 0


class StorySummary(BaseModel):
    id: int
    title: str
    claim: ClaimOut
    created_at: datetime
    last_activity_at: datetime
    report_count: int
    outlet_count: int
    source_count: int
    contradiction_count: int = Field(description="contradiction alerts raised in the story")
    disputed: bool = Field(description="the story holds reports on both sides of its claim")
    stances: StanceCounts
    url: str = Field(description="the story page")


class StanceOut(BaseModel):
    stance: StanceLabel
    score: float
    related: float
    evidence: list[str]
    match_probability: float | None = Field(
        None, description="how sure the matcher was that the article is of the story; null "
        "for the report that opened it. A text without a headline below "
        "`analysis.alerts.MIN_ON_STORY_BODY_ALONE` takes no part in contradiction alerts")


class CitedSourceOut(BaseModel):
    name: str
    kind: str
    sentence: str


class ReportOut(BaseModel):
    """One article of a story, as the story's timeline shows it."""

    id: int
    external_id: str
    position: int = Field(description="1-based place in the story's time order")
    title: str | None
    url: str | None
    outlet: str | None
    author: str | None
    published_at: datetime | None
    stance: StanceOut | None
    sources: list[CitedSourceOut]


class EvidenceOut(BaseModel):
    article_id: int
    text: str


class AlertOut(BaseModel):
    id: int
    kind: str
    story_id: int
    story_title: str
    article_id: int
    article_title: str | None
    outlet: str | None
    stance: str | None
    score: float | None
    summary: str
    contradicts: list[int]
    evidence: list[EvidenceOut]
    new_sources: list[str]
    created_at: datetime
    url: str = Field(description="the story page")


class FirstSeen(BaseModel):
    """An outlet or a primary source, with when it first appeared."""

    name: str
    kind: str | None = None
    first_seen_at: datetime | None
    first_article_id: int | None
    reports: int


class StoryDetail(StorySummary):
    reports: list[ReportOut] = Field(description="in time order")
    contradictions: list[AlertOut] = Field(description="the story's contradiction alerts")
    alerts: list[AlertOut] = Field(description="every alert of the story, newest first")
    outlets: list[FirstSeen]
    sources: list[FirstSeen] = Field(description="primary sources the reports cite")


class DirectoryEntry(FirstSeen):
    """An outlet or source across all stories."""

    id: int
    stories: int


class FeedOut(BaseModel):
    id: int
    url: str
    title: str | None
    status: str
    error_count: int
    last_error: str | None
    last_error_at: datetime | None
    last_success_at: datetime | None
    next_poll_at: datetime
    poll_interval_seconds: int
    fixed_interval: bool = Field(description="the operator fixed the interval; else adaptive")
    retry_after_until: datetime | None = Field(description="the server asked to wait until")
    broken_since: datetime | None = Field(description="failing long enough to be broken")
    articles: int
    created_at: datetime


class FeedIn(BaseModel):
    url: HttpUrl
    poll_interval_seconds: int | None = Field(
        default=None, ge=30, le=86_400, description="fixed interval; omitted: adaptive"
    )


class ClaimIn(BaseModel):
    id: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9._:-]+$")
    text: str = Field(min_length=3, max_length=1000)


class SubscriptionOut(BaseModel):
    id: int
    channel_url: str
    channel: str = Field(description="webhook (signed HTTP POST) or apprise")
    secret_env: str | None
    kinds: list[str]
    story_ids: list[int]
    claim_ids: list[str]
    outlets: list[str]
    min_score: float | None
    digest_minutes: float | None
    status: str = Field(description="active, disabled (the receiver said 410 Gone) or removed")
    status_reason: str | None
    created_at: datetime


class SubscriptionIn(BaseModel):
    """A subscriber: an http(s) URL gets signed webhooks, any other URL goes through Apprise."""

    channel_url: str = Field(min_length=3, max_length=2000, description="webhook or Apprise URL")
    secret_env: str | None = Field(
        default=None,
        pattern=r"^[A-Z_][A-Z0-9_]*$",
        description="environment variable that holds the signing secret",
    )
    kinds: list[str] = Field(default_factory=list, description="alert kinds; empty: every kind")
    story_ids: list[int] = Field(default_factory=list, description="empty: every story")
    claim_ids: list[str] = Field(default_factory=list, description="empty: every claim")
    outlets: list[str] = Field(default_factory=list, description="empty: every outlet")
    min_score: float | None = Field(default=None, ge=0, le=1)
    digest_minutes: float | None = Field(default=None, gt=0)


class Problem(BaseModel):
    detail: str
