"""Heuristic named-entity finder: who and what an article names, without a model.

No NER model can be downloaded here, and matching stories by shared names needs only good
recall on people, organisations and places with one spelling each. So entities are found
from capitalisation (with connectors such as "of" in "Bank of England"), normalised (ALL
CAPS to title case, titles and possessives stripped) and merged by alias ("Musk" and
"Elon Musk" are one entity, named by the longest form). Kinds are guessed from cues.
In a Title Case or shouted sentence capitals mark nothing, so there the rest of the text
says which words are names: those it capitalises mid-sentence; other words are names when
a list knows them or no dictionary writes them in lowercase (`bench/entities/run.py`).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field

from analysis.lexicons import english_words, first_names, lexicon, places
from analysis.outlets import is_outlet_name, known_outlet, outlet_context
from analysis.text import STOPWORDS, split_sentences

__all__ = [
    "Entity",
    "EntityIndex",
    "Mention",
    "analyse_entities",
    "entity_keys",
    "extract_entities",
]

KINDS = ("person", "organisation", "place", "other")


@dataclass(frozen=True)
class Entity:
    """A named thing in a text: canonical name, guessed kind, number of mentions."""

    name: str
    kind: str  # "person", "organisation", "place" or "other"
    count: int


@dataclass(frozen=True)
class Mention:
    """One occurrence of an entity in a sentence (offsets into that sentence)."""

    name: str  # canonical entity name
    kind: str
    start: int
    end: int
    surface: str  # the normalised form as written here ("Musk")
    role: str | None = None  # a role noun just before it ("scientist"), if any


@dataclass
class EntityIndex:
    """Entities of a text with their mentions per sentence, for source attribution."""

    entities: list[Entity]
    sentences: list[str]
    mentions: list[list[Mention]]
    aliases: dict[str, str]  # lowercase surface form -> canonical name
    roles: dict[str, set[str]] = field(default_factory=dict)  # role noun -> person names
    # Per sentence: "sentence" where capitals mark names, "title" or "upper" where they mark
    # every word, so that names are guessed from the rest of the text and known lists.
    styles: list[str] = field(default_factory=list)

    def resolve(self, name: str) -> Entity | None:
        """The entity a surface form ("Bremmer", "ELON MUSK") refers to, if any."""
        canon = self.aliases.get(_norm_surface(name).lower())
        if canon is None:
            return None
        return self._by_name().get(canon)

    def _by_name(self) -> dict[str, Entity]:
        return {e.name: e for e in self.entities}


# --------------------------------------------------------------------------- lexicons

_TITLES = lexicon("titles")
# Titles that are also common parts of names ("General Motors", "Justice Department").
_AMBIGUOUS_TITLES = lexicon("ambiguous_titles")
_END_TITLES = lexicon("end_titles")
_PORTFOLIOS = lexicon("portfolios")
_DEMONYMS = lexicon("demonyms")
_NOT_DEMONYM_NAMES = lexicon("not_demonym_names")
_ROLE_NOUNS = lexicon("role_nouns")
_ORG_SUFFIXES = lexicon("org_suffixes")
_ORG_HEADS = lexicon("org_heads")
_FOR_HEADS = lexicon("for_heads")
_PARTICLES = lexicon("particles")
# Words of today's news that the 1934 dictionary lacks ("graffiti", "website").
_NEWS_WORDS = lexicon("news_words")
_HYPHEN_PARTICLES = lexicon("hyphen_particles")
_HYPHEN_MODIFIERS = lexicon("hyphen_modifiers")
_KNOWN_ORGS = lexicon("known_orgs")
_KNOWN_ORG_PHRASES = lexicon("known_org_phrases")
_PLACES = places()
_PLACE_WORDS = frozenset(w for p in _PLACES for w in p.split())
# Listed names of several words ("Islamic State", "White House", "New York"): a Title Case
# sentence names them whatever their words' own standing.
_KNOWN_PHRASES = frozenset(p for p in _PLACES | _KNOWN_ORGS | _KNOWN_ORG_PHRASES if " " in p)
_MAX_PHRASE_WORDS = max((len(p.split()) for p in _KNOWN_PHRASES), default=1)
_MONTHS_DAYS = lexicon("months_days")
_COMMON_CAPS = lexicon("common_caps")
_FIRST_NAMES = first_names()
_CONNECTOR_THE = "the"
# Capitalised only because they open a sentence; never the first word of a name.
_SENTENCE_OPENERS = lexicon("sentence_openers")
_ACRONYMS = lexicon("acronyms")
_AND_SUFFIXES = lexicon("and_suffixes")
_IRREGULAR_VERB_FORMS = lexicon("irregular_verb_forms")

# --------------------------------------------------------------------------- tokenising

_WORD_TOKEN_RE = re.compile(r"(?:[A-Z]\.){2,}|[^\W\d_](?:[\w\u2019'&.-]*\w)?|\d[\w-]*")
_POSSESSIVE_RE = re.compile(r"(?:['\u2019]s|s['\u2019])$")
_OPEN_QUOTE_RE = re.compile(r"[\"\u201c\u2018\u00ab(\[:\u2014\u2013]\s*$")
_ALLCAPS_SENTENCE_MIN = 4
# Title Case: a capitalised function word, and this share of the longer words capitalised.
_TITLE_CASE = 0.7
# Or, with function words in lowercase, every one of at least this many longer words.
_TITLE_CASE_MIN_WORDS = 5
# Or, every word capitalised, at least this many words, one of them a common word.
_SHORT_TITLE_MIN = 3
_MAX_NAME_WORDS = 8


def _norm_surface(name: str) -> str:
    name = re.sub(r"\s+", " ", name.strip())
    name = _POSSESSIVE_RE.sub("", name) if len(name) > 3 else name
    return name


def _is_cap(word: str) -> bool:
    return word[:1].isupper()


def _is_name_word(word: str) -> bool:
    """Capitalised, or a capitalised name behind a lowercase particle ("al-Baghdadi")."""
    return _is_cap(word) or (_has_name_particle(word) and word.partition("-")[2][:1].isupper())


def _is_name_syllable(part: str) -> bool:
    """Whether the lowercase part after a name's hyphen belongs to the name ("Jong-un"),
    not to a modifier built on it ("Biden-led", "Putin-era", "Russia-installed"): a short
    part, or a longer one no dictionary lists ("Jae-myung", not "Bush-style")."""
    part = _POSSESSIVE_RE.sub("", part)
    return (
        part.isalpha()
        and (len(part) <= 4 or (len(part) <= 6 and _is_unlisted_word(part)))
        and not part.endswith(("ed", "ing"))
        and part not in _HYPHEN_MODIFIERS
    )


def _lowercase_after_hyphen(word: str) -> str | None:
    """The lowercase part a capitalised word joins by a hyphen: "un" of "Jong-un", "led" of
    "Biden-led"; None for other words."""
    head, hyphen, rest = word.partition("-")
    return rest if hyphen and head[:1].isupper() and rest[:1].islower() else None


def _has_name_syllable(word: str) -> bool:
    """A given name joined by a hyphen ("Jong-un"), written after the family name."""
    rest = _lowercase_after_hyphen(word)
    return rest is not None and _is_name_syllable(rest)


def _has_name_particle(word: str) -> bool:
    """Whether `word` is a particle and a name joined by a hyphen ("al-Baghdadi")."""
    head, hyphen, rest = word.partition("-")
    return bool(hyphen and rest) and head.lower() in _HYPHEN_PARTICLES


def _is_allcaps(word: str) -> bool:
    return len(word) >= 2 and word.isupper()


def _fix_case(words: list[str]) -> list[str]:
    """ALL-CAPS names to title case ("ELON MUSK" -> "Elon Musk"), acronyms kept ("NATO")."""
    caps = [_is_allcaps(w) for w in words]
    if not any(caps):
        return words
    all_caps_run = all(caps) and max(len(w) for w in words) >= (4 if len(words) > 1 else 5)
    out = []
    for w, c in zip(words, caps, strict=True):
        if c and all_caps_run and len(w) >= 3 and not _is_acronym(w):
            out.append("-".join(p.capitalize() for p in w.split("-")))
        else:
            out.append(w)
    return out


def _is_acronym(word: str) -> bool:
    return word.lower().strip(".") in _ACRONYMS or "." in word


@dataclass
class _Raw:
    """A candidate name found in one sentence, before aliasing."""

    words: list[str]
    start: int
    end: int
    person_cue: bool = False
    org_cue: bool = False
    role: str | None = None
    sentence_initial: bool = False


def _word_spans(sentence: str) -> list[tuple[str, int, int]]:
    return [(m.group(0), m.start(), m.end()) for m in _WORD_TOKEN_RE.finditer(sentence)]


def _sentence_style(spans: list[tuple[str, int, int]]) -> str:
    """"upper" for a shouted sentence, "title" for a Title Case one, where capitals mark
    every word and so no name; "sentence" otherwise.

    Title Case shows in capitalised function words ("Is", "With", "Out") among mostly
    capitalised words, or in every one of many longer words capitalised ("Apple Targeting
    March for Apple Watch Launch"), or in a few words all capitalised, one of them a common
    word ("Trump Fires Comey"); a sentence naming people ("Elon Musk met Vladimir Putin on
    Monday") has none of these.
    """
    letters = [w for w, _, _ in spans if not w[:1].isdigit()]
    if len(letters) >= _ALLCAPS_SENTENCE_MIN and (
        sum(_is_allcaps(w) for w in letters) >= 0.7 * len(letters)
    ):
        return "upper"
    rest = letters[1:]
    longer = [w for w in rest if len(w) > 3]
    if not longer:
        return "sentence"
    share = sum(_is_cap(w) for w in longer) / len(longer)
    function_word = any(_is_cap(w) and not _is_allcaps(w) and w.lower() in STOPWORDS for w in rest)
    if function_word:
        return "title" if share >= _TITLE_CASE else "sentence"
    content = [w for w in longer if w.lower() not in STOPWORDS]
    every = len(content) >= _TITLE_CASE_MIN_WORDS and all(_is_cap(w) for w in content)
    if every:
        return "title"
    # Fewer words, every one capitalised: a run of names alone ("Chinedu Okonkwo") holds no
    # dictionary word that no list knows as a name; a short headline does ("Trump Fires
    # Comey"). A name made of common words ("Golden State Warriors") then reads as words, as
    # it does in any Title Case headline.
    short = len(letters) >= _SHORT_TITLE_MIN and all(_is_cap(w) for w in letters) and any(
        _is_dictionary_word(w.lower()) and not _is_known_word(w.lower()) for w in rest
    )
    return "title" if short else "sentence"


@dataclass(frozen=True)
class _Casing:
    """How the text's sentence-case sentences write words away from a sentence start:
    lowercase forms of those seen capitalised there, and of every word seen there."""

    midcaps: frozenset[str]
    seen: frozenset[str]


def _read_casing(
    sentences: list[str], all_spans: list[list[tuple[str, int, int]]], styles: list[str]
) -> _Casing:
    midcaps: set[str] = set()
    seen: set[str] = set()
    for s, spans, style in zip(sentences, all_spans, styles, strict=True):
        if style != "sentence":
            continue
        for i, (w, a, _b) in enumerate(spans):
            if i == 0 or _OPEN_QUOTE_RE.search(s[max(0, a - 3) : a]):
                continue  # capitalised there whatever it is
            low = _POSSESSIVE_RE.sub("", w).lower()
            seen.add(low)
            if _is_name_word(w):
                midcaps.add(low)
    return _Casing(frozenset(midcaps), frozenset(seen))


def _is_known_word(low: str) -> bool:
    """Whether a word reads as (part of) a name whatever its case: a listed given name, place,
    organisation, title or outlet, or a word no dictionary lists ("Putin", "Bergdahl")."""
    return (
        low in _PLACE_WORDS
        or low in _KNOWN_ORGS
        or low in _FIRST_NAMES
        or low in _TITLES
        or known_outlet(low) is not None
        or _is_unlisted_word(low)
    )


# Endings that make a word a form of a dictionary headword, and what replaces them:
# "claims" -> "claim", "parties" -> "party", "earlier" -> "early", "rankings" -> "ranking"
# -> "rank".
_INFLECTIONS = (
    ("ies", "y"), ("ied", "y"), ("ier", "y"), ("iest", "y"), ("ily", "y"), ("es", ""),
    ("s", ""), ("ed", ""), ("ed", "e"), ("d", ""), ("ing", ""), ("ing", "e"), ("er", ""),
    ("er", "e"), ("ers", ""), ("est", ""), ("est", "e"), ("ly", ""),
)
# British spellings of the dictionary's American words: "colour", "criticise",
# "organisation", "centre", "anaesthetic".
_BRITISH_SPELLINGS = (
    (re.compile(r"our"), "or"),
    (re.compile(r"is(e|es|ation|ations)$"), r"iz\1"),
    (re.compile(r"([^aeiou])re$"), r"\1er"),
    (re.compile(r"ae"), "e"),
)


def _is_listed(low: str) -> bool:
    """Whether the dictionary lists `low` as written or in its American spelling, or news
    prose writes it as a common word (`analysis.news_words`)."""
    words = english_words()
    return (
        low in words
        or low in _NEWS_WORDS
        or low in _IRREGULAR_VERB_FORMS
        or any(
            pattern.search(low) and pattern.sub(american, low) in words
            for pattern, american in _BRITISH_SPELLINGS
        )
    )


def _is_dictionary_word(low: str, depth: int = 2) -> bool:
    """Whether `low` is a common English word or a form of one ("kidnapped", "rankings")."""
    if _is_listed(low):
        return True
    if depth == 0:
        return False
    for suffix, base in _INFLECTIONS:
        stem = low[: -len(suffix)]
        if not low.endswith(suffix) or len(stem) < 3:
            continue
        if _is_dictionary_word(stem + base, depth - 1):
            return True
        if not base and stem[-1] == stem[-2] and _is_dictionary_word(stem[:-1], depth - 1):
            return True  # a doubled consonant: "kidnapped", "stopping"
    return False


def _is_word_given_name(low: str) -> bool:
    """A given name that the dictionary also lists, and no other list knows ("go", "hope",
    "heaven"): where capitals say nothing, it is a name only beside another name."""
    return (
        low in _FIRST_NAMES
        and _is_dictionary_word(low)
        and not (low in _PLACE_WORDS or low in _KNOWN_ORGS or low in _TITLES)
        and known_outlet(low) is None
    )


def _is_unlisted_word(low: str) -> bool:
    """A word of three letters or more that no dictionary writes in lowercase, nor a form of
    one: in a Title Case or shouted headline, or opening a sentence, it is a name."""
    return len(low) >= 3 and low.isalpha() and not _is_dictionary_word(low)


def _caseless_runs(
    sentence: str, spans: list[tuple[str, int, int]], casing: _Casing, style: str
) -> list[_Raw]:
    """Names in a Title Case or shouted sentence, where capitals say nothing.

    A word the text's other sentences write is a name where they capitalise it mid-sentence
    ("Bettman", not "plan"). A word they do not write is a name when it is a known one
    (given names, places, organisations, outlets), an acronym, or the word after a lone
    given name (its surname: "Christian Bale", not "Christian Bale Pulls"). A claim typed
    alone in Title Case keeps only those, not "Spoke To Putin Before Posting".
    """
    out: list[_Raw] = []
    run: list[int] = []
    listed = _listed_phrase_words(sentence, spans)

    def close() -> None:
        if len(run) == 1 and _is_word_given_name(_POSSESSIVE_RE.sub("", spans[run[0]][0]).lower()):
            run.clear()  # "Go To Heaven", "Hope For Peace": alone, such a given name is a word
        if run:
            words = _fix_case([_POSSESSIVE_RE.sub("", spans[k][0]) for k in run])
            raw = _Raw(words=words, start=spans[run[0]][1], end=spans[run[-1]][2])
            out.extend(_refine(raw, sentence, casing.midcaps))
            run.clear()

    for k, (w, a, _b) in enumerate(spans):
        low = _POSSESSIVE_RE.sub("", w).lower()
        adjacent = bool(run) and sentence[spans[run[-1]][2] : a] == " "  # not after a comma
        if k in listed:
            name = True
        elif low in STOPWORDS or w[:1].isdigit():
            name = False
        elif low in casing.seen:
            name = low in casing.midcaps
        else:  # a lone given name's surname follows it after a space
            given = spans[run[0]][0] if len(run) == 1 and adjacent else ""
            name = (
                _is_known_word(low)
                or _has_name_particle(low)
                or (given.lower() in _FIRST_NAMES and not (style == "title" and given.isupper()))
                or (style == "title" and _is_allcaps(w))
                or (style == "upper" and low.strip(".") in _ACRONYMS)
            )
        if run and (not name or not adjacent):
            close()
        if name:
            run.append(k)
    close()
    return out


def _listed_phrase_words(sentence: str, spans: list[tuple[str, int, int]]) -> set[int]:
    """Positions of the words that spell a listed name of several words, longest first."""
    lows = [_POSSESSIVE_RE.sub("", w).lower() for w, _, _ in spans]
    inside: set[int] = set()
    for k in range(len(spans)):
        for end in range(min(len(spans), k + _MAX_PHRASE_WORDS), k + 1, -1):
            spaced = all(sentence[spans[j][2] : spans[j + 1][1]] == " " for j in range(k, end - 1))
            if spaced and " ".join(lows[k:end]) in _KNOWN_PHRASES:
                inside.update(range(k, end))
                break
    return inside


def _runs(
    sentence: str, spans: list[tuple[str, int, int]], midcaps: Collection[str]
) -> list[_Raw]:
    """Capitalised word runs of one sentence, split at punctuation, possessives, hyphens."""
    out: list[_Raw] = []
    i, n = 0, len(spans)
    while i < n:
        w, a, b = spans[i]
        if not _is_name_word(w):
            i += 1
            continue
        words: list[str] = []
        start, end = a, b
        initial = i == 0 or bool(_OPEN_QUOTE_RE.search(sentence[max(0, a - 3) : a]))
        j = i
        while j < n:
            w, a2, b2 = spans[j]
            # "Russia-installed", "Joe Biden-led" end the name; "Kim Jong-un" is one name.
            if _lowercase_after_hyphen(w) is not None and not (words and _has_name_syllable(w)):
                head = w.partition("-")[0]
                words.append(head)
                end = a2 + len(head)
                j += 1
                break
            poss = bool(_POSSESSIVE_RE.search(w)) and len(w) > 3
            words.append(_POSSESSIVE_RE.sub("", w) if poss else w)
            end = b2 - (2 if poss else 0)
            j += 1
            if poss or j >= n:
                break
            gap = sentence[b2 : spans[j][1]]
            nxt = spans[j][0]
            if gap == " " and _is_name_word(nxt):
                continue
            if gap == ". " and len(w) == 1 and w.isupper() and _is_cap(nxt) and words:
                words[-1] = w + "."  # an initial: "Robert M. Danin"
                continue
            if gap == " " and nxt == "and" and _and_joins(words, spans, j, sentence):
                continue
            if gap == " " and nxt == "&" and j + 1 < n:
                continue
            low_prev = words[-1].lower()
            if gap == " " and j + 1 < n and sentence[spans[j][2] : spans[j + 1][1]] == " ":
                after = spans[j + 1][0]
                nl = nxt.lower()
                if _is_cap(after) and (
                    nl in _PARTICLES
                    or (nl == "of" and low_prev in _ORG_HEADS | _TITLES)
                    or (nl == "for" and low_prev in _FOR_HEADS)
                ):
                    words.append(nxt)
                    j += 1
                    continue
                if (
                    nl == "of"
                    and after == _CONNECTOR_THE
                    and low_prev in _ORG_HEADS | _TITLES
                    and j + 2 < n
                    and _is_cap(spans[j + 2][0])
                ):
                    words.extend([nxt, after])
                    j += 2
                    continue
            break
        if words and words[-1] == "&":
            words.pop()
        if len(words) <= _MAX_NAME_WORDS:  # longer runs are title-case headlines, not names
            raw = _Raw(words=words, start=start, end=end, sentence_initial=initial)
            out.extend(_refine(raw, sentence, midcaps))
        i = j
    return out


def _and_joins(words: list[str], spans: list[tuple[str, int, int]], j: int, sentence: str) -> bool:
    """ "and" inside an institution's name: "World Travel and Tourism Council"."""
    left = " ".join(words).lower()
    if (
        left in _PLACES
        or known_outlet(left)
        or left in _KNOWN_ORGS
        or words[0].lower() in (_FIRST_NAMES)
    ):
        return False
    k = j + 1
    last = None
    while (
        k < len(spans) and _is_cap(spans[k][0]) and sentence[spans[k - 1][2] : spans[k][1]] == " "
    ):
        last = spans[k][0]
        k += 1
    return last is not None and last.lower() in _AND_SUFFIXES


def _is_caps_place(word: str) -> bool:
    """ "US" in capitals is the country, not the pronoun."""
    return _is_allcaps(word) and word.lower() in _PLACE_WORDS


def _refine(raw: _Raw, sentence: str, midcaps: Collection[str]) -> list[_Raw]:
    """Drop unsupported sentence-initial words, strip titles, split place prefixes."""
    words = list(raw.words)
    start = raw.start
    offs = []
    pos = raw.start
    for w in words:  # character offsets of each word in the sentence
        k = sentence.find(w, pos)
        if k < 0:
            k = pos
        offs.append(k)
        pos = k + len(w)

    def drop_first() -> None:
        nonlocal start
        words.pop(0)
        offs.pop(0)
        if offs:
            start = offs[0]

    # Leading stopwords ("The", "According"), months and days never start a name.
    while words and (
        (words[0].lower() in STOPWORDS and not _is_caps_place(words[0]))
        or words[0].lower() in _MONTHS_DAYS
        or words[0] == "and"
    ):
        if (
            len(words) > 1
            and words[0].lower() == "the"
            and known_outlet(" ".join(words), context=outlet_context(sentence, start, raw.end))
        ):
            break
        drop_first()
    if words and raw.sentence_initial and offs and offs[0] == raw.start:
        low = words[0].lower()
        name_like = (
            len(words) >= 2
            and low not in _SENTENCE_OPENERS
            and not low.endswith(("ed", "ing", "ly"))
            and not words[1][:1].isdigit()
        )
        if (
            low not in midcaps
            and not _is_known_word(low)
            and not _is_allcaps(words[0])
            and not name_like
        ):
            drop_first()
    while words and (words[-1].lower() in _MONTHS_DAYS or words[-1].lower() in STOPWORDS):
        words.pop()
        offs.pop()
    if not words:
        return []

    prefix: list[str] = []
    lows = [w.lower() for w in words]
    last_title = -1
    for k, lw in enumerate(lows):
        if lw in _TITLES:
            if k == len(lows) - 1:
                if lw in _END_TITLES and k > 0:
                    last_title = k
                continue
            if lw in _AMBIGUOUS_TITLES and k == 0 and len(lows) == 2:
                nxt = lows[k + 1]
                if nxt in _ORG_SUFFIXES or nxt in _PLACE_WORDS:
                    continue
            if lows[k + 1] in _ORG_SUFFIXES and k + 2 == len(lows):
                continue  # "Vice News", "General Motors"
            last_title = k
    if last_title >= 0:
        prefix = [w for w in words[:last_title] if w.lower() not in _TITLES]
        k = last_title + 1
        of_org = False  # "CEO of Vidyard": what follows "of" is the employer, not a person
        while k < len(words) and lows[k] in ("of", "the"):
            k += 1
            k0 = k
            while k < len(words) and (lows[k] in _PORTFOLIOS or lows[k] == "the"):
                k += 1
            if k == k0 or all(w == "the" for w in lows[k0:k]):
                of_org = True
                break
        rest_words, rest_offs = words[k:], offs[k:]
        while rest_words and rest_words[0].lower() in _TITLES:
            rest_words, rest_offs = rest_words[1:], rest_offs[1:]
        out: list[_Raw] = []
        pre = [w for w in prefix if w.lower() not in _DEMONYMS and w.lower() not in STOPWORDS]
        if pre and pre == prefix:
            out.append(
                _Raw(words=prefix, start=offs[0], end=offs[0] + len(" ".join(prefix)), org_cue=True)
            )
        if rest_words:
            out.append(
                _Raw(
                    words=rest_words,
                    start=rest_offs[0],
                    end=raw.end,
                    person_cue=not of_org,
                    org_cue=of_org,
                )
            )
        return _with_roles(out, sentence)

    # "ambassador to Germany Jane Doe": a place glued to a following name.
    for k in range(min(3, len(words) - 2), 0, -1):
        head = " ".join(lows[:k])
        tail = lows[k:]
        if (
            head in _PLACES
            and len(tail) >= 2
            and tail[-1] not in _ORG_SUFFIXES
            and tail[0] not in STOPWORDS
        ):
            return _with_roles(
                [
                    _Raw(words=words[:k], start=offs[0], end=offs[k - 1] + len(words[k - 1])),
                    _Raw(words=words[k:], start=offs[k], end=raw.end),
                ],
                sentence,
            )
    return _with_roles([_Raw(words=words, start=start, end=raw.end)], sentence)


_ROLE_BEFORE_RE = re.compile(r"([a-z][\w-]*)\s*,?\s*$")


_SPEECH_AFTER_RE = re.compile(r"\s+(?:said|says|told|added|recalled|explained|tweeted)\b")
_SPEECH_BEFORE_RE = re.compile(r"[,\"\u201d]\s*(?:said|says|added|recalled|explained)\s+$")


def _with_roles(raws: list[_Raw], sentence: str) -> list[_Raw]:
    for r in raws:
        m = _ROLE_BEFORE_RE.search(sentence[max(0, r.start - 30) : r.start])
        if m and m.group(1) in _ROLE_NOUNS:
            r.role = m.group(1)
            r.person_cue = True
    return raws


# --------------------------------------------------------------------------- kinds


# A capital inside one word marks a brand; surname prefixes ("McCarthy", "DeSantis") do not.
_CAMEL_CASE_RE = re.compile(r"^(?!(?:Mc|Mac|De|Di|Da|Du|La|Le|Van|Von)[A-Z])[A-Z][a-z]+[A-Z]")


def _guess_kind(name: str, person_votes: int, org_votes: int) -> str:
    low = name.lower()
    words = low.split()
    if (
        is_outlet_name(name)
        or known_outlet(name, context=False)
        or low in _KNOWN_ORGS
        or low in _KNOWN_ORG_PHRASES
    ):
        return "organisation"
    if low in _PLACES:
        return "place"
    if (
        words[-1] in _ORG_SUFFIXES
        or words[0] in _ORG_HEADS - _TITLES
        or (len(words) > 2 and any(w in _AND_SUFFIXES for w in words))
    ):
        return "organisation"
    if org_votes > person_votes:
        return "organisation"
    if words[0] in _DEMONYMS and len(words) > 1:
        return "other"  # "Tunisian Islamists"
    if len(words) == 1 and _CAMEL_CASE_RE.match(name) and not person_votes:
        return "organisation"  # brands: "SpaceX", "OpenAI", "YouTube"
    if len(words) == 1 and _is_allcaps(name):
        return "organisation" if person_votes else "other"  # acronyms: "CDC said"
    if person_votes or (words[0] in _FIRST_NAMES and 2 <= len(words) <= 4):
        return "person"
    return "other"


# --------------------------------------------------------------------------- aliasing


def _initials(words: list[str]) -> str:
    return "".join(w[0] for w in words if w[:1].isupper())


class _AliasIndex:
    """The longer names a short form may stand for, indexed by the words that must match,
    so finding every short form's target costs time linear in the names, not quadratic."""

    def __init__(self, longs: list[tuple[str, str]]) -> None:
        self._by_key: dict[tuple[str, tuple[str, ...]], set[str]] = defaultdict(set)
        for name, kind in longs:
            words = name.split()
            lw = tuple(w.lower() for w in words)
            if kind == "person":  # "Musk" or "Elon Musk" -> "Tesla's Elon Musk" ...
                for k in range(1, len(lw)):
                    self._by_key["suffix", lw[-k:]].add(name)
                if len(lw) >= 2 and _has_name_syllable(words[-1]):
                    self._by_key["surname", lw[:1]].add(name)  # "Kim" -> "Kim Jong-un"
            elif kind == "other":
                if (
                    2 <= len(lw) <= 3
                    and not any(w in _PLACE_WORDS or w in _COMMON_CAPS for w in lw)
                    and all(w[:1].isupper() and w[:1].isalpha() for w in words)
                ):
                    self._by_key["surname", lw[-1:]].add(name)  # "Doe" -> "Jane Doe"
            elif kind == "organisation":
                for k in range(len(lw) - 1, 0, -1):  # "Acme" -> "Acme Corp"
                    if not all(w in _ORG_SUFFIXES for w in lw[k:]):
                        break
                    self._by_key["prefix", lw[:k]].add(name)
                if len(lw) >= 2:
                    self._by_key["initials", (_initials(words),)].add(name)  # "UN"

    def target(self, short: str) -> str | None:
        """The one longer name `short` stands for ("Musk" -> "Elon Musk"), else None."""
        sw = short.split()
        slow = tuple(w.lower() for w in sw)
        if short.lower() in _PLACES:
            return None
        targets = self._by_key.get(("suffix", slow), set()) | self._by_key.get(
            ("prefix", slow), set()
        )
        if len(slow) == 1:
            targets = targets | self._by_key.get(("surname", slow), set())
            if _is_allcaps(sw[0]):
                targets = targets | self._by_key.get(("initials", (sw[0],)), set())
        return next(iter(targets)) if len(targets) == 1 else None


def analyse_entities(text: str) -> EntityIndex:
    """Find entities and their mentions in `text`, sentence by sentence."""
    sentences = split_sentences(text)
    all_spans = [_word_spans(s) for s in sentences]
    styles = [_sentence_style(spans) for spans in all_spans]
    casing = _read_casing(sentences, all_spans, styles)
    per_sentence: list[list[_Raw]] = []
    counts: Counter[str] = Counter()
    forms: dict[str, Counter[str]] = defaultdict(Counter)
    person_votes: Counter[str] = Counter()
    org_votes: Counter[str] = Counter()
    for s, spans, style in zip(sentences, all_spans, styles, strict=True):
        raws = []
        found = (_runs(s, spans, casing.midcaps) if style == "sentence"
                 else _caseless_runs(s, spans, casing, style))
        for r in found:
            words = _fix_case(r.words)
            name = " ".join(words)
            low = name.lower()
            if (
                not name
                or low in STOPWORDS
                or low in _COMMON_CAPS
                or low in _MONTHS_DAYS
                or (low in _TITLES and not known_outlet(name))
                or low in _DEMONYMS - _NOT_DEMONYM_NAMES
                or (low.endswith("s") and low[:-1] in _DEMONYMS)
                or len(name) < 2
                or not any(c.isalpha() for c in name)
            ):
                continue
            canon_outlet = known_outlet(name, context=outlet_context(s, r.start, r.end))
            if canon_outlet and (len(words) > 1 or words[0][:1].isupper()):
                name, low = canon_outlet, canon_outlet.lower()
                r.org_cue = True
            elif words[0].lower() == "the" and len(words) > 1:
                name = " ".join(words[1:])
                low = name.lower()
            r.words = name.split()
            counts[low] += 1
            forms[low][name] += 1
            person_votes[low] += (
                r.person_cue
                or bool(
                    not r.org_cue
                    and len(r.words) >= 2  # "Vidyard said": a company speaks too
                    and (_SPEECH_AFTER_RE.match(s, r.end) or _SPEECH_BEFORE_RE.search(s[: r.start]))
                )
            )
            org_votes[low] += r.org_cue
            raws.append(r)
        per_sentence.append(raws)

    display = {low: forms[low].most_common(1)[0][0] for low in counts}
    kinds = {low: _guess_kind(display[low], person_votes[low], org_votes[low]) for low in counts}

    # Merge short forms into the one longer name they stand for.
    aliases_of = _AliasIndex([(display[k], kinds[k]) for k in counts])
    alias: dict[str, str] = {}
    for low in counts:
        target = aliases_of.target(display[low])
        alias[low] = target.lower() if target else low
    for low in list(alias):  # follow chains
        seen = {low}
        while alias[alias[low]] != alias[low] and alias[low] not in seen:
            seen.add(alias[low])
            alias[low] = alias[alias[low]]

    totals: Counter[str] = Counter()
    first_seen: dict[str, int] = {}
    order = 0
    for raws in per_sentence:
        for r in raws:
            canon = alias[" ".join(r.words).lower()]
            totals[canon] += 1
            first_seen.setdefault(canon, order)
            order += 1
    members_of: dict[str, list[str]] = defaultdict(list)
    for low, canon in alias.items():
        members_of[canon].append(low)
    canon_kind: dict[str, str] = {}
    for canon in totals:
        members = members_of[canon]
        pv = sum(person_votes[m] for m in members)
        if len(display[canon].split()) >= 2:  # people are named by surname alone later on
            pv += sum(counts[m] for m in members if m != canon and len(m.split()) == 1)
        ov = sum(org_votes[m] for m in members)
        canon_kind[canon] = _guess_kind(display[canon], pv, ov)
    entities = [
        Entity(name=display[c], kind=canon_kind[c], count=totals[c])
        for c in sorted(totals, key=lambda c: (-totals[c], first_seen[c]))
    ]

    mentions: list[list[Mention]] = []
    roles: dict[str, set[str]] = defaultdict(set)
    for raws in per_sentence:
        ms = []
        for r in raws:
            surface = " ".join(r.words)
            canon = alias[surface.lower()]
            ms.append(
                Mention(
                    name=display[canon],
                    kind=canon_kind[canon],
                    start=r.start,
                    end=r.end,
                    surface=surface,
                    role=r.role,
                )
            )
            if r.role and canon_kind[canon] == "person":
                roles[r.role].add(display[canon])
        mentions.append(ms)
    aliases = {low: display[canon] for low, canon in alias.items()}
    return EntityIndex(
        entities=entities,
        sentences=sentences,
        mentions=mentions,
        aliases=aliases,
        roles=dict(roles),
        styles=styles,
    )


def extract_entities(text: str) -> list[Entity]:
    """Named people, organisations and places in `text`, most mentioned first."""
    return analyse_entities(text).entities


def entity_keys(text: str) -> set[str]:
    """Lowercase canonical entity names, for matching stories by shared entities."""
    return {e.name.lower() for e in extract_entities(text)}
