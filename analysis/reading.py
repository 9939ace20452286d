"""What an article says on its own, read once: the text analysis reads, who it names, what
kind of article it is, the primary sources it cites, and the claim a story of its own would
have. None of it depends on the stored claims, so it can be worked out ahead (a replay
reads the next articles in another process) and matched against the claims later."""

from __future__ import annotations

from dataclasses import dataclass

from analysis.judgments import CitedSource
from analysis.matching import (
    ArticleEntities,
    article_entities,
    article_index,
    article_kind,
    claim_from_headline,
    key_entities,
)
from analysis.sources import find_sources
from analysis.text import clean_article_text


@dataclass(frozen=True)
class ArticleReading:
    body: str  # cleaned of page furniture: the text matching and stance read
    entities: ArticleEntities
    kind: str  # see `analysis.matching.article_kind`
    sources: list[CitedSource]
    own_claim: str  # the claim a story opened by this article would have
    own_claim_origin: str  # "headline", or "lead" when the article has none: its opening
    own_claim_keys: list[str]  # who that claim is about


def read_article(title: str, text: str, outlet: str | None) -> ArticleReading:
    """Read an article's title and (already capped) text; `outlet` is its publisher, which
    is never its own source."""
    body = clean_article_text(text, title=title)
    headline_claim = claim_from_headline(title)
    own_claim = headline_claim or body[:200]
    return ArticleReading(
        body=body,
        entities=article_entities(title, body),
        kind=article_kind(title, body),
        sources=find_sources(
            body, title=title, outlet=outlet, entities=article_index(title, body)
        ),
        own_claim=own_claim,
        own_claim_origin="headline" if headline_claim else "lead",
        own_claim_keys=sorted(key_entities(f"{own_claim}\n{body}")),
    )
