"""Pure parts of notification: payload schema, renderings, subscriber filters, backoff."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from notify.filters import AlertFacts, wants, wants_notice
from notify.payload import (
    PAYLOAD_VERSION,
    AlertView,
    ArticleView,
    Digest,
    NoticeView,
    build_payload,
)
from notify.render import render_markdown, render_text
from notify.retry import backoff_seconds
from storage.subscriptions import Subscriber

DENIAL = ArticleView(
    id=3,
    ref="000",
    title="Elon Musk counters report that he spoke to Putin",
    url="https://thepostmillennial.com/musk",
    outlet="The Post Millennial",
    published_at=datetime(2022, 10, 11, 21, 0, tzinfo=UTC),
    stance="refutes",
    score=0.82,
    evidence=["Musk denies any such conversation."],
)
NEW = ArticleView(
    id=5,
    ref="004",
    title="Musk spoke to Putin before announcing his 'peace plan' - The New Yorker",
    url=None,
    outlet="Obozrevatel",
    published_at=datetime(2023, 8, 22, 9, 0),
    stance="supports",
    score=0.92,
    evidence=["Musk spoke with the Russian dictator, several sources confirmed [sic] *again*."],
)
ALERT = AlertView(
    id=7,
    kind="contradiction",
    summary="Obozrevatel, 2023-08-22 (citing The New Yorker) supports “Musk spoke with Putin”, "
    "contradicting The Post Millennial, 2022-10-11",
    created_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    story_id=1,
    story_title="Musk spoke with Putin",
    story_url="https://claimwatch.example/stories/1",
    claim_id="musk-putin-call",
    claim_text="Elon Musk spoke with Vladimir Putin before posting his Ukraine peace plan",
    article=NEW,
    contradicts=[DENIAL],
    new_sources=["The New Yorker", "Colin Kahl"],
)


def test_payload_schema() -> None:
    payload = build_payload(ALERT, "msg_abc")
    assert payload["version"] == PAYLOAD_VERSION
    assert (payload["id"], payload["type"]) == ("msg_abc", "alert.contradiction")
    assert payload["timestamp"] == "2026-01-02T03:04:05Z"
    data = payload["data"]
    assert data["story"] == {
        "id": 1,
        "title": "Musk spoke with Putin",
        "url": "https://claimwatch.example/stories/1",
    }
    assert data["claim"]["id"] == "musk-putin-call"
    assert data["article"]["published_at"] == "2023-08-22T09:00:00Z"  # naive is UTC
    assert data["contradicts"][0]["evidence"] == ["Musk denies any such conversation."]
    assert data["new_sources"] == ["The New Yorker", "Colin Kahl"]
    digest = build_payload(Digest([ALERT, ALERT]), "msg_d")
    assert digest["type"] == "alert.digest" and len(digest["data"]["alerts"]) == 2
    notice = NoticeView(1, "feed_broken", "Feed x is broken", ALERT.created_at, {"feed_id": 4})
    assert build_payload(notice, "msg_n")["type"] == "notice.feed_broken"


@pytest.mark.parametrize("render", [render_text, render_markdown])
def test_an_alert_reads_on_its_own(render) -> None:  # type: ignore[no-untyped-def]
    title, body = render(ALERT)
    assert title.startswith("claimwatch contradiction: Obozrevatel")
    for needed in (
        "Obozrevatel",
        "2023-08-22 09:00 UTC",
        "supports (0.92)",
        "The Post Millennial",
        "2022-10-11 21:00 UTC",
        "refutes (0.82)",
        "Musk denies any such conversation.",
        "Elon Musk spoke with Vladimir Putin before posting his Ukraine peace plan",
        "The New Yorker, Colin Kahl",
        "https://claimwatch.example/stories/1",
    ):
        assert needed in body, needed
    assert body.index("Obozrevatel") < body.index("Musk denies")


def test_markdown_escapes_what_it_quotes_and_links_what_has_a_url() -> None:
    _, body = render_markdown(ALERT)
    assert r"\[sic\] \*again\*" in body
    assert "(https://thepostmillennial.com/musk)" in body
    assert "[Open the story](https://claimwatch.example/stories/1)" in body
    _, text = render_text(ALERT)
    assert "[sic] *again*" in text


def test_digest_and_notice_renderings() -> None:
    title, body = render_text(Digest([ALERT, ALERT]))
    assert title == "claimwatch: 2 alerts" and body.count("Musk denies") == 2
    notice = NoticeView(1, "delivery_failing", "Deliveries to 3 fail", ALERT.created_at, {"a": 1})
    title, body = render_markdown(notice)
    assert title.startswith("claimwatch deliveries failing:") and "- a: 1" in body


def subscriber(**filters) -> Subscriber:  # type: ignore[no-untyped-def]
    return Subscriber(channel_url="http://x", **filters)


FACTS = AlertFacts(
    kind="contradiction",
    story_id=1,
    claim_keys=frozenset({"3", "musk-putin-call"}),
    outlets=frozenset({"Obozrevatel", "The Post Millennial"}),
    score=0.92,
)


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, True),
        ({"kinds": ["new_story"]}, False),
        ({"kinds": ["contradiction", "new_source"]}, True),
        ({"kinds": ["feed_broken"]}, False),
        ({"story_ids": [2]}, False),
        ({"story_ids": [2, 1]}, True),
        ({"claim_ids": ["musk-putin-call"]}, True),
        ({"claim_ids": ["3"]}, True),
        ({"claim_ids": ["other"]}, False),
        ({"outlets": ["the post millennial"]}, True),
        ({"outlets": ["Vice"]}, False),
        ({"min_score": 0.9}, True),
        ({"min_score": 0.95}, False),
    ],
)
def test_filters(filters: dict, expected: bool) -> None:
    assert wants(subscriber(**filters), FACTS) is expected


def test_notices_go_only_to_who_asks() -> None:
    assert not wants_notice(subscriber(), "feed_broken")
    assert wants_notice(subscriber(kinds=["feed_broken"]), "feed_broken")


def test_backoff_grows_with_jitter_caps_and_honours_retry_after() -> None:
    rng = random.Random(1)
    delays = [backoff_seconds(n, 10, 3600, rng=rng) for n in range(1, 12)]
    assert 8 <= delays[0] <= 12 and 16 <= delays[1] <= 24 and 32 <= delays[2] <= 48
    assert max(delays) <= 3600 * 1.2 and delays[-1] >= 3600 * 0.8
    assert backoff_seconds(1, 10, 3600, retry_after=120, rng=rng) == 120
