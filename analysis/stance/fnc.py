"""FNC-1 data, the claim-disjoint split and the FNC-1 metrics.

The split groups headlines that share a related body (connected components of the
headline-body graph over related pairs), so no claim, and no story a claim belongs to, is on
both sides: a by-body split reads about ten points too high on FNC-1.
"""

from __future__ import annotations

import csv
import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

LABELS: tuple[str, ...] = ("agree", "disagree", "discuss", "unrelated")
RELATED: tuple[str, ...] = ("agree", "disagree", "discuss")


@dataclass(frozen=True)
class Pair:
    """One FNC-1 row: headline (the claim), body id, body text, gold label (may be '')."""

    headline: str
    body_id: str
    body: str
    stance: str


def read_fnc1(bodies_csv: Path, stances_csv: Path) -> list[Pair]:
    """Rows of an FNC-1 stances file joined with their bodies, in file order."""
    with open(bodies_csv, encoding="utf-8", newline="") as f:
        bodies = {r["Body ID"]: r["articleBody"] for r in csv.DictReader(f)}
    with open(stances_csv, encoding="utf-8", newline="") as f:
        return [
            Pair(r["Headline"], r["Body ID"], bodies[r["Body ID"]], r.get("Stance", "") or "")
            for r in csv.DictReader(f)
        ]


def read_fnc1_dir(fnc1_dir: Path) -> list[Pair]:
    return read_fnc1(fnc1_dir / "train_bodies.csv", fnc1_dir / "train_stances.csv")


def headline_groups(pairs: Sequence[Pair]) -> dict[str, int]:
    """Group id per headline: headlines linked through a related body share a group."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for p in pairs:
        h, b = "h:" + p.headline, "b:" + p.body_id
        find(h)
        find(b)
        if p.stance in RELATED:
            ra, rb = find(h), find(b)
            if ra != rb:
                parent[ra] = rb
    roots = sorted({find("h:" + p.headline) for p in pairs})
    rid = {r: i for i, r in enumerate(roots)}
    return {p.headline: rid[find("h:" + p.headline)] for p in pairs}


def claim_disjoint_split(
    pairs: Sequence[Pair], holdout_frac: float = 0.2, seed: int = 13
) -> tuple[list[int], list[int]]:
    """Row indices (train, holdout), split by headline group with a fixed seed.

    Holdout: every row whose headline is in a held-out group.  Train: rows whose headline is
    in a training group and whose body is not a related body of a held-out group, so neither
    the held-out claims nor their story's articles are seen in training.
    """
    groups = headline_groups(pairs)
    sizes: dict[int, int] = {}
    for p in pairs:
        g = groups[p.headline]
        sizes[g] = sizes.get(g, 0) + 1
    order = sorted(sizes)
    random.Random(seed).shuffle(order)
    target = holdout_frac * len(pairs)
    held: set[int] = set()
    acc = 0
    for g in order:
        if acc >= target:
            break
        held.add(g)
        acc += sizes[g]
    held_bodies = {p.body_id for p in pairs if groups[p.headline] in held and p.stance in RELATED}
    train, hold = [], []
    for i, p in enumerate(pairs):
        if groups[p.headline] in held:
            hold.append(i)
        elif p.body_id not in held_bodies:
            train.append(i)
    return train, hold


def split_fingerprint(pairs: Sequence[Pair], idx: Sequence[int]) -> str:
    """Short hash of the held-out headlines, so a model can check it is evaluated fairly."""
    h = hashlib.sha256()
    for hl in sorted({pairs[i].headline for i in idx}):
        h.update(hl.encode("utf-8") + b"\n")
    return h.hexdigest()[:16]


def fnc_score(gold: Sequence[str], pred: Sequence[str]) -> float:
    """FNC-1 score as a percentage of the best possible score."""
    score = best = 0.0
    for g, p in zip(gold, pred, strict=True):
        g_rel, p_rel = g != "unrelated", p != "unrelated"
        best += 1.0 if g_rel else 0.25
        if g_rel == p_rel:
            score += 0.25
            if g_rel and g == p:
                score += 0.75
    return 100.0 * score / best if best else 0.0


def classification_report(
    gold: Sequence[str], pred: Sequence[str], labels: Sequence[str]
) -> dict[str, object]:
    """Accuracy, macro-F1, per-class precision/recall/F1 and the confusion matrix."""
    conf = {g: dict.fromkeys(labels, 0) for g in labels}
    for g, p in zip(gold, pred, strict=True):
        conf[g][p] += 1
    per: dict[str, dict[str, float]] = {}
    for c in labels:
        tp = conf[c][c]
        fp = sum(conf[g][c] for g in labels if g != c)
        fn = sum(conf[c][p] for p in labels if p != c)
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        per[c] = {"precision": round(prec, 4), "recall": round(rec, 4), "f1": round(f1, 4)}
    right = sum(conf[c][c] for c in labels)
    return {
        "accuracy": round(right / len(gold), 4) if gold else 0.0,
        "f1_macro": round(sum(per[c]["f1"] for c in labels) / len(labels), 4),
        "per_class": per,
        "confusion": conf,
        "n": len(gold),
    }


def report(gold: Sequence[str], pred: Sequence[str]) -> dict[str, object]:
    """FNC score, macro-F1, per-class precision/recall/F1 and the confusion matrix."""
    fnc = round(fnc_score(gold, pred), 3)
    return {"fnc_score": fnc, **classification_report(gold, pred, LABELS)}


def format_report(rep: dict[str, object]) -> str:
    """Human-readable table of a `report` result."""
    per = rep["per_class"]
    conf = rep["confusion"]
    assert isinstance(per, dict) and isinstance(conf, dict)
    labels = list(per)
    headline = (
        f"FNC score: {rep['fnc_score']:.2f}%   " if "fnc_score" in rep
        else f"accuracy: {rep['accuracy']:.4f}   "
    )
    lines = [
        f"pairs: {rep['n']}",
        f"{headline}macro-F1: {rep['f1_macro']:.4f}",
        "",
        f"{'class':<10} {'precision':>9} {'recall':>7} {'F1':>7}",
    ]
    for c in labels:
        m = per[c]
        lines.append(f"{c:<10} {m['precision']:>9.3f} {m['recall']:>7.3f} {m['f1']:>7.3f}")
    lines += ["", "confusion (rows gold, columns predicted):"]
    lines.append(" " * 10 + "".join(f"{c:>10}" for c in labels))
    for g in labels:
        lines.append(f"{g:<10}" + "".join(f"{conf[g][p]:>10}" for p in labels))
    return "\n".join(lines)
