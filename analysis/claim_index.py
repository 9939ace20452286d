"""Candidate claims for an article, found through an inverted index.

Each claim is a TF-IDF vector of its content stems (the stance engine's stems and IDF
weights, so retrieval and stance read words alike). An article's query walks only the
postings of its own heaviest stems, so the cost per article depends on the article and on
how many claims share its words, not on how many claims are open.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping

from analysis.stance.text import content_stems, tokens

QUERY_STEMS = 40  # the article's heaviest stems that are looked up
REPORT_STEMS = 60  # the heaviest stems of a report kept to compare later articles with
Vector = Mapping[str, float]  # stem -> weight, of unit length


def tfidf_vector(text: str, weight: Callable[[str], float]) -> dict[str, float]:
    """The text's stems weighted by log term frequency times `weight` (their IDF), scaled
    to unit length so that a dot product is a cosine."""
    counts = Counter(content_stems(tokens(text)))
    vector = {s: (1 + math.log(n)) * weight(s) for s, n in counts.items()}
    norm = math.sqrt(math.fsum(v * v for v in vector.values())) or 1.0
    return {s: v / norm for s, v in vector.items()}


def report_terms(vector: Vector) -> dict[str, float]:
    """What a story keeps of one report's vector: its heaviest stems, enough for the cosine
    of a later article to the report (and small enough to store with the article)."""
    heaviest = heapq.nlargest(REPORT_STEMS, vector.items(), key=lambda kv: kv[1])
    return {s: round(v, 5) for s, v in heaviest}


def closest_report(query: Vector, reports: Iterable[Vector]) -> float:
    """The article's cosine to the story's report most like it (0.0 for no report)."""
    return max((sum(v * query.get(s, 0.0) for s, v in r.items()) for r in reports),
               default=0.0)


class ClaimIndex:
    """Cosine similarity between articles and claims over IDF-weighted stems."""

    def __init__(self, weight: Callable[[str], float]) -> None:
        self._weight = weight
        self._postings: dict[str, dict[int, float]] = defaultdict(dict)
        self._vectors: dict[int, dict[str, float]] = {}
        self.newest = 0  # the highest claim id ever indexed

    def __len__(self) -> int:
        return len(self._vectors)

    def __contains__(self, claim_id: object) -> bool:
        return claim_id in self._vectors

    def add(self, claim_id: int, text: str) -> None:
        """Index (or re-index) one claim."""
        self.remove(claim_id)
        vector = self.vector(text)
        for stem, value in vector.items():
            self._postings[stem][claim_id] = value
        self._vectors[claim_id] = vector
        self.newest = max(self.newest, claim_id)

    def remove(self, claim_id: int) -> None:
        for stem in self._vectors.pop(claim_id, {}):
            postings = self._postings[stem]
            postings.pop(claim_id, None)
            if not postings:
                del self._postings[stem]

    def vector(self, text: str) -> dict[str, float]:
        """The text as this index weighs it; depends on the text alone, so it can be worked
        out ahead and handed to :meth:`search` and :meth:`similarity`."""
        return tfidf_vector(text, self._weight)

    def search(self, query: str | Vector, k: int, exclude: Iterable[int] = ()
               ) -> list[tuple[int, float]]:
        """The `k` claims most similar to the query (a text or its :meth:`vector`), as
        (claim id, cosine), best first."""
        vector = self.vector(query) if isinstance(query, str) else query
        heaviest = heapq.nlargest(QUERY_STEMS, vector.items(), key=lambda kv: kv[1])
        scores: dict[int, float] = defaultdict(float)
        for stem, value in heaviest:
            for claim_id, claim_value in self._postings.get(stem, {}).items():
                scores[claim_id] += value * claim_value
        skip = set(exclude)
        return heapq.nlargest(
            k, ((c, s) for c, s in scores.items() if c not in skip), key=lambda cs: (cs[1], -cs[0])
        )

    def similarity(self, query: str | Vector, claim_id: int) -> float:
        """Cosine between the query (a text or its :meth:`vector`) and one indexed claim
        (0.0 for an unknown claim)."""
        vector = self.vector(query) if isinstance(query, str) else query
        claim = self._vectors.get(claim_id, {})
        return math.fsum(v * claim.get(s, 0.0) for s, v in vector.items())

    def share(self, query: str | Vector, claim_id: int) -> float:
        """How much of the claim's weight lies on stems the query uses: 1.0 when the article
        uses every word of the claim, whatever else it says."""
        vector = self.vector(query) if isinstance(query, str) else query
        claim = self._vectors.get(claim_id, {})
        return math.fsum(v * v for s, v in claim.items() if s in vector)
