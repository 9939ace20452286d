"""Score a `claimwatch replay --report` file against a stream's gold answers."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from analysis.matching_data import headline_key

STANCES = ("supports", "refutes", "discusses")
SIDES = {"supports": "refutes", "refutes": "supports"}


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def macro_f1(pairs: list[tuple[str, str]], labels: tuple[str, ...] = STANCES) -> float:
    f1s = []
    for label in labels:
        tp = sum(1 for g, p in pairs if g == label and p == label)
        fp = sum(1 for g, p in pairs if g != label and p == label)
        fn = sum(1 for g, p in pairs if g == label and p != label)
        f1s.append(_prf(tp, fp, fn)[2])
    return sum(f1s) / len(f1s)


@dataclass
class Tally:
    """The counts behind the scores, which add up over several streams."""

    match_tp: int = 0
    match_fp: int = 0
    match_fn: int = 0
    stance_pairs: list[tuple[str, str]] = field(default_factory=list)  # (gold, predicted)
    alerts_right: int = 0
    alerts_wrong: int = 0
    conflicted: int = 0  # defined claims whose reports conflict
    alerted: int = 0  # of those, the ones that got a right alert

    def __add__(self, other: Tally) -> Tally:
        return Tally(
            self.match_tp + other.match_tp, self.match_fp + other.match_fp,
            self.match_fn + other.match_fn, self.stance_pairs + other.stance_pairs,
            self.alerts_right + other.alerts_right, self.alerts_wrong + other.alerts_wrong,
            self.conflicted + other.conflicted, self.alerted + other.alerted,
        )

    def scores(self) -> dict[str, Any]:
        p, r, f1 = _prf(self.match_tp, self.match_fp, self.match_fn)
        raised = self.alerts_right + self.alerts_wrong
        return {
            "match_p": p, "match_r": r, "match_f1": f1,
            "stance_f1": macro_f1(self.stance_pairs),
            "stance_n": len(self.stance_pairs),
            "alert_p": self.alerts_right / raised if raised else 0.0,
            "alert_r": self.alerted / self.conflicted if self.conflicted else 0.0,
            "alerts": raised, "alerts_right": self.alerts_right, "conflicted": self.conflicted,
            "predicted_stances": dict(Counter(s for _, s in self.stance_pairs)),
        }


def tally(report: dict[str, Any], gold_claim: dict[str, str | None],
          gold_stance: dict[str, str], gold_story: dict[str, str] | None = None,
          stance_toward: dict[str, dict[str, str]] | None = None) -> Tally:
    """Matching (an item matched to its operator claim), stance on rightly matched items,
    and contradiction alerts, counted.

    An alert is right when its report and at least one report it contradicts report the
    same event (`gold_story`; the defined claim where there is no story key) and took
    opposite sides of it: so an alert in a story opened from headlines of an undefined
    rumour is judged on what it says, not counted wrong for having no operator claim.
    An alert by a report with no gold stance (of an event the stream leaves undefined) is
    judged by FNC-1's labels of the bodies under the claim of the story it was raised in,
    when that claim is a headline they were paired with (`stance_toward`); without them it
    counts wrong. Recall is over defined claims whose reports conflict: those that got a
    right alert.
    """
    event = {k: (gold_story or {}).get(k) or c for k, c in gold_claim.items()}
    claims = {c for c in gold_claim.values() if c}
    predicted = {a["id"]: a for a in report["articles"]}
    t = Tally()
    for item_id, gold in gold_claim.items():
        got = predicted.get(item_id, {}).get("claim_id")
        got = got if got in claims else None
        if got is not None and got == gold:
            t.match_tp += 1
            t.stance_pairs.append((gold_stance[item_id],
                                   predicted[item_id].get("stance") or ""))
        else:
            t.match_fp += got is not None
            t.match_fn += gold is not None
    conflicted: set[str] = set()
    seen: dict[str, set[str]] = {}
    ordered = sorted(
        (a for a in report["articles"] if gold_claim.get(a["id"])),
        key=lambda a: (a.get("published_at") or "", a["id"]),
    )
    for a in ordered:
        claim, stance = gold_claim[a["id"]], gold_stance.get(a["id"], "")
        if stance in SIDES and SIDES[stance] in seen.get(claim, set()):  # type: ignore[arg-type]
            conflicted.add(claim)  # type: ignore[arg-type]
        seen.setdefault(claim, set()).add(stance)  # type: ignore[arg-type]
    alerted: set[str] = set()
    claim_of_story = {s["id"]: s["claim"] for s in report.get("stories", [])}
    for alert in report["alerts"]:
        if alert["kind"] != "contradiction":
            continue
        story, stance = event.get(alert["article_id"]), gold_stance.get(alert["article_id"])
        ok = bool(story) and stance in SIDES and any(
            event.get(o) == story and gold_stance.get(o) == SIDES[stance]  # type: ignore[index]
            for o in alert["contradicts"]
        )
        if ok and gold_claim.get(alert["article_id"]):
            alerted.add(gold_claim[alert["article_id"]])  # type: ignore[arg-type]
        elif stance is None and stance_toward:
            ok = _opposed_under(claim_of_story.get(alert.get("story_id")), alert, stance_toward)
        t.alerts_right += ok
        t.alerts_wrong += not ok
    t.conflicted, t.alerted = len(conflicted), len(alerted & conflicted)
    return t


def _opposed_under(claim: str | None, alert: dict[str, Any],
                   stance_toward: dict[str, dict[str, str]]) -> bool:
    """Whether FNC-1 labels the alert's report and one it contradicts on opposite sides
    under `claim`, the headline the story was opened with."""
    if not claim:
        return False
    key = headline_key(claim)
    side = stance_toward.get(alert["article_id"], {}).get(key)
    return side in SIDES and any(
        stance_toward.get(other, {}).get(key) == SIDES[side]  # type: ignore[index]
        for other in alert["contradicts"]
    )


def score(report: dict[str, Any], gold_claim: dict[str, str | None],
          gold_stance: dict[str, str],
          gold_story: dict[str, str] | None = None) -> dict[str, Any]:
    """Matching P/R/F1, stance macro-F1 on rightly matched items, and contradiction
    alerts' precision and recall (see `tally`)."""
    return tally(report, gold_claim, gold_stance, gold_story).scores()
