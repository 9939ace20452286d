"""Cost of analysing one long article: entity analysis as names double, and a 200 KB page.

Entity aliasing once compared every name with every other; this prints seconds per call for
1,000 to 8,000 distinct names (each doubling should roughly double the time), then the time
of each analysis step on a 200 KB text of real FNC-1 bodies, capped as the pipeline caps it.

Usage: .venv/bin/python bench/analysis/run.py [--fnc1 DIR]
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from analysis.entities import analyse_entities  # noqa: E402
from analysis.matching import article_entities  # noqa: E402
from analysis.sources import find_sources  # noqa: E402
from analysis.stance import StanceEngine  # noqa: E402
from analysis.text import cap_text, clean_article_text  # noqa: E402
from config.settings import get_settings  # noqa: E402

FIRST = ["Anna", "Boris", "Carla", "Dmitri", "Elena", "Farid", "Greta", "Hugo", "Irina"]


def names_text(n: int, rng: random.Random) -> str:
    return " ".join(
        f"{rng.choice(FIRST)} Kowal{i}ski said that Acme{i} Ltd met Minister{i} in Town{i}. "
        f"Kowal{i}ski added more." for i in range(n)
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--fnc1", type=Path, default=ROOT.parent / "shared" / "fnc1")
    args = ap.parse_args(argv)
    rng = random.Random(1)
    print(f"{'names':>6} {'chars':>8} {'seconds':>8}")
    previous = None
    for n in (1000, 2000, 4000, 8000):
        text = names_text(n, rng)
        start = time.perf_counter()
        analyse_entities(text)
        took = time.perf_counter() - start
        growth = f"  x{took / previous:.2f}" if previous else ""
        print(f"{n:>6} {len(text):>8} {took:>8.2f}{growth}")
        previous = took
    with open(args.fnc1 / "train_bodies.csv", encoding="utf-8", newline="") as f:
        bodies = [row["articleBody"] for row in csv.DictReader(f)]
    page = "\n\n".join(bodies)[:200_000]
    engine = StanceEngine.load()
    title = "A long report"
    start = time.perf_counter()
    text, _ = cap_text(page, get_settings().max_analysis_chars)
    body = clean_article_text(text, title=title)
    steps = {}
    for name, step in (
        ("entities", lambda: article_entities(title, body)),
        ("sources", lambda: find_sources(body, title=title, outlet=None)),
        ("stance", lambda: engine.judge("A zoo released a lion into the city", title, body)),
    ):
        t = time.perf_counter()
        step()
        steps[name] = time.perf_counter() - t
    total = time.perf_counter() - start
    detail = ", ".join(f"{k} {v:.2f}" for k, v in steps.items())
    print(f"200 KB page (analysis reads {len(text):,} chars): {total:.2f} s ({detail})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
