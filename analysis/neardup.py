"""Near-duplicate text: MinHash signatures of word shingles, and the closest earlier copy.

Wire copy is republished by many outlets with a different headline, byline, teaser or
footer; exact hashes miss those copies and the stance engine would count one report many
times. Two texts sharing most of their five-word shingles are one report: the estimated
Jaccard similarity of their shingle sets, from fixed-size signatures that can be stored with
the article and compared without the texts.

Finding the earlier copies without comparing every recent article: locality-sensitive
hashing. A signature cut into ``BANDS`` bands of ``ROWS`` values gives one bucket key per
band; two texts of similarity s share a bucket with probability 1 - (1 - s**ROWS)**BANDS,
so only articles sharing a bucket are compared. With 21 bands of 3 rows a copy at the
default threshold (0.6) is missed with probability 0.6%, at 0.7 with 0.01%; texts of
similarity 0.1 (unrelated reports) become candidates 2% of the time and are then
compared and dropped.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

SHINGLE_WORDS = 5
PERMUTATIONS = 64
BANDS, ROWS = 21, 3  # 63 of the 64 values; see the module's docstring
# A prime above 2**32: (a * h + b) stays below 2**64 for 32-bit a, b and h.
_PRIME = np.uint64(4_294_967_311)
_rng = np.random.default_rng(20261121)  # fixed: signatures are stored and compared later
_A = _rng.integers(1, 2**32 - 1, size=PERMUTATIONS, dtype=np.uint64)
_B = _rng.integers(0, 2**32 - 1, size=PERMUTATIONS, dtype=np.uint64)
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class NearMatch:
    """The earlier article a text copies, with the estimated Jaccard similarity."""

    article_id: int
    similarity: float


def content_hash(text: str) -> str:
    """The SHA-256 of ``text`` lower-cased, with runs of non-word characters as one space:
    two texts differing only in case, punctuation or spacing hash alike."""
    normalised = re.sub(r"\W+", " ", text.lower()).strip()
    return hashlib.sha256(normalised.encode()).hexdigest()


def shingles(text: str, size: int = SHINGLE_WORDS) -> set[str]:
    """Lower-cased word ``size``-grams; a shorter text is one shingle of all its words."""
    words = _WORD.findall(text.lower())
    if len(words) < size:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + size]) for i in range(len(words) - size + 1)}


def signature(text: str) -> list[int] | None:
    """The MinHash signature of ``text`` (``PERMUTATIONS`` ints), None for an empty text."""
    found = shingles(text)
    if not found:
        return None
    hashes = np.fromiter(
        (int.from_bytes(hashlib.blake2b(s.encode(), digest_size=4).digest(), "big")
         for s in found),
        dtype=np.uint64,
        count=len(found),
    )
    permuted = (np.outer(hashes, _A) + _B) % _PRIME
    return [int(v) for v in permuted.min(axis=0)]


def bands(sig: Sequence[int]) -> list[int]:
    """The signature's LSH bucket keys, one per band, as signed 64-bit ints (a database's
    BIGINT): the band's number and values hashed together, so equal values in two
    different bands are different keys."""
    return [
        int.from_bytes(
            hashlib.blake2b(np.asarray([band, *sig[band * ROWS : (band + 1) * ROWS]],
                                       dtype=np.uint64).tobytes(), digest_size=8).digest(),
            "big", signed=True,
        )
        for band in range(BANDS)
    ]


def similarity(a: Sequence[int], b: Sequence[int]) -> float:
    """Estimated Jaccard similarity of the shingle sets behind two signatures."""
    if len(a) != len(b) or not a:
        return 0.0
    return float(np.mean(np.asarray(a) == np.asarray(b)))


def closest_copy(
    sig: Sequence[int], candidates: Iterable[tuple[int, Sequence[int] | None]], threshold: float
) -> NearMatch | None:
    """The most similar candidate (id, signature) at or above ``threshold``; ties go to the
    lowest id (the earliest article). A candidate still without a signature (another worker
    has it in hand; PostgreSQL's JSON keeps a missing one as ``null``) is passed over."""
    ids: list[int] = []
    rows: list[Sequence[int]] = []
    for article_id, other in candidates:
        if other is not None and len(other) == len(sig):
            ids.append(article_id)
            rows.append(other)
    if not rows:
        return None
    scores = (np.asarray(rows) == np.asarray(sig)).mean(axis=1)
    best = max(range(len(ids)), key=lambda i: (scores[i], -ids[i]))
    if scores[best] < threshold:
        return None
    return NearMatch(article_id=ids[best], similarity=round(float(scores[best]), 3))
