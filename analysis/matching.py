"""Online story clustering: does a new article belong to an open story, and which?

An article joins the open story whose claim it is most related to when three things
hold: the article names the claim's key entities (people, organisations: who the claim
is about), the story already knows the key entities of the article's own headline (who
the article is about), and the stance engine judges the article related to the claim.
The two entity checks keep apart stories that merely share a famous name (a Putin bird
video is not the Musk–Putin call, and the Musk–Putin call is not a Putin motorcade
story); relatedness keeps apart articles that name the same people for another reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from analysis.entities import EntityIndex, analyse_entities


@dataclass(frozen=True)
class ClaimProfile:
    """A claim an article may belong to: an operator's, or an open story's headline claim.

    `last_activity_at` is None for an operator's claim with no story yet: always open.
    """

    claim_id: int
    claim: str
    claim_entities: frozenset[str]
    story_entities: frozenset[str]
    last_activity_at: datetime | None


@dataclass(frozen=True)
class ArticleEntities:
    """Every entity an article names, and the key ones of its headline."""

    named: frozenset[str]
    headline: frozenset[str]


@dataclass(frozen=True)
class Match:
    claim_id: int
    score: float
    related: float
    coverage: float


_SOURCE_PREFIX = re.compile(r"^[A-Z][\w.&' ]{1,40}:\s+(?=\S)")
_SOURCE_SUFFIX = re.compile(r"\s+[-–—|]\s+[^-–—|]{1,40}$")


def claim_from_headline(title: str) -> str:
    """The proposition a headline states, without the outlet credit around it.

    "Vice: Elon Musk spoke to Putin ..." and "Musk spoke to Putin ... - The New Yorker"
    state the same claim as their middle part.
    """
    claim = _SOURCE_SUFFIX.sub("", _SOURCE_PREFIX.sub("", title.strip()))
    return claim.strip() or title.strip()


def key_entities(text: str) -> frozenset[str]:
    """Lower-case names of the people, organisations and other non-place entities of the
    first sentence of `text` (a claim, or a headline), resolved through the aliases of the
    whole text ("Musk" in the headline is "Elon Musk" of the body)."""
    return _first_sentence_keys(analyse_entities(text), confirmed=False)


def article_entities(title: str, body: str) -> ArticleEntities:
    index = analyse_entities(f"{claim_from_headline(title)}\n{body}" if title else body)
    return ArticleEntities(
        named=frozenset(e.name.lower() for e in index.entities),
        headline=_first_sentence_keys(index, confirmed=True) if title else frozenset(),
    )


def _first_sentence_keys(index: EntityIndex, *, confirmed: bool) -> frozenset[str]:
    """With `confirmed`, only names the rest of the text mentions again: the capitalised
    verbs of a Title Case headline are not entities."""
    if not index.mentions:
        return frozenset()
    counts = {e.name.lower(): e.count for e in index.entities}
    return frozenset(
        m.name.lower()
        for m in index.mentions[0]
        if m.kind != "place" and (not confirmed or counts.get(m.name.lower(), 0) > 1)
    )


def missing(wanted: Collection[str], named: Collection[str]) -> int:
    """How many of `wanted` are not in `named` (a surname matches a full name)."""
    surnames = {key.split()[-1] for key in named}
    return sum(1 for key in wanted if key not in named and key.split()[-1] not in surnames)


def covers(named: Collection[str], wanted: Collection[str]) -> bool:
    """All of `wanted` named, allowing one miss in three (a detail, not a subject)."""
    return missing(wanted, named) <= max(0, (len(wanted) - 1) // 2)


def match_claim(
    article: ArticleEntities,
    published_at: datetime,
    claims: Sequence[ClaimProfile],
    relatedness: Callable[[str], float],
    *,
    window: timedelta,
    min_related: float = 0.5,
) -> Match | None:
    """The claim (and so the story) the article belongs to, or None for a story of its own.

    `relatedness(claim)` is the stance engine's probability that the article concerns the
    claim; it is only called for claims that pass the cheaper window and entity checks.
    """
    best: Match | None = None
    for profile in claims:
        if profile.last_activity_at and published_at - profile.last_activity_at > window:
            continue
        if not covers(article.named, profile.claim_entities):
            continue
        if profile.story_entities and not covers(
            profile.story_entities | profile.claim_entities, article.headline
        ):
            continue
        related = relatedness(profile.claim)
        if related < min_related:
            continue
        wanted = len(profile.claim_entities) or 1
        coverage = 1 - missing(profile.claim_entities, article.named) / wanted
        score = related * (0.5 + 0.5 * coverage)
        if best is None or score > best.score:
            best = Match(profile.claim_id, score, related, coverage)
    return best
