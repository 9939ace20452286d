"""Stance of an article toward a claim: supports, refutes, discusses or unrelated.

`StanceEngine.load()` reads the shipped model (json + npz) from this package's `model/`
folder; see MODEL_CARD.md for what it is and how it was trained and measured.

`StanceEngine` is imported on first use: the claim index needs only `analysis.stance.text`,
and importing the engine with it would load numpy's and scipy's 30 MB into every process
that imports the task modules, a worker's main process too, which never judges stance.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from analysis.stance.engine import StanceEngine

__all__ = ["StanceEngine"]


def __getattr__(name: str) -> Any:
    if name == "StanceEngine":
        from analysis.stance.engine import StanceEngine

        return StanceEngine
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
