"""Value types that the pure analysis code returns to the rest of claimwatch.

They carry no database or Celery state, so analysis modules can be tested and benchmarked
on plain text alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Stance(StrEnum):
    """Stance of an article toward a claim (FNC-1: agree, disagree, discuss, unrelated)."""

    SUPPORTS = "supports"
    REFUTES = "refutes"
    DISCUSSES = "discusses"
    UNRELATED = "unrelated"

    def to_fnc1(self) -> str:
        return {v: k for k, v in FNC1_LABELS.items()}[self]


FNC1_LABELS: dict[str, Stance] = {
    "agree": Stance.SUPPORTS,
    "disagree": Stance.REFUTES,
    "discuss": Stance.DISCUSSES,
    "unrelated": Stance.UNRELATED,
}


@dataclass(frozen=True)
class StanceJudgment:
    """The stance of one article toward one claim, with why.

    `score` is the calibrated probability of `stance`; `related` the probability that the
    article concerns the claim at all; `evidence` the sentences of the article that carry
    the judgment, most telling first.
    """

    stance: Stance
    score: float
    related: float
    evidence: list[str] = field(default_factory=list)
    probabilities: dict[Stance, float] = field(default_factory=dict)


@dataclass(frozen=True)
class CitedSource:
    """A primary source an article cites: a person or an organisation, with the sentence."""

    name: str
    kind: str  # "person", "organisation" or "outlet"
    sentence: str
