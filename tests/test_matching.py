"""Story matching on plain values: window, entity checks both ways, relatedness."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from analysis.claim_index import ClaimIndex, closest_report, report_terms
from analysis.matching import (
    FEATURE_SIGNS,
    FEATURES,
    KIND_FEATURES,
    RANK_FEATURES,
    STORY_FEATURES,
    ArticleEntities,
    Candidate,
    ClaimProfile,
    Match,
    MatchModel,
    article_entities,
    article_kind,
    claim_from_headline,
    coverage,
    covers,
    key_entities,
    match_claim,
    match_features,
    people_named_in_full,
)

NOW = datetime(2023, 8, 22)
WEEK = timedelta(days=7)
MUSK = ClaimProfile(
    1,
    "Elon Musk spoke to Putin",
    frozenset({"elon musk", "putin"}),
    frozenset({"elon musk", "vladimir putin", "ian bremmer"}),
    NOW,
    operator=False,
)
MOTORCADE = ClaimProfile(
    2,
    "Is Vladimir Putin trolling the world with his motorcade?",
    frozenset({"vladimir putin"}),
    frozenset({"vladimir putin", "obama"}),
    NOW,
    operator=False,
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
    # In a Title Case headline the body tells names ("Musk") from words ("Meets", "Dawn").
    assert article_entities("Musk Meets Putin At Dawn", body).headline == {
        "elon musk",
        "vladimir putin",
    }


def test_title_case_and_capitals_keep_names_not_every_capitalised_word() -> None:
    # Typed alone: known given names and the surname after them, acronyms in Title Case.
    claim = "Maria Lopez Resigns From FIFA After Audit Of Youth Fund"
    assert key_entities(claim) == {"maria lopez", "fifa"}
    assert key_entities(claim.upper()) == {"maria lopez", "fifa"}
    # With a text, the text shows how each word is written mid-sentence.
    body = "The league had no expansion plan, said Ortega. The audit found that."
    assert key_entities(f"League Expansion Plan Is Fiction, Says Ortega\n{body}") == {"ortega"}
    assert key_entities(f"LEAGUE EXPANSION PLAN IS FICTION, SAYS ORTEGA\n{body}") == {"ortega"}
    # A particle joined by a hyphen marks a name where capitals mark nothing.
    # ("Airstrike" is newer than the 1934 dictionary that tells words from names: a measured
    # cost of reading unlisted words as names.)
    keys = key_entities("Abu Bakr Al-Baghdadi Killed In US Airstrike, Reports Say")
    assert "abu bakr al-baghdadi" in keys
    assert not keys & {"killed", "reports", "reports say", "us", "us airstrike"}
    assert "al-baghdadi" in key_entities("ISIS LEADER AL-BAGHDADI KILLED IN AIRSTRIKE")
    # A sentence naming several people is not Title Case.
    assert key_entities("Elon Musk met Vladimir Putin on Monday") == {"elon musk", "vladimir putin"}


def test_surnames_cover_full_names_and_one_detail_in_three_may_miss() -> None:
    assert covers({"musk", "vladimir putin"}, {"elon musk", "putin"})
    assert not covers({"vladimir putin", "kremlin"}, {"elon musk", "putin"})
    assert covers({"elon musk", "putin"}, {"elon musk", "putin", "twitter"})


def test_a_name_covers_the_longer_run_a_title_case_headline_makes_of_it() -> None:
    """"Maria Lopez Fund Audit" in a Title Case headline names Maria Lopez."""
    assert coverage({"maria lopez"}, {"maria lopez fund audit"}) == 1.0
    assert coverage({"lopez fund"}, {"maria lopez fund audit"}) == 1.0
    assert coverage({"maria lo"}, {"maria lopez fund audit"}) == 0.0


def test_hyphenated_names_cover_their_spaced_spellings() -> None:
    """Outlets write "Kim Jong-un" and "Kim Jong Un", "al-Baghdadi" and "Baghdadi"."""
    article = article_entities("", "North Korea's leader Kim Jong-un had surgery, a report said.")
    assert coverage({"kim jong un"}, article.named | article.words) == 1.0
    assert covers({"baghdadi"}, {"abu bakr al-baghdadi"})
    assert not covers({"baghdadi"}, {"abu bakr"})


def _candidates(*profiles: ClaimProfile, cosine: float, share: float) -> list[Candidate]:
    return [Candidate(p, cosine, cosine, share) for p in profiles]


def _match(
    related: dict[str, float], *profiles: ClaimProfile, when: datetime = NOW,
    cosine: float = 0.5, share: float = 0.8,
) -> Match | None:
    """`share`: how much of each claim's weight lies on words the article uses."""
    return match_claim(MUSK_ARTICLE, when, _candidates(*profiles, cosine=cosine, share=share),
                       related.__getitem__,
                       model=MODEL, window=WEEK, kind="titled")


MODEL = MatchModel.load()


def test_the_best_related_claim_wins() -> None:
    match = _match({MUSK.claim: 0.99, MOTORCADE.claim: 0.3}, MOTORCADE, MUSK)
    assert match is not None and match.claim_id == 1


def test_unrelated_claims_start_a_new_story() -> None:
    assert _match({MUSK.claim: 0.01}, MUSK, cosine=0.05, share=0.1) is None


def test_closed_stories_are_not_candidates_but_operator_claims_always_are() -> None:
    late = NOW + timedelta(days=8)
    assert _match({MUSK.claim: 0.99}, MUSK, when=late) is None
    operator = ClaimProfile(3, MUSK.claim, MUSK.claim_entities, frozenset(), None)
    match = _match({MUSK.claim: 0.99}, operator, when=late)
    assert match is not None and match.claim_id == 3


def test_credits_are_short_names_not_clauses() -> None:
    assert claim_from_headline("NHL expansion plans in the works: reports") == (
        "NHL expansion plans in the works: reports"
    )
    assert claim_from_headline("Reuters: NHL expansion plans are in the works") == (
        "NHL expansion plans are in the works"
    )


def test_kinds_of_article() -> None:
    assert article_kind("Musk met Putin", "") == "headline"
    assert article_kind("", "Musk met Putin.") == "body"
    assert article_kind("Musk met Putin", "He did.") == "titled"


def test_the_index_finds_claims_by_their_words_whatever_their_number() -> None:
    index = ClaimIndex(lambda stem: 1.0)
    for n in range(500):
        index.add(n, f"unrelated claim number {n} about topic{n}")
    index.add(1000, "Justin Bieber ringtone saves Russian fisherman from bear attack")
    found = index.search("Fisherman Saved from Deadly Bear Attack by His Justin Bieber Ringtone", 3)
    assert found[0][0] == 1000 and found[0][1] > 0.5
    index.remove(1000)
    assert all(claim_id != 1000 for claim_id, _ in index.search("bieber ringtone bear", 3))


def test_articles_with_a_text_are_judged_alike_whatever_else_is_open() -> None:
    # With one or two claims open every article ranks one of them first; with many, a story
    # opened from a missed body's long lead outranks the operator's short claim. Articles
    # with a text read no ranks, so a claim's probability does not depend on the others.
    operator = ClaimProfile(3, MUSK.claim, MUSK.claim_entities, frozenset(), None)
    body_only = ArticleEntities(MUSK_ARTICLE.named, frozenset())
    candidate = Candidate(operator, 0.25, 0.0, 0.7)
    for kind in ("body", "titled"):
        decision = MODEL.decisions[kind]
        assert decision.features == KIND_FEATURES[kind]
        assert not set(RANK_FEATURES) & set(decision.features)
        alone, beside = (
            decision.probability(match_features(body_only, NOW, candidate, other, 0.95))
            for other in (0.0, 0.45)
        )
        assert alone == beside
    match = match_claim(body_only, NOW, [candidate], {operator.claim: 0.95}.__getitem__,
                        model=MODEL, window=WEEK, kind="body")
    assert match is not None and match.claim_id == 3
    # A headline alone is a few words: there the ranks among claims tell.
    assert set(RANK_FEATURES) <= set(MODEL.decisions["headline"].features)


def test_an_operators_claim_that_passes_takes_the_article_from_a_closer_story() -> None:
    """A story opened by a body without a headline has that body's lead for a claim, which
    the event's next bodies resemble more than the desk's short claim: the desk's claim,
    once it passes, still collects them."""
    operator = ClaimProfile(3, "Musk talked with Putin about Ukraine", MUSK.claim_entities,
                            frozenset(), None)
    body_only = ArticleEntities(MUSK_ARTICLE.named, frozenset())
    claim, story = Candidate(operator, 0.2, 0.0, 0.6), Candidate(MUSK, 0.4, 0.0, 0.9)

    def match(candidates: list[Candidate], claim_related: float = 0.97) -> Match | None:
        related = {operator.claim: claim_related, MUSK.claim: 0.97}
        return match_claim(body_only, NOW, candidates, related.__getitem__, model=MODEL,
                           window=WEEK, kind="body")

    alone = match([claim]), match([story])
    assert alone[0] is not None and alone[1] is not None and alone[1].score > alone[0].score
    both = match([story, claim])
    assert both is not None and both.claim_id == operator.claim_id
    # Where the desk's claim does not pass, the story still takes the article.
    assert match([claim], claim_related=0.3) is None
    weaker = match([story, claim], claim_related=0.3)
    assert weaker is not None and weaker.claim_id == MUSK.claim_id


def test_an_article_that_never_names_a_claims_person_is_less_likely_its_report() -> None:
    """A sentence-case claim's people named in full are names; a Title Case claim's
    capitalised runs too often are not, so they count for nothing."""
    claim = "Elon Musk spoke with Vladimir Putin before posting his Ukraine peace plan"
    assert people_named_in_full(claim) == {"elon musk", "vladimir putin"}
    assert people_named_in_full("Elon Musk Spoke With Vladimir Putin Before His Plan") == set()
    operator = ClaimProfile(4, claim, key_entities(claim), frozenset(), None)
    candidate = Candidate(operator, 0.2, 0.2, 0.5)
    decision = MODEL.decisions["titled"]
    body = "Vladimir Putin gave a speech in Moscow on Friday about the war in Ukraine."
    about_putin = article_entities("Putin gives a speech in Moscow", body)
    about_both = article_entities("Musk and Putin", f"{body} Elon Musk watched it.")
    unnamed = FEATURES.index("claim_person_unnamed")
    putin_only, both = (match_features(a, NOW, candidate, 0.0, 0.99)
                        for a in (about_putin, about_both))
    assert (putin_only[unnamed], both[unnamed]) == (1.0, 0.0)
    assert decision.probability(putin_only) < decision.probability(
        [*putin_only[:unnamed], 0.0, *putin_only[unnamed + 1:]])


def test_no_signal_counts_against_the_direction_it_can_only_push() -> None:
    """Naming more of a claim's people, or reading more related, never makes a match less
    likely in any shipped decision; leaving out a person named in full never makes it more."""
    for kind, decision in MODEL.decisions.items():
        for name, weight in zip(decision.features, decision.weights, strict=True):
            sign = FEATURE_SIGNS.get(name, 0)
            assert sign * weight >= 0, (kind, name, weight)


def test_the_bounded_fit_is_logistic_regression_within_its_signs() -> None:
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    from analysis.matching_train import fit_logistic

    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 3))
    # The second feature truly counts against a match, as a data set's quirk can make it.
    y = (X @ np.array([2.0, -1.0, 0.5]) + rng.normal(size=400)) > 0
    free, free_bias = fit_logistic(X, y, [0, 0, 0])
    reference = LogisticRegression(C=1.0).fit(X, y)
    assert np.allclose(free, reference.coef_[0], atol=1e-3)
    assert abs(free_bias - reference.intercept_[0]) < 1e-3
    bounded, _ = fit_logistic(X, y, [1, 1, 0])
    assert free[1] < -0.5 and bounded[1] == 0.0 and bounded[0] > 1.0


def test_a_text_like_the_storys_earlier_reports_joins_though_far_from_its_short_claim() -> None:
    """A refutation often shares few words with the desk's short claim but many with the
    story's earlier reports (the same people, places and figures): the closest report
    counts for the match, and a story with no report yet is not held against."""
    index = ClaimIndex(lambda stem: 1.0)
    earlier = index.vector("Harbour officials in Portvale said the new bridge toll will double "
                           "next spring, citing repair costs after the winter storms.")
    later = index.vector("Portvale harbour officials denied that the bridge toll will double; "
                         "repair costs after the winter storms are covered, they said.")
    assert closest_report(later, [report_terms(earlier)]) > 0.3
    assert closest_report(later, []) == 0.0
    assert len(report_terms(index.vector(" ".join(f"word{n}" for n in range(200))))) == 60

    reported = ClaimProfile(5, "Bridge toll to double", frozenset(), frozenset(), NOW,
                            reports=(report_terms(earlier),))
    unreported = replace(reported, reports=())
    body_only = ArticleEntities(frozenset(), frozenset())

    def probability(profile: ClaimProfile, story_cosine: float) -> float:
        candidate = Candidate(profile, 0.08, 0.0, 0.3, story_cosine)
        return MODEL.decisions["body"].probability(
            match_features(body_only, NOW, candidate, 0.0, 0.95))

    threshold = MODEL.decisions["body"].threshold
    closest = closest_report(later, reported.reports)
    assert probability(reported, 0.05) < threshold < probability(reported, closest)
    # A first report is judged against the claim alone, not as a story's stranger.
    assert probability(unreported, 0.0) > probability(reported, 0.0)
    # Headlines alone are a few words: their stories' reports are not read (see
    # `STORY_FEATURES`).
    assert not set(STORY_FEATURES) & set(MODEL.decisions["headline"].features)
