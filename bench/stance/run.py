"""Benchmark the stance engine: pairs/s (one process, one thread) against a linear floor.

The floor is the quick two-stage linear model of the FNC-1 literature (TF-IDF related /
unrelated logistic regression, then a 3-class logistic regression), trained in this run on
the claim-disjoint training side and timed on the same pairs.  Peak memory is read right
after the engine is loaded, before any data, so it is the loaded model's footprint.

Usage: .venv/bin/python bench/stance/run.py [--fnc1 DIR] [--pairs N]
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse  # noqa: E402
import random  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from analysis.stance import StanceEngine  # noqa: E402


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--fnc1", type=Path, default=ROOT.parent / "shared" / "fnc1")
    ap.add_argument("--pairs", type=int, default=3000, help="pairs to time")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    engine = StanceEngine.load()
    load_s = time.perf_counter() - t0
    peak_model = _rss_mb()
    print(f"engine loaded in {load_s:.2f}s; peak RSS after loading the model: {peak_model:.1f} MB")

    import numpy as np
    from scipy.sparse import csr_matrix, hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from analysis.stance.engine import labels_for
    from analysis.stance.fnc import claim_disjoint_split, read_fnc1_dir, report

    pairs = read_fnc1_dir(args.fnc1)
    split = engine.meta["split"]
    tr_idx, ho_idx = claim_disjoint_split(pairs, split["holdout_frac"], split["seed"])
    rng = random.Random(7)
    sample = rng.sample(range(len(pairs)), min(args.pairs, len(pairs)))
    items = [(pairs[i].headline, pairs[i].body) for i in sample]

    # Engine: fresh caches, every pair through judge_many (features, trees, evidence).
    engine.fx._doc_cache.clear()
    engine.fx._claim_cache.clear()
    t0 = time.perf_counter()
    engine.judge_many(items)
    eng_s = time.perf_counter() - t0
    eng_rate = len(items) / eng_s
    # And one pair at a time through judge(), the pipeline's call, with cold caches.
    engine.fx._doc_cache.clear()
    engine.fx._claim_cache.clear()
    t0 = time.perf_counter()
    for h, b in items[:500]:
        engine.judge(h, "", b)
    one_rate = min(500, len(items)) / (time.perf_counter() - t0)

    # Floor: two-stage TF-IDF logistic regression, trained here.
    t0 = time.perf_counter()
    tr = [pairs[i] for i in tr_idx]
    vec = TfidfVectorizer(max_features=5000, stop_words="english", sublinear_tf=True)
    vec.fit([p.headline for p in tr] + sorted({p.body for p in tr}))

    def floor_x(hs: list[str], bs: list[str]) -> csr_matrix:
        h = vec.transform(hs)
        b = vec.transform(bs)
        cos = np.asarray(h.multiply(b).sum(axis=1))
        share = np.asarray((h.multiply(b) > 0).sum(axis=1)) / np.maximum(
            np.asarray((h > 0).sum(axis=1)), 1
        )
        dense = csr_matrix(np.hstack([cos, share, cos**2, share**2]) * 5.0)
        return hstack([h, b, dense]).tocsr()

    Xtr = floor_x([p.headline for p in tr], [p.body for p in tr])
    y_rel = np.array([p.stance != "unrelated" for p in tr])
    lr_rel = LogisticRegression(C=10.0, max_iter=1000).fit(Xtr, y_rel)
    rel_rows = np.flatnonzero(y_rel)
    lr_st = LogisticRegression(C=1.0, max_iter=1000, class_weight="balanced").fit(
        Xtr[rel_rows], [tr[i].stance for i in rel_rows]
    )
    floor_train_s = time.perf_counter() - t0

    def floor_predict(hs: list[str], bs: list[str]) -> list[str]:
        X = floor_x(hs, bs)
        rel = lr_rel.predict(X)
        st = lr_st.predict(X)
        return [s if r else "unrelated" for r, s in zip(rel, st, strict=True)]

    t0 = time.perf_counter()
    floor_predict([h for h, _ in items], [b for _, b in items])
    floor_s = time.perf_counter() - t0
    floor_rate = len(items) / floor_s

    ho = [pairs[i] for i in ho_idx]
    gold = [p.stance for p in ho]
    floor_rep = report(gold, floor_predict([p.headline for p in ho], [p.body for p in ho]))
    eng_rep = report(gold, labels_for(engine, [(p.headline, p.body) for p in ho]))

    print(f"pairs timed: {len(items)} FNC-1 training pairs (random, seed 7), 1 process, 1 thread")
    print(f"engine  judge_many: {eng_rate:8.0f} pairs/s   judge() one by one: {one_rate:8.0f}")
    print(
        f"floor   two-stage TF-IDF LR: {floor_rate:8.0f} pairs/s "
        f"(trained in {floor_train_s:.0f}s)"
    )
    print(f"ratio engine/floor (judge_many): {eng_rate / floor_rate:.2f}")
    for name, rep in (("engine", eng_rep), ("floor", floor_rep)):
        per = rep["per_class"]
        assert isinstance(per, dict)
        print(
            f"claim-disjoint hold-out {name:<6}: FNC {rep['fnc_score']:.2f}%  "
            f"macro-F1 {rep['f1_macro']:.4f}  disagree-F1 {per['disagree']['f1']:.4f}"
        )
    print(f"peak RSS: after model load {peak_model:.1f} MB; end of run {_rss_mb():.1f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
