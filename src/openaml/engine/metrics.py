"""Validation metrics the search can optimise, per model type, with Amazon ML's as the defaults.

Scores follow the :class:`~openaml.engine.models.TrainedModel` layout: BINARY ``(n,)`` probabilities
of class 1, MULTICLASS ``(n, k)`` probabilities, REGRESSION ``(n,)`` values. Targets are encoded as
class indices (0/1, 0..k-1) or floats.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from sklearn import metrics as sk

from openaml.engine.models import ModelType
from openaml.errors import InvalidInputException

FloatArray = npt.NDArray[np.float64]
_PROBABILITY_FLOOR = 1e-15


@dataclass(frozen=True)
class Metric:
    """A named validation metric and whether larger values are better.

    Larger-is-better metrics here are scores of at most 1 (AUC, accuracy, F1, R²); the others are
    errors of at least 0.
    """

    name: str
    greater_is_better: bool
    compute: Callable[[npt.NDArray[np.generic], FloatArray], float]
    #: A finer loss that decides between scores this metric rates equal: log loss for the metrics of
    #: labels and ranks, which tie often on a small validation set (one misclassified record of 258
    #: for several models); ``None`` where ties are rare.
    tie_breaker: Callable[[npt.NDArray[np.generic], FloatArray], float] | None = None

    def loss(self, y: npt.NDArray[np.generic], scores: FloatArray) -> float:
        """The metric as something to minimise (negated when larger is better)."""
        value = self.compute(y, scores)
        return -value if self.greater_is_better else value

    def from_loss(self, loss: float) -> float:
        """Turn a value from :meth:`loss` back into the metric's own scale."""
        return -loss if self.greater_is_better else loss

    def shifted(self, loss: float, share: float) -> float:
        """The loss ``share`` of the way further from a perfect score than ``loss`` (towards it when
        ``share`` is negative): relative to the error itself for errors, to 1 − the score for
        scores. ``0.005`` above an RMSE of 10 is 10.05; ``-0.02`` from an AUC of 0.9 is 0.902."""
        regret = 1.0 + loss if self.greater_is_better else loss
        return loss + share * abs(regret)

    def tie_loss(self, y: npt.NDArray[np.generic], scores: FloatArray) -> float:
        """:attr:`tie_breaker`'s loss (0 where the metric has none)."""
        return 0.0 if self.tie_breaker is None else self.tie_breaker(y, scores)


def _auc(y: npt.NDArray[np.generic], scores: FloatArray) -> float:
    if np.unique(y).size < 2:
        return 0.5
    return float(sk.roc_auc_score(y, scores))


def _binary_log_loss(y: npt.NDArray[np.generic], scores: FloatArray) -> float:
    # scikit-learn's formula without its input checks, which cost more than the sum when ensemble
    # selection breaks ties on it
    p = np.clip(np.asarray(scores, dtype=np.float64), _PROBABILITY_FLOOR, 1 - _PROBABILITY_FLOOR)
    positive = np.asarray(y, dtype=np.float64) == 1
    return float(-np.mean(np.where(positive, np.log(p), np.log1p(-p))))


def _binary_accuracy(y: npt.NDArray[np.generic], scores: FloatArray) -> float:
    return float(np.mean((scores >= 0.5) == (y == 1)))


def _binary_f1(y: npt.NDArray[np.generic], scores: FloatArray) -> float:
    return float(sk.f1_score(y, (scores >= 0.5).astype(int), zero_division=0.0))


def _macro_f1(y: npt.NDArray[np.generic], scores: FloatArray) -> float:
    """The mean F1 over the classes that occur in ``y`` or in the predictions, as the evaluation's
    ``MulticlassAvgFScore`` averages: a class with neither has no precision or recall to average."""
    return float(sk.f1_score(y, scores.argmax(axis=1), average="macro", zero_division=0.0))


def _multiclass_accuracy(y: npt.NDArray[np.generic], scores: FloatArray) -> float:
    return float(np.mean(scores.argmax(axis=1) == y))


def _multiclass_log_loss(y: npt.NDArray[np.generic], scores: FloatArray) -> float:
    clipped = np.clip(scores, _PROBABILITY_FLOOR, 1.0)
    clipped /= clipped.sum(axis=1, keepdims=True)
    chosen = clipped[np.arange(len(clipped)), np.asarray(y, dtype=np.int64)]
    return float(-np.mean(np.log(chosen)))


def _rmse(y: npt.NDArray[np.generic], scores: FloatArray) -> float:
    return float(np.sqrt(np.mean((np.asarray(y, dtype=np.float64) - scores) ** 2)))


def _mae(y: npt.NDArray[np.generic], scores: FloatArray) -> float:
    return float(np.mean(np.abs(np.asarray(y, dtype=np.float64) - scores)))


def _r2(y: npt.NDArray[np.generic], scores: FloatArray) -> float:
    return float(sk.r2_score(y, scores))


_METRICS: dict[ModelType, tuple[Metric, ...]] = {
    ModelType.BINARY: (
        Metric("auc", True, _auc, _binary_log_loss),
        Metric("log_loss", False, _binary_log_loss),
        Metric("accuracy", True, _binary_accuracy, _binary_log_loss),
        Metric("f1", True, _binary_f1, _binary_log_loss),
    ),
    ModelType.MULTICLASS: (
        Metric("macro_f1", True, _macro_f1, _multiclass_log_loss),
        Metric("accuracy", True, _multiclass_accuracy, _multiclass_log_loss),
        Metric("log_loss", False, _multiclass_log_loss),
    ),
    ModelType.REGRESSION: (
        Metric("rmse", False, _rmse),
        Metric("mae", False, _mae),
        Metric("r2", True, _r2),
    ),
}
_AMAZON_NAMES = {"binaryauc": "auc", "multiclassavgfscore": "macro_f1", "regressionrmse": "rmse"}


def metric_for(name: str | None, model_type: ModelType) -> Metric:
    """The metric called ``name`` for ``model_type``; ``None`` gives Amazon ML's metric for the type."""
    choices = _METRICS[model_type]
    if name is None:
        return choices[0]
    wanted = name.strip().lower()
    wanted = _AMAZON_NAMES.get(wanted, wanted)
    for metric in choices:
        if metric.name == wanted:
            return metric
    raise InvalidInputException(
        f"The metric {name!r} does not apply to {model_type.value} models; "
        f"use one of {', '.join(metric.name for metric in choices)}."
    )
