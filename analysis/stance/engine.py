"""The stance engine: is the article about the claim, and does it support, refute or discuss it.

Two learned stages (boosted trees over hand features, trained on FNC-1 claim/body pairs):
relatedness, then supports/refutes/discusses among related pairs.  FNC-1 bodies come
without titles, so the learned stages cannot learn what a headline does; a small, documented
headline layer adds the news convention that an article's headline carries its stance (a
headline that restates the claim supports it, one that denies it refutes it, a question
headline discusses it).  See MODEL_CARD.md.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from analysis.judgments import Stance, StanceJudgment
from analysis.lexicons import lexicon
from analysis.stance.bow import BowModel
from analysis.stance.features import (
    DOC_CACHE,
    Claim,
    Doc,
    FeatureExtractor,
    claim_denies,
    swap_sides,
)
from analysis.stance.fnc import Pair, claim_disjoint_split
from analysis.stance.gbm import TreeEnsemble, load_npz
from analysis.stance.headline import HEADLINE_MODEL, HeadlineModel
from analysis.stance.text import (
    NEGATIONS,
    REFUTE_BIGRAMS,
    REFUTE_CUES,
    content_stems,
    is_question,
    tokens,
)

MODEL_DIR = Path(__file__).resolve().parent / "model"
# Order of the stance stage's classes.
STANCE_CLASSES: tuple[Stance, ...] = (Stance.SUPPORTS, Stance.REFUTES, Stance.DISCUSSES)
# Headline words that report a claim without asserting it.
TITLE_HEDGES: frozenset[str] = lexicon("stance_title_hedges")

PairInput = tuple[str, str] | tuple[str, str, str]


def _title_polarity(toks: list[str]) -> bool:
    """True if a headline carries a denial: a refutation cue or a negation."""
    prev = ""
    for t in toks:
        if t in REFUTE_CUES or (prev, t) in REFUTE_BIGRAMS or t in NEGATIONS or t.endswith("n't"):
            return True
        prev = t
    return False


class StanceEngine:
    """Judges an article's stance toward a claim; load the shipped model with `load()`."""

    def __init__(
        self,
        extractor: FeatureExtractor,
        rel_model: TreeEnsemble,
        stance_model: TreeEnsemble,
        meta: dict[str, Any],
        bow: BowModel,
        headline_model: HeadlineModel | None = None,
    ) -> None:
        self.fx = extractor
        self.bow = bow
        self.rel_model = rel_model
        self.stance_model = stance_model
        self.meta = meta
        self.headline_model = headline_model
        self.rel_temperature = float(meta.get("rel_temperature", 1.0))
        self.stance_temperature = float(meta.get("stance_temperature", 1.0))
        self.rel_threshold = float(meta.get("rel_threshold", 0.5))
        self.class_bias = np.array(meta.get("class_bias", [1.0, 1.0, 1.0]), dtype=np.float64)
        self.toward_affirmative = bool(meta.get("stance_toward_affirmative_claim", False))
        layer = meta.get("headline_layer", {})
        self.title_min_overlap = float(layer.get("min_overlap", 0.3))
        self.title_full_overlap = float(layer.get("full_overlap", 0.6))
        self.title_strength = float(layer.get("strength", 8.0))

    @classmethod
    def load(
        cls,
        path: str | Path | None = None,
        *,
        with_headline_model: bool = True,
        doc_cache: int = DOC_CACHE,
    ) -> StanceEngine:
        """Load the model files (json + npz, never pickle) from `path` or the shipped folder;
        the headline-only model too, unless it is the one being fitted. `doc_cache` bodies'
        features are kept for judging them against further claims."""
        d = Path(path) if path is not None else MODEL_DIR
        meta = json.loads((d / "meta.json").read_text(encoding="utf-8"))
        idf = json.loads((d / "idf.json").read_text(encoding="utf-8"))
        z = load_npz(d / "trees.npz")
        fx = FeatureExtractor(idf, float(meta["default_idf"]), float(meta["avg_len"]), doc_cache)
        words = json.loads((d / "bow_vocab.json").read_text(encoding="utf-8"))
        bow = BowModel({w: i for i, w in enumerate(words)}, z["bow_coef"], z["bow_intercept"])
        rel = TreeEnsemble.from_arrays(z, "rel_")
        headline = HeadlineModel.load(d / HEADLINE_MODEL.name) if with_headline_model else None
        return cls(fx, rel, TreeEnsemble.from_arrays(z, "st_"), meta, bow, headline)

    # -- public API -------------------------------------------------------------------------

    def judge(self, claim: str, title: str, body: str) -> StanceJudgment:
        """Stance of one article (title + body text) toward one claim."""
        return self.judge_many([(claim, title, body)])[0]

    def judge_many(self, claim_body_pairs: Iterable[PairInput]) -> list[StanceJudgment]:
        """Batched `judge`: (claim, body) or (claim, title, body) tuples, results in order."""
        items: list[tuple[str, str, str]] = []
        for p in claim_body_pairs:
            if len(p) == 2:
                items.append((p[0], "", p[1]))
            else:
                items.append((p[0], p[1], p[2]))  # type: ignore[misc]
        if not items:
            return []
        claims = [self.fx.claim(c) for c, _, _ in items]
        docs = [self.fx.doc(t, b) for _, t, b in items]
        X = self.matrix(claims, docs)
        rel, p3 = self.predict_arrays(X)
        out = []
        for i, (c, d) in enumerate(zip(claims, docs, strict=True)):
            p = p3[i]
            title, body = items[i][1], items[i][2]
            bias = self.class_bias
            if title.strip() and not body.strip() and self.headline_model is not None:
                p = self.headline_model.probabilities(c, title, p, float(rel[i]))
                bias = self.headline_model.class_bias
            elif title.strip():
                p = p * self._headline_multipliers(c, title)
                p = p / p.sum()
            out.append(self._judgment(c, d, float(rel[i]), p, bias))
        return out

    def matrix(self, claims: Sequence[Claim], docs: Sequence[Doc]) -> np.ndarray:
        """Model input: hand features plus the stacked bag-of-words logits."""
        pairs = list(zip(claims, docs, strict=True))
        X = np.stack([self.fx.features(c, d) for c, d in pairs])
        B = self.bow.raw([self.fx.bow_regions(c, d) for c, d in pairs])
        return np.hstack([X, B])

    def predict_arrays(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """P(related) and calibrated P(supports, refutes, discusses | related) per row."""
        rel = self.rel_model.proba(X, self.rel_temperature)[:, 1]
        p3 = self.stance_model.proba(X, self.stance_temperature)
        if self.toward_affirmative:
            p3 = swap_sides(p3, claim_denies(X))
        return rel, p3

    def decide(self, rel: np.ndarray, p3: np.ndarray) -> list[str]:
        """FNC-1 labels from the stage outputs (used by evaluation)."""
        names = [s.to_fnc1() for s in STANCE_CLASSES]
        k = np.argmax(p3 * self.class_bias, axis=1)
        return [
            "unrelated" if r < self.rel_threshold else names[j] for r, j in zip(rel, k, strict=True)
        ]

    # -- internals --------------------------------------------------------------------------

    def _headline_multipliers(self, c: Claim, title: str) -> np.ndarray:
        """Likelihood ratios for (supports, refutes, discusses) from the article's headline.

        Applies only when the headline is about the claim (its words cover enough of the
        claim's IDF weight); the strength grows with that coverage.
        """
        toks = tokens(title)
        st = set(content_stems(toks))
        overlap = math.fsum(c.weights[s] for s in c.uniq & st) / c.total_w
        if overlap < self.title_min_overlap:
            return np.ones(3)
        span = max(self.title_full_overlap - self.title_min_overlap, 1e-6)
        k = self.title_strength ** min(1.0, (overlap - self.title_min_overlap) / span + 0.25)
        if is_question(title):  # asks, whatever its negations: "Are ... not found?"
            return np.array([1.0 / k, 1.0 / k, k])
        if _title_polarity(toks) != _title_polarity(tokens(c.text)):
            return np.array([1.0 / k, k, 1.0 / math.sqrt(k)])
        if any(t in TITLE_HEDGES for t in toks):
            return np.array([1.0, 1.0 / k, math.sqrt(k)])
        return np.array([k, 1.0 / k, 1.0 / math.sqrt(k)])

    def _judgment(
        self, c: Claim, d: Doc, rel: float, p3: np.ndarray, bias: np.ndarray
    ) -> StanceJudgment:
        probs = {Stance.UNRELATED: 1.0 - rel}
        for s, v in zip(STANCE_CLASSES, p3, strict=True):
            probs[s] = rel * float(v)
        if rel < self.rel_threshold:
            stance = Stance.UNRELATED
        else:
            stance = STANCE_CLASSES[int(np.argmax(p3 * bias))]
        evidence = [] if stance == Stance.UNRELATED else self._evidence(c, d, stance)
        return StanceJudgment(
            stance=stance,
            score=round(probs[stance], 4),
            related=round(rel, 4),
            evidence=evidence,
            probabilities={k: round(v, 4) for k, v in probs.items()},
        )

    def _evidence(self, c: Claim, d: Doc, stance: Stance) -> list[str]:
        """1-3 body sentences that mention the claim and carry the judged stance's cues."""
        sc = self.fx.sentence_scores(c, d)
        first = 1 if d.has_title and len(d.sents) > 1 else 0
        on_topic: list[tuple[float, int]] = []
        cued: list[tuple[float, int]] = []
        for i in range(first, len(d.sents)):
            if sc[i] <= 0:
                continue
            cu = d.sents[i].cues
            refute = min(cu[0] + cu[1], 2.0)
            if stance == Stance.REFUTES:
                cue = refute + 0.3 * min(cu[4], 2)
            elif stance == Stance.SUPPORTS:
                cue = 0.5 * min(cu[2], 2) - 0.5 * refute
            else:
                cue = 0.5 * min(cu[3], 2) + 0.5 * min(refute, 1)
            lead = 0.1 if i - first < 3 else 0.0  # news convention: the lead carries stance
            on_topic.append((sc[i] + lead, i))
            if cue > 0 and sc[i] >= 0.1:
                cued.append((sc[i] * (1.0 + cue) + lead, i))
        if not on_topic:
            return [d.sents[0].text] if d.sents and d.sents[0].text else []
        on_topic.sort(key=lambda t: (-t[0], t[1]))
        cued.sort(key=lambda t: (-t[0], t[1]))
        # Refutations and supports are carried by cue sentences about the claim (a denial
        # often names only the claim's subject); the closest paraphrase gives the context.
        order = [i for _, i in cued[:2]] if stance != Stance.DISCUSSES else []
        best = on_topic[0][0]
        order += [i for v, i in on_topic[:3] if v >= 0.6 * best]
        picked = list(dict.fromkeys(order))[:3]
        return [d.sents[i].text for i in picked]


def labels_for(engine: StanceEngine, pairs: Sequence[tuple[str, str]]) -> list[str]:
    """FNC-1 labels for (headline, body) pairs through the learned stages only."""
    claims = [engine.fx.claim(h) for h, _ in pairs]
    docs = [engine.fx.doc("", b) for _, b in pairs]
    rel, p3 = engine.predict_arrays(engine.matrix(claims, docs))
    return engine.decide(rel, p3)


def shipped_split(pairs: Sequence[Pair]) -> tuple[list[int], list[int]]:
    """Row indices (train, claim-disjoint hold-out) of FNC-1 `pairs` as the shipped model
    was split: what its hold-out and the development streams built on it may use."""
    split = json.loads((MODEL_DIR / "meta.json").read_text(encoding="utf-8"))["split"]
    return claim_disjoint_split(pairs, float(split["holdout_frac"]), int(split["seed"]))
