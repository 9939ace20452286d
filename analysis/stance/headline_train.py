"""Fit the headline-only stance model (`model/headline.json`): `claimwatch train headline`.

Rows are Emergent's development headlines: the shipped model learns from all of them, and
`bench/judgment` fits one on the `fit` side alone (`sides=("fit",)`) to score the `eval`
side honestly. The regularisation and the decision's class multipliers are chosen out of
fold, folds grouped by rumour, so no rumour informs its own judgment; the probabilities stay
calibrated, which the contradiction rules rely on. The headline words the model reads are
those of at least `MIN_RUMOURS` rumours' headlines: wording shared across stories, not one
story's names.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from analysis.matching_data import side_of
from analysis.stance.engine import STANCE_CLASSES, StanceEngine
from analysis.stance.headline import (
    CUE_VOCABULARY,
    DENSE_FEATURES,
    HEADLINE_MODEL,
    headline_features,
)
from analysis.stance.text import tokens

C_GRID = (0.03, 0.1, 0.3, 1.0)
BIAS_GRID = (0.8, 1.0, 1.25, 1.5, 2.0, 2.5, 3.0)
FOLDS = 5
MIN_RUMOURS = 5
Log = Callable[[str], None]


def emergent_rows(emergent_file: Path, *sides: str) -> list[dict[str, Any]]:
    """The development headlines of rumours on `sides` ("fit", "eval")."""
    rows = [json.loads(line) for line in emergent_file.read_text(encoding="utf-8").splitlines()]
    return [r for r in rows if side_of(r["claim_id"]) in sides]


def headline_words(rows: list[dict[str, Any]]) -> list[str]:
    """Words (other than the cue words) in the headlines of at least MIN_RUMOURS rumours."""
    rumours: dict[str, set[str]] = {}
    for r in rows:
        for w in set(tokens(r["headline"])):
            rumours.setdefault(w, set()).add(r["claim_id"])
    return sorted(w for w, ids in rumours.items()
                  if len(ids) >= MIN_RUMOURS and w not in CUE_VOCABULARY)


def features_of(engine: StanceEngine, rows: list[dict[str, Any]], words: list[str]) -> np.ndarray:
    """Headline features from the learned stages' view of each (claim, headline) pair."""
    claims = [engine.fx.claim(r["claim"]) for r in rows]
    docs = [engine.fx.doc(r["headline"], "") for r in rows]
    rel, p3 = engine.predict_arrays(engine.matrix(claims, docs))
    return np.stack([
        headline_features(c, r["headline"], p, float(q), words)
        for c, r, p, q in zip(claims, rows, p3, rel, strict=True)
    ])


def oof_probabilities(X: np.ndarray, y: np.ndarray, groups: np.ndarray, c: float,
                      labels: list[str]) -> np.ndarray:
    """Out-of-fold probabilities, folds grouped by rumour, columns in `labels` order."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold

    out = np.zeros((len(y), len(labels)))
    for a, b in GroupKFold(n_splits=FOLDS).split(X, y, groups):
        model = LogisticRegression(C=c, max_iter=5000).fit(X[a], y[a])
        out[b] = model.predict_proba(X[b])[:, [list(model.classes_).index(k) for k in labels]]
    return out


def tune_bias(probs: np.ndarray, y: np.ndarray, labels: list[str]) -> tuple[list[float], float]:
    """Per-class multipliers for the decision (macro-F1 weighs the rare refutations as much
    as the rest) that keep the probabilities themselves calibrated."""
    from sklearn.metrics import f1_score

    best = ([1.0, 1.0, 1.0], -1.0)
    for s_bias, r_bias in itertools.product(BIAS_GRID, BIAS_GRID):
        bias = np.array([s_bias, r_bias, 1.0])
        predicted = np.array(labels)[np.argmax(probs * bias, axis=1)]
        f1 = float(f1_score(y, predicted, labels=labels, average="macro"))
        if f1 > best[1] + 1e-9:
            best = ([s_bias, r_bias, 1.0], f1)
    return best


def train(
    emergent_file: Path,
    out: Path = HEADLINE_MODEL,
    *,
    sides: tuple[str, ...] = ("fit", "eval"),
    log: Log = print,
) -> dict[str, Any]:
    """Fit on the rumours of `sides`; choose C and the class multipliers out of fold."""
    from sklearn.linear_model import LogisticRegression

    engine = StanceEngine.load(with_headline_model=False)
    rows = emergent_rows(emergent_file, *sides)
    words = headline_words(rows)
    X = features_of(engine, rows, words)
    y = np.array([r["stance"] for r in rows])
    groups = np.array([r["claim_id"] for r in rows])
    labels = [s.value for s in STANCE_CLASSES]
    tuned = {}
    for c in C_GRID:
        tuned[c] = tune_bias(oof_probabilities(X, y, groups, c, labels), y, labels)
        log(f"C={c}: macro-F1 {tuned[c][1]:.3f} out of fold (grouped by rumour), "
            f"class multipliers {tuned[c][0]}")
    best = max(C_GRID, key=lambda c: (tuned[c][1], -c))
    model = LogisticRegression(C=best, max_iter=5000).fit(X, y)
    order = [list(model.classes_).index(label) for label in labels]
    data = {
        "classes": labels,
        "dense": list(DENSE_FEATURES),
        "cue_vocabulary": list(CUE_VOCABULARY),
        "words": words,
        "coef": np.round(model.coef_[order], 6).tolist(),
        "intercept": np.round(model.intercept_[order], 6).tolist(),
        "class_bias": tuned[best][0],
        "fit": {"rows": len(rows), "sides": list(sides), "C": best, "min_rumours": MIN_RUMOURS,
                "oof_macro_f1": round(tuned[best][1], 4)},
    }
    out.write_text(json.dumps(data) + "\n", encoding="utf-8")
    return data
