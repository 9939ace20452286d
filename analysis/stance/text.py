"""Text handling for the stance engine: boilerplate removal, sentences, tokens, cue lexicons.

Kept dependency-free and fast (plain regexes, cached stemming) because the engine must judge
hundreds of pairs per second on one core.
"""

from __future__ import annotations

import re
from functools import lru_cache


def words_list(text: str) -> frozenset[str]:
    """A lexicon from a whitespace-separated word list (keeps the lists readable)."""
    return frozenset(text.split())


_TOKEN_RE = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_SENT_SPLIT_RE = re.compile(r"(?<=[.!?\u201d\"\u00bb])\s+(?=[\"'\u201c\u2018(\[]?[A-Z0-9])")
_WS_RE = re.compile(r"[ \t\u00a0]+")

STOPWORDS: frozenset[str] = words_list(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can did do does doing down during each few for from further
    had has have having he her here hers herself him himself his how i if in into is it its
    itself just me more most my myself now of off on once only or other our ours ourselves out
    over own same she should so some such than that the their theirs them themselves then there
    these they this those through to too under until up very was we were what when where which
    while who whom why will with would you your yours yourself yourselves also s t just said
    says say told tell according new one two get got like us mr mrs ms via"""
)

# Cue lexicons.  Surface forms (lower case) so that the cues stay readable and auditable.
REFUTE_CUES: frozenset[str] = words_list(
    """deny denies denied denying denial denials refute refutes refuted refuting rebut rebuts
    rebutted debunk debunks debunked debunking false falsely fake fakes faked hoax hoaxes untrue
    fabricated fabrication fabricate bogus myth myths nonsense dismiss dismisses dismissed
    dismissing reject rejects rejected rejecting counter counters countered dispute disputes
    disputed disputing baseless misleading incorrect wrong lie lies lied liar lying retract
    retracts retracted retraction satire satirical prank pranks parody spoof scam scams
    photoshopped doctored hoaxer contrary contradict contradicts contradicted erroneous
    erroneously unfounded groundless nothing rubbish ridiculous absurd"""
)
REFUTE_BIGRAMS: frozenset[tuple[str, str]] = frozenset(
    {
        ("not", "true"), ("no", "evidence"), ("no", "truth"), ("never", "happened"),
        ("hit", "back"), ("hits", "back"), ("fake", "news"), ("no", "proof"), ("not", "real"),
        ("isn't", "true"), ("wasn't", "true"), ("no", "basis"), ("turned", "out"),
        ("made", "up"), ("no", "such"), ("shot", "down"), ("record", "straight"),
        ("nothing", "to"), ("not", "happen"), ("didn't", "happen"), ("did", "not"),
    }
)
SUPPORT_CUES: frozenset[str] = words_list(
    """confirm confirms confirmed confirming confirmation announced announces announce revealed
    reveals reveal verified official officially indeed proof proven proves shows showed shown
    admitted admits admit acknowledged acknowledges acknowledge true truly fact evidence
    statement footage video photos images captured found discovered"""
)
HEDGE_CUES: frozenset[str] = words_list(
    """reportedly allegedly alleged alleges allege claim claims claimed claiming rumor rumors
    rumour rumours rumored rumoured unconfirmed unverified apparently purportedly purported
    supposedly may might could possibly perhaps appears appear appeared seems seem seemed
    suggest suggests suggested speculation speculate speculated according sources source
    report reports reported unclear whether if believed thought allegation allegations
    accused accuses accusing would likely unknown questions question"""
)
NEGATIONS: frozenset[str] = words_list(
    """not no never nor neither none nobody nothing without n't don't doesn't didn't isn't
    wasn't aren't weren't won't wouldn't can't cannot couldn't hasn't haven't hadn't
    shouldn't"""
)
QUESTION_STARTS: frozenset[str] = words_list(
    """did does do is are was were can could will would has have had should who what why how
    when where which"""
)
# Individual cue words offered to the learned model as separate features; the union of the
# lexicons above, ranked by how often the FNC-1 competition systems reported them useful.
CUE_WORDS: tuple[str, ...] = (
    "fake", "fraud", "hoax", "false", "deny", "denies", "denied", "not", "despite", "nope",
    "doubt", "doubts", "bogus", "debunk", "debunked", "pranks", "retract", "retracted",
    "dismissed", "rejected", "untrue", "satire", "satirical", "prank", "claims", "claimed",
    "reportedly", "allegedly", "rumor", "rumors", "unconfirmed", "confirmed", "confirms",
    "announced", "revealed", "official", "no", "never", "however", "but", "although",
    "according", "reports", "may", "might", "could", "if", "whether", "said", "told", "?",
)

_BOILERPLATE_RE = re.compile(
    r"^(advertisement|advertising|sponsored|subscribe|sign up|sign in|log in|share|"
    r"share this|tweet|follow us|read more|read next|related|related articles|more from|"
    r"other news|recommended|leave a reply|comments?|exit mobile version|img|image|photo|"
    r"getty images|click here|skip to|menu|search|newsletter|cookie|privacy policy)\b",
    re.IGNORECASE,
)
_BOILERPLATE_ANY_RE = re.compile(
    r"(privacy policy|terms of use|all rights reserved|supporting us|^support (the|us|our)\b|"
    r"^join (us|and support|the ranks)|independent journalism|\u00a9|cookies?\b.*\bconsent|"
    r"sign(ing)? up (for|you agree)|subscribe (to|now)|support (us|the)\b.*\btoday|"
    r"required fields are marked|your email address will not be published|"
    r"do not sell my personal information|remind me next month|"
    r"telegram channel|download (our|the) app)",
    re.IGNORECASE,
)
_CAPTION_RE = re.compile(r"\b(credit|photo|image|picture)s?\s*:\s*\S+[^.!?]*$", re.IGNORECASE)
# Markers after which a page capture holds teasers of other stories, not the article.
_TAIL_MARKERS_RE = re.compile(
    r"^(other news|more news|related (news|stories|articles)|read more|read also|"
    r"you may also like|recommended( for you)?|more from|most read|trending|popular)\s*:?\s*$",
    re.IGNORECASE,
)


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Strip common English suffixes so that 'denies'/'denied'/'denying' share one key."""
    w = word
    if len(w) <= 3:
        return w
    if w.endswith("'s"):
        w = w[:-2]
    for suf, rep in (
        ("ational", "ate"), ("ization", "ize"), ("iveness", "ive"), ("fulness", "ful"),
        ("ousness", "ous"), ("ements", ""), ("ement", ""), ("ments", ""), ("ment", ""),
        ("ings", ""), ("ing", ""), ("ies", "y"), ("ied", "y"), ("edly", ""), ("ed", ""),
        ("ly", ""), ("es", ""), ("s", ""),
    ):
        if w.endswith(suf) and len(w) - len(suf) >= 3:
            w = w[: len(w) - len(suf)] + rep
            break
    if len(w) > 4 and w[-1] == w[-2] and w[-1] not in "aeiouls":
        w = w[:-1]
    if w.endswith("e") and len(w) > 4:
        w = w[:-1]
    return w


def tokens(text: str) -> list[str]:
    """Lower-case word tokens (apostrophe forms kept, so "didn't" stays one negation)."""
    return _TOKEN_RE.findall(text.lower().replace("\u2019", "'"))


def content_stems(toks: list[str]) -> list[str]:
    """Stems of the non-stopword tokens: the vocabulary that carries topic."""
    return [stem(t) for t in toks if t not in STOPWORDS and len(t) > 1]


def is_boilerplate(line: str) -> bool:
    """True for page furniture: ads, subscription boxes, share buttons, photo credits."""
    s = line.strip()
    if not s:
        return True
    if _BOILERPLATE_RE.match(s) and len(s) < 80:
        return True
    if _BOILERPLATE_ANY_RE.search(s):
        return True
    return bool(_CAPTION_RE.search(s) and len(s) < 160)


def clean_body(body: str) -> list[str]:
    """Article paragraphs without boilerplate; stops at an 'Other News'-style teaser block.

    A tail marker only ends the article once some real text was seen, so that a marker at
    the top of a capture (navigation) does not blank the page.
    """
    paras: list[str] = []
    seen_chars = 0
    for raw in body.replace("\r", "\n").split("\n"):
        line = _WS_RE.sub(" ", raw).strip()
        if not line:
            continue
        if _TAIL_MARKERS_RE.match(line) and seen_chars > 400:
            break
        if is_boilerplate(line):
            continue
        paras.append(line)
        seen_chars += len(line)
    return paras


def split_sentences(paras: list[str]) -> list[str]:
    """Sentences of the paragraphs; a heuristic splitter good enough for news prose."""
    out: list[str] = []
    for p in paras:
        for s in _SENT_SPLIT_RE.split(p):
            s = s.strip()
            if len(s) >= 3:
                out.append(s)
    return out


def is_question(text: str) -> bool:
    """A question headline ('Did X do Y?') reports a claim without asserting it."""
    t = text.strip().rstrip("\"'\u201d\u2019 ")
    if t.endswith("?"):
        return True
    toks = tokens(t[:40])
    return bool(toks) and toks[0] in QUESTION_STARTS and t.endswith("?")
