"""Stacked bag-of-words model: a linear layer over claim / near-claim / body words.

The hand lexicons cannot list every way a body hedges or refutes; a logistic regression over
words shared by many stories learns the rest.  Its three logits are fed to the boosted
trees, trained out-of-fold so the trees do not trust it more than it deserves.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix

Regions = tuple[frozenset[str] | set[str], set[str], set[str]]
N_REGIONS = 3


class BowModel:
    """Linear scores over binary word indicators in three regions (claim, near, body)."""

    def __init__(self, vocab: dict[str, int], coef: np.ndarray, intercept: np.ndarray) -> None:
        self.vocab = vocab
        self.coef = np.asarray(coef, dtype=np.float64)  # (n_classes, 3 * V)
        self.intercept = np.asarray(intercept, dtype=np.float64)
        self.V = len(vocab)

    def columns(self, regions: Regions) -> list[int]:
        cols = []
        for r, words in enumerate(regions):
            base = r * self.V
            cols.extend(base + self.vocab[w] for w in words if w in self.vocab)
        return sorted(cols)  # a fixed order: float sums independent of set order

    def raw(self, regions_list: Sequence[Regions]) -> np.ndarray:
        out = np.tile(self.intercept, (len(regions_list), 1))
        for i, regions in enumerate(regions_list):
            cols = self.columns(regions)
            if cols:
                out[i] += self.coef[:, cols].sum(axis=1)
        return out


def design(vocab: dict[str, int], regions_list: Sequence[Regions]) -> csr_matrix:
    """Sparse binary design matrix for training (scipy is imported here: judging needs
    none of it, and importing it costs every process a sixth of a second at start)."""
    from scipy.sparse import csr_matrix

    V = len(vocab)
    indptr = [0]
    indices: list[int] = []
    for regions in regions_list:
        cols = []
        for r, words in enumerate(regions):
            cols.extend(r * V + vocab[w] for w in words if w in vocab)
        indices.extend(sorted(cols))
        indptr.append(len(indices))
    data = np.ones(len(indices), dtype=np.float64)
    return csr_matrix((data, indices, indptr), shape=(len(regions_list), N_REGIONS * V))


def fit_bow(
    vocab: dict[str, int], regions_list: Sequence[Regions], y: np.ndarray, C: float,
    weights: np.ndarray | None = None,
) -> BowModel:
    from sklearn.linear_model import LogisticRegression

    X = design(vocab, regions_list)
    m = LogisticRegression(C=C, max_iter=2000)
    m.fit(X, y, sample_weight=weights)
    return BowModel(vocab, m.coef_, m.intercept_)
