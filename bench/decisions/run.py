"""Alert decision time as a story grows: one new report decided against 10, 100 and 1,000
earlier ones.

A report is decided against every earlier report of its story (the contradiction rule
weighs each one's probability of the other side, and the sources they cite), so the cost
grows with the story; this prints how fast. Each story is written straight into a fresh
embedded database (claim, story, decided reports with their stance records, one report
analysed and waiting), then `tasks.alerts.decide_alerts` runs as a worker runs it, after
the same warm-up. Sizes alternate; median of the rounds.

Usage: .venv/bin/python bench/decisions/run.py [--rounds N]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
SIZES = (10, 100, 1000)
STANCES = {  # a plausible mix: most reports support or discuss, a few refute
    "supports": {"supports": 0.7, "refutes": 0.05, "discusses": 0.2, "unrelated": 0.05},
    "discusses": {"supports": 0.2, "refutes": 0.1, "discusses": 0.65, "unrelated": 0.05},
    "refutes": {"supports": 0.1, "refutes": 0.7, "discusses": 0.15, "unrelated": 0.05},
}


def story_waiting(size: int, tag: str, rng: random.Random) -> int:
    """A story with `size` decided reports and one analysed report; that report's id."""
    from storage.db import session_scope
    from storage.models import Article, Claim, StanceRecord, Story
    from tasks.context import engine

    start = datetime(2024, 1, 1, tzinfo=UTC)
    with session_scope(engine()) as session:
        claim = Claim(text=f"The harbour bridge will close for a year ({tag})", origin="operator",
                      entity_keys=[])
        session.add(claim)
        session.flush()
        story = Story(claim_id=claim.id, title=claim.text, created_at=start,  # type: ignore[arg-type]
                      last_activity_at=start, entity_keys=[])
        session.add(story)
        session.flush()
        for n in range(size + 1):
            article = Article(origin="bench", external_id=f"{tag}-{n}", title=f"Report {n}",
                              text="A report on the bridge. " * 50, story_id=story.id,
                              status="decided" if n < size else "analysed",
                              published_at=start + timedelta(minutes=n),
                              minhash=[rng.getrandbits(32) for _ in range(128)],
                              content_hash=f"{rng.getrandbits(128):032x}")
            session.add(article)
            session.flush()
            stance = rng.choices(list(STANCES), weights=(6, 3, 1))[0]
            session.add(StanceRecord(
                article_id=article.id, claim_id=claim.id, stance=stance,  # type: ignore[arg-type]
                score=STANCES[stance][stance], related=0.95,
                evidence=["The bridge will close.", "Officials said so."],
                probabilities=STANCES[stance],
            ))
        return article.id  # type: ignore[return-value]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="claimwatch-decisions-"))
    os.environ.update(CLAIMWATCH_DATABASE_URL=f"sqlite:///{folder / 'bench.sqlite'}",
                      CLAIMWATCH_BROKER_URL=f"sqla+sqlite:///{folder / 'broker.sqlite'}",
                      CLAIMWATCH_LOG_LEVEL="WARNING")
    from tasks.alerts import decide_alerts
    from tasks.context import warm_up
    from worker.app import run_tasks_inline

    run_tasks_inline(propagate=True)
    warm_up()
    rng = random.Random(7)
    times: dict[int, list[float]] = {size: [] for size in SIZES}
    for n in range(args.rounds):
        for size in SIZES:
            article_id = story_waiting(size, f"{size}-{n}", rng)
            start = time.perf_counter()
            decide_alerts(article_id)
            times[size].append(time.perf_counter() - start)
    ms = {size: 1000 * statistics.median(t) for size, t in times.items()}
    print(f"one report decided against its story's earlier reports, median of {args.rounds}:")
    for size in SIZES:
        print(f"   {size:>5} earlier reports: {ms[size]:6.1f} ms")
    print(f"   ratio {SIZES[-1]:,} / {SIZES[0]}: {ms[SIZES[-1]] / ms[SIZES[0]]:.1f}; "
          f"per earlier report: {(ms[SIZES[-1]] - ms[SIZES[0]]) / (SIZES[-1] - SIZES[0]):.3f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
