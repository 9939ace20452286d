"""Training the stance engine on FNC-1 with a claim-disjoint hold-out, fixed seeds.

The shipped model is trained on the training side of the claim-disjoint split only, so that
`claimwatch eval fnc1 --holdout` measures it on claims (and stories) it has never seen.
Calibration (temperatures) and decision weights are tuned on out-of-fold predictions over
the training side (folds by story), never on the hold-out.
"""

from __future__ import annotations

import json
import math
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from analysis.stance.bow import BowModel, Regions, fit_bow
from analysis.stance.engine import STANCE_CLASSES, StanceEngine
from analysis.stance.features import FeatureExtractor, claim_denies, swap_sides
from analysis.stance.fnc import (
    LABELS,
    Pair,
    claim_disjoint_split,
    headline_groups,
    read_fnc1_dir,
    report,
    split_fingerprint,
)
from analysis.stance.gbm import TreeEnsemble, save_npz
from analysis.stance.text import article_sentences, content_stems, tokens

SEED = 13
HOLDOUT_FRAC = 0.2
STANCE_NAMES = [s.to_fnc1() for s in STANCE_CLASSES]  # agree, disagree, discuss
REL_PARAMS: dict[str, Any] = {
    "max_iter": 250, "learning_rate": 0.08, "max_leaf_nodes": 31, "min_samples_leaf": 40,
    "l2_regularization": 1.0, "early_stopping": False,
}
STANCE_PARAMS: dict[str, Any] = {
    "max_iter": 250, "learning_rate": 0.05, "max_leaf_nodes": 15, "min_samples_leaf": 30,
    "l2_regularization": 1.0, "early_stopping": False, "max_features": 0.5,
}
BOW_MIN_GROUPS = 10  # a word must occur in this many stories to enter the BoW vocabulary
BOW_C = 0.03
BOW_FOLDS = 5
HEADLINE_LAYER = {"min_overlap": 0.3, "full_overlap": 0.6, "strength": 8.0}

Log = Callable[[str], None]


def build_idf(pairs: Sequence[Pair]) -> tuple[dict[str, float], float, float]:
    """IDF over the unique bodies and headlines given (stems seen twice or more kept)."""
    df: Counter[str] = Counter()
    n_docs = 0
    lengths = []
    for body in sorted({p.body for p in pairs}):
        st = content_stems(tokens(" ".join(article_sentences(body))))
        lengths.append(len(st))
        df.update(set(st))
        n_docs += 1
    for h in {p.headline for p in pairs}:
        df.update(set(content_stems(tokens(h))))
        n_docs += 1
    idf = {
        s: round(math.log((n_docs + 1) / (c + 1)) + 1.0, 3) for s, c in df.items() if c >= 2
    }
    default = round(math.log((n_docs + 1) / 2) + 1.0, 3)
    return idf, default, float(np.mean(lengths)) if lengths else 100.0


def featurize(fx: FeatureExtractor, pairs: Sequence[Pair]) -> np.ndarray:
    return np.stack([fx.features(fx.claim(p.headline), fx.doc("", p.body)) for p in pairs])


def bow_vocab(regions: Sequence[Regions], groups: Sequence[int]) -> dict[str, int]:
    """Words seen in at least BOW_MIN_GROUPS stories: stance wording, not topic names."""
    seen: dict[str, set[int]] = {}
    for reg, g in zip(regions, groups, strict=True):
        for part in reg:
            for w in part:
                seen.setdefault(w, set()).add(g)
    words = sorted(w for w, gs in seen.items() if len(gs) >= BOW_MIN_GROUPS)
    return {w: i for i, w in enumerate(words)}


def _bow_fit(regions: Sequence[Regions], groups: np.ndarray, y: np.ndarray) -> BowModel:
    vocab = bow_vocab(regions, list(groups))
    return fit_bow(vocab, regions, y, BOW_C, _stance_weights(y))


def bow_logits_oof(
    regions: Sequence[Regions], groups: np.ndarray, y_st: np.ndarray, rows: np.ndarray
) -> np.ndarray:
    """Out-of-fold BoW logits for `rows` (folds by story), trained on related rows only."""
    from sklearn.model_selection import GroupKFold

    out = np.zeros((len(rows), 3))
    for a, b in GroupKFold(n_splits=BOW_FOLDS).split(rows, groups=groups[rows]):
        ra = rows[a][y_st[rows[a]] >= 0]
        m = _bow_fit([regions[i] for i in ra], groups[ra], y_st[ra])
        out[b] = m.raw([regions[i] for i in rows[b]])
    return out


def _fit(X: np.ndarray, y: np.ndarray, params: dict[str, Any], seed: int,
         weights: np.ndarray | None = None) -> TreeEnsemble:
    from sklearn.ensemble import HistGradientBoostingClassifier

    m = HistGradientBoostingClassifier(random_state=seed, **params)
    m.fit(X, y, sample_weight=weights)
    return TreeEnsemble.from_sklearn(m)


def _stance_weights(y: np.ndarray) -> np.ndarray:
    """Inverse-square-root class frequency: the rare disagree class gets heard, not shouted."""
    counts = np.bincount(y, minlength=3).astype(np.float64)
    w = (counts.sum() / np.maximum(counts, 1)) ** 0.5
    w = w / w[y].mean()
    return w[y]


def _temperature(raw: np.ndarray, y: np.ndarray, binary: bool) -> float:
    """Temperature minimising held-out log loss (1-D grid): calibrated probabilities."""
    best_t, best_nll = 1.0, float("inf")
    for t in np.arange(0.5, 3.01, 0.05):
        r = raw / t
        if binary:
            p = 1.0 / (1.0 + np.exp(-r[:, 0]))
            p = np.clip(np.where(y == 1, p, 1 - p), 1e-9, 1)
        else:
            r = r - r.max(axis=1, keepdims=True)
            e = np.exp(r)
            p = np.clip((e / e.sum(axis=1, keepdims=True))[np.arange(len(y)), y], 1e-9, 1)
        nll = float(-np.log(p).mean())
        if nll < best_nll:
            best_t, best_nll = float(t), nll
    return round(best_t, 2)


def _labels(rel: np.ndarray, p3: np.ndarray, bias: np.ndarray, thr: float) -> list[str]:
    k = np.argmax(p3 * bias, axis=1)
    return ["unrelated" if r < thr else STANCE_NAMES[j] for r, j in zip(rel, k, strict=True)]


def _tune_decision(rel: np.ndarray, p3: np.ndarray, gold: list[str]) -> tuple[list[float], float]:
    """Class weights and relatedness threshold maximising FNC/100 + macro-F1 (out of fold)."""
    best: tuple[float, list[float], float] = (-1.0, [1.0, 1.0, 1.0], 0.5)
    for thr in (0.35, 0.4, 0.45, 0.5, 0.55):
        for wa in (0.8, 1.0, 1.2, 1.4, 1.7):
            for wd in (1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0):
                bias = np.array([wa, wd, 1.0])
                r = report(gold, _labels(rel, p3, bias, thr))
                obj = float(r["fnc_score"]) / 100 + float(r["f1_macro"])  # type: ignore[arg-type]
                if obj > best[0]:
                    best = (obj, [wa, wd, 1.0], thr)
    return best[1], best[2]


@dataclass
class Prepared:
    """FNC-1 read, split and featurised once: the input of every training step."""

    pairs: list[Pair]
    train_rows: np.ndarray
    holdout_rows: np.ndarray
    fx: FeatureExtractor
    idf: dict[str, float]
    default_idf: float
    avg_len: float
    X: np.ndarray  # hand features and the stacked bag-of-words logits
    bow: BowModel
    y_rel: np.ndarray
    y_st: np.ndarray  # toward the claim's affirmative reading (`features.swap_sides`)
    groups: np.ndarray  # the story of each pair


@dataclass
class OutOfFold:
    """Calibrated predictions on the training side, each from models that never saw its
    story (folds by story), and the calibration and decision chosen on them."""

    related: np.ndarray  # P(related), per training row
    stance: np.ndarray  # P(agree, disagree, discuss | related), per training row
    rel_temperature: float
    stance_temperature: float
    bias: list[float]
    threshold: float
    report: dict[str, Any]


def prepare(fnc1_dir: Path, seed: int = SEED, log: Log = print) -> Prepared:
    """Read FNC-1, split it by claim, and compute every pair's features."""
    t0 = time.time()
    pairs = read_fnc1_dir(fnc1_dir)
    tr_idx, ho_idx = claim_disjoint_split(pairs, HOLDOUT_FRAC, seed)
    train_pairs = [pairs[i] for i in tr_idx]
    log(f"pairs {len(pairs)}: train {len(tr_idx)}, claim-disjoint hold-out {len(ho_idx)}")
    idf, default_idf, avg_len = build_idf(train_pairs)
    fx = FeatureExtractor(idf, default_idf, avg_len)
    X = featurize(fx, pairs)
    regions = [fx.bow_regions(fx.claim(p.headline), fx.doc("", p.body)) for p in pairs]
    log(f"features {X.shape} in {time.time() - t0:.0f}s")
    gold = [p.stance for p in pairs]
    y_rel = np.array([g != "unrelated" for g in gold], dtype=np.int64)
    y_st = np.array([STANCE_NAMES.index(g) if g != "unrelated" else -1 for g in gold])
    # Learned toward the claim's affirmative reading (`swap_sides`): agree and disagree
    # (0 and 1) trade places under claims that deny.
    denies = claim_denies(X)
    y_st = np.where(denies & (y_st >= 0) & (y_st <= 1), 1 - y_st, y_st)
    hg = headline_groups(pairs)
    groups = np.array([hg[p.headline] for p in pairs])
    # Stacked BoW: out-of-fold logits on the training side, the full model elsewhere.
    tr_arr = np.array(tr_idx)
    B = np.zeros((len(pairs), 3))
    B[tr_arr] = bow_logits_oof(regions, groups, y_st, tr_arr)
    bow_rows = tr_arr[y_st[tr_arr] >= 0]
    bow = _bow_fit([regions[i] for i in bow_rows], groups[bow_rows], y_st[bow_rows])
    ho_arr = np.array(ho_idx)
    B[ho_arr] = bow.raw([regions[i] for i in ho_arr])
    log(f"bag-of-words stack: vocabulary {bow.V}, {time.time() - t0:.0f}s")
    return Prepared(pairs, tr_arr, ho_arr, fx, idf, default_idf, avg_len, np.hstack([X, B]),
                    bow, y_rel, y_st, groups)


def out_of_fold(prep: Prepared, seed: int = SEED) -> OutOfFold:
    """Predictions on the training side by folds of stories; calibration and decision
    tuning see only claims their models were not trained on."""
    from sklearn.model_selection import GroupKFold

    X, y_rel, y_st, tr_arr = prep.X, prep.y_rel, prep.y_st, prep.train_rows
    raw_rel = np.zeros((len(prep.pairs), 1))
    raw_st = np.zeros((len(prep.pairs), 3))
    for a, b in GroupKFold(n_splits=BOW_FOLDS).split(tr_arr, groups=prep.groups[tr_arr]):
        ra, rb = tr_arr[a], tr_arr[b]
        rel_f = _fit(X[ra], y_rel[ra], REL_PARAMS, seed)
        st_rows = ra[y_rel[ra] == 1]
        st_f = _fit(X[st_rows], y_st[st_rows], STANCE_PARAMS, seed,
                    _stance_weights(y_st[st_rows]))
        raw_rel[rb] = rel_f.raw(X[rb])
        raw_st[rb] = st_f.raw(X[rb])
    rel_t = _temperature(raw_rel[tr_arr], y_rel[tr_arr], binary=True)
    rel_rows = tr_arr[y_rel[tr_arr] == 1]
    st_t = _temperature(raw_st[rel_rows], y_st[rel_rows], binary=False)
    rel_va = 1.0 / (1.0 + np.exp(-raw_rel[tr_arr, 0] / rel_t))
    z = raw_st[tr_arr] / st_t
    e = np.exp(z - z.max(axis=1, keepdims=True))
    p3_va = swap_sides(e / e.sum(axis=1, keepdims=True), claim_denies(X[tr_arr]))
    gold_tr = [prep.pairs[i].stance for i in tr_arr]
    bias, thr = _tune_decision(rel_va, p3_va, gold_tr)
    inner = report(gold_tr, _labels(rel_va, p3_va, np.array(bias), thr))
    return OutOfFold(rel_va, p3_va, rel_t, st_t, bias, thr, inner)


def train(fnc1_dir: Path, out_dir: Path, seed: int = SEED, log: Log = print) -> dict[str, Any]:
    """Train both stages, calibrate, tune, evaluate on the hold-out and write the model."""
    t0 = time.time()
    prep = prepare(fnc1_dir, seed, log)
    pairs, X, y_rel, y_st, tr = prep.pairs, prep.X, prep.y_rel, prep.y_st, prep.train_rows
    oof = out_of_fold(prep, seed)
    log(f"out-of-fold: T_rel={oof.rel_temperature} T_stance={oof.stance_temperature} "
        f"bias={oof.bias} thr={oof.threshold} FNC={oof.report['fnc_score']} "
        f"F1={oof.report['f1_macro']} ({time.time() - t0:.0f}s)")

    # Final fit on the whole training side.
    rel_m = _fit(X[tr], y_rel[tr], REL_PARAMS, seed)
    st_rows = tr[y_rel[tr] == 1]
    st_m = _fit(X[st_rows], y_st[st_rows], STANCE_PARAMS, seed, _stance_weights(y_st[st_rows]))
    meta: dict[str, Any] = {
        "format": 1,
        "features": [*FeatureExtractor.feature_names(), *(f"bow_{c}" for c in STANCE_NAMES)],
        "default_idf": prep.default_idf,
        "avg_len": round(prep.avg_len, 3),
        "rel_temperature": oof.rel_temperature,
        "stance_temperature": oof.stance_temperature,
        "rel_threshold": oof.threshold,
        "class_bias": oof.bias,
        "stance_toward_affirmative_claim": True,  # `features.swap_sides`
        "stance_classes": STANCE_NAMES,
        "headline_layer": HEADLINE_LAYER,
        "split": {
            "seed": seed,
            "holdout_frac": HOLDOUT_FRAC,
            "train_rows": len(tr),
            "holdout_rows": len(prep.holdout_rows),
            "holdout_fingerprint": split_fingerprint(pairs, prep.holdout_rows.tolist()),
        },
        "params": {"relatedness": REL_PARAMS, "stance": STANCE_PARAMS,
                   "bow": {"min_groups": BOW_MIN_GROUPS, "C": BOW_C, "folds": BOW_FOLDS}},
        "out_of_fold": {k: oof.report[k] for k in ("fnc_score", "f1_macro", "per_class")},
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "idf.json").write_text(
        json.dumps(prep.idf, sort_keys=True, separators=(",", ":")), encoding="utf-8"
    )
    (out_dir / "bow_vocab.json").write_text(
        json.dumps(sorted(prep.bow.vocab, key=prep.bow.vocab.__getitem__)), encoding="utf-8"
    )
    save_npz(out_dir / "trees.npz", {
        **rel_m.arrays("rel_"), **st_m.arrays("st_"),
        "bow_coef": prep.bow.coef.astype(np.float32), "bow_intercept": prep.bow.intercept,
    })
    engine = StanceEngine(prep.fx, rel_m, st_m, meta, prep.bow)
    ho = [pairs[i] for i in prep.holdout_rows]
    rel_ho, p3_ho = engine.predict_arrays(X[prep.holdout_rows])
    rep = report([p.stance for p in ho], engine.decide(rel_ho, p3_ho))
    meta["holdout"] = {k: rep[k] for k in ("fnc_score", "f1_macro", "per_class", "confusion")}
    meta["train_seconds"] = round(time.time() - t0, 1)
    (out_dir / "meta.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
    log(f"hold-out: FNC={rep['fnc_score']} macro-F1={rep['f1_macro']} "
        f"disagree-F1={rep['per_class']['disagree']['f1']}")  # type: ignore[index]
    log(f"trained in {time.time() - t0:.0f}s -> {out_dir}")
    return meta


def holdout_pairs(fnc1_dir: Path, meta: dict[str, Any]) -> list[Pair]:
    """The hold-out rows the model in `meta` was not trained on (checked by fingerprint)."""
    pairs = read_fnc1_dir(fnc1_dir)
    split = meta["split"]
    _, ho_idx = claim_disjoint_split(pairs, float(split["holdout_frac"]), int(split["seed"]))
    if split_fingerprint(pairs, ho_idx) != split["holdout_fingerprint"]:
        raise ValueError("hold-out split differs from the one the model was trained with")
    return [pairs[i] for i in ho_idx]


__all__ = ["LABELS", "OutOfFold", "Prepared", "holdout_pairs", "out_of_fold", "prepare", "train"]
