"""Stance-specific text handling: cue lexicons, stemming, content stems, question headlines.

Cleaning (page furniture, captions, teaser blocks), sentence splitting and tokens come from
the project's shared `analysis.text`, so the engine reads an article exactly as the rest of
the pipeline does; `article_sentences` is the one place the engine calls them.
"""

from __future__ import annotations

from functools import lru_cache

from analysis.text import STOPWORDS as SHARED_STOPWORDS
from analysis.text import clean_article_text, split_sentences, tokens

__all__ = [
    "CUE_WORDS",
    "HEDGE_CUES",
    "NEGATIONS",
    "QUESTION_STARTS",
    "REFUTE_BIGRAMS",
    "REFUTE_CUES",
    "STOPWORDS",
    "SUPPORT_CUES",
    "article_sentences",
    "content_stems",
    "is_question",
    "stem",
    "tokens",
    "words_list",
]


def words_list(text: str) -> frozenset[str]:
    """A lexicon from a whitespace-separated word list (keeps the lists readable)."""
    return frozenset(text.split())


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

# Topic vocabulary: the shared stopwords plus reporting verbs and other words every news
# story uses, minus the words that carry stance (negations, "could"), which the stance
# features and the bag-of-words model must see.
REPORTING_WORDS: frozenset[str] = words_list(
    """said says say told tell according new one two get got like mr mrs ms via"""
)
STOPWORDS: frozenset[str] = (SHARED_STOPWORDS | REPORTING_WORDS) - NEGATIONS - {"could"}
MIN_SENTENCE_CHARS = 3  # shorter fragments ("?", "AP") carry no stance


def article_sentences(body: str, title: str = "") -> list[str]:
    """Sentences of an article body, cleaned and split by the shared `analysis.text`.

    Cleaning is idempotent, so a body the pipeline already cleaned reads the same; the title
    lets the cleaner drop the headline where a page capture repeats it.
    """
    text = clean_article_text(body, title=title or None)
    return [s for s in split_sentences(text) if len(s) >= MIN_SENTENCE_CHARS]


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


def content_stems(toks: list[str]) -> list[str]:
    """Stems of the non-stopword tokens: the vocabulary that carries topic."""
    return [stem(t) for t in toks if t not in STOPWORDS and len(t) > 1]


def is_question(text: str) -> bool:
    """A question headline ('Did X do Y?') reports a claim without asserting it."""
    t = text.strip().rstrip("\"'\u201d\u2019 ")
    if t.endswith("?"):
        return True
    toks = tokens(t[:40])
    return bool(toks) and toks[0] in QUESTION_STARTS and t.endswith("?")
