"""What a newcomer meets in the first hour, through boto3 against a live server (issue 14).

The real algorithm next to Amazon ML's ``sgd`` enum, a misspelt target refused when the request
arrives, Predict's count of missing attributes and its refusal of a record without any known one,
and what PredictorNotMounted says about a model still training.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from tests.support.server import LiveServer

PENGUIN = {
    "island": "Biscoe",
    "bill_length_mm": "48.6",
    "bill_depth_mm": "16.0",
    "flipper_length_mm": "230",
    "body_mass_g": "5800",
    "sex": "male",
    "year": "2009",
}


def wait_status(get: Any, wanted: tuple[str, ...] = ("COMPLETED", "FAILED"), timeout: float = 180) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = get()
        if response["Status"] in wanted:
            return response
        time.sleep(0.2)
    raise AssertionError(f"still {response['Status']} after {timeout} s")


def create_penguins(ml: Any, datasets_dir: Path, data_source_id: str) -> None:
    ml.create_data_source_from_s3(
        DataSourceId=data_source_id,
        ComputeStatistics=True,
        DataSpec={
            "DataLocationS3": str(datasets_dir / "penguins.csv"),
            "DataSchema": json.dumps({"targetAttributeName": "species"}),
        },
    )


def train(ml: Any, data_source_id: str, model_id: str, parameters: dict[str, str]) -> dict[str, Any]:
    ml.create_ml_model(
        MLModelId=model_id,
        MLModelType="MULTICLASS",
        TrainingDataSourceId=data_source_id,
        Parameters=parameters,
    )
    model = wait_status(lambda: ml.get_ml_model(MLModelId=model_id))
    assert model["Status"] == "COMPLETED", model.get("Message")
    return model  # type: ignore[no-any-return]


def ready(ml: Any, model_id: str) -> None:
    ml.create_realtime_endpoint(MLModelId=model_id)
    deadline = time.monotonic() + 60
    while ml.get_ml_model(MLModelId=model_id)["EndpointInfo"]["EndpointStatus"] != "READY":
        assert time.monotonic() < deadline, "the endpoint did not become READY"
        time.sleep(0.2)


@pytest.fixture(scope="module")
def penguin_models(server: LiveServer, datasets_dir: Path) -> dict[str, str]:
    """An AutoML model of two families (a tiny budget) and an SGD model, both with READY endpoints."""
    ml = server.client()
    suffix = time.time_ns()
    data_source_id = f"ds-first-hour-{suffix}"
    create_penguins(ml, datasets_dir, data_source_id)
    models = {
        "automl": f"ml-first-hour-automl-{suffix}",
        "sgd": f"ml-first-hour-sgd-{suffix}",
    }
    train(
        ml,
        data_source_id,
        models["automl"],
        {"openaml.timeBudgetSeconds": "4", "openaml.algorithms": "linear,lightgbm"},
    )
    train(ml, data_source_id, models["sgd"], {"openaml.algorithms": "sgd"})
    for model_id in models.values():
        ready(ml, model_id)
    return models


def test_the_real_algorithm_is_named_beside_amazon_mls_enum(ml: Any, penguin_models: dict[str, str]) -> None:
    automl = ml.get_ml_model(MLModelId=penguin_models["automl"])
    truth = automl["TrainingParameters"]["openaml.algorithm"]
    assert truth.startswith("automl:") and set(truth.removeprefix("automl:").split("+")) <= {
        "linear",
        "lightgbm",
    }
    results = ml.describe_ml_models(FilterVariable="TrainingDataSourceId", EQ=automl["TrainingDataSourceId"])[
        "Results"
    ]
    described = next(model for model in results if model["MLModelId"] == penguin_models["automl"])
    assert described["Algorithm"] == "sgd"  # botocore's enum
    assert described["TrainingParameters"]["openaml.algorithm"] == truth
    sgd = ml.get_ml_model(MLModelId=penguin_models["sgd"])
    assert sgd["TrainingParameters"]["openaml.algorithm"] == "sgd"

    for model_id, expected in ((penguin_models["automl"], truth), (penguin_models["sgd"], "sgd")):
        endpoint = ml.get_ml_model(MLModelId=model_id)["EndpointInfo"]["EndpointUrl"]
        details = ml.predict(MLModelId=model_id, Record=PENGUIN, PredictEndpoint=endpoint)["Prediction"][
            "details"
        ]
        assert details["Algorithm"] == "SGD" and details["PredictiveModelType"] == "MULTICLASS"
        assert details["openaml.algorithm"] == expected


def test_predict_counts_missing_attributes_and_refuses_a_record_without_any(
    ml: Any, penguin_models: dict[str, str]
) -> None:
    model_id = penguin_models["automl"]
    endpoint = ml.get_ml_model(MLModelId=model_id)["EndpointInfo"]["EndpointUrl"]

    def predict(record: dict[str, str]) -> Any:
        return ml.predict(MLModelId=model_id, Record=record, PredictEndpoint=endpoint)["Prediction"]

    assert predict(PENGUIN)["details"]["openaml.missingAttributes"] == "0"
    partial = predict({"island": "Biscoe", "bill_length_mm": "48.6", "unknown": "x"})
    assert partial["details"]["openaml.missingAttributes"] == "5"  # Amazon ML's tolerance stays
    assert partial["predictedLabel"]

    for record, said in (({}, "it is empty"), ({"Island": "Biscoe", "species": "Adelie"}, "all unknown")):
        with pytest.raises(ml.exceptions.InvalidInputException) as refused:
            predict(record)
        message = refused.value.response["Error"]["Message"]
        assert said in message and "'island'" in message and "7 input attributes" in message


def test_a_model_still_training_says_so(ml: Any, server: LiveServer, datasets_dir: Path, new_id: Any) -> None:
    data_source_id, model_id = new_id("ds"), new_id("ml")
    create_penguins(ml, datasets_dir, data_source_id)
    ml.create_ml_model(
        MLModelId=model_id,
        MLModelType="MULTICLASS",
        TrainingDataSourceId=data_source_id,
        Parameters={"openaml.timeBudgetSeconds": "600"},
    )
    try:
        with pytest.raises(ml.exceptions.PredictorNotMountedException) as refused:
            ml.predict(MLModelId=model_id, Record=PENGUIN, PredictEndpoint=server.url)
        message = refused.value.response["Error"]["Message"]
        assert "still training" in message and "COMPLETED" in message
    finally:
        ml.delete_ml_model(MLModelId=model_id)


def test_a_misspelt_target_is_refused_at_request_time_with_the_closest_column(
    ml: Any, datasets_dir: Path, new_id: Any
) -> None:
    def create(target: str, location: Path) -> str:
        with pytest.raises(ml.exceptions.InvalidInputException) as refused:
            ml.create_data_source_from_s3(
                DataSourceId=new_id("ds"),
                DataSpec={
                    "DataLocationS3": str(location),
                    "DataSchema": json.dumps({"targetAttributeName": target}),
                },
            )
        return str(refused.value.response["Error"]["Message"])

    wide = create("Activity", datasets_dir / "har_train_sample.csv")
    assert "Did you mean 'activity'?" in wide
    assert "Its 562 columns" in wide and "and 542 more" in wide

    misspelt = create("specis", datasets_dir / "penguins.csv")
    assert "Did you mean 'species'?" in misspelt and "more" not in misspelt

    with pytest.raises(ml.exceptions.InvalidInputException, match=r"rowId 'Fare'.*Did you mean 'fare'"):
        ml.create_data_source_from_s3(
            DataSourceId=new_id("ds"),
            DataSpec={
                "DataLocationS3": str(datasets_dir / "titanic.csv"),
                "DataSchema": json.dumps({"targetAttributeName": "survived", "rowId": "Fare"}),
            },
        )


def test_the_evaluation_message_rounds_its_metric(
    ml: Any, penguin_models: dict[str, str], datasets_dir: Path, new_id: Any
) -> None:
    data_source_id, evaluation_id = new_id("ds"), new_id("ev")
    create_penguins(ml, datasets_dir, data_source_id)
    ml.create_evaluation(
        EvaluationId=evaluation_id, MLModelId=penguin_models["sgd"], EvaluationDataSourceId=data_source_id
    )
    evaluation = wait_status(lambda: ml.get_evaluation(EvaluationId=evaluation_id))
    assert evaluation["Status"] == "COMPLETED", evaluation.get("Message")
    value = evaluation["Message"].split()[1]
    assert evaluation["Message"].startswith("MulticlassAvgFScore ") and len(value.split(".")[1]) == 4
    full = evaluation["PerformanceMetrics"]["Properties"]["MulticlassAvgFScore"]
    assert float(value) == round(float(full), 4)
