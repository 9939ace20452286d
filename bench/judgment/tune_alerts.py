"""Choose the contradiction thresholds of `analysis/alerts.py` on honest stances.

Every development headline is judged out of fold: the headline model is refitted without
its rumour (folds grouped by rumour, class multipliers chosen out of fold, as `claimwatch
train headline` does for the shipped model, which learns from all of these rumours). The
headlines are matched to their rumour, as the matcher nearly always does, and run through
the alert rules for a grid of the two thresholds (`MIN_CONFLICT`, `MIN_OPPOSING_SCORE`).
Prints precision and recall of contradiction alerts (as `bench/judgment/run.py` scores
them) for each setting. Precision comes first: the best recall among the *steady* settings
first, those whose precision, and that of each neighbour on the grid, is 0.6 or more, so
the choice does not rest on one lucky cell. Among the first few, `bench/judgment/run.py
--side fit` is read too: a replay adds the matcher's errors and undefined rumours' reports,
which cost precision this simulation does not see. The shipped setting is the one whose
smallest margin over precision 0.6 and recall 0.5, on either reading, is largest (the grid
is in the comment on `MIN_CONFLICT`). (The `eval` streams of `bench/judgment/run.py`
hold out the stance model, not this one number: their rumours' out-of-fold stances are
among those it is chosen on.)

Usage: .venv/bin/python bench/judgment/tune_alerts.py [--shared DIR]
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from score import score  # noqa: E402

import analysis.alerts as rules  # noqa: E402
from analysis.alerts import PastAlert, Report  # noqa: E402
from analysis.judgments import Stance  # noqa: E402
from analysis.stance.engine import STANCE_CLASSES, StanceEngine  # noqa: E402
from analysis.stance.headline_train import (  # noqa: E402
    emergent_rows,
    features_of,
    headline_words,
    oof_probabilities,
    tune_bias,
)


def simulate(rows: list[dict], stances: list[Stance], probs: np.ndarray, *,
             min_conflict: float, min_opposing: float, headline_only: bool = True) -> list[dict]:
    """Contradiction alerts of each claim's reports in the order they were seen, all judged
    from headlines alone or all from texts; `min_conflict` applies to either."""
    alerts: list[dict] = []
    by_claim: dict[str, list[int]] = {}
    for i in sorted(range(len(rows)), key=lambda i: (rows[i]["seen_at"], rows[i]["article_id"])):
        by_claim.setdefault(rows[i]["claim_id"], []).append(i)
    for members in by_claim.values():
        earlier: list[Report] = []
        past: list[PastAlert] = []
        for i in members:
            sides = {s: float(probs[i, k]) for k, s in enumerate(STANCE_CLASSES)}
            new = Report(i, stances[i], sides[stances[i]], ["-"], sides=sides,
                         headline_only=headline_only)
            for d in rules.decide_alerts("claim", new, earlier, past, min_conflict=min_conflict,
                                         min_conflict_body=min_conflict,
                                         min_opposing=min_opposing,
                                         min_opposing_body=min_opposing):
                if d.kind == "contradiction":
                    alerts.append({"kind": d.kind, "article_id": rows[i]["article_id"],
                                   "contradicts": [rows[j]["article_id"] for j in d.contradicts]})
                    past.append(PastAlert(d.kind, i, new.stance))
            earlier.append(new)
    return alerts


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--top", type=int, default=12, help="settings to print")
    args = ap.parse_args(argv)
    rows = emergent_rows(args.shared / "emergent" / "emergent_dev.jsonl", "fit", "eval")
    engine = StanceEngine.load(with_headline_model=False)
    meta = json.loads((ROOT / "analysis/stance/model/headline.json").read_text())
    X = features_of(engine, rows, headline_words(rows))
    y = np.array([r["stance"] for r in rows])
    labels = [s.value for s in STANCE_CLASSES]
    probs = oof_probabilities(X, y, np.array([r["claim_id"] for r in rows]), meta["fit"]["C"],
                              labels)
    bias, _ = tune_bias(probs, y, labels)  # as `claimwatch train headline` chooses it
    picked = np.argmax(probs * np.array(bias), axis=1)
    stances = [STANCE_CLASSES[k] for k in picked]
    gold_claim = {r["article_id"]: r["claim_id"] for r in rows}
    gold_stance = {r["article_id"]: r["stance"] for r in rows}
    articles = [{"id": r["article_id"], "claim_id": r["claim_id"], "published_at": r["seen_at"]}
                for r in rows]
    conflicts, opposing = (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8), (0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
    grid = {}
    for a, b in itertools.product(range(len(conflicts)), range(len(opposing))):
        alerts = simulate(rows, stances, probs, min_conflict=conflicts[a],
                          min_opposing=opposing[b])
        grid[a, b] = score({"articles": articles, "alerts": alerts}, gold_claim, gold_stance)

    def steady(a: int, b: int) -> bool:
        cells = [(a, b), (a - 1, b), (a + 1, b), (a, b - 1), (a, b + 1)]
        return all(grid[c]["alert_p"] >= 0.6 for c in cells if c in grid)

    ranked = sorted(grid, key=lambda c: (steady(*c), grid[c]["alert_r"], grid[c]["alert_p"]),
                    reverse=True)
    print(f"{'precision':>9} {'recall':>6} {'alerts':>6}  MIN_CONFLICT MIN_OPPOSING_SCORE steady")
    for a, b in ranked[: args.top]:
        m = grid[a, b]
        print(f"{m['alert_p']:>9.3f} {m['alert_r']:>6.3f} {m['alerts']:>6}  {conflicts[a]:>12} "
              f"{opposing[b]:>18} {'yes' if steady(a, b) else 'no':>6}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
