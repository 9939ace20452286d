"""Near-duplicate detection of syndicated copies (analysis.neardup)."""

from __future__ import annotations

from analysis.neardup import BANDS, bands, closest_copy, shingles, signature, similarity

WIRE = (
    "The city council of Portvale voted on Tuesday to approve the harbour bridge, mayor Anna "
    "Lind said, in a decision that ends a decade of debate about the crossing. Construction is "
    "to begin next spring and the bridge should open to traffic within three years, according "
    "to the council's transport committee. Opponents had argued that the bridge would harm the "
    "fishing industry, but the council said an independent study found no lasting damage. The "
    "project will cost about 240 million euros, most of it paid by the regional government."
)
COPY = (
    "PORTVALE (Wire) - " + WIRE + " Read more local news on our website. "
    "Subscribe to the morning newsletter."
)
OTHER = (
    "A heatwave pushed temperatures above forty degrees in Seville for the third day running, "
    "the national weather agency reported on Sunday. Hospitals opened extra cooling rooms and "
    "urged older residents to stay indoors during the afternoon."
)


def test_identical_texts_are_identical_and_case_and_punctuation_do_not_matter() -> None:
    assert similarity(signature(WIRE), signature(WIRE.upper().replace(",", ""))) == 1.0


def test_a_syndicated_copy_with_its_own_dateline_and_footer_is_near() -> None:
    assert similarity(signature(WIRE), signature(COPY)) >= 0.6
    assert similarity(signature(WIRE), signature(OTHER)) < 0.1


def test_closest_copy_picks_the_best_match_above_the_threshold() -> None:
    candidates = [(1, signature(OTHER)), (2, signature(WIRE)), (3, signature(COPY))]
    match = closest_copy(signature(COPY), candidates[:2], threshold=0.6)
    assert match is not None and match.article_id == 2 and match.similarity >= 0.6
    assert closest_copy(signature(OTHER), candidates[1:], threshold=0.6) is None
    assert closest_copy(signature(WIRE), [], threshold=0.6) is None
    # Ties go to the earliest article.
    assert closest_copy(signature(WIRE), [(9, signature(WIRE)), (4, signature(WIRE))], 0.6
                        ).article_id == 4  # type: ignore[union-attr]


def test_short_and_empty_texts() -> None:
    assert signature("") is None and signature("  ...  ") is None
    assert shingles("two words") == {"two words"}
    assert similarity(signature("two words"), signature("Two, words!")) == 1.0


def test_a_candidate_still_without_a_signature_is_passed_over() -> None:
    sig = signature(WIRE)
    match = closest_copy(sig, [(1, None), (2, sig)], 0.6)
    assert match is not None and match.article_id == 2
    assert closest_copy(sig, [(1, None)], 0.6) is None


def test_a_near_copy_shares_an_lsh_bucket_and_an_unrelated_text_none() -> None:
    wire, copy, other = (set(bands(signature(t))) for t in (WIRE, COPY, OTHER))  # type: ignore[arg-type]
    assert len(wire) == BANDS
    assert wire & copy
    assert not wire & other
