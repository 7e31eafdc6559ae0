"""Real-time predictions: records of strings in, Amazon ML ``Prediction`` shapes out.

A record maps attribute names to string values, whatever the schema type (as ``Predict`` sends them).
Values are parsed with the training schema: NUMERIC values that are not numbers, and BINARY values
outside the literal set, count as missing (Amazon ML's documented treatment of missing values applies
to them); missing attributes are missing values; attributes the schema does not know — the target
included — are ignored.

Shapes (Amazon ML's, including its BINARY quirk):
BINARY ``{"predictedLabel": "1", "predictedScores": {"1": 0.83}}`` — one score, keyed by the predicted
label, always P(class 1); MULTICLASS every class → probability; REGRESSION ``{"predictedValue": x}``.
Each carries ``details`` ``{"PredictiveModelType", "Algorithm": "SGD"}``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from openaml.engine.data.schema import AttributeType, DataSchema
from openaml.engine.models import ModelType, TrainedModel

_BINARY = {
    "1": 1.0,
    "y": 1.0,
    "yes": 1.0,
    "t": 1.0,
    "true": 1.0,
    "0": 0.0,
    "n": 0.0,
    "no": 0.0,
    "f": 0.0,
    "false": 0.0,
}


def _number(value: str | None) -> float:
    if value is None:
        return math.nan
    try:
        number = float(value)
    except ValueError:
        return math.nan
    return number if math.isfinite(number) else math.nan


def _binary(value: str | None) -> float:
    return math.nan if value is None else _BINARY.get(value.strip().lower(), math.nan)


def _text(value: str | None) -> str | None:
    return value if value else None


_PARSERS = {
    AttributeType.NUMERIC: _number,
    AttributeType.BINARY: _binary,
    AttributeType.CATEGORICAL: _text,
    AttributeType.TEXT: _text,
}


def records_to_frame(records: Sequence[Mapping[str, str]], schema: DataSchema) -> pd.DataFrame:
    """A typed frame (one row per record) of the schema's input attributes."""
    columns: dict[str, Any] = {}
    for attribute in schema.input_attributes:
        parse = _PARSERS[attribute.type]
        values = [parse(record.get(attribute.name)) for record in records]
        if attribute.type in (AttributeType.NUMERIC, AttributeType.BINARY):
            columns[attribute.name] = np.asarray(values, dtype=np.float64)
        else:
            columns[attribute.name] = pd.Series(values, dtype=object)
    return pd.DataFrame(columns, index=pd.RangeIndex(len(records)))


class RecordPredictor:
    """One loaded model ready for real-time use: records in, ``Prediction`` dicts out."""

    def __init__(self, model: TrainedModel, schema: DataSchema, *, score_threshold: float = 0.5) -> None:
        self.model = model
        self.schema = schema
        self.score_threshold = score_threshold
        self.details = {"PredictiveModelType": model.model_type.value, "Algorithm": "SGD"}

    def predict(self, records: Sequence[Mapping[str, str]]) -> list[dict[str, Any]]:
        scores = self.model.predict_scores(records_to_frame(records, self.schema))
        return [self._shape(scores[index]) for index in range(len(records))]

    def _shape(self, score: Any) -> dict[str, Any]:
        model_type = self.model.model_type
        if model_type is ModelType.REGRESSION:
            return {"predictedValue": float(score), "details": self.details}
        if model_type is ModelType.BINARY:
            label = "1" if float(score) >= self.score_threshold else "0"
            return {
                "predictedLabel": label,
                "predictedScores": {label: float(score)},
                "details": self.details,
            }
        classes = self.model.classes or ()
        row = [float(value) for value in score]
        best = max(range(len(row)), key=row.__getitem__)
        return {
            "predictedLabel": classes[best],
            "predictedScores": dict(zip(classes, row, strict=True)),
            "details": self.details,
        }
