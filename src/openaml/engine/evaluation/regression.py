"""REGRESSION evaluation: RMSE (Amazon ML's ``RegressionRMSE``), companions and residual pictures.

Residuals are ``true - predicted``, as the Amazon ML console drew them: a histogram centred on zero
means the errors are unbiased. The histogram's range is symmetric around zero and covers the central
99 % of the residuals; the rest are counted as ``below``/``above``, so one outlier cannot squash the
picture. The predicted-vs-actual summary sorts the records by prediction into equal-count bins and
describes the actual values in each, plus a fixed random sample of points for a scatter plot.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from openaml.engine.evaluation.result import (
    FloatArray,
    TypeEvaluation,
    json_counts,
    json_number,
    json_numbers,
    quantile_table,
)
from openaml.engine.metrics import metric_for
from openaml.engine.models import ModelType

HISTOGRAM_BINS = 50
PREDICTION_BINS = 20
SAMPLE_POINTS = 500
ERROR_QUANTILES = (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99)
_SAMPLE_SEED = 0


def evaluate_regression(y: FloatArray, predicted: FloatArray, target_mean: float | None) -> TypeEvaluation:
    """Evaluate ``predicted`` values against targets ``y``; the baseline predicts ``target_mean``."""
    residuals = y - predicted
    mean = float(np.mean(y)) if target_mean is None else target_mean
    rmse = metric_for("rmse", ModelType.REGRESSION)
    metrics: dict[str, float | None] = {
        "RegressionRMSE": rmse.compute(y, predicted),
        "RegressionMAE": metric_for("mae", ModelType.REGRESSION).compute(y, predicted),
        # R² compares with the variance of y, which one record does not have.
        "RegressionR2": metric_for("r2", ModelType.REGRESSION).compute(y, predicted) if len(y) > 1 else None,
        "RegressionMedianAbsoluteError": float(np.median(np.abs(residuals))),
        "BaselineRegressionRMSE": rmse.compute(y, np.full_like(y, mean)),
    }
    sections = {
        "baselineMean": mean,
        "residualHistogram": _residual_histogram(residuals),
        "errorQuantiles": {
            "residual": quantile_table(residuals, ERROR_QUANTILES),
            "absoluteError": quantile_table(np.abs(residuals), ERROR_QUANTILES),
        },
        "predictedVsActual": _predicted_vs_actual(y, predicted),
    }
    return TypeEvaluation(metrics, sections, [])


def _residual_histogram(residuals: FloatArray) -> dict[str, Any]:
    reach = float(np.quantile(np.abs(residuals), 0.99))
    if reach == 0.0:
        reach = float(np.max(np.abs(residuals))) or 1.0
    edges = np.linspace(-reach, reach, HISTOGRAM_BINS + 1)
    counts, _ = np.histogram(residuals, bins=edges)
    return {
        "edges": json_numbers(edges),
        "counts": json_counts(counts),
        "below": int(np.count_nonzero(residuals < -reach)),
        "above": int(np.count_nonzero(residuals > reach)),
    }


def _predicted_vs_actual(y: FloatArray, predicted: FloatArray) -> dict[str, Any]:
    order = np.argsort(predicted, kind="stable")
    bins = [chunk for chunk in np.array_split(order, min(PREDICTION_BINS, len(order))) if len(chunk)]
    actual_quantiles = np.array([np.quantile(y[chunk], (0.1, 0.5, 0.9)) for chunk in bins])
    rng = np.random.default_rng(_SAMPLE_SEED)
    sample = np.sort(rng.choice(len(y), size=min(SAMPLE_POINTS, len(y)), replace=False))
    return {
        "bins": {
            "count": [len(chunk) for chunk in bins],
            "predictedMin": json_numbers([predicted[chunk].min() for chunk in bins]),
            "predictedMax": json_numbers([predicted[chunk].max() for chunk in bins]),
            "predictedMean": json_numbers([predicted[chunk].mean() for chunk in bins]),
            "actualMean": json_numbers([y[chunk].mean() for chunk in bins]),
            "actualP10": json_numbers(actual_quantiles[:, 0]),
            "actualMedian": json_numbers(actual_quantiles[:, 1]),
            "actualP90": json_numbers(actual_quantiles[:, 2]),
        },
        "sample": {"predicted": json_numbers(predicted[sample]), "actual": json_numbers(y[sample])},
        "range": {
            "min": json_number(min(y.min(), predicted.min())),
            "max": json_number(max(y.max(), predicted.max())),
        },
    }
