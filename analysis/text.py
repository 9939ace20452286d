"""Text clean-up, sentence splitting and tokens: the first step of every analysis.

Article extraction leaves web furniture behind (ads, subscription boxes, captions, teaser
lists of other stories). Left in, that furniture turns into false claims, entities and
sources, so everything downstream reads `clean_article_text` output. The rules describe
what boilerplate looks like across sites; none is keyed to a particular article.
"""

from __future__ import annotations

import re
from collections import OrderedDict

from analysis.lexicons import lexicon

__all__ = [
    "STOPWORDS",
    "cap_text",
    "clean_article_text",
    "content_tokens",
    "split_sentences",
    "tokens",
]

# --------------------------------------------------------------------------- cleaning

_SPACE_RE = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_INVISIBLE_RE = re.compile("[\u00ad\u200c\u200d\u2060\ufeff]")
_WORD_RE = re.compile(r"\w+(?:['\u2019]\w+)*")
_CJK_RE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


# Lines that are nothing but a stray widget label.
_STRAY_LINES = lexicon("stray_lines")

# Phrases typical of subscription, donation, consent, legal and promo boxes.
_BOILER_PATTERNS = [
    r"\bsign(?:ing)? up (?:for|to) (?:our|the|a) (?:\w+ )?(?:newsletter|daily|briefing)",
    r"\bby signing up\b",
    r"\bsubscribe (?:now|today|here|to our|for (?:free|just|only|as))",
    r"\b(?:join|support) (?:us|our|independent)\b",
    r"\bsupporting us\b",
    r"\bsupport (?:independent|our|quality) journalism\b",
    r"\bfor as little as [$\u00a3\u20ac]",
    r"\bdonate (?:now|today)\b|\bmake a (?:one-off |monthly )?(?:donation|contribution)\b",
    r"\b(?:our|agree to(?: the)?|accept(?: the)?|read the|see our|view our) terms (?:of|and) "
    r"(?:use|service|conditions)\b|^terms (?:of|and) (?:use|service|conditions)\b",
    r"\b(?:our|the) privacy (?:policy|notice|statement)\b|^privacy (?:policy|notice|settings)\b",
    r"\bcookie (?:policy|settings|preferences|consent)\b|\bwe use cookies\b|"
    r"\baccept (?:all )?cookies\b",
    r"\ball rights reserved\b",
    r"\u00a9|\(c\) (?:19|20)\d\d\b|\bcopyright (?:\u00a9\s*)?(?:19|20)\d\d\b",
    r"\bdo not sell my\b",
    r"\bpersonal (?:data|information) (?:we|that we) collect\b",
    r"\bleave a (?:reply|comment)\b",
    r"\byour email address will not be published\b",
    r"\brequired fields are marked\b",
    r"\bexit mobile version\b",
    r"\bfollow us on\b",
    # The site promoting its own channels: "on our Telegram channel", "on our Facebook page".
    r"\bon our (?:[\w-]+ ){0,3}(?:channels?|pages?|accounts?|feeds?|apps?)\b",
    r"\bclick here\b",
    r"\bshare (?:this|on) (?:article|story|post|facebook|twitter|whatsapp)\b",
    r"\b(?:already|not) a subscriber\b|\blog ?in to (?:read|continue)\b",
    r"\bcreate (?:a )?(?:free )?account\b",
    r"\bdownload (?:our|the) app\b",
    r"\bsign up for\b.*\bnewsletter\b|\bnewsletter sign[- ]?up\b",
    r"\bunsubscribe at any time\b",
    r"\bthis (?:site|website) uses cookies\b",
]
_BOILER_RES = [re.compile(p, re.IGNORECASE) for p in _BOILER_PATTERNS]
_BOILER_ANY = re.compile("|".join(f"(?:{p})" for p in _BOILER_PATTERNS), re.IGNORECASE)
_IMPERATIVE_RE = re.compile(
    r"^(?:support|subscribe|donate|join|sign up|follow|share|download|register|get)\b",
    re.IGNORECASE,
)

# Photo captions and credits.
_CREDIT_RE = re.compile(
    r"(?:\b(?:credit|credits|photo|photograph|image|picture|pictured|source|bild|foto|"
    r"photos)\s*:\s*[^.!?]{0,70}[)\]]?$"
    r"|(?:getty images|/afp|/reuters|/ap|shutterstock|alamy|/epa|ap photo|afp photo)"
    r"[^.!?]{0,20}$"
    r"|\((?:reuters|ap|afp|getty images|epa)\)$)",
    re.IGNORECASE,
)
_CREDIT_START_RE = re.compile(
    r"^(?:photo|image|picture|video|illustration|graphic)s?\s+(?:by|via|credit|courtesy)\b",
    re.IGNORECASE,
)
_PAREN_LINE_RE = re.compile(r"^[(\[][^()\[\]]{1,80}[)\]]$")
_INLINE_JUNK_RE = re.compile(r"\s*(?:Opens a new window|\(opens in new tab\))", re.IGNORECASE)

# Headings that open a block of teasers for other stories.
_TEASER_HEADING_RE = re.compile(
    r"^(?:other news|more news|latest news|top news|top stories|more stories|other stories|"
    r"related(?: articles?| stories| news| posts| content| coverage| reading| topics)?|"
    r"read more|read also|also read|read next|see also|more from [\w .'&-]{1,40}|"
    r"more on (?:this|these|the) (?:story|topic|subject)s?|most read|most popular|most viewed|"
    r"popular(?: now| stories)?|trending(?: now| stories)?|recommended(?: for you| stories)?|"
    r"you may also like|you might also like|you may be interested in|don[\u2019']?t miss|"
    r"editor[\u2019']?s picks|what to read next|what else to read|in other news|more headlines|"
    r"more in [\w .'&-]{1,30}|around the web|from our partners|promoted stories|"
    r"sponsored stories|we recommend|must read|keep reading)"
    r"\s*[:.\u2026>\u00bb-]*$",
    re.IGNORECASE,
)
_TEASER_INLINE_RE = re.compile(
    r"^\[?(?:read|read more|read also|also read|related|see also|more|watch|listen)\s*:\s*"
    r"[^.!?]{3,150}\]?$",
    re.IGNORECASE,
)

# Header furniture: bylines, dates, reading times.
_BYLINE_RE = re.compile(r"^(?:by|written by|words by|von|par|por)\s+[A-Z\u00c0-\u024f]")
_DATE_RE = re.compile(
    r"^(?:(?:published|updated|posted|last updated|modified|date)\b[:\s]*)?"
    r"(?:(?:mon|tue|wed|thu|fri|sat|sun)\w*,?\s+)?"
    r"(?:\d{1,4}[./-]\d{1,2}[./-]\d{1,4}|\d{1,2}(?:st|nd|rd|th)?\s+[a-z]{3,9}\.?,?\s+\d{4}|"
    r"[a-z]{3,9}\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}|\d+\s+(?:second|minute|hour|day|week|"
    r"month|year)s?\s+ago|(?:today|yesterday))\b.*$",
    re.IGNORECASE,
)
_READTIME_RE = re.compile(r"^\d+\s*(?:min|minute)s?\s+read$", re.IGNORECASE)
_END_PUNCT_RE = re.compile(
    r"[.!?\u2026:;\u3002\uff01\uff1f][\"'\u201d\u2019\u00bb)\]]*\s*(?:\(\w+\))?$"
    r"|[\"\u201d\u00bb]$"
)


def _norm_key(s: str) -> str:
    """Lowercase alphanumerics only, so a title matches its repeat whatever the quotes."""
    return "".join(ch for ch in s.lower() if ch.isalnum())


def _words(s: str) -> int:
    """Word count; CJK text has no spaces, so two of its characters count as a word."""
    cjk = len(_CJK_RE.findall(s))
    if cjk:
        return len(_WORD_RE.findall(_CJK_RE.sub(" ", s))) + cjk // 2
    return len(_WORD_RE.findall(s))


def _is_real_paragraph(line: str) -> bool:
    """A line that reads as reporting prose rather than a heading, label or teaser."""
    n = _words(line)
    return n >= 25 or (n >= 10 and bool(_END_PUNCT_RE.search(line)))


_BOILER_HINTS = lexicon("boilerplate_hints")


def _boiler_hits(line: str) -> int:
    low = line.lower()
    if not any(h in low for h in _BOILER_HINTS) or not _BOILER_ANY.search(line):
        return 0
    return sum(1 for rx in _BOILER_RES if rx.search(line))


def _is_box_line(line: str) -> bool:
    """A line of a subscription, donation, consent or promo box, or its call to action."""
    n = _words(line)
    hits = _boiler_hits(line)
    if (hits and n <= 30) or (hits >= 2 and n <= 150) or hits >= 3:
        return True
    # "Support Our Newsroom", "Subscribe", "Follow us"
    return n <= 6 and bool(_IMPERATIVE_RE.match(line)) and not _END_PUNCT_RE.search(line)


def _is_box_button(line: str) -> bool:
    """A few unpunctuated words ("Remind me later", "No thanks"): a button when under a box."""
    return _words(line) <= 5 and not _END_PUNCT_RE.search(line)


def _is_boilerplate(line: str) -> bool:
    """True when a line is site furniture: widget labels, boxes, legal lines, captions."""
    low = line.lower().strip(" .:!|\u2022\u00b7-\u2013\u2014*#>")
    if not low or low in _STRAY_LINES:
        return True
    if not any(ch.isalnum() for ch in low):
        return True
    if _is_box_line(line):
        return True
    n = _words(line)
    if n <= 30 and (_CREDIT_RE.search(line) or _CREDIT_START_RE.match(line)):
        return True
    if n <= 12 and _PAREN_LINE_RE.match(line):
        return True
    return bool(n <= 30 and _TEASER_INLINE_RE.match(line))


def _is_title(line: str, title_key: str) -> bool:
    if not title_key:
        return False
    key = _norm_key(line)
    if not key:
        return False
    if key == title_key:
        return True
    shorter, longer = sorted((key, title_key), key=len)
    return len(shorter) >= 20 and shorter in longer and len(shorter) >= 0.85 * len(longer)


def _is_header_junk(line: str) -> bool:
    """Bylines, dates, publisher names and section labels above the first paragraph."""
    if _BYLINE_RE.match(line) and _words(line) <= 8:
        return True
    if _DATE_RE.match(line) and _words(line) <= 10:
        return True
    if _READTIME_RE.match(line):
        return True
    n = _words(line)
    return n <= 4 and not _END_PUNCT_RE.search(line)


def _is_headline_like(line: str) -> bool:
    """A short line with no sentence ending: a teaser headline, label or kicker."""
    n = _words(line)
    if n > 25:
        return False
    return not _END_PUNCT_RE.search(line) or n <= 4


def cap_text(text: str, limit: int) -> tuple[str, str | None]:
    """At most ``limit`` characters of ``text``, cut at a line end when one is in the last
    half, and the problem to record when it was cut (else None).

    Analysis cost grows with the text, and no news report runs to 100,000 characters: a
    longer text is a dump, a feed of many articles or an attack, and its start is enough.
    """
    if len(text) <= limit:
        return text, None
    cut = text.rfind("\n", limit // 2, limit)
    kept = text[: cut if cut > 0 else limit]
    return kept, f"analysis_capped: analysed the first {len(kept)} of {len(text)} characters"


CLEANED_KEPT = 8  # texts whose cleaning is remembered: one article's, several times over
_cleaned: OrderedDict[tuple[str, str | None], str] = OrderedDict()


def clean_article_text(text: str, *, title: str | None = None) -> str:
    """Return the reporting of an extracted article without the page furniture around it.

    Drops ad and widget lines, subscription/donation/consent/legal boxes, captions and
    credits, bylines and dates above the first paragraph, repeats of the title, and trailing
    teaser blocks of other stories (from a "Related"/"Other News"-style heading to the end,
    or a trailing run of headline-like lines). Paragraphs are kept as lines joined by a blank
    line. Idempotent, so callers may clean text that is already clean: reading, sources and
    stance each clean what they are given, and the last few results are remembered (as
    their own cleaning too), so an article is cleaned once.
    """
    key = (text, title or None)
    cleaned = _cleaned.get(key)
    if cleaned is None:
        cleaned = _clean(text, title)
        for known in (key, (cleaned, key[1])):
            _cleaned[known] = cleaned
            _cleaned.move_to_end(known)
        while len(_cleaned) > CLEANED_KEPT:
            _cleaned.popitem(last=False)
    return cleaned


def _clean(text: str, title: str | None) -> str:
    if not text:
        return ""
    title_key = _norm_key(title or "")
    text = _INVISIBLE_RE.sub("", text).replace("\r", "\n")
    raw = [_SPACE_RE.sub(" ", ln).strip() for ln in text.split("\n")]
    lines: list[str] = []
    for ln in raw:
        ln = _INLINE_JUNK_RE.sub("", ln).strip()
        if not ln:
            continue
        if lines and ln == lines[-1] and _words(ln) <= 30:  # a caption or subtitle twice
            continue
        lines.append(ln)
    if not lines:
        return ""

    # Teaser block: from a teaser heading in the second half of the text to the end.
    total = sum(len(ln) for ln in lines)
    seen = 0
    for i, ln in enumerate(lines):
        if _TEASER_HEADING_RE.match(ln) and seen >= 0.4 * total and i > 0:
            lines = lines[:i]
            break
        seen += len(ln)

    kept: list[str] = []
    in_header = True
    skip_teasers = False
    in_box = False
    for ln in lines:
        if _is_title(ln, title_key):
            continue
        if _TEASER_HEADING_RE.match(ln):
            # An early teaser heading: drop it and the headlines right under it.
            skip_teasers = True
            continue
        if skip_teasers:
            if _is_headline_like(ln) and not _is_real_paragraph(ln):
                continue
            skip_teasers = False
        if _is_boilerplate(ln):
            in_box = in_box or _is_box_line(ln)
            continue
        if in_box and _is_box_button(ln):
            continue  # the buttons of the box just above
        in_box = False
        if in_header:
            if _is_real_paragraph(ln):
                in_header = False
            elif _is_header_junk(ln):
                continue
        kept.append(ln)

    # Trailing run of short headline-like lines after the last real paragraph.
    last_real = max((i for i, ln in enumerate(kept) if _is_real_paragraph(ln)), default=-1)
    if last_real >= 0:
        tail = kept[last_real + 1 :]
        if len(tail) >= 2 and all(_is_headline_like(ln) for ln in tail):
            kept = kept[: last_real + 1]
    return "\n\n".join(kept)


# --------------------------------------------------------------------------- sentences

_ABBREVIATIONS = lexicon("abbreviations")
# Abbreviations that commonly end a sentence too ("... in the U.S. The next day").
_MAY_END = lexicon("may_end")
_SENTENCE_STARTERS = lexicon("sentence_starters")

_BOUNDARY_RE = re.compile(
    r"(?P<end>[.!?\u2026]+)(?P<close>[\"'\u201d\u2019\u00bb)\]]*)(?P<space>\s+)"
    r"(?=(?P<next>[\"'\u201c\u2018\u00ab(\[]?[\w\u00bf\u00a1]))"
)
_TOKEN_BEFORE_RE = re.compile(r"([\w.'\u2019-]+)$")


def _is_boundary(text: str, m: re.Match[str]) -> bool:
    end, close = m.group("end"), m.group("close")
    nxt = text[m.end() : m.end() + 3].lstrip("\"'\u201c\u2018\u00ab([")
    first = nxt[:1]
    if not first:
        return False
    starts_upper = first.isupper() or first.isdigit() or not first.isalpha()
    if end[-1] in "!?\u2026" or len(end) > 1:
        return starts_upper
    # A full stop: look at the word it ends.
    if close:
        return starts_upper
    tb = _TOKEN_BEFORE_RE.search(text, max(0, m.start() - 40), m.start())
    word = tb.group(1) if tb else ""
    low = word.lower().strip("'\u2019")
    if len(low) == 1 and low.isalpha():  # an initial: "J. R. Smith"
        return False
    if low in _ABBREVIATIONS:
        if low in _MAY_END and starts_upper:
            next_word = re.match(r"\w+", nxt)
            return bool(next_word and next_word.group(0).lower() in _SENTENCE_STARTERS)
        return False
    if re.fullmatch(r"(?:[a-z]\.)+[a-z]", low):  # other dotted acronyms
        next_word = re.match(r"\w+", nxt)
        return bool(next_word and next_word.group(0).lower() in _SENTENCE_STARTERS)
    return starts_upper


def split_sentences(text: str) -> list[str]:
    """Split text into sentences; line breaks (paragraphs) always split.

    A regex splitter that knows common abbreviations ("Mr.", "Oct.", "U.S."), initials,
    decimals and closing quotes, because extracted news text is too varied for a naive
    split on full stops and no trained splitter is available.
    """
    out: list[str] = []
    for para in re.split(r"\s*\n\s*", _INVISIBLE_RE.sub("", text)):
        para = _SPACE_RE.sub(" ", para).strip()
        if not para:
            continue
        start = 0
        for m in _BOUNDARY_RE.finditer(para):
            if _is_boundary(para, m):
                cut = m.start("space")
                sent = para[start:cut].strip()
                if sent:
                    out.append(sent)
                start = m.end()
        rest = para[start:].strip()
        if rest:
            out.append(rest)
    return out


# --------------------------------------------------------------------------- tokens

STOPWORDS: frozenset[str] = lexicon("stopwords")

_TOKEN_RE = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*")


def tokens(text: str) -> list[str]:
    """Lowercase word tokens (letters/digits, inner apostrophes kept, curly ones folded)."""
    return [t.replace("\u2019", "'") for t in _TOKEN_RE.findall(text.lower())]


def content_tokens(text: str) -> list[str]:
    """`tokens` without stopwords: the words that carry topic, for overlap measures."""
    return [t for t in tokens(text) if t not in STOPWORDS]
