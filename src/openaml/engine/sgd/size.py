"""The size of an SGD model, and trimming the least useful patterns to fit ``sgd.maxMLModelSizeInBytes``.

A *pattern* is a feature with a non-zero weight. We count a model's size as what it needs to store
its patterns: each pattern's name in UTF-8 plus 8 bytes per weight (one weight per class for
multiclass models), plus :data:`BASE_MODEL_BYTES` for the intercepts and bookkeeping. Features without
weight cost nothing, so L1 regularization makes models smaller.

When the patterns do not fit, the least useful ones are dropped: usefulness is the length of a
feature's weight vector measured on max-abs scaled features, so that it reflects how much the feature
can move a score, whatever the unit of the raw value.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

BASE_MODEL_BYTES = 1_024
WEIGHT_BYTES = 8


def pattern_bytes(feature_names: Sequence[str], n_outputs: int) -> np.ndarray:
    """The bytes each feature takes when it is a pattern."""
    return np.array(
        [len(name.encode("utf-8")) + WEIGHT_BYTES * n_outputs for name in feature_names], np.int64
    )


def model_size_in_bytes(sizes: np.ndarray, kept: np.ndarray) -> int:
    """The size of a model whose patterns are the features where ``kept`` is true."""
    return BASE_MODEL_BYTES + int(sizes[kept].sum())


def patterns_that_fit(scaled_weights: np.ndarray, sizes: np.ndarray, max_bytes: int) -> np.ndarray:
    """A boolean mask of the features kept: the most useful non-zero ones whose sizes fit ``max_bytes``.

    ``scaled_weights`` has one row per feature (weights on max-abs scaled features).
    """
    usefulness: np.ndarray = np.sqrt(np.square(scaled_weights).sum(axis=1))
    kept: np.ndarray = usefulness > 0
    if model_size_in_bytes(sizes, kept) <= max_bytes:
        return kept
    # Most useful first; ties keep the feature order so that trimming is deterministic.
    by_usefulness = np.argsort(-usefulness, kind="stable")
    by_usefulness = by_usefulness[usefulness[by_usefulness] > 0]
    fits = np.cumsum(sizes[by_usefulness]) <= max_bytes - BASE_MODEL_BYTES
    trimmed = np.zeros(len(sizes), dtype=bool)
    trimmed[by_usefulness[fits]] = True
    return trimmed
