"""Records of strings in, Amazon ML ``Prediction`` shapes out, through each kind of model."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pytest

from openaml.engine.automl import AutoMLParameters, train_automl
from openaml.engine.data.schema import Attribute, AttributeType, DataSchema
from openaml.engine.models import ModelType, TrainedModel
from openaml.engine.predictors import RecordPredictor, records_to_frame
from openaml.engine.predictors.records import RecordParser
from openaml.engine.predictors.scoring import ParsedRecord, record_numbers
from openaml.engine.sgd import train_sgd_model
from openaml.errors import InvalidInputException

from .conftest import ServiceData

T = AttributeType
SCHEMA = DataSchema(
    attributes=(
        Attribute("age", T.NUMERIC),
        Attribute("member", T.BINARY),
        Attribute("city", T.CATEGORICAL),
        Attribute("review", T.TEXT),
        Attribute("bought", T.BINARY),
    ),
    target_attribute_name="bought",
)


@pytest.mark.parametrize(
    ("value", "number"),
    [("42", 42.0), (" 7.5 ", 7.5), ("-1e3", -1000.0), ("abc", math.nan), ("inf", math.nan), ("", math.nan)],
)
def test_numeric_values_that_are_not_finite_numbers_are_missing(value: str, number: float) -> None:
    parsed = RecordParser(SCHEMA).parse({"age": value})["age"]
    assert parsed == number or (math.isnan(number) and math.isnan(parsed))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "odd_value",
    ["", "nan", "1e400", "1_000", "1,2", "true", "[1]", "0x10", "+1", ".5", "١٢", "12345678901234567890"],
)
def test_wide_records_parse_as_each_value_alone_would(odd_value: str) -> None:
    """Many NUMERIC attributes are parsed together (one JSON array); any value that is not a plain
    JSON number must still come out as ``float()`` alone reads it (or missing)."""
    schema = DataSchema(attributes=tuple(Attribute(f"x{i}", T.NUMERIC) for i in range(6)))
    values = ["1", "-2.5", " 3e2 ", "-0", "0.1", odd_value]
    parsed = RecordParser(schema).parse({f"x{i}": value for i, value in enumerate(values)})
    alone = [RecordParser(schema).parse({"x0": value})["x0"] for value in values]
    assert [parsed[f"x{i}"] for i in range(6)] == pytest.approx(alone, nan_ok=True)
    assert all(isinstance(value, float) for value in parsed.values())


@pytest.mark.parametrize(
    ("value", "number"), [("Yes", 1.0), (" FALSE ", 0.0), ("t", 1.0), ("0", 0.0), ("maybe", math.nan)]
)
def test_binary_values_outside_the_literals_are_missing(value: str, number: float) -> None:
    parsed = RecordParser(SCHEMA).parse({"member": value})["member"]
    assert parsed == number or (math.isnan(number) and math.isnan(parsed))  # type: ignore[arg-type]


def test_missing_and_unknown_attributes_and_the_target() -> None:
    parsed = RecordParser(SCHEMA).parse({"city": "", "review": "fine", "bought": "1", "unknown": "x"})

    assert set(parsed) == {"age", "member", "city", "review"}
    assert math.isnan(parsed["age"]) and math.isnan(parsed["member"])  # type: ignore[arg-type]
    assert parsed["city"] is None and parsed["review"] == "fine"


def test_records_become_a_typed_frame() -> None:
    frame = records_to_frame([{"age": "3", "city": "Oslo"}, {"member": "no"}], SCHEMA)

    assert list(frame.columns) == ["age", "member", "city", "review"]
    assert frame["age"].dtype == np.float64 and frame["member"].tolist()[1] == 0.0
    assert frame["city"].tolist() == ["Oslo", None] and frame["review"].isna().all()


def sgd_model(data: ServiceData, model_type: ModelType) -> TrainedModel:
    return train_sgd_model(data.frame, data.schema, model_type, {}, recipe_text=None, statistics=None)


def scores_of_frame(model: TrainedModel, data: ServiceData, records: list[dict[str, str]]) -> np.ndarray:
    return model.predict_scores(records_to_frame(records, data.schema))


def test_binary_predictions_hold_one_score_keyed_by_the_label(
    service_data: Callable[[str, str], ServiceData],
) -> None:
    data = service_data("titanic.csv", "survived")
    model = sgd_model(data, ModelType.BINARY)
    records = data.records[:100]
    expected = scores_of_frame(model, data, records)
    threshold = float(np.median(expected))

    predictions = RecordPredictor(model, data.schema, score_threshold=threshold).predict(records)

    for prediction, score in zip(predictions, expected, strict=True):
        label = "1" if score >= threshold else "0"
        assert prediction["predictedLabel"] == label
        assert prediction["predictedScores"] == {label: pytest.approx(score, rel=1e-12)}
        assert prediction["details"] == {
            "PredictiveModelType": "BINARY",
            "Algorithm": "SGD",
            "openaml.missingAttributes": prediction["details"]["openaml.missingAttributes"],
        }
    assert {prediction["predictedLabel"] for prediction in predictions} == {"0", "1"}


def test_multiclass_predictions_score_every_class(service_data: Callable[[str, str], ServiceData]) -> None:
    data = service_data("penguins.csv", "species")
    model = sgd_model(data, ModelType.MULTICLASS)
    assert model.classes is not None
    records = data.records

    predictions = RecordPredictor(model, data.schema).predict(records)

    expected = scores_of_frame(model, data, records)
    for prediction, scores in zip(predictions, expected, strict=True):
        assert list(prediction["predictedScores"]) == list(model.classes)
        np.testing.assert_allclose(list(prediction["predictedScores"].values()), scores, rtol=1e-12)
        assert prediction["predictedLabel"] == model.classes[int(np.argmax(scores))]


def test_regression_predictions_hold_the_value(service_data: Callable[[str, str], ServiceData]) -> None:
    data = service_data("wine_quality.csv", "quality")
    model = sgd_model(data, ModelType.REGRESSION)
    records = data.records[:200]

    predictions = RecordPredictor(model, data.schema).predict(records)

    values = [prediction["predictedValue"] for prediction in predictions]
    np.testing.assert_allclose(values, scores_of_frame(model, data, records), rtol=1e-12)
    assert set(predictions[0]) == {"predictedValue", "details"}


def test_automl_ensembles_predict_records(service_data: Callable[[str, str], ServiceData]) -> None:
    data = service_data("titanic.csv", "survived")
    parameters = AutoMLParameters(time_budget_seconds=20, algorithms=("linear", "lightgbm"), max_trials=2)
    model = train_automl(data.frame, data.schema, ModelType.BINARY, parameters).model
    records = [*data.records[:50], {"age": ""}, {"age": "not a number", "sex": "unknown", "unrelated": "1"}]

    predictions = RecordPredictor(model, data.schema).predict(records)

    scores = [next(iter(prediction["predictedScores"].values())) for prediction in predictions]
    np.testing.assert_allclose(scores, scores_of_frame(model, data, records), rtol=1e-10)


class FrameOnlyModel:
    """A trained model that scores frames only (no ``predict_records``)."""

    model_type = ModelType.REGRESSION
    classes = None
    algorithm = "test"

    def __init__(self) -> None:
        self.frames: list[pd.DataFrame] = []

    def predict_scores(self, frame: pd.DataFrame) -> npt.NDArray[np.float64]:
        self.frames.append(frame)
        return np.asarray(frame["age"].fillna(-1.0) * 2.0, dtype=np.float64)


def test_a_model_without_record_scoring_gets_typed_frames() -> None:
    model = FrameOnlyModel()

    predictions: list[dict[str, Any]] = RecordPredictor(model, SCHEMA).predict([{"age": "21"}, {"age": "x"}])

    assert [prediction["predictedValue"] for prediction in predictions] == [42.0, -2.0]
    frame = model.frames[-1]
    assert list(frame.columns) == ["age", "member", "city", "review"] and frame["age"].dtype == np.float64


def test_missing_attributes_are_counted_and_a_record_without_any_is_refused(
    service_data: Callable[[str, str], ServiceData],
) -> None:
    data = service_data("titanic.csv", "survived")
    predictor = RecordPredictor(sgd_model(data, ModelType.BINARY), data.schema, details={"extra": "x"})
    inputs = len(data.schema.input_attributes)

    partial, empty_value = predictor.predict([{"sex": "female", "unrelated": "1"}, {"age": ""}])
    assert partial["details"]["openaml.missingAttributes"] == str(inputs - 1)
    assert empty_value["details"]["openaml.missingAttributes"] == str(inputs - 1)  # present, though empty
    assert partial["details"]["extra"] == "x"

    with pytest.raises(InvalidInputException, match=r"^The record holds none .* \(it is empty\)"):
        predictor.predict([{}])
    with pytest.raises(InvalidInputException, match=r"^Record 1 holds none .*all unknown.*'pclass'"):
        predictor.predict([{"sex": "male"}, {"Sex": "male", "survived": "1"}])


def test_parsed_records_give_their_numbers_as_lookups_by_name_would() -> None:
    """A parsed record's vector (read through prepared index arrays) holds what its mapping holds."""
    schema = DataSchema(
        attributes=(
            *(Attribute(f"x{i}", T.NUMERIC) for i in range(20)),
            Attribute("member", T.BINARY),
            Attribute("city", T.CATEGORICAL),
        )
    )
    parser = RecordParser(schema)
    numbers = [f"x{i}" for i in range(20)] + ["member"]
    name_lists = [numbers, numbers[::-1], ["x3", "member", "x3"], [], ["x1", "city"], ["x1", "absent"]]
    records = [
        {f"x{i}": str(i * 1.5) for i in range(20)} | {"member": "yes", "city": "Oslo"},
        {"x0": "abc", "x1": "1e400", "x2": "", "x3": "true", "member": "maybe"},
        {"city": "Bergen"},
    ]
    for record in records:
        parsed = parser.parse(record)
        assert isinstance(parsed, ParsedRecord)
        for _ in range(2):  # the second time from the cached index arrays
            for names in name_lists:
                if "city" in names:
                    continue  # a CATEGORICAL value is no number: nobody asks for it as one
                expected = np.array([parsed.get(name) for name in names], dtype=np.float64)
                np.testing.assert_array_equal(record_numbers(parsed, names), expected)
    plain = dict(parser.parse(records[0]))
    np.testing.assert_array_equal(record_numbers(plain, numbers), [plain[name] for name in numbers])


def test_one_record_at_a_time_scores_as_records_together(
    service_data: Callable[[str, str], ServiceData],
) -> None:
    """Real-time Predict scores one record (for a wide record: from its parsed vector); many-record
    calls take the general path. Both must give the same predictions."""
    titanic, har = service_data("titanic.csv", "survived"), service_data("har_train_sample.csv", "activity")
    parameters = AutoMLParameters(time_budget_seconds=20, algorithms=("linear", "lightgbm"), max_trials=2)
    wide = har.records[0]
    odd = [{"age": ""}, {"age": "not a number", "sex": "unknown"}, {name: "x" for name in list(wide)[:9]}]
    cases = [
        (train_automl(titanic.frame, titanic.schema, ModelType.BINARY, parameters).model, titanic, odd[:2]),
        (sgd_model(titanic, ModelType.BINARY), titanic, odd[:2]),
        (train_automl(har.frame, har.schema, ModelType.MULTICLASS, parameters).model, har, odd[2:]),
        (sgd_model(har, ModelType.MULTICLASS), har, odd[2:]),
    ]
    for model, data, odd_records in cases:
        records = [*data.records[:30], *odd_records]
        predictor = RecordPredictor(model, data.schema)
        together = predictor.predict(records)
        alone = [predictor.predict([record])[0] for record in records]
        assert [p["predictedLabel"] for p in alone] == [p["predictedLabel"] for p in together]
        np.testing.assert_allclose(
            [p["predictedScores"][p["predictedLabel"]] for p in alone],
            [p["predictedScores"][p["predictedLabel"]] for p in together],
            rtol=1e-10,
        )
