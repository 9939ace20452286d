"""Near-copy lookup cost against the number of articles in the window.

A database holding N original articles found within the near-duplicate window, each eight
FNC-1 sentences drawn at random (so no two are copies); then K new such texts and K near
copies of stored ones (another dateline and footer) are looked up the way dedup looks
them up: ``storage.articles.near_duplicate_candidates`` through the LSH buckets, then
``analysis.neardup.closest_copy``. For comparison, the same lookups by reading every
signature in the window (what dedup did before the buckets). Prints milliseconds per
lookup at N = 1,000 and 10,000, the ratio, and how many copies each way found.

Usage: .venv/bin/python bench/neardup/run.py [--shared DIR] [--lookups K]
"""

from __future__ import annotations

import argparse
import csv
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402
from sqlmodel import col, select  # noqa: E402

from analysis.neardup import bands, closest_copy, signature  # noqa: E402
from storage.articles import near_duplicate_candidates  # noqa: E402
from storage.db import get_engine, init_db, session_scope  # noqa: E402
from storage.models import Article, ArticleBand, utcnow  # noqa: E402
from tasks.articles import NOT_ORIGINALS  # noqa: E402

THRESHOLD = 0.6


def sentences(shared: Path) -> list[str]:
    with open(shared / "fnc1" / "train_bodies.csv", encoding="utf-8", newline="") as f:
        bodies = [r["articleBody"] for r in csv.DictReader(f)]
    return sorted({s.strip() for b in bodies for s in b.split(".") if 60 < len(s.strip()) < 300})


def text(pool: list[str], seed: int) -> str:
    return ". ".join(random.Random(seed).sample(pool, 8)) + "."


def build(folder: Path, pool: list[str], size: int) -> str:
    """A database of `size` originals found an hour ago, with their signatures and buckets."""
    url = f"sqlite:///{folder / f'near{size}.sqlite'}"
    engine = get_engine(url)
    init_db(engine)
    found = utcnow() - timedelta(hours=1)
    with session_scope(engine) as session:
        for n in range(size):
            sig = signature(text(pool, n))
            article = Article(origin="bench", external_id=str(n), status="decided",
                              minhash=sig, discovered_at=found)
            session.add(article)
            session.flush()
            session.exec(insert(ArticleBand).values(  # type: ignore[call-overload]
                [{"bucket": b, "article_id": article.id} for b in set(bands(sig))]))  # type: ignore[arg-type]
    return url


def lookups(url: str, queries: list[list[int]]) -> tuple[float, float, int, int]:
    """Median ms per lookup through the buckets and by reading the window; copies found."""
    since = utcnow() - timedelta(hours=72)
    lsh, scan, found_lsh, found_scan = [], [], 0, 0
    with session_scope(get_engine(url)) as session:
        for sig in queries:
            start = time.perf_counter()
            candidates = near_duplicate_candidates(session, 0, bands(sig), NOT_ORIGINALS, since)
            found_lsh += closest_copy(sig, candidates, THRESHOLD) is not None
            lsh.append(time.perf_counter() - start)
            start = time.perf_counter()
            window = session.exec(select(Article.id, Article.minhash).where(
                col(Article.status).not_in(NOT_ORIGINALS), Article.discovered_at >= since)).all()
            found_scan += closest_copy(sig, window, THRESHOLD) is not None  # type: ignore[arg-type]
            scan.append(time.perf_counter() - start)
    return 1000 * statistics.median(lsh), 1000 * statistics.median(scan), found_lsh, found_scan


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--lookups", type=int, default=50)
    args = ap.parse_args(argv)
    pool = sentences(args.shared)
    folder = Path(tempfile.mkdtemp(prefix="claimwatch-neardup-"))
    fresh = [signature(text(pool, 10**9 + n)) for n in range(args.lookups)]  # none stored
    copies = [signature(f"CITY (Wire) - {text(pool, n)} Read more on our website.")
              for n in range(args.lookups)]
    queries = [s for s in fresh + copies if s]
    rows = {}
    for size in (1_000, 10_000):
        rows[size] = lookups(build(folder, pool, size), queries)
        lsh, scan, found_lsh, found_scan = rows[size]
        print(f"{size:6d} articles in the window: buckets {lsh:7.2f} ms/lookup "
              f"({found_lsh} copies found); reading the window {scan:7.2f} ms/lookup "
              f"({found_scan} found), {len(queries)} lookups")
    print(f"ratio 10,000 / 1,000: buckets {rows[10_000][0] / rows[1_000][0]:.2f}; "
          f"reading the window {rows[10_000][1] / rows[1_000][1]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
