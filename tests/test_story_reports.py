"""What the alert decisions read of a story's reports: which were judged from a text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_cli
from loopback import PARAGRAPHS
from sqlmodel import select

from analysis.claim_index import REPORT_STEMS, ClaimIndex
from analysis.matching import REPORTS_COMPARED
from ingest.archive import load_archive
from storage.articles import reports_to_decide
from storage.claims import claim_profiles, watch_claim
from storage.db import get_engine, init_db, session_scope
from storage.models import Article, StanceRecord, Story


def test_reports_say_whether_they_were_judged_from_a_text(tmp_path: Path) -> None:
    # Contradictions from a text need a likelier conflict than those from a headline alone
    # (analysis.alerts.MIN_CONFLICT_BODY): the decision must know which a report was.
    engine = get_engine(f"sqlite:///{tmp_path / 'claimwatch.sqlite'}")
    init_db(engine)
    with session_scope(engine) as session:
        claim, _ = watch_claim(session, "bridge", "Portvale approved the harbour bridge")
        story = Story(claim_id=claim.id, title="Council approves the bridge")  # type: ignore[arg-type]
        session.add(story)
        session.flush()
        for n, text in enumerate((None, "The council voted for the bridge on Monday.")):
            article = Article(origin="replay", external_id=str(n), title="Bridge approved",
                              text=text, story_id=story.id, status="decided")
            session.add(article)
            session.flush()
            session.add(StanceRecord(article_id=article.id, claim_id=claim.id,  # type: ignore[arg-type]
                                     stance="supports", score=0.9, related=0.9))
        session.flush()
        rows = reports_to_decide(session, story.id, -1, claim.id)  # type: ignore[arg-type]
        assert sorted(r.has_body for r in rows) == [False, True]
    engine.dispose()


def test_a_blank_archive_text_is_read_as_a_headline_alone(tmp_path: Path) -> None:
    archive = tmp_path / "items.jsonl"
    archive.write_text('{"id": "1", "title": "Bridge approved", "text": "  \\n "}\n')
    [item] = load_archive(archive)
    assert item.text is None and item.title == "Bridge approved"


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_a_claims_profile_carries_its_storys_latest_reports(
    tmp_path: Path, request: pytest.FixtureRequest, database: str
) -> None:
    # Matching compares an article with the story's latest reports too
    # (analysis.matching.REPORTS_COMPARED): newest first, never a copy or an article not
    # yet analysed, and the same on both databases (one limited part per story).
    url = (f"sqlite:///{tmp_path / 'claimwatch.sqlite'}" if database == "sqlite"
           else request.getfixturevalue("postgres_url"))
    engine = get_engine(url)
    init_db(engine)
    with session_scope(engine) as session:
        claims = [watch_claim(session, key, text)[0]
                  for key, text in (("bridge", "Portvale approved the harbour bridge"),
                                    ("ferry", "Portvale cancels the ferry"),
                                    ("tunnel", "Portvale digs a tunnel"))]
        stories = [Story(claim_id=c.id, title=c.text) for c in claims[:2]]  # type: ignore[arg-type]
        session.add_all(stories)
        session.flush()
        for n in range(REPORTS_COMPARED + 5):
            session.add(Article(origin="replay", external_id=f"bridge-{n}", story_id=stories[0].id,
                                index_terms={"bridge": 1.0, f"report{n}": 0.5}))
        session.add(Article(origin="replay", external_id="ferry-copy", story_id=stories[1].id))
        session.add(Article(origin="replay", external_id="ferry-0", story_id=stories[1].id,
                            index_terms={"ferry": 1.0}))
        session.flush()
        profiles = claim_profiles(session, [c.id for c in claims])  # type: ignore[misc]
        bridge, ferry, tunnel = (profiles[c.id].reports for c in claims)  # type: ignore[index]
    engine.dispose()
    newest = REPORTS_COMPARED + 4
    assert [sorted(r)[1] for r in bridge] == [f"report{n}" for n in range(newest, 4, -1)]
    assert ferry == ({"ferry": 1.0},)
    assert tunnel == ()


def test_a_story_keeps_the_terms_of_its_reports_with_a_text(tmp_path: Path, sqlite_env) -> None:
    # Later articles with a text are compared with them; a headline alone is not kept, as
    # the matcher learned from stories of texts (analysis.matching.STORY_FEATURES).
    items = tmp_path / "items.jsonl"
    title, text = "Portvale council approves the harbour bridge", "\n".join(PARAGRAPHS)
    items.write_text("".join(json.dumps(i) + "\n" for i in (
        {"id": "text", "title": title, "text": text,
         "published_at": "2024-03-01T10:00:00Z"},
        {"id": "headline", "title": "Portvale council approves the harbour bridge, mayor says",
         "published_at": "2024-03-01T11:00:00Z"},
    )))
    run_cli(["replay", str(items)], sqlite_env, tmp_path)
    engine = get_engine(sqlite_env["CLAIMWATCH_DATABASE_URL"])
    with session_scope(engine) as session:
        kept = {a.external_id: (a.status, a.index_terms)
                for a in session.exec(select(Article)).all()}
    engine.dispose()
    status, terms = kept["text"]
    assert status == "decided" and terms and len(terms) <= REPORT_STEMS
    assert set(terms) <= set(ClaimIndex(lambda stem: 1.0).vector(f"{title}\n{text}"))
    assert kept["headline"] == ("decided", None)
