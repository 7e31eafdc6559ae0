"""ONNX export of Amazon ML's SGD models: the suggested recipe for every model type, the text and
numeric transformations, and the recipe functions that are refused."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from tests.engine.automl.conftest import TypedData, synthetic_data

from openaml.engine.data.schema import AttributeType
from openaml.engine.export import check_parity, export_onnx, onnx_refusals
from openaml.engine.models import ModelType
from openaml.engine.sgd import SGDModel, train_sgd_model

TARGET_TYPES = {
    ModelType.BINARY: AttributeType.BINARY,
    ModelType.MULTICLASS: AttributeType.CATEGORICAL,
    ModelType.REGRESSION: AttributeType.NUMERIC,
}
PHRASES = ["Great!! fine, value.", "«awful» broken-junk…", "  (meh)  OK\\tthing $5 ", "", "naïve CAFÉ ü"]


def punctuated(data: TypedData) -> TypedData:
    """The synthetic data with text full of punctuation, case and odd whitespace."""
    frame, schema = data
    frame = frame.copy()
    frame["note"] = pd.Series(
        [f"{note} {PHRASES[row % len(PHRASES)]}" for row, note in enumerate(frame["note"])], dtype=object
    )
    return frame, schema


def trained(data: TypedData, model_type: ModelType, recipe: str | None = None) -> SGDModel:
    frame, schema = data
    return train_sgd_model(frame.iloc[:300], schema, model_type, {}, recipe_text=recipe, statistics=None)


def assert_parity(model: SGDModel, data: TypedData) -> None:
    frame, schema = data
    assert onnx_refusals(model) == []
    exported = export_onnx(model, schema, score_threshold=0.5)
    report = check_parity(model, exported, frame.drop(columns="y"), score_threshold=0.5, source="test")
    assert report.passed and report.label_agreement == 1.0
    assert report.max_abs_difference < 1e-9


@pytest.mark.parametrize("model_type", list(ModelType))
def test_the_suggested_recipe_exports_exactly(model_type: ModelType) -> None:
    data = punctuated(synthetic_data(target_type=TARGET_TYPES[model_type]))
    assert_parity(trained(data, model_type), data)


def test_text_and_numeric_transformations_export_exactly() -> None:
    data = punctuated(synthetic_data())
    recipe = {
        "groups": {},
        "assignments": {"words": "lowercase(note)"},
        "outputs": [
            "ALL_CATEGORICAL",
            "ALL_BINARY",
            "words",
            "note",
            "ngram(no_punct(note), 3)",
            "no_punct(lowercase(note))",
            "normalize(x)",
            "quantile_bin(noise, 5)",
        ],
    }
    assert_parity(trained(data, ModelType.BINARY, json.dumps(recipe)), data)


def test_osb_and_cartesian_are_refused() -> None:
    data = synthetic_data()
    recipe = {"groups": {}, "assignments": {}, "outputs": ["x", "osb(note, 3)", "cartesian(colour, note)"]}
    model = trained(data, ModelType.BINARY, json.dumps(recipe))
    assert onnx_refusals(model) == [
        "recipe output 'osb(note,3)' uses osb, which has no ONNX conversion",
        "recipe output 'cartesian(colour,note)' uses cartesian, which has no ONNX conversion",
    ]
    assert np.isfinite(model.predict_scores(data[0])).all()
