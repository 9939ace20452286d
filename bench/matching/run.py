"""Per-article cost of story matching as open claims grow from 100 to 10,000.

Claims are real sentences and headlines from FNC-1 training data; articles are FNC-1 bodies
with a headline. For each article the same work as the pipeline's analysis step is timed:
the index search, the candidates' features with the stance engine's relatedness, and the
decision. The two index sizes are timed alternately on the same articles (A B A B), so the
ratio is measured side by side in one run.

Usage: .venv/bin/python bench/matching/run.py [--fnc1 DIR] [--articles N]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from analysis.claim_index import ClaimIndex, report_terms  # noqa: E402
from analysis.matching import (  # noqa: E402
    ClaimProfile,
    MatchModel,
    article_entities,
    article_kind,
    find_candidates,
    match_claim,
)
from analysis.stance import StanceEngine  # noqa: E402
from analysis.stance.fnc import read_fnc1_dir  # noqa: E402
from analysis.text import split_sentences  # noqa: E402

SIZES = (100, 10_000)


def claim_texts(pairs: list, count: int, rng: random.Random) -> list[str]:
    texts = sorted({p.headline for p in pairs})
    for body in sorted({p.body for p in pairs}):
        texts += [s for s in split_sentences(body) if 40 <= len(s) <= 200]
    unique = sorted(set(texts))
    rng.shuffle(unique)
    return unique[:count]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--fnc1", type=Path, default=ROOT.parent / "shared" / "fnc1")
    ap.add_argument("--articles", type=int, default=150)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args(argv)
    rng = random.Random(11)
    pairs = read_fnc1_dir(args.fnc1)
    engine, model = StanceEngine.load(), MatchModel.load()
    texts = claim_texts(pairs, max(SIZES), rng)
    now = datetime(2024, 1, 1, tzinfo=UTC)
    setups = {}
    for size in SIZES:
        index = ClaimIndex(engine.fx.w)
        profiles = {}
        for n, text in enumerate(texts[:size]):
            index.add(n, text)
            # A story opened from an article holds that report, which later articles are
            # compared with too.
            profiles[n] = ClaimProfile(n, text, frozenset(), frozenset(), now, operator=False,
                                       reports=(report_terms(index.vector(text)),))
        setups[size] = (index, profiles)
    chosen = rng.sample(pairs, args.articles)
    articles = [(p.headline, p.body) for p in chosen]

    def run(size: int) -> float:
        index, profiles = setups[size]
        start = time.perf_counter()
        for title, body in articles:
            candidates = find_candidates(index, title, body, lambda _, p=profiles: p,
                                         2 * model.candidates)
            match_claim(article_entities(title, body), now, candidates,
                        lambda claim, t=title, b=body: engine.judge(claim, t, b).related,
                        model=model, window=timedelta(days=30), kind=article_kind(title, body))
        return 1000 * (time.perf_counter() - start) / len(articles)

    run(SIZES[0])  # warm caches
    times: dict[int, list[float]] = {s: [] for s in SIZES}
    for _ in range(args.rounds):
        for size in SIZES:
            times[size].append(run(size))
    small, large = (statistics.median(times[s]) for s in SIZES)
    print(f"{'open claims':>11} {'ms/article (median of ' + str(args.rounds) + ')':>28}")
    for size in SIZES:
        print(f"{size:>11} {statistics.median(times[size]):>28.2f}")
    print(f"ratio {SIZES[1]:,} / {SIZES[0]:,} claims: {large / small:.2f} (bar: at most 2)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
