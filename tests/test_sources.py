"""Tests for analysis.sources (cited primary sources) and analysis.outlets (outlet names)."""

from __future__ import annotations

import json

import pytest
from conftest import HTML, SEEDS, needs_shared

from analysis.judgments import CitedSource
from analysis.outlets import known_outlet, normalise_outlet, outlet_context, outlet_from_url
from analysis.sources import find_sources

TRUTH = HTML / "truth.jsonl"

needs_truth = needs_shared(TRUTH, "the real pages' truth texts (html/truth.jsonl)")

JUNK = ["mashovets", "khalino", "shahed", "feminine", "iran"]


def _seed_sources() -> dict[str, list[CitedSource]]:
    manifest = json.loads((SEEDS / "manifest.json").read_text())
    out = {}
    for a in manifest["articles"]:
        text = (SEEDS / a["file"]).read_text(encoding="utf-8")
        out[a["id"]] = find_sources(text, title=a["title"], outlet=a["outlet"])
    return out


def _names(sources: list[CitedSource]) -> dict[str, CitedSource]:
    return {s.name: s for s in sources}


def _sources(text: str, **kw: str) -> dict[str, str]:
    return {s.name: s.kind for s in find_sources(text, **kw)}


# --------------------------------------------------------------------------- seeds


@pytest.fixture(scope="module")
def seed_sources() -> dict[str, list[CitedSource]]:
    return _seed_sources()


def test_seed_union_has_every_expected_source(seed_sources: dict) -> None:
    union = " | ".join(s.name for ss in seed_sources.values() for s in ss).lower()
    for name in (
        "vice",
        "bremmer",
        "eurasia",
        "business insider",
        "financial times",
        "new yorker",
        "kahl",
        "elon musk",
    ):
        assert name in union, name


def test_seed_per_article_sources(seed_sources: dict) -> None:
    want = {
        "002": {"Vice", "Ian Bremmer", "Eurasia Group"},
        "001": {"Ian Bremmer", "Vice", "Elon Musk", "Eurasia Group"},
        "000": {"Ian Bremmer", "Eurasia Group", "Elon Musk"},
        "003": {"Vice", "Business Insider", "Ian Bremmer", "Financial Times", "Elon Musk"},
        "004": {"The New Yorker", "Colin Kahl"},
    }
    for article_id, names in want.items():
        got = _names(seed_sources[article_id])
        assert names <= set(got), (article_id, sorted(got))


def test_seed_source_kinds_and_sentences(seed_sources: dict) -> None:
    s004 = _names(seed_sources["004"])
    assert s004["The New Yorker"].kind == "outlet"
    assert s004["The New Yorker"].sentence == "The New Yorker made the statement, citing sources."
    assert s004["Colin Kahl"].kind == "person"
    assert "Kahl" in s004["Colin Kahl"].sentence
    s000 = _names(seed_sources["000"])
    assert s000["Ian Bremmer"].kind == "person"
    assert s000["Eurasia Group"].kind == "organisation"
    assert "Ian Bremmer of Eurasia Group wrote to subscribers" in s000["Eurasia Group"].sentence
    assert s000["Elon Musk"].kind == "person"
    assert "Musk said on Twitter" in s000["Elon Musk"].sentence
    s001 = _names(seed_sources["001"])
    assert "mailout sent to Eurasia Group subscribers" in s001["Eurasia Group"].sentence
    assert s001["Vice"].kind == "outlet"
    s003 = _names(seed_sources["003"])
    assert s003["Business Insider"].kind == "outlet"
    assert "Financial Times reported" in s003["Financial Times"].sentence


def test_seed_no_junk_generic_or_own_outlet(seed_sources: dict) -> None:
    names = [s.name.lower() for ss in seed_sources.values() for s in ss]
    for junk in JUNK:
        assert not any(junk in n for n in names), junk
    for generic in (
        "the publication",
        "sources",
        "media reports",
        "he",
        "the report",
        "journalists",
        "officials",
    ):
        assert generic not in names
    # the article's own outlet and its subscription box never become sources
    assert not any("obozrevatel" in s.name.lower() for s in seed_sources["004"])
    assert not any("post millennial" in s.name.lower() for s in seed_sources["000"])
    assert not any("us sun" in s.name.lower() for s in seed_sources["001"])
    for bad in ("privacy", "terms", "advertisement", "support", "join", "telegram"):
        assert not any(bad in n for n in names), bad


# --------------------------------------------------------------------------- patterns


def test_according_to_and_citing() -> None:
    assert _sources("The bank raised rates, according to Reuters. Analysts were surprised.") == {
        "Reuters": "outlet"
    }
    got = _sources(
        "The Wall Street Journal, citing people familiar with the matter, said the deal would "
        "close. The story was first reported by Bloomberg."
    )
    assert got == {"The Wall Street Journal": "outlet", "Bloomberg": "outlet"}
    # Before "according to" stands what is reported, not who reports it.
    assert _sources("The envoy met Ursula Brandt, according to the Financial Times.") == {
        "Financial Times": "outlet"
    }


def test_person_of_organisation_wrote() -> None:
    assert _sources("Jane Doe of Acme Corp wrote to clients that the deal was off.") == {
        "Jane Doe": "person",
        "Acme Corp": "organisation",
    }


def test_titles_quotes_and_inverted_attribution() -> None:
    assert _sources('Prime Minister Rishi Sunak said: "We will not back down."') == {
        "Rishi Sunak": "person"
    }
    got = _sources(
        '"We are looking into it," said John Smith, a spokesman for the ministry. '
        "Smith added that no one was hurt."
    )
    assert got == {"John Smith": "person"}


def test_outlet_lists() -> None:
    got = _sources("Several outlets, including CNN, the BBC and Al Jazeera, reported the strike.")
    assert got == {"CNN": "outlet", "BBC": "outlet", "Al Jazeera": "outlet"}


def test_generic_subjects_and_pronouns_dropped() -> None:
    text = (
        "Officials said the bridge was closed. Sources told the newspaper that it was unsafe. "
        "He said he was innocent. The publication reported that the report was leaked."
    )
    assert find_sources(text) == []


def test_descriptive_phrase_resolved_only_when_unambiguous() -> None:
    one = (
        "The claim came from a famous political scientist. Media outlets cited political "
        "scientist Ian Bremmer. According to the political scientist, talks had begun."
    )
    assert "Ian Bremmer" in _sources(one)
    two = (
        "Economist Jane Roe and economist John Poe spoke at the forum without notes. "
        "The economist said growth would slow."
    )
    assert _sources(two) == {}


def test_own_outlet_dropped_in_any_spelling() -> None:
    text = "As THE US SUN previously reported, the deal collapsed, according to Reuters."
    assert _sources(text, outlet="The U.S Sun") == {"Reuters": "outlet"}
    assert {name.lower() for name in _sources(text)} == {"us sun", "reuters"}


def test_teasers_never_yield_sources() -> None:
    text = (
        "The mayor said the bridge would reopen in May after repairs to its main supports "
        "were finished ahead of schedule.\n"
        "Other News\n"
        "Iran says cooperation with the Kremlin is beneficial\n"
        "Mashovets said the production had problems\n"
    )
    assert _sources(text) == {}


def test_headline_attribution_to_known_outlet() -> None:
    text = "The minister resigned on Friday after a vote in parliament, aides said."
    assert _sources(text, title="Reuters: Minister resigns") == {"Reuters": "outlet"}
    assert _sources(text, title="Minister resigns - The New Yorker") == {"The New Yorker": "outlet"}


# --------------------------------------------------------------------------- real pages


@needs_truth
def test_truth_texts_sources_plausible() -> None:
    rows = {
        r["id"]: r
        for r in (json.loads(line) for line in TRUTH.read_text(encoding="utf-8").splitlines())
    }
    found = {}
    for rid, row in rows.items():
        outlet = normalise_outlet(outlet_from_url(row.get("url")))
        sources = find_sources(row["text"], outlet=outlet)
        for s in sources:
            assert isinstance(s, CitedSource)
            assert s.kind in ("person", "organisation", "outlet")
            assert s.name and s.sentence
        found[rid] = {s.name: s for s in sources}
    # The Washington Post on Netanyahu: quoted analysts, named in full even when quoted
    # by surname.
    assert {"Martin Indyk", "Robert M. Danin", "Josh Earnest"} <= set(found["031"])
    assert found["031"]["Martin Indyk"].kind == "person"
    # The Washington Post on the Tunis attack.
    assert {"Habib Essid", "Lotfi Azzouz", "Ajmi Lourimi"} <= set(found["030"])
    # ABC via Yahoo: the photographer quoted with "said".
    assert "Vanessa Hicks" in found["038"]
    # Salon cites other outlets.
    assert {"Reuters", "Mashable"} <= set(found["024"])
    assert found["024"]["Reuters"].kind == "outlet"
    # Ars Technica: the developer who "wrote in a blog post".
    assert "Ammar Askar" in found["003"]


# --------------------------------------------------------------------------- outlets


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        ("The U.S Sun", "The US Sun"),
        ("THE US SUN", "The US Sun"),
        ("the u.s. sun", "The US Sun"),
        ("OBOZREVATEL", "Obozrevatel"),
        ("edition.cnn.com", "CNN"),
        ("www.nytimes.com", "The New York Times"),
        ("https://www.obozrevatel.com/news/1.htm", "Obozrevatel"),
        ("new yorker", "The New Yorker"),
        ("The New Yorker", "The New Yorker"),
        ("FT", "Financial Times"),
        ("businessinsider.com", "Business Insider"),
        ("BBC News", "BBC"),
        ("the post millennial", "The Post Millennial"),
        ("Reuters | Breaking International News", "Reuters"),
        ("www.example.com", "Example"),
        ("heise.de", "heise.de"),
        ("www.kxyz.com", "KXYZ"),  # a short label no dictionary lists: call sign, acronym
        ("bzq.org", "BZQ"),
        ("vox.com", "Vox"),  # said as a word
        ("news.lark.com", "Lark"),  # a dictionary word
        ("nydailynews.com", "New York Daily News"),
        ("https://www.huffingtonpost.co.uk/entry/x", "HuffPost"),
        ("ibtimes.co.in", "International Business Times"),
        ("english.alarabiya.net", "Al Arabiya"),
        ("theglobeandmail.com", "The Globe and Mail"),
        ("SOME LOCAL PAPER", "Some Local Paper"),
        ("  ", None),
        (None, None),
    ],
)
def test_normalise_outlet(raw: str | None, want: str | None) -> None:
    assert normalise_outlet(raw) == want


def test_outlet_from_url() -> None:
    assert outlet_from_url("https://www.nytimes.com/2022/10/11/x.html") == "nytimes.com"
    assert outlet_from_url("http://WWW.Obozrevatel.com:8080/a") == "obozrevatel.com"
    assert outlet_from_url("not a url") is None
    assert outlet_from_url(None) is None
    assert outlet_from_url("http://[broken") is None
    assert outlet_from_url("http://127.0.0.1:8099/articles/002.html") is None  # a machine
    assert outlet_from_url("http://[2001:db8::1]/a") is None
    assert known_outlet("vice news") == "Vice"
    assert known_outlet("Unknown Gazette") is None


def test_acts_reported_with_saying_verbs_are_not_citations() -> None:
    text = (
        'The ambassador, Andrij Melnyk, who told Musk to "get lost", was furious. '
        "Zelensky tweeted a poll asking which Musk people liked better. "
        "Then Colin Kahl told reporters that the call had happened."
    )
    assert _sources(text) == {"Colin Kahl": "person"}


def test_a_hyphenated_name_is_cited_whole() -> None:
    text = "North Korean leader Kim Jong-un said on Monday that the launch was a success."
    assert _sources(text) == {"Kim Jong-un": "person"}


def test_subdomains_do_not_hide_the_outlet() -> None:
    assert normalise_outlet("edition.cnn.com") == "CNN"
    assert normalise_outlet("https://amp.theguardian.com/world/x") == "The Guardian"
    assert normalise_outlet("uk.news.yahoo.com") == "Yahoo"


def test_common_word_outlets_only_cited_in_context() -> None:
    assert known_outlet("Atlantic", context=False) is None
    assert known_outlet("Atlantic") == "The Atlantic"  # a publisher field stays as it is
    ocean = "Storms over the Atlantic grounded flights, Portugal's airport operator said."
    assert "The Atlantic" not in _sources(ocean)
    assert _sources("The plan was dropped, the Times reported.") == {"The Times": "outlet"}
    assert _sources("The plan was dropped, according to the Independent.") == {
        "The Independent": "outlet"
    }


@pytest.mark.parametrize(
    ("sentence", "word", "want"),
    [
        ("Ships crossed the Atlantic in May.", "Atlantic", False),
        ("MPs and Hill staff were evacuated.", "Hill", False),
        ("Independent corroboration was not possible.", "Independent", False),
        ("The plan leaked, the Times reported.", "Times", True),
        ("An aide confirmed to the Telegraph that he quit.", "Telegraph", True),
        ("A Telegraph investigation found the flaw.", "Telegraph", True),
        ("Three people died (AP, Reuters).", "AP", True),
        ("The Guardian and the BBC both reported the leak.", "Guardian", True),
        ("Emails seen by the Guardian show the deal.", "Guardian", True),
    ],
)
def test_outlet_context(sentence: str, word: str, want: bool) -> None:
    start = sentence.index(word)
    assert outlet_context(sentence, start, start + len(word)) is want
