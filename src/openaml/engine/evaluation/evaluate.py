"""Evaluate a model's scores against the true targets: Amazon ML's properties and a detailed report.

:func:`evaluate` takes the typed target column (contract 2: BINARY 0.0/1.0, MULTICLASS strings,
REGRESSION floats) and the model's ``predict_scores`` output (contract 4). Records without a target
value or with a non-finite score are left out and counted in ``records``.

``PerformanceMetrics.Properties`` (all values strings; ``"NaN"`` when undefined)
-------------------------------------------------------------------------------

===================================  ================================================================
BINARY
``BinaryAUC``                        area under the ROC curve — Amazon ML's headline; NaN with one class
``BinaryAccuracy``                   (TP + TN) / N at the score threshold
``BinaryLogLoss``                    mean negative log-likelihood of the scores (clipped at 1e-15)
``BinaryPrecision``                  TP / (TP + FP) at the threshold (0 when nothing is predicted 1)
``BinaryRecall``                     TP / (TP + FN) at the threshold
``BinaryF1Score``                    harmonic mean of the two above
``BinaryScoreThreshold``             the cut-off used: score ≥ threshold predicts ``"1"``
``BaselineBinaryAUC``                0.5, the AUC of random ranking
MULTICLASS
``MulticlassAvgFScore``              macro-averaged F1 — Amazon ML's headline
``MulticlassAccuracy``               share of records whose most probable class is the true one
``MulticlassMacroPrecision``         unweighted mean of per-class precision
``MulticlassMacroRecall``            unweighted mean of per-class recall
``MulticlassWeightedFScore``         per-class F1 averaged with weights = class support
``MulticlassLogLoss``                mean negative log-likelihood of the true class
``BaselineMulticlassAvgFScore``      macro-F1 of always predicting the majority class
REGRESSION
``RegressionRMSE``                   sqrt(mean((y − ŷ)²)) — Amazon ML's headline
``RegressionMAE``                    mean |y − ŷ|
``RegressionR2``                     coefficient of determination (NaN for a single record)
``RegressionMedianAbsoluteError``    median |y − ŷ|
``BaselineRegressionRMSE``           RMSE of always predicting the target mean
===================================  ================================================================

Macro averages run over the classes present in the data or the predictions. The baselines use the
training datasource's majority class / target mean when the caller passes them (as Amazon ML did),
else the evaluation data's own.

Report JSON (``version`` 1)
---------------------------
Every report::

    {"version": 1, "modelType": "BINARY|MULTICLASS|REGRESSION",
     "records": {"total": n, "evaluated": m, "withoutTarget": a, "withoutScore": b},
     "metrics": {"<property name>": number|null, ...},      # the properties, as numbers
     "warnings": [{"code": "...", "message": "..."}],
     ...sections of the model type...}

``confusionMatrix`` (BINARY, MULTICLASS; rows = true class, columns = predicted class, full size)::

    {"labels": ["0", "1"], "counts": [[int]], "normalized": [[row share]],
     "perClass": [{"label", "precision", "recall", "f1", "support", "predicted"}]}

BINARY also: ``scoreThreshold``;
``rocCurve`` ``{"fpr": [], "tpr": [], "thresholds": []}`` (≤ 200 points; null with one class; the first
threshold is null, i.e. +∞); ``precisionRecallCurve`` ``{"precision": [], "recall": [], "thresholds": []}``
(≤ 200 points, the last threshold null; null without positives); ``scoreHistograms``
``{"edges": [51 edges over 0..1], "positives": [50 counts], "negatives": [50 counts]}``;
``thresholdTable`` ``{"threshold": [0.00 … 1.00 by 0.01], "tp", "fp", "tn", "fn", "precision", "recall",
"fpr", "accuracy": [one per threshold]}``.

MULTICLASS also: ``baselineClass`` (the class of the baseline).

REGRESSION: ``baselineMean``; ``residualHistogram`` ``{"edges": [51], "counts": [50], "below": int,
"above": int}`` (residual = true − predicted); ``errorQuantiles`` ``{"residual": {"0.01": x, ... "0.99": x},
"absoluteError": {...}}``; ``predictedVsActual`` ``{"bins": {"count", "predictedMin", "predictedMax",
"predictedMean", "actualMean", "actualP10", "actualMedian", "actualP90": [one per bin]},
"sample": {"predicted": [], "actual": []}, "range": {"min", "max"}}`` (≤ 20 equal-count bins by
prediction, ≤ 500 sampled points).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from openaml.engine.evaluation.binary import evaluate_binary
from openaml.engine.evaluation.multiclass import evaluate_multiclass
from openaml.engine.evaluation.regression import evaluate_regression
from openaml.engine.evaluation.result import (
    REPORT_VERSION,
    EvaluationResult,
    FloatArray,
    TypeEvaluation,
    json_number,
    notice,
    property_string,
)
from openaml.engine.models import ModelType
from openaml.errors import InvalidInputException


def evaluate(
    model_type: ModelType | str,
    y_true: npt.ArrayLike,
    scores: npt.ArrayLike,
    *,
    classes: Sequence[str] | None,
    score_threshold: float = 0.5,
    majority_class: str | None = None,
    target_mean: float | None = None,
) -> EvaluationResult:
    """Compute the properties and the report of one evaluation.

    ``classes`` are the model's classes (``("0", "1")`` for BINARY, score-column order for MULTICLASS,
    ignored for REGRESSION). ``majority_class`` and ``target_mean`` are the training target's most
    frequent class and mean, for the baselines. Raises ``InvalidInputException`` when no record can
    be evaluated and ``ValueError`` when the arrays do not fit together (a caller's bug).
    """
    model_type = ModelType(model_type)
    if not 0.0 <= score_threshold <= 1.0:
        raise InvalidInputException(f"The score threshold must be between 0 and 1, got {score_threshold}.")
    target, score_array = _check_shapes(model_type, y_true, scores, classes)
    records = _Records.select(model_type, target, score_array)

    evaluation: TypeEvaluation
    if model_type is ModelType.BINARY:
        labels = target[records.kept].astype(np.float64)
        if not np.isin(labels, (0.0, 1.0)).all():
            raise ValueError("BINARY targets must be 0.0 or 1.0")
        evaluation = evaluate_binary(
            labels.astype(np.int64), score_array[records.kept], tuple(classes or ("0", "1")), score_threshold
        )
    elif model_type is ModelType.MULTICLASS:
        evaluation = evaluate_multiclass(
            target[records.kept], score_array[records.kept], tuple(classes or ()), majority_class
        )
    else:
        evaluation = evaluate_regression(
            target[records.kept].astype(np.float64), score_array[records.kept], target_mean
        )

    report: dict[str, Any] = {
        "version": REPORT_VERSION,
        "modelType": model_type.value,
        "records": records.to_dict(),
        "metrics": {
            name: None if value is None else json_number(value) for name, value in evaluation.metrics.items()
        },
        "warnings": records.warnings() + evaluation.warnings,
        **evaluation.sections,
    }
    properties = {name: property_string(value) for name, value in evaluation.metrics.items()}
    return EvaluationResult(properties=properties, report=report)


def _check_shapes(
    model_type: ModelType, y_true: npt.ArrayLike, scores: npt.ArrayLike, classes: Sequence[str] | None
) -> tuple[npt.NDArray[Any], FloatArray]:
    target = np.asarray(y_true, dtype=object if model_type is ModelType.MULTICLASS else np.float64)
    score_array = np.asarray(scores, dtype=np.float64)
    if target.ndim != 1:
        raise ValueError(f"y_true must be one-dimensional, got shape {target.shape}")
    if model_type is ModelType.MULTICLASS:
        if not classes:
            raise ValueError("MULTICLASS evaluation needs the model's classes")
        expected: tuple[int, ...] = (len(target), len(classes))
    else:
        if model_type is ModelType.BINARY and classes is not None and len(classes) != 2:
            raise ValueError(f"a BINARY model has two classes, got {classes}")
        expected = (len(target),)
    if score_array.shape != expected:
        raise ValueError(f"{model_type.value} scores must have shape {expected}, got {score_array.shape}")
    if len(target) == 0:
        raise InvalidInputException(
            "The evaluation datasource has no records, so there is nothing to evaluate."
        )
    return target, score_array


@dataclass(frozen=True)
class _Records:
    """Which records are evaluated, and why the others are not."""

    kept: npt.NDArray[np.bool_]
    without_target: int
    without_score: int

    @classmethod
    def select(cls, model_type: ModelType, target: npt.NDArray[Any], scores: FloatArray) -> _Records:
        has_target = ~np.asarray(pd.isna(target), dtype=np.bool_)
        if model_type is not ModelType.MULTICLASS:
            has_target &= np.isfinite(target.astype(np.float64))
        finite = np.isfinite(scores)
        has_score = finite.all(axis=1) if finite.ndim == 2 else finite
        kept = has_target & has_score
        records = cls(
            kept, int(np.count_nonzero(~has_target)), int(np.count_nonzero(has_target & ~has_score))
        )
        if not kept.any():
            raise InvalidInputException(
                f"None of the {len(target)} evaluation records has both a target value and a finite model "
                f"score ({records.without_target} without target, {records.without_score} without score); "
                "check that the evaluation datasource has the model's target attribute filled in."
            )
        return records

    def to_dict(self) -> dict[str, int]:
        return {
            "total": len(self.kept),
            "evaluated": int(np.count_nonzero(self.kept)),
            "withoutTarget": self.without_target,
            "withoutScore": self.without_score,
        }

    def warnings(self) -> list[dict[str, str]]:
        warnings = []
        if self.without_target:
            warnings.append(
                notice(
                    "RecordsWithoutTarget",
                    f"{self.without_target} of {len(self.kept)} evaluation records have no target value and "
                    "were left out of the metrics.",
                )
            )
        if self.without_score:
            warnings.append(
                notice(
                    "RecordsWithoutScore",
                    f"The model gave no finite score for {self.without_score} evaluation record(s); "
                    "they were left out of the metrics. This points to a model fault; please report it.",
                )
            )
        return warnings
