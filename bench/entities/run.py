"""How well claim keys (who a claim or headline is about) survive Title Case and capitals.

No corpus here labels entities, so the benchmark reads each development text twice: as
written, in sentence case, where capitals mark names, and rewritten in Title Case (or
capitals) as feeds often print headlines. The keys read from the sentence-case text are the
reference; the table gives the precision and recall of the rewritten text's keys against
them, on three kinds of text:

- Emergent's rumours (the operators' claims of `bench/judgment`), alone, as an operator types
  a claim: nothing else in the text says how its words are written;
- Emergent headlines, alone (those not already in Title Case or capitals);
- FNC-1 headlines with a body they head (agree or discuss), as a story is opened from an
  article: the body, in sentence case, shows which of the headline's words are names.

Only texts whose sentence-case reading finds at least one key count.

Usage: .venv/bin/python bench/entities/run.py [--shared DIR] [--case title|upper]
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from analysis.matching import claim_from_headline, key_entities  # noqa: E402
from bench.cases import CASES  # noqa: E402


def sentence_case(text: str) -> bool:
    """Whether capitals in `text` can mark names: not Title Case, not shouted."""
    words = [w for w in text.split() if w[:1].isalpha()]
    if len(words) < 4:
        return False
    caps = sum(w[:1].isupper() for w in words[1:])
    return caps <= 0.6 * (len(words) - 1) and not text.isupper()


def texts(shared: Path) -> dict[str, list[tuple[str, str]]]:
    """(headline or claim, body or "") per kind of text."""
    rows = [json.loads(line) for line in
            (shared / "emergent" / "emergent_dev.jsonl").read_text(encoding="utf-8").splitlines()]
    claims = sorted({r["claim"] for r in rows})
    headlines = sorted({r["headline"] for r in rows})
    with (shared / "fnc1" / "train_bodies.csv").open(encoding="utf-8") as f:
        bodies = {row["Body ID"]: row["articleBody"] for row in csv.DictReader(f)}
    fnc: dict[str, str] = {}
    with (shared / "fnc1" / "train_stances.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["Stance"] in ("agree", "discuss"):
                fnc.setdefault(row["Headline"], bodies[row["Body ID"]])
    return {
        "emergent claims": [(c, "") for c in claims if sentence_case(c)],
        "emergent headlines": [(h, "") for h in headlines if sentence_case(h)],
        "fnc-1 headline + body": [(h, b) for h, b in sorted(fnc.items()) if sentence_case(h)],
    }


def keys(headline: str, body: str) -> frozenset[str]:
    """The keys the pipeline keeps for a claim (`watch_claim`) or a story it opens from an
    article (`read_article`)."""
    claim = claim_from_headline(headline)
    return key_entities(f"{claim}\n{body}" if body else claim)


def compare(pairs: Iterable[tuple[str, str]], rewrite: Callable[[str], str]) -> dict[str, float]:
    tp = fp = fn = n = 0
    for headline, body in pairs:
        want = keys(headline, body)
        if not want:
            continue
        got = keys(rewrite(headline), body)
        n += 1
        tp += len(got & want)
        fp += len(got - want)
        fn += len(want - got)
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {"texts": n, "p": p, "r": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--case", default="title", choices=tuple(CASES))
    args = ap.parse_args(argv)
    print(f"{'text':<24} {'texts':>5} {'key P':>6} {'R':>6} {'F1':>6}   ({args.case} against "
          "sentence case)")
    for kind, pairs in texts(args.shared).items():
        m = compare(pairs, CASES[args.case])
        print(f"{kind:<24} {m['texts']:>5} {m['p']:>6.3f} {m['r']:>6.3f} {m['f1']:>6.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
