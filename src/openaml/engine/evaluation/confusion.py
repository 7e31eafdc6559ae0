"""Confusion matrices and the per-class precision, recall and F1 read from them.

Rows are true classes and columns predicted classes, in label order. A class never predicted has
precision 0 and a class absent from the data has recall 0 (scikit-learn's ``zero_division=0``), so
every figure is a number the console can draw.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from openaml.engine.evaluation.result import FloatArray, IntArray, json_counts, json_numbers, safe_ratio


@dataclass(frozen=True)
class ConfusionMatrix:
    """Counts of (true class, predicted class) pairs over ``labels``."""

    labels: tuple[str, ...]
    counts: IntArray

    @classmethod
    def from_indices(
        cls, true_index: IntArray, predicted_index: IntArray, labels: Sequence[str]
    ) -> ConfusionMatrix:
        """Count the pairs of class indices (positions in ``labels``)."""
        size = len(labels)
        flat = np.bincount(true_index * size + predicted_index, minlength=size * size)
        return cls(tuple(labels), flat.reshape(size, size).astype(np.int64))

    @property
    def support(self) -> IntArray:
        """Records of each true class."""
        return np.asarray(self.counts.sum(axis=1), dtype=np.int64)

    @property
    def predicted(self) -> IntArray:
        """Records predicted as each class."""
        return np.asarray(self.counts.sum(axis=0), dtype=np.int64)

    @property
    def precision(self) -> FloatArray:
        """Per class: correct predictions of the class / predictions of the class."""
        return safe_ratio(np.diag(self.counts), self.predicted)

    @property
    def recall(self) -> FloatArray:
        """Per class: correct predictions of the class / records of the class."""
        return safe_ratio(np.diag(self.counts), self.support)

    @property
    def f1(self) -> FloatArray:
        """Per class: the harmonic mean of precision and recall."""
        precision, recall = self.precision, self.recall
        return safe_ratio(2 * precision * recall, precision + recall)

    @property
    def normalized(self) -> FloatArray:
        """Each row divided by its total: the share of a true class predicted as each class."""
        return safe_ratio(self.counts, self.support[:, np.newaxis])

    def to_dict(self) -> dict[str, Any]:
        """The report's ``confusionMatrix`` section."""
        per_class = zip(
            self.labels, self.precision, self.recall, self.f1, self.support, self.predicted, strict=True
        )
        return {
            "labels": list(self.labels),
            "counts": [json_counts(row) for row in self.counts],
            "normalized": [json_numbers(row) for row in self.normalized],
            "perClass": [
                {
                    "label": label,
                    "precision": float(precision),
                    "recall": float(recall),
                    "f1": float(f1),
                    "support": int(support),
                    "predicted": int(predicted),
                }
                for label, precision, recall, f1, support, predicted in per_class
            ],
        }
