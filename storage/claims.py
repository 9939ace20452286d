"""Operator claims: the one implementation the CLI, replay and the web API share.

Matching is imported where it is used: its entity lexicons (10 MB) are not for processes
that never match, such as a worker's main process or the web server serving pages.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy import union_all
from sqlmodel import Session, col, func, select

from storage.models import Alert, Article, Claim, StanceRecord, Story

if TYPE_CHECKING:
    from analysis.matching import ClaimProfile


def claim_key(claim: Claim) -> str:
    """How a claim is named outside (the API, messages, the replay report): the operator's
    id, else the internal id."""
    return claim.external_id or str(claim.id)


def watch_claim(session: Session, external_id: str, text: str) -> tuple[Claim, bool]:
    """The operator's claim with this id, created or given the new text; and whether it is new.

    Its key entities are kept with it: who the claim is about decides which articles match.
    """
    from analysis.matching import key_entities

    claim = session.exec(select(Claim).where(Claim.external_id == external_id)).first()
    created = claim is None
    if claim is None:
        claim = Claim(external_id=external_id, text=text, origin="operator")
        session.add(claim)
    claim.text = text
    claim.entity_keys = sorted(key_entities(text))
    session.flush()
    return claim, created


def claims_after(session: Session, claim_id: int) -> list[tuple[int, str]]:
    """(id, text) of every claim with an id above `claim_id`, in id order: what a claim
    index built up to `claim_id` is missing."""
    rows = session.exec(
        select(Claim.id, Claim.text).where(col(Claim.id) > claim_id).order_by(col(Claim.id))
    ).all()
    return [(int(i), text) for i, text in rows]  # type: ignore[arg-type]


def last_claim_id(session: Session) -> int:
    return session.exec(select(func.max(Claim.id))).one() or 0


def claim_profiles(session: Session, claim_ids: Sequence[int]) -> dict[int, ClaimProfile]:
    """Matching profiles of the given claims, with their stories' entities and activity."""
    from analysis.matching import ClaimProfile

    if not claim_ids:
        return {}
    rows = session.exec(
        select(Claim, Story)
        .join(Story, col(Story.claim_id) == col(Claim.id), isouter=True)
        .where(col(Claim.id).in_(list(claim_ids)))
    ).all()
    reports = latest_report_terms(session, [story.id for _, story in rows if story is not None])
    return {
        claim.id: ClaimProfile(  # type: ignore[misc]
            claim_id=claim.id,  # type: ignore[arg-type]
            claim=claim.text,
            claim_entities=frozenset(claim.entity_keys),
            story_entities=frozenset(story.entity_keys) if story else frozenset(),
            last_activity_at=story.last_activity_at if story else None,
            operator=claim.origin == "operator",
            reports=tuple(reports.get(story.id, ())) if story else (),
        )
        for claim, story in rows
    }


def latest_report_terms(
    session: Session, story_ids: Sequence[int | None]
) -> dict[int, list[dict[str, float]]]:
    """The index terms of each story's latest analysed reports, newest first, as many as
    matching compares an article with (`analysis.matching.REPORTS_COMPARED`). One
    statement, each story's part walking its newest rows by the (story, id) index, so a
    long story costs no more than a short one."""
    from analysis.matching import REPORTS_COMPARED

    latest = [
        select(col(Article.story_id).label("story_id"), col(Article.id).label("id"),
               col(Article.index_terms).label("terms"))
        .where(Article.story_id == story_id, col(Article.index_terms).is_not(None))
        .order_by(col(Article.id).desc())
        .limit(REPORTS_COMPARED)
        .subquery()
        for story_id in dict.fromkeys(story_ids)
        if story_id is not None
    ]
    if not latest:
        return {}
    rows = session.exec(union_all(*(select(part) for part in latest))).all()  # type: ignore[call-overload]
    found: dict[int, list[dict[str, float]]] = {}
    for story_id, _, terms in sorted(rows, key=lambda row: (row[0], -row[1])):
        if terms:
            found.setdefault(story_id, []).append(terms)
    return found


def claim_list(
    session: Session, *, origin: str | None, limit: int, offset: int
) -> tuple[int, Sequence[tuple[Claim, int | None]]]:
    """The number of claims (of ``origin``, if given), and one page of (claim, the id of the
    story it leads or None), newest first."""
    query = select(Claim, col(Story.id)).join(
        Story, col(Story.claim_id) == col(Claim.id), isouter=True
    )
    if origin:
        query = query.where(Claim.origin == origin)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(col(Claim.id).desc()).offset(offset).limit(limit)).all()
    return total, rows  # type: ignore[return-value]


def operator_claim(session: Session, external_id: str) -> Claim | None:
    """The operator's claim with this id."""
    return session.exec(select(Claim).where(Claim.external_id == external_id)).first()


def story_id_of(session: Session, claim_id: int) -> int | None:
    """The id of the story the claim leads, if any."""
    return session.exec(select(Story.id).where(Story.claim_id == claim_id)).first()


def remove_unused_claim(session: Session, claim: Claim) -> bool:
    """Delete the claim unless a story, a stance record or an alert refers to it; whether
    it was deleted."""
    for table in (Story, StanceRecord, Alert):
        if session.exec(select(table).where(table.claim_id == claim.id)).first() is not None:
            return False
    session.delete(claim)
    return True


def all_claims(session: Session) -> Sequence[Claim]:
    """Every claim, in id order."""
    return session.exec(select(Claim).order_by(col(Claim.id))).all()
