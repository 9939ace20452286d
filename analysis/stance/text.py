"""Stance-specific text handling: cue lexicons, stemming, content stems, question headlines.

Cleaning (page furniture, captions, teaser blocks), sentence splitting and tokens come from
the project's shared `analysis.text`, so the engine reads an article exactly as the rest of
the pipeline does; `article_sentences` is the one place the engine calls them.
"""

from __future__ import annotations

from functools import lru_cache

from analysis.lexicons import lexicon, lines
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
]


# Cue lexicons, as data files in `analysis/lexicons/` (`stance_*.txt`): surface forms in
# lower case, so that the cues stay readable and auditable.
REFUTE_CUES: frozenset[str] = lexicon("stance_refute_cues")
REFUTE_BIGRAMS: frozenset[tuple[str, str]] = frozenset(
    tuple(entry.split()) for entry in lexicon("stance_refute_bigrams")  # type: ignore[misc]
)
SUPPORT_CUES: frozenset[str] = lexicon("stance_support_cues")
HEDGE_CUES: frozenset[str] = lexicon("stance_hedge_cues")
NEGATIONS: frozenset[str] = lexicon("stance_negations")
QUESTION_STARTS: frozenset[str] = lexicon("stance_question_starts")
# Individual cue words offered to the learned model as separate features, in the order of
# its feature columns.
CUE_WORDS: tuple[str, ...] = lines("stance_cue_words")

# Topic vocabulary: the shared stopwords plus reporting verbs and other words every news
# story uses, minus the words that carry stance (negations, "could"), which the stance
# features and the bag-of-words model must see.
REPORTING_WORDS: frozenset[str] = lexicon("stance_reporting_words")
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
