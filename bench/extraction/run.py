"""The project's extraction against plain ``trafilatura.extract()`` on the same real pages.

Both run in one fresh process, alternately page by page (A B A B), so their ratio is
measured side by side. The first pass is reported apart: it carries each one's one-time
costs (lazy imports, pattern compiles), which a replay or a fresh worker pays too.
``--date-known`` calls ``extract_article`` as the pipeline does for a feed item that
carries its own published date.

Usage: .venv/bin/python bench/extraction/run.py [--html DIR] [--rounds N] [--date-known]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import trafilatura

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from ingest.extract import extract_article  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--html", type=Path, default=ROOT.parent / "shared" / "html")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--date-known", action="store_true")
    args = ap.parse_args(argv)
    truth = args.html / "truth.jsonl"
    urls = {
        p["id"]: p["url"]
        for p in map(json.loads, truth.read_text(encoding="utf-8").splitlines())
        if p
    } if truth.exists() else {}
    pages = [(p.read_bytes(), urls.get(p.stem)) for p in sorted(args.html.glob("*.html"))]
    options = {"date_known": True} if args.date_known else {}
    times = [[0.0, 0.0] for _ in range(1 + args.rounds)]
    for spent in times:
        for html, url in pages:
            start = time.perf_counter()
            trafilatura.extract(html, url=url)
            middle = time.perf_counter()
            extract_article(html, url, **options)
            spent[0] += middle - start
            spent[1] += time.perf_counter() - middle
    first, later = times[0], [sum(t[i] for t in times[1:]) for i in (0, 1)]
    print(f"{len(pages)} pages, first pass then {args.rounds} more")
    for label, (plain, project), n in (("first pass", first, 1), ("later", later, args.rounds)):
        print(
            f"{label:>10}: trafilatura.extract {n * len(pages) / plain:5.1f} pages/s, "
            f"extract_article {n * len(pages) / project:5.1f} pages/s, "
            f"ratio {project / plain:.2f}x"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
