"""Syndicated copies: one wire story under several outlets' names is one report."""

from __future__ import annotations

from loopback import (
    PARAGRAPHS,
    Claimwatch,
    LoopbackServer,
    page,
    rss,
    static,
)

TITLE = "Council approves the harbour bridge"


def test_copies_are_linked_to_the_original_and_keep_their_outlet(
    server: LoopbackServer, claimwatch: Claimwatch
) -> None:
    from storage.models import Article, Outlet, StanceRecord

    copy = page(
        "Portvale says yes to harbour bridge", "Coastal Courier", PARAGRAPHS,
        extra="<p>PORTVALE (Wire) — Reporting by the wire desk.</p>",
    ).replace("</article>", "<p>Subscribe to the Coastal Courier newsletter.</p></article>")
    other = page("Seville heatwave", "Time Herald", [
        "A heatwave pushed temperatures above forty degrees in Seville for the third day "
        "running, the national weather agency reported on Sunday.",
        "Hospitals in Andalusia opened extra cooling rooms and urged older residents to stay "
        "indoors during the afternoon, the regional health service said.",
    ])
    server.routes.update({
        "/wire.xml": static(rss([{"guid": "w1", "link": server.url("/wire"), "title": TITLE}])),
        "/papers.xml": static(rss([
            {"guid": "c1", "link": server.url("/courier"), "title": "Portvale says yes"},
            {"guid": "e1", "link": server.url("/echo"), "title": TITLE},
            {"guid": "h1", "link": server.url("/heat"), "title": "Seville heatwave"},
        ])),
        "/wire": static(page(TITLE, "Wire Service").encode(), "text/html"),
        "/courier": static(copy.encode(), "text/html"),
        "/echo": static(page(TITLE, "Echo Daily").encode(), "text/html"),
        "/heat": static(other.encode(), "text/html"),
    })
    claimwatch.add(server.url("/wire.xml"))
    claimwatch.poll()  # the wire story first, then the papers
    claimwatch.add(server.url("/papers.xml"))
    claimwatch.poll()
    articles = {a.external_id: a for a in claimwatch.rows(Article)}
    outlets = {o.id: o.name for o in claimwatch.rows(Outlet)}
    wire, courier, echo, heat = (articles[k] for k in ("w1", "c1", "e1", "h1"))
    assert wire.status == "decided" and heat.status == "decided"
    assert courier.status == "duplicate" and courier.duplicate_of_id == wire.id
    assert courier.duplicate_kind == "near" and courier.duplicate_similarity >= 0.6
    assert echo.status == "duplicate" and echo.duplicate_of_id == wire.id
    assert echo.duplicate_kind == "text"
    assert outlets[courier.outlet_id] == "Coastal Courier"  # the copy's outlet is recorded
    assert outlets[echo.outlet_id] == "Echo Daily"
    judged = {r.article_id for r in claimwatch.rows(StanceRecord)}
    assert judged == {wire.id, heat.id}  # copies are not independent reports
    # ... but each is one more outlet carrying the wire story: it joins the story.
    assert courier.story_id == echo.story_id == wire.story_id is not None
    assert heat.story_id != wire.story_id


def test_a_copy_recognised_before_its_original_is_analysed_joins_the_story_later(
    claimwatch: Claimwatch,
) -> None:
    """A second worker can deduplicate the copy while the original still waits for analysis:
    the copy has no story yet, and gets the original's when the original is analysed."""
    from storage.db import session_scope
    from storage.models import Article
    from tasks.analyse import analyse_article
    from tasks.articles import deduplicate
    from tasks.context import engine

    text = "\n".join(PARAGRAPHS)
    with session_scope(engine()) as session:
        original = Article(origin="test", external_id="wire", title=TITLE, text=text,
                           status="extracted")
        copy = Article(origin="test", external_id="copy", title=TITLE, text=text,
                       status="extracted")
        session.add_all([original, copy])
        session.flush()
        original_id, copy_id = original.id, copy.id
    assert deduplicate(original_id)  # the step alone: the original is not analysed yet
    assert not deduplicate(copy_id)
    [copy] = claimwatch.rows(Article, id=copy_id)
    assert copy.status == "duplicate" and copy.duplicate_of_id == original_id
    assert copy.story_id is None  # its original has no story yet
    analyse_article(original_id)  # analysis, then its alert decision
    [original], [copy] = claimwatch.rows(Article, id=original_id), claimwatch.rows(Article,
                                                                                id=copy_id)
    assert original.story_id is not None and copy.story_id == original.story_id
