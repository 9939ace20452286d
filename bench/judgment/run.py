"""Development benchmark for judgment: matching, stance and contradiction alerts on streams
beyond the seeds, each run through `claimwatch replay --claims` exactly as a newsroom would.

Prints one table: matching precision, recall and F1; stance macro-F1 on rightly matched
reports; contradiction-alert precision and recall (and how many defined claims had
conflicting reports); and milliseconds per article (replay wall time over items, start-up
included). Each row pools the counts of its streams: six FNC-1 claim streams (other
headlines of the same stories as claims, other bodies, other orders) and one Emergent
headline stream. The streams are the `eval` side of
`analysis/matching_data.py`: no claim in them was seen by the stance model or the matcher.
The shipped headline model learns from both sides' rumours, so the `eval` streams are
replayed with one fitted here on the `fit` side alone (`CLAIMWATCH_STANCE_MODEL_DIR`).

`--few-claims` replays instead twelve streams of a desk watching two claims, whose
unrelated articles all name someone the claims are about, pooled.

Usage: .venv/bin/python bench/judgment/run.py [--shared DIR] [--keep DIR] [--only NAME]
       [--side fit|eval] [--case as-is|upper|title] [--defined SHARE]
       [--titled [--agreeing-titles] | --few-claims] [--orders N]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from score import Tally, tally  # noqa: E402

from analysis.matching_data import (  # noqa: E402
    Stream,
    emergent_headline_stream,
    few_claims_stream,
    fnc_claim_stream,
)
from analysis.stance.engine import MODEL_DIR  # noqa: E402
from bench.cases import CASES as HEADLINE_CASES  # noqa: E402

# Claim streams of the same stories with other headlines as claims and other bodies, in
# other orders: one stream has a handful of conflicted claims, too few to read alert
# precision and recall from, so the table pools six (`--orders` pools more: one claim of 41
# is 0.024 of alert recall, and a refit that barely moves the matcher's weights moved it by
# two).
CLAIM_STREAM_SEEDS = range(3, 9)
FEW_CLAIMS_SEEDS = range(20, 32)
CASES: dict[str, Callable[[str], str]] = {"as-is": lambda headline: headline, **HEADLINE_CASES}


def fit_side_model(shared: Path, folder: Path) -> Path:
    """The shipped stance model with its headline layer refitted on the `fit` side alone."""
    model = folder / "stance-model-fit-side"
    shutil.copytree(MODEL_DIR, model, dirs_exist_ok=True)
    subprocess.run([sys.executable, "-m", "cli", "train", "headline", "--fit-side-only",
                    "--emergent", str(shared / "emergent" / "emergent_dev.jsonl"),
                    "--out", str(model / "headline.json")],
                   cwd=ROOT, check=True, stderr=subprocess.DEVNULL)
    return model


def replay(stream: Stream, folder: Path, model: Path | None) -> tuple[dict, float]:
    items, claims = stream.write(folder)
    report = folder / f"{stream.name}.report.json"
    for old in folder.glob(f"{stream.name}*.sqlite"):  # every run starts from an empty database
        old.unlink()
    env = {
        **os.environ,
        "CLAIMWATCH_DATABASE_URL": f"sqlite:///{folder / (stream.name + '.sqlite')}",
        "CLAIMWATCH_BROKER_URL": f"sqla+sqlite:///{folder / (stream.name + '-broker.sqlite')}",
        "CLAIMWATCH_LOG_LEVEL": "WARNING",
        "CLAIMWATCH_STANCE_MODEL_DIR": str(model or ""),
    }
    cmd = [sys.executable, "-m", "cli", "replay", str(items), "--claims", str(claims),
           "--report", str(report)]
    start = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, env=env, check=False, stdout=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    return json.loads(report.read_text(encoding="utf-8")), elapsed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--keep", type=Path, help="keep streams, databases and reports here")
    ap.add_argument("--only", help="run only this row (fnc-claims, emergent)")
    ap.add_argument("--side", default="eval", choices=("eval", "fit"),
                    help="fit: the side the matcher and alert threshold were tuned on")
    ap.add_argument("--case", default="as-is", choices=tuple(CASES),
                    help="rewrite every headline and claim in capitals or Title Case, as some "
                         "feeds print headlines")
    ap.add_argument("--titled", action="store_true",
                    help="give the claim stream's bodies a headline of their story, as articles "
                         "fetched from a feed have, and make half its unrelated bodies near "
                         "misses (naming someone a claim is about)")
    ap.add_argument("--agreeing-titles", action="store_true",
                    help="with --titled: only headlines the body agrees with (FNC-1 `agree`) "
                         "as titles, nearer an article's own headline than one it discusses")
    ap.add_argument("--defined", type=float, default=1.0,
                    help="the share of the claim stream's related stories given as operator "
                         "claims; the others' reports open stories of their own")
    ap.add_argument("--few-claims", action="store_true",
                    help="twelve streams of two claims each, among articles naming their people")
    ap.add_argument("--orders", type=int, default=len(CLAIM_STREAM_SEEDS),
                    help="how many claim streams (other claims, bodies and orders) to pool")
    args = ap.parse_args(argv)
    titled: dict[str, Any] = {"titled": 1.0, "near_misses": 0.5} if args.titled else {}
    if args.titled and args.agreeing_titles:
        titled["title_labels"] = ("agree",)
    fnc1 = args.shared / "fnc1"
    groups: dict[str, list[Stream]] = (
        {"fnc-few-claims": [few_claims_stream(fnc1, side=args.side, seed=s)
                            for s in FEW_CLAIMS_SEEDS]}
        if args.few_claims else {
            "fnc-claims": [fnc_claim_stream(fnc1, side=args.side, seed=s, defined=args.defined,
                                            **titled)
                           for s in range(CLAIM_STREAM_SEEDS.start,
                                          CLAIM_STREAM_SEEDS.start + args.orders)],
            "emergent": [emergent_headline_stream(
                args.shared / "emergent" / "emergent_dev.jsonl", side=args.side)],
        }
    )
    groups = {name: g for name, g in groups.items() if not args.only or name == args.only}
    for stream in (s for g in groups.values() for s in g):
        for claim in stream.claims:  # operators paste claims from such headlines too
            claim["text"] = CASES[args.case](claim["text"])
        for item in stream.items:
            if item.get("title"):
                item["title"] = CASES[args.case](item["title"])
    folder = args.keep or Path(tempfile.mkdtemp(prefix="claimwatch-judgment-"))
    model = fit_side_model(args.shared, folder) if args.side == "eval" else None
    rows = []
    for name, streams in groups.items():
        total, elapsed = Tally(), 0.0
        for n, stream in enumerate(streams):
            stream.name = f"{name}-{args.side}-{n}"
            report, seconds = replay(stream, folder, model)
            counts = tally(report, stream.gold_claim, stream.gold_stance, stream.gold_story,
                           stream.stance_toward)
            print(f"{stream.name}: {json.dumps(counts.scores())}", file=sys.stderr)
            total, elapsed = total + counts, elapsed + seconds
        items = sum(len(s.items) for s in streams)
        claims = sum(len(s.claims) for s in streams)
        m = total.scores()
        rows.append(
            f"{name:<16} {len(streams):>7} {items:>5} {claims:>6} "
            f"{m['match_p']:>8.3f} {m['match_r']:>6.3f} {m['match_f1']:>6.3f} "
            f"{m['stance_f1']:>9.3f} {m['alerts']:>6} {m['alert_p']:>8.3f} {m['alert_r']:>6.3f} "
            f"{m['conflicted']:>10} {1000 * elapsed / max(1, items):>8.1f}"
        )
    print(f"{'stream':<16} {'streams':>7} {'items':>5} {'claims':>6} {'match P':>8} {'R':>6} "
          f"{'F1':>6} {'stance F1':>9} {'alerts':>6} {'alert P':>8} {'R':>6} {'conflicted':>10} "
          f"{'ms/item':>8}")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
