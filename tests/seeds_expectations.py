"""The seeds story of DESIGN.md, asserted on a report (beside the shared checker)."""

from __future__ import annotations

from typing import Any

SEED_IDS = ["002", "001", "000", "003", "004"]
STANCES = {
    "002": "supports",
    "001": "supports",
    "000": "refutes",
    "003": "discusses",
    "004": "supports",
}


def assert_seeds_story(report: dict[str, Any], claim_id: str | None = None) -> int:
    """Assert the five expectations; return the seeds' story id."""
    articles = {a["id"]: a for a in report["articles"]}
    story_ids = {articles[i]["story_id"] for i in SEED_IDS}
    assert len(story_ids) == 1 and None not in story_ids, story_ids
    story_id = story_ids.pop()
    assert {i: articles[i]["stance"] for i in SEED_IDS} == STANCES
    if claim_id is not None:
        assert {articles[i]["claim_id"] for i in SEED_IDS} == {claim_id}
    story = next(s for s in report["stories"] if s["id"] == story_id)
    assert sorted(story["article_ids"]) == sorted(SEED_IDS)
    sources = " | ".join(story["sources"]).lower()
    for name in (
        "vice",
        "bremmer",
        "eurasia",
        "business insider",
        "financial times",
        "new yorker",
        "kahl",
        "musk",
    ):
        assert name in sources, (name, story["sources"])
    for junk in ("mashovets", "khalino", "shahed", "feminine", "iran"):
        assert junk not in sources
    alerts = [a for a in report["alerts"] if a["story_id"] == story_id]
    contradictions = {a["article_id"]: a for a in alerts if a["kind"] == "contradiction"}
    assert "000" in contradictions
    assert set(contradictions["000"]["contradicts"]) & {"001", "002"}
    assert "003" not in contradictions
    assert "004" in contradictions and "000" in contradictions["004"]["contradicts"]
    assert len(contradictions) <= 3
    for alert in contradictions.values():
        quoted = {e["article_id"] for e in alert["evidence"] if e["text"].strip()}
        assert alert["article_id"] in quoted and quoted - {alert["article_id"]}
    new_sources = [a for a in alerts if a["kind"] == "new_source" and a["article_id"] == "004"]
    assert new_sources and any("New Yorker" in s for s in new_sources[0]["new_sources"])
    return story_id
