"""Operator claims: the one implementation the CLI, replay and the web API share."""

from __future__ import annotations

from sqlmodel import Session, select

from analysis.matching import key_entities
from storage.models import Claim


def watch_claim(session: Session, external_id: str, text: str) -> tuple[Claim, bool]:
    """The operator's claim with this id, created or given the new text; and whether it is new.

    Its key entities are kept with it: who the claim is about decides which articles match.
    """
    claim = session.exec(select(Claim).where(Claim.external_id == external_id)).first()
    created = claim is None
    if claim is None:
        claim = Claim(external_id=external_id, text=text, origin="operator")
        session.add(claim)
    claim.text = text
    claim.entity_keys = sorted(key_entities(text))
    session.flush()
    return claim, created
