"""Streams of real reports with known answers, for fitting and judging story matching.

Two kinds, each with a `fit` side (the matcher learns from it) and an `eval` side (the
development benchmark judges on it), split by claim so no claim is on both sides:

- **claim streams** from FNC-1 training data: operator claims are headlines of the stance
  model's claim-disjoint hold-out groups (claims and stories the stance model never saw);
  the items are bodies without titles, those related to a chosen claim and many unrelated
  (or bodies with a headline of their story, and streams of a desk watching two claims);
- **headline streams** from Emergent's development rumours: operator claims are the
  rumours as journalists worded them; the items are headline-only feed items (headline,
  outlet, URL, time seen), in the order they appeared; a quarter of the rumours are left
  undefined so that their headlines test precision.

Each stream is a JSON Lines file for `claimwatch replay`, a claims file for `--claims`, and
the gold answers (claim and stance per item id).
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from analysis.matching import key_entities
from analysis.stance.engine import shipped_split
from analysis.stance.fnc import RELATED, headline_groups, read_fnc1_dir
from analysis.text import tokens

FNC_TO_STANCE = {"agree": "supports", "disagree": "refutes", "discuss": "discusses"}
_CAPITALISED_RE = re.compile(r"\b[A-Z][\w'-]*")


@dataclass
class Stream:
    """A replayable stream with its gold answers."""

    name: str
    items: list[dict[str, Any]]
    claims: list[dict[str, str]]
    gold_claim: dict[str, str | None] = field(default_factory=dict)
    gold_stance: dict[str, str] = field(default_factory=dict)
    # The event each item reports, defined as a claim or not (unrelated bodies: their own).
    gold_story: dict[str, str] = field(default_factory=dict)
    # FNC-1's label of each item's body under every headline it was paired with (keys by
    # `headline_key`): an alert in a story the stream leaves undefined, opened under such a
    # headline, can be judged by them.
    stance_toward: dict[str, dict[str, str]] = field(default_factory=dict)

    def write(self, folder: Path) -> tuple[Path, Path]:
        folder.mkdir(parents=True, exist_ok=True)
        items, claims = folder / f"{self.name}.jsonl", folder / f"{self.name}.claims.json"
        items.write_text("".join(json.dumps(i) + "\n" for i in self.items), encoding="utf-8")
        claims.write_text(json.dumps(self.claims), encoding="utf-8")
        return items, claims


def headline_key(text: str) -> str:
    """A headline's words (the shared `tokens`): how a story's claim is looked up among them."""
    return " ".join(tokens(text))


def side_of(key: str) -> str:
    """'fit' or 'eval', fixed by a claim's (or story's) key."""
    return "fit" if int(hashlib.sha256(key.encode()).hexdigest(), 16) % 5 < 3 else "eval"


def fnc_claim_stream(
    fnc1_dir: Path, *, side: str = "eval", claims: int = 40, unrelated: int = 160,
    per_claim: int = 12, seed: int = 3, titled: float = 0.0, defined: float = 1.0,
    near_misses: float = 0.0, title_labels: tuple[str, ...] = ("agree", "discuss"),
) -> Stream:
    """Operator claims from held-out FNC-1 stories, bodies in random order.

    Bodies come without titles, except a `titled` share that gets a headline of its own
    story whose FNC-1 label with the body is one of `title_labels` (FNC-1 does not say
    which headline was the body's own: one it agrees with is nearest, one it only discusses
    may assert more than the body does); only a `defined` share of the chosen stories is
    given as operator claims.
    Up to a `near_misses` share of the unrelated bodies are near misses: of other stories,
    but naming someone a chosen claim is about (another story about Putin), the reports a
    matcher most easily lets in.
    """
    pairs = read_fnc1_dir(fnc1_dir)
    _, holdout = shipped_split(pairs)
    groups = headline_groups(pairs)
    holdout = [i for i in holdout if side_of(f"fnc-group-{groups[pairs[i].headline]}") == side]
    rng = random.Random(seed)
    related: dict[str, dict[str, str]] = defaultdict(dict)  # headline -> body id -> label
    bodies: dict[str, str] = {}
    story_of_body: dict[str, int] = {}
    for i in holdout:
        p = pairs[i]
        bodies[p.body_id] = p.body
        if p.stance in RELATED:
            related[p.headline][p.body_id] = p.stance
            story_of_body[p.body_id] = groups[p.headline]
    # One headline per story, so each body has one right claim.
    chosen: dict[int, str] = {}
    for headline in sorted(related, key=lambda h: rng.random()):
        if len(related[headline]) >= 3 and groups[headline] not in chosen:
            chosen[groups[headline]] = headline
        if len(chosen) == claims:
            break
    stream = Stream(f"fnc-claims-{side}", [], [])
    titles: dict[str, list[str]] = defaultdict(list)
    for headline, labels in related.items():
        for body_id, label in labels.items():
            if label in title_labels:
                titles[body_id].append(headline)
    # Most unrelated bodies' stories lie outside this side's held-out pairs: their stories
    # and headlines come from the rest of FNC-1, so that two unrelated reports of one event
    # count as one story and titled streams hold unrelated titled articles.
    other_titles: dict[str, list[str]] = defaultdict(list)
    other_story: dict[str, int] = {}
    labels_of: dict[str, dict[str, str]] = defaultdict(dict)  # body id -> headline key -> stance
    for p in pairs:
        if p.stance not in RELATED or p.body_id not in bodies:
            continue
        labels_of[p.body_id][headline_key(p.headline)] = FNC_TO_STANCE[p.stance]
        if p.headline not in related:
            other_story.setdefault(p.body_id, groups[p.headline])
            if p.stance in title_labels:
                other_titles[p.body_id].append(p.headline)
    for n, headline in enumerate(chosen.values()):
        cid = f"fnc-{side}-{n:03d}"
        is_defined = rng.random() < defined
        if is_defined:
            stream.claims.append({"id": cid, "text": headline})
        picked = sorted(related[headline], key=lambda b: rng.random())[:per_claim]
        for body_id in picked:
            item_id = f"{cid}-b{body_id}"
            item = {"id": item_id, "text": bodies[body_id]}
            if titles[body_id] and rng.random() < titled:
                item["title"] = rng.choice(sorted(titles[body_id]))
            stream.items.append(item)
            stream.gold_claim[item_id] = cid if is_defined else None
            stream.gold_story[item_id] = cid
            stream.gold_stance[item_id] = FNC_TO_STANCE[related[headline][body_id]]
            stream.stance_toward[item_id] = labels_of[body_id]
    # Bodies of the other held-out stories: about none of the chosen claims.
    others = sorted(
        (b for b in bodies if story_of_body.get(b) not in chosen), key=lambda b: rng.random()
    )
    if near_misses:
        names = {key.split()[-1] for h in chosen.values() for key in key_entities(h)}
        near = [b for b in others if names & _capitalised(bodies[b])]
        near = near[: int(near_misses * unrelated)]
        picked = set(near)
        others = near + [b for b in others if b not in picked]
    for body_id in others[:unrelated]:
        item_id = f"unrelated-b{body_id}"
        item = {"id": item_id, "text": bodies[body_id]}
        pool = titles[body_id] or (other_titles[body_id] if titled else [])
        if pool and rng.random() < titled:
            item["title"] = rng.choice(sorted(pool))
        stream.items.append(item)
        stream.gold_claim[item_id] = None
        story = story_of_body.get(body_id, other_story.get(body_id))
        stream.gold_story[item_id] = f"story-{story}" if story is not None else item_id
        stream.stance_toward[item_id] = labels_of[body_id]
    rng.shuffle(stream.items)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    for k, item in enumerate(stream.items):
        item["published_at"] = (start + timedelta(minutes=37 * k)).isoformat()
    return stream


def few_claims_stream(fnc1_dir: Path, *, side: str = "eval", seed: int = 20) -> Stream:
    """A desk watching two claims: titled reports of their stories among 60 unrelated
    titled articles, each naming someone the claims are about. With so few claims open,
    every such article finds a claim to rank first."""
    stream = fnc_claim_stream(fnc1_dir, side=side, claims=2, unrelated=60, seed=seed,
                              titled=1.0, near_misses=1.0)
    stream.name = f"fnc-few-claims-{side}-{seed}"
    return stream


def _capitalised(text: str) -> set[str]:
    """Lowercase forms of the words `text` writes with a capital."""
    return {w.lower() for w in _CAPITALISED_RE.findall(text)}


def emergent_headline_stream(emergent_file: Path, *, side: str = "eval", seed: int = 5) -> Stream:
    """Headline-only feed items of Emergent rumours; a quarter of the rumours undefined."""
    rows = [json.loads(line) for line in emergent_file.read_text(encoding="utf-8").splitlines()]
    rows = [r for r in rows if side_of(r["claim_id"]) == side]
    rng = random.Random(seed)
    rumours = sorted({r["claim_id"]: r["claim"] for r in rows}.items())
    defined = {cid for cid, _ in rumours if rng.random() < 0.75}
    stream = Stream(f"emergent-{side}", [], [])
    stream.claims = [{"id": cid, "text": text} for cid, text in rumours if cid in defined]
    for r in sorted(rows, key=lambda r: (r["seen_at"], r["article_id"])):
        stream.items.append(
            {
                "id": r["article_id"],
                "url": r["url"],
                "title": r["headline"],
                "outlet": r["outlet"],
                "published_at": r["seen_at"],
            }
        )
        stream.gold_claim[r["article_id"]] = r["claim_id"] if r["claim_id"] in defined else None
        stream.gold_stance[r["article_id"]] = r["stance"]
        stream.gold_story[r["article_id"]] = r["claim_id"]
    return stream
