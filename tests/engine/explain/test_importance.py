"""Global feature importance: mean |contribution| for explained models, permutation for the others."""

from __future__ import annotations

from tests.engine.automl.conftest import synthetic_data
from tests.engine.explain.conftest import INPUTS, ensemble_of

from openaml.engine.data.schema import AttributeType
from openaml.engine.explain.importance import PERMUTATION_ROWS, feature_importance
from openaml.engine.models import ModelType


def test_an_explained_model_ranks_attributes_by_mean_absolute_contribution() -> None:
    frame, schema = synthetic_data(rows=300, target_type=AttributeType.NUMERIC)
    model = ensemble_of(frame, schema, ModelType.REGRESSION, ["lightgbm", "linear"])

    result = feature_importance(model, INPUTS, frame, "y")

    assert result["method"] == "meanAbsoluteContribution" and result["space"] == "value"
    assert result["sampleRows"] == 300 and result["reason"] is None
    names = [entry["name"] for entry in result["attributes"]]
    assert sorted(names) == sorted(INPUTS)
    assert names.index("noise") > names.index("x")  # the target depends on x, not on the noise


def test_a_model_without_explanations_gets_permutation_importance() -> None:
    frame, schema = synthetic_data(rows=700)
    model = ensemble_of(frame, schema, ModelType.BINARY, ["linear", "knn"])

    result = feature_importance(model, INPUTS, frame, "y")

    assert result["method"] == "permutation" and result["metric"] == "log_loss"
    assert "knn" in result["reason"] and result["sampleRows"] == PERMUTATION_ROWS
    importance = {entry["name"]: entry["importance"] for entry in result["attributes"]}
    assert importance["note"] > importance["noise"] and importance["x"] > importance["noise"]
