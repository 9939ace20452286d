"""Outlet names: one spelling per publisher, so stories and alerts count outlets once.

Feeds, extractors and article text spell publishers many ways ("The U.S Sun", "THE US SUN",
"edition.cnn.com"); `normalise_outlet` maps them to one display name through the alias table
of well-known outlets in `lexicons/outlets.txt` plus generic rules for the rest. Some
outlets are named by a common word ("The Atlantic", "The Sun"), so in running text such a
word names the outlet only in a context that says so (`outlet_context`).
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
from functools import lru_cache
from urllib.parse import urlsplit

from courlan import extract_domain

from analysis.lexicons import alternation, english_words, lines

__all__ = [
    "is_outlet_name",
    "known_outlet",
    "normalise_outlet",
    "outlet_context",
    "outlet_from_url",
    "outlet_key",
]

_TLDS = (".com", ".co.uk", ".org", ".net", ".news", ".co", ".io")
# Host labels this short that no dictionary lists are read as acronyms ("upi", "cnet").
_ACRONYM_LABEL = 4
# Unless they are said as a word: consonant, vowel, consonant ("vox", "mic").
_SAYABLE_RE = re.compile(r"^[^aeiou][aeiou][^aeiouy]$")


@lru_cache(maxsize=8192)
def outlet_key(name: str) -> str:
    """Comparison key: lowercase, no leading "the", no dots, apostrophes or extra spaces."""
    s = name.lower().strip()
    s = re.sub(r"^https?://", "", s)
    s = re.sub(r"^(?:www\d?|m|amp|mobile)\.", "", s)
    s = re.sub(r"[.\u2019'`\u00b7]", "", s)
    s = re.sub(r"[^\w&]+", " ", s).strip()
    s = re.sub(r"^the\s+", "", s)
    return re.sub(r"\s+", " ", s)


def _load_outlets() -> tuple[dict[str, str], frozenset[str], frozenset[str]]:
    """Spelling key -> canonical name, the keys that need context, the canonical names."""
    aliases: dict[str, str] = {}
    ambiguous: set[str] = set()
    for line in lines("outlets"):
        canon, _, rest = line.partition("=")
        canon = canon.strip()
        aliases[outlet_key(canon)] = canon
        for spelling in rest.split("|"):
            key = outlet_key(spelling.strip().lstrip("?"))
            aliases[key] = canon
            if spelling.strip().startswith("?"):
                ambiguous.add(key)
    return aliases, frozenset(ambiguous), frozenset(aliases.values())


_ALIASES, _NEEDS_CONTEXT, _CANONICAL = _load_outlets()

_DOTTED_RE = re.compile(r"\b((?:[a-z]\.)+[a-z])\.?(?=\s|$)", re.IGNORECASE)
_SITE_SEP_RE = re.compile(r"\s+[|\u2013\u2014]\s+|\s+-\s+(?=home\b|news\b|latest\b)", re.I)
_HOST_RE = re.compile(r"^(?:https?://)?(?:[a-z0-9-]+\.)+[a-z]{2,}(?::\d+)?(?:/.*)?$", re.I)

# Context that makes a common word ("Atlantic", "Times") a publisher: an attribution cue
# before it, a verb of saying or a newsroom noun after it, a credit, or a list of outlets.
_CUE_BEFORE_RE = re.compile(
    r"(?:\baccording to|\bciting|\bincluding|\bvia|\binterview with|\bspeaking to|\bspoke to|"
    r"\b(?:seen|consulted|obtained|reviewed|reported|published|quoted|cited|interviewed|"
    r"commissioned|contacted|revealed|confirmed|first reported) by|"
    r"\b(?:told|reported|reports|said|says|wrote|writes|notes|noted|confirmed)(?: to)?|"
    r"\b(?:wrote|writing|written|column|op-ed|article|piece|story|report|published|described|"
    r"appeared|quoted|reported) (?:in|for)|"
    r"\b(?:photo|image|picture|video|credit)s?\s*(?:by|via|:))\s+(?:the\s+)?$",
    re.IGNORECASE,
)
_NEWSROOM_NOUNS = (
    r"newspaper|paper|website|site|magazine|tabloid|report|reports|reporting|reporters?|"
    r"articles?|story|stories|investigation|journalists?|correspondents?|editors?|"
    r"columnists?|interview|analysis|editorial|op-ed|piece|poll|survey"
)
_AFTER_RE = re.compile(
    rf"^(?:['\u2019]s)?\s+(?:[\w.]+\s+){{0,2}}?(?:{_NEWSROOM_NOUNS})\b"
    r"|^\s*,?\s+(?:(?:has|had|also|first|previously|later|reportedly|recently)\s+){0,2}"
    rf"(?:{alternation('reporting_verbs')}|obtained|found|highlights|highlighted|described|"
    r"contacted|interviewed|asked|visited)\b",
)
_CREDIT_BEFORE_RE = re.compile(r"(?:^|[(\[]|[\u2013\u2014-])\s*$")
_CREDIT_AFTER_RE = re.compile(r"^\s*(?:[)\]]|$|[/:]|(?:photo|news)\b)", re.IGNORECASE)
_NAME = r"[A-Z][\w.&'\u2019-]*(?:\s+[A-Z][\w.&'\u2019-]*){0,3}"
_LIST_AFTER_RE = re.compile(rf"^\s*(?:,|and|&|or)\s*(?:the\s+)?(?P<name>{_NAME})")
_LIST_BEFORE_RE = re.compile(rf"(?P<name>{_NAME})\s*(?:,|and|&|or)\s*(?:the\s+)?$")


def _names_outlet(name: str) -> bool:
    """Whether some run of words in `name` is an outlet that needs no context ("AFP")."""
    words = name.split()
    return any(
        known_outlet(" ".join(words[i:j]), context=False)
        for i in range(len(words))
        for j in range(i + 1, len(words) + 1)
    )


def outlet_context(sentence: str, start: int, end: int) -> bool:
    """Whether the words around `sentence[start:end]` make a common word name an outlet.

    "The Atlantic reported", "according to the Times", "told the Independent", "(AP)",
    "The Guardian and the BBC", "a Telegraph investigation" and a capitalised "The"
    mid-sentence do; "across the Atlantic" and "Hill staff" do not.
    """
    before, after = sentence[:start], sentence[end:]
    if sentence[start:end].startswith("The ") and before.strip():
        return True
    if re.search(r"\S\s+The\s+$", before):
        return True
    if _CUE_BEFORE_RE.search(before) or _AFTER_RE.match(after):
        return True
    if _CREDIT_BEFORE_RE.search(before) and _CREDIT_AFTER_RE.match(after):
        return True
    nxt, prev = _LIST_AFTER_RE.match(after), _LIST_BEFORE_RE.search(before)
    return bool(
        (nxt and _names_outlet(nxt.group("name"))) or (prev and _names_outlet(prev.group("name")))
    )


def is_outlet_name(name: str) -> bool:
    """Whether `name` is exactly the canonical name of a well-known outlet."""
    return name in _CANONICAL


@lru_cache(maxsize=8192)
def known_outlet(name: str | None, *, context: bool = True) -> str | None:
    """The canonical name of a well-known outlet, or None when the name is not in the table.

    A common word among the spellings ("Atlantic", "Sun") resolves only with `context`:
    callers reading running text pass `outlet_context`; names given as a publisher's name
    (feed fields, headline credits) keep the default.
    """
    if not name:
        return None
    key = outlet_key(name)
    if not context and key in _NEEDS_CONTEXT:
        return None
    return _ALIASES.get(key)


def _host_label(host: str) -> str:
    """ "obozrevatel.com" -> "obozrevatel"; other suffixes are kept ("heise.de")."""
    host = re.sub(r"^(?:www\d?|m|amp|mobile)\.", "", host.lower())
    for tld in _TLDS:
        if host.endswith(tld) and host.count(".") == tld.count("."):
            return host[: -len(tld)]
    return host


def _label_name(label: str) -> str:
    """A display name for an unknown host's label: a short one no dictionary lists, and not
    said as a word, is an acronym ("upi" -> "UPI", "wjla" -> "WJLA"; "vox" -> "Vox"); others
    are capitalised, and a label that keeps a country suffix ("heise.de") stays as written."""
    if "." in label:
        return label
    if (
        len(label) <= _ACRONYM_LABEL
        and label.isalpha()
        and not _SAYABLE_RE.match(label)
        and label not in english_words()
    ):
        return label.upper()
    return label[:1].upper() + label[1:]


def _generic_case(name: str) -> str:
    """Fix shouting and all-lowercase names; keep short acronyms in capitals."""
    words = name.split()
    letters = [ch for ch in name if ch.isalpha()]
    if letters and all(ch.isupper() for ch in letters):
        if len(words) == 1 and len(name) <= 4:
            return name
        return " ".join(w if len(w) <= 2 and w.isalpha() else w.capitalize() for w in words)
    if letters and all(ch.islower() for ch in letters):
        return " ".join(w.capitalize() for w in words)
    return name


def normalise_outlet(name: str | None) -> str | None:
    """One display name for an outlet given as a name, host or URL (None if empty)."""
    if name is None:
        return None
    s = re.sub(r"\s+", " ", name).strip().strip("|-\u2013\u2014 ")
    if not s:
        return None
    if _HOST_RE.match(s) and " " not in s:
        host = urlsplit(s if "://" in s else "//" + s).hostname or s
        # "edition.cnn.com" is CNN: try the host, then its registered domain.
        domain = extract_domain("https://" + host) or host
        for h in (host, domain):
            canon = known_outlet(h) or known_outlet(_host_label(h))
            if canon:
                return canon
        return _label_name(_host_label(domain))
    canon = known_outlet(s)
    if canon:
        return canon
    # "Site Name | Tagline" and "Site Name - Home": the first part names the outlet.
    head = re.split(_SITE_SEP_RE, s)[0].strip()
    if head and head != s:
        canon = known_outlet(head)
        if canon:
            return canon
        s = head
    s = _generic_case(s)
    s = _DOTTED_RE.sub(lambda m: m.group(1).replace(".", "").upper(), s)  # "U.S." -> "US"
    if s.lower().startswith("the "):
        s = "The " + s[4:]
    return s


def outlet_from_url(url: str | None) -> str | None:
    """The host of an article URL without "www."; None for anything that is not a URL, and
    for a bare IP address, which names a machine, not a publisher."""
    if not url:
        return None
    try:
        host = urlsplit(url.strip() if "://" in url else "//" + url.strip()).hostname
    except ValueError:
        return None
    if not host or "." not in host:
        return None
    host = host.lower().rstrip(".")
    with contextlib.suppress(ValueError):
        ipaddress.ip_address(host)
        return None
    return re.sub(r"^www\d?\.", "", host)
