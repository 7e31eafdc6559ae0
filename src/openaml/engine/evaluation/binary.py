"""BINARY evaluation: the AUC, metrics at the score threshold, curves, histograms and the threshold table.

A record is predicted positive (class ``"1"``) when its score is at least the threshold, as in batch and
real-time predictions. The ROC and precision-recall curves come from scikit-learn and are thinned to at
most :data:`MAX_CURVE_POINTS` points, always keeping both ends.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn import metrics as sk

from openaml.engine.evaluation.confusion import ConfusionMatrix
from openaml.engine.evaluation.result import (
    FloatArray,
    IntArray,
    TypeEvaluation,
    json_counts,
    json_numbers,
    notice,
    safe_ratio,
)
from openaml.engine.metrics import metric_for
from openaml.engine.models import ModelType

MAX_CURVE_POINTS = 200
HISTOGRAM_BINS = 50
#: The cut-offs of the threshold table: 0.00, 0.01, ..., 1.00.
THRESHOLD_CUTOFFS = np.round(np.linspace(0.0, 1.0, 101), 2)
#: The AUC of a model that ranks at random, Amazon ML's binary baseline.
BASELINE_AUC = 0.5


def evaluate_binary(
    y: IntArray, scores: FloatArray, classes: tuple[str, ...], threshold: float
) -> TypeEvaluation:
    """Evaluate P(class 1) ``scores`` against 0/1 targets ``y`` at ``threshold``."""
    positives = int(y.sum())
    negatives = len(y) - positives
    has_both_classes = positives > 0 and negatives > 0
    confusion = ConfusionMatrix.from_indices(y, (scores >= threshold).astype(np.int64), classes)
    warnings = []
    if not has_both_classes:
        present = classes[1] if positives else classes[0]
        warnings.append(
            notice(
                "BinaryAUCUndefined",
                f"Every evaluation record has the target class {present!r}, so the AUC and the ROC curve "
                "are undefined (BinaryAUC is NaN). Evaluate on a datasource that holds both classes.",
            )
        )
    metrics: dict[str, float | None] = {
        "BinaryAUC": metric_for("auc", ModelType.BINARY).compute(y, scores) if has_both_classes else None,
        "BinaryAccuracy": float(np.trace(confusion.counts) / len(y)),
        "BinaryLogLoss": metric_for("log_loss", ModelType.BINARY).compute(y, scores),
        "BinaryPrecision": float(confusion.precision[1]),
        "BinaryRecall": float(confusion.recall[1]),
        "BinaryF1Score": float(confusion.f1[1]),
        "BinaryScoreThreshold": threshold,
        "BaselineBinaryAUC": BASELINE_AUC,
    }
    sections = {
        "scoreThreshold": threshold,
        "confusionMatrix": confusion.to_dict(),
        "rocCurve": _roc_curve(y, scores) if has_both_classes else None,
        "precisionRecallCurve": _precision_recall_curve(y, scores) if positives else None,
        "scoreHistograms": _score_histograms(y, scores),
        "thresholdTable": _threshold_table(y, scores),
    }
    return TypeEvaluation(metrics, sections, warnings)


def _thinned(length: int) -> IntArray:
    """Indices of at most MAX_CURVE_POINTS evenly spread points of a curve, both ends included."""
    if length <= MAX_CURVE_POINTS:
        return np.arange(length, dtype=np.int64)
    return np.unique(np.round(np.linspace(0, length - 1, MAX_CURVE_POINTS)).astype(np.int64))


def _roc_curve(y: IntArray, scores: FloatArray) -> dict[str, Any]:
    fpr, tpr, thresholds = sk.roc_curve(y, scores)
    keep = _thinned(len(fpr))
    # The first threshold is +inf (nothing predicted positive); JSON gets null there.
    return {
        "fpr": json_numbers(fpr[keep]),
        "tpr": json_numbers(tpr[keep]),
        "thresholds": json_numbers(thresholds[keep]),
    }


def _precision_recall_curve(y: IntArray, scores: FloatArray) -> dict[str, Any]:
    precision, recall, thresholds = sk.precision_recall_curve(y, scores)
    # scikit-learn ends the curve at (recall 0, precision 1), a point without a threshold.
    thresholds = np.append(thresholds, np.nan)
    keep = _thinned(len(precision))
    return {
        "precision": json_numbers(precision[keep]),
        "recall": json_numbers(recall[keep]),
        "thresholds": json_numbers(thresholds[keep]),
    }


def _score_histograms(y: IntArray, scores: FloatArray) -> dict[str, Any]:
    edges = np.linspace(0.0, 1.0, HISTOGRAM_BINS + 1)
    clipped = np.clip(scores, 0.0, 1.0)
    positives, _ = np.histogram(clipped[y == 1], bins=edges)
    negatives, _ = np.histogram(clipped[y == 0], bins=edges)
    return {
        "edges": json_numbers(edges),
        "positives": json_counts(positives),
        "negatives": json_counts(negatives),
    }


def _threshold_table(y: IntArray, scores: FloatArray) -> dict[str, Any]:
    positive_scores = np.sort(scores[y == 1])
    negative_scores = np.sort(scores[y == 0])
    positives, negatives = len(positive_scores), len(negative_scores)
    # Records scoring at least the cut-off are predicted positive.
    tp = positives - np.searchsorted(positive_scores, THRESHOLD_CUTOFFS, side="left")
    fp = negatives - np.searchsorted(negative_scores, THRESHOLD_CUTOFFS, side="left")
    fn = positives - tp
    tn = negatives - fp
    return {
        "threshold": json_numbers(THRESHOLD_CUTOFFS),
        "tp": json_counts(tp),
        "fp": json_counts(fp),
        "tn": json_counts(tn),
        "fn": json_counts(fn),
        "precision": json_numbers(safe_ratio(tp, tp + fp)),
        "recall": json_numbers(safe_ratio(tp, positives)),
        "fpr": json_numbers(safe_ratio(fp, negatives)),
        "accuracy": json_numbers((tp + tn) / (positives + negatives)),
    }
