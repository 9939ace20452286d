"""Tests for analysis.text: boilerplate removal, sentence splitting, tokens."""

from __future__ import annotations

import json
import re

from conftest import HTML, SEEDS, needs_shared

import analysis.text as text_module
from analysis.text import STOPWORDS, clean_article_text, content_tokens, split_sentences, tokens

TRUTH = HTML / "truth.jsonl"


def _seed(article_id: str) -> tuple[str, dict]:
    manifest = json.loads((SEEDS / "manifest.json").read_text())
    meta = next(a for a in manifest["articles"] if a["id"] == article_id)
    return (SEEDS / meta["file"]).read_text(encoding="utf-8"), meta


needs_truth = needs_shared(TRUTH, "the real pages' truth texts (html/truth.jsonl)")


def _nonspace(s: str) -> int:
    return len(re.sub(r"\s", "", s))


# --------------------------------------------------------------------------- seeds


def test_004_ends_before_other_news_teasers() -> None:
    text, meta = _seed("004")
    cleaned = clean_article_text(text, title=meta["title"])
    assert "Other News" not in cleaned
    for junk in ("Mashovets", "Khalino", "Shahed", "feminine", "Iran"):
        assert junk not in cleaned
    assert cleaned.rstrip().endswith("cannot shut them down.")
    assert "Telegram channel" not in cleaned and "fall for fakes" not in cleaned
    # the reporting stays, including the outlet's own earlier report
    assert "The New Yorker made the statement, citing sources." in cleaned
    assert "Kahl assures us" in cleaned
    assert "As OBOZREVATEL previously reported" in cleaned
    # the title line and the byline are gone, the doubled subtitle appears once
    assert not cleaned.startswith("Musk spoke to Putin before announcing")
    assert "Daria Durova" not in cleaned
    assert cleaned.count("Media reports that Musk and Putin spoke") <= 1


def test_000_keeps_reporting_and_drops_subscription_box_and_ads() -> None:
    text, meta = _seed("000")
    cleaned = clean_article_text(text, title=meta["title"])
    for kept in (
        "Musk said on Twitter on Tuesday that the only time he spoke with Putin",
        "Ian Bremmer of Eurasia Group wrote to subscribers",
        "The report comes after Musk proposed a hypothetical peace agreement",
        "Musk's proposal two weeks ago involved a re-do referendum",
        "Zelensky tweeted a poll",
    ):
        assert kept in cleaned
    for dropped in (
        "ADVERTISEMENT",
        "Join and support independent free thinkers",
        "independent and can",
        "for as little as $1",
        "Support The Post Millennial",
        "Remind me next month",
        "Privacy Policy",
        "Terms of Use",
        "\u00a9",
        "Do Not Sell",
        "img",
    ):
        assert dropped not in cleaned, dropped
    assert meta["title"] not in cleaned
    paragraphs = cleaned.split("\n\n")
    assert all(len(p.split()) >= 10 for p in paragraphs)


def test_001_drops_header_and_photo_captions() -> None:
    text, meta = _seed("001")
    cleaned = clean_article_text(text, title=meta["title"])
    assert "Credit: AFP" not in cleaned and "Credit: Alamy" not in cleaned
    assert "By Leah Chiappino" not in cleaned
    assert "ContributorsPublishersAdvertisers" not in cleaned
    assert cleaned.startswith("ELON MUSK spoke directly with Russian President Vladimir Putin")
    assert "In a mailout sent to Eurasia Group subscribers" in cleaned
    assert cleaned.rstrip().endswith("reps for Tesla for comment.")


def test_002_and_003_drop_site_furniture_but_keep_newsletter_content() -> None:
    text, meta = _seed("002")
    cleaned = clean_article_text(text, title=meta["title"])
    assert "Exit mobile version" not in cleaned
    assert cleaned.startswith("Elon Musk spoke with Russian President Vladimir Putin")
    assert "Updated 20:10. Elon Musk said on Twitter" in cleaned

    text, meta = _seed("003")
    cleaned = clean_article_text(text, title=meta["title"])
    assert "Leave a Reply" not in cleaned
    assert "Your email address will not be published" not in cleaned
    assert "// Source" not in cleaned
    assert "I have been writing my weekly newsletter on geopolitics" in cleaned
    assert "including Vice and Business Insider" in cleaned


def test_clean_is_idempotent_on_seeds() -> None:
    manifest = json.loads((SEEDS / "manifest.json").read_text())
    texts = [
        ((SEEDS / a["file"]).read_text(encoding="utf-8"), a["title"]) for a in manifest["articles"]
    ]
    cleaned = [clean_article_text(t, title=title) for t, title in texts]
    for c, (_, title) in zip(cleaned, texts, strict=True):
        text_module._cleaned.clear()  # cleaned again, not recalled: the memory relies on this
        assert clean_article_text(c, title=title) == c


# --------------------------------------------------------------------------- generic rules


def test_generic_teaser_heading_cut_to_end() -> None:
    body = (
        "The city council voted on Tuesday to close the old bridge, citing safety reports "
        "that found corrosion in the main supports.\n"
        "Engineers said repairs would take at least two years and cost about $40 million.\n"
    )
    for heading in (
        "Related",
        "Read more:",
        "You may also like",
        "More from Local News",
        "Most read",
        "Recommended for you",
    ):
        text = body + f"{heading}\nMayor announces new park\nSchools to reopen next week\n"
        cleaned = clean_article_text(text)
        assert "Mayor announces" not in cleaned, heading
        assert "Engineers said repairs" in cleaned


def test_trailing_headline_run_cut_without_heading() -> None:
    text = (
        "The company reported a loss of $2 billion in the third quarter, its worst result "
        "in a decade, and said it would cut 5,000 jobs.\n"
        "Shares fell 8 percent in early trading after the announcement.\n"
        "Ten gadgets you need this summer\n"
        "Why the housing market is cooling\n"
        "Celebrity chef opens new restaurant\n"
    )
    cleaned = clean_article_text(text)
    assert cleaned.endswith("after the announcement.")


def test_boilerplate_lines_are_dropped_but_reporting_is_kept() -> None:
    text = (
        "By Jane Smith\nPublished 12 March 2023\n"
        "Analyst Ian Bremmer wrote to subscribers that the talks had stalled, and he said "
        "he had heard it from two officials.\n"
        "Photo: Getty Images\n"
        "We use cookies to improve your experience. Accept all cookies\n"
        "Sign up for our daily newsletter\n"
        "The newsletter, which goes to 20,000 subscribers, is widely read in Washington and "
        "has been published every week for 24 years.\n"
        "Share this article\n"
        "\u00a9 2023 Example Media. All rights reserved.\n"
    )
    cleaned = clean_article_text(text)
    assert "wrote to subscribers" in cleaned
    assert "The newsletter, which goes to 20,000 subscribers" in cleaned
    for junk in (
        "Jane Smith",
        "Published 12",
        "Getty",
        "cookies",
        "daily newsletter",
        "Share this",
        "rights reserved",
    ):
        assert junk not in cleaned, junk


def test_title_repeat_removed_even_with_other_quotes() -> None:
    title = "Minister 'resigns' after vote"
    text = (
        "Minister \u2018resigns\u2019 after vote\n"
        "The minister stepped down on Friday after losing a confidence vote in parliament, "
        "officials said."
    )
    assert clean_article_text(text, title=title).startswith("The minister stepped down")


def test_empty_input() -> None:
    assert clean_article_text("") == ""
    assert clean_article_text("\n \n") == ""
    assert split_sentences("") == []


@needs_truth
def test_truth_texts_are_mostly_kept() -> None:
    """Clean article bodies: at most about a tenth may be cut (captions, teaser lists)."""
    rows = [json.loads(line) for line in TRUTH.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 40
    for row in rows:
        text = row["text"]
        kept = _nonspace(clean_article_text(text)) / max(1, _nonspace(text))
        assert kept >= 0.9, (row["id"], round(kept, 3))


# --------------------------------------------------------------------------- sentences


def test_split_sentences_abbreviations_and_decimals() -> None:
    text = "Mr. Smith arrived in the U.S. on Oct. 5 with $3.5 million. He left on Monday."
    assert split_sentences(text) == [
        "Mr. Smith arrived in the U.S. on Oct. 5 with $3.5 million.",
        "He left on Monday.",
    ]


def test_split_sentences_initials_quotes_and_paragraphs() -> None:
    text = 'He said "Stop." Then he left. J. R. R. Tolkien wrote it.\nNew para! Really? Yes.'
    assert split_sentences(text) == [
        'He said "Stop."',
        "Then he left.",
        "J. R. R. Tolkien wrote it.",
        "New para!",
        "Really?",
        "Yes.",
    ]


def test_split_sentences_no_split_inside_quote_attribution() -> None:
    text = '"It is over," Musk wrote. "What now?" he asked. Dr. Lee said so.'
    assert split_sentences(text) == [
        '"It is over," Musk wrote.',
        '"What now?" he asked.',
        "Dr. Lee said so.",
    ]


def test_split_sentences_us_at_sentence_end() -> None:
    text = "The company moved to the U.S. The move cost millions."
    assert split_sentences(text) == ["The company moved to the U.S.", "The move cost millions."]


def test_paragraph_breaks_always_split() -> None:
    assert split_sentences("A heading without a stop\nThe body starts here.") == [
        "A heading without a stop",
        "The body starts here.",
    ]


# --------------------------------------------------------------------------- tokens


def test_tokens_lowercase_and_apostrophes() -> None:
    assert tokens("Musk\u2019s PLAN, 18 months-ago!") == ["musk's", "plan", "18", "months", "ago"]
    assert "the" in STOPWORDS and "musk" not in STOPWORDS
    assert content_tokens("The plan of the billionaire") == ["plan", "billionaire"]


def test_promo_box_and_its_buttons_are_dropped_on_any_site() -> None:
    """A box is recognised by its general shape, not by one site's wording."""
    report = (
        "The council voted on Tuesday to close the old bridge to traffic for two years, "
        "officials said after the meeting."
    )
    text = "\n".join(
        [
            report,
            "Get our breaking news first on our Acme Daily WhatsApp channel and Facebook page.",
            "Support quality journalism from as little as one dollar. Subscribe today.",
            "Maybe later",
            "Not now",
            "The mayor said on her Telegram channel that repairs would begin in spring, "
            "and that buses would replace the trams on the route.",
        ]
    )
    cleaned = clean_article_text(text)
    assert report in cleaned
    assert "WhatsApp" not in cleaned and "Maybe later" not in cleaned and "Not now" not in cleaned
    # reporting about someone's channel is not the site's own promotion
    assert "on her Telegram channel" in cleaned
