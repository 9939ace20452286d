"""Outlet names: one spelling per publisher, so stories and alerts count outlets once.

Feeds, extractors and article text spell publishers many ways ("The U.S Sun", "THE US SUN",
"the-sun.com"); `normalise_outlet` maps them to one display name through a small alias table
of well-known outlets plus generic rules for the rest.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
from functools import lru_cache
from urllib.parse import urlsplit

__all__ = ["known_outlet", "normalise_outlet", "outlet_from_url", "outlet_key"]

# Canonical name -> spellings and hosts (keys are compared after `outlet_key`).
_OUTLETS: dict[str, tuple[str, ...]] = {
    "The New York Times": ("new york times", "ny times", "nyt", "nytimes", "nytimescom"),
    "The New Yorker": ("new yorker", "newyorker"),
    "Financial Times": ("financial times", "ft", "ftcom"),
    "Business Insider": ("business insider", "businessinsider", "insider"),
    "Vice": ("vice", "vice news", "vice media", "vicecom"),
    "Reuters": ("reuters", "reuters news", "thomson reuters"),
    "Associated Press": ("associated press", "ap", "ap news", "apnews"),
    "Agence France-Presse": ("agence france presse", "agence francepresse", "afp"),
    "BBC": ("bbc", "bbc news", "bbccouk", "bbccom", "british broadcasting corporation"),
    "The Guardian": ("guardian", "theguardian", "guardian news"),
    "The Washington Post": ("washington post", "washingtonpost", "wapo"),
    "Bloomberg": ("bloomberg", "bloomberg news", "bloomberg lp"),
    "CNN": ("cnn", "cable news network"),
    "Fox News": ("fox news", "foxnews", "fox news channel"),
    "The Post Millennial": ("post millennial", "thepostmillennial"),
    "The US Sun": ("us sun", "u s sun", "the-sun.com", "thesuncom", "sun us"),
    "The Sun": ("thesuncouk",),
    "Obozrevatel": ("obozrevatel", "obozrevatel news", "obozrevatelcom", "obozua"),
    "The Wall Street Journal": ("wall street journal", "wsj", "wsjcom"),
    "The Economist": ("economist",),
    "Politico": ("politico",),
    "Axios": ("axios",),
    "NBC News": ("nbc news", "nbcnews"),
    "CBS News": ("cbs news", "cbsnews"),
    "ABC News": ("abc news", "abcnews", "abcnewsgocom"),
    "NPR": ("npr", "national public radio"),
    "Al Jazeera": ("al jazeera", "aljazeera"),
    "The Independent": ("independent", "independentcouk"),
    "The Telegraph": ("telegraph", "daily telegraph", "telegraphcouk"),
    "The Times": ("times of london", "thetimescouk"),
    "Daily Mail": ("daily mail", "dailymail", "mail online", "dailymailcouk"),
    "Le Monde": ("le monde", "lemonde", "lemondefr"),
    "Der Spiegel": ("spiegel", "der spiegel", "spiegelde"),
    "Politico Europe": ("politico europe", "politicoeu"),
    "Axel Springer": ("axel springer",),
    "TASS": ("tass",),
    "RIA Novosti": ("ria novosti",),
    "Kyiv Independent": ("kyiv independent", "kyivindependent"),
    "Ukrainska Pravda": ("ukrainska pravda", "pravdacomua"),
    "The Atlantic": ("atlantic", "theatlantic"),
    "Newsweek": ("newsweek",),
    "Forbes": ("forbes",),
    "The Verge": ("verge", "theverge"),
    "TechCrunch": ("techcrunch",),
    "Ars Technica": ("ars technica", "arstechnica"),
    "CNBC": ("cnbc",),
    "Sky News": ("sky news", "news sky"),
    "Breitbart": ("breitbart", "breitbart news"),
    "BuzzFeed News": ("buzzfeed news", "buzzfeed", "buzzfeednews"),
    "HuffPost": ("huffpost", "huffington post"),
    "The Hill": ("the hill", "thehill"),
    "USA Today": ("usa today", "usatoday"),
    "Los Angeles Times": ("los angeles times", "la times", "latimes"),
    "TMZ": ("tmz",),
}

_ALIASES: dict[str, str] = {}
_TLDS = (".com", ".co.uk", ".org", ".net", ".news", ".co", ".io")


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


for _canon, _spellings in _OUTLETS.items():
    _ALIASES[outlet_key(_canon)] = _canon
    for _sp in _spellings:
        _ALIASES[outlet_key(_sp)] = _canon

_SITE_SEP_RE = re.compile(r"\s+[|\u2013\u2014]\s+|\s+-\s+(?=home\b|news\b|latest\b)", re.I)
_HOST_RE = re.compile(r"^(?:https?://)?(?:[a-z0-9-]+\.)+[a-z]{2,}(?::\d+)?(?:/.*)?$", re.I)


@lru_cache(maxsize=8192)
def known_outlet(name: str | None) -> str | None:
    """The canonical name of a well-known outlet, or None when the name is not in the table."""
    if not name:
        return None
    return _ALIASES.get(outlet_key(name))


def _host_label(host: str) -> str:
    """ "obozrevatel.com" -> "obozrevatel"; other suffixes are kept ("heise.de")."""
    host = re.sub(r"^(?:www\d?|m|amp|mobile)\.", "", host.lower())
    for tld in _TLDS:
        if host.endswith(tld) and host.count(".") == tld.count("."):
            return host[: -len(tld)]
    return host


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
        canon = known_outlet(host) or known_outlet(_host_label(host))
        if canon:
            return canon
        label = _host_label(host)
        return label[:1].upper() + label[1:] if "." not in label else label
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
