"""Stance of an article toward a claim: supports, refutes, discusses or unrelated.

`StanceEngine.load()` reads the shipped model (json + npz) from this package's `model/`
folder; see MODEL_CARD.md for what it is and how it was trained and measured.
"""

from analysis.stance.engine import StanceEngine

__all__ = ["StanceEngine"]
