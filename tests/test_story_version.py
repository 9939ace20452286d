"""A story's version moves with every write to what its page shows, and only then.

The web app keeps a story's rendered page until the version moves (web.caching), so a
write that did not move it would leave readers a stale page. The version is bumped by
database triggers; each write below goes through the storage code the pipeline uses, on
SQLite and on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from analysis.judgments import CitedSource
from storage.articles import join_copies, replace_sources
from storage.claims import watch_claim
from storage.db import get_engine, init_db, session_scope
from storage.models import Alert, Article, Outlet, StanceRecord, Story, utcnow


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'claimwatch.sqlite'}"
    else:
        url = request.getfixturevalue("postgres_url").replace(
            "postgresql://", "postgresql+psycopg://"
        )
    engine = get_engine(url)
    init_db(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def story(engine: Engine) -> int:
    """An operator's claim's story with one report, its stance, a cited source and an
    outlet; the id of the story."""
    with session_scope(engine) as session:
        claim, _ = watch_claim(session, "bridge", "Portvale approved the harbour bridge")
        outlet = Outlet(name="Harbour Gazette")
        session.add(outlet)
        session.flush()
        story = Story(claim_id=claim.id, title="Council approves the bridge")  # type: ignore[arg-type]
        session.add(story)
        session.flush()
        article = Article(origin="replay", external_id="a", title="Council approves the bridge",
                          outlet_id=outlet.id, story_id=story.id, status="decided")
        session.add(article)
        session.flush()
        session.add(StanceRecord(article_id=article.id, claim_id=claim.id, stance="supports",  # type: ignore[arg-type]
                                 score=0.9, related=0.9))
        replace_sources(session, article.id, [CitedSource("Anna Lind", "person", "Lind said.")])  # type: ignore[arg-type]
        return story.id  # type: ignore[return-value]


def version(engine: Engine, story_id: int) -> int:
    with Session(engine) as session:
        found = session.get(Story, story_id)
        assert found is not None
        return found.version


def article(session: Session, external_id: str = "a") -> Article:
    from sqlmodel import select

    return session.exec(select(Article).where(Article.external_id == external_id)).one()


def add_report(session: Session, story_id: int) -> None:
    session.add(Article(origin="replay", external_id="b", title="Bridge vote", story_id=story_id,
                        status="analysed"))


def add_copy_then_join(session: Session, story_id: int) -> None:
    original = article(session)
    session.add(Article(origin="replay", external_id="copy", status="duplicate",
                        duplicate_of_id=original.id))
    session.flush()
    join_copies(session, original.id, story_id)  # type: ignore[arg-type]


def revise_stance(session: Session, story_id: int) -> None:
    from sqlmodel import select

    record = session.exec(select(StanceRecord)).one()
    record.stance, record.evidence = "refutes", ["The council did not approve it."]


def raise_alert(session: Session, story_id: int) -> None:
    found = article(session)
    session.add(Alert(key=f"contradiction:{story_id}:{found.id}", kind="contradiction",
                      story_id=story_id, article_id=found.id, summary="Contradicts."))  # type: ignore[arg-type]


def rename_outlet(session: Session, story_id: int) -> None:
    from sqlmodel import select

    session.exec(select(Outlet)).one().name = "The Harbour Gazette"


def touch_story(session: Session, story_id: int) -> None:
    found = session.get(Story, story_id)
    assert found is not None
    found.last_activity_at = utcnow()


SHOWN: dict[str, Callable[[Session, int], object]] = {
    "a new report": add_report,
    "a copy joining": add_copy_then_join,
    "a stance revised": revise_stance,
    "sources replaced": lambda s, _: replace_sources(
        s, article(s).id, [CitedSource("Colin Kahl", "person", "Kahl said.")]  # type: ignore[arg-type]
    ),
    "sources dropped": lambda s, _: replace_sources(s, article(s).id, []),  # type: ignore[arg-type]
    "an alert raised": raise_alert,
    "the claim edited": lambda s, _: watch_claim(s, "bridge", "Portvale rejected the bridge"),
    "a report retitled": lambda s, _: setattr(article(s), "title", "Council delays the bridge"),
    "an outlet renamed": rename_outlet,
    "the story's activity": touch_story,
}


@pytest.mark.parametrize("write", SHOWN)
def test_every_write_to_what_the_page_shows_moves_the_version(
    engine: Engine, story: int, write: str
) -> None:
    before = version(engine, story)
    with session_scope(engine) as session:
        SHOWN[write](session, story)
    assert version(engine, story) > before


def test_a_rolled_back_write_leaves_the_version(engine: Engine, story: int) -> None:
    before = version(engine, story)
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        raise_alert(session, story)
        session.flush()
        raise RuntimeError("the decision failed")
    assert version(engine, story) == before


def test_the_pipeline_bookkeeping_leaves_the_version(engine: Engine, story: int) -> None:
    """Steps, leases and refetch times change often and show nowhere: a kept page stays."""
    before = version(engine, story)
    with session_scope(engine) as session:
        found = article(session)
        found.status = "decided"
        found.step_at = utcnow() - timedelta(minutes=5)
        found.last_refetched_at = utcnow()
        found.problems = ["charset"]
        session.add(Article(origin="replay", external_id="elsewhere", title="Not in a story"))
    assert version(engine, story) == before
