"""`claimwatch train stance` and `claimwatch eval fnc1`: reproduce and measure the stance model.

Registered in the main CLI (`worker/cli.py`) with `add_stance_commands(subparsers)`; the
commands need no settings, database or broker.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

DEFAULT_FNC1 = Path("/work/shared/fnc1")


def add_stance_commands(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `train stance ...` and `eval fnc1 ...` to an argparse subparsers object."""
    train = subparsers.add_parser("train", help="train shipped models")
    train_sub = train.add_subparsers(dest="train_what", required=True)
    ts = train_sub.add_parser("stance", help="train the stance engine on FNC-1 (fixed seeds)")
    ts.add_argument(
        "--fnc1",
        type=Path,
        required=True,
        help="folder with train_bodies.csv and train_stances.csv",
    )
    ts.add_argument(
        "--out",
        type=Path,
        default=None,
        help="output folder (default: the shipped analysis/stance/model)",
    )
    ts.add_argument("--seed", type=int, default=None, help="split and model seed")
    ts.set_defaults(handler=_cmd_train_stance)

    ev = subparsers.add_parser("eval", help="evaluate shipped models")
    ev_sub = ev.add_subparsers(dest="eval_what", required=True)
    ef = ev_sub.add_parser("fnc1", help="FNC-1 score, macro-F1, per class, confusion")
    ef.add_argument("--bodies", type=Path, help="FNC-1 bodies CSV")
    ef.add_argument("--stances", type=Path, help="FNC-1 stances CSV (with Stance column)")
    ef.add_argument(
        "--holdout",
        action="store_true",
        help="evaluate on the model's claim-disjoint hold-out of the training split",
    )
    ef.add_argument(
        "--fnc1",
        type=Path,
        default=None,
        help=f"FNC-1 training folder for --holdout (default {DEFAULT_FNC1})",
    )
    ef.add_argument("--model", type=Path, default=None, help="model folder (default: shipped)")
    ef.add_argument("--json", action="store_true", help="print one JSON object")
    ef.add_argument(
        "--predictions",
        type=Path,
        default=None,
        help="write CSV Headline,Body ID,Stance in input row order",
    )
    ef.set_defaults(handler=_cmd_eval_fnc1)


def _cmd_train_stance(args: argparse.Namespace) -> int:
    from analysis.stance.engine import MODEL_DIR
    from analysis.stance.train import SEED, train

    out = args.out if args.out is not None else MODEL_DIR
    seed = args.seed if args.seed is not None else SEED
    train(args.fnc1, out, seed=seed, log=lambda m: print(m, file=sys.stderr))
    return 0


def _cmd_eval_fnc1(args: argparse.Namespace) -> int:
    from analysis.stance import StanceEngine
    from analysis.stance.engine import labels_for
    from analysis.stance.fnc import Pair, format_report, read_fnc1, report
    from analysis.stance.train import holdout_pairs

    engine = StanceEngine.load(args.model)
    pairs: list[Pair]
    if args.holdout:
        pairs = holdout_pairs(args.fnc1 or DEFAULT_FNC1, engine.meta)
    elif args.bodies and args.stances:
        pairs = read_fnc1(args.bodies, args.stances)
    else:
        print("eval fnc1: give --bodies and --stances, or --holdout", file=sys.stderr)
        return 2
    pred = labels_for(engine, [(p.headline, p.body) for p in pairs])
    if args.predictions:
        with open(args.predictions, "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(["Headline", "Body ID", "Stance"])
            for p, s in zip(pairs, pred, strict=True):
                w.writerow([p.headline, p.body_id, s])
    gold = [p.stance for p in pairs]
    if not all(gold):
        print(f"{len(pairs)} pairs predicted; no gold Stance column to score", file=sys.stderr)
        return 0
    rep = report(gold, pred)
    if args.json:
        print(json.dumps({k: rep[k] for k in ("fnc_score", "f1_macro", "per_class", "confusion")}))
    else:
        print(format_report(rep))
    return 0
