"""Gradient-boosted trees as plain arrays: exported from scikit-learn, evaluated with numpy.

Shipping the trees as an .npz of numeric arrays (loaded with allow_pickle=False) means the
model file can never execute code, unlike a pickle or joblib dump, and the engine does not
need scikit-learn at inference.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np


class TreeEnsemble:
    """All trees of a boosted model, flattened into node arrays and walked level by level."""

    def __init__(
        self,
        feature: np.ndarray,
        threshold: np.ndarray,
        left: np.ndarray,
        right: np.ndarray,
        value: np.ndarray,
        roots: np.ndarray,
        tree_class: np.ndarray,
        baseline: np.ndarray,
        max_depth: int,
    ) -> None:
        self.feature = feature.astype(np.int64)
        self.threshold = threshold.astype(np.float64)
        self.left = left.astype(np.int64)
        self.right = right.astype(np.int64)
        self.value = value.astype(np.float64)
        self.roots = roots.astype(np.int64)
        self.tree_class = tree_class.astype(np.int64)
        self.baseline = baseline.astype(np.float64)
        self.max_depth = int(max_depth)
        self.n_classes = int(self.baseline.shape[0])

    @classmethod
    def from_sklearn(cls, model: Any) -> TreeEnsemble:
        """Flatten a fitted HistGradientBoostingClassifier (numeric features, no NaN)."""
        feats, thrs, lefts, rights, vals, roots, tcls = [], [], [], [], [], [], []
        offset = 0
        max_depth = 0
        for it in model._predictors:
            for k, pred in enumerate(it):
                nodes = pred.nodes
                leaf = nodes["is_leaf"].astype(bool)
                left = nodes["left"].astype(np.int64) + offset
                right = nodes["right"].astype(np.int64) + offset
                idx = np.arange(len(nodes)) + offset
                # Leaves point to themselves so that extra walking steps are harmless.
                lefts.append(np.where(leaf, idx, left))
                rights.append(np.where(leaf, idx, right))
                feats.append(np.where(leaf, 0, nodes["feature_idx"]))
                thrs.append(np.where(leaf, np.inf, nodes["num_threshold"]))
                vals.append(np.where(leaf, nodes["value"], 0.0))
                roots.append(offset)
                tcls.append(k)
                max_depth = max(max_depth, int(nodes["depth"].max()))
                offset += len(nodes)
        return cls(
            np.concatenate(feats), np.concatenate(thrs), np.concatenate(lefts),
            np.concatenate(rights), np.concatenate(vals), np.array(roots), np.array(tcls),
            np.asarray(model._baseline_prediction).ravel(), max_depth,
        )

    def raw(self, X: np.ndarray, block: int = 1024) -> np.ndarray:
        """Raw scores (log-odds / softmax logits), shape (n, n_classes).

        Rows are walked in blocks so that a large batch does not allocate an
        (n, n_trees) index array at once.
        """
        X = np.asarray(X, dtype=np.float64)
        if X.shape[0] > block:
            return np.vstack([self.raw(X[i : i + block]) for i in range(0, X.shape[0], block)])
        n = X.shape[0]
        idx = np.broadcast_to(self.roots, (n, len(self.roots))).copy()
        rows = np.arange(n)[:, None]
        for _ in range(self.max_depth):
            go_left = X[rows, self.feature[idx]] <= self.threshold[idx]
            idx = np.where(go_left, self.left[idx], self.right[idx])
        leaf_vals = self.value[idx]
        out = np.tile(self.baseline, (n, 1))
        for k in range(self.n_classes):
            out[:, k] += leaf_vals[:, self.tree_class == k].sum(axis=1)
        return out

    def proba(self, X: np.ndarray, temperature: float = 1.0) -> np.ndarray:
        """Class probabilities; binary models return P(class 1) in a (n, 2) array."""
        r = self.raw(X) / temperature
        if self.n_classes == 1:
            p = 1.0 / (1.0 + np.exp(-r[:, 0]))
            return np.stack([1 - p, p], axis=1)
        r = r - r.max(axis=1, keepdims=True)
        e = np.exp(r)
        return e / e.sum(axis=1, keepdims=True)

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        return {
            f"{prefix}feature": self.feature.astype(np.int16),
            f"{prefix}threshold": self.threshold,
            f"{prefix}left": self.left.astype(np.int32),
            f"{prefix}right": self.right.astype(np.int32),
            f"{prefix}value": self.value.astype(np.float32),
            f"{prefix}roots": self.roots.astype(np.int32),
            f"{prefix}tree_class": self.tree_class.astype(np.int8),
            f"{prefix}baseline": self.baseline,
            f"{prefix}max_depth": np.array([self.max_depth], dtype=np.int32),
        }

    @classmethod
    def from_arrays(cls, z: Any, prefix: str) -> TreeEnsemble:
        return cls(
            z[f"{prefix}feature"], z[f"{prefix}threshold"], z[f"{prefix}left"],
            z[f"{prefix}right"], z[f"{prefix}value"], z[f"{prefix}roots"],
            z[f"{prefix}tree_class"], z[f"{prefix}baseline"], int(z[f"{prefix}max_depth"][0]),
        )


def save_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    np.savez_compressed(path, **arrays)


def load_npz(path: Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}
