"""Choose `MIN_ON_STORY_BODY_ALONE`: how sure the matcher must be that a text without a
headline is of the story for it to raise or answer a contradiction.

A text of another event that barely joined a story (another Comcast complaint, another
McDonald's story) is read against a claim it is not about, and often reads as refuting it.
The alert grids of `tune_alerts.py` and `body_alerts.py` cannot show this: their reports
are all of their claim. So this replays streams through `claimwatch replay --claims`, as
`run.py` does, and decides the contradiction alerts again from each replay's stance records
(`tasks.alerts.story_timeline`, the reports the worker's decision reads) for a grid of
`MIN_ON_STORY_BODY_ALONE`, the other thresholds as shipped (`--opposing-body` sets
`MIN_OPPOSING_SCORE_BODY` otherwise). Prints, for each side, the alerts, how many were
right, precision, and the conflicted claims that got a right alert, scored as `run.py`
scores them.

Streams: the FNC-1 claim streams of `run.py` (six orders on each side) and twelve more
orders of the `fit` side, whose few stories give few alerts each; with `--more-eval`,
twelve more orders of the `eval` side too (row `eval+`).

Usage: .venv/bin/python bench/judgment/alert_gate.py [--shared DIR] [--keep DIR] [--more-eval]
       [--opposing-body P]
(about 6 minutes, 24 replays two at a time; 10 with `--more-eval`)
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlmodel import Session, create_engine, select

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import CLAIM_STREAM_SEEDS, fit_side_model, replay  # noqa: E402
from score import Tally, tally  # noqa: E402

from analysis.alerts import (  # noqa: E402
    MIN_ON_STORY_BODY_ALONE,
    MIN_OPPOSING_SCORE_BODY,
    PastAlert,
    decide_alerts,
)
from analysis.matching_data import Stream, fnc_claim_stream  # noqa: E402
from storage.models import Article, Claim, Story  # noqa: E402
from tasks.alerts import story_timeline  # noqa: E402

GATES = (0.0, 0.5, 0.6, 0.65, 0.7, 0.75, 0.8)
MORE_SEEDS = range(9, 21)


def contradictions(database: Path, gates: Sequence[float],
                   opposing_body: float = MIN_OPPOSING_SCORE_BODY) -> dict[float, list[dict]]:
    """The contradiction alerts of a replayed database, decided again for each gate."""
    alerts: dict[float, list[dict]] = {g: [] for g in gates}
    with Session(create_engine(f"sqlite:///{database}")) as session:
        external = dict(session.exec(select(Article.id, Article.external_id)).all())
        for story in session.exec(select(Story)):
            claim = session.get(Claim, story.claim_id)
            assert claim is not None and story.id is not None
            reports = story_timeline(session, story.id, claim)
            for gate in gates:
                past: list[PastAlert] = []
                for i, new in enumerate(reports):
                    for d in decide_alerts(claim.text, new, reports[:i], past,
                                           min_on_story=gate, min_opposing_body=opposing_body,
                                           stated=claim.origin != "lead"):
                        if d.kind != "contradiction":
                            continue
                        past.append(PastAlert(d.kind, new.article_id, new.stance))
                        alerts[gate].append({
                            "kind": d.kind, "article_id": external[new.article_id],
                            "contradicts": [external[a] for a in d.contradicts],
                        })
    return alerts


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--keep", type=Path, help="keep streams, databases and reports here")
    ap.add_argument("--more-eval", action="store_true",
                    help="also twelve more orders of the eval side (row eval+)")
    ap.add_argument("--opposing-body", type=float, default=MIN_OPPOSING_SCORE_BODY,
                    help="MIN_OPPOSING_SCORE_BODY for the decisions (default: as shipped)")
    args = ap.parse_args(argv)
    fnc1 = args.shared / "fnc1"
    folder = args.keep or Path(tempfile.mkdtemp(prefix="claimwatch-alert-gate-"))
    eval_model = fit_side_model(args.shared, folder)  # as run.py replays the eval side
    sides = {"fit": [*CLAIM_STREAM_SEEDS, *MORE_SEEDS], "eval": list(CLAIM_STREAM_SEEDS)}
    if args.more_eval:
        sides["eval+"] = list(MORE_SEEDS)
    jobs = []
    for side, seeds in sides.items():
        for seed in seeds:
            stream = fnc_claim_stream(fnc1, side=side.rstrip("+"), seed=seed)
            stream.name = f"gate-fnc-claims-{side.rstrip('+')}-{seed}"
            jobs.append((side, stream))

    def run(job: tuple[str, Stream]) -> tuple[str, Stream, dict]:
        side, stream = job
        report, _ = replay(stream, folder, None if side == "fit" else eval_model)
        print(f"replayed {stream.name}", file=sys.stderr)
        return side, stream, report

    totals: dict[tuple[str, float], Tally] = {}
    with ThreadPoolExecutor(max_workers=2) as pool:
        for side, stream, report in pool.map(run, jobs):
            found = contradictions(folder / f"{stream.name}.sqlite", GATES, args.opposing_body)
            for gate, alerts in found.items():
                counts = tally({**report, "alerts": alerts}, stream.gold_claim,
                               stream.gold_stance, stream.gold_story, stream.stance_toward)
                totals[side, gate] = totals.get((side, gate), Tally()) + counts
    print(f"{'side':<5} {'streams':>7} {'MIN_ON_STORY_BODY_ALONE':>23} {'alerts':>6} "
          f"{'right':>5} {'precision':>9} {'alerted':>7} {'conflicted':>10} {'recall':>6}")
    for side, seeds in sides.items():
        for gate in GATES:
            t = totals[side, gate]
            m = t.scores()
            shipped = (gate, args.opposing_body) == (MIN_ON_STORY_BODY_ALONE,
                                                     MIN_OPPOSING_SCORE_BODY)
            mark = "  (shipped)" if shipped else ""
            print(f"{side:<5} {len(seeds):>7} {gate:>23} {m['alerts']:>6} {t.alerts_right:>5} "
                  f"{m['alert_p']:>9.3f} {t.alerted:>7} {t.conflicted:>10} "
                  f"{m['alert_r']:>6.3f}{mark}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
