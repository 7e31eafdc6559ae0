"""MLModels through boto3: AutoML and SGD modes for every model type, leaderboards and bad requests."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from tests.support.api import finished, signed_get
from tests.support.server import LiveServer

BUDGET = "8"


@pytest.fixture(scope="module")
def training_sources(server: LiveServer, datasets_dir: Path) -> dict[str, str]:
    """One COMPLETED datasource with statistics per dev dataset the tests train on."""
    ml = server.client()
    targets = {
        "titanic": "survived",
        "penguins": "species",
        "wine_quality": "quality",
        "sentiment_sentences": "sentiment",
        "har_train_sample": "activity",
    }
    ids = {}
    for name, target in targets.items():
        data_source_id = f"ds-models-{name}-{time.time_ns()}"
        schema: dict[str, Any] = {"targetAttributeName": target}
        if name == "sentiment_sentences":
            schema = {
                "version": "1.0",
                "targetAttributeName": "sentiment",
                "dataFileContainsHeader": True,
                "attributes": [
                    {"attributeName": "text", "attributeType": "TEXT"},
                    {"attributeName": "source", "attributeType": "CATEGORICAL"},
                    {"attributeName": "sentiment", "attributeType": "BINARY"},
                ],
            }
        ml.create_data_source_from_s3(
            DataSourceId=data_source_id,
            ComputeStatistics=True,
            DataSpec={"DataLocationS3": str(datasets_dir / f"{name}.csv"), "DataSchema": json.dumps(schema)},
        )
        ids[name] = data_source_id
    for data_source_id in ids.values():
        got = finished(lambda i=data_source_id: ml.get_data_source(DataSourceId=i))
        assert got["Status"] == "COMPLETED", got.get("Message")
    return ids


@pytest.mark.parametrize(
    ("dataset", "model_type", "metric"),
    [
        ("titanic", "BINARY", "auc"),
        ("penguins", "MULTICLASS", "macro_f1"),
        ("wine_quality", "REGRESSION", "rmse"),
        ("sentiment_sentences", "BINARY", "auc"),
    ],
)
def test_automl_trains_each_model_type(
    ml: Any,
    server: LiveServer,
    training_sources: dict[str, str],
    new_id: Any,
    dataset: str,
    model_type: str,
    metric: str,
) -> None:
    model_id = new_id("ml")
    ml.create_ml_model(
        MLModelId=model_id,
        MLModelType=model_type,
        TrainingDataSourceId=training_sources[dataset],
        Parameters={"openaml.timeBudgetSeconds": BUDGET, "openaml.seed": "1"},
    )
    got = finished(lambda: ml.get_ml_model(MLModelId=model_id, Verbose=True))
    assert got["Status"] == "COMPLETED", got.get("Message")
    assert got["MLModelType"] == model_type and got["SizeInBytes"] > 0
    assert got["TrainingParameters"]["openaml.timeBudgetSeconds"] == BUDGET
    assert f"validation {metric}" in got["Message"]
    assert json.loads(got["Schema"])["targetAttributeName"]
    assert ("ScoreThreshold" in got) == (model_type == "BINARY")
    board = json.loads(signed_get(server, f"/openaml/v1/mlmodels/{model_id}/leaderboard"))
    assert board["metric"] == metric and len(board["candidates"]) >= 1
    assert {"family", "fitSeconds"} <= set(board["candidates"][0]) or "family" in board["candidates"][0]
    assert ml.describe_ml_models(FilterVariable="MLModelType", EQ=model_type, Limit=100)["Results"]


def test_sgd_mode_echoes_amazon_ml_parameters_and_recipe(
    ml: Any, training_sources: dict[str, str], new_id: Any
) -> None:
    model_id = new_id("ml")
    ml.create_ml_model(
        MLModelId=model_id,
        MLModelType="BINARY",
        TrainingDataSourceId=training_sources["titanic"],
        Parameters={"openaml.algorithms": "sgd", "sgd.maxPasses": "20", "sgd.shuffleType": "auto"},
    )
    got = finished(lambda: ml.get_ml_model(MLModelId=model_id, Verbose=True))
    assert got["Status"] == "COMPLETED", got.get("Message")
    assert got["TrainingParameters"]["algorithm"] == "sgd"
    assert got["TrainingParameters"]["sgd.maxPasses"] == "20"
    assert "outputs" in json.loads(got["Recipe"])
    assert ml.describe_ml_models(FilterVariable="Algorithm", EQ="sgd")["Results"][0]["Algorithm"] == "sgd"


def test_a_recipe_selects_sgd_mode_and_its_errors_point_at_the_token(
    ml: Any, training_sources: dict[str, str], new_id: Any
) -> None:
    recipe = json.dumps(
        {
            "groups": {},
            "assignments": {},
            "outputs": ["ALL_CATEGORICAL", "quantile_bin(age, 10)", "normalize(fare)"],
        }
    )
    model_id = new_id("ml")
    ml.create_ml_model(
        MLModelId=model_id,
        MLModelType="BINARY",
        TrainingDataSourceId=training_sources["titanic"],
        Recipe=recipe,
    )
    got = finished(lambda: ml.get_ml_model(MLModelId=model_id, Verbose=True))
    assert got["Status"] == "COMPLETED", got.get("Message")
    assert json.loads(got["Recipe"])["outputs"][1] == "quantile_bin(age, 10)"
    bad = recipe.replace("quantile_bin(age", "quantile_bins(age")
    with pytest.raises(ml.exceptions.InvalidInputException, match="quantile_bins"):
        ml.create_ml_model(
            MLModelId=new_id("ml"),
            MLModelType="BINARY",
            TrainingDataSourceId=training_sources["titanic"],
            Recipe=bad,
        )


def test_bad_requests_fail_with_a_clear_typed_error(
    ml: Any, training_sources: dict[str, str], datasets_dir: Path, new_id: Any
) -> None:
    titanic = training_sources["titanic"]
    cases = [
        (
            {"MLModelType": "REGRESSION", "TrainingDataSourceId": training_sources["penguins"]},
            "NUMERIC target",
        ),
        ({"MLModelType": "BINARY", "TrainingDataSourceId": training_sources["penguins"]}, "BINARY target"),
        ({"MLModelType": "BINARY", "TrainingDataSourceId": "ds-does-not-exist"}, "No DataSource"),
        (
            {"MLModelType": "BINARY", "TrainingDataSourceId": titanic, "Parameters": {"sgd.maxPasses": "0"}},
            "sgd.maxPasses",
        ),
        (
            {
                "MLModelType": "BINARY",
                "TrainingDataSourceId": titanic,
                "Parameters": {"sgd.l1RegularizationAmount": "1e-6", "sgd.l2RegularizationAmount": "1e-6"},
            },
            "L1|l1",
        ),
        (
            {
                "MLModelType": "BINARY",
                "TrainingDataSourceId": titanic,
                "Parameters": {"openaml.timeBudgetSeconds": "soon"},
            },
            "timeBudgetSeconds",
        ),
        (
            {
                "MLModelType": "BINARY",
                "TrainingDataSourceId": titanic,
                "Parameters": {"openaml.metric": "rmse"},
            },
            "rmse",
        ),
        (
            {
                "MLModelType": "BINARY",
                "TrainingDataSourceId": titanic,
                "Parameters": {"openaml.groupAttribute": "Sex"},
            },
            "groupAttribute 'Sex' is not an attribute of the datasource's schema. Did you mean 'sex'",
        ),
        (
            {
                "MLModelType": "BINARY",
                "TrainingDataSourceId": titanic,
                "Parameters": {"openaml.timeAttribute": "survived"},
            },
            "timeAttribute 'survived' is the target attribute",
        ),
    ]
    for params, fragment in cases:
        with pytest.raises(
            (ml.exceptions.InvalidInputException, ml.exceptions.ResourceNotFoundException), match=fragment
        ):
            ml.create_ml_model(MLModelId=new_id("ml"), **params)
    no_stats = new_id("ds")
    ml.create_data_source_from_s3(
        DataSourceId=no_stats,
        DataSpec={
            "DataLocationS3": str(datasets_dir / "penguins.csv"),
            "DataSchema": '{"targetAttributeName": "species"}',
        },
    )
    with pytest.raises(ml.exceptions.InvalidInputException, match="ComputeStatistics"):
        ml.create_ml_model(MLModelId=new_id("ml"), MLModelType="MULTICLASS", TrainingDataSourceId=no_stats)


def test_deleting_a_model_stops_its_training(ml: Any, training_sources: dict[str, str], new_id: Any) -> None:
    model_id = new_id("ml")
    ml.create_ml_model(
        MLModelId=model_id,
        MLModelType="MULTICLASS",
        TrainingDataSourceId=training_sources["penguins"],
        Parameters={"openaml.timeBudgetSeconds": "120"},
    )
    deadline = time.monotonic() + 60
    while ml.get_ml_model(MLModelId=model_id)["Status"] == "PENDING" and time.monotonic() < deadline:
        time.sleep(0.2)
    ml.delete_ml_model(MLModelId=model_id)
    assert ml.get_ml_model(MLModelId=model_id)["Status"] == "DELETED"
    # the worker is free again well before the 120 s budget: a new model completes
    quick = new_id("ml")
    ml.create_ml_model(
        MLModelId=quick,
        MLModelType="MULTICLASS",
        TrainingDataSourceId=training_sources["penguins"],
        Parameters={"openaml.algorithms": "sgd"},
    )
    assert finished(lambda: ml.get_ml_model(MLModelId=quick), timeout=60)["Status"] == "COMPLETED"
    assert ml.get_ml_model(MLModelId=model_id)["Status"] == "DELETED"


@pytest.mark.slow
def test_the_561_column_har_sample_trains_in_both_modes(
    ml: Any, training_sources: dict[str, str], new_id: Any
) -> None:
    for parameters in ({"openaml.timeBudgetSeconds": "10"}, {"openaml.algorithms": "sgd"}):
        model_id = new_id("ml")
        ml.create_ml_model(
            MLModelId=model_id,
            MLModelType="MULTICLASS",
            TrainingDataSourceId=training_sources["har_train_sample"],
            Parameters=parameters,
        )
        got = finished(lambda i=model_id: ml.get_ml_model(MLModelId=i))
        assert got["Status"] == "COMPLETED", got.get("Message")
