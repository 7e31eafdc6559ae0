"""Global feature importance: how much each input attribute moves a model's predictions.

* Models whose predictions are explained (see :mod:`.explainer`): the mean absolute contribution of
  each attribute over a sample of the training data, in the explanations' space
  (``"method": "meanAbsoluteContribution"``).
* Other models (an ensemble with a forest, k-NN or MLP member): permutation importance — how much the
  validation loss (log loss for BINARY and MULTICLASS, RMSE for REGRESSION) grows when one attribute's
  values are shuffled among the sample's rows (``"method": "permutation"``; one shuffle per attribute,
  on at most :data:`PERMUTATION_ROWS` rows, so a model with many attributes still takes seconds).

The result (``version`` 1)::

    {"version": 1, "method": "meanAbsoluteContribution", "space": "logodds", "metric": null,
     "sampleRows": 2000, "reason": null,
     "attributes": [{"name": "sex", "importance": 1.12}, {"name": "age", "importance": 0.31}]}

Attributes are sorted by importance, largest first; ``reason`` says why permutation was used.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from openaml.engine.explain.explainer import ModelExplainer
from openaml.engine.metrics import metric_for
from openaml.engine.models import ModelType, TrainedModel

IMPORTANCE_VERSION = 1
PERMUTATION_ROWS = 500
_CHUNK_ROWS = 2_000


def feature_importance(
    model: TrainedModel, attributes: Sequence[str], frame: pd.DataFrame, target: str, *, seed: int = 0
) -> dict[str, Any]:
    """The importance of each of ``attributes`` on ``frame`` (a sample of training data with ``target``)."""
    explainer = ModelExplainer(model, attributes)
    inputs = frame.drop(columns=[target], errors="ignore").reset_index(drop=True)
    result: dict[str, Any] = {
        "version": IMPORTANCE_VERSION,
        "space": None,
        "metric": None,
        "reason": explainer.unavailable,
    }
    if explainer.unavailable is None:
        totals = np.zeros(len(explainer.attributes))
        for start in range(0, len(inputs), _CHUNK_ROWS):
            explanations = explainer.explain_frame(inputs.iloc[start : start + _CHUNK_ROWS])
            totals += np.abs(explanations.contributions).sum(axis=0)
        values = totals / max(len(inputs), 1)
        result |= {
            "method": "meanAbsoluteContribution",
            "space": explainer.space.value,
            "sampleRows": len(inputs),
        }
    else:
        metric_name, values, rows = _permutation(model, explainer.attributes, frame, target, seed)
        result |= {"method": "permutation", "metric": metric_name, "sampleRows": rows}
    order = np.argsort(-values, kind="stable")
    result["attributes"] = [
        {"name": explainer.attributes[index], "importance": float(values[index])} for index in order
    ]
    return result


def _permutation(
    model: TrainedModel, attributes: Sequence[str], frame: pd.DataFrame, target: str, seed: int
) -> tuple[str, np.ndarray, int]:
    """The loss increase of shuffling each attribute, the metric's name and the rows used."""
    sample = frame.iloc[:PERMUTATION_ROWS].reset_index(drop=True)
    y, keep = _encoded_target(model, sample[target])
    sample = sample[keep].reset_index(drop=True)
    inputs = sample.drop(columns=[target])
    metric = metric_for("rmse" if model.model_type is ModelType.REGRESSION else "log_loss", model.model_type)
    baseline = metric.loss(y, model.predict_scores(inputs))
    rng = np.random.default_rng(seed)
    increases = np.zeros(len(attributes))
    for index, name in enumerate(attributes):
        if name not in inputs.columns or len(inputs) < 2:
            continue
        shuffled = inputs.copy()
        shuffled[name] = inputs[name].to_numpy()[rng.permutation(len(inputs))]
        increases[index] = metric.loss(y, model.predict_scores(shuffled)) - baseline
    return metric.name, increases, len(inputs)


def _encoded_target(model: TrainedModel, values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """The target as the metrics read it (class indices or values), and which rows have one."""
    if model.model_type is ModelType.MULTICLASS:
        index = {label: position for position, label in enumerate(model.classes or ())}
        codes = np.array([index.get(str(value), -1) if not pd.isna(value) else -1 for value in values])
        keep = codes >= 0
        return codes[keep], keep
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64)
    keep = ~np.isnan(numbers)
    kept = numbers[keep]
    return (kept.astype(np.int64) if model.model_type is ModelType.BINARY else kept), keep
