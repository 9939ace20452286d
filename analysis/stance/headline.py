"""Stance of a headline-only report (a feed item without its page) toward a claim.

The two learned stages read bodies; a headline is a few words, and what carries its stance
is how it is worded: a question or a hedge reports a claim, "X denies ..." reports a denial
in a neutral voice, "hoax" or "fake" in the outlet's own voice takes the other side. This
small multinomial logistic model reads those cues, the learned stages' own probabilities,
the headline's overlap with the claim, and the headline's words among those many rumours'
headlines use ("says", "officials", "update", "still": how headlines word a side, not what
a story is about). It is fitted on Emergent development headlines (`claimwatch train
headline`), held out by rumour; the weights and the word list are data
(`model/headline.json`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from analysis.lexicons import lexicon
from analysis.stance.features import Claim
from analysis.stance.text import (
    HEDGE_CUES,
    NEGATIONS,
    REFUTE_CUES,
    SUPPORT_CUES,
    content_stems,
    is_question,
    tokens,
)

HEADLINE_MODEL = Path(__file__).resolve().parent / "model" / "headline.json"
# Verbs that report someone else's denial rather than take a side ("Hospital denies ...").
REPORTED_DENIALS: frozenset[str] = lexicon("stance_reported_denials")
CUE_VOCABULARY: tuple[str, ...] = tuple(
    sorted(REFUTE_CUES | HEDGE_CUES | SUPPORT_CUES | NEGATIONS | {"?", "not", "no"})
)
DENSE_FEATURES: tuple[str, ...] = (
    "log_p_supports", "log_p_refutes", "log_p_discusses", "related", "overlap",
    "question", "hedges", "own_refutes", "reported_denial", "negated", "claim_negated",
    "polarity_mismatch", "supports_cues", "quote", "colon_credit", "negates_claim_words",
)
# How many words after a negation it may reach a claim word ("wasn't stolen", "not real").
NEGATION_REACH = 3


def headline_features(
    claim: Claim, title: str, p3: Sequence[float], related: float, words_used: Sequence[str]
) -> np.ndarray:
    """Dense cue features, one indicator per cue word the headline uses, then one per word
    of `words_used` (the model's headline vocabulary)."""
    toks = tokens(title)
    words = set(toks)
    stems = set(content_stems(toks))
    overlap = math.fsum(claim.weights[s] for s in claim.uniq & stems) / claim.total_w
    reported = len(words & REPORTED_DENIALS)
    own = len((words & REFUTE_CUES) - REPORTED_DENIALS)
    negations = [i for i, t in enumerate(toks) if t in NEGATIONS or t.endswith("n't")]
    negated = bool(negations)
    # A negation of the claim's own words ("Batmobile wasn't stolen"), not merely a negation
    # somewhere in the headline ("... or not?", "not the first time").
    negates_claim = any(
        claim.uniq.intersection(content_stems(toks[i + 1 : i + 1 + NEGATION_REACH]))
        for i in negations
    )
    claim_toks = set(tokens(claim.text))
    claim_negated = bool(claim_toks & (NEGATIONS | REFUTE_CUES))
    dense = [
        *(math.log(max(float(p), 1e-4)) for p in p3),
        related,
        overlap,
        float(is_question(title)),
        float(len(words & HEDGE_CUES)),
        float(own),
        float(reported),
        float(negated),
        float(claim_negated),
        float((negated or own > 0 or reported > 0) != claim_negated),
        float(len(words & SUPPORT_CUES)),
        float(any(q in title for q in "\"“‘'")),
        float(":" in title),
        float(negates_claim),
    ]
    sparse = [float(w in words) for w in (*CUE_VOCABULARY, *words_used)]
    return np.array(dense + sparse, dtype=np.float64)


@dataclass(frozen=True)
class HeadlineModel:
    """Multinomial logistic weights: (supports, refutes, discusses) x features, the
    class multipliers of the decision (the probabilities themselves stay calibrated) and
    the headline words the model reads beyond the cue words."""

    coef: np.ndarray
    intercept: np.ndarray
    class_bias: np.ndarray
    words: tuple[str, ...]

    @classmethod
    def load(cls, path: Path = HEADLINE_MODEL) -> HeadlineModel | None:
        """The shipped model, or None before `claimwatch train headline` has made one."""
        if not path.exists():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        if data["cue_vocabulary"] != list(CUE_VOCABULARY) or data["dense"] != list(DENSE_FEATURES):
            raise ValueError(f"{path}: fitted for other features; run `claimwatch train headline`")
        return cls(np.array(data["coef"]), np.array(data["intercept"]),
                   np.array(data["class_bias"]), tuple(data["words"]))

    def probabilities(
        self, claim: Claim, title: str, p3: Sequence[float], related: float
    ) -> np.ndarray:
        """Calibrated P(supports, refutes, discusses) of the headline toward the claim."""
        z = self.coef @ headline_features(claim, title, p3, related, self.words) + self.intercept
        z = np.exp(z - z.max())
        return z / z.sum()
