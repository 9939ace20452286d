"""Revisions: a recent article changes its text after publication; claimwatch notices."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from loopback import (
    Claimwatch,
    LoopbackServer,
    configured,
    page,
    rss,
    static,
)

TITLE = "Council approves the harbour bridge"
REVISED = [
    "Correction: the city council of Portvale did not approve the harbour bridge on Tuesday. "
    "An earlier version of this article wrongly reported that the council had approved it.",
    "Mayor Anna Lind denied that any vote took place and said reports of an approval were "
    "false; the decision on the bridge has been postponed until next year.",
    "Opponents of the bridge welcomed the delay and said the project should be abandoned.",
]


@pytest.fixture
def claimwatch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Claimwatch]:
    monkeypatch.setenv("CLAIMWATCH_REVISION_CHECK_INTERVAL_SECONDS", "0")
    with configured(tmp_path, monkeypatch) as cw:
        yield cw


def test_a_changed_text_becomes_a_revision_and_a_changed_stance_an_alert(
    server: LoopbackServer, claimwatch: Claimwatch
) -> None:
    from storage.models import Alert, Article, ArticleRevision, StanceRecord, utcnow
    from tasks.revisions import schedule_revision_checks

    server.routes["/feed.xml"] = static(rss([{"guid": "1", "link": server.url("/a"),
                                              "title": TITLE}]))
    server.routes["/a"] = static(page(TITLE, "Harbour Gazette").encode(), "text/html")
    server.routes["/old"] = static(page("Old news", "Harbour Gazette").encode(), "text/html")
    claimwatch.add(server.url("/feed.xml"))
    claimwatch.poll()
    [article] = claimwatch.rows(Article)
    assert article.status == "decided" and article.etag
    [before] = claimwatch.rows(StanceRecord)

    # Unchanged: a conditional GET answered 304, no revision.
    assert schedule_revision_checks() == 1
    assert server.requests("/a")[-1][0].get("If-None-Match") == article.etag
    assert server.requests("/a")[-1][1] == 304
    assert claimwatch.rows(ArticleRevision) == []

    server.routes["/a"] = static(page(TITLE, "Harbour Gazette", REVISED).encode(), "text/html")
    assert schedule_revision_checks() == 1
    revisions = sorted(claimwatch.rows(ArticleRevision), key=lambda r: r.number)
    assert [r.number for r in revisions] == [0, 1]
    assert revisions[0].text == article.text and "did not approve" in revisions[1].text
    [revised] = claimwatch.rows(Article)
    assert revised.revision_count == 1 and revised.text == revisions[1].text
    [after] = claimwatch.rows(StanceRecord)
    assert after.id == before.id and after.evidence != before.evidence  # judged again
    assert len(claimwatch.rows(Alert, kind="revision")) == (after.stance != before.stance)

    # Articles past the revision window are not fetched again.
    requests = len(server.requests("/a"))
    from storage.db import session_scope
    from tasks.context import engine

    with session_scope(engine()) as session:
        stored = session.get(Article, revised.id)
        assert stored is not None
        stored.published_at = utcnow() - timedelta(hours=49)
    assert schedule_revision_checks() == 0
    assert len(server.requests("/a")) == requests


class CorrectionAwareJudge:
    """The shipped stance engine, except that a correction refutes: a scripted stance
    change, so the alert itself is tested whatever the model makes of negations."""

    def __init__(self) -> None:
        from analysis.stance import StanceEngine

        self.engine = StanceEngine.load()

    def judge(self, claim: str, title: str, body: str) -> object:
        import dataclasses

        from analysis.judgments import Stance

        judgment = self.engine.judge(claim, title, body)
        if "did not approve" in body:
            sentence = next(s for s in REVISED[0].split(". ") if "did not approve" in s)
            return dataclasses.replace(judgment, stance=Stance.REFUTES, evidence=[sentence])
        return judgment


def test_a_changed_stance_raises_one_revision_alert_with_old_and_new_evidence(
    server: LoopbackServer, claimwatch: Claimwatch, monkeypatch: pytest.MonkeyPatch
) -> None:
    from notify.subscribing import new_subscriber
    from storage.db import session_scope
    from storage.models import Alert, Article, ArticleSource, StanceRecord
    from storage.subscriptions import Delivery
    from tasks import revisions
    from tasks.context import engine

    judge = CorrectionAwareJudge()
    monkeypatch.setattr(revisions, "stance_engine", lambda: judge)
    server.routes["/feed.xml"] = static(rss([{"guid": "1", "link": server.url("/a"),
                                              "title": TITLE}]))
    server.routes["/a"] = static(page(TITLE, "Harbour Gazette").encode(), "text/html")
    claimwatch.add(server.url("/feed.xml"))
    claimwatch.poll()
    [before] = claimwatch.rows(StanceRecord)
    assert before.stance == "supports"
    with session_scope(engine()) as session:  # an editor who wants revisions, in a digest
        session.add(new_subscriber("https://desk.example/hook", kinds=["revision"],
                                   digest_minutes=60))
    server.routes["/a"] = static(page(TITLE, "Harbour Gazette", REVISED).encode(), "text/html")
    assert revisions.schedule_revision_checks() == 1
    [after] = claimwatch.rows(StanceRecord)
    assert after.stance == "refutes"
    [article] = claimwatch.rows(Article)
    [alert] = claimwatch.rows(Alert, kind="revision")
    assert alert.key == f"revision:{article.story_id}:{article.id}:1"
    assert alert.article_id == article.id and alert.stance == "refutes"
    assert "from supports to refutes" in alert.summary
    evidence = {e["revision"]: e["text"] for e in alert.evidence}
    assert evidence[0] == before.evidence[0] and "did not approve" in evidence[1]
    [delivery] = claimwatch.rows(Delivery)  # written with the alert, waiting for the digest
    assert delivery.alert_id == alert.id and delivery.status == "held"
    # The sources are those the new text cites.
    cited = [link.sentence for link in claimwatch.rows(ArticleSource)]
    assert cited and all(any(s in p for p in REVISED) for s in cited), cited
    # Checked again, unchanged: nothing new.
    assert revisions.schedule_revision_checks() == 1
    assert len(claimwatch.rows(Alert, kind="revision")) == 1
