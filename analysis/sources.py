"""Cited primary sources: who an article says its information comes from.

A newsroom wants to know when a story gains a new origin ("The New Yorker, citing sources",
"Kahl recalls"), so sources are read from attribution patterns around named entities
("according to X", "X said", "X of Y wrote", "citing X", "outlets including X and Y"), with
names resolved through `analysis.entities` (so "Bremmer" is "Ian Bremmer") and outlets
through `analysis.outlets`. Text is cleaned first, so teaser blocks and page furniture never
yield sources; generic phrases ("sources", "the publication") are dropped, and a descriptive
phrase ("a famous political scientist") counts only when it points at one named person.
"""

from __future__ import annotations

import re

from analysis.entities import EntityIndex, Mention, analyse_entities
from analysis.judgments import CitedSource
from analysis.lexicons import alternation, lexicon
from analysis.outlets import is_outlet_name, known_outlet, outlet_key
from analysis.text import STOPWORDS, clean_article_text, split_sentences

__all__ = ["find_sources"]


_VERBS = (
    alternation("reporting_verbs") + r"|made (?:the|this|these|a|similar) "
    r"(?:statement|statements|claim|claims|allegation|allegations|remarks?|comments?|report)"
)
_ADVERBS = alternation("attribution_adverbs")
# Text right after a name: "X said", "X, head of Y, said", "X, who told", "X (AP) reported".
_AFTER_RE = re.compile(
    r"^(?:\s*\([^)]{1,60}\))?"
    r"(?:\s*,\s*(?:who|which)|\s*,\s*(?:the |a |an |however|head |chief |founder |now |"
    r"former |(?-i:[a-z]))[^,;.!?\"\u201c\u201d]{0,80},)?"
    rf"\s+(?:(?:{_ADVERBS})\s+){{0,3}}(?P<verb>{_VERBS})\b",
    re.IGNORECASE,
)
# Verbs of saying used for acts, not information: "told Musk to ...", "tweeted a poll".
_TOLD_TO_RE = re.compile(r"\s+(?:\w+\s+){1,2}to\s+(?!be\b)[\w\"\u201c]", re.IGNORECASE)
_POSTED_THING_RE = re.compile(
    r"\s+(?:a|an|the|his|her|their)\s+(?:\w+\s+)?(?:poll|photo|photograph|picture|image|video|"
    r"meme|link|gif|selfie|clip|emoji)s?\b",
    re.IGNORECASE,
)
_AFTER_CITING_RE = re.compile(r"^\s*,\s*citing\b", re.IGNORECASE)
_AFTER_POSSESSIVE_RE = re.compile(
    r"^['\u2019]s?\s+(?:[\w-]+\s+){0,2}?(?:message|statement|report|newsletter|note|letter|email|"
    r"e-mail|tweet|post|article|story|analysis|memo|blog|research|study|survey|spokesman|"
    r"spokeswoman|spokesperson|representative|office|website|account|mailout|mailing)\s+"
    r"(?:\w+\s+)?(?:said|says|states|stated|reported|reports|claims|claimed|read|reads|noted|"
    r"notes|revealed|showed|shows|suggests|suggested)\b",
    re.IGNORECASE,
)
_DESC = r"(?:(?:the|a|an)\s+)?(?:[\w.\u2019'-]+\s+){0,5}?"
# Text right before a name: "according to X", "citing noted political scientist X".
_BEFORE_RE = re.compile(
    r"(?:\baccording to|\bciting|\bcited by|\bquoted by|\breported by|\bconfirmed by|"
    r"\bpublished by|\brevealed by|\breports? (?:by|from)|\barticles? (?:by|in|from)|"
    r"\bstatement (?:by|from)|\bin (?:a|an|the) (?:\w+ )?(?:interview|statement|report|"
    r"post|tweet|newsletter) (?:by|from)|\bwas (?:first )?reported (?:by|in)|"
    r"[,\"\u201d\u2019]\s*(?:said|says|added|wrote|explained|noted|continued|recalled|tweeted|"
    r"argued|warned|insisted))\s+"
    rf"(?P<desc>{_DESC})$",
    re.IGNORECASE,
)
# "in a mailout sent to X subscribers", "an e-mail ... to members of the X".
_MAIL_BEFORE_RE = re.compile(
    r"\b(?:mailout|mailing|newsletter|e-?mail|note|memo|letter|message|briefing|bulletin)s?"
    r"\b[^.;]{0,80}?\b(?:to|for)\s+(?:(?:members|subscribers|clients|customers|readers) of\s+)?"
    r"(?:the\s+)?$",
    re.IGNORECASE,
)
_MAIL_HINTS = re.compile(r"mail|letter|note|memo|message|briefing|bulletin")
_MAIL_AFTER_RE = re.compile(
    r"^\s+(?:subscribers|clients|members|readers|customers)\b", re.IGNORECASE
)
# "several media outlets ... including X and Y".
_INCLUDING_BEFORE_RE = re.compile(
    r"\b(?:outlets?|media|publications?|newspapers?|news (?:sites?|organi[sz]ations?)|"
    r"websites?|broadcasters?|agencies|reports?|papers?)\b[^.;]{0,100}?\bincluding\s+$",
    re.IGNORECASE,
)
_LIST_GAP_RE = re.compile(r"^\s*(?:,|and|&|, and|as well as)\s*(?:the\s+)?$", re.IGNORECASE)
_OF_GAP_RE = re.compile(r"^\s+(?:of|at|from|with)\s+(?:the\s+)?$", re.IGNORECASE)

_ROLE_SUBJECT_RE = re.compile(
    r"\b(?:the|a|an)\s+((?:[\w-]+\s+){0,4}?)(?P<role>[a-z]+)"
    rf"\s+(?:(?:{_ADVERBS})\s+){{0,2}}(?:{_VERBS})\b"
)
_ROLE_AFTER_ACCORDING_RE = re.compile(
    r"\b(?:[Aa]ccording to|[Cc]iting)\s+(?:the|a|an)\s+(?P<np>(?:[a-z][\w-]*\s+){0,4}[a-z][\w-]*)"
)


_GENERIC = lexicon("generic_sources")
_OUTLET_SUFFIXES = lexicon("outlet_suffixes")


def _kind(m: Mention) -> str:
    if is_outlet_name(m.name) or known_outlet(m.name, context=False):
        return "outlet"
    if m.kind == "person":
        return "person"
    if m.name.lower().split()[-1] in _OUTLET_SUFFIXES:
        return "outlet"
    return "organisation"


def _desc_ok(desc: str) -> bool:
    """Words between "according to" and a name may describe it, not start a new clause."""
    for w in desc.split():
        lw = w.lower()
        if lw in ("the", "a", "an"):
            continue
        if lw in STOPWORDS:
            return False
    return True


def _attributed(sentence: str, ms: list[Mention]) -> dict[int, str | None]:
    """Mentions of one sentence that it cites as a source: index -> kind override."""
    hits: list[int] = []
    people: set[int] = set()
    for i, m in enumerate(ms):
        offset = max(0, m.start - 90)
        before = sentence[offset : m.start]
        wide = sentence[max(0, m.start - 160) : m.start]
        after = sentence[m.end :]
        if _cited_here(sentence, ms, i, offset, before, wide, after):
            hits.append(i)
    # Lists ("including Vice and Business Insider") and "X of Y wrote" (both are sources).
    changed = True
    while changed:
        changed = False
        for i in range(len(ms) - 1):
            gap = sentence[ms[i].end : ms[i + 1].start]
            if (
                i in hits
                and (i + 1) not in hits
                and _LIST_GAP_RE.match(gap)
                and _list_continues(sentence, ms, i)
            ):
                hits.append(i + 1)
                changed = True
            if (
                (i + 1) in hits
                and i not in hits
                and _OF_GAP_RE.match(gap)
                and ms[i].kind in ("person", "other")
            ):
                hits.append(i)
                people.add(i)  # "Jane Doe of Acme Corp wrote": a person of an organisation
                changed = True
    return {i: ("person" if i in people else None) for i in sorted(set(hits))}


def _not_attribution(verb: str, after: str, pos: int) -> bool:
    """Verbs of saying used for acts, not information: "told Musk to ...", "tweeted a poll"."""
    if verb in ("told", "tells"):
        return bool(_TOLD_TO_RE.match(after, pos))
    if verb in ("tweeted", "posted", "tweets", "posts"):
        return bool(_POSTED_THING_RE.match(after, pos))
    return False


def _cited_here(
    sentence: str, ms: list[Mention], i: int, offset: int, before: str, wide: str, after: str
) -> bool:
    """Whether the words around mention i attribute information to it."""
    a = _AFTER_RE.match(after)
    if a and not _not_attribution(a.group("verb").lower(), after, a.end()):
        return True
    if _AFTER_CITING_RE.match(after) or _AFTER_POSSESSIVE_RE.match(after):
        return True
    b = _BEFORE_RE.search(before)
    if b and _desc_ok(b.group("desc")) and not _mention_inside(ms, i, offset + b.start()):
        return True
    wide_low = wide.lower()
    if (
        _MAIL_HINTS.search(wide_low)
        and _MAIL_BEFORE_RE.search(wide)
        and (_MAIL_AFTER_RE.match(after) or re.search(r"\bmembers of\s+(?:the\s+)?$", before))
    ):
        return True
    return "including" in wide_low and bool(_INCLUDING_BEFORE_RE.search(wide))


def _list_continues(sentence: str, ms: list[Mention], i: int) -> bool:
    """A comma joins names only inside a list that ends in "and" ("X, Y and Z")."""
    for k in range(i, len(ms) - 1):
        gap = sentence[ms[k].end : ms[k + 1].start].lower()
        gap = re.sub(r"\s+the\s*$", "", gap).strip()
        if gap in ("and", "&", ", and", "as well as"):
            return True
        if gap != ",":
            return False
    return False


def _mention_inside(ms: list[Mention], i: int, pos: int) -> bool:
    """True when another name sits between an attribution cue and mention i."""
    return any(j != i and pos <= m.start < ms[i].start for j, m in enumerate(ms))


def _role_sources(sentence: str, index: EntityIndex) -> list[str]:
    """Descriptive subjects ("the political scientist claimed") naming one known person."""
    out = []
    roles = [m.group("role") for m in _ROLE_SUBJECT_RE.finditer(sentence)]
    for m in _ROLE_AFTER_ACCORDING_RE.finditer(sentence):
        for word in m.group("np").split():  # "the famous political scientist, ..."
            if word in STOPWORDS:
                break
            if word in index.roles:
                roles.append(word)
                break
    for role in roles:
        people = index.roles.get(role, set())
        if len(people) == 1:
            out.append(next(iter(people)))
    return out


def _title_sources(title: str) -> list[str]:
    """Headline attributions: "Vice: ..." and "... - The New Yorker"."""
    out = []
    m = re.match(r"^\s*([^:]{2,40}):\s", title)
    if m and known_outlet(m.group(1)):
        out.append(known_outlet(m.group(1)) or "")
    m = re.search(r"\s[-\u2013\u2014|]\s+([^-\u2013\u2014|]{2,40})\s*$", title)
    if m and known_outlet(m.group(1)):
        out.append(known_outlet(m.group(1)) or "")
    return [o for o in out if o]


def _entities_of(cleaned: str, given: EntityIndex | None) -> tuple[EntityIndex, int]:
    """The entities of the text, and how many sentences before its own they start with:
    the caller's, when they end with the text's sentences, else the text read now."""
    if given is not None:
        first = len(given.sentences) - len(sentences := split_sentences(cleaned))
        if first >= 0 and given.sentences[first:] == sentences:
            return given, first
    return analyse_entities(cleaned), 0


def find_sources(
    text: str,
    *,
    title: str | None = None,
    outlet: str | None = None,
    entities: EntityIndex | None = None,
) -> list[CitedSource]:
    """Primary sources the article cites, each with the sentence that cites it.

    Named citations come in order of first citation, then people found only through a
    description ("according to a famous political scientist").

    `outlet` is the article's own publisher; it is never its own source ("As OBOZREVATEL
    previously reported"). The title is used only for headline attributions to known
    outlets ("Vice: ...", "... - The New Yorker"). `entities`, when the caller has read
    them, are those of the text, perhaps after a line of its own (the headline's claim,
    whose names then help tell people from organisations); the text is not read again.
    """
    cleaned = clean_article_text(text, title=title)
    index, first = _entities_of(cleaned, entities)
    own = outlet_key(known_outlet(outlet) or outlet) if outlet else None
    found: dict[str, CitedSource] = {}

    def add(name: str, kind: str, sentence: str) -> None:
        key = name.lower()
        if key in _GENERIC or len(name) < 2 or not name[:1].isupper():
            return
        okey = outlet_key(known_outlet(name) or name)
        if own and okey == own:
            return
        if key not in found:
            found[key] = CitedSource(name=name, kind=kind, sentence=sentence)

    described: list[tuple[str, str]] = []
    for sentence, ms in zip(index.sentences[first:], index.mentions[first:], strict=True):
        for i, forced in _attributed(sentence, ms).items():
            m = ms[i]
            if m.kind == "place" and not re.match(
                r"^\s+(?:said|says|claimed|claims)\b", sentence[m.end :]
            ):
                continue  # "according to which Ukraine ..."; a capital speaking is kept
            add(m.name, forced or _kind(m), sentence)
        described.extend((name, sentence) for name in _role_sources(sentence, index))
    # A named citation is better evidence than a description, so descriptions come last.
    for name, sentence in described:
        add(name, "person", sentence)
    if title:
        for name in _title_sources(title):
            add(name, "outlet", title)
    return list(found.values())
