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
Each carries ``details`` ``{"PredictiveModelType", "Algorithm": "SGD"}`` (Amazon ML's enum) plus
``openaml.missingAttributes``: how many of the schema's input attributes the record left out. A record
that holds none of them is refused (:class:`~openaml.errors.InvalidInputException`): its prediction
would be the same whatever was sent, which is almost always a misspelt or wrong record.
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
from openaml.engine.predictors.scoring import (
    NumberLayout,
    ParsedRecord,
    RecordScorer,
    TypedRecord,
    TypedValue,
)
from openaml.errors import InvalidInputException

#: The ``details`` key of each prediction that counts the input attributes the record left out.
MISSING_ATTRIBUTES_KEY = "openaml.missingAttributes"
#: From this many NUMERIC and BINARY inputs on, a parsed record also holds them as one vector
#: (:class:`~openaml.engine.predictors.scoring.ParsedRecord`); below, lookups by name cost less.
MIN_VECTOR_ATTRIBUTES = 16
#: Expected attribute names a refusal of a record without any of them lists.
_NAMES_SHOWN = 5

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
        self._binary = [attribute.name for attribute in inputs if attribute.type is AttributeType.BINARY]
        self._parsers = [
            (attribute.name, _PARSERS[attribute.type])
            for attribute in inputs
            if attribute.type is not AttributeType.NUMERIC
        ]
        self._layout = NumberLayout(self._numeric + self._binary)
        #: Whether parsed records carry their numbers as a vector (worth it for wide records only).
        self._vectorized = len(self._layout.names) >= MIN_VECTOR_ATTRIBUTES

    def parse(self, record: Mapping[str, str]) -> dict[str, TypedValue]:
        """The typed record: every input attribute of the schema, parsed (missing ones as missing);
        a :class:`ParsedRecord` when the schema has many numeric inputs."""
        return self.parse_counting(record)[0]

    def parse_counting(self, record: Mapping[str, str]) -> tuple[dict[str, TypedValue], int]:
        """:meth:`parse`, and how many input attributes the record left out (counted as it reads them)."""
        values = list(map(record.get, self._numeric))
        absent = values.count(None)
        numbers = _numbers(values)
        pairs = zip(self._numeric, numbers, strict=True)
        typed: dict[str, TypedValue] = ParsedRecord(pairs) if self._vectorized else dict(pairs)
        for name, parse in self._parsers:
            value = record.get(name)
            if value is None:
                absent += 1
            typed[name] = parse(value)
        if isinstance(typed, ParsedRecord):
            if self._binary:
                numbers = numbers + [cast(float, typed[name]) for name in self._binary]
            typed.numbers = np.array(numbers, dtype=np.float64)
            typed.layout = self._layout
        return typed, absent

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


#: Adds explanations to predictions: (typed records, their scores, how many attributes) → one
#: ``details`` addition per record (see :class:`openaml.engine.explain.details.ExplanationDetails`).
Explain = Callable[[Sequence[TypedRecord], npt.NDArray[np.float64], int], list[dict[str, str]]]


class RecordPredictor:
    """One loaded model ready for real-time use: records in, ``Prediction`` dicts out."""

    def __init__(
        self,
        model: TrainedModel,
        schema: DataSchema,
        *,
        score_threshold: float = 0.5,
        details: Mapping[str, str] | None = None,
    ) -> None:
        """``details`` adds entries to every prediction's ``details`` (e.g. the real algorithm)."""
        self.model = model
        self.schema = schema
        self.score_threshold = score_threshold
        self.details = {"PredictiveModelType": model.model_type.value, "Algorithm": "SGD", **(details or {})}
        #: How many attributes each prediction's explanation lists when a request does not say (0: none).
        self.explain_top = 0
        #: What adds explanations to the ``details`` of predictions (given by whoever mounts the model).
        self.explain: Explain | None = None
        self._parser = RecordParser(schema)
        self._inputs = len(schema.input_attributes)
        self._score: Callable[[Sequence[TypedRecord]], npt.NDArray[np.float64]] = (
            model.predict_records
            if isinstance(model, RecordScorer)
            else lambda typed: model.predict_scores(self._parser.frame(typed))
        )
        # Prepares what the model builds on first use (lookup tables, flattened trees), so that the
        # first request does not pay for it.
        self._score([self._parser.parse({})])

    def predict(
        self, records: Sequence[Mapping[str, str]], explain_top: int | None = None
    ) -> list[dict[str, Any]]:
        """One ``Prediction`` per record; ``InvalidInputException`` for a record without any input.

        ``explain_top`` (the request's ``X-OpenAML-Explain``; ``None``: the model's :attr:`explain_top`)
        asks for that many attributes of each prediction's explanation in its ``details``.
        """
        typed: list[dict[str, TypedValue]] = []
        details: list[dict[str, str]] = []
        for index, record in enumerate(records):
            parsed, absent = self._parser.parse_counting(record)
            if absent == self._inputs and self._inputs:
                self._refuse(record, index if len(records) > 1 else None)
            typed.append(parsed)
            details.append({**self.details, MISSING_ATTRIBUTES_KEY: str(absent)})
        scores = self._score(typed)
        top = self.explain_top if explain_top is None else explain_top
        if top and self.explain is not None:
            for entry, explained in zip(details, self.explain(typed, scores, top), strict=True):
                entry.update(explained)
        return [self._shape(score, d) for score, d in zip(scores.tolist(), details, strict=True)]

    def _refuse(self, record: Mapping[str, str], index: int | None) -> None:
        names = [attribute.name for attribute in self.schema.input_attributes]
        expected = ", ".join(repr(name) for name in names[:_NAMES_SHOWN])
        if len(names) > _NAMES_SHOWN:
            expected += f" and {len(names) - _NAMES_SHOWN:,} more"
        which = "The record" if index is None else f"Record {index}"
        sent = f"its {len(record):,} attributes are all unknown" if record else "it is empty"
        raise InvalidInputException(
            f"{which} holds none of the model's {len(names):,} input attributes ({sent}); "
            f"the model expects {expected}. Attribute names are case-sensitive."
        )

    def _shape(self, score: Any, details: dict[str, str]) -> dict[str, Any]:
        model_type = self.model.model_type
        if model_type is ModelType.REGRESSION:
            return {"predictedValue": float(score), "details": details}
        if model_type is ModelType.BINARY:
            label = "1" if score >= self.score_threshold else "0"
            return {
                "predictedLabel": label,
                "predictedScores": {label: float(score)},
                "details": details,
            }
        classes = self.model.classes or ()
        best = max(range(len(score)), key=score.__getitem__)
        return {
            "predictedLabel": classes[best],
            "predictedScores": dict(zip(classes, score, strict=True)),
            "details": details,
        }
