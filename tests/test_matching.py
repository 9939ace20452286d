"""Story matching on plain values: window, entity checks both ways, relatedness."""

from __future__ import annotations

from datetime import datetime, timedelta

from analysis.matching import (
    ArticleEntities,
    ClaimProfile,
    article_entities,
    claim_from_headline,
    covers,
    key_entities,
    match_claim,
)

NOW = datetime(2023, 8, 22)
WEEK = timedelta(days=7)
MUSK = ClaimProfile(
    1,
    "Elon Musk spoke to Putin",
    frozenset({"elon musk", "putin"}),
    frozenset({"elon musk", "vladimir putin", "ian bremmer"}),
    NOW,
)
MOTORCADE = ClaimProfile(
    2,
    "Is Vladimir Putin trolling the world with his motorcade?",
    frozenset({"vladimir putin"}),
    frozenset({"vladimir putin", "obama"}),
    NOW,
)
MUSK_ARTICLE = ArticleEntities(
    frozenset({"elon musk", "vladimir putin", "ukraine"}),
    frozenset({"elon musk", "vladimir putin"}),
)


def test_headline_credits_are_not_part_of_the_claim() -> None:
    assert claim_from_headline("Vice: Musk spoke to Putin") == "Musk spoke to Putin"
    assert claim_from_headline("Musk spoke to Putin - The New Yorker") == "Musk spoke to Putin"
    assert claim_from_headline("Did Musk speak to Putin?") == "Did Musk speak to Putin?"


def test_key_entities_are_who_the_sentence_is_about() -> None:
    keys = key_entities("Elon Musk spoke with Vladimir Putin before posting his Ukraine peace plan")
    assert keys == {"elon musk", "vladimir putin"}
    body = "Elon Musk met Vladimir Putin on Monday. Musk said so."
    assert article_entities("Musk met Putin at dawn", body).headline == {
        "elon musk",
        "vladimir putin",
    }
    # A Title Case headline's capitalised run is no entity the body confirms.
    assert article_entities("Musk Meets Putin At Dawn", body).headline == set()


def test_surnames_cover_full_names_and_one_detail_in_three_may_miss() -> None:
    assert covers({"musk", "vladimir putin"}, {"elon musk", "putin"})
    assert not covers({"vladimir putin", "kremlin"}, {"elon musk", "putin"})
    assert covers({"elon musk", "putin"}, {"elon musk", "putin", "twitter"})


def test_the_best_related_claim_wins() -> None:
    related = {MUSK.claim: 0.9, MOTORCADE.claim: 0.95}
    match = match_claim(MUSK_ARTICLE, NOW, [MOTORCADE, MUSK], related.__getitem__, window=WEEK)
    assert match is not None and match.claim_id == 1  # the motorcade story never named Musk


def test_sharing_a_famous_name_is_not_enough() -> None:
    putin_only = ArticleEntities(
        frozenset({"vladimir putin", "moscow"}), frozenset({"vladimir putin"})
    )
    assert match_claim(putin_only, NOW, [MUSK], lambda _: 0.99, window=WEEK) is None


def test_low_relatedness_starts_a_new_story() -> None:
    assert match_claim(MUSK_ARTICLE, NOW, [MUSK], lambda _: 0.2, window=WEEK) is None


def test_closed_stories_are_not_candidates_but_operator_claims_always_are() -> None:
    late = NOW + timedelta(days=8)
    assert match_claim(MUSK_ARTICLE, late, [MUSK], lambda _: 0.9, window=WEEK) is None
    operator = ClaimProfile(3, MUSK.claim, MUSK.claim_entities, frozenset(), None)
    match = match_claim(MUSK_ARTICLE, late, [operator], lambda _: 0.9, window=WEEK)
    assert match is not None and match.claim_id == 3
