"""Real-time predictions: records of strings in, Amazon ML ``Prediction`` shapes out.

A record maps attribute names to string values, whatever the schema type (as ``Predict`` sends them).
Values are parsed with the training schema: NUMERIC values that are not numbers, and BINARY values
outside the literal set, count as missing (Amazon ML's documented treatment of missing values applies
to them); missing attributes are missing values; attributes the schema does not know — the target
included — are ignored.

Parsed records are typed records (:mod:`.scoring`); a model that offers ``predict_records`` scores
them directly, any other model gets them as a typed frame.

Shapes (Amazon ML's, including its BINARY quirk):
BINARY ``{"predictedLabel": "1", "predictedScores": {"1": 0.83}}`` — one score, keyed by the predicted
label, always P(class 1); MULTICLASS every class → probability; REGRESSION ``{"predictedValue": x}``.
Each carries ``details`` ``{"PredictiveModelType", "Algorithm": "SGD"}``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import orjson
import pandas as pd

from openaml.engine.data.schema import AttributeType, DataSchema
from openaml.engine.models import ModelType, TrainedModel
from openaml.engine.predictors.scoring import RecordScorer, TypedRecord, TypedValue

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


_PARSERS: dict[AttributeType, Callable[[str | None], TypedValue]] = {
    AttributeType.NUMERIC: _number,
    AttributeType.BINARY: _binary,
    AttributeType.CATEGORICAL: _text,
    AttributeType.TEXT: _text,
}
_NUMBER_TYPES = (AttributeType.NUMERIC, AttributeType.BINARY)


def _numbers(values: list[str | None]) -> list[float]:
    """``values`` parsed as :func:`_number` parses each one, many at once.

    Wide records (hundreds of NUMERIC attributes) are common, and ``float()`` per value costs more
    than the model. So the values are first joined into one JSON array and parsed by orjson: a value
    that is a JSON number means the same number to ``float()`` (JSON numbers are a subset of its
    syntax, both correctly rounded, and orjson refuses one that overflows). Anything else — a missing
    or empty value, ``nan``, ``1_000``, or text that would change the array (``1,2``, ``true``) —
    shows as a parse error, a different count or a non-number, and then each value is parsed alone.
    """
    if None not in values:
        try:
            parsed = orjson.loads(f"[{','.join(cast(list[str], values))}]")
        except orjson.JSONDecodeError:
            parsed = None
        if parsed is not None and len(parsed) == len(values):
            types = set(map(type, parsed))
            if types == {float}:
                return cast(list[float], parsed)
            if types <= {float, int}:
                return [float(number) for number in parsed]
    return [_number(value) for value in values]


class RecordParser:
    """Parses records of strings into typed records of the schema's input attributes."""

    def __init__(self, schema: DataSchema) -> None:
        self.schema = schema
        inputs = schema.input_attributes
        self._numeric = [attribute.name for attribute in inputs if attribute.type is AttributeType.NUMERIC]
        self._parsers = [
            (attribute.name, _PARSERS[attribute.type])
            for attribute in inputs
            if attribute.type is not AttributeType.NUMERIC
        ]

    def parse(self, record: Mapping[str, str]) -> dict[str, TypedValue]:
        """The typed record: every input attribute of the schema, parsed (missing ones as missing)."""
        typed: dict[str, TypedValue] = dict(
            zip(self._numeric, _numbers(list(map(record.get, self._numeric))), strict=True)
        )
        for name, parse in self._parsers:
            typed[name] = parse(record.get(name))
        return typed

    def frame(self, records: Sequence[TypedRecord]) -> pd.DataFrame:
        """A typed frame (one row per typed record) of the schema's input attributes."""
        columns: dict[str, Any] = {}
        for attribute in self.schema.input_attributes:
            values = [record.get(attribute.name) for record in records]
            if attribute.type in _NUMBER_TYPES:
                columns[attribute.name] = np.asarray(values, dtype=np.float64)
            else:
                columns[attribute.name] = pd.Series(values, dtype=object)
        return pd.DataFrame(columns, index=pd.RangeIndex(len(records)))


def records_to_frame(records: Sequence[Mapping[str, str]], schema: DataSchema) -> pd.DataFrame:
    """A typed frame (one row per record) of the schema's input attributes."""
    parser = RecordParser(schema)
    return parser.frame([parser.parse(record) for record in records])


class RecordPredictor:
    """One loaded model ready for real-time use: records in, ``Prediction`` dicts out."""

    def __init__(self, model: TrainedModel, schema: DataSchema, *, score_threshold: float = 0.5) -> None:
        self.model = model
        self.schema = schema
        self.score_threshold = score_threshold
        self.details = {"PredictiveModelType": model.model_type.value, "Algorithm": "SGD"}
        self._parser = RecordParser(schema)
        self._score: Callable[[Sequence[TypedRecord]], npt.NDArray[np.float64]] = (
            model.predict_records
            if isinstance(model, RecordScorer)
            else lambda typed: model.predict_scores(self._parser.frame(typed))
        )
        # Prepares what the model builds on first use (lookup tables, flattened trees), so that the
        # first request does not pay for it.
        self._score([self._parser.parse({})])

    def predict(self, records: Sequence[Mapping[str, str]]) -> list[dict[str, Any]]:
        scores = self._score([self._parser.parse(record) for record in records])
        return [self._shape(score) for score in scores.tolist()]

    def _shape(self, score: Any) -> dict[str, Any]:
        model_type = self.model.model_type
        if model_type is ModelType.REGRESSION:
            return {"predictedValue": float(score), "details": self.details}
        if model_type is ModelType.BINARY:
            label = "1" if score >= self.score_threshold else "0"
            return {
                "predictedLabel": label,
                "predictedScores": {label: float(score)},
                "details": self.details,
            }
        classes = self.model.classes or ()
        best = max(range(len(score)), key=score.__getitem__)
        return {
            "predictedLabel": classes[best],
            "predictedScores": dict(zip(classes, score, strict=True)),
            "details": self.details,
        }
