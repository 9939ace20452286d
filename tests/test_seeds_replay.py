"""The seeds story through `claimwatch replay`, as an operator runs it."""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import FNC1, OPERATOR_CLAIM, SEEDS, check_report, load_report, needs_shared, run_cli
from seeds_expectations import SEED_IDS, assert_seeds_story

pytestmark = pytest.mark.integration  # claimwatch runs as a process, on SQLite and PostgreSQL


def test_replay_forms_the_story_with_no_claim_defined(tmp_path: Path, sqlite_env) -> None:
    report = tmp_path / "report.json"
    out = run_cli(["replay", str(SEEDS), "--report", str(report)], sqlite_env, tmp_path)
    assert "contradiction" in out
    check_report(report)
    assert_seeds_story(load_report(report))
    # Each report keeps how sure the matcher was that it is of the story, which the
    # contradiction rule reads; the report that opened the story has none.
    import sqlite3

    with sqlite3.connect(tmp_path / "claimwatch.sqlite") as db:
        kept = [p for (p,) in db.execute(
            "SELECT s.match_probability FROM stance s JOIN article a ON a.id = s.article_id "
            "WHERE a.external_id IN ({}) ORDER BY a.id".format(",".join("?" * len(SEED_IDS))),
            list(SEED_IDS))]
    assert len(kept) == len(SEED_IDS) and kept.count(None) == 1
    assert all(0.0 < p <= 1.0 for p in kept if p is not None)


def test_replay_with_operator_claim_on_postgres(tmp_path: Path, postgres_url: str) -> None:
    claims = tmp_path / "claims.json"
    claims.write_text(json.dumps([OPERATOR_CLAIM]))
    report = tmp_path / "report.json"
    env = {"CLAIMWATCH_DATABASE_URL": postgres_url}
    run_cli(["replay", str(SEEDS), "--claims", str(claims), "--report", str(report)], env, tmp_path)
    check_report(report, claim_id=OPERATOR_CLAIM["id"])
    assert_seeds_story(load_report(report), claim_id=OPERATOR_CLAIM["id"])


def seed_items(headline: Callable[[str], str] | None = str) -> list[dict[str, str]]:
    """The seed articles as replay items, their headlines rewritten by `headline` (none
    with None)."""
    manifest = json.loads((SEEDS / "manifest.json").read_text())
    return [
        {"id": a["id"], "outlet": a["outlet"], "published_at": a["published_at"],
         "text": (SEEDS / a["file"]).read_text(),
         **({"title": headline(a["title"])} if headline else {})}
        for a in manifest["articles"]
    ]


def write_stream(path: Path, items: list[dict[str, str]]) -> Path:
    path.write_text("\n".join(json.dumps(item) for item in items))
    return path


def _every_word_capitalised(headline: str) -> str:
    return " ".join(w[:1].upper() + w[1:] for w in headline.split(" "))


@pytest.mark.parametrize("rewrite", [_every_word_capitalised, str.upper], ids=["title", "upper"])
def test_headlines_in_title_case_or_capitals(tmp_path: Path, sqlite_env, rewrite) -> None:
    """Feeds print headlines in Title Case or capitals: the story, its stances, sources and
    alerts are the same."""
    archive = write_stream(tmp_path / "stream.jsonl", seed_items(rewrite))
    report = tmp_path / "report.json"
    run_cli(["replay", str(archive), "--report", str(report)], sqlite_env, tmp_path)
    check_report(report)
    assert_seeds_story(load_report(report))


def test_replay_twice_adds_nothing(tmp_path: Path, sqlite_env) -> None:
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    run_cli(["replay", str(SEEDS), "--report", str(first)], sqlite_env, tmp_path)
    run_cli(["replay", str(SEEDS), "--report", str(second)], sqlite_env, tmp_path)
    assert load_report(first) == load_report(second)


def unrelated_articles(count: int, seed: int = 7) -> list[dict[str, str]]:
    """Real news bodies on other subjects (FNC-1 training split), titled by a headline
    that the data set labels as agreeing with or discussing the body."""
    with (FNC1 / "train_bodies.csv").open(encoding="utf-8") as f:
        bodies = {row["Body ID"]: row["articleBody"] for row in csv.DictReader(f)}
    headlines: dict[str, str] = {}
    with (FNC1 / "train_stances.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["Stance"] in ("agree", "discuss"):
                headlines.setdefault(row["Body ID"], row["Headline"])
    ids = sorted(headlines, key=int)
    # Include the bodies that name Putin or Russia: the hardest to keep out of this story.
    hard = [i for i in ids if "Putin" in bodies[i]][:8]
    rest = random.Random(seed).sample([i for i in ids if i not in hard], count - len(hard))
    return [
        {
            "id": f"fnc-{i}",
            "title": headlines[i],
            "text": bodies[i],
            "published_at": f"2022-10-{11 + n % 3:02d}T{n % 24:02d}:30:00Z",
        }
        for n, i in enumerate(hard + rest)
    ]


@needs_shared(FNC1, "FNC-1 training data (train_bodies.csv, train_stances.csv)")
@pytest.mark.parametrize("defined", [False, True], ids=["no-claim", "operator-claim"])
def test_unrelated_articles_mixed_in_stay_out(tmp_path: Path, sqlite_env, defined: bool) -> None:
    """Also when the operator's claim is the only one open, so that every article naming
    Putin finds it first."""
    extra = unrelated_articles(30)
    archive = write_stream(tmp_path / "stream.jsonl", seed_items() + extra)
    extra_ids = tmp_path / "extra.txt"
    extra_ids.write_text("\n".join(e["id"] for e in extra))
    report = tmp_path / "report.json"
    args = ["replay", str(archive), "--report", str(report)]
    claim_id = None
    if defined:
        claims = tmp_path / "claims.json"
        claims.write_text(json.dumps([OPERATOR_CLAIM]))
        args += ["--claims", str(claims)]
        claim_id = OPERATOR_CLAIM["id"]
    run_cli(args, sqlite_env, tmp_path)
    check_report(report, claim_id=claim_id, extra_ids=extra_ids)
    data = load_report(report)
    story_id = assert_seeds_story(data, claim_id=claim_id, extra_ids=[e["id"] for e in extra])
    story = next(s for s in data["stories"] if s["id"] == story_id)
    assert set(story["article_ids"]) == set(SEED_IDS)
    assert not [
        a for a in data["alerts"] if a["story_id"] == story_id and a["article_id"] not in SEED_IDS
    ]


def test_texts_without_headlines_form_a_story_around_their_opening(
    tmp_path: Path, sqlite_env
) -> None:
    """Items that carry only a text: the story's claim is the first one's opening lines,
    stored as a `lead`, which no report contradicts."""
    import sqlite3

    items = seed_items(headline=None)
    archive = write_stream(tmp_path / "stream.jsonl", items)
    report = tmp_path / "report.json"
    run_cli(["replay", str(archive), "--report", str(report)], sqlite_env, tmp_path)
    data = load_report(report)
    first = next(a for a in data["articles"] if a["id"] == "002")
    story = next(s for s in data["stories"] if s["id"] == first["story_id"])
    opening = next(i["text"] for i in items if i["id"] == "002")[:400]
    assert story["claim"] in opening
    assert not [a for a in data["alerts"] if a["kind"] == "contradiction"]
    with sqlite3.connect(tmp_path / "claimwatch.sqlite") as db:
        origins = {o for (o,) in db.execute("SELECT origin FROM claim")}
    assert origins == {"lead"}
