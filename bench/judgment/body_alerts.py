"""How far contradiction alerts can go on article bodies with the shipped stance model.

The body stance model is trained on FNC-1's training side; its out-of-fold predictions
there (folds by story, the calibration `claimwatch train stance` fits) judge bodies of
stories the predicting model never saw. Every training-side headline with at least three
related bodies becomes a claim, its related bodies (up to 12, in a random order) its reports;
bodies judged unrelated raise nothing. The reports go through the alert rules of
`analysis/alerts.py` for a grid of the two thresholds that apply to reports judged from a
text (`MIN_CONFLICT_BODY`, `MIN_OPPOSING_SCORE_BODY`), scored as `bench/judgment/run.py`
scores alerts. Hundreds of conflicted claims from over a hundred stories, where the
`fnc-claims` development streams have a handful: both are chosen here, by the rule of
`tune_alerts.py` (the best recall where the setting and its neighbours on the grid keep
precision at 0.6 or more).

Usage: .venv/bin/python bench/judgment/body_alerts.py [--shared DIR] [--runs N]
(about two minutes: it trains the out-of-fold models)
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from score import score  # noqa: E402
from tune_alerts import simulate  # noqa: E402

import analysis.alerts as rules  # noqa: E402
from analysis.judgments import Stance  # noqa: E402
from analysis.matching_data import FNC_TO_STANCE  # noqa: E402
from analysis.stance.engine import STANCE_CLASSES  # noqa: E402
from analysis.stance.train import OutOfFold, Prepared, out_of_fold, prepare  # noqa: E402

PER_CLAIM = 12
CONFLICTS = (0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75)
OPPOSING = (0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5)


def claim_streams(
    prep: Prepared, oof: OutOfFold, seed: int
) -> tuple[list[dict], list[Stance], np.ndarray, list[dict]]:
    """Rows (claim, report, order) for the alert simulation, their stances and
    probabilities, and every report with its gold answer (judged unrelated or not)."""
    rng = random.Random(seed)
    by_claim: dict[str, list[int]] = defaultdict(list)  # headline -> training-row numbers
    for k, i in enumerate(prep.train_rows):
        pair = prep.pairs[i]
        if pair.stance in FNC_TO_STANCE:
            by_claim[pair.headline].append(k)
    rows, stances, probs, reports = [], [], [], []
    bias = np.array(oof.bias)
    for n, headline in enumerate(sorted(h for h, ks in by_claim.items() if len(ks) >= 3)):
        picked = sorted(by_claim[headline], key=lambda _: rng.random())[:PER_CLAIM]
        for order, k in enumerate(picked):
            pair = prep.pairs[prep.train_rows[k]]
            report = {"article_id": f"{n}-{pair.body_id}", "claim_id": str(n),
                      "seen_at": f"{order:03d}", "stance": FNC_TO_STANCE[pair.stance],
                      "story": int(prep.groups[prep.train_rows[k]])}
            reports.append(report)
            if oof.related[k] < oof.threshold:
                continue  # judged unrelated: no report of the claim's story
            rows.append(report)
            stances.append(STANCE_CLASSES[int(np.argmax(oof.stance[k] * bias))])
            probs.append(oof.stance[k])
    return rows, stances, np.array(probs), reports


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--runs", type=int, default=3, help="random report orders to average")
    args = ap.parse_args(argv)
    prep = prepare(args.shared / "fnc1", log=lambda m: print(m, file=sys.stderr))
    oof = out_of_fold(prep)
    runs = [claim_streams(prep, oof, seed) for seed in range(args.runs)]
    reports = runs[0][3]
    stories = {r["story"] for r in reports}
    print(f"{len({r['claim_id'] for r in reports})} claims from {len(stories)} stories, "
          f"{len(reports)} reports; out-of-fold, {args.runs} report orders")
    print(f"{'MIN_CONFLICT_BODY':>17} {'MIN_OPPOSING_SCORE_BODY':>23} {'alerts':>6} "
          f"{'precision':>9} {'recall':>6}")
    shipped = (rules.MIN_CONFLICT_BODY, rules.MIN_OPPOSING_SCORE_BODY)
    for conflict, opposing in itertools.product(CONFLICTS, OPPOSING):
        results = []
        for rows, stances, probs, every in runs:
            alerts = simulate(rows, stances, probs, min_conflict=conflict, min_opposing=opposing,
                              headline_only=False)
            articles = [{"id": r["article_id"], "claim_id": r["claim_id"],
                         "published_at": r["seen_at"]} for r in every]
            results.append(score(
                {"articles": articles, "alerts": alerts},
                {r["article_id"]: r["claim_id"] for r in every},
                {r["article_id"]: r["stance"] for r in every},
            ))
        mark = "  (shipped)" if (conflict, opposing) == shipped else ""
        print(f"{conflict:>17} {opposing:>23} {sum(r['alerts'] for r in results):>6} "
              f"{np.mean([r['alert_p'] for r in results]):>9.3f} "
              f"{np.mean([r['alert_r'] for r in results]):>6.3f}{mark}")
    print(f"conflicted claims: {results[0]['conflicted']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
